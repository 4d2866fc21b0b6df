// The Vietnamese lunar calendar (Hồ Ngọc Đức's astronomical method for UTC+7), holiday rules
// from YAML, and working-day arithmetic.
#include <khuyenhoc/calendar.hpp>
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/io.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cmath>
#include <fstream>
#include <mutex>
#include <numbers>
#include <optional>
#include <sstream>
#include <tuple>
#include <utility>

#include "yaml_load.hpp"

namespace khuyenhoc {

namespace bg = boost::gregorian;

namespace {

// Julian day number <-> boost date. boost's julian_day() is the JDN of the civil day.
constexpr long jdn_unix_epoch = 2440588;  // 1970-01-01

long to_jdn(bg::date d) {
  return static_cast<long>(d.julian_day());
}

bg::date from_jdn(long jdn) {
  return bg::date(1970, 1, 1) + bg::days(jdn - jdn_unix_epoch);
}

std::string year_range_message(int year) {
  return "year " + std::to_string(year) + " is outside the lunar calendar's range " +
         std::to_string(lunar_first_year) + "-" + std::to_string(lunar_last_year);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hồ Ngọc Đức's functions (https://www.informatik.uni-leipzig.de/~duc/amlich/calrules_en.html)
// ---------------------------------------------------------------------------------------------
namespace detail {

namespace {

constexpr double pi = std::numbers::pi;
// Days from the epoch of the new-moon count k = 0 (1900-01-01) and the mean synodic month.
constexpr double k0_jd = 2415021.076998695;
constexpr double synodic_month = 29.530588853;

long floor_long(double x) {
  return static_cast<long>(std::floor(x));
}

// Julian day (fractional) of the k-th new moon after 1900-01-01 (Meeus, Astronomical
// Algorithms, ch. 49, abridged), in Universal Time.
double new_moon(long k) {
  const double t = static_cast<double>(k) / 1236.85;
  const double t2 = t * t;
  const double t3 = t2 * t;
  const double dr = pi / 180;
  const double kd = static_cast<double>(k);
  double jd1 = 2415020.75933 + 29.53058868 * kd + 0.0001178 * t2 - 0.000000155 * t3;
  jd1 += 0.00033 * std::sin((166.56 + 132.87 * t - 0.009173 * t2) * dr);
  const double m = 359.2242 + 29.10535608 * kd - 0.0000333 * t2 - 0.00000347 * t3;
  const double mpr = 306.0253 + 385.81691806 * kd + 0.0107306 * t2 + 0.00001236 * t3;
  const double f = 21.2964 + 390.67050646 * kd - 0.0016528 * t2 - 0.00000239 * t3;
  double c1 = (0.1734 - 0.000393 * t) * std::sin(m * dr) + 0.0021 * std::sin(2 * dr * m);
  c1 = c1 - 0.4068 * std::sin(mpr * dr) + 0.0161 * std::sin(dr * 2 * mpr);
  c1 = c1 - 0.0004 * std::sin(dr * 3 * mpr);
  c1 = c1 + 0.0104 * std::sin(dr * 2 * f) - 0.0051 * std::sin(dr * (m + mpr));
  c1 = c1 - 0.0074 * std::sin(dr * (m - mpr)) + 0.0004 * std::sin(dr * (2 * f + m));
  c1 = c1 - 0.0004 * std::sin(dr * (2 * f - m)) - 0.0006 * std::sin(dr * (2 * f + mpr));
  c1 = c1 + 0.0010 * std::sin(dr * (2 * f - mpr)) + 0.0005 * std::sin(dr * (2 * mpr + m));
  double delta_t = 0;  // ΔT = TT - UT, in days
  if (t < -11) {
    delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3;
  } else {
    delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2;
  }
  return jd1 + c1 - delta_t;
}

// The sun's apparent longitude in radians, [0, 2π), at Julian day `jd` (Meeus ch. 25, low
// accuracy).
double sun_longitude(double jd) {
  const double t = (jd - 2451545.0) / 36525;
  const double t2 = t * t;
  const double dr = pi / 180;
  const double m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
  const double l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
  double dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * std::sin(dr * m);
  dl = dl + (0.019993 - 0.000101 * t) * std::sin(dr * 2 * m) + 0.000290 * std::sin(dr * 3 * m);
  double l = (l0 + dl) * dr;
  l = l - pi * 2 * static_cast<double>(floor_long(l / (pi * 2)));
  return l;
}

}  // namespace

long new_moon_day(long k, double tz) {
  return floor_long(new_moon(k) + 0.5 + tz / 24);
}

int sun_longitude_sector(long jdn, double tz) {
  // The sun's position at local midnight that starts day `jdn`.
  return static_cast<int>(
      floor_long(sun_longitude(static_cast<double>(jdn) - 0.5 - tz / 24) / pi * 6));
}

long lunar_month_11(int year, double tz) {
  const long off = to_jdn(bg::date(static_cast<unsigned short>(year), 12, 31)) - 2415021;
  const long k = floor_long(static_cast<double>(off) / synodic_month);
  long nm = new_moon_day(k, tz);
  if (sun_longitude_sector(nm, tz) >= 9) nm = new_moon_day(k - 1, tz);
  return nm;
}

int leap_month_offset(long a11, double tz) {
  const long k = floor_long((static_cast<double>(a11) - k0_jd) / synodic_month + 0.5);
  int i = 1;
  int arc = sun_longitude_sector(new_moon_day(k + i, tz), tz);
  int last = 0;
  do {
    last = arc;
    ++i;
    arc = sun_longitude_sector(new_moon_day(k + i, tz), tz);
  } while (arc != last && i < 14);
  return i - 1;
}

lunar_date reference_solar_to_lunar(bg::date day, double tz) {
  const long day_number = to_jdn(day);
  const int yy = day.year();
  const long k = floor_long((static_cast<double>(day_number) - k0_jd) / synodic_month);
  long month_start = new_moon_day(k + 1, tz);
  if (month_start > day_number) month_start = new_moon_day(k, tz);
  // Not in the original: when the mean-lunation estimate k overshoots, month k starts after the
  // day too and the original returns day 0 (e.g. 2054-05-07); step back one more month.
  if (month_start > day_number) month_start = new_moon_day(k - 1, tz);
  long a11 = lunar_month_11(yy, tz);
  long b11 = a11;
  int lunar_year = 0;
  if (a11 >= month_start) {
    lunar_year = yy;
    a11 = lunar_month_11(yy - 1, tz);
  } else {
    lunar_year = yy + 1;
    b11 = lunar_month_11(yy + 1, tz);
  }
  const int lunar_day = static_cast<int>(day_number - month_start + 1);
  const int diff = static_cast<int>((month_start - a11) / 29);
  bool leap = false;
  int lunar_month = diff + 11;
  if (b11 - a11 > 365) {
    const int leap_diff = leap_month_offset(a11, tz);
    if (diff >= leap_diff) {
      lunar_month = diff + 10;
      if (diff == leap_diff) leap = true;
    }
  }
  if (lunar_month > 12) lunar_month -= 12;
  if (lunar_month >= 11 && diff < 4) lunar_year -= 1;
  return {lunar_day, lunar_month, lunar_year, leap};
}

bg::date reference_lunar_to_solar(int day, int month, int year, bool leap, double tz) {
  long a11 = 0;
  long b11 = 0;
  if (month < 11) {
    a11 = lunar_month_11(year - 1, tz);
    b11 = lunar_month_11(year, tz);
  } else {
    a11 = lunar_month_11(year, tz);
    b11 = lunar_month_11(year + 1, tz);
  }
  const long k = floor_long(0.5 + (static_cast<double>(a11) - k0_jd) / synodic_month);
  int off = month - 11;
  if (off < 0) off += 12;
  if (b11 - a11 > 365) {
    const int leap_off = leap_month_offset(a11, tz);
    int leap_month = leap_off - 2;
    if (leap_month < 0) leap_month += 12;
    if (leap && month != leap_month) {
      throw data_error("lunar year " + std::to_string(year) + " has no leap month " +
                       std::to_string(month));
    }
    if (leap || off >= leap_off) off += 1;
  } else if (leap) {
    throw data_error("lunar year " + std::to_string(year) + " has no leap month");
  }
  return from_jdn(new_moon_day(k + off, tz) + day - 1);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// The month table: every lunar month from month 11 of 1799 to month 11 of 2199, built once.
// ---------------------------------------------------------------------------------------------
namespace {

constexpr double vietnam_tz = 7.0;

struct month_entry {
  long start;  // JDN of day 1
  int month;
  int year;
  bool leap;
};

struct month_table {
  std::vector<month_entry> months;  // chronological; the last entry is a sentinel (end only)
  std::vector<std::size_t> first_month_of_year;  // index of month 1 of lunar year y - offset
  int first_lunar_year = 0;
  long first_jdn = 0;  // supported solar range [first_jdn, last_jdn]
  long last_jdn = 0;
};

month_table build_month_table() {
  month_table t;
  // Months of lunar year y run from month 1 (after month 11 of solar year y - 1) to month 12 (up
  // to month 11 of solar year y). Build intervals [a11(y - 1), a11(y)) for y in the range.
  const int first = lunar_first_year;    // covers solar dates from month 11 of first - 1
  const int last = lunar_last_year + 1;  // and up to month 11 of last
  std::vector<long> a11;
  a11.reserve(static_cast<std::size_t>(last - first + 2));
  for (int y = first - 1; y <= last; ++y) a11.push_back(detail::lunar_month_11(y, vietnam_tz));
  t.months.reserve(static_cast<std::size_t>(last - first + 2) * 13);
  for (std::size_t i = 0; i + 1 < a11.size(); ++i) {
    const int solar_year = first - 1 + static_cast<int>(i);  // a11[i] is in this solar year
    const long start = a11[i];
    const long end = a11[i + 1];
    const long k = static_cast<long>(
        std::floor(0.5 + (static_cast<double>(start) - 2415021.076998695) / 29.530588853));
    const bool has_leap = end - start > 365;
    const int leap_off = has_leap ? detail::leap_month_offset(start, vietnam_tz) : -1;
    const int count = has_leap ? 13 : 12;
    int lunar_year = solar_year;  // months 11 and 12 belong to the lunar year of solar_year
    for (int j = 0; j < count; ++j) {
      int month = 0;
      bool leap = false;
      if (!has_leap || j < leap_off) {
        month = 11 + j;
      } else {
        month = 10 + j;
        leap = j == leap_off;
      }
      if (month > 12) month -= 12;
      if (month == 1 && !leap) lunar_year = solar_year + 1;
      t.months.push_back({detail::new_moon_day(k + j, vietnam_tz), month, lunar_year, leap});
    }
  }
  t.months.push_back({a11.back(), 11, last, false});  // sentinel: start of the uncovered part
  t.first_lunar_year = first;
  for (std::size_t i = 0; i < t.months.size() - 1; ++i) {
    const auto& m = t.months[i];
    if (m.month == 1 && !m.leap) t.first_month_of_year.push_back(i);
  }
  // The solar range we promise: whole years [lunar_first_year, lunar_last_year].
  t.first_jdn = to_jdn(bg::date(lunar_first_year, 1, 1));
  t.last_jdn = to_jdn(bg::date(lunar_last_year, 12, 31));
  return t;
}

const month_table& table() {
  static const month_table t = build_month_table();  // thread-safe initialisation
  return t;
}

// Index of the month entry of a lunar month, or throws data_error.
std::size_t find_month(int month, int year, bool leap) {
  const auto& t = table();
  if (month < 1 || month > 12) {
    throw data_error("lunar month " + std::to_string(month) + " does not exist (1..12)");
  }
  const long yi = static_cast<long>(year) - t.first_lunar_year;
  // The last year's months 11 and 12 are past the table: keep [first, last - 1] complete.
  if (yi < 0 || year > lunar_last_year) throw data_error(year_range_message(year));
  std::size_t i = t.first_month_of_year.at(static_cast<std::size_t>(yi));
  for (; i + 1 < t.months.size() && t.months[i].year == year; ++i) {
    if (t.months[i].month == month && t.months[i].leap == leap) return i;
  }
  if (leap) {
    throw data_error("lunar year " + std::to_string(year) + " has no leap month " +
                     std::to_string(month));
  }
  throw data_error("lunar month " + std::to_string(month) + " of " + std::to_string(year) +
                   " is outside the lunar calendar's range");
}

}  // namespace

lunar_date solar_to_lunar(bg::date day) {
  if (day.is_special()) throw data_error("solar_to_lunar: not a date");
  const auto& t = table();
  const long jdn = to_jdn(day);
  if (jdn < t.first_jdn || jdn > t.last_jdn) throw data_error(year_range_message(day.year()));
  // The last month whose start is <= jdn.
  const auto it = std::upper_bound(t.months.begin(), t.months.end(), jdn,
                                   [](long x, const month_entry& m) { return x < m.start; });
  const month_entry& m = *(it - 1);
  return {static_cast<int>(jdn - m.start + 1), m.month, m.year, m.leap};
}

bg::date lunar_to_solar(int day, int month, int year, bool leap) {
  const std::size_t i = find_month(month, year, leap);
  const auto& t = table();
  const long length = t.months[i + 1].start - t.months[i].start;
  if (day < 1 || day > length) {
    throw data_error("day " + std::to_string(day) + " does not exist in lunar month " +
                     std::to_string(month) + (leap ? " (leap)" : "") + " of " +
                     std::to_string(year) + ", which has " + std::to_string(length) + " days");
  }
  return from_jdn(t.months[i].start + day - 1);
}

int lunar_leap_month(int lunar_year) {
  const auto& t = table();
  const long yi = static_cast<long>(lunar_year) - t.first_lunar_year;
  if (yi < 0 || lunar_year > lunar_last_year) throw data_error(year_range_message(lunar_year));
  for (std::size_t i = t.first_month_of_year.at(static_cast<std::size_t>(yi));
       i + 1 < t.months.size() && t.months[i].year == lunar_year; ++i) {
    if (t.months[i].leap) return t.months[i].month;
  }
  return 0;
}

int lunar_month_length(int month, int lunar_year, bool leap) {
  const std::size_t i = find_month(month, lunar_year, leap);
  return static_cast<int>(table().months[i + 1].start - table().months[i].start);
}

// ---------------------------------------------------------------------------------------------
// Holiday rules from YAML
// ---------------------------------------------------------------------------------------------
namespace {

location mark_location(const YAML::Node& node, std::string_view source) {
  location where;
  where.file = std::string(source);
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) where.line = static_cast<std::size_t>(mark.line) + 1;
  if (mark.column >= 0) where.column = static_cast<std::size_t>(mark.column) + 1;
  return where;
}

[[noreturn]] void spec_fail(const YAML::Node& node, std::string_view source,
                            const std::string& message) {
  throw spec_error(message, mark_location(node, source));
}

template <class T>
T scalar_as(const YAML::Node& node, std::string_view source, const char* what) {
  if (!node.IsScalar()) spec_fail(node, source, std::string(what) + " must be a scalar");
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    spec_fail(node, source, std::string("invalid ") + what + ": \"" + node.Scalar() + "\"");
  }
}

int int_in(const YAML::Node& node, std::string_view source, const char* what, int lo, int hi) {
  const int v = scalar_as<int>(node, source, what);
  if (v < lo || v > hi) {
    spec_fail(node, source,
              std::string(what) + " " + std::to_string(v) + " is outside " + std::to_string(lo) +
                  ".." + std::to_string(hi));
  }
  return v;
}

bg::date date_of(const YAML::Node& node, std::string_view source, const char* what) {
  const auto text = scalar_as<std::string>(node, source, what);
  // ISO 8601 calendar date, YYYY-MM-DD.
  int y = 0;
  int m = 0;
  int d = 0;
  char dash1 = 0;
  char dash2 = 0;
  std::istringstream in(text);
  if (text.size() == 10 && (in >> y >> dash1 >> m >> dash2 >> d) && dash1 == '-' && dash2 == '-' &&
      in.peek() == std::char_traits<char>::eof()) {
    try {
      return bg::date(static_cast<unsigned short>(y), static_cast<unsigned short>(m),
                      static_cast<unsigned short>(d));
    } catch (const std::out_of_range&) {
      // falls through to the error below
    }
  }
  spec_fail(node, source, std::string(what) + " must be a date YYYY-MM-DD, got \"" + text + "\"");
}

void check_keys(const YAML::Node& map, std::string_view source,
                std::initializer_list<std::string_view> allowed, const char* what) {
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      spec_fail(kv.first, source, std::string("unknown key \"") + key + "\" in " + what);
    }
  }
}

std::vector<int> int_list(const YAML::Node& node, std::string_view source, const char* what) {
  if (!node.IsSequence() || node.size() == 0) {
    spec_fail(node, source, std::string(what) + " must be a non-empty list of integers");
  }
  std::vector<int> out;
  for (const auto& v : node) out.push_back(int_in(v, source, what, -366, 366));
  return out;
}

void validate_rule(const holiday_rule& r) {
  if (r.id.empty()) throw spec_error("holiday rule without an id");
  const std::string where = "holiday rule \"" + r.id + "\": ";
  if (r.month < 1 || r.month > 12) throw spec_error(where + "month must be 1..12");
  const int max_day = r.calendar == holiday_rule::calendar_kind::lunar ? 30 : 31;
  if (r.day < 1 || r.day > max_day) {
    throw spec_error(where + "day must be 1.." + std::to_string(max_day));
  }
  if (r.calendar == holiday_rule::calendar_kind::solar) {
    // A solar anchor must exist in some year (29/2 exists in leap years).
    static constexpr std::array<int, 12> month_days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (r.day > month_days.at(static_cast<std::size_t>(r.month - 1))) {
      throw spec_error(where + std::to_string(r.day) + "/" + std::to_string(r.month) +
                       " does not exist");
    }
    if (r.leap || r.year_offset != 0) {
      throw spec_error(where + "leap and year offsets apply to lunar dates only");
    }
  }
  if (r.offsets.empty() && r.adjacent.empty()) throw spec_error(where + "gives no day off");
  if (r.since > r.until) throw spec_error(where + "since is after until");
}

holiday_rule parse_rule(const YAML::Node& node, std::string_view source) {
  if (!node.IsMap()) spec_fail(node, source, "a holiday rule must be a mapping");
  check_keys(node, source,
             {"id", "name_vi", "name_en", "solar", "lunar", "offsets", "days", "adjacent", "since",
              "until", "note"},
             "a holiday rule");
  holiday_rule r;
  if (!node["id"]) spec_fail(node, source, "holiday rule without an id");
  r.id = scalar_as<std::string>(node["id"], source, "id");
  if (node["name_vi"]) r.name_vi = scalar_as<std::string>(node["name_vi"], source, "name_vi");
  if (node["name_en"]) r.name_en = scalar_as<std::string>(node["name_en"], source, "name_en");
  if (r.name_vi.empty()) r.name_vi = r.id;
  if (r.name_en.empty()) r.name_en = r.name_vi;
  const bool solar = static_cast<bool>(node["solar"]);
  const bool lunar = static_cast<bool>(node["lunar"]);
  if (solar == lunar) {
    spec_fail(node, source, "holiday rule \"" + r.id + "\" needs exactly one of solar, lunar");
  }
  const YAML::Node anchor = solar ? node["solar"] : node["lunar"];
  if (!anchor.IsMap()) spec_fail(anchor, source, "the date must be a mapping {month, day}");
  r.calendar = solar ? holiday_rule::calendar_kind::solar : holiday_rule::calendar_kind::lunar;
  if (solar) {
    check_keys(anchor, source, {"month", "day"}, "a solar date");
  } else {
    check_keys(anchor, source, {"month", "day", "leap", "year"}, "a lunar date");
  }
  if (!anchor["month"] || !anchor["day"]) spec_fail(anchor, source, "the date needs month, day");
  r.month = int_in(anchor["month"], source, "month", 1, 12);
  r.day = int_in(anchor["day"], source, "day", 1, solar ? 31 : 30);
  if (anchor["leap"]) r.leap = scalar_as<bool>(anchor["leap"], source, "leap");
  if (anchor["year"]) {
    const auto which = scalar_as<std::string>(anchor["year"], source, "year");
    if (which == "previous") {
      r.year_offset = -1;
    } else if (which == "same") {
      r.year_offset = 0;
    } else {
      spec_fail(anchor["year"], source, "year must be \"same\" or \"previous\"");
    }
  }
  const int n_forms = static_cast<int>(static_cast<bool>(node["offsets"])) +
                      static_cast<int>(static_cast<bool>(node["days"])) +
                      static_cast<int>(static_cast<bool>(node["adjacent"]));
  if (n_forms > 1) {
    spec_fail(node, source, "holiday rule \"" + r.id + "\": use one of offsets, days, adjacent");
  }
  if (node["offsets"]) r.offsets = int_list(node["offsets"], source, "offsets");
  if (node["days"]) {
    const int n = int_in(node["days"], source, "days", 1, 366);
    r.offsets.clear();
    for (int i = 0; i < n; ++i) r.offsets.push_back(i);
  }
  if (node["adjacent"]) {
    r.adjacent = int_list(node["adjacent"], source, "adjacent");
    r.offsets.clear();
  }
  if (node["since"]) r.since = int_in(node["since"], source, "since", 1400, 9999);
  if (node["until"]) r.until = int_in(node["until"], source, "until", 1400, 9999);
  try {
    validate_rule(r);
  } catch (const spec_error& e) {
    spec_fail(node, source, e.message());
  }
  return r;
}

// The library's one YAML path: duplicate keys, alias bounds, UTF-8 (src/yaml_load.hpp).
YAML::Node load_yaml(std::string_view text, std::string_view source) {
  return detail::load_yaml(text, std::string(source));
}

// The library's one user-file opener (io.hpp): the same error for a missing file everywhere.
std::string read_file(const std::string& path) {
  return read_user_file(path);
}

// Reads the rule keys of a YAML mapping into `rules` (appending).
void read_rules(const YAML::Node& root, std::string_view source, holiday_rules& rules) {
  if (const auto hs = root["holidays"]) {
    if (!hs.IsSequence()) spec_fail(hs, source, "holidays must be a list of rules");
    for (const auto& h : hs) rules.add_rule(parse_rule(h, source));
  }
  if (const auto ss = root["substitutes"]) {
    if (!ss.IsSequence()) spec_fail(ss, source, "substitutes must be a list");
    for (const auto& s : ss) {
      if (!s.IsMap()) spec_fail(s, source, "a substitute rule must be a mapping");
      check_keys(s, source, {"name_vi", "name_en", "since", "until", "note"}, "a substitute rule");
      substitute_rule r;
      if (s["name_vi"]) r.name_vi = scalar_as<std::string>(s["name_vi"], source, "name_vi");
      if (s["name_en"]) r.name_en = scalar_as<std::string>(s["name_en"], source, "name_en");
      if (s["since"]) r.since = int_in(s["since"], source, "since", 1400, 9999);
      if (s["until"]) r.until = int_in(s["until"], source, "until", 1400, 9999);
      if (r.since > r.until) spec_fail(s, source, "since is after until");
      rules.add_substitute_rule(std::move(r));
    }
  }
  if (const auto sp = root["spans"]) {
    if (!sp.IsSequence()) spec_fail(sp, source, "spans must be a list");
    for (const auto& s : sp) {
      if (!s.IsMap()) spec_fail(s, source, "a span must be a mapping");
      check_keys(s, source, {"id", "year", "from", "to", "note", "source"}, "a span");
      if (!s["id"] || !s["year"] || !s["from"] || !s["to"]) {
        spec_fail(s, source, "a span needs id, year, from, to");
      }
      try {
        rules.set_span(
            scalar_as<std::string>(s["id"], source, "id"),
            int_in(s["year"], source, "year", 1400, 9999), date_of(s["from"], source, "from"),
            date_of(s["to"], source, "to"),
            s["source"] ? scalar_as<std::string>(s["source"], source, "source") : std::string{});
      } catch (const spec_error& e) {
        if (!e.where().file.empty()) throw;
        spec_fail(s, source, e.message());
      }
    }
  }
  if (const auto sw = root["swaps"]) {
    if (!sw.IsSequence()) spec_fail(sw, source, "swaps must be a list");
    for (const auto& s : sw) {
      if (!s.IsMap()) spec_fail(s, source, "a swap must be a mapping {off, work}");
      check_keys(s, source, {"off", "work", "name_vi", "name_en", "source", "note"}, "a swap");
      if (!s["off"]) spec_fail(s, source, "a swap needs the day off (off)");
      holiday_swap x;
      x.day_off = date_of(s["off"], source, "off");
      if (s["work"] && !s["work"].IsNull()) x.work = date_of(s["work"], source, "work");
      if (s["name_vi"]) x.name_vi = scalar_as<std::string>(s["name_vi"], source, "name_vi");
      if (s["name_en"]) x.name_en = scalar_as<std::string>(s["name_en"], source, "name_en");
      if (s["source"]) x.source = scalar_as<std::string>(s["source"], source, "source");
      try {
        rules.add_swap(std::move(x));
      } catch (const spec_error& e) {
        spec_fail(s, source, e.message());
      }
    }
  }
}

holiday_rules rules_from_root(const YAML::Node& root, std::string_view source,
                              std::initializer_list<std::string_view> allowed) {
  if (!root.IsMap()) spec_fail(root, source, "the holiday rules must be a YAML mapping");
  check_keys(root, source, allowed, "the holiday rules");
  if (const auto v = root["version"]; v && int_in(v, source, "version", 1, 1) != 1) {
    spec_fail(v, source, "unsupported version");
  }
  holiday_rules rules;
  if (const auto base = root["base"]) {
    const auto name = scalar_as<std::string>(base, source, "base");
    if (name != "vietnam") spec_fail(base, source, "unknown base \"" + name + "\" (vietnam)");
    rules = holiday_rules::vietnam();
  }
  read_rules(root, source, rules);
  return rules;
}

}  // namespace

holiday_rules holiday_rules::vietnam() {
  return from_yaml(detail::vn_holidays_yaml, "vn_holidays.yaml");
}

holiday_rules holiday_rules::from_yaml(std::string_view text, std::string_view source) {
  const YAML::Node root = load_yaml(text, source);
  return rules_from_root(root, source,
                         {"version", "base", "holidays", "substitutes", "spans", "swaps"});
}

holiday_rules holiday_rules::from_yaml_file(const std::string& path) {
  return from_yaml(read_file(path), path);
}

void holiday_rules::add_rule(holiday_rule rule) {
  validate_rule(rule);
  rules_.push_back(std::move(rule));
}

void holiday_rules::add_substitute_rule(substitute_rule rule) {
  if (rule.since > rule.until) throw spec_error("substitute rule: since is after until");
  substitutes_.push_back(std::move(rule));
}

void holiday_rules::add_swap(holiday_swap swap) {
  if (swap.day_off.is_special() || (swap.work && swap.work->is_special())) {
    throw spec_error("swap: not a date");
  }
  if (swap.work && *swap.work == swap.day_off) {
    throw spec_error("swap: the make-up working day is the day off itself");
  }
  std::erase_if(swaps_, [&](const holiday_swap& x) { return x.day_off == swap.day_off; });
  const auto at =
      std::lower_bound(swaps_.begin(), swaps_.end(), swap.day_off,
                       [](const holiday_swap& x, const bg::date& d) { return x.day_off < d; });
  swaps_.insert(at, std::move(swap));
}

void holiday_rules::set_span(const std::string& id, int year, bg::date first, bg::date last,
                             std::string source) {
  if (first.is_special() || last.is_special()) throw spec_error("span: not a date");
  if (last < first)
    throw spec_error("span of \"" + id + "\" in " + std::to_string(year) +
                     ": the last day is before the first");
  if (first.year() != year || last.year() != year) {
    throw spec_error("span of \"" + id + "\" in " + std::to_string(year) +
                     ": the days must lie in that year");
  }
  const auto same = [&](const holiday_span& s) { return s.id == id && s.year == year; };
  std::erase_if(spans_, same);
  spans_.push_back({id, year, first, last, std::move(source)});
}

// ---------------------------------------------------------------------------------------------
// calendar
// ---------------------------------------------------------------------------------------------
namespace detail {

struct year_days {
  std::vector<holiday> list;        // sorted
  std::vector<holiday> work_swaps;  // weekend days / holidays worked, sorted
  std::bitset<366> off;             // holiday (any kind), by day of year - 1
  std::bitset<366> working;         // the answer of is_working_day
};

struct calendar_cache {
  std::mutex mutex;
  std::map<int, std::unique_ptr<const year_days>> years;
};

}  // namespace detail

namespace {

bool in_years(int year, int since, int until) {
  return year >= since && year <= until;
}

int day_of_year_index(bg::date d) {
  return d.day_of_year() - 1;
}

// The rule days off of `year` (not substitutes, not extras), with the weekend to choose the
// adjacent day. Sorted by date; one entry per (rule, date).
std::vector<holiday> rule_days(const holiday_rules& rules, int year,
                               const std::vector<int>& weekend) {
  const auto is_weekend = [&](bg::date d) {
    return std::find(weekend.begin(), weekend.end(), d.day_of_week().as_number()) != weekend.end();
  };
  std::vector<holiday> out;
  const auto anchor_of = [&](const holiday_rule& r) -> std::optional<bg::date> {
    if (r.calendar == holiday_rule::calendar_kind::solar) {
      if (r.month == 2 && r.day == 29 &&
          !bg::gregorian_calendar::is_leap_year(static_cast<unsigned short>(year))) {
        return std::nullopt;  // 29/2 only in leap years
      }
      return bg::date(static_cast<unsigned short>(year), static_cast<unsigned short>(r.month),
                      static_cast<unsigned short>(r.day));
    }
    const int lunar_year = year + r.year_offset;
    if (r.leap && lunar_leap_month(lunar_year) != r.month) return std::nullopt;
    // Day 30 of a 29-day month: the month's last day (e.g. "30 Tết" in a short year).
    const int length = lunar_month_length(r.month, lunar_year, r.leap);
    return lunar_to_solar(std::min(r.day, length), r.month, lunar_year, r.leap);
  };
  const auto span_of = [&](const std::string& id) -> const holiday_span* {
    for (const auto& s : rules.spans()) {
      if (s.id == id && s.year == year) return &s;
    }
    return nullptr;
  };
  std::vector<std::string> spanned;  // ids already expanded from a span
  std::vector<const holiday_rule*> adjacent_rules;
  for (const auto& r : rules.rules()) {
    if (!in_years(year, r.since, r.until)) continue;
    if (const holiday_span* s = span_of(r.id)) {
      if (std::find(spanned.begin(), spanned.end(), r.id) != spanned.end()) continue;
      spanned.push_back(r.id);
      for (bg::date d = s->first; d <= s->last; d += bg::days(1)) {
        out.push_back({d, r.name_vi, r.name_en, r.id, false, day_type::announced_break, s->source});
      }
      continue;
    }
    if (!r.adjacent.empty()) {
      adjacent_rules.push_back(&r);
      continue;
    }
    const auto anchor = anchor_of(r);
    if (!anchor) continue;
    for (int off : r.offsets) out.push_back({*anchor + bg::days(off), r.name_vi, r.name_en, r.id});
  }
  // Adjacent days are chosen once the other days off are known.
  for (const holiday_rule* r : adjacent_rules) {
    const auto anchor = anchor_of(*r);
    if (!anchor) continue;
    const auto off_day = [&](bg::date d) {
      if (is_weekend(d)) return true;
      return std::any_of(out.begin(), out.end(), [&](const holiday& h) { return h.date == d; });
    };
    std::optional<bg::date> best;
    long best_length = -1;
    for (int off : r->adjacent) {
      const bg::date c = *anchor + bg::days(off);
      if (off_day(c)) continue;
      // The unbroken run of days off through the anchor and c, c counted as off.
      const bg::date lo = std::min(c, *anchor);
      const bg::date hi = std::max(c, *anchor);
      bg::date a = lo;
      bg::date b = hi;
      while (off_day(a - bg::days(1))) a -= bg::days(1);
      while (off_day(b + bg::days(1))) b += bg::days(1);
      const long length = (b - a).days() + 1;
      if (length > best_length) {
        best_length = length;
        best = c;
      }
    }
    if (!best) best = *anchor + bg::days(r->adjacent.front());
    out.push_back({*best, r->name_vi, r->name_en, r->id});
  }
  std::sort(out.begin(), out.end(), [](const holiday& a, const holiday& b) {
    return std::tie(a.date, a.rule_id, a.name_vi) < std::tie(b.date, b.rule_id, b.name_vi);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const holiday& a, const holiday& b) {
                          return a.date == b.date && a.rule_id == b.rule_id;
                        }),
            out.end());
  return out;
}

}  // namespace

std::string_view to_string(day_type t) noexcept {
  switch (t) {
    case day_type::working_day:
      return "working_day";
    case day_type::weekend:
      return "weekend";
    case day_type::public_holiday:
      return "public_holiday";
    case day_type::announced_break:
      return "announced_break";
    case day_type::substitute_day:
      return "substitute_day";
    case day_type::swapped_day_off:
      return "swapped_day_off";
    case day_type::swapped_working_day:
      return "swapped_working_day";
    case day_type::extra_holiday:
      return "extra_holiday";
  }
  return "working_day";
}

calendar::calendar() : calendar(holiday_rules::vietnam()) {}

calendar::calendar(holiday_rules rules)
    : rules_(std::move(rules)), cache_(std::make_shared<detail::calendar_cache>()) {}

calendar calendar::from_yaml(std::string_view text, std::string_view source) {
  const YAML::Node root = load_yaml(text, source);
  calendar cal(rules_from_root(root, source,
                               {"version", "base", "holidays", "substitutes", "spans", "weekend",
                                "extra_holidays", "make_up_days", "swaps"}));
  if (const auto w = root["weekend"]) {
    static constexpr std::array<std::string_view, 7> names{
        "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
    if (!w.IsSequence()) spec_fail(w, source, "weekend must be a list of day names");
    std::vector<int> days;
    for (const auto& d : w) {
      const auto name = scalar_as<std::string>(d, source, "weekend day");
      const auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) spec_fail(d, source, "unknown weekday \"" + name + "\"");
      days.push_back(static_cast<int>(it - names.begin()));
    }
    try {
      cal.set_weekend(days);
    } catch (const spec_error& e) {
      spec_fail(w, source, e.message());
    }
  }
  if (const auto xs = root["extra_holidays"]) {
    if (!xs.IsSequence()) spec_fail(xs, source, "extra_holidays must be a list");
    for (const auto& x : xs) {
      if (x.IsScalar()) {
        cal.add_holiday(date_of(x, source, "extra holiday"), "Ngày nghỉ", "Day off");
        continue;
      }
      if (!x.IsMap()) spec_fail(x, source, "an extra holiday is a date or {date, name_vi}");
      check_keys(x, source, {"date", "name_vi", "name_en", "note"}, "an extra holiday");
      if (!x["date"]) spec_fail(x, source, "an extra holiday needs a date");
      std::string vi =
          x["name_vi"] ? scalar_as<std::string>(x["name_vi"], source, "name_vi") : "Ngày nghỉ";
      std::string en =
          x["name_en"] ? scalar_as<std::string>(x["name_en"], source, "name_en") : std::string{};
      cal.add_holiday(date_of(x["date"], source, "date"), std::move(vi), std::move(en));
    }
  }
  if (const auto ms = root["make_up_days"]) {
    if (!ms.IsSequence()) spec_fail(ms, source, "make_up_days must be a list of dates");
    for (const auto& m : ms) cal.add_make_up_day(date_of(m, source, "make-up day"));
  }
  return cal;
}

calendar calendar::from_yaml_file(const std::string& path) {
  return from_yaml(read_file(path), path);
}

void calendar::invalidate() {
  cache_ = std::make_shared<detail::calendar_cache>();
}

void calendar::set_weekend(const std::vector<int>& days) {
  std::vector<int> w = days;
  for (int d : w) {
    if (d < 0 || d > 6) throw spec_error("weekend day " + std::to_string(d) + " is not 0..6");
  }
  std::sort(w.begin(), w.end());
  w.erase(std::unique(w.begin(), w.end()), w.end());
  if (w.size() == 7) throw spec_error("a week needs at least one day that is not weekend");
  weekend_ = std::move(w);
  invalidate();
}

void calendar::add_holiday(bg::date day, std::string name_vi, std::string name_en) {
  if (day.is_special()) throw spec_error("add_holiday: not a date");
  if (name_en.empty()) name_en = name_vi;
  extra_.push_back(
      {day, std::move(name_vi), std::move(name_en), "extra", false, day_type::extra_holiday, {}});
  invalidate();
}

void calendar::add_make_up_day(bg::date day) {
  if (day.is_special()) throw spec_error("add_make_up_day: not a date");
  const auto it = std::lower_bound(make_up_.begin(), make_up_.end(), day);
  if (it == make_up_.end() || *it != day) make_up_.insert(it, day);
  invalidate();
}

void calendar::set_span(const std::string& id, int year, bg::date first, bg::date last) {
  rules_.set_span(id, year, first, last);
  invalidate();
}

void calendar::add_swap(holiday_swap swap) {
  rules_.add_swap(std::move(swap));
  invalidate();
}

namespace {

// "29/4" for names of swapped days.
std::string fmt_dm(bg::date d) {
  return std::to_string(d.day().as_number()) + "/" + std::to_string(d.month().as_number()) + "/" +
         std::to_string(static_cast<int>(d.year()));
}

// Computes a year's days (not cached).
std::unique_ptr<const detail::year_days> compute_year(const holiday_rules& rules,
                                                      const std::vector<int>& weekend,
                                                      const std::vector<holiday>& extra,
                                                      const std::vector<bg::date>& make_up,
                                                      int year) {
  auto y = std::make_unique<detail::year_days>();
  const auto is_weekend = [&](bg::date d) {
    return std::binary_search(weekend.begin(), weekend.end(), d.day_of_week().as_number());
  };
  std::vector<holiday> days = rule_days(rules, year, weekend);
  // A rule of the year before may reach into this year and vice versa (offsets around 1/1).
  for (int other : {year - 1, year + 1}) {
    for (auto& h : rule_days(rules, other, weekend)) {
      if (h.date.year() == year) days.push_back(std::move(h));
    }
  }
  // Substitute days: each rule day off on a weekend day, in date order, moves to the next day
  // that is neither weekend, nor a rule day off, nor already a substitute. The rule in force is
  // that of the holiday's year.
  const auto substitute_for = [&](int y_of_rule) -> const substitute_rule* {
    for (const auto& s : rules.substitutes()) {
      if (in_years(y_of_rule, s.since, s.until)) return &s;
    }
    return nullptr;
  };
  std::vector<holiday> subs;
  std::vector<holiday> all_rule_days;
  for (int other : {year - 1, year}) {  // a weekend holiday late in December moves to January
    auto r = other == year ? days : rule_days(rules, other, weekend);
    all_rule_days.insert(all_rule_days.end(), r.begin(), r.end());
  }
  std::sort(all_rule_days.begin(), all_rule_days.end(),
            [](const holiday& a, const holiday& b) { return a.date < b.date; });
  const auto is_rule_day = [&](bg::date d) {
    return std::any_of(all_rule_days.begin(), all_rule_days.end(),
                       [&](const holiday& h) { return h.date == d; });
  };
  const auto in_span = [&](const holiday& h) {
    return std::any_of(rules.spans().begin(), rules.spans().end(), [&](const holiday_span& s) {
      return s.id == h.rule_id && h.date >= s.first && h.date <= s.last;
    });
  };
  std::vector<bg::date> taken;
  std::vector<bg::date> handled;  // a date shared by two rules gives one substitute
  for (const auto& h : all_rule_days) {
    if (!is_weekend(h.date)) continue;
    if (std::find(handled.begin(), handled.end(), h.date) != handled.end()) continue;
    if (in_span(h)) continue;  // a decided span is the whole break
    handled.push_back(h.date);
    const substitute_rule* s = substitute_for(h.date.year());
    if (s == nullptr) continue;
    bg::date d = h.date + bg::days(1);
    while (is_weekend(d) || is_rule_day(d) ||
           std::find(taken.begin(), taken.end(), d) != taken.end()) {
      d += bg::days(1);
    }
    taken.push_back(d);
    if (d.year() == year) {
      subs.push_back({d,
                      s->name_vi + " " + h.name_vi,
                      s->name_en + ": " + h.name_en,
                      h.rule_id,
                      true,
                      day_type::substitute_day,
                      {}});
    }
  }
  std::erase_if(days, [&](const holiday& h) { return h.date.year() != year; });
  days.insert(days.end(), subs.begin(), subs.end());
  for (const auto& x : extra) {
    if (x.date.year() == year) days.push_back(x);
  }
  std::vector<bg::date> swapped_work;
  for (const auto& sw : rules.swaps()) {
    if (sw.day_off.year() == year) {
      days.push_back({sw.day_off, sw.name_vi, sw.name_en, "swap", false, day_type::swapped_day_off,
                      sw.source});
    }
    if (sw.work && sw.work->year() == year) {
      y->work_swaps.push_back(
          {*sw.work, "Làm bù (" + sw.name_vi + " " + fmt_dm(sw.day_off) + ")",
           "Make-up working day (" + sw.name_en + " " + fmt_dm(sw.day_off) + ")", "swap", false,
           day_type::swapped_working_day, sw.source});
      swapped_work.push_back(*sw.work);
    }
  }
  std::sort(days.begin(), days.end(), [](const holiday& a, const holiday& b) {
    return std::tie(a.date, a.substitute, a.rule_id, a.name_vi) <
           std::tie(b.date, b.substitute, b.rule_id, b.name_vi);
  });
  days.erase(std::unique(days.begin(), days.end()), days.end());
  for (const auto& h : days) y->off.set(static_cast<std::size_t>(day_of_year_index(h.date)));
  const bg::date jan1(static_cast<unsigned short>(year), 1, 1);
  const int n_days =
      bg::gregorian_calendar::is_leap_year(static_cast<unsigned short>(year)) ? 366 : 365;
  for (int i = 0; i < n_days; ++i) {
    const bg::date d = jan1 + bg::days(i);
    const auto idx = static_cast<std::size_t>(i);
    const bool made_up =
        std::binary_search(make_up.begin(), make_up.end(), d) ||
        std::find(swapped_work.begin(), swapped_work.end(), d) != swapped_work.end();
    y->working.set(idx, made_up || (!is_weekend(d) && !y->off.test(idx)));
    if (made_up && (is_weekend(d) || y->off.test(idx)) &&
        std::find(swapped_work.begin(), swapped_work.end(), d) == swapped_work.end()) {
      y->work_swaps.push_back({d,
                               "Ngày làm bù",
                               "Make-up working day",
                               "make_up",
                               false,
                               day_type::swapped_working_day,
                               {}});
    }
  }
  std::sort(y->work_swaps.begin(), y->work_swaps.end(),
            [](const holiday& a, const holiday& b) { return a.date < b.date; });
  y->list = std::move(days);
  return y;
}

}  // namespace

namespace {

const detail::year_days& year_of(const std::shared_ptr<detail::calendar_cache>& cache,
                                 const holiday_rules& rules, const std::vector<int>& weekend,
                                 const std::vector<holiday>& extra,
                                 const std::vector<bg::date>& make_up, int year) {
  std::lock_guard lock(cache->mutex);
  auto& slot = cache->years[year];
  if (!slot) slot = compute_year(rules, weekend, extra, make_up, year);
  return *slot;  // entries are never removed while the cache lives
}

void require_date(bg::date d, const char* what) {
  if (d.is_special()) throw data_error(std::string(what) + ": not a date");
}

}  // namespace

std::vector<holiday> calendar::swapped_working_days(int year) const {
  if (year < 1401 || year > 9998)
    throw data_error("year " + std::to_string(year) + " out of range");
  return year_of(cache_, rules_, weekend_, extra_, make_up_, year).work_swaps;
}

day_type calendar::classify(bg::date day) const {
  require_date(day, "classify");
  const auto& y = year_of(cache_, rules_, weekend_, extra_, make_up_, day.year());
  const auto idx = static_cast<std::size_t>(day_of_year_index(day));
  const bool weekend = is_weekend(day);
  if (y.working.test(idx)) {
    return weekend || y.off.test(idx) ? day_type::swapped_working_day : day_type::working_day;
  }
  if (!y.off.test(idx)) return day_type::weekend;
  auto best = day_type::extra_holiday;
  const auto lo = std::lower_bound(y.list.begin(), y.list.end(), day,
                                   [](const holiday& h, const bg::date& d) { return h.date < d; });
  for (auto it = lo; it != y.list.end() && it->date == day; ++it) {
    if (static_cast<int>(it->type) < static_cast<int>(best)) best = it->type;
  }
  return best;
}

std::vector<holiday> calendar::holidays(int year) const {
  if (year < 1401 || year > 9998)
    throw data_error("year " + std::to_string(year) + " out of range");
  return year_of(cache_, rules_, weekend_, extra_, make_up_, year).list;
}

bool calendar::is_weekend(bg::date day) const {
  require_date(day, "is_weekend");
  return std::binary_search(weekend_.begin(), weekend_.end(), day.day_of_week().as_number());
}

bool calendar::is_holiday(bg::date day) const {
  require_date(day, "is_holiday");
  return year_of(cache_, rules_, weekend_, extra_, make_up_, day.year())
      .off.test(static_cast<std::size_t>(day_of_year_index(day)));
}

bool calendar::is_working_day(bg::date day) const {
  require_date(day, "is_working_day");
  return year_of(cache_, rules_, weekend_, extra_, make_up_, day.year())
      .working.test(static_cast<std::size_t>(day_of_year_index(day)));
}

bg::date calendar::add_working_days(bg::date day, long n) const {
  require_date(day, "add_working_days");
  const long step = n < 0 ? -1 : 1;
  long left = n < 0 ? -n : n;
  bg::date d = day;
  int cached_year = 0;
  const detail::year_days* y = nullptr;
  while (left > 0) {
    d += bg::days(step);
    if (d.year() != cached_year) {
      cached_year = d.year();
      y = &year_of(cache_, rules_, weekend_, extra_, make_up_, cached_year);
    }
    if (y->working.test(static_cast<std::size_t>(day_of_year_index(d)))) --left;
  }
  return d;
}

long calendar::working_days_between(bg::date a, bg::date b) const {
  require_date(a, "working_days_between");
  require_date(b, "working_days_between");
  if (b < a) return -working_days_between(b, a);
  long count = 0;
  int cached_year = 0;
  const detail::year_days* y = nullptr;
  for (bg::date d = a; d < b; d += bg::days(1)) {
    if (d.year() != cached_year) {
      cached_year = d.year();
      y = &year_of(cache_, rules_, weekend_, extra_, make_up_, cached_year);
    }
    count += y->working.test(static_cast<std::size_t>(day_of_year_index(d))) ? 1 : 0;
  }
  return count;
}

std::vector<holiday> holidays(int year) {
  static const calendar vietnam;  // thread-safe initialisation; const use is thread-safe
  return vietnam.holidays(year);
}

}  // namespace khuyenhoc
