#pragma once
// Private to the library: a selection whose per-row strings (ids, groups, reasons) are not
// materialised. `select` records what it needs to explain each row (group codes, cut-offs,
// the row each group's last seat went to, which tie-breaker decided); the reason of a row is
// rendered from that when it is written (run.cpp's streaming formatter) or asked for.

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "khuyenhoc/selection.hpp"

namespace khuyenhoc::detail {

/// What `select` recorded to explain each row.
struct selection_explainer {
  std::vector<std::string> group_names{};  ///< by group code (Vietnamese order)
  std::vector<std::int32_t> gcode{};       ///< group code per row
  std::vector<double> last_cutoff{};       ///< per group
  std::vector<std::uint32_t> last_boundary{};
  std::vector<std::int64_t> cap_total{};
  /// Rows outside the quota, equal on score with their group's last seat: the index of the
  /// order key that decided (keys.size(): the id).
  std::unordered_map<std::uint32_t, std::uint32_t> decided_by{};
};

/// A selection input without per-row copies: ids are read from `source` (the pool), groups from
/// its `policy.per` column, and no ineligibility reasons are stored (`ineligible_reason` is
/// empty; a caller renders them when needed). Otherwise as make_selection_input. `threads`
/// workers encode it (0: all cores); the input does not depend on it.
[[nodiscard]] selection_input make_lean_selection_input(const pool& p,
                                                        std::span<const double> score,
                                                        std::span<const std::uint8_t> eligible,
                                                        const selection_policy& policy,
                                                        const std::vector<std::string>& score_note,
                                                        unsigned threads = 0);

/// Selects as `select`, without filling `ids`, `groups` and `reason` of the result (`size()`
/// is that of `score`); `explain` receives what `append_reason` needs. `threads` workers order
/// the runs of tied scores (0: all cores); the result does not depend on it.
[[nodiscard]] selection select_lean(const selection_input& in, const selection_policy& policy,
                                    selection_explainer& explain, unsigned threads = 0);

/// Appends the reason of row `r` (the text `select` puts in `selection::reason`). For an
/// ineligible row, `ineligible` is the rules' text, for a row without a score `note` says why
/// (empty: none; used when the input stores no reasons or notes).
void append_reason(std::string& out, const selection_input& in, const selection& s,
                   const selection_policy& policy, const selection_explainer& x, std::size_t r,
                   std::string_view ineligible, std::string_view note = {});

/// Order key `k` of row `r` of an input (from `keys` or `packed_keys`).
[[nodiscard]] std::string_view input_key(const selection_input& in, std::size_t k, std::size_t r);
/// packed_index's answer for a row without the key.
inline constexpr std::uint64_t no_packed_key = std::numeric_limits<std::uint64_t>::max();
/// Where row r's key is among `packed`'s keys, which keep only the rows that have one (its
/// `present` bits must not be empty), or no_packed_key when the row has none.
[[nodiscard]] std::uint64_t packed_index(const selection_input::packed_key& packed, std::size_t r);
/// Number of order keys of an input.
[[nodiscard]] std::size_t input_key_count(const selection_input& in);

/// The id of row `r` of an input (stored, or read from its source pool).
[[nodiscard]] std::string_view input_id(const selection_input& in, std::size_t r);

/// The group of row `r` of an input (stored, or read from its source pool's `per` column).
[[nodiscard]] std::string_view input_group(const selection_input& in, std::string_view per,
                                           std::size_t r);

}  // namespace khuyenhoc::detail
