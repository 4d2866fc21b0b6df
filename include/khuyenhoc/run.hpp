#pragma once
/// \file run.hpp
/// The selection pipeline as one object: the spine of the library, and the only place where
/// scores, eligibility, ranking, seats, reasons and the report are put together. The CLI
/// (`khuyenhoc select`), Python (`khuyenhoc.select`) and every other door build a `run_spec`,
/// prepare it once and execute it, so the same inputs give the same bytes whatever the door.
///
/// ```
/// run_spec ──prepare(schema)──► prepared_run ──execute(pool)──► run_result ──► CSV / report
///   criteria set, rule set,        immutable, thread-safe;         scores, verdicts, selection,
///   selection policy, report       every problem of the spec       per-nominee table, reasons,
///   options, input files           reported at once                report; what-if re-selection
/// ```
///
/// Preparing checks everything that can be checked without the nominees' values: the criteria
/// and rules against the pool's columns, the policy's numbers (NaN, infinities, negatives,
/// overflow), the group and tie-breaker columns. All problems are collected and thrown together
/// as one `spec_error` whose `problems()` lists each with its location.

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "khuyenhoc/criteria.hpp"
#include "khuyenhoc/pool.hpp"
#include "khuyenhoc/report.hpp"
#include "khuyenhoc/rules.hpp"
#include "khuyenhoc/selection.hpp"

namespace khuyenhoc {

/// What the printed report says besides the selection: the header, place/date and signatures
/// (`report_header`, report.hpp) and the column of the nominees' names.
struct report_options : report_header {
  /// Pool column with the nominees' names shown in the selected list (if the pool has it).
  std::string name_column = "full_name";
};

/// An input file named in the report with its SHA-256 checksum.
struct run_input_file {
  std::string role{};  ///< "pool", "criteria", "rules" or any label
  std::string path{};
};

/// Everything that decides a run. Fields map one to one to the CLI's flags and Python's
/// keyword arguments (docs/selection.md has the table).
struct run_spec {
  /// The criteria set scoring every nominee. Absent: totals are given to `execute`.
  std::optional<criteria_set> criteria{};
  /// The rule set deciding eligibility. Absent: everyone is eligible (or eligibility is given
  /// to `execute`).
  std::optional<rule_set_spec> rules{};
  selection_policy policy{};
  report_options report{};
  /// Files listed in the report with their checksums (read when the report is made).
  std::vector<run_input_file> inputs{};
  /// Values for parameters the criteria or rule set declare (`params:`), e.g. the assessment
  /// window of this year's award (CLI `--param window_end=31/08/2025`, Python `params=`). Each
  /// goes to every set that declares it; a name no set declares is a problem of the spec.
  std::vector<parameter> params{};
  /// Worker threads of the kernels (0: all cores). Results do not depend on it.
  unsigned threads = 0;

  /// The pool columns a run of this spec may read, sorted (NFC): each indicator's column, every
  /// name the criteria's and rules' expressions and reason texts mention (identifiers and
  /// `backticked` names; a word that is no column is harmless), the scales' columns, the group
  /// and order columns, the report's name column. For csv_options::columns (with
  /// ignore_missing_columns), so that the pipeline's doors read only these: a column the spec
  /// lacks is then still reported by `prepare`. The id column is read anyway.
  [[nodiscard]] std::vector<std::string> pool_columns() const;
};

/// Precomputed parts a caller may hand to `execute` instead of letting the run compute them
/// (e.g. scores from a panel or from MCDA, eligibility from another system). Spans must have
/// one item per pool row.
struct run_overrides {
  const score_table* scores = nullptr;       ///< used instead of scoring with the spec's criteria
  std::span<const double> totals{};          ///< plain totals (NaN: no score), instead of scores
  const verdicts* rule_verdicts = nullptr;   ///< used instead of evaluating the spec's rules
  std::span<const std::uint8_t> eligible{};  ///< 0/1 per row, instead of verdicts
  const std::vector<std::string>* ineligible_reasons = nullptr;  ///< with `eligible`
};

class run_result;

/// A run specification bound to a pool schema: immutable, cheap to copy, `execute` is const
/// and thread-safe.
class prepared_run {
 public:
  /// Validates `spec` against `schema` (a pool with the columns and types the pools to run
  /// will have; its rows are not read). Collects every problem (criteria, rules, policy,
  /// columns) and throws them together. \throws spec_error with `problems()` listing each.
  [[nodiscard]] static prepared_run prepare(run_spec spec, const pool& schema);

  /// Scores, checks the rules, ranks and selects every row of `p` (same schema as prepared).
  /// O(N·(indicators + rules + keys)); parallel where the kernels are.
  /// \throws schema_error if `p` does not match the schema; spec_error for a policy that
  /// the data makes infeasible (e.g. fixed quotas for groups the pool does not have), or for
  /// overrides of the wrong length.
  [[nodiscard]] run_result execute(const pool& p, const run_overrides& overrides = {}) const;

  [[nodiscard]] const run_spec& spec() const noexcept;
  /// Warnings from compiling the rule set (each prefixed by its rule id).
  [[nodiscard]] const std::vector<diagnostic>& warnings() const noexcept;

 private:
  friend class run_result;
  struct impl;
  std::shared_ptr<const impl> impl_;
};

/// The outcome of one run: owns (shares) the pool, the scores, the verdicts, the selection,
/// the per-nominee table and the report data. Immutable and cheap to copy.
class run_result {
 public:
  /// The pool the run was executed on.
  [[nodiscard]] const pool& input() const noexcept;
  /// Scores of every nominee (empty table when totals were given instead). Scored without the
  /// per-indicator breakdown (`score_options::breakdown`): `points()`, `subtotals()`, `fired()`
  /// compute it once when first asked, `explain(row)` rescores that row; the same numbers.
  [[nodiscard]] const score_table& scores() const noexcept;
  /// Rule verdicts, or nullptr when there was no rule set.
  [[nodiscard]] const verdicts* rule_verdicts() const noexcept;
  /// The selection: rank, group rank, selected, level, status, gap, reason per nominee. The
  /// per-row strings (ids, groups, reasons) are built on the first call, not by `execute`.
  [[nodiscard]] const selection& outcome() const noexcept;
  /// Number of nominees (rows of the pool).
  [[nodiscard]] std::size_t size() const noexcept;
  /// Number of nominees selected.
  [[nodiscard]] std::size_t selected_count() const noexcept;
  /// Seats and cut-off per level and group (`outcome().outcomes`, without building the rest).
  [[nodiscard]] const std::vector<group_outcome>& outcomes() const noexcept;
  /// The policy the selection used.
  [[nodiscard]] const selection_policy& policy() const noexcept;
  /// The specification of the run (criteria, rules, report options, input files).
  [[nodiscard]] const run_spec& spec() const noexcept;
  /// One row per nominee in pool order: id, group, score, rank, group_rank, selected, level,
  /// status, gap, reason, classification (the criteria level, when scored by a criteria set).
  /// Built on the first call (a pool of its own, with the reasons as text).
  [[nodiscard]] const pool& table() const noexcept;
  /// The result CSV, exactly the bytes `write_csv` writes.
  [[nodiscard]] std::string csv() const;
  /// Streams the result CSV (the bytes of `csv()`, which are those of `write_csv_text(table())`)
  /// to `out`: blocks of rows formatted in parallel (`run_spec::threads`) straight from the
  /// run's arrays, reasons rendered as they are written; nothing per row is kept. Stops at the
  /// first failed write (the stream's state tells; `output_set::commit` reports the OS error).
  void write_csv(std::ostream& out) const;
  /// The result as JSON, exactly the bytes `write_json` writes.
  [[nodiscard]] std::string json() const;
  /// Streams the result as JSON to `out`, like `write_csv`: an array with one object per
  /// nominee in pool order, one per line (`[`, the objects joined by ",\n", `]`), keys the CSV's
  /// columns in order; a missing value is null, a number the shortest text that reads back the
  /// same, strings escaped as JSON wants (UTF-8 passed through). Nothing per row is kept.
  void write_json(std::ostream& out) const;
  /// The selection report (one self-contained HTML5 document). Reads the input files named in
  /// the spec for their checksums. \throws error if one cannot be read.
  [[nodiscard]] std::string report_html() const;
  /// A text summary: the funnel of the rules, seats and cut-offs per group, totals.
  [[nodiscard]] std::string summary() const;
  /// The summary for machines: one JSON object (UTF-8, keys in a fixed order, one line)
  /// `{"nominees": N, "selected": N, "seats": N, "levels": [...], "funnel": [{"rule", "failed",
  /// "unknown", "remaining"}...] (null without rules), "groups": [{"group", "level", "nominees",
  /// "eligible", "quota", "selected", "cap" (null: none), "cutoff" (null: none)}...],
  /// "lottery_seed": N (null without a lottery)}`. Same inputs, same bytes.
  [[nodiscard]] std::string summary_json() const;
  /// Writes the result CSV and, if `report_path` is not empty, the report, together and
  /// atomically (both or neither replace existing files). An output that is one of the run's
  /// input files (or `protect`) is refused before anything is written. \throws io_error
  void write(const std::string& csv_path, const std::string& report_path = {},
             const std::vector<std::string>& protect = {}) const;
  /// The same scores and eligibility selected again with another policy (other seats, levels,
  /// tie policy, caps...): scoring and rules are not re-run, and the encoded tie-breakers are
  /// reused when the order keys and the group column are unchanged.
  /// \throws spec_error with every problem of `policy`.
  [[nodiscard]] run_result reselect(const selection_policy& policy) const;

 private:
  friend class prepared_run;
  struct impl;
  struct formatter;
  std::shared_ptr<const impl> impl_;
};

/// The current time as the report shows it ("2026-11-29 21:14:00 UTC"), for
/// `report_options::generated_at`.
[[nodiscard]] std::string utc_timestamp();

/// The SHA-256 (hex) and size of a file, for the report. \throws io_error if unreadable.
[[nodiscard]] report_input describe_input(const std::string& role, const std::string& path);

}  // namespace khuyenhoc
