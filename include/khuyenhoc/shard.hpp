#pragma once
/// \file shard.hpp
/// The selection of a pool held in shards (partitions on several processes or machines), exact:
/// equal row for row to the selection of the whole pool (rank, group rank, selected, level,
/// status, gap, reason).
///
/// ```
/// each shard i:  execute(row_local_spec(spec)) ─► run_result ─summarize_shard─► shard_summary
/// one process:   merge_shards(every shard_summary, policy) ─► merged_shards
/// each shard i:  tie_keys(shard_keys(run_result), merged) ─► its rows at tied totals
/// per range:     resolve_ties(tie keys of every shard, policy) ─► order within tied totals
/// each shard i:  finish_shard(run_result, merged, i, its resolved ties) ─► shard i's rows
/// ```
///
/// Why it is exact: a selection reads of a nominee only its id, group, total, eligibility and
/// tie-breaker columns, and of the pool only the number of nominees (and ranked nominees) per
/// group (the apportionment weights and cap bases). Row-local work (scores, rules, reasons of
/// the ineligible, the minimum) is done per shard by the same pipeline (`row_local_spec`). The
/// summary keeps, per group, only the ranked rows that can still take a seat or decide a
/// cut-off (the group's possible seats plus every row tied at that boundary: `summary_bound`),
/// the ranked and nominee counts per group, and a histogram of the ranked totals per group;
/// the merge selects over the kept rows with the weights, cap bases and counts pinned to the
/// whole pool's. Ranks are not taken from the merge: a row's rank is the number of ranked rows
/// with a higher total (the merged histograms) plus the rows with the same total ordered before
/// it (`resolve_ties`, over the rows at totals held by more than one row only), so no process
/// sorts the whole pool. docs/scale.md has the argument and the formats.

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

/// Column names of the shard formats (key material, histograms, tie orders).
inline constexpr std::string_view shard_group_column = "__khuyenhoc_group";
inline constexpr std::string_view shard_row_column = "__khuyenhoc_row";

/// Ranked rows per group and total, by group, then total descending (a histogram).
struct score_counts {
  std::vector<std::string> group{};
  std::vector<double> score{};
  std::vector<std::int64_t> count{};
  [[nodiscard]] std::size_t size() const noexcept { return score.size(); }
};

/// The order of rows within tied totals (`resolve_ties`): per row of a `tie_keys` part, its row
/// number in the shard's key material, the rows of the same total ordered before it (by the
/// tie-breakers, then the id), and those of them in its group.
struct tie_order {
  std::vector<std::int64_t> row{};
  std::vector<std::int64_t> before{};
  std::vector<std::int64_t> group_before{};
  [[nodiscard]] std::size_t size() const noexcept { return row.size(); }
};

/// What the merge needs from one shard.
struct shard_summary {
  std::uint32_t shard = 0;  ///< the shard's number (unique among the shards merged)
  /// The key material of the ranked rows that can still matter to the decision (at most
  /// `summary_bound` per group plus the rows tied at that bound), in shard order: the id, the
  /// group column, the tie-breaker columns, the group name (`shard_group_column`) and the total
  /// (`shard_score_column`).
  pool keys{};
  /// Nominees per group (every row of the shard; "" without a group column).
  std::map<std::string, std::int64_t> nominees{};
  std::int64_t rows = 0;  ///< rows of the shard
  /// Ranked rows per group (eligible, total at or above the minimum), kept or not.
  std::map<std::string, std::int64_t> ranked{};
  /// Ranked rows per group and total.
  score_counts scores{};
};

/// The merged decision.
struct merged_shards {
  /// The selection over the kept key material of every shard (rows: shard by shard in the order
  /// given, then their rows in order): the selected, level, status, gap and reason of these
  /// rows are those of a single run; outcomes count the nominees of the whole pool. Its ranks
  /// are ranks among the kept rows only (`finish_shard` computes the global ones).
  selection result{};
  std::vector<std::uint32_t> shards{};  ///< shard numbers in the order merged
  std::vector<std::size_t> offsets{};   ///< first row of each shard in `result`, and the end
  /// The ranked rows of the whole pool per group and total.
  score_counts scores{};
  /// Per group, the cut-off its unkept ranked rows are compared with (the lowest selected total
  /// at the last level that selected anyone there; NaN: none).
  std::map<std::string, double> cutoffs{};
  selection_policy policy{};  ///< the policy merged with
};

/// How many ranked rows of group `group` a shard's summary keeps at least: the seats the group
/// can get at most (all levels' seats; the fixed quota in fixed mode), or -1 for no bound (a
/// global quota with caps, whose capped rows depend on the whole group). Rows tied at the bound
/// are kept as well (`tie_policy::break_ties`: tied on the total with the bound-th row; include
/// and exclude: every row whose total is among the group's bound highest distinct totals).
[[nodiscard]] std::int64_t summary_bound(const selection_policy& policy, const std::string& group);

/// `spec` with the row-local policy a shard runs: the group column and the minimum kept, no
/// seats (nothing selected), no tie-breakers. Executing it scores, checks the rules and gives
/// the reasons of the unranked rows exactly as the full spec does.
[[nodiscard]] run_spec row_local_spec(run_spec spec);

/// The key material of the ranked rows of a row-local run (`row_local_spec`), in shard order:
/// the id, the group column, the tie-breaker columns, `shard_group_column` and
/// `shard_score_column`. What `tie_keys` and the finish read.
[[nodiscard]] pool shard_keys(const run_result& local, const selection_policy& policy);

/// The summary of shard `shard` from its row-local run (`row_local_spec`), for the selection
/// policy `policy` (the one every shard and the merge use). O(rows + kept × key columns).
[[nodiscard]] shard_summary summarize_shard(const run_result& local, const selection_policy& policy,
                                            std::uint32_t shard);
/// The same from the run's key material already extracted (`shard_keys(local, policy)`).
[[nodiscard]] shard_summary summarize_shard(const run_result& local, const selection_policy& policy,
                                            std::uint32_t shard, const pool& keys);

/// The global decision. \throws spec_error for repeated shard numbers, key material whose
/// columns differ between shards, ids repeated across shards, and every problem `select` finds
/// (infeasible apportionment, fixed quotas for unknown groups...).
[[nodiscard]] merged_shards merge_shards(const std::vector<shard_summary>& summaries,
                                         const selection_policy& policy);

/// The rows of a shard's key material (`shard_keys`) whose total more than one ranked row of
/// the pool has (`merged.scores`), with their row number in `keys` (`shard_row_column`): the
/// rows whose rank needs the tie-breakers of other rows. O(rows · log totals).
[[nodiscard]] pool tie_keys(const pool& keys, const merged_shards& merged);

/// The order within tied totals: `parts` are `tie_keys` of shards (or their rows in one range
/// of totals: every row of a total must be in the same call). One result per part, row for row.
/// O(rows · keys) (the selection's radix sort over these rows only).
/// \throws spec_error for parts whose columns differ or ids repeated across parts.
[[nodiscard]] std::vector<tie_order> resolve_ties(const std::vector<pool>& parts,
                                                  const selection_policy& policy);

/// The per-ranked-row values of one shard, row for row with `keys` (`shard_keys`): id, rank,
/// group_rank, selected, level, status, gap, reason. `kept` are the merge's rows of this shard
/// (a `to_pool` of them), `ties` the `resolve_ties` results of its tied rows (in any order,
/// possibly split by ranges). \throws spec_error if the kept rows are not a subsequence of
/// `keys` or a tied row has no resolved order.
[[nodiscard]] pool shard_ranks(const pool& keys, const pool& kept, const score_counts& scores,
                               const std::map<std::string, double>& cutoffs,
                               const std::vector<tie_order>& ties, const selection_policy& policy);

/// The merge's rows of shard `shard` (`to_pool` of its kept rows). \throws spec_error if the
/// shard is not in the merge.
[[nodiscard]] pool kept_rows(const merged_shards& merged, std::uint32_t shard);

/// Shard `shard`'s result table — the columns and rows of `run_result::table()` of a single
/// run, for this shard's rows in its order — from its row-local run, the merge and the
/// resolved ties of its rows at tied totals (`resolve_ties`; may be empty when none of its
/// rows is at a total held by another ranked row).
/// \throws spec_error if the merge holds other rows for it or a tied row has no resolved order.
[[nodiscard]] pool finish_shard(const run_result& local, const merged_shards& merged,
                                std::uint32_t shard, const std::vector<tie_order>& ties = {});

/// Every step above in one process, for shards held together (tests, a job runner that keeps
/// the shards' runs): the finished tables of `locals` in order, numbered 0, 1, ...
[[nodiscard]] std::vector<pool> select_shards(const std::vector<run_result>& locals,
                                              const selection_policy& policy);

}  // namespace khuyenhoc
