#pragma once
/// \file criteria.hpp
/// Criteria scoring (bộ tiêu chí): a tree of criteria (tiêu chí) holding indicators (chỉ tiêu)
/// that turn pool columns into points; classification into ordered levels (xếp loại); a review
/// council's scores aggregated (Hội đồng xét duyệt); MCDA normalisation, weighted sum and TOPSIS.
///
/// Life cycle (as cel-cpp): `criteria_spec` (plain data, from YAML/JSON or built in C++) →
/// `criteria_set` (validated; schema-independent) → `compiled_criteria` (bound to a pool's
/// schema: columns and kinds checked) → `score(pool)` → `score_table`. Compiled objects are
/// immutable; `score` is `const`, thread-safe, checks nothing per row, and gives identical
/// results at any thread count (rows are split into chunks whose results are written by
/// position; every per-row sum runs in the same fixed order).
///
/// Indicators read one pool column, or an expression of the rule language (`value`, compiled
/// once against the schema with the set's parameters, evaluated into a column and scored by the
/// same kernels). Points, subtotals and totals are rounded half up to the set's `precision`, so
/// totals equal on paper are equal doubles. The format and the semantics are documented in
/// docs/criteria.md.

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "khuyenhoc/detail/decimal.hpp"
#include "khuyenhoc/detail/memory.hpp"
#include "khuyenhoc/detail/parallel.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/pool.hpp"
#include "khuyenhoc/rules.hpp"

namespace khuyenhoc {

// ---------------------------------------------------------------------------------------------
// The specification (plain data)
// ---------------------------------------------------------------------------------------------

/// How an indicator turns a value into points.
enum class indicator_kind : std::uint8_t {
  bands,     ///< step thresholds or ranges (number/integer column)
  linear,    ///< min..max mapped onto 0..points, clamped (number/integer column)
  map,       ///< category → points (category column)
  per_item,  ///< points per list element, optionally per kind by prefix (list column)
  boolean,   ///< met → points (boolean column)
};

/// What a missing input value does to an indicator.
enum class missing_policy : std::uint8_t {
  zero,   ///< 0 points, nothing else
  fail,   ///< 0 points and the nominee is unclassifiable (the default)
  error,  ///< `score` throws data_error naming the first such row
};

/// "bands", "linear", "map", "per_item", "boolean".
[[nodiscard]] std::string_view to_string(indicator_kind kind) noexcept;
/// "zero", "fail", "error".
[[nodiscard]] std::string_view to_string(missing_policy policy) noexcept;

/// One band of a `bands` indicator: the values in [lower, upper] (each end inclusive or not)
/// score `points`. Step forms (`at_least`, `at_most`) are converted to ranges when parsed.
struct band_spec {
  double lower = -std::numeric_limits<double>::infinity();
  bool lower_inclusive = true;
  double upper = std::numeric_limits<double>::infinity();
  bool upper_inclusive = true;
  double points = 0;
  location where{};  ///< where the band was written
};

/// One entry of a `map` indicator.
struct map_entry {
  std::string key{};
  double points = 0;
  location where{};
};

/// One kind of list item of a `per_item` indicator: items starting with `prefix` score
/// `points` each (the first matching kind wins).
struct item_kind {
  std::string prefix{};
  double points = 0;
  location where{};
};

/// An indicator (chỉ tiêu): reads `column` (or the expression `value`) and scores it by `kind`.
struct indicator_spec {
  std::string id{};
  std::string name{};
  std::string column{};  ///< the pool column read ("" when `value` is given)
  /// An expression of the rule language scored instead of a column (`avg(toan, van, anh)`,
  /// `count(prizes, date_of(it) between window_start and window_end)`): a number for bands and
  /// linear, a boolean for boolean. Compiled once with the set's parameters; its values are
  /// rounded to 6 decimals.
  std::string value{};
  location value_where{};  ///< where `value` was written (expression errors point into it)
  indicator_kind kind = indicator_kind::bands;
  double weight = 1;                   ///< multiplies the capped points
  std::optional<double> max_points{};  ///< cap on the raw points
  bool mandatory = false;              ///< must pass for any level above the lowest
  std::optional<double> pass{};        ///< pass when points ≥ pass; default points > 0
  missing_policy missing = missing_policy::fail;
  std::vector<band_spec> bands{};  ///< bands: non-overlapping, listed in order
  double otherwise = 0;            ///< bands: points of values in no band
  double min = 0;                  ///< linear: value scoring 0
  double max = 0;                  ///< linear: value scoring `points`
  double points = 0;               ///< linear: full points; per_item: per other item;
                                   ///< boolean: points when met
  std::vector<map_entry> map{};    ///< map: category → points
  double other = 0;                ///< map: points of a category not in `map`
  std::vector<item_kind> kinds{};  ///< per_item: kinds by prefix
  bool when = true;                ///< boolean: the value that meets the indicator
  location where{};                ///< where the indicator was written
};

/// A criterion (tiêu chí): a node holding indicators and sub-criteria, any depth.
struct criterion_spec {
  std::string id{};
  std::string name{};
  double weight = 1;
  std::optional<double> max_points{};  ///< cap on the sum of the children
  bool mandatory = false;
  std::optional<double> pass{};
  std::vector<indicator_spec> indicators{};
  std::vector<criterion_spec> criteria{};
  location where{};
};

/// A classification level (xếp loại). Listed from the highest; the last is the lowest and
/// takes everyone classifiable who reaches no other level (its `min` is ignored).
struct level_spec {
  std::string code{};                  ///< short code, e.g. "xuat_sac"
  std::string name{};                  ///< display name, e.g. "Xuất sắc"
  std::optional<double> min{};         ///< total needed (required on every level but the last)
  std::vector<std::string> require{};  ///< ids of nodes that must also pass for this level
  location where{};
};

/// A whole criteria set (bộ tiêu chí).
struct criteria_spec {
  std::string id{};
  std::string name{};
  std::string source{};  ///< the kind of document it follows
  std::string description{};
  std::string version{};               ///< the set's own version, e.g. "2024.1" ("" if none)
  std::optional<double> max_points{};  ///< cap on the total
  /// Decimal places (0..6) at which indicator points, subtotals and totals are rounded half up
  /// before they leave the scorer, so totals equal on paper are the same double.
  int precision = detail::max_decimal_places;
  std::vector<parameter> params{};  ///< `params:` usable by name in `value` expressions
  std::vector<criterion_spec> criteria{};
  std::vector<indicator_spec> indicators{};  ///< indicators directly under the set
  std::vector<level_spec> levels{};
  location where{};
};

/// Parses a criteria set from YAML or JSON text; `file` names the text in errors.
/// Checks the shape only (keys, types); `criteria_set` validates the rest.
/// \throws parse_error for malformed YAML, spec_error (file:line:column, key) for a bad shape.
[[nodiscard]] criteria_spec parse_criteria_yaml(std::string_view text,
                                                const std::string& file = "<string>");
/// Reads and parses a YAML or JSON file. \throws error subclasses as parse_criteria_yaml.
[[nodiscard]] criteria_spec load_criteria_yaml(const std::string& path);

// ---------------------------------------------------------------------------------------------
// Compiled form and results
// ---------------------------------------------------------------------------------------------

namespace detail {

/// `fired` code of a missing input.
inline constexpr std::int16_t fired_missing = std::numeric_limits<std::int16_t>::min();
/// Comparisons with level thresholds and `pass` tolerate this much rounding.
inline constexpr double tolerance = 1e-9;

struct compiled_indicator {
  std::string id, name, column;
  indicator_kind kind = indicator_kind::bands;
  double weight = 1;
  double cap = std::numeric_limits<double>::infinity();
  bool mandatory = false;
  std::optional<double> pass;
  missing_policy missing = missing_policy::fail;
  std::int32_t parent = -1;  // criterion index, -1 = the set
  // bands: sorted bounds; segment s lies between bounds s-1 and s.
  std::vector<double> bounds;
  std::vector<std::uint8_t> strict;    // 1: passing bound j means x > bounds[j]; 0: x >= bounds[j]
  std::vector<double> segment_points;  // final points (capped, weighted)
  std::vector<std::int16_t> segment_band;  // band index or -1
  std::vector<band_spec> bands;
  double otherwise = 0;
  // linear
  double lo = 0, hi = 0, full = 0;
  // map
  std::vector<map_entry> map;
  double other = 0;
  // per_item
  std::vector<item_kind> kinds;
  double item_points = 0;
  // boolean
  bool when = true;
  std::int32_t derived = -1;  // index into compiled_data::derived when `value` is an expression
  location where;

  /// Final points (after cap and weight) of raw points.
  [[nodiscard]] double finish(double raw) const noexcept { return weight * std::min(cap, raw); }
};

struct compiled_criterion {
  std::string id, name;
  double weight = 1;
  double cap = std::numeric_limits<double>::infinity();
  bool mandatory = false;
  std::optional<double> pass;
  std::vector<std::uint32_t> indicators;  // children
  std::vector<std::uint32_t> criteria;    // children (indices smaller than this one's)
  std::int32_t parent = -1;
  location where;
};

struct compiled_level {
  std::string code, name;
  double min = 0;
  bool lowest = false;
  std::vector<std::uint32_t> require_indicators, require_criteria;
};

struct compiled_data {
  std::string id, name, version;
  std::vector<compiled_indicator> indicators;  // depth-first order of the spec
  std::vector<compiled_criterion> criteria;    // post-order: children before parents
  std::vector<std::uint32_t> top_indicators, top_criteria;
  double total_cap = std::numeric_limits<double>::infinity();
  std::vector<compiled_level> levels;
  std::vector<std::string> indicator_ids, indicator_names, criterion_ids, criterion_names,
      level_codes, level_names;
  std::vector<std::pair<std::string, column_type>> schema;  // column read by each indicator
  int precision = max_decimal_places;                       // places of points and totals
  std::vector<expression> derived;  // `value` expressions; their column is named by the text
};

/// `p` with a column per derived `value` expression of `cd` (named by its text, values rounded
/// to 6 decimals); `p` itself when there is none.
[[nodiscard]] pool with_derived(const compiled_data& cd, const pool& p, unsigned threads);

/// True when `points` passes the node's threshold (default: > 0).
[[nodiscard]] inline bool passes(double points, const std::optional<double>& pass) noexcept {
  return pass ? points >= *pass - tolerance : points > 0;
}

struct score_data;

}  // namespace detail

/// How `score` runs.
struct score_options {
  /// Worker threads; 0 = hardware concurrency. Results do not depend on it.
  unsigned threads = 0;
  /// Rows per chunk (the unit of work; keeps a chunk's columns in cache).
  std::size_t chunk_rows = 16384;
  /// Whether the table stores the per-indicator breakdown (`points()`, `subtotals()`,
  /// `fired()`: N·(10·K + 8·C) bytes). false keeps only what ranking and classification need
  /// (totals, levels, unclassifiable, mandatory_met, reasons: 16 bytes per row); the breakdown
  /// is then computed from the same pool and compiled set, by the same kernel, when first asked
  /// for (`points()`, `subtotals()`, `fired()`: the whole table; `explain(row)`: that row only),
  /// so the numbers are bit-identical either way.
  bool breakdown = true;
};

/// One indicator's part of an explanation.
struct indicator_explanation {
  std::string id{}, name{}, column{}, criterion{};  ///< criterion: parent id ("" = the set)
  indicator_kind kind = indicator_kind::bands;
  std::string input{};  ///< the input value as in a CSV cell ("" when missing)
  bool missing = false;
  std::int16_t fired = 0;  ///< band/entry index (-1: none), linear 0/1/2, item count, 0/1
  std::string rule{};      ///< the rule that fired, in words
  double raw_points = 0;   ///< before cap and weight
  std::optional<double> cap{};
  bool capped = false;
  double weight = 1;
  double points = 0;  ///< as in `score_table::points()`
  bool mandatory = false;
  bool passed = true;  ///< meets its pass threshold (meaningful when mandatory)
};

/// One criterion's part of an explanation.
struct criterion_explanation {
  std::string id{}, name{}, parent{};
  double sum = 0;  ///< sum of the children's points
  std::optional<double> cap{};
  bool capped = false;
  double weight = 1;
  double points = 0;  ///< as in `score_table::subtotals()`
  bool mandatory = false;
  bool passed = true;
};

/// Why a nominee got its score, built from what the kernels stored (no re-evaluation).
struct explanation {
  std::string id{};
  std::size_t row = 0;
  double total = 0;
  double uncapped_total = 0;
  bool total_capped = false;
  int level = -1;  ///< index into the levels; -1 when unclassifiable
  std::string level_code{}, level_name{};
  bool unclassifiable = false;
  std::string reason{};
  bool mandatory_met = true;
  std::vector<indicator_explanation> indicators{};
  std::vector<criterion_explanation> criteria{};
  /// A readable multi-line account (Vietnamese names, English structure).
  [[nodiscard]] std::string str() const;
};

class compiled_criteria;

/// The result of scoring a pool: columnar, immutable, cheap to copy (storage shared).
class score_table {
 public:
  score_table() = default;
  /// Number of rows (nominees), indicators (K) and criteria (C).
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] std::size_t indicator_count() const noexcept;
  [[nodiscard]] std::size_t criterion_count() const noexcept;
  /// Points per indicator, N×K column-major, after each indicator's cap and weight.
  /// A table scored without the breakdown (`score_options::breakdown`) computes it on the first
  /// call of `points()`, `subtotals()` or `fired()` (thread-safe; once). \throws std::bad_alloc
  [[nodiscard]] Eigen::Map<const Eigen::MatrixXd> points() const;
  /// Points per criterion, N×C column-major, after caps and weights (criteria in post-order,
  /// as `criterion_ids()`). Computed on first use as `points()`.
  [[nodiscard]] Eigen::Map<const Eigen::MatrixXd> subtotals() const;
  /// Total per row, after the set's cap.
  [[nodiscard]] Eigen::Map<const Eigen::VectorXd> total() const noexcept;
  /// What fired per row and indicator, N×K column-major (see indicator_explanation::fired);
  /// detail::fired_missing for a missing input. Computed on first use as `points()`.
  [[nodiscard]] std::span<const std::int16_t> fired() const;
  /// Whether the per-indicator breakdown is stored (scored with it, or computed since).
  [[nodiscard]] bool has_breakdown() const noexcept;
  /// Level index per row (0 = highest), -1 when unclassifiable.
  [[nodiscard]] std::span<const std::int16_t> level() const noexcept;
  /// 1 where the nominee cannot be classified (an input with `missing: fail` is missing).
  [[nodiscard]] std::span<const std::uint8_t> unclassifiable() const noexcept;
  /// 1 where every mandatory indicator and criterion passes.
  [[nodiscard]] std::span<const std::uint8_t> mandatory_met() const noexcept;
  /// Index of the first indicator that made the row unclassifiable, or -1.
  [[nodiscard]] std::span<const std::int32_t> reason_indicator() const noexcept;
  /// Why row `row` is unclassifiable ("" when it is not). O(1).
  [[nodiscard]] std::string reason(std::size_t row) const;
  /// Explanation of row `row` (precondition: row < size()). O(K + C).
  [[nodiscard]] explanation explain(std::size_t row) const;
  /// Explanation of the nominee `id`. \throws data_error when the id is not in the pool.
  [[nodiscard]] explanation explain(std::string_view id) const;
  /// The compiled set that produced the table.
  [[nodiscard]] const compiled_criteria& criteria() const noexcept;
  /// The pool that was scored (shared storage).
  [[nodiscard]] const pool& scored_pool() const noexcept;
  /// Keeps every array of the table alive (for zero-copy export).
  [[nodiscard]] std::shared_ptr<const void> owner() const noexcept { return data_; }

 private:
  friend class compiled_criteria;
  std::shared_ptr<detail::score_data> data_;
};

/// A criteria set bound to a pool schema: every column found and of the right type, every
/// table built. Immutable; `score` is thread-safe.
class compiled_criteria {
 public:
  compiled_criteria() = default;
  explicit compiled_criteria(std::shared_ptr<const detail::compiled_data> data)
      : data_(std::move(data)) {}

  /// Scores every row of `p`, which must have the schema compiled against (same columns with
  /// the same types; dictionaries may differ). O(N·(K + C)), parallel over row chunks.
  /// \throws schema_error when a column is absent or of another type;
  ///         data_error for a missing value under `missing: error` (the first such row).
  [[nodiscard]] score_table score(const pool& p, const score_options& options = {}) const;

  /// Indicator ids and names (the columns of `points()`): the set's own indicators, then each
  /// criterion's indicators followed by its sub-criteria's, depth first.
  /// Precondition for these accessors: the object was compiled (not default-constructed).
  [[nodiscard]] const std::vector<std::string>& indicator_ids() const {
    return data_->indicator_ids;
  }
  [[nodiscard]] const std::vector<std::string>& indicator_names() const {
    return data_->indicator_names;
  }
  /// Criterion ids in post-order (the columns of `subtotals()`).
  [[nodiscard]] const std::vector<std::string>& criterion_ids() const {
    return data_->criterion_ids;
  }
  [[nodiscard]] const std::vector<std::string>& criterion_names() const {
    return data_->criterion_names;
  }
  /// Level codes and names, from the highest (index = `score_table::level()` value).
  [[nodiscard]] const std::vector<std::string>& level_codes() const { return data_->level_codes; }
  [[nodiscard]] const std::vector<std::string>& level_names() const { return data_->level_names; }
  /// Internal compiled form (read-only).
  [[nodiscard]] const detail::compiled_data& data() const noexcept { return *data_; }

 private:
  std::shared_ptr<const detail::compiled_data> data_;
};

/// A validated criteria set, not yet bound to a pool. Immutable, cheap to copy.
class criteria_set {
 public:
  /// Validates `spec`: unique non-empty ids, finite non-negative weights and points, caps > 0,
  /// bands in order and not overlapping, linear min ≠ max, map keys distinct, levels ordered.
  /// \throws spec_error naming file, line and key.
  explicit criteria_set(criteria_spec spec);
  /// Parses YAML or JSON text and validates it (`file` names it in messages). The same names in
  /// every door: `from_text(text)` and `from_file(path)` here, in Python (`CriteriaSet`,
  /// `Rules`) and for rule sets (`rule_set_spec::from_text`/`from_file`).
  /// \throws parse_error, spec_error.
  [[nodiscard]] static criteria_set from_text(std::string_view text,
                                              const std::string& file = "<string>") {
    return from_yaml(text, file);
  }
  /// The same as from_text (the earlier name, kept). \throws parse_error, spec_error.
  [[nodiscard]] static criteria_set from_yaml(std::string_view text,
                                              const std::string& file = "<string>");
  /// Reads, parses and validates a file. \throws parse_error, spec_error.
  [[nodiscard]] static criteria_set from_file(const std::string& path);

  [[nodiscard]] const criteria_spec& spec() const noexcept { return *spec_; }
  /// Binds the set to `schema`'s columns. O(K + dictionary sizes).
  /// \throws schema_error (unknown column, with suggestions; wrong type for the kind).
  [[nodiscard]] compiled_criteria compile(const pool& schema) const;
  /// compile(p).score(p, options).
  [[nodiscard]] score_table score(const pool& p, const score_options& options = {}) const {
    return compile(p).score(p, options);
  }

 private:
  std::shared_ptr<const criteria_spec> spec_;
};

namespace detail {

/// Uninitialised storage for n trivially copyable T. Result arrays are written in full by the
/// kernels, so zeroing them first would only touch every page twice; large ones are 2 MiB
/// aligned and advised as huge pages where they pay (huge_pages_pay) (for a million rows × 30
/// indicators the page faults of 4 KiB pages cost more than the scoring itself).
template <class T>
class big_array {
 public:
  big_array() = default;
  explicit big_array(std::size_t n) : size_(n) {
    void* p = detail::allocate_uninitialized(std::max<std::size_t>(n, 1) * sizeof(T));
    data_.reset(static_cast<T*>(p));
  }
  [[nodiscard]] T* data() noexcept { return data_.get(); }
  [[nodiscard]] const T* data() const noexcept { return data_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return data_.get()[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_.get()[i]; }

 private:
  struct freer {
    void operator()(T* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<T, freer> data_;
  std::size_t size_ = 0;
};

// Per-pool tables of an indicator (dictionary codes → points).
struct bound_indicator {
  const column* col = nullptr;
  std::vector<double> table;  // map: final points rounded to the precision; per_item: raw points
  std::vector<std::int16_t> which;  // map: entry index or -1
};

struct score_data {
  std::shared_ptr<const compiled_data> compiled;
  compiled_criteria criteria;
  pool scored;
  std::vector<bound_indicator> bound;  // the tables the kernel scored with (for the breakdown)
  score_options options;
  std::size_t rows = 0;
  big_array<double> total;  // N
  big_array<std::int16_t> level;
  big_array<std::uint8_t> unclassifiable, mandatory_met;
  big_array<std::int32_t> reason;
  // The breakdown: stored when scored with it, else computed once when asked (breakdown()).
  big_array<double> points, subtotals;  // column-major N×K, N×C
  big_array<std::int16_t> fired;        // column-major N×K
  bool stored = false;                  // the breakdown was scored with the table
  std::once_flag breakdown_once;
  std::atomic<bool> computed{false};  // the breakdown is in points/subtotals/fired
};

/// The breakdown of a table, computed on the first call when it was scored without it.
/// Thread-safe. \throws std::bad_alloc
void ensure_breakdown(score_data& data);

/// Where score_chunk writes a chunk of n rows: indicator k's value of the chunk's row i at
/// points/fired[k·stride + i], criterion c's at subtotals[c·sub_stride + i], the rest at [i].
/// The arrays of the whole table (stride = N) or a chunk's scratch (stride = n).
struct chunk_sink {
  double* points = nullptr;
  std::int16_t* fired = nullptr;
  std::size_t stride = 0;
  double* subtotals = nullptr;
  std::size_t sub_stride = 0;
  double* total = nullptr;
  std::int16_t* level = nullptr;
  std::uint8_t* unclassifiable = nullptr;
  std::uint8_t* mandatory_met = nullptr;
  std::int32_t* reason = nullptr;
};

/// Per-thread scratch of score_chunk: an integer column widened, band counts, and (totals
/// only) the chunk's breakdown.
struct chunk_scratch {
  std::vector<double> widened, segment;
  std::vector<std::uint16_t> count;
  std::vector<double> points, subtotals;
  std::vector<std::int16_t> fired;
};

/// bands: counts the bounds each value passes (the bounds are few; each pass is one
/// vectorisable loop), then looks the segment up. NaN passes none and is marked missing.
inline void bands_kernel(const compiled_indicator& ci, const double* sp, const double* x,
                         std::size_t n, double* points, std::int16_t* fired, std::uint16_t* count) {
  std::fill(count, count + n, std::uint16_t{0});
  for (std::size_t j = 0; j < ci.bounds.size(); ++j) {
    const double a = ci.bounds[j];
    if (ci.strict[j] != 0) {
      for (std::size_t i = 0; i < n; ++i)
        count[i] = static_cast<std::uint16_t>(count[i] + (x[i] > a));
    } else {
      for (std::size_t i = 0; i < n; ++i)
        count[i] = static_cast<std::uint16_t>(count[i] + (x[i] >= a));
    }
  }
  const std::int16_t* sb = ci.segment_band.data();
  for (std::size_t i = 0; i < n; ++i) {
    const bool missing = std::isnan(x[i]);
    points[i] = missing ? 0.0 : sp[count[i]];
    fired[i] = missing ? fired_missing : sb[count[i]];
  }
}

/// linear: full · clamp((x − lo) / (hi − lo), 0, 1), then cap and weight.
inline void linear_kernel(const compiled_indicator& ci, const double* x, std::size_t n,
                          double* points, std::int16_t* fired) {
  const double inv = 1.0 / (ci.hi - ci.lo);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = (x[i] - ci.lo) * inv;
    const double c = std::clamp(t, 0.0, 1.0);
    const bool missing = std::isnan(x[i]);
    points[i] = missing ? 0.0 : ci.finish(ci.full * c);
    fired[i] =
        missing ? fired_missing : static_cast<std::int16_t>(t <= 0.0 ? 0 : (t >= 1.0 ? 2 : 1));
  }
}

/// Scores rows [begin, end) of every indicator, criterion, total and level into `out` (see
/// chunk_sink): the one place of the scoring arithmetic, whether the breakdown is kept or not.
/// A missing input under `missing: error` lowers first_error_row/indicator.
inline void score_chunk(const compiled_data& cd, const std::vector<bound_indicator>& bound,
                        const chunk_sink& out, std::size_t begin, std::size_t end,
                        chunk_scratch& scratch, std::size_t& first_error_row,
                        std::int32_t& first_error_indicator) {
  const std::size_t n = end - begin;
  const std::size_t stride = out.stride;
  const std::size_t sub_stride = out.sub_stride;
  scratch.widened.resize(n);
  scratch.count.resize(n);
  std::fill(out.reason, out.reason + n, std::int32_t{-1});
  std::fill(out.unclassifiable, out.unclassifiable + n, std::uint8_t{0});
  for (std::size_t k = 0; k < cd.indicators.size(); ++k) {
    const compiled_indicator& ci = cd.indicators[k];
    const bound_indicator& bi = bound[k];
    const column& c = *bi.col;
    double* pts = out.points + k * stride;
    std::int16_t* fired = out.fired + k * stride;
    switch (ci.kind) {
      case indicator_kind::bands:
      case indicator_kind::linear: {
        const double* x = nullptr;
        if (c.type() == column_type::number) {
          x = c.numbers().data() + begin;
        } else {  // integer: widen, missing as NaN
          const std::int64_t* v = c.integers().data() + begin;
          const std::uint8_t* ok = c.validity().data() + begin;
          for (std::size_t i = 0; i < n; ++i)
            scratch.widened[i] =
                ok[i] != 0 ? static_cast<double>(v[i]) : std::numeric_limits<double>::quiet_NaN();
          x = scratch.widened.data();
        }
        if (ci.kind == indicator_kind::bands) {
          // Each segment's points rounded once, not each row's.
          scratch.segment.resize(ci.segment_points.size());
          for (std::size_t g = 0; g < ci.segment_points.size(); ++g)
            scratch.segment[g] = round_decimal(ci.segment_points[g], cd.precision);
          bands_kernel(ci, scratch.segment.data(), x, n, pts, fired, scratch.count.data());
        } else {
          linear_kernel(ci, x, n, pts, fired);
        }
        break;
      }
      case indicator_kind::map: {
        const std::int32_t* code = c.codes().data() + begin;
        for (std::size_t i = 0; i < n; ++i) {
          const std::int32_t cc = code[i];
          pts[i] = cc < 0 ? 0.0 : bi.table[static_cast<std::size_t>(cc)];
          fired[i] = cc < 0 ? fired_missing : bi.which[static_cast<std::size_t>(cc)];
        }
        break;
      }
      case indicator_kind::per_item: {
        const std::uint32_t* off = c.list_offsets().data();
        const std::int32_t* code = c.codes().data();
        const std::uint8_t* ok = c.validity().data();
        for (std::size_t i = begin; i < end; ++i) {
          double raw = 0;
          for (std::uint32_t j = off[i]; j < off[i + 1]; ++j)
            raw += bi.table[static_cast<std::size_t>(code[j])];
          const bool missing = ok[i] == 0;
          pts[i - begin] = missing ? 0.0 : ci.finish(raw);
          fired[i - begin] =
              missing
                  ? fired_missing
                  : static_cast<std::int16_t>(std::min<std::uint32_t>(off[i + 1] - off[i], 32767U));
        }
        break;
      }
      case indicator_kind::boolean: {
        const std::uint8_t* v = c.booleans().data() + begin;
        const std::uint8_t* ok = c.validity().data() + begin;
        const std::uint8_t want = ci.when ? 1 : 0;
        const double met = round_decimal(ci.finish(ci.full), cd.precision);
        for (std::size_t i = 0; i < n; ++i) {
          const bool hit = v[i] == want;
          pts[i] = ok[i] == 0 ? 0.0 : (hit ? met : 0.0);
          fired[i] = ok[i] == 0 ? fired_missing : static_cast<std::int16_t>(hit);
        }
        break;
      }
    }
    // Bands, map and boolean points come from values rounded above (round_decimal(0) is 0).
    if (ci.kind == indicator_kind::linear || ci.kind == indicator_kind::per_item) {
      round_decimal_n(pts, n, cd.precision);
    }
    if (ci.missing != missing_policy::zero) {
      for (std::size_t i = 0; i < n; ++i) {
        if (fired[i] != fired_missing) continue;
        if (ci.missing == missing_policy::fail) {
          if (out.reason[i] < 0) {
            out.reason[i] = static_cast<std::int32_t>(k);
            out.unclassifiable[i] = 1;
          }
        } else if (begin + i < first_error_row) {
          first_error_row = begin + i;
          first_error_indicator = static_cast<std::int32_t>(k);
        }
      }
    }
  }
  // Criteria in post-order; each sum in the fixed order indicators, then sub-criteria.
  for (std::size_t c = 0; c < cd.criteria.size(); ++c) {
    const compiled_criterion& cc = cd.criteria[c];
    double* sub = out.subtotals + c * sub_stride;
    std::fill(sub, sub + n, 0.0);
    for (const auto k : cc.indicators) {
      const double* p = out.points + k * stride;
      for (std::size_t i = 0; i < n; ++i) sub[i] += p[i];
    }
    for (const auto s : cc.criteria) {
      const double* p = out.subtotals + s * sub_stride;
      for (std::size_t i = 0; i < n; ++i) sub[i] += p[i];
    }
    for (std::size_t i = 0; i < n; ++i) sub[i] = cc.weight * std::min(cc.cap, sub[i]);
    round_decimal_n(sub, n, cd.precision);
  }
  double* total = out.total;
  std::fill(total, total + n, 0.0);
  for (const auto k : cd.top_indicators) {
    const double* p = out.points + k * stride;
    for (std::size_t i = 0; i < n; ++i) total[i] += p[i];
  }
  for (const auto s : cd.top_criteria) {
    const double* p = out.subtotals + s * sub_stride;
    for (std::size_t i = 0; i < n; ++i) total[i] += p[i];
  }
  for (std::size_t i = 0; i < n; ++i) total[i] = std::min(cd.total_cap, total[i]);
  round_decimal_n(total, n, cd.precision);
  // Mandatory nodes.
  std::uint8_t* met = out.mandatory_met;
  std::fill(met, met + n, std::uint8_t{1});
  for (std::size_t k = 0; k < cd.indicators.size(); ++k) {
    const compiled_indicator& ci = cd.indicators[k];
    if (!ci.mandatory) continue;
    const double* p = out.points + k * stride;
    for (std::size_t i = 0; i < n; ++i) met[i] &= static_cast<std::uint8_t>(passes(p[i], ci.pass));
  }
  for (std::size_t c = 0; c < cd.criteria.size(); ++c) {
    const compiled_criterion& cc = cd.criteria[c];
    if (!cc.mandatory) continue;
    const double* p = out.subtotals + c * sub_stride;
    for (std::size_t i = 0; i < n; ++i) met[i] &= static_cast<std::uint8_t>(passes(p[i], cc.pass));
  }
  // Levels: the first (highest) level whose conditions hold.
  std::int16_t* level = out.level;
  for (std::size_t i = 0; i < n; ++i) {
    if (out.unclassifiable[i] != 0 || cd.levels.empty()) {
      level[i] = -1;
      continue;
    }
    std::int16_t chosen = static_cast<std::int16_t>(cd.levels.size() - 1);
    for (std::size_t l = 0; l + 1 < cd.levels.size(); ++l) {
      const compiled_level& lv = cd.levels[l];
      if (met[i] == 0 || total[i] < lv.min - tolerance) continue;
      bool ok = true;
      for (const auto k : lv.require_indicators)
        ok = ok && passes(out.points[k * stride + i], cd.indicators[k].pass);
      for (const auto s : lv.require_criteria)
        ok = ok && passes(out.subtotals[s * sub_stride + i], cd.criteria[s].pass);
      if (ok) {
        chosen = static_cast<std::int16_t>(l);
        break;
      }
    }
    level[i] = chosen;
  }
}

/// Scratch for the per-row results of a chunk whose totals, levels, flags and reasons are not
/// kept (the table has them already): recomputing the breakdown writes them here.
struct chunk_rest {
  std::vector<double> total;
  std::vector<std::int16_t> level;
  std::vector<std::uint8_t> flags;
  std::vector<std::int32_t> reason;
  void attach(chunk_sink& sink, std::size_t n) {
    total.resize(n);
    level.resize(n);
    flags.resize(2 * n);
    reason.resize(n);
    sink.total = total.data();
    sink.level = level.data();
    sink.unclassifiable = flags.data();
    sink.mandatory_met = flags.data() + n;
    sink.reason = reason.data();
  }
};

/// Builds the per-pool tables of every indicator. \throws schema_error.
[[nodiscard]] std::vector<bound_indicator> bind(const compiled_data& cd, const pool& p);

/// The data_error thrown for a missing value under `missing: error`.
[[noreturn]] void throw_missing(const compiled_data& cd, const pool& p, std::size_t row,
                                std::int32_t indicator);

}  // namespace detail

inline score_table compiled_criteria::score(const pool& input, const score_options& options) const {
  const pool p = detail::with_derived(*data_, input, options.threads);
  const std::size_t n = p.size();
  const auto& cd = *data_;
  const std::size_t nk = cd.indicators.size(), nc = cd.criteria.size();
  auto out = std::make_shared<detail::score_data>();
  out->compiled = data_;
  out->criteria = *this;
  out->scored = p;
  out->bound = detail::bind(cd, out->scored);  // column pointers into the table's own pool
  out->options = options;
  out->rows = n;
  out->stored = options.breakdown;
  if (options.breakdown) {
    out->points = detail::big_array<double>(n * nk);
    out->subtotals = detail::big_array<double>(n * nc);
    out->fired = detail::big_array<std::int16_t>(n * nk);
  }
  out->total = detail::big_array<double>(n);
  out->level = detail::big_array<std::int16_t>(n);
  out->unclassifiable = detail::big_array<std::uint8_t>(n);
  out->mandatory_met = detail::big_array<std::uint8_t>(n);
  out->reason = detail::big_array<std::int32_t>(n);

  const std::size_t chunk = std::max<std::size_t>(options.chunk_rows, 1);
  const std::size_t chunks = (n + chunk - 1) / chunk;
  const unsigned threads = detail::worker_count(chunks, options.threads);
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> error_row(threads, none);
  std::vector<std::int32_t> error_indicator(threads, -1);
  std::vector<detail::chunk_scratch> scratch(threads);
  detail::parallel_for(chunks, options.threads, [&](std::size_t c, unsigned t) {
    const std::size_t b = c * chunk;
    const std::size_t e = std::min(n, b + chunk);
    auto& s = scratch[t];
    detail::chunk_sink sink{.total = out->total.data() + b,
                            .level = out->level.data() + b,
                            .unclassifiable = out->unclassifiable.data() + b,
                            .mandatory_met = out->mandatory_met.data() + b,
                            .reason = out->reason.data() + b};
    if (options.breakdown) {
      sink.points = out->points.data() + b;
      sink.fired = out->fired.data() + b;
      sink.stride = n;
      sink.subtotals = out->subtotals.data() + b;
      sink.sub_stride = n;
    } else {  // the chunk's breakdown in scratch that stays in cache
      s.points.resize(nk * (e - b));
      s.fired.resize(nk * (e - b));
      s.subtotals.resize(nc * (e - b));
      sink.points = s.points.data();
      sink.fired = s.fired.data();
      sink.stride = e - b;
      sink.subtotals = s.subtotals.data();
      sink.sub_stride = e - b;
    }
    detail::score_chunk(cd, out->bound, sink, b, e, s, error_row[t], error_indicator[t]);
  });
  // The lowest row with a missing `missing: error` input, whatever thread found it.
  std::size_t worst = none;
  std::int32_t which = -1;
  for (unsigned t = 0; t < threads; ++t) {
    if (error_row[t] < worst) {
      worst = error_row[t];
      which = error_indicator[t];
    }
  }
  if (worst != none) detail::throw_missing(cd, p, worst, which);
  score_table table;
  table.data_ = std::move(out);
  return table;
}

inline std::size_t score_table::size() const noexcept {
  return data_ ? data_->rows : 0;
}
inline std::size_t score_table::indicator_count() const noexcept {
  return data_ ? data_->compiled->indicators.size() : 0;
}
inline std::size_t score_table::criterion_count() const noexcept {
  return data_ ? data_->compiled->criteria.size() : 0;
}
inline Eigen::Map<const Eigen::MatrixXd> score_table::points() const {
  if (data_) detail::ensure_breakdown(*data_);
  return {data_ ? data_->points.data() : nullptr, static_cast<Eigen::Index>(size()),
          static_cast<Eigen::Index>(indicator_count())};
}
inline Eigen::Map<const Eigen::MatrixXd> score_table::subtotals() const {
  if (data_) detail::ensure_breakdown(*data_);
  return {data_ ? data_->subtotals.data() : nullptr, static_cast<Eigen::Index>(size()),
          static_cast<Eigen::Index>(criterion_count())};
}
inline bool score_table::has_breakdown() const noexcept {
  return data_ && (data_->stored || data_->computed.load(std::memory_order_acquire));
}
inline Eigen::Map<const Eigen::VectorXd> score_table::total() const noexcept {
  return {data_->total.data(), static_cast<Eigen::Index>(data_->rows)};
}
inline std::span<const std::int16_t> score_table::fired() const {
  if (data_) detail::ensure_breakdown(*data_);
  return {data_ ? data_->fired.data() : nullptr, size() * indicator_count()};
}
inline std::span<const std::int16_t> score_table::level() const noexcept {
  return {data_ ? data_->level.data() : nullptr, size()};
}
inline std::span<const std::uint8_t> score_table::unclassifiable() const noexcept {
  return {data_ ? data_->unclassifiable.data() : nullptr, size()};
}
inline std::span<const std::uint8_t> score_table::mandatory_met() const noexcept {
  return {data_ ? data_->mandatory_met.data() : nullptr, size()};
}
inline std::span<const std::int32_t> score_table::reason_indicator() const noexcept {
  return {data_ ? data_->reason.data() : nullptr, size()};
}
inline const compiled_criteria& score_table::criteria() const noexcept {
  return data_->criteria;
}
inline const pool& score_table::scored_pool() const noexcept {
  return data_->scored;
}

// ---------------------------------------------------------------------------------------------
// Panel aggregation (Hội đồng xét duyệt)
// ---------------------------------------------------------------------------------------------

/// How the judges' scores of one (nominee, indicator) are combined.
enum class panel_method : std::uint8_t {
  mean,
  median,   ///< the middle score; the mean of the two middle ones for an even count
  trimmed,  ///< mean without one highest and one lowest score (plain mean below 3 scores)
};
/// Per-judge calibration against the judge's own severity (per indicator).
enum class panel_calibration : std::uint8_t {
  none,
  /// s' = μ + σ̄·(s − μ_j)/σ_j: μ the mean of all scores of the indicator, σ̄ the mean of the
  /// judges' own (population) σ_j; σ_j = 0 → s' = μ.
  zscore,
  /// s' = m + M̃·(s − m_j)/MAD_j: m the median of all scores, M̃ the median of the judges'
  /// own MAD_j (unscaled median absolute deviation); MAD_j = 0 → s' = m.
  median_mad,
};
/// How disagreement between judges is measured.
enum class disagreement_measure : std::uint8_t { range, std };

/// Judges' scores in long form: one entry per (judge, nominee, indicator).
struct panel_scores {
  std::vector<std::string> judge{}, nominee{}, indicator{};
  std::vector<double> score{};
};

/// Options of aggregate_panel.
struct panel_options {
  panel_method method = panel_method::mean;
  std::size_t min_judges = 1;  ///< fewer judges → score NaN and `enough` 0
  panel_calibration calibration = panel_calibration::none;
  disagreement_measure measure = disagreement_measure::range;
  /// Pairs whose spread exceeds this are flagged in `disagree`.
  double threshold = std::numeric_limits<double>::infinity();
};

/// One row per (nominee, indicator), sorted by nominee then indicator (byte order).
struct panel_result {
  std::vector<std::string> nominee{}, indicator{};
  std::vector<double> score{};           ///< aggregated (calibrated) score; NaN if not enough
  std::vector<std::uint32_t> judges{};   ///< number of judges who scored the pair
  std::vector<double> spread{};          ///< range or population std of the (calibrated) scores
  std::vector<std::uint8_t> enough{};    ///< judges ≥ min_judges
  std::vector<std::uint8_t> disagree{};  ///< spread > threshold
};

/// Aggregates a council's scores. Result independent of the input order. O(M log M).
/// \throws data_error for unequal lengths, a non-finite score or a repeated
///         (judge, nominee, indicator); spec_error for a negative or NaN threshold.
[[nodiscard]] panel_result aggregate_panel(const panel_scores& scores,
                                           const panel_options& options = {});

/// Parses "mean", "median", "trimmed". \throws spec_error.
[[nodiscard]] panel_method parse_panel_method(std::string_view name);
/// Parses "none", "zscore", "median_mad". \throws spec_error.
[[nodiscard]] panel_calibration parse_panel_calibration(std::string_view name);
/// Parses "range", "std". \throws spec_error.
[[nodiscard]] disagreement_measure parse_disagreement_measure(std::string_view name);

// ---------------------------------------------------------------------------------------------
// MCDA for analysts (same numbers as pymcdm / scikit-criteria; see docs/criteria.md)
// ---------------------------------------------------------------------------------------------

/// Column normalisations. With x a column, b benefit, c cost:
/// minmax: b (x−min)/(max−min), c (max−x)/(max−min), a constant column → 1 (as pymcdm);
/// zscore: b (x−μ)/σ, c (μ−x)/σ with population σ, a constant column → 0 (as scikit-learn);
/// vector: b x/‖x‖₂, c 1 − x/‖x‖₂, an all-zero column → b 0, c 1; none: x as is.
enum class normalization : std::uint8_t { none, minmax, zscore, vector };
/// Whether more is better (benefit) or less is better (cost).
enum class objective : std::uint8_t { benefit, cost };

/// Parses "none", "minmax", "zscore", "vector". \throws spec_error.
[[nodiscard]] normalization parse_normalization(std::string_view name);

namespace detail {

inline void check_mcda(const Eigen::Ref<const Eigen::MatrixXd>& m, std::span<const objective> types,
                       const double* weights, std::size_t nweights) {
  if (static_cast<std::size_t>(m.cols()) != types.size())
    throw spec_error("MCDA: " + std::to_string(types.size()) + " criteria types for " +
                     std::to_string(m.cols()) + " columns");
  if (weights != nullptr) {
    if (nweights != types.size())
      throw spec_error("MCDA: " + std::to_string(nweights) + " weights for " +
                       std::to_string(types.size()) + " columns");
    double sum = 0;
    for (std::size_t j = 0; j < nweights; ++j) {
      if (!std::isfinite(weights[j]) || weights[j] < 0)
        throw spec_error("MCDA: weight " + std::to_string(j) + " must be finite and non-negative");
      sum += weights[j];
    }
    if (!(sum > 0)) throw spec_error("MCDA: the weights sum to 0");
  }
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      if (!std::isfinite(m(i, j)))
        throw data_error("MCDA: column " + std::to_string(j) + ", row " + std::to_string(i) +
                         ": value is missing or not finite");
    }
  }
}

/// Statistics of one column and the normalisation they define (every one is monotone in x).
struct column_normalizer {
  normalization how = normalization::none;
  bool cost = false;
  double lo = 0, hi = 0, mean = 0, sd = 0, norm = 0;

  column_normalizer(const double* x, std::size_t n, objective type, normalization h)
      : how(h), cost(type == objective::cost) {
    lo = std::numeric_limits<double>::infinity();
    hi = -lo;
    for (std::size_t i = 0; i < n; ++i) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
    if (n == 0) lo = hi = 0;
    if (how == normalization::zscore) {
      // Two passes (mean, then squared deviations), as numpy, for the same rounding.
      double sum = 0;
      for (std::size_t i = 0; i < n; ++i) sum += x[i];
      mean = n != 0 ? sum / static_cast<double>(n) : 0.0;
      double ss = 0;
      for (std::size_t i = 0; i < n; ++i) ss += (x[i] - mean) * (x[i] - mean);
      sd = n != 0 ? std::sqrt(ss / static_cast<double>(n)) : 0.0;
    } else if (how == normalization::vector) {
      double ss = 0;
      for (std::size_t i = 0; i < n; ++i) ss += x[i] * x[i];
      norm = std::sqrt(ss);
    }
  }

  /// Writes the normalised values of x[0..n).
  void apply(const double* x, double* out, std::size_t n) const {
    switch (how) {
      case normalization::none:
        std::copy(x, x + n, out);
        return;
      case normalization::minmax: {
        if (!(hi > lo)) {
          std::fill(out, out + n, 1.0);
          return;
        }
        const double range = hi - lo;
        if (cost) {
          for (std::size_t i = 0; i < n; ++i) out[i] = (hi - x[i]) / range;
        } else {
          for (std::size_t i = 0; i < n; ++i) out[i] = (x[i] - lo) / range;
        }
        return;
      }
      case normalization::zscore:
        if (!(sd > 0)) {
          std::fill(out, out + n, 0.0);
          return;
        }
        if (cost) {
          for (std::size_t i = 0; i < n; ++i) out[i] = (mean - x[i]) / sd;
        } else {
          for (std::size_t i = 0; i < n; ++i) out[i] = (x[i] - mean) / sd;
        }
        return;
      case normalization::vector:
        if (!(norm > 0)) {
          std::fill(out, out + n, cost ? 1.0 : 0.0);
          return;
        }
        if (cost) {
          for (std::size_t i = 0; i < n; ++i) out[i] = 1.0 - x[i] / norm;
        } else {
          for (std::size_t i = 0; i < n; ++i) out[i] = x[i] / norm;
        }
        return;
    }
  }

  /// The normalised value of one x (the same arithmetic as apply).
  [[nodiscard]] double at(double x) const {
    double r = 0;
    apply(&x, &r, 1);
    return r;
  }
};

/// Runs fn(begin, end) over row chunks on up to `threads` threads (0 = hardware). Chunks are
/// disjoint, so results written by position do not depend on the thread count.
template <class F>
void for_row_chunks(std::size_t n, std::size_t chunk, unsigned threads, F&& fn) {
  const std::size_t chunks = (n + chunk - 1) / chunk;
  detail::parallel_for(chunks, threads,
                       [&](std::size_t c) { fn(c * chunk, std::min(n, c * chunk + chunk)); });
}

inline std::vector<column_normalizer> normalizers(const Eigen::Ref<const Eigen::MatrixXd>& m,
                                                  std::span<const objective> types,
                                                  normalization how) {
  std::vector<column_normalizer> out;
  out.reserve(static_cast<std::size_t>(m.cols()));
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    out.emplace_back(m.col(j).data(), static_cast<std::size_t>(m.rows()),
                     types[static_cast<std::size_t>(j)], how);
  return out;
}

}  // namespace detail

/// Normalises each column of `m` (N×K) by `how`, cost columns reversed as documented.
/// O(N·K). \throws spec_error (types size), data_error (a non-finite value).
[[nodiscard]] inline Eigen::MatrixXd normalize(const Eigen::Ref<const Eigen::MatrixXd>& m,
                                               std::span<const objective> types,
                                               normalization how) {
  detail::check_mcda(m, types, nullptr, 0);
  const auto norms = detail::normalizers(m, types, how);
  Eigen::MatrixXd out(m.rows(), m.cols());
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    norms[static_cast<std::size_t>(j)].apply(m.col(j).data(), out.col(j).data(),
                                             static_cast<std::size_t>(m.rows()));
  return out;
}

/// Weighted sum Σ_j w_j·r_ij of the normalised matrix (weights used as given, not rescaled).
/// Equals pymcdm's WSM(normalization) and, for benefit columns, scikit-criteria's
/// WeightedSumModel after the same scaler. O(N·K), parallel over row chunks (`threads`, 0 =
/// hardware), the same result at any thread count.
/// \throws spec_error (weights negative/NaN/all zero, sizes), data_error (non-finite value).
[[nodiscard]] inline Eigen::VectorXd weighted_sum(const Eigen::Ref<const Eigen::MatrixXd>& m,
                                                  std::span<const double> weights,
                                                  std::span<const objective> types,
                                                  normalization how = normalization::minmax,
                                                  unsigned threads = 0) {
  detail::check_mcda(m, types, weights.data(), weights.size());
  const auto norms = detail::normalizers(m, types, how);
  Eigen::VectorXd out(m.rows());
  detail::for_row_chunks(
      static_cast<std::size_t>(m.rows()), 8192, threads, [&](std::size_t b, std::size_t e) {
        double r[8192];
        double* acc = out.data() + b;
        std::fill(acc, acc + (e - b), 0.0);
        for (Eigen::Index j = 0; j < m.cols(); ++j) {
          const double w = weights[static_cast<std::size_t>(j)];
          norms[static_cast<std::size_t>(j)].apply(m.col(j).data() + b, r, e - b);
          for (std::size_t i = 0; i < e - b; ++i) acc[i] += r[i] * w;
        }
      });
  return out;
}

/// TOPSIS relative closeness D⁻/(D⁺ + D⁻) with v = w·r, the ideal the column maximum of v
/// (costs are reversed by the normalisation, as pymcdm); with `none` the ideal of a cost column
/// is its minimum (as scikit-criteria). All rows equal (D⁺ = D⁻ = 0) → 0.5. O(N·K), parallel
/// over row chunks, the same result at any thread count. \throws as weighted_sum.
[[nodiscard]] inline Eigen::VectorXd topsis(const Eigen::Ref<const Eigen::MatrixXd>& m,
                                            std::span<const double> weights,
                                            std::span<const objective> types,
                                            normalization how = normalization::minmax,
                                            unsigned threads = 0) {
  detail::check_mcda(m, types, weights.data(), weights.size());
  const auto norms = detail::normalizers(m, types, how);
  const auto k = static_cast<std::size_t>(m.cols());
  // Each w·r is monotone in x, so its extremes are at the column's min and max.
  std::vector<double> best(k), worst(k);
  for (std::size_t j = 0; j < k; ++j) {
    const double a = norms[j].at(norms[j].lo) * weights[j];
    const double b = norms[j].at(norms[j].hi) * weights[j];
    best[j] = std::max(a, b);
    worst[j] = std::min(a, b);
    if (how == normalization::none && types[j] == objective::cost) std::swap(best[j], worst[j]);
  }
  Eigen::VectorXd out(m.rows());
  detail::for_row_chunks(static_cast<std::size_t>(m.rows()), 4096, threads,
                         [&](std::size_t b, std::size_t e) {
                           double r[4096], dp[4096], dm[4096];
                           const std::size_t n = e - b;
                           std::fill(dp, dp + n, 0.0);
                           std::fill(dm, dm + n, 0.0);
                           for (std::size_t j = 0; j < k; ++j) {
                             const double w = weights[j], hi = best[j], lo = worst[j];
                             norms[j].apply(m.col(static_cast<Eigen::Index>(j)).data() + b, r, n);
                             for (std::size_t i = 0; i < n; ++i) {
                               const double v = r[i] * w;
                               dp[i] += (v - hi) * (v - hi);
                               dm[i] += (v - lo) * (v - lo);
                             }
                           }
                           for (std::size_t i = 0; i < n; ++i) {
                             const double p = std::sqrt(dp[i]), q = std::sqrt(dm[i]);
                             out[static_cast<Eigen::Index>(b + i)] = p + q > 0 ? q / (p + q) : 0.5;
                           }
                         });
  return out;
}

/// The N×K matrix of `columns` of `p` (number or integer). \throws schema_error (unknown or
/// non-numeric column), data_error (a missing value, naming row and column).
[[nodiscard]] Eigen::MatrixXd mcda_matrix(const pool& p, std::span<const std::string> columns);

}  // namespace khuyenhoc
