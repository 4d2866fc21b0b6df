// Tests of the Vietnamese time-expression parser.
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/time_expr.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/date_time/gregorian/gregorian.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

using boost::gregorian::date;
using khuyenhoc::parse_time;
using khuyenhoc::time_expr;
using khuyenhoc::time_granularity;

date d(int y, int m, int dd) {
  return {static_cast<unsigned short>(y), static_cast<unsigned short>(m),
          static_cast<unsigned short>(dd)};
}

struct expect_case {
  std::string text;
  std::optional<date> start;
  std::optional<date> end;
  time_granularity granularity = time_granularity::day;
};

void expect_range(const std::string& text, std::optional<date> start, std::optional<date> end,
                  time_granularity g, int year = 2024) {
  SCOPED_TRACE(text);
  const time_expr t = parse_time(text, year);
  EXPECT_EQ(t.start, start);
  EXPECT_EQ(t.end, end);
  EXPECT_EQ(t.granularity, g);
  EXPECT_EQ(t.text, text);
}

// Every form of issue 6, with the plan's year 2024.
TEST(time_expr, forms_from_real_plans) {
  using g = time_granularity;
  expect_range("27/8 - 10/9", d(2024, 8, 27), d(2024, 9, 10), g::day);
  expect_range("08/11", d(2024, 11, 8), d(2024, 11, 8), g::day);
  expect_range("Tháng 12/2023", d(2023, 12, 1), d(2023, 12, 31), g::month);
  expect_range("tháng 6,7", d(2024, 6, 1), d(2024, 7, 31), g::month);
  expect_range("(tháng 6,7)", d(2024, 6, 1), d(2024, 7, 31), g::month);
  expect_range("Quý 1/2024", d(2024, 1, 1), d(2024, 3, 31), g::quarter);
  expect_range("Quý 4/2024", d(2024, 10, 1), d(2024, 12, 31), g::quarter);
  expect_range("Năm 2025", d(2025, 1, 1), d(2025, 12, 31), g::year);
  expect_range("từ ngày 5/9 đến ngày 5/10/2024", d(2024, 9, 5), d(2024, 10, 5), g::day, 2023);
  expect_range("đầu tháng 10", d(2024, 10, 1), d(2024, 10, 10), g::part_of_month);
  expect_range("giữa tháng 10", d(2024, 10, 11), d(2024, 10, 20), g::part_of_month);
  expect_range("cuối tháng 10", d(2024, 10, 21), d(2024, 10, 31), g::part_of_month);
  expect_range("cuối tháng 2", d(2024, 2, 21), d(2024, 2, 29), g::part_of_month);
  expect_range("cuối tháng 2", d(2023, 2, 21), d(2023, 2, 28), g::part_of_month, 2023);
  expect_range("15/12 - 10/1", d(2024, 12, 15), d(2025, 1, 10), g::day);
}

TEST(time_expr, flags) {
  const time_expr from = parse_time("Từ 15/10", 2024);
  EXPECT_EQ(from.start, d(2024, 10, 15));
  EXPECT_EQ(from.end, std::nullopt);
  EXPECT_TRUE(from.open_ended);
  EXPECT_FALSE(from.bounded());

  const time_expr tentative = parse_time("05/11 (Dự kiến)", 2024);
  EXPECT_EQ(tentative.start, d(2024, 11, 5));
  EXPECT_EQ(tentative.end, d(2024, 11, 5));
  EXPECT_TRUE(tentative.tentative);
  EXPECT_FALSE(tentative.open_ended);
  EXPECT_TRUE(parse_time("Dự kiến: 05/11", 2024).tentative);

  const time_expr yearly = parse_time("trước ngày 30/11 hàng năm", 2024);
  EXPECT_EQ(yearly.start, std::nullopt);
  EXPECT_EQ(yearly.end, d(2024, 11, 30));
  EXPECT_TRUE(yearly.recurring);
  EXPECT_TRUE(yearly.deadline);
  EXPECT_TRUE(parse_time("Hằng năm, trước ngày 30/11", 2024).recurring);

  EXPECT_TRUE(parse_time("đầu tháng 10", 2024).approximate);
  EXPECT_FALSE(parse_time("tháng 10", 2024).approximate);
  EXPECT_TRUE(parse_time("khoảng 15/10", 2024).approximate);
  EXPECT_FALSE(parse_time("27/8 - 10/9", 2024).tentative);
}

TEST(time_expr, without_diacritics_any_case_nfc_nfd) {
  const time_expr ref = parse_time("Từ 15/10", 2024);
  for (const std::string text :
       {"Tu 15/10", "TỪ 15/10", "tu 15/10", "TU   15/10", "T\xc6\xb0\xcc\x80 15/10" /* NFD ừ */,
        "\xc2\xa0Từ\xc2\xa0"
        "15/10 "}) {
    SCOPED_TRACE(text);
    const time_expr t = parse_time(text, 2024);
    EXPECT_EQ(t.start, ref.start);
    EXPECT_TRUE(t.open_ended);
  }
  expect_range("QUÝ 1/2024", d(2024, 1, 1), d(2024, 3, 31), time_granularity::quarter);
  expect_range("quy 1/2024", d(2024, 1, 1), d(2024, 3, 31), time_granularity::quarter);
  expect_range("thang 6,7", d(2024, 6, 1), d(2024, 7, 31), time_granularity::month);
  expect_range("THÁNG 12/2023", d(2023, 12, 1), d(2023, 12, 31), time_granularity::month);
  // NFD "tháng": a + combining acute.
  expect_range("tha\xcc\x81ng 12/2023", d(2023, 12, 1), d(2023, 12, 31), time_granularity::month);
  expect_range("tu ngay 5/9 den ngay 5/10/2024", d(2024, 9, 5), d(2024, 10, 5),
               time_granularity::day);
  expect_range("cuoi thang 10", d(2024, 10, 21), d(2024, 10, 31), time_granularity::part_of_month);
  EXPECT_TRUE(parse_time("05/11 (du kien)", 2024).tentative);
  EXPECT_TRUE(parse_time("05/11 (DỰ KIẾN)", 2024).tentative);
  EXPECT_TRUE(parse_time("truoc ngay 30/11 hang nam", 2024).recurring);
}

TEST(time_expr, any_spacing_and_dash) {
  for (const std::string text :
       {"27/8 - 10/9", "27/8-10/9", "27/8 -10/9", "27/8 – 10/9", "27/8—10/9", "27/8 − 10/9",
        " 27/8  ~  10/9 ", "27/8 đến 10/9", "27/8 den 10/9", "27/8 tới 10/9", "27/8\t-\n10/9",
        "Từ 27/8 đến 10/9", "27 / 8 - 10 / 9", "27/08 - 10/09", "27/8 - 10/9/2024",
        "27/8/2024 - 10/9/2024", "ngày 27/8 - ngày 10/9", "27/8 – 10/9."}) {
    SCOPED_TRACE(text);
    const time_expr t = parse_time(text, 2024);
    EXPECT_EQ(t.start, d(2024, 8, 27));
    EXPECT_EQ(t.end, d(2024, 9, 10));
    EXPECT_FALSE(t.open_ended);
  }
}

TEST(time_expr, more_forms) {
  using g = time_granularity;
  expect_range("27-30/8", d(2024, 8, 27), d(2024, 8, 30), g::day);
  expect_range("ngày 27 - 30/8/2025", d(2025, 8, 27), d(2025, 8, 30), g::day);
  expect_range("ngày 18 tháng 01 năm 2024", d(2024, 1, 18), d(2024, 1, 18), g::day, 2000);
  expect_range("tháng 10 năm 2024", d(2024, 10, 1), d(2024, 10, 31), g::month, 2000);
  expect_range("10/2024", d(2024, 10, 1), d(2024, 10, 31), g::month, 2000);
  expect_range("tháng 6 - 8", d(2024, 6, 1), d(2024, 8, 31), g::month);
  expect_range("tháng 6, 7 và 8", d(2024, 6, 1), d(2024, 8, 31), g::month);
  expect_range("tháng 9 - tháng 5", d(2024, 9, 1), d(2025, 5, 31), g::month);
  expect_range("tháng 12, 1", d(2024, 12, 1), d(2025, 1, 31), g::month);
  expect_range("tháng 9/2024 - tháng 5/2025", d(2024, 9, 1), d(2025, 5, 31), g::month);
  expect_range("tháng 10 - 15/11", d(2024, 10, 1), d(2024, 11, 15), g::month);
  expect_range("Quý IV/2024", d(2024, 10, 1), d(2024, 12, 31), g::quarter);
  expect_range("Quý II năm 2025", d(2025, 4, 1), d(2025, 6, 30), g::quarter);
  expect_range("quý 3", d(2024, 7, 1), d(2024, 9, 30), g::quarter);
  expect_range("quý 3 - 4", d(2024, 7, 1), d(2024, 12, 31), g::quarter);
  expect_range("2025", d(2025, 1, 1), d(2025, 12, 31), g::year);
  expect_range("năm học 2024-2025", d(2024, 9, 1), d(2025, 5, 31), g::year, 2000);
  expect_range("8h00 ngày 05/11", d(2024, 11, 5), d(2024, 11, 5), g::day);
  expect_range("05/11, lúc 14h30", d(2024, 11, 5), d(2024, 11, 5), g::day);
  expect_range("đầu tháng 10 - giữa tháng 11", d(2024, 10, 1), d(2024, 11, 20), g::part_of_month);
  expect_range("15/12/2024 - 10/1", d(2024, 12, 15), d(2025, 1, 10), g::day, 2000);
  expect_range("15/12 - 10/1/2025", d(2024, 12, 15), d(2025, 1, 10), g::day, 2000);
  expect_range("29/2", d(2024, 2, 29), d(2024, 2, 29), g::day);

  const time_expr after = parse_time("sau ngày 15/10", 2024);
  EXPECT_EQ(after.start, d(2024, 10, 16));
  EXPECT_TRUE(after.open_ended);
  const time_expr by = parse_time("chậm nhất ngày 30/11", 2024);
  EXPECT_EQ(by.end, d(2024, 11, 30));
  EXPECT_TRUE(by.deadline);
  const time_expr until = parse_time("đến hết tháng 10", 2024);
  EXPECT_EQ(until.start, std::nullopt);
  EXPECT_EQ(until.end, d(2024, 10, 31));
  const time_expr before_month = parse_time("trước tháng 10", 2024);
  EXPECT_EQ(before_month.end, d(2024, 9, 30));
  EXPECT_EQ(before_month.granularity, g::month);
  const time_expr from_month = parse_time("Từ tháng 10/2024", 2000);
  EXPECT_EQ(from_month.start, d(2024, 10, 1));
  EXPECT_TRUE(from_month.open_ended);
}

TEST(time_expr, forms_added_for_issue_15) {
  using G = time_granularity;
  // Weeks of a month: 1-7, 8-14, 15-21, 22-28, 29-end; the first/last seven days.
  expect_range("Tuần 2 tháng 10", d(2024, 10, 8), d(2024, 10, 14), G::week);
  expect_range("tuần 5 tháng 10/2025", d(2025, 10, 29), d(2025, 10, 31), G::week);
  expect_range("tuần đầu tháng 10", d(2024, 10, 1), d(2024, 10, 7), G::week);
  expect_range("Tuần cuối tháng 2", d(2024, 2, 23), d(2024, 2, 29), G::week);
  // Parts of a year and of a quarter.
  expect_range("cuối năm", d(2024, 11, 1), d(2024, 12, 31), G::month);
  expect_range("Đầu năm 2025", d(2025, 1, 1), d(2025, 2, 28), G::month);
  expect_range("giữa năm", d(2024, 6, 1), d(2024, 7, 31), G::month);
  expect_range("cuối quý 3", d(2024, 9, 1), d(2024, 9, 30), G::month);
  expect_range("Đầu quý I/2025", d(2025, 1, 1), d(2025, 1, 31), G::month);
  // Semesters: I is 1/9 - 15/1, II is 16/1 - 31/5 of the school year.
  expect_range("Học kỳ I", d(2024, 9, 1), d(2025, 1, 15), G::month);
  expect_range("Học kỳ II", d(2024, 1, 16), d(2024, 5, 31), G::month);
  expect_range("học kỳ 2 năm học 2024-2025", d(2025, 1, 16), d(2025, 5, 31), G::month);
  expect_range("Hoc ki 1 nam hoc 2025 - 2026", d(2025, 9, 1), d(2026, 1, 15), G::month);
  // First/last months of a year; the whole year.
  expect_range("6 tháng đầu năm", d(2024, 1, 1), d(2024, 6, 30), G::month);
  expect_range("6 tháng cuối năm 2025", d(2025, 7, 1), d(2025, 12, 31), G::month);
  expect_range("9 tháng đầu năm", d(2024, 1, 1), d(2024, 9, 30), G::month);
  expect_range("Cả năm", d(2024, 1, 1), d(2024, 12, 31), G::year);
  expect_range("cả năm 2025", d(2025, 1, 1), d(2025, 12, 31), G::year);
  // Ranges of the new forms.
  expect_range("Tuần 1 tháng 10 - tuần 3 tháng 10", d(2024, 10, 1), d(2024, 10, 21), G::week);

  // Flags.
  auto flags = [](const std::string& text) { return parse_time(text, 2024); };
  const auto week = flags("Tuần 2 tháng 10");
  EXPECT_TRUE(week.approximate);
  EXPECT_FALSE(week.recurring);
  EXPECT_TRUE(flags("cuối năm").approximate);
  EXPECT_TRUE(flags("cuối quý 3").approximate);
  EXPECT_TRUE(flags("Học kỳ I").approximate);
  EXPECT_FALSE(flags("6 tháng đầu năm").approximate);  // exact months
  EXPECT_FALSE(flags("Cả năm").approximate);
  for (const char* text : {"hàng năm", "Hằng năm", "hang nam"}) {
    SCOPED_TRACE(text);
    const auto t = flags(text);
    EXPECT_TRUE(t.recurring);
    EXPECT_EQ(t.repeat, "year");
    EXPECT_FALSE(t.start);
    EXPECT_FALSE(t.end);
    EXPECT_FALSE(t.open_ended);
    EXPECT_EQ(t.granularity, G::year);
  }
  for (const char* text : {"hàng tháng", "Hằng tháng", "mỗi tháng"}) {
    SCOPED_TRACE(text);
    const auto t = flags(text);
    EXPECT_TRUE(t.recurring);
    EXPECT_EQ(t.repeat, "month");
    EXPECT_FALSE(t.start);
    EXPECT_EQ(t.granularity, G::month);
  }
  const auto regular = flags("Thường xuyên");
  EXPECT_TRUE(regular.ongoing);
  EXPECT_FALSE(regular.start);
  EXPECT_FALSE(regular.end);
  EXPECT_FALSE(regular.recurring);
  EXPECT_TRUE(parse_time("thuong xuyen (du kien)").tentative);
  // The recurring deadline keeps its date and says how it repeats.
  const auto every_year = flags("trước ngày 30/11 hàng năm");
  EXPECT_EQ(every_year.repeat, "year");
  EXPECT_EQ(every_year.end, d(2024, 11, 30));
  EXPECT_TRUE(every_year.deadline);

  // Errors are located.
  auto column_of = [](const std::string& text) -> std::size_t {
    try {
      (void)parse_time(text, 2023);
    } catch (const khuyenhoc::parse_error& e) {
      return e.where().column;
    }
    return 0;
  };
  EXPECT_EQ(column_of("Tuần 6 tháng 10"), 6U);
  EXPECT_EQ(column_of("tuần 5 tháng 2"), 6U);  // February 2023 has no 29th
  EXPECT_EQ(column_of("Học kỳ 3"), 8U);
  EXPECT_EQ(column_of("13 tháng đầu năm"), 1U);
  EXPECT_EQ(column_of("cuối tuần"), 6U);
}

TEST(time_expr, text_with_own_year_needs_no_plan_year) {
  EXPECT_EQ(parse_time("Quý 1/2024").start, d(2024, 1, 1));
  EXPECT_EQ(parse_time("5/9/2024 - 5/10/2024").end, d(2024, 10, 5));
  EXPECT_EQ(parse_time("5/9 - 5/10/2024").start, d(2024, 9, 5));
  EXPECT_THROW((void)parse_time("5/9"), khuyenhoc::parse_error);
  EXPECT_THROW((void)parse_time("5/9", 1399), khuyenhoc::parse_error);
}

// The error quotes the text and gives the column of the offending part.
void expect_error(const std::string& text, std::size_t column, const std::string& fragment,
                  std::size_t line = 1) {
  SCOPED_TRACE(text);
  try {
    (void)parse_time(text, 2023);
    ADD_FAILURE() << "no error";
  } catch (const khuyenhoc::parse_error& e) {
    EXPECT_THAT(e.message(), testing::HasSubstr("\"" + text + "\""));
    EXPECT_THAT(e.message(), testing::HasSubstr(fragment));
    EXPECT_THAT(e.message(), testing::HasSubstr("column " + std::to_string(column)));
    EXPECT_EQ(e.where().column, column);
    EXPECT_EQ(e.where().line, line);
  }
}

TEST(time_expr, errors) {
  expect_error("31/9", 1, "day 31 does not exist in month 9");
  expect_error("Từ 31/9", 4, "day 31 does not exist in month 9");
  expect_error("27/8 - 31/9", 8, "day 31");
  expect_error("29/2", 1, "of 2023");
  expect_error("30/2/2024", 1, "day 30");
  expect_error("10/9 - 27/8", 8, "backwards");
  expect_error("20/9 - 15/9", 8, "backwards");
  expect_error("10/9/2024 - 27/8/2024", 13, "before it starts");
  expect_error("tháng 13", 7, "month 13");
  expect_error("15/13", 4, "month 13");
  expect_error("Quý 5/2024", 5, "quarter 5");
  expect_error("tháng 6, 8", 10, "follow each other");
  expect_error("5/9/24", 5, "not a year");
  expect_error("", 1, "empty");
  expect_error("   ", 1, "empty");
  expect_error("Tháng Khuyến học", 7, "expected a month");
  expect_error("27/8 - 10/9 abc", 13, "unexpected \"abc\"");
  expect_error("27/8 (dự kiến", 14, "not closed");
  expect_error("27/8)", 5, "')'");
  expect_error("15", 1, "a number alone");
  expect_error("trước 5/9 - 10/9", 11, "range");
  expect_error("27/8 -\n 31/9", 2, "day 31", 2);
  expect_error("Từ 15/10 @", 10, "unexpected");
}

TEST(time_expr, period_is_half_open) {
  const time_expr a = parse_time("1/9 - 30/9", 2024);
  const time_expr b = parse_time("30/9 - 5/10", 2024);
  const time_expr c = parse_time("1/10 - 5/10", 2024);
  EXPECT_EQ(a.period().begin(), d(2024, 9, 1));
  EXPECT_EQ(a.period().end(), d(2024, 10, 1));  // one past the last day
  EXPECT_EQ(a.period().last(), d(2024, 9, 30));
  EXPECT_EQ(a.period().length().days(), 30);
  // A task ending 30/9 and one starting 30/9 share that day; one starting 1/10 does not.
  EXPECT_TRUE(a.period().intersects(b.period()));
  EXPECT_EQ(a.period().intersection(b.period()).length().days(), 1);
  EXPECT_FALSE(a.period().intersects(c.period()));
  EXPECT_EQ(parse_time("08/11", 2024).period().length().days(), 1);
  // Open ends reach to the limits of the calendar.
  const time_expr open = parse_time("Từ 15/10", 2024);
  EXPECT_EQ(open.period().begin(), d(2024, 10, 15));
  EXPECT_TRUE(open.period().contains(d(2100, 1, 1)));
  EXPECT_FALSE(open.period().contains(d(2024, 10, 14)));
  const time_expr deadline = parse_time("trước ngày 30/11", 2024);
  EXPECT_TRUE(deadline.period().contains(d(2024, 11, 30)));
  EXPECT_FALSE(deadline.period().contains(d(2024, 12, 1)));
  EXPECT_TRUE(deadline.period().contains(d(1900, 1, 1)));
}

TEST(time_expr, granularity_names) {
  EXPECT_EQ(khuyenhoc::to_string(time_granularity::day), "day");
  EXPECT_EQ(khuyenhoc::to_string(time_granularity::part_of_month), "part_of_month");
  EXPECT_EQ(khuyenhoc::to_string(time_granularity::month), "month");
  EXPECT_EQ(khuyenhoc::to_string(time_granularity::quarter), "quarter");
  EXPECT_EQ(khuyenhoc::to_string(time_granularity::year), "year");
  // A range takes the coarser granularity of its two ends.
  EXPECT_EQ(parse_time("tháng 10 - 15/11", 2024).granularity, time_granularity::month);
}

// Every valid day of two years, written in several ways, parses to itself.
TEST(time_expr, every_day_round_trips) {
  for (date x = d(2023, 1, 1); x <= d(2024, 12, 31); x += boost::gregorian::days(1)) {
    const int dd = x.day();
    const int mm = x.month();
    const int yy = x.year();
    const std::string dm = std::to_string(dd) + "/" + std::to_string(mm);
    for (const std::string& text : {dm, dm + "/" + std::to_string(yy), "ngày " + dm,
                                    "ngày " + std::to_string(dd) + " tháng " + std::to_string(mm) +
                                        " năm " + std::to_string(yy)}) {
      const time_expr t = parse_time(text, yy);
      ASSERT_EQ(t.start, x) << text;
      ASSERT_EQ(t.end, x) << text;
    }
  }
}

}  // namespace
