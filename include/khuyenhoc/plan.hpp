#pragma once
/// \file plan.hpp
/// Plans (kế hoạch) and their schedule checker: tasks with a Vietnamese time expression, lead
/// and supporting units (phối hợp), exclusive resources and finish-to-start dependencies, read
/// from YAML, CSV or a 4-column task table (TT | Thời gian | Nội dung | Phân công), checked by
/// sweep-lines over sorted day events (never pairwise), exported as findings and iCalendar.
/// Formats, the kind inference and every finding kind are described in docs/plans.md.

#include <boost/date_time/gregorian/gregorian_types.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "khuyenhoc/calendar.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/time_expr.hpp"

namespace khuyenhoc {

/// What a task is: work over a span of days, an event held on a day (a meeting, a ceremony),
/// or a deadline (a day by which something is due).
enum class task_kind : std::uint8_t { task, event, deadline };

/// "task", "event", "deadline".
[[nodiscard]] std::string_view to_string(task_kind k) noexcept;

/// Parses "task"/"event"/"deadline" (also Vietnamese "công việc"/"sự kiện"/"hạn", any case,
/// with or without diacritics). Throws spec_error for anything else.
[[nodiscard]] task_kind parse_task_kind(std::string_view text);

/// A kind guessed for a task, and the title word it was guessed from (empty when the time
/// expression decided it).
struct kind_guess {
  task_kind kind = task_kind::task;
  std::string hint{};   ///< the title word behind the guess ("Họp", "Lễ", "nộp" …), if any
  bool marked = false;  ///< the title carries an explicit marker ("(Sự kiện)", "[Hạn]")
};

/// The kind a task's time and wording imply (see docs/plans.md, "Kinds"). An explicit marker in
/// the title — "(Sự kiện)", "(Hạn)", "(Công việc)", "(event)", "(deadline)", "(task)", in round
/// or square brackets, with or without diacritics — decides first (`marked`). Then the time: a
/// deadline form ("trước ngày …", "chậm nhất …") is a deadline; a span of more than three days
/// known to the day, or an open-ended time ("Từ …"), is a task whatever its title says. The title
/// is only a weak hint, reported in `hint`: a deadline word ("hạn", "hạn chót", "chậm nhất", "trước
/// ngày"; or a first word "nộp"/"gửi" on a single day), or an event word at the start of the title,
/// optionally after "Tổ chức"/"Dự"/"Tham dự" ("Họp", "Lễ", "Hội nghị", "Hội thảo", "Tọa đàm", "Mít
/// tinh", "Khai mạc", "Bế mạc", "Gặp mặt", "Giao lưu"), on a single day, a span of at most three
/// days or a time not known to the day. A title that merely mentions a meeting ("Chuẩn bị cho Lễ
/// …") is a task. Matching is case-insensitive and, for text without diacritics, on the folded
/// words. Complexity: O(length). Throws nothing but std::bad_alloc.
[[nodiscard]] kind_guess guess_task_kind(std::string_view title, const time_expr* time);

/// guess_task_kind(title, time).kind; task on allocation failure. Throws nothing.
[[nodiscard]] task_kind infer_task_kind(std::string_view title, const time_expr* time) noexcept;

/// A finish-to-start dependency: the task starts at least `lag_days` days after the
/// predecessor's last day + 1 (lag 0: the next day at the earliest).
struct dependency {
  std::string task{};  ///< id of the predecessor
  int lag_days = 0;    ///< days between the predecessor's last day + 1 and this task's start

  friend bool operator==(const dependency&, const dependency&) = default;
};

/// One task of a plan.
struct plan_task {
  std::string id{};                     ///< unique within the plan
  std::string title{};                  ///< "Nội dung công việc"
  std::string time_text{};              ///< the time as written (after merged-cell continuation)
  std::optional<time_expr> time{};      ///< parsed time; empty when the text failed to parse
  std::string time_error{};             ///< the parse error, when `time` is empty
  std::vector<std::string> leads{};     ///< lead units (chủ trì), normalised names
  std::vector<std::string> supports{};  ///< supporting units (phối hợp), normalised names
  std::string assigned_text{};          ///< the assignee cell as written, if the task had one
  std::vector<std::string> unclear_assignees{};  ///< parts of the cell not split with confidence
  task_kind kind = task_kind::task;              ///< given or inferred
  bool kind_inferred = true;                     ///< true when no kind was given
  std::string kind_hint{};  ///< when inferred from the title: the word it was guessed from
  std::vector<std::string> resources{};  ///< exclusive resources (a leader, a hall)
  std::vector<dependency> depends_on{};  ///< finish-to-start predecessors
  location where{};                      ///< source file and line (or row id) of the task
};

/// Options of plan::check. Defaults: no window, capacity 2 concurrent lead tasks per unit,
/// supporting roles weigh 0.5, every severity reported.
struct check_options {
  /// The campaign window, half-open [first, past_end); no window check when empty.
  std::optional<boost::gregorian::date_period> window{};
  /// Concurrent load a unit carries without being overloaded (lead task = 1).
  double capacity = 2.0;
  /// Per-unit capacities (unit names as in the plan, normalised like them); others: capacity.
  std::map<std::string, double> unit_capacity{};
  /// Load of a supporting (phối hợp) role, in [0, 1].
  double support_weight = 0.5;
  /// Report info findings (non-working start/end days, spanned holidays).
  bool info = true;
};

/// Kinds of findings, in the order they are documented (docs/plans.md).
enum class finding_kind : std::uint8_t {
  invalid_time,          ///< the time did not parse (impossible or reversed date …): error
  no_lead,               ///< a task without a lead unit (chủ trì) in a plan that names units
  unclear_assignees,     ///< an assignee cell that could not be split with confidence: warning
  unknown_dependency,    ///< depends on an id the plan does not have: error
  dependency_cycle,      ///< tasks that depend on each other in a circle: error
  dependency_order,      ///< a task starts before its predecessor ends (+ lag): error/warning
  tentative_dependency,  ///< a dependency relies on a tentative ("Dự kiến") date: warning
  overload,              ///< a unit carries more concurrent load than its capacity: error
  resource_conflict,     ///< an exclusive resource is double-booked: error
  coarse_overlap,        ///< overload/double booking only possible through a coarse range
  duplicate_task,        ///< the same title, time and lead units twice: warning
  outside_window,        ///< the task is (partly) outside the campaign window: warning
  day_off,               ///< an event (any of its days) or a deadline on a weekend (warning)
                         ///< or a holiday (error)
  open_ended,            ///< "Từ …" with no task depending on it to close it: warning
  non_working_day,       ///< info: a task starts or ends on a non-working day
  spans_holiday,         ///< info: a task spans public holidays
};

/// "invalid_time", "overload", … (the enumerator's name).
[[nodiscard]] std::string_view to_string(finding_kind k) noexcept;

/// Severity of a finding.
enum class severity : std::uint8_t { error, warning, info };

/// "error", "warning", "info".
[[nodiscard]] std::string_view to_string(severity s) noexcept;

/// One finding of plan::check.
struct finding {
  finding_kind kind = finding_kind::invalid_time;
  khuyenhoc::severity level = severity::error;
  std::vector<std::string> tasks{};               ///< ids of the tasks involved, in plan order
  std::optional<boost::gregorian::date> first{};  ///< first day concerned (inclusive)
  std::optional<boost::gregorian::date> last{};   ///< last day concerned (inclusive)
  std::string subject{};                          ///< the unit or resource concerned, if any
  double load = 0;           ///< peak load (overload, resource_conflict, coarse_overlap)
  std::string message_vi{};  ///< the finding in Vietnamese
  std::string message_en{};  ///< the finding in English
  location where{};          ///< source location of the first task
};

/// Options of the iCalendar export.
struct ical_options {
  /// PRODID of the calendar.
  std::string prodid = "-//khuyenhoc//plan//VI";
  /// DTSTAMP of every event, "YYYYMMDDTHHMMSSZ"; empty: the current UTC time.
  std::string dtstamp{};
  /// Domain part of the UIDs ("<id>@<domain>").
  std::string uid_domain = "khuyenhoc";
  /// Calendar name (X-WR-CALNAME); none when empty.
  std::string name{};
};

/// A plan: its tasks in source order, unique ids, normalised unit names.
/// Spellings of the same unit ("P. GDTrH" = "Phòng Giáo dục Trung học"): groups of names that
/// a plan merges into one unit (shown as the first spelling the plan uses). Names are compared
/// by a key that ignores case, spacing, punctuation, "và" and "Phòng"/"P." (so "P. KT&KĐCLGD"
/// and "Phòng KT và KĐCLGD" are one unit even without an alias). A plain value.
class unit_aliases {
 public:
  /// No aliases.
  unit_aliases() = default;
  /// The short and full names of the departments of a Sở GDĐT (P. GDTrH, P. KT&KĐCLGD,
  /// Văn phòng Sở …) and of common bodies (Sở GDĐT, Phòng GDĐT, Hội Khuyến học, Đoàn TN, BGH);
  /// the list is in docs/plans.md.
  [[nodiscard]] static unit_aliases builtin();
  /// Aliases from YAML: a mapping `name: [other spellings]` (or `name: spelling`), or a list of
  /// lists, either at the top level or under `aliases:`. Throws parse_error (malformed YAML, with
  /// line and column) or spec_error (another shape), located.
  [[nodiscard]] static unit_aliases from_yaml(std::string_view text,
                                              std::string_view source = "<string>");
  /// As from_yaml, from a file (UTF-8; UTF-16 with a byte order mark is decoded).
  [[nodiscard]] static unit_aliases from_yaml_file(const std::string& path);

  /// Adds a group of spellings of one unit; groups sharing a spelling are merged.
  /// Throws spec_error for an empty name.
  void add(const std::vector<std::string>& names);
  /// Adds every group of `other`.
  void merge(const unit_aliases& other);
  /// The key under which a plan merges units: the group of `name` if it has one, else its
  /// case-, space- and punctuation-folded spelling. O(length).
  [[nodiscard]] std::string key(std::string_view name) const;
  /// The groups, each in the order its names were added.
  [[nodiscard]] std::vector<std::vector<std::string>> groups() const;

 private:
  std::vector<std::vector<std::string>> groups_;
  std::unordered_map<std::string, std::size_t> group_of_;
};

/// A plain value; const member functions are thread-safe.
class plan {
 public:
  /// An empty plan.
  plan() = default;

  /// Appends a task. Normalises unit and resource names (NFC, trimmed, inner spaces collapsed;
  /// names differing only in case, spacing or punctuation, or spellings of one unit in the
  /// plan's aliases, are merged into the first spelling seen, so "P. GDTrH", "P.GDTrH" and
  /// "Phòng Giáo dục Trung học" are one unit); infers the kind when `kind_inferred` is set.
  /// Throws data_error for an empty or duplicate id (with the task's location).
  /// Complexity: amortised O(size of the task).
  void add(plan_task task);

  /// The aliases units are merged by (unit_aliases::builtin() unless replaced).
  [[nodiscard]] const unit_aliases& aliases() const noexcept { return aliases_; }
  /// Replaces the aliases; only before the first task is added (units are merged as tasks are
  /// added). Throws spec_error when the plan already has tasks.
  void set_aliases(unit_aliases aliases);
  /// This plan with `extra` added to its aliases: units that are now spellings of one unit are
  /// merged (into the first spelling seen). Complexity: O(size of the plan).
  [[nodiscard]] plan with_aliases(const unit_aliases& extra) const;

  /// Number of tasks.
  [[nodiscard]] std::size_t size() const noexcept { return tasks_.size(); }
  /// The tasks in source order.
  [[nodiscard]] const std::vector<plan_task>& tasks() const noexcept { return tasks_; }
  /// Task `i` (precondition: i < size()).
  [[nodiscard]] const plan_task& operator[](std::size_t i) const { return tasks_[i]; }
  /// Position of the task with this id, if any. O(1).
  [[nodiscard]] std::optional<std::size_t> find(std::string_view id) const;
  /// Every unit named as lead or support, in order of first appearance.
  [[nodiscard]] const std::vector<std::string>& units() const noexcept { return unit_names_; }
  /// The normalised spelling of a unit name as this plan knows it (the input itself, normalised,
  /// when unknown).
  [[nodiscard]] std::string unit_name(std::string_view name) const;

  /// Checks the schedule (see finding_kind and docs/plans.md). Holidays and weekends come from
  /// `cal`. Findings are sorted by severity, first day, kind, first task, subject (deterministic).
  /// Complexity: O(n log n) in tasks + units + dependencies (sweep-lines, no pairwise pass).
  /// Throws spec_error for a negative capacity or a support weight outside [0, 1].
  [[nodiscard]] std::vector<finding> check(const check_options& options = {},
                                           const calendar& cal = calendar()) const;

  /// The plan as iCalendar text (RFC 5545): one all-day VEVENT per task with known dates
  /// (DTSTART/DTEND as VALUE=DATE, DTEND exclusive; deadline-only times on their day, open-ended
  /// ones on their first day), CRLF line ends, lines folded at 75 octets. Tasks whose time did
  /// not parse are left out. Complexity: O(size).
  [[nodiscard]] std::string to_ical(const ical_options& options = {}) const;

  /// Reads a plan from YAML text (see docs/plans.md: `year`, `tasks:` with id, title, time,
  /// lead, support, kind, resources, depends_on). A time that does not parse is kept as a task
  /// with `time_error` (reported by check()). Throws parse_error (malformed YAML, with line and
  /// column) or spec_error/data_error (a task without id or title, an unknown kind, a duplicate
  /// id), located at the offending node.
  [[nodiscard]] static plan from_yaml(std::string_view text, std::string_view source = "<string>",
                                      std::optional<int> year = std::nullopt);
  /// As from_yaml, from a file. Throws error when the file cannot be read.
  [[nodiscard]] static plan from_yaml_file(const std::string& path,
                                           std::optional<int> year = std::nullopt);

  /// Reads a plan from CSV text (RFC 4180, ',' ';' or tab detected from the header) whose header
  /// names the columns (English or Vietnamese, see docs/plans.md): at least a time and a title
  /// column. `year` completes times without a year (0: none, every date must carry its own).
  /// Throws parse_error (file:line[:column]) for
  /// malformed CSV or a missing required column, data_error for duplicate ids.
  [[nodiscard]] static plan from_csv(std::string_view text, int year,
                                     std::string_view source = "<string>");
  /// As from_csv, from a file.
  [[nodiscard]] static plan from_csv_file(const std::string& path, int year);

  /// Reads the 4-column task table as copied out of a document: tab-separated (Word, Excel),
  /// pipe-separated or a markdown table, with or without a header row. Assignee cells are split
  /// on ';', ',', line breaks and leading dashes; "X phối hợp" and the units after "phối hợp:"
  /// are supporting units; an empty time cell continues the time of the row above. Rows without
  /// a number, time and assignee whose title is a section heading (I., II., 1. …) are skipped.
  /// Throws parse_error for text with no table rows.
  [[nodiscard]] static plan from_table(std::string_view text, int year,
                                       std::string_view source = "<string>");

  /// As from_table, from a file (decoded as decode_text decodes).
  [[nodiscard]] static plan from_table_file(const std::string& path, int year);

  /// The text of a user's file as UTF-8: a UTF-8 byte order mark is dropped, UTF-16 with a byte
  /// order mark (Excel's "Unicode Text") is decoded. Throws parse_error naming the file and line
  /// for anything else that is not UTF-8 (e.g. a Windows-1258 file, UTF-16 without a BOM).
  /// Every *_file reader of plans and aliases reads through it. Complexity: O(size).
  [[nodiscard]] static std::string decode_text(std::string_view bytes,
                                               std::string_view source = "<string>");

  /// Builds a plan from table rows already split into cells: `header` may be empty (then the
  /// columns are TT, time, title, assignees in that order) or name the columns as from_csv
  /// accepts; `lines[i]` is the source line of row i (0: unknown, then the row number is used).
  /// Throws as from_csv.
  [[nodiscard]] static plan from_rows(const std::vector<std::string>& header,
                                      const std::vector<std::vector<std::string>>& rows, int year,
                                      std::string_view source = "<table>",
                                      const std::vector<std::size_t>& lines = {});

 private:
  std::string intern_unit(std::string_view name);
  std::string intern_resource(std::string_view name);
  unit_aliases aliases_ = unit_aliases::builtin();
  std::vector<plan_task> tasks_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::string> unit_names_;
  std::unordered_map<std::string, std::size_t> unit_keys_;       // aliases_.key → unit_names_
  std::unordered_map<std::string, std::size_t> unit_spellings_;  // as written → unit_names_
  std::vector<std::string> resource_names_;
  std::unordered_map<std::string, std::size_t> resource_keys_;  // case/space-folded
};

/// Lead and supporting units of one assignee cell.
struct assignees {
  std::vector<std::string> leads{};     ///< units in charge (chủ trì)
  std::vector<std::string> supports{};  ///< supporting units (phối hợp)
  /// Parts of the cell that could not be split with confidence, each with the reason.
  std::vector<std::string> unclear{};
};

/// Splits an assignee cell as real plan tables write it (docs/plans.md, "Assignee cells"): at
/// ';', ',', line breaks and "<br>", bullets and dashes (also flattened onto one line:
/// " - A - B"), " và " before a unit, and between units written one after another with
/// spaces only where each starts with a unit prefix ("P.", "Phòng", "Sở", "UBND", "Trường",
/// "Hội", "Ban", "Văn phòng", "Thanh tra", "Trung tâm", "Tổ", "Công đoàn", "Đoàn", "các" …).
/// Roles: "Chủ trì: …" / "Phối hợp: …" labels (also both on one line), "(chủ trì)" /
/// "(phối hợp)" marks, "X phối hợp" and "phối hợp với X"; of the unmarked units the first leads
/// (unless one is marked as lead) and the rest support. A cut at a prefix that also occurs
/// inside names ("Ban", "Hội" …), a name holding several unit abbreviations, or an overlong
/// name is reported in `unclear`. Names are trimmed, not yet merged.
/// Complexity: O(length × prefixes). Throws nothing but std::bad_alloc.
[[nodiscard]] assignees split_assignees(std::string_view cell);

/// The units of a list cell without roles (a "Chủ trì" or "Phối hợp" column): split as
/// split_assignees splits, every unit kept in order. Throws nothing but std::bad_alloc.
[[nodiscard]] std::vector<std::string> split_units(std::string_view cell);

/// Findings as an aligned text table (severity, kind, dates, tasks, subject, message in `lang`
/// "vi" or "en"). Throws spec_error for another lang.
[[nodiscard]] std::string findings_table(const std::vector<finding>& findings,
                                         std::string_view lang = "en");
/// Findings as CSV (header severity,kind,first,last,tasks,subject,load,message_vi,message_en,
/// file,line; dates ISO, tasks joined by ';').
[[nodiscard]] std::string findings_csv(const std::vector<finding>& findings);

/// Options of find_overloads.
struct overload_options {
  /// Load a unit carries without being overloaded (a task of weight 1 = 1); rounded to
  /// thousandths like the weights, so loads are summed exactly.
  double capacity = 1.0;
  /// Worker threads; 0: the hardware's, at most 8. The result does not depend on it.
  unsigned threads = 0;
};

/// Overlap and overload detection over many tasks at once (the kernel of plan::check's
/// overload finding, on plain arrays): task i belongs to unit `units[i]` (any integer code
/// >= 0, e.g. pandas.factorize codes), occupies the half-open day period
/// [starts[i], ends[i]) (ends exclusive, as Boost's date_period and iCalendar's DTEND; a task
/// ending on day d and one starting on d do not share a day) and carries load `weights[i]`
/// (1 for every task when `weights` is empty; supporting roles weigh less). `out[i]` is set to
/// 1 when on some day of task i's period the total load of its unit's active tasks exceeds
/// `options.capacity`, else 0. At capacity 1 with unit weights: the tasks overlapping another
/// task of their unit. Zero-length tasks (ends[i] == starts[i]) carry no load and are never
/// marked. Weights and capacity are rounded to thousandths.
/// Complexity: O(n + number of units) time and memory: one counting sort of the tasks by unit,
/// then each unit's tasks in cache (a per-day difference array over the unit's days when they
/// span at most 8 days per task + 256, else a sorted sweep of its 2k events, O(k log k)).
/// Throws data_error naming the task index for arrays of different lengths, ends[i] < starts[i],
/// a negative unit, a weight that is negative, not finite or 2^31/1000 or more, days spanning
/// 2^31 or more; spec_error for a negative or non-finite capacity.
void find_overloads(std::span<const std::int64_t> units, std::span<const std::int64_t> starts,
                    std::span<const std::int64_t> ends, std::span<const double> weights,
                    std::span<std::uint8_t> out, const overload_options& options = {});

/// As above with 32-bit unsigned unit codes.
void find_overloads(std::span<const std::uint32_t> units, std::span<const std::int64_t> starts,
                    std::span<const std::int64_t> ends, std::span<const double> weights,
                    std::span<std::uint8_t> out, const overload_options& options = {});

/// As above, returning the mask (1: the task is in an overload).
[[nodiscard]] std::vector<std::uint8_t> find_overloads(std::span<const std::int64_t> units,
                                                       std::span<const std::int64_t> starts,
                                                       std::span<const std::int64_t> ends,
                                                       std::span<const double> weights = {},
                                                       const overload_options& options = {});

namespace detail {

/// One interval of the sweep: group (unit or resource), half-open [start, past_end) in day
/// numbers, and its weights in thousandths: `certain` counts where the dates are known to the
/// day, `possible` where they may lie (coarse ranges, open ends).
struct sweep_item {
  std::uint32_t group = 0;
  std::int64_t start = 0;
  std::int64_t past_end = 0;
  std::int64_t certain = 0;
  std::int64_t possible = 0;
  std::uint32_t task = 0;
};

/// A maximal run of days of one group over its capacity.
struct overload_run {
  std::uint32_t group = 0;
  std::int64_t start = 0;              ///< first day of the run
  std::int64_t past_end = 0;           ///< day after the last
  bool certain = false;                ///< over capacity on certain load (else only possibly)
  std::int64_t peak = 0;               ///< peak load in the run (certain or possible), thousandths
  std::vector<std::uint32_t> tasks{};  ///< tasks active in the run, sorted, unique
};

/// The overloads of plan::check, per group (unit or resource): every maximal run where a
/// group's certain load exceeds its capacity (certain run) or only its possible load does
/// (possible run). `capacity[g]` in thousandths (groups beyond the vector: 1000). Intervals with
/// past_end <= start are ignored. Output sorted by group, start; a run's tasks are those whose
/// interval meets it, sorted, unique. Complexity: O(n + groups + output), as find_overloads: a
/// counting sort by group, then each group's days in cache (difference arrays, or its sorted
/// events when few intervals span many days). Throws spec_error for weights outside [0, 2^31)
/// or days spanning 2^31 or more.
std::vector<overload_run> sweep_overloads(const std::vector<sweep_item>& items,
                                          const std::vector<std::int64_t>& capacity);

}  // namespace detail

}  // namespace khuyenhoc
