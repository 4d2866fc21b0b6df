#pragma once
/// \file summary.hpp
/// Per-group summaries of a pool (e.g. per district): counts and one statistic per chosen column.

#include <string>
#include <string_view>
#include <vector>

#include "khuyenhoc/pool.hpp"

namespace khuyenhoc {

/// One statistic of one column, per group.
struct summary_measure {
  /// "mean" (number, integer), "share" (boolean: share true), "distinct" (category: distinct
  /// values), "mode" (category: most frequent value and its share), "nonempty" (list: share of
  /// non-empty lists), "missing" (any: share missing).
  std::string stat;
  std::string column;
};

/// Parses "stat:column", or a bare column name with the default statistic for its type
/// (mean, share, distinct, nonempty; text and date columns: missing).
/// \throws schema_error for an unknown column (with suggestions), spec_error for a statistic
/// that does not fit the column's type.
[[nodiscard]] summary_measure parse_summary_measure(const pool& p, std::string_view spec);

/// A summary table: one row per group (sorted in Vietnamese alphabetical order), then a total.
struct group_summary {
  std::string by;
  std::vector<summary_measure> measures;
  std::vector<std::string> groups;               ///< group names; "" for missing group
  std::vector<std::size_t> counts;               ///< rows per group
  std::vector<std::vector<std::string>> values;  ///< [group][measure] formatted statistic
  std::size_t total = 0;                         ///< rows in all (= pool size)
  std::vector<std::string> total_values;         ///< statistic over the whole pool
};

/// Summarises `p` by the category column `by`. Every row is counted in exactly one group (a
/// missing group value forms the group "(trống)"). O(rows × measures).
/// \throws schema_error if `by` is not a category column.
[[nodiscard]] group_summary summarize(const pool& p, std::string_view by,
                                      const std::vector<summary_measure>& measures);

/// Renders the summary as an aligned text table (widths counted in code points).
[[nodiscard]] std::string format_summary(const group_summary& s);

}  // namespace khuyenhoc
