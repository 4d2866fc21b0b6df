#pragma once
/// \file time_expr.hpp
/// Vietnamese time expressions as written in the "Thời gian" column of a plan (kế hoạch):
/// "27/8 - 10/9", "Từ 15/10", "05/11 (Dự kiến)", "Tháng 12/2023", "Quý 1/2024",
/// "trước ngày 30/11 hàng năm", "cuối tháng 10" … The forms are listed in
/// docs/time_expressions.md.

#include <boost/date_time/gregorian/gregorian_types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace khuyenhoc {

/// How precise a time expression is, from the finest to the coarsest. A range has the
/// granularity of its coarser end.
enum class time_granularity : std::uint8_t {
  day,            ///< "08/11", "27/8 - 10/9"
  week,           ///< "Tuần 2 tháng 10" (days 8–14), "tuần đầu/cuối tháng 10"
  part_of_month,  ///< "đầu/giữa/cuối tháng 10": days 1–10, 11–20, 21–end
  month,          ///< "Tháng 12/2023", "tháng 6,7"
  quarter,        ///< "Quý 1/2024"
  year,           ///< "Năm 2025", "năm học 2024-2025"
};

/// The name of a granularity: "day", "week", "part_of_month", "month", "quarter", "year".
[[nodiscard]] std::string_view to_string(time_granularity g) noexcept;

/// A parsed time expression: an inclusive range of days, either side possibly open.
struct time_expr {
  std::optional<boost::gregorian::date> start;  ///< first day; empty for "trước ngày …"
  std::optional<boost::gregorian::date> end;    ///< last day included; empty for "Từ …"
  time_granularity granularity = time_granularity::day;
  bool tentative = false;   ///< "(Dự kiến)": the date may still move
  bool open_ended = false;  ///< "Từ 15/10", "sau ngày 15/10": no end given
  bool recurring = false;   ///< "hàng năm"/"hằng năm"/"hàng tháng": repeats (see `repeat`)
  bool approximate = false;  ///< "đầu/giữa/cuối tháng", "khoảng", "năm học", "học kỳ", "tuần …"
  bool deadline = false;  ///< "trước ngày", "chậm nhất": only the end is given
  bool ongoing = false;   ///< "Thường xuyên": all the time, no dates
  /// How often a recurring time repeats: "" (not recurring), "year" or "month". A recurring
  /// time written without a date ("hàng năm", "hằng tháng") has no start and no end.
  std::string repeat{};
  std::string text;  ///< the text as given

  /// True when both start and end are known.
  [[nodiscard]] bool bounded() const noexcept { return start.has_value() && end.has_value(); }

  /// The half-open period [start, end + 1 day), as Boost's date_period and iCalendar's DTEND
  /// count. An open start is the first day Boost represents (1400-01-01) and an open end the
  /// last (9999-12-31, excluded). Complexity: O(1). Throws nothing.
  [[nodiscard]] boost::gregorian::date_period period() const;

  friend bool operator==(const time_expr&, const time_expr&) = default;
};

/// Parses a Vietnamese time expression. `year` is the plan's year, used where the text gives
/// none; a day range that runs backwards in the calendar ("15/12 - 10/1") runs over the new
/// year when that makes it at most 300 days long.
/// Accepts text with or without diacritics, in any case, NFC or NFD, any spacing, and any dash
/// (-, –, —) or "đến"/"tới" between the ends of a range.
/// Complexity: O(length of text). Thread-safe.
/// Throws parse_error for text it cannot read, impossible dates ("31/9"), reversed ranges and a
/// missing year; the message quotes the text and names the column of the offending part, which
/// is also in the error's location (line and column, 1-based, in characters).
[[nodiscard]] time_expr parse_time(std::string_view text, int year);

/// As parse_time(text, year), for text that carries its own year everywhere ("Quý 1/2024",
/// "5/9/2024 - 5/10/2024"); throws parse_error when a year is needed.
[[nodiscard]] time_expr parse_time(std::string_view text);

}  // namespace khuyenhoc
