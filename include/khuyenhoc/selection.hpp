#pragma once
/// \file selection.hpp
/// Ranking and selection of a pool of nominees: eligibility and a minimum score first, then
/// quotas (a global top-k, fixed quotas per group, or seats apportioned across groups), caps as
/// a share of a base, a tie policy at each cut-off, and award levels filled in cascade. Every
/// nominee appears in the result with its rank, group rank, whether it is selected, its level,
/// and the reason (ineligible, below the minimum, outside the quota with the cut-off and gap).
///
/// The selection is a function of row-local data only (`selection_input`): the order of rows
/// and how they are split into shards do not change it. Shards of a pool can be prepared apart
/// (scoring, rules, key encoding are row-local) and merged with `concat`; the merged selection
/// equals the selection of the whole pool.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "khuyenhoc/apportion.hpp"
#include "khuyenhoc/pool.hpp"
#include "khuyenhoc/ranking.hpp"

namespace khuyenhoc {

/// What to do with nominees tied with the last selected one at a cut-off.
enum class tie_policy : std::uint8_t {
  include,     ///< select all of them (the group gets more than its quota; reported)
  exclude,     ///< select none of them (the group gets fewer than its quota; reported)
  break_ties,  ///< decide by the remaining sort keys (always exactly the quota)
};
/// Parses "include", "exclude" or "break". \throws spec_error
[[nodiscard]] tie_policy parse_tie_policy(std::string_view name);

/// How seats are given to groups.
enum class quota_mode : std::uint8_t {
  global,     ///< one top-k over all groups
  fixed,      ///< a fixed number of seats per group
  apportion,  ///< a total apportioned across groups by weight
};

/// Parses "global", "fixed" or "apportion". \throws spec_error
[[nodiscard]] quota_mode parse_quota_mode(std::string_view name);
/// "global", "fixed" or "apportion".
[[nodiscard]] std::string_view to_string(quota_mode mode) noexcept;

/// One tie-breaking key after the total score.
struct order_key {
  enum class kind : std::uint8_t {
    value,            ///< a number, integer, date or boolean column
    vietnamese_name,  ///< a full-name column in Vietnamese list order (given name first, ICU "vi")
    text,             ///< a category/text column in Vietnamese alphabetical order
    lottery,          ///< a seeded lottery (hash of seed and id); the seed is in the result
  };
  std::string column{};
  sort_direction direction = sort_direction::ascending;
  kind how = kind::value;
};

/// "A=3,B=4" as the CLI's `--weights`, `--cap-base` (numbers) and `--fixed`, `--levels` (counts)
/// write a value per group or level, and as the C ABI's `kh_spec_set` takes them: the pairs in
/// the order written; the name is what precedes the last '='. `option` names the option in
/// errors. \throws spec_error ("\"X\" is not NAME=VALUE", "has no number after '='").
[[nodiscard]] std::vector<std::pair<std::string, double>> parse_named_numbers(
    std::string_view text, std::string_view option);
/// As parse_named_numbers, for whole numbers (seats). \throws spec_error
[[nodiscard]] std::vector<std::pair<std::string, std::int64_t>> parse_named_counts(
    std::string_view text, std::string_view option);

/// Parses "column" / "column desc" / "column asc" / "name:full_name" / "text:school" / "lottery".
/// \throws spec_error
[[nodiscard]] order_key parse_order_key(std::string_view spec);

/// One award level of a cascade: filled in order, each from the nominees the levels before it
/// left.
struct award_level {
  std::string name{};
  std::int64_t seats = 0;                                       ///< seats of this level in all
  double min_score = -std::numeric_limits<double>::infinity();  ///< on top of the global minimum
};

/// Everything that decides a selection; defaults select nobody. The field names are the
/// option vocabulary of every door: Python's keyword arguments have the same names, the CLI's
/// flags the same names with dashes (`group_min` → `--group-min`); docs/selection.md has the
/// table.
struct selection_policy {
  /// Keys after the total score (descending); the id always ends the order (ascending, bytes).
  std::vector<order_key> order{};
  /// Nominees with a lower total are not ranked ("below the minimum score").
  double min_score = -std::numeric_limits<double>::infinity();
  /// Category column whose groups get seats (e.g. "district"); empty: one group.
  std::string per{};
  quota_mode mode = quota_mode::global;
  /// Total seats (global and apportion modes). With levels, the sum of their seats is used.
  std::int64_t seats = 0;
  /// Seats per group name (fixed mode); groups not named get 0.
  std::map<std::string, std::int64_t> fixed{};
  apportion_method method = apportion_method::largest_remainder;
  /// Apportionment weights by group name; empty: the number of nominees of each group.
  std::map<std::string, double> weights{};
  /// Count only eligible nominees as a group's weight (when weights is empty).
  bool weigh_eligible = false;
  std::int64_t group_min = 0;
  std::optional<std::int64_t> group_max{};
  /// Cap: a group selects at most floor(cap_share × base) nominees (all levels together);
  /// base is cap_base[group] if given, else the group's number of nominees.
  std::optional<double> cap_share{};
  std::map<std::string, double> cap_base{};
  tie_policy ties = tie_policy::break_ties;
  /// Award levels in cascade; empty: one level "selected" with `seats`.
  std::vector<award_level> levels{};
  /// Seed of the lottery key (recorded in the result).
  std::uint64_t seed = 0;
};

/// The mode a policy gets when none is named: `fixed` when fixed quotas are given, `apportion`
/// when there is a group column, else `global` (the CLI and Python default alike).
[[nodiscard]] quota_mode default_quota_mode(const selection_policy& policy) noexcept;

/// The row-local data a selection needs. Build it from a pool with `make_selection_input`;
/// inputs of shards are merged with `concat`.
struct selection_input {
  /// Id and group name per row ("" when there are no groups). Both empty in the pipeline's
  /// inputs (run.hpp), which read them from `source` and the policy's group column instead.
  std::vector<std::string> ids{};
  std::vector<std::string> groups{};
  std::vector<double> score{};  ///< NaN: no score (unclassifiable)
  std::vector<std::uint8_t> eligible{};
  std::vector<std::string> ineligible_reason{};  ///< why not eligible ("" when eligible)
  std::vector<std::string> score_note{};  ///< why the score is missing ("" or empty: unknown)
  /// Tie-breaker keys, one column per `selection_policy::order` entry: each row's key is
  /// a byte string whose bytewise order is the wanted order (direction included).
  std::vector<std::vector<std::string>> keys{};
  /// The same keys stored compactly, used when `keys` is empty (the pipeline's inputs, which
  /// keep no string per row): key k of row r is bytes [offsets[r], offsets[r + 1]) of
  /// `packed_keys[k].bytes`.
  struct packed_key {
    std::string bytes{};
    std::vector<std::uint64_t> offsets{};  ///< one per row, plus the end
    /// When not empty (the pipeline's inputs, where few rows need a key): bit r%64 of
    /// `present[r/64]` is set where row r has a key (the others' keys are empty), and
    /// `present_before[w]` counts the set bits of the words before w; `offsets` then has one
    /// entry per row with a key, plus the end (8 bytes per keyed row, not per row).
    std::vector<std::uint64_t> present{};
    std::vector<std::uint32_t> present_before{};
  };
  std::vector<packed_key> packed_keys{};
  /// The pool the input was made from (shared storage), so that reasons can quote the values
  /// of the tie-breaker that decided a cut-off. Absent after `concat` (reasons then name the
  /// tie-breaker without its values).
  std::optional<pool> source{};
  /// Keys were encoded only where rows tie (`make_selection_input(..., keys_where_tied)`):
  /// valid for selecting this input, not for `concat` with other shards.
  bool partial_keys = false;

  [[nodiscard]] std::size_t size() const noexcept { return score.size(); }
};

/// Extracts the selection input of `p`: the group column, the scores (rounded half away from
/// zero at 6 decimals, so that totals equal on paper tie exactly: 8,7 + 8,1 + 8,7 over 3 is
/// 8,5), the eligibility and the
/// reasons of ineligible rows (empty spans: everyone eligible), and the encoded tie-breakers.
/// With `keys_where_tied`, a tie-breaker is encoded only for eligible rows with a total that
/// are still tied with another such row on the total and the keys before it (the Vietnamese
/// collation keys of names are the costly ones): the selection is the same, the input cannot
/// be merged with other shards.
/// \throws schema_error for unknown or unsuitable columns; spec_error for length mismatches.
[[nodiscard]] selection_input make_selection_input(
    const pool& p, std::span<const double> score, std::span<const std::uint8_t> eligible,
    const std::vector<std::string>& ineligible_reason, const selection_policy& policy,
    const std::vector<std::string>& score_note = {}, bool keys_where_tied = false);

/// The rows of several inputs together (e.g. shards of one pool).
[[nodiscard]] selection_input concat(const std::vector<selection_input>& parts);

/// Why a nominee is where it is.
enum class selection_status : std::uint8_t {
  selected,
  ineligible,     ///< a rule rejected it
  no_score,       ///< no total score (unclassifiable)
  below_minimum,  ///< total below the policy's (or the level's) minimum
  outside_quota,  ///< ranked below its group's cut-off
  tied_out,       ///< tied with the cut-off and excluded by tie policy `exclude`
  capped,         ///< within its group's seats but over the group's cap (`cap_share`)
};
[[nodiscard]] std::string_view to_string(selection_status s) noexcept;

/// Seats and cut-off of one group at one level.
struct group_outcome {
  std::string group{};
  std::string level{};
  std::int64_t nominees = 0;  ///< rows of the group
  std::int64_t eligible = 0;  ///< eligible rows with a score at or above the minimum
  std::int64_t quota = 0;     ///< seats given to the group at this level (after caps)
  std::int64_t selected = 0;  ///< nominees selected (differs from quota by ties or shortage)
  std::int64_t cap = -1;      ///< the group's cap over all levels (-1: no cap)
  double cutoff = std::numeric_limits<double>::quiet_NaN();  ///< lowest selected score
};

/// The result: one entry per input row (in input order) plus one per group and level.
struct selection {
  std::vector<std::string> ids{};
  std::vector<std::string> groups{};
  std::vector<double> score{};
  std::vector<std::uint32_t> rank{};        ///< 1-based among ranked rows; 0 when not ranked
  std::vector<std::uint32_t> group_rank{};  ///< 1-based within the group; 0 when not ranked
  std::vector<std::uint8_t> selected{};
  std::vector<std::int32_t> level{};  ///< index into `levels`, -1 when not selected
  std::vector<selection_status> status{};
  std::vector<double> gap{};  ///< points missing to the cut-off/minimum (NaN: n/a)
  /// Human-readable, in Vietnamese, with numbers as Vietnamese documents write them (65,58).
  /// A nominee beaten at the cut-off by a tie-breaker is told which one and both values.
  std::vector<std::string> reason{};
  std::vector<std::string> levels{};
  std::vector<group_outcome> outcomes{};  ///< per level, per group (Vietnamese order)
  std::uint64_t lottery_seed = 0;

  [[nodiscard]] std::size_t size() const noexcept { return score.size(); }
  /// Number of selected rows.
  [[nodiscard]] std::size_t selected_count() const noexcept;
};

/// Checks every numeric and named option of `policy` (NaN, infinities, negatives, integer
/// overflow, empty or duplicate level names, fixed quotas for unknown groups) and, when
/// `schema` is given, the group and tie-breaker columns (present, of a usable type, with
/// "did you mean"). Returns every problem found (empty: valid); each names its option in
/// `location::field`. O(options + columns).
[[nodiscard]] std::vector<error_info> check_policy(const selection_policy& policy,
                                                   const pool* schema = nullptr);

/// Selects from `input` by `policy`. Deterministic: the same rows in any order give the same
/// per-row results. Complexity O(n · keys) (radix sort on encoded keys) plus O(groups).
/// \throws spec_error for an invalid policy (every problem `check_policy` finds, together) or
/// one the data makes infeasible (apportionment bounds, fixed quotas naming unknown groups).
[[nodiscard]] selection select(const selection_input& input, const selection_policy& policy);

/// The result as a pool (id, group, score, rank, group_rank, selected, level, status, gap,
/// reason), one row per input row, in input order.
[[nodiscard]] pool to_pool(const selection& s, std::string_view per = "group");

/// A text summary: seats and cut-off per group and level, and totals.
[[nodiscard]] std::string format_outcomes(const selection& s);

}  // namespace khuyenhoc
