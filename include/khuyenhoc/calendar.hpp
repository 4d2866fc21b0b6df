#pragma once
/// \file calendar.hpp
/// The Vietnamese lunar calendar (âm lịch, computed for UTC+7), Vietnam's public holidays as
/// dated rules kept as data, and working-day arithmetic.
///
/// Lunar dates are computed astronomically with Hồ Ngọc Đức's method: new moons by Meeus'
/// approximation, the sun's longitude for the major solar terms (trung khí), month 11 is the
/// month holding the winter solstice, and in a 13-month year the leap month is the first month
/// after month 11 without a major term. The result is the calendar used in Vietnam, which in
/// some years differs from the Chinese one (computed for UTC+8): Tết 1985 was on 21 January in
/// Vietnam and on 20 February in China.

#include <boost/date_time/gregorian/gregorian_types.hpp>

#include <climits>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace khuyenhoc {

// ---------------------------------------------------------------------------------------------
// Lunar calendar
// ---------------------------------------------------------------------------------------------

/// A date of the Vietnamese lunar calendar. `leap` marks the intercalary month (tháng nhuận),
/// which repeats the number of the month before it. Ordered chronologically.
struct lunar_date {
  int day = 1;        ///< 1..30
  int month = 1;      ///< 1..12
  int year = 1900;    ///< the lunar year, numbered as the solar year in which it mostly lies
  bool leap = false;  ///< true in the leap month

  friend bool operator==(const lunar_date&, const lunar_date&) = default;
};

/// First and last solar years the lunar conversions accept. The astronomy is accurate (matches
/// the published Vietnamese calendar) at least for 1900–2100; the wider range is supported
/// because holiday and plan arithmetic near the ends of that span needs neighbouring years.
inline constexpr int lunar_first_year = 1800;
inline constexpr int lunar_last_year = 2199;

/// The lunar date of a solar (Gregorian) date, in Vietnam (UTC+7).
/// Precondition: none. Complexity: O(log n) in a table of lunar months built once per process
/// (about 1 ms, thread-safe). Throws data_error if `day` is a special value or outside
/// [lunar_first_year, lunar_last_year].
[[nodiscard]] lunar_date solar_to_lunar(boost::gregorian::date day);

/// The solar date of a lunar date (leap = the intercalary month of that number).
/// Complexity: O(1). Throws data_error for a lunar date that does not exist: month outside
/// 1..12, day outside the month's 29 or 30 days, a leap month the year does not have, or a year
/// outside [lunar_first_year, lunar_last_year - 1].
[[nodiscard]] boost::gregorian::date lunar_to_solar(int day, int month, int year,
                                                    bool leap = false);

/// The leap month of a lunar year (1..12), or 0 when the year has 12 months. A leap month 11 or
/// 12 that follows month 11 or 12 of `lunar_year` counts for `lunar_year`.
/// Throws data_error for a year outside the supported range.
[[nodiscard]] int lunar_leap_month(int lunar_year);

/// Number of days (29 or 30) of a lunar month. Throws data_error if the month does not exist.
[[nodiscard]] int lunar_month_length(int month, int lunar_year, bool leap = false);

// ---------------------------------------------------------------------------------------------
// Holiday rules
// ---------------------------------------------------------------------------------------------

/// One dated holiday rule: which days off a holiday gives in the years [since, until].
/// The anchor is a solar or a lunar day-month; `offsets` are the days off relative to it.
/// With `adjacent` non-empty the rule instead gives exactly one day off: of the anchor + each
/// listed offset, the one that is a working day and makes the longest unbroken break with the
/// neighbouring days off (ties: the first listed) — this is how the day next to National Day
/// (1/9 or 3/9) is chosen.
struct holiday_rule {
  enum class calendar_kind : std::uint8_t { solar, lunar };

  std::string id;       ///< stable key, e.g. "tet"; rules may share an id (one per period)
  std::string name_vi;  ///< Vietnamese name, e.g. "Tết Nguyên Đán"
  std::string name_en;  ///< English name
  calendar_kind calendar = calendar_kind::solar;
  int month = 1;                ///< anchor month (1..12)
  int day = 1;                  ///< anchor day (1..31 solar, 1..30 lunar)
  bool leap = false;            ///< lunar only: anchor in the leap month
  int year_offset = 0;          ///< lunar only: anchor in lunar year (year + year_offset), e.g. -1
                                ///< for "29 tháng Chạp" before Tết
  std::vector<int> offsets{0};  ///< days off, relative to the anchor
  std::vector<int> adjacent;    ///< if set: candidate offsets of the one adjacent day
  int since = INT_MIN;          ///< first year the rule applies (solar year of the days off)
  int until = INT_MAX;          ///< last year the rule applies
};

/// Substitute days off (nghỉ bù): in the years [since, until], a rule's day off that falls on a
/// weekend day is made up on the next working day after it.
struct substitute_rule {
  std::string name_vi = "Nghỉ bù";
  std::string name_en = "Substitute day off";
  int since = INT_MIN;
  int until = INT_MAX;
};

/// A year-specific span set by decision (e.g. the government's yearly Tết schedule): for that
/// year the days off of every rule with this id are exactly [first, last] (weekend days inside
/// included, no substitute days added).
struct holiday_span {
  std::string id;
  int year = 0;
  boost::gregorian::date first;
  boost::gregorian::date last;
  std::string source{};  ///< the decision that set it (for the record; not interpreted)
};

/// A day swap decided for a year (hoán đổi ngày làm việc): `day_off` (a working day) becomes a
/// day off and `work` (a weekend day), when known, a working day to make up for it.
struct holiday_swap {
  boost::gregorian::date day_off;
  std::optional<boost::gregorian::date> work{};
  std::string name_vi = "Nghỉ hoán đổi";
  std::string name_en = "Swapped day off";
  std::string source{};
};

/// A set of holiday rules, loaded from YAML (see src/data/vn_holidays.yaml for the format).
/// A plain value: copy it, edit it, give it to a calendar.
class holiday_rules {
 public:
  /// No rules at all.
  holiday_rules() = default;

  /// Vietnam's public holidays since 1995, from the YAML built into the library.
  /// Complexity: parses the embedded YAML once per call (microseconds).
  [[nodiscard]] static holiday_rules vietnam();

  /// Rules from YAML text. `source` names the text in error messages.
  /// Throws parse_error (malformed YAML, with line and column) or spec_error (a rule that does
  /// not make sense: bad month/day, since > until, unknown key values).
  [[nodiscard]] static holiday_rules from_yaml(std::string_view text,
                                               std::string_view source = "<string>");

  /// Rules from a YAML file. Throws as from_yaml, and error if the file cannot be read.
  [[nodiscard]] static holiday_rules from_yaml_file(const std::string& path);

  /// Appends a rule. Throws spec_error if it is invalid.
  void add_rule(holiday_rule rule);
  /// Appends a substitute-day rule.
  void add_substitute_rule(substitute_rule rule);
  /// Sets (or replaces) the span of rule `id` in `year`. Throws spec_error if last < first or
  /// the dates are not in `year`.
  void set_span(const std::string& id, int year, boost::gregorian::date first,
                boost::gregorian::date last, std::string source = {});
  /// Adds a day swap (replacing one with the same day off). Throws spec_error if the make-up
  /// day is the day off itself.
  void add_swap(holiday_swap swap);

  /// The rules, in the order given.
  [[nodiscard]] const std::vector<holiday_rule>& rules() const noexcept { return rules_; }
  /// The substitute-day rules; the first one in force for a holiday's year applies.
  [[nodiscard]] const std::vector<substitute_rule>& substitutes() const noexcept {
    return substitutes_;
  }
  /// The year-specific spans (at most one per id and year).
  [[nodiscard]] const std::vector<holiday_span>& spans() const noexcept { return spans_; }
  /// The day swaps, sorted by day off.
  [[nodiscard]] const std::vector<holiday_swap>& swaps() const noexcept { return swaps_; }

 private:
  std::vector<holiday_rule> rules_;
  std::vector<substitute_rule> substitutes_;
  std::vector<holiday_span> spans_;
  std::vector<holiday_swap> swaps_;
};

/// What a day is in a calendar (calendar::classify), and what kind of day off a holiday is.
enum class day_type : std::uint8_t {
  working_day,          ///< an ordinary working day
  weekend,              ///< a weekly rest day
  public_holiday,       ///< a day off by a holiday rule (the law's days)
  announced_break,      ///< a day of a break the government announced for the year (Tết span)
  substitute_day,       ///< a day off in place of a holiday that fell on a weekend (nghỉ bù)
  swapped_day_off,      ///< a working day made a day off by a swap (hoán đổi)
  swapped_working_day,  ///< a weekend day or holiday worked to make up (làm bù)
  extra_holiday,        ///< a day off added to the calendar (a local or department holiday)
};

/// "working_day", "weekend", "public_holiday", "announced_break", "substitute_day",
/// "swapped_day_off", "swapped_working_day", "extra_holiday".
[[nodiscard]] std::string_view to_string(day_type t) noexcept;

/// One day off in a year's list.
struct holiday {
  boost::gregorian::date date;  ///< the day off
  std::string name_vi;          ///< e.g. "Tết Nguyên Đán", "Nghỉ bù Quốc khánh"
  std::string name_en;
  std::string rule_id;      ///< id of the rule it comes from; "extra" for added holidays,
                            ///< "swap" for swapped days
  bool substitute = false;  ///< a substitute day off for a holiday on a weekend
  /// public_holiday, announced_break, substitute_day, swapped_day_off, extra_holiday (or, in
  /// calendar::swapped_working_days, swapped_working_day).
  day_type type = day_type::public_holiday;
  std::string source{};  ///< the decision behind an announced break or a swap, if recorded

  friend bool operator==(const holiday&, const holiday&) = default;
};

namespace detail {
struct calendar_cache;
}

/// Holiday rules + extra holidays + make-up working days (ngày làm bù) + weekend days, with
/// working-day arithmetic. Copyable; const member functions are thread-safe (a year's days are
/// computed on first use and cached behind a mutex); modifying a calendar is not.
class calendar {
 public:
  /// Vietnam's rules (holiday_rules::vietnam()), weekend Saturday and Sunday.
  calendar();
  /// The given rules, weekend Saturday and Sunday.
  explicit calendar(holiday_rules rules);

  /// A calendar from YAML: holiday rules (`holidays`, `substitutes`, `spans`), optionally on top
  /// of the built-in ones (`base: vietnam`), plus `weekend`, `extra_holidays` and
  /// `make_up_days`. Throws parse_error or spec_error.
  [[nodiscard]] static calendar from_yaml(std::string_view text,
                                          std::string_view source = "<string>");
  /// As from_yaml, from a file.
  [[nodiscard]] static calendar from_yaml_file(const std::string& path);

  /// Weekend days (weekly rest days), Sunday = 0 … Saturday = 6 as boost::date_time counts.
  /// Throws spec_error if all seven days are weekend or a value is outside 0..6.
  void set_weekend(const std::vector<int>& days);
  /// Adds a day off (e.g. a day swapped by government decision, a local holiday).
  void add_holiday(boost::gregorian::date day, std::string name_vi, std::string name_en = {});
  /// Adds a make-up working day: a day that is worked although it is a weekend day or holiday.
  void add_make_up_day(boost::gregorian::date day);
  /// Sets the span of rule `id` in `year` (see holiday_rules::set_span).
  void set_span(const std::string& id, int year, boost::gregorian::date first,
                boost::gregorian::date last);
  /// Adds a day swap (see holiday_rules::add_swap).
  void add_swap(holiday_swap swap);
  /// Sets the days off for Tết in `year` (the government's decision): set_span("tet", …).
  void set_tet_span(int year, boost::gregorian::date first, boost::gregorian::date last) {
    set_span("tet", year, first, last);
  }

  /// The holiday rules (with the spans set on this calendar).
  [[nodiscard]] const holiday_rules& rules() const noexcept { return rules_; }
  /// The weekend days, sorted, Sunday = 0 … Saturday = 6.
  [[nodiscard]] const std::vector<int>& weekend() const noexcept { return weekend_; }

  /// The year's days off, sorted by date then name: rule days (public_holiday, or
  /// announced_break inside a decided span), substitute days, swapped days off, extra holidays;
  /// each with its `type`. Days worked by a swap are in swapped_working_days(), not here.
  /// Complexity: O(rules) on first use of a year, then a copy. Throws data_error if a lunar rule
  /// applies to a year outside the lunar range.
  [[nodiscard]] std::vector<holiday> holidays(int year) const;

  /// The weekend days (or holidays) of `year` worked by a swap or added as make-up days, sorted,
  /// with type swapped_working_day and the name of the swap. Throws as holidays().
  [[nodiscard]] std::vector<holiday> swapped_working_days(int year) const;

  /// What `day` is: a swapped working day or make-up day that is a weekend day or holiday;
  /// else the type of its day off (public_holiday before announced_break, substitute_day,
  /// swapped_day_off, extra_holiday); else weekend or working_day. O(log n) after the year's
  /// first use. Throws data_error for a special date.
  [[nodiscard]] day_type classify(boost::gregorian::date day) const;

  /// True on a weekend day.
  [[nodiscard]] bool is_weekend(boost::gregorian::date day) const;
  /// True on a day off given by a rule, a substitute day or an extra holiday.
  [[nodiscard]] bool is_holiday(boost::gregorian::date day) const;
  /// True on a make-up day, else when the day is neither a weekend day nor a holiday.
  /// Complexity: O(1) after the year's first use.
  [[nodiscard]] bool is_working_day(boost::gregorian::date day) const;

  /// The date `n` working days after `day` (before it when n < 0); `day` itself is not counted
  /// and need not be a working day; n = 0 returns `day`. Complexity: O(days walked).
  [[nodiscard]] boost::gregorian::date add_working_days(boost::gregorian::date day, long n) const;

  /// Number of working days in the half-open range [a, b); negative (the count of [b, a)) when
  /// b < a. Complexity: O(|b - a|).
  [[nodiscard]] long working_days_between(boost::gregorian::date a, boost::gregorian::date b) const;

 private:
  void invalidate();
  holiday_rules rules_;
  std::vector<int> weekend_{0, 6};
  std::vector<holiday> extra_;
  std::vector<boost::gregorian::date> make_up_;  // sorted, unique
  std::shared_ptr<detail::calendar_cache> cache_;
};

/// Vietnam's public holidays of a solar year with the default calendar (Saturday and Sunday
/// off): days off by rule and substitute days, sorted by date. Throws as calendar::holidays.
[[nodiscard]] std::vector<holiday> holidays(int year);

namespace detail {

/// Hồ Ngọc Đức's functions, kept literally (used to build the month table and, in tests, as
/// the reference it is checked against). Day numbers are Julian day numbers; `tz` in hours.
long new_moon_day(long k, double tz);
int sun_longitude_sector(long jdn, double tz);  ///< 0..11: which 30° sector the sun is in
long lunar_month_11(int year, double tz);       ///< JDN of the start of month 11 of `year`
int leap_month_offset(long a11, double tz);
lunar_date reference_solar_to_lunar(boost::gregorian::date day, double tz = 7.0);
boost::gregorian::date reference_lunar_to_solar(int day, int month, int year, bool leap,
                                                double tz = 7.0);

/// The YAML text of the built-in Vietnamese holiday rules (src/data/vn_holidays.yaml).
extern const char* const vn_holidays_yaml;

}  // namespace detail

}  // namespace khuyenhoc
