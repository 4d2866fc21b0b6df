#pragma once
/// \file rules.hpp
/// Eligibility rules: a small, total expression language over a pool's columns, compiled once
/// against the pool's schema into an immutable program, evaluated column-at-a-time over chunks
/// of rows (multi-threaded, deterministic). Rule sets (YAML/JSON) add reasons, severities,
/// applicability and decision tables; the result is a `verdicts` table. See docs/rules.md.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "khuyenhoc/error.hpp"
#include "khuyenhoc/pool.hpp"

namespace khuyenhoc {

/// The type of a value of the language.
enum class value_type : std::uint8_t { boolean, number, date, string, list };

/// A named constant declared by a rule or criteria file (`params: {window_end: 31/08/2024}`)
/// and used by name in expressions, so a yearly award is one file: the values can be replaced
/// when compiling (rules_options::params, Python `params=`, the CLI's `--param`).
struct parameter {
  std::string name{};
  value_type type = value_type::number;  ///< number, date, boolean or string
  double number = 0;                     ///< number; date as days since 1970-01-01; boolean 0/1
  std::string text{};                    ///< the value as written (the string of a string)
  location where{};                      ///< where it was declared or given
};

/// A parameter from its written value: a date (`31/08/2024` or `2024-08-31`), a number (`8.5`
/// or `8,5`), `true`/`false`, otherwise a string (NFC). \throws spec_error for an empty or
/// malformed name (names are written as column names: letters, digits, `_`).
[[nodiscard]] parameter parse_parameter(std::string_view name, std::string_view value,
                                        const location& where = {});
/// `name=value` as given on a command line (`--param window_end=31/08/2025`).
/// \throws spec_error when there is no `=` or the name is malformed.
[[nodiscard]] parameter parse_param_assignment(std::string_view text);
/// Replaces the values of `declared` parameters by `overrides` (by name). A value written as
/// text is read as the declared type (`"31/08/2025"` for a date parameter).
/// \throws spec_error for a name that is not declared (with "did you mean") or a value that is
/// not of the declared type.
void override_parameters(std::vector<parameter>& declared, const std::vector<parameter>& overrides);

/// The order of a category column's values, worst (lowest) first, so that rules may compare
/// them with <, <=, >, >= (`conduct >= "Khá"`). Declared by a rule file's `scales:` section
/// (`conduct: [Chưa đạt, Đạt, Khá, Tốt]`, or the name of a built-in scale: `conduct: tt22`) or
/// given when compiling (rules_options::scales). A declared scale takes precedence over the
/// order an ordered category column carries (column::ordered).
struct category_scale {
  std::string column{};               ///< the category column it orders
  std::vector<std::string> values{};  ///< worst first (NFC)
  std::string name{};                 ///< the built-in scale named, "" when listed
  location where{};                   ///< where it was declared
};

/// The built-in scales (worst first): "tt22" (kết quả rèn luyện / học tập, Thông tư 22/2021:
/// Chưa đạt < Đạt < Khá < Tốt), "hanh_kiem" (hạnh kiểm before 2021: Yếu < Trung bình < Khá <
/// Tốt), "hoc_luc" (học lực and older classifications: Kém < Yếu < Trung bình < Khá < Giỏi <
/// Xuất sắc). \throws spec_error for another name, with "did you mean" and the names.
[[nodiscard]] std::vector<std::string> builtin_scale(std::string_view name);
/// The names of the built-in scales.
[[nodiscard]] std::vector<std::string> builtin_scale_names();
/// A scale from a list of values, worst first (NFC-normalised; at least two, none twice).
/// \throws spec_error (at `where`) for an empty or repeated value.
[[nodiscard]] category_scale make_scale(std::string column, std::vector<std::string> values,
                                        const location& where = {});
/// The built-in scale `builtin_name` ("tt22", ...) for `column`.
/// \throws spec_error (at `where`) for an unknown name, with "did you mean".
[[nodiscard]] category_scale make_builtin_scale(std::string column, std::string_view builtin_name,
                                                const location& where = {});

/// Limits and tuning of the rule language, in one place (as cel-cpp does). The limits are
/// enforced when compiling, so rules written by users cannot exhaust memory or time.
struct rules_options {
  std::size_t max_expression_length = 8192;  ///< bytes of one expression
  std::size_t max_depth = 48;                ///< nesting depth of one expression
  std::size_t max_nodes = 2048;              ///< syntax nodes of one expression
  std::size_t max_list_size = 512;           ///< items of one list literal
  std::size_t max_rules = 1000;              ///< rules + decision-table rows of one rule set
  std::size_t chunk_size = 4096;             ///< rows evaluated together (cache-sized)
  unsigned threads = 0;                      ///< worker threads; 0 = hardware concurrency
  /// Parameters visible to expressions by name. `expression::compile` uses them as given;
  /// `rule_set::compile` uses them to override the values the rule set declares.
  std::vector<parameter> params{};
  /// Orders of category columns for <, <=, >, >= (see category_scale). `rule_set::compile`
  /// adds these to the rule set's own, replacing those of the same column.
  std::vector<category_scale> scales{};
};

/// "boolean", "number", "date", "string", "list".
[[nodiscard]] std::string_view to_string(value_type t) noexcept;

/// A compile-time warning (e.g. a literal that is not in a category's dictionary).
struct diagnostic {
  std::string message{};  ///< includes the caret line
  location where{};       ///< line and column in the expression (or rule file)
};

namespace detail::rules {
struct program;
}

/// The values of an expression for every row of a pool.
struct expression_values {
  value_type type = value_type::boolean;
  /// number and date (days since 1970-01-01) values; NaN where missing.
  std::vector<double> numbers{};
  /// boolean values (0/1); meaningful where `valid` is 1.
  std::vector<std::uint8_t> booleans{};
  /// 1 where the value is known (all types).
  std::vector<std::uint8_t> valid{};
  /// string values ("" where missing).
  std::vector<std::string> strings{};
};

/// A compiled expression: immutable, cheap to copy, `evaluate` is const and thread-safe.
class expression {
 public:
  /// Compiles `text` against the schema of `schema` (column names, types, category
  /// dictionaries). Complexity O(length of text + sizes of the dictionaries it touches).
  /// \throws parse_error for malformed text or exceeded limits, schema_error for unknown
  /// columns or type errors; both carry line:column and a caret line in the message.
  /// `where` places the text in its file (line and column of its first character), so errors
  /// point into the file.
  [[nodiscard]] static expression compile(std::string_view text, const pool& schema,
                                          const rules_options& options = {},
                                          const location& where = {});

  /// The result type.
  [[nodiscard]] value_type type() const noexcept;
  /// Warnings found while compiling.
  [[nodiscard]] const std::vector<diagnostic>& warnings() const noexcept;
  /// The source text.
  [[nodiscard]] const std::string& text() const noexcept;
  /// Columns the expression reads, in order of first appearance.
  [[nodiscard]] std::vector<std::string> columns() const;

  /// Evaluates over every row of `p`, which must have the compiled schema (same columns,
  /// types and dictionaries). O(rows × nodes), parallel over chunks, the same at any thread
  /// count. Strings are materialised only for string-typed expressions.
  /// \throws schema_error if `p` does not match the compiled schema.
  [[nodiscard]] expression_values evaluate(const pool& p, unsigned threads = 0) const;

  /// Internal program (for rule sets).
  [[nodiscard]] const std::shared_ptr<const detail::rules::program>& program() const noexcept {
    return program_;
  }

 private:
  std::shared_ptr<const detail::rules::program> program_;
};

/// Compiles and evaluates `text` over `p` in one call (for notebooks).
[[nodiscard]] expression_values evaluate(std::string_view text, const pool& p,
                                         const rules_options& options = {});

// ---------------------------------------------------------------------------------------------
// Rule sets

/// What a failed rule does to a nominee.
enum class rule_severity : std::uint8_t { reject, warn };

/// Status of one rule for one nominee (stored as int8 in `verdicts::status`).
enum class rule_status : std::int8_t { pass = 0, fail = 1, unknown = 2, not_applicable = 3 };

/// How an undecidable (unknown) reject rule counts for eligibility.
enum class unknown_policy : std::uint8_t {
  not_eligible,  ///< default: the nominee is not eligible, reason "thiếu dữ liệu X"
  eligible,      ///< the rule is ignored for eligibility (still reported)
};

/// Decision-table hit policies (as in DMN).
enum class hit_policy : std::uint8_t { first, unique, collect };

/// One rule as written (before compiling).
struct rule_spec {
  std::string id{};
  std::string description{};
  std::string when{};    ///< condition that must hold to pass
  std::string reason{};  ///< message with {column} / {expression} placeholders
  rule_severity level = rule_severity::reject;
  std::string applies_to{};  ///< optional condition; false → not applicable
  location where{};          ///< of the rule in its file (line of `when`), for errors
  location when_where{};     ///< of the `when` text, to offset expression errors
  location applies_where{};  ///< of the `applies_to` text
  location reason_where{};   ///< of the `reason` text
};

/// One row of a decision table.
struct table_row_spec {
  std::string when{};
  std::string output{};  ///< the output as written
  bool output_is_number = false;
  double number = 0;  ///< the output when it is a number
  location when_where{};
};

/// A decision table assigning a category or an amount.
struct decision_table_spec {
  std::string id{};
  std::string description{};
  std::string output{};  ///< name of the output (e.g. "muc_khen")
  hit_policy policy = hit_policy::first;
  std::vector<table_row_spec> rows{};
  std::optional<table_row_spec> default_output{};  ///< used when no row matches
  location where{};
};

/// A rule set as written.
struct rule_set_spec {
  std::string name{};
  std::string description{};
  std::string version{};  ///< the set's own version, e.g. "2024.1" ("" if none)
  unknown_policy on_unknown = unknown_policy::not_eligible;
  std::vector<rule_spec> rules{};
  std::vector<decision_table_spec> tables{};
  std::vector<parameter> params{};       ///< `params:` declared by the file
  std::string file{};                    ///< where it was read from, for messages
  std::vector<category_scale> scales{};  ///< `scales:` declared by the file

  /// `parse_rule_set(text, file)` under the name every door uses (criteria_set::from_text,
  /// Python `Rules.from_text`). \throws as parse_rule_set.
  [[nodiscard]] static rule_set_spec from_text(std::string_view text,
                                               std::string_view file = "<string>");
  /// `load_rule_set(path)` under the name every door uses (Python `Rules.from_file`).
  [[nodiscard]] static rule_set_spec from_file(const std::string& path);
};

/// A long table of achievements, one row per achievement (as school and Sở GD&ĐT exports are):
/// the nominee's id, the level ("Tỉnh"), optionally the prize ("Giải Nhì") and the date
/// ("15/03/2024" or "2024-03-15"; "" when undated). `prizes` and `dates` are empty when the
/// table has no such column, else as long as `ids`.
struct achievements_table {
  std::vector<std::string> ids{}, levels{}, prizes{}, dates{};
  std::string file{};                ///< names the table in errors
  std::size_t first_line = 2;        ///< line of the first row in `file` (after the header)
  std::vector<std::size_t> lines{};  ///< line of each row, when known (else first_line + i)
};

/// Which columns of a long achievements table hold what. `prize` and `date` may be "" (the table
/// has no such column); left at their defaults, they are optional (absent when the table has no
/// column of that name).
struct achievements_columns {
  std::string id = "id", level = "level", prize = "prize", date = "date";
};

/// Reads a long achievements table from CSV text: a header line, ',' or ';' (detected from the
/// header), quoted fields as in RFC 4180, UTF-8 (a BOM is skipped), CRLF or LF line ends.
/// \throws parse_error (an unterminated quote, with its line), schema_error (a named column the
/// header lacks, with the columns it has).
[[nodiscard]] achievements_table parse_achievements_csv(std::string_view text,
                                                        const achievements_columns& columns = {},
                                                        std::string_view file = "<string>");
/// Reads a long achievements table from a CSV file (as parse_achievements_csv).
[[nodiscard]] achievements_table read_achievements_csv(const std::string& path,
                                                       const achievements_columns& columns = {});

/// `p` with a list column `column` holding each nominee's achievements from `table`, in the
/// table's order, written as dated list items: "Tỉnh - Giải Nhì@15/03/2024" (level, " - " and
/// prize when there is a prize, "@" and the date when dated). Rules and criteria filter them
/// with date_of(it), level_of(it) and prize_of(it). Nominees without a row get an empty list.
/// \throws data_error (file:line, the id) for an id not in the pool, an empty level or a
/// malformed date; schema_error when `p` already has a column `column` or the vectors differ
/// in length.
[[nodiscard]] pool with_achievements(const pool& p, const achievements_table& table,
                                     std::string_view column = "achievements");

/// Reads a rule set from YAML (JSON is YAML too). `file` names it in error messages.
/// \throws parse_error (malformed YAML, with line:column), spec_error (missing or unknown keys,
/// bad values, with line:column and "did you mean" suggestions).
[[nodiscard]] rule_set_spec parse_rule_set(std::string_view text,
                                           std::string_view file = "<string>");
/// Reads a rule set from a YAML or JSON file. \throws error as parse_rule_set; error if unreadable.
[[nodiscard]] rule_set_spec load_rule_set(const std::string& path);

/// The result of one decision table for every row.
struct table_result {
  std::string id{};
  std::string output{};
  hit_policy policy = hit_policy::first;
  bool numeric = false;  ///< outputs are numbers (else labels)
  /// Per row: index of the table row chosen (first/unique); -1 none matched (default used,
  /// or missing without default), -2 undecidable (a needed condition unknown), -3 conflict
  /// (unique: several rows matched).
  std::vector<std::int32_t> matched{};
  std::vector<double> numbers{};         ///< numeric output (collect: sum); NaN = none
  std::vector<std::int32_t> codes{};     ///< label output: index into `labels`, -1 = none
  std::vector<std::string> labels{};     ///< distinct label outputs (rows' then the default)
  std::vector<std::uint32_t> offsets{};  ///< collect: rows r → matches[offsets[r], offsets[r+1])
  std::vector<std::int32_t> matches{};   ///< collect: indices of matched table rows
};

/// One step of the funnel: rules in order, counting nominees still in the running.
struct funnel_step {
  std::string rule_id{};
  rule_severity level = rule_severity::reject;
  std::size_t failed = 0;     ///< of those remaining before this rule, how many fail it
  std::size_t unknown = 0;    ///< of those remaining before, how many are unknown
  std::size_t remaining = 0;  ///< remaining after this rule (warn rules remove no one)
};

namespace detail::rules {
struct compiled_rule_set;
struct verdict_data;
class scratch;
}  // namespace detail::rules

/// Per nominee × rule results of a rule set. Every input row appears. Immutable; copies share
/// their storage.
class verdicts {
 public:
  /// Number of rows (nominees).
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  /// Number of rules.
  [[nodiscard]] std::size_t rule_count() const noexcept { return rules_; }
  /// Rule ids, in order.
  [[nodiscard]] const std::vector<std::string>& rule_ids() const noexcept;
  /// rows() × rule_count() matrix of rule_status values (int8), stored rule-major (column by
  /// column, as it is computed): the status of `rule` for `row` is at `rule * rows() + row`.
  [[nodiscard]] std::span<const std::int8_t> status() const noexcept { return status_; }
  /// The statuses of rule `rule` for every row (rows() items). Precondition: rule in range.
  [[nodiscard]] std::span<const std::int8_t> status_of_rule(std::size_t rule) const noexcept {
    return status_.subspan(rule * rows_, rows_);
  }
  /// Status of `rule` for `row`. Precondition: both in range.
  [[nodiscard]] rule_status status(std::size_t row, std::size_t rule) const noexcept {
    return static_cast<rule_status>(status_[rule * rows_ + row]);
  }
  /// 1 where the nominee is eligible (no reject rule failed, and, under the default
  /// unknown policy, none unknown).
  [[nodiscard]] std::span<const std::uint8_t> eligible() const noexcept { return eligible_; }
  /// The funnel over the rules in order.
  [[nodiscard]] const std::vector<funnel_step>& funnel() const noexcept;
  /// Decision table outputs, in the order of the rule set: computed on the first call (from
  /// the evaluated pool; thread-safe), as most uses of the verdicts never read them.
  /// \throws std::bad_alloc
  [[nodiscard]] const std::vector<table_result>& tables() const;
  /// Rendered reasons of row `row`, in rule order: the rule's message where it failed,
  /// "thiếu dữ liệu X (điều kiện id)" where it is unknown, then table conflicts.
  /// O(rules × expression size). \throws std::out_of_range for a bad row.
  [[nodiscard]] std::vector<std::string> reasons(std::size_t row) const;
  /// The rendered reason of rule `rule` for every row ("" where it passed or does not
  /// apply). O(rows). \throws std::out_of_range for a bad rule index.
  [[nodiscard]] std::vector<std::string> reasons_of_rule(std::size_t rule) const;
  /// The rendered reason of rule `rule` for each row of `rows` (same order; "" where it passed
  /// or does not apply). O(|rows| × expression size); const and thread-safe.
  /// \throws std::out_of_range for a bad rule or row index.
  [[nodiscard]] std::vector<std::string> reasons_of_rule(std::size_t rule,
                                                         std::span<const std::uint32_t> rows) const;
  /// Renders reasons in place, for writers of large results: the text of reasons_of_rule
  /// appended to a caller's buffer, without a string per row. One writer per thread (it holds
  /// that thread's working memory); the verdicts must outlive it.
  class reason_writer {
   public:
    explicit reason_writer(const verdicts& v);
    reason_writer(const reason_writer&) = delete;
    reason_writer& operator=(const reason_writer&) = delete;
    ~reason_writer();
    /// Appends the reason of rule `rule` at row `row` to `out`: the rule's message where it
    /// failed, "thiếu dữ liệu X (điều kiện id)" where it is unknown, nothing where it passed or
    /// does not apply. \throws std::out_of_range for a bad rule or row index.
    void append(std::string& out, std::size_t rule, std::size_t row);

   private:
    const verdicts* v_;
    std::unique_ptr<detail::rules::scratch> scratch_;
    std::vector<std::vector<const std::vector<const column*>*>> columns_;
  };
  /// Storage owner of status() and eligible() for zero-copy export.
  [[nodiscard]] std::shared_ptr<const void> owner() const noexcept;
  /// The rule set as written that produced these verdicts (names, version, descriptions), or
  /// nullptr for default-constructed verdicts.
  [[nodiscard]] const rule_set_spec* set_spec() const noexcept;

 private:
  friend class rule_set;
  std::size_t rows_ = 0;
  std::size_t rules_ = 0;
  std::span<const std::int8_t> status_{};
  std::span<const std::uint8_t> eligible_{};
  std::shared_ptr<const detail::rules::verdict_data> data_{};
};

/// A rule set compiled against a pool's schema. Immutable; `evaluate` is const and
/// thread-safe.
class rule_set {
 public:
  /// Compiles every rule, reason template and table against `schema`.
  /// \throws parse_error / schema_error (from a rule's expressions, with the rule id, file
  /// line:column and caret), spec_error (duplicate ids, limits, provable overlap of rows of a
  /// `unique` table).
  [[nodiscard]] static rule_set compile(const rule_set_spec& spec, const pool& schema,
                                        const rules_options& options = {});

  /// Evaluates every rule and table over `p` (same schema as compiled). O(rows × size of the
  /// rules); parallel over chunks; identical at any thread count.
  /// \throws schema_error if `p` does not match the compiled schema.
  [[nodiscard]] verdicts evaluate(const pool& p, unsigned threads = 0) const;

  /// Eligibility only: 1 per nominee where no reject rule fails (and, under the default
  /// unknown policy, none is unknown) — exactly `evaluate(p).eligible()`, without the status
  /// matrix, funnel, reasons or tables. Warn rules and decision tables are not evaluated, and a
  /// chunk of rows stops at the first rule after which none of its rows is left. O(rows × size
  /// of the reject rules); parallel over chunks; identical at any thread count.
  /// \throws schema_error if `p` does not match the compiled schema.
  [[nodiscard]] std::vector<std::uint8_t> eligible(const pool& p, unsigned threads = 0) const;

  /// Warnings from compiling (each prefixed by its rule id).
  [[nodiscard]] const std::vector<diagnostic>& warnings() const noexcept;
  [[nodiscard]] const rule_set_spec& spec() const noexcept;

 private:
  std::shared_ptr<const detail::rules::compiled_rule_set> impl_;
};

}  // namespace khuyenhoc
