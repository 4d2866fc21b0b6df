#pragma once
/// \file shard.hpp
/// The selection of a pool held in shards (partitions on several processes or machines), exact:
/// equal row for row to the selection of the whole pool (rank, group rank, selected, level,
/// status, gap, reason).
///
/// ```
/// each shard i:  execute(row_local_spec(spec)) ─► run_result ─summarize_shard─► shard_summary
/// one process:   merge_shards(every shard_summary, policy) ─► merged_shards
/// each shard i:  finish_shard(run_result, merged_shards, i) ─► shard i's rows of the table
/// ```
///
/// Why it is exact: a selection reads of a nominee only its id, group, total, eligibility and
/// tie-breaker columns, and of the pool only the number of nominees (and ranked nominees) per
/// group (the apportionment weights and cap bases). Row-local work (scores, rules, reasons of
/// the ineligible, the minimum) is done per shard by the same pipeline (`row_local_spec`); the
/// summary keeps the key material of the shard's *ranked* rows (eligible, total at or above
/// the minimum) and its nominees per group; the merge selects over the key material of all
/// shards with the weights and cap bases pinned to the whole pool's counts and a placeholder
/// for every group without a ranked row. docs/scale.md has the argument and the formats.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "khuyenhoc/pool.hpp"
#include "khuyenhoc/run.hpp"
#include "khuyenhoc/selection.hpp"

namespace khuyenhoc {

/// Name of the total's column in a summary's key material.
inline constexpr std::string_view shard_score_column = "__khuyenhoc_score";

/// What the merge needs from one shard.
struct shard_summary {
  std::uint32_t shard = 0;  ///< the shard's number (unique among the shards merged)
  /// The ranked rows' key material, in shard order: the id, the group column, the tie-breaker
  /// columns and the total (`shard_score_column`).
  pool keys{};
  /// Nominees per group (every row of the shard; "" without a group column).
  std::map<std::string, std::int64_t> nominees{};
  std::int64_t rows = 0;  ///< rows of the shard
};

/// The merged decision.
struct merged_shards {
  /// The selection over the key material of every shard (rows: shard by shard in the order
  /// given, then their rows in order), exactly the values of a single run for these nominees;
  /// outcomes count the nominees of the whole pool.
  selection result{};
  std::vector<std::uint32_t> shards{};  ///< shard numbers in the order merged
  std::vector<std::size_t> offsets{};   ///< first row of each shard in `result`, and the end
};

/// `spec` with the row-local policy a shard runs: the group column and the minimum kept, no
/// seats (nothing selected), no tie-breakers. Executing it scores, checks the rules and gives
/// the reasons of the unranked rows exactly as the full spec does.
[[nodiscard]] run_spec row_local_spec(run_spec spec);

/// The summary of shard `shard` from its row-local run (`row_local_spec`), for the selection
/// policy `policy` (the one every shard and the merge use). O(rows + ranked × key columns).
[[nodiscard]] shard_summary summarize_shard(const run_result& local, const selection_policy& policy,
                                            std::uint32_t shard);

/// The global decision. \throws spec_error for repeated shard numbers, key material whose
/// columns differ between shards, ids repeated across shards, and every problem `select` finds
/// (infeasible apportionment, fixed quotas for unknown groups...).
[[nodiscard]] merged_shards merge_shards(const std::vector<shard_summary>& summaries,
                                         const selection_policy& policy);

/// Shard `shard`'s result table — the columns and rows of `run_result::table()` of a single
/// run, for this shard's rows in its order — from its row-local run and the merge.
/// \throws spec_error if the merge holds another number of ranked rows or other ids for it.
[[nodiscard]] pool finish_shard(const run_result& local, const merged_shards& merged,
                                std::uint32_t shard);

}  // namespace khuyenhoc
