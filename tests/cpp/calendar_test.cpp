// Tests of the lunar calendar, the holiday rules and working-day arithmetic.
#include <khuyenhoc/calendar.hpp>
#include <khuyenhoc/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/date_time/gregorian/gregorian.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using boost::gregorian::date;
using boost::gregorian::days;
using khuyenhoc::calendar;
using khuyenhoc::holiday_rules;
using khuyenhoc::lunar_date;

date d(int y, int m, int dd) {
  return {static_cast<unsigned short>(y), static_cast<unsigned short>(m),
          static_cast<unsigned short>(dd)};
}

std::vector<date> dates_of(const std::vector<khuyenhoc::holiday>& hs) {
  std::vector<date> out;
  for (const auto& h : hs) out.push_back(h.date);
  return out;
}

std::vector<date> dates_with_id(const std::vector<khuyenhoc::holiday>& hs, const std::string& id,
                                bool substitute = false) {
  std::vector<date> out;
  for (const auto& h : hs) {
    if (h.rule_id == id && h.substitute == substitute) out.push_back(h.date);
  }
  return out;
}

// --- lunar calendar ---------------------------------------------------------------------------

struct tet_case {
  int year;
  date tet;
};

// Tết Nguyên Đán in Vietnam. 1968, 1985 and 2007 differ from the Chinese New Year (1968-01-30,
// 1985-02-20, 2007-02-18) because Vietnam computes in UTC+7.
const std::vector<tet_case> tet_dates = {
    {1968, d(1968, 1, 29)}, {1985, d(1985, 1, 21)}, {1990, d(1990, 1, 27)}, {1991, d(1991, 2, 15)},
    {1992, d(1992, 2, 4)},  {1993, d(1993, 1, 23)}, {1994, d(1994, 2, 10)}, {1995, d(1995, 1, 31)},
    {1996, d(1996, 2, 19)}, {1997, d(1997, 2, 7)},  {1998, d(1998, 1, 28)}, {1999, d(1999, 2, 16)},
    {2000, d(2000, 2, 5)},  {2001, d(2001, 1, 24)}, {2002, d(2002, 2, 12)}, {2003, d(2003, 2, 1)},
    {2004, d(2004, 1, 22)}, {2005, d(2005, 2, 9)},  {2006, d(2006, 1, 29)}, {2007, d(2007, 2, 17)},
    {2008, d(2008, 2, 7)},  {2009, d(2009, 1, 26)}, {2010, d(2010, 2, 14)}, {2011, d(2011, 2, 3)},
    {2012, d(2012, 1, 23)}, {2013, d(2013, 2, 10)}, {2014, d(2014, 1, 31)}, {2015, d(2015, 2, 19)},
    {2016, d(2016, 2, 8)},  {2017, d(2017, 1, 28)}, {2018, d(2018, 2, 16)}, {2019, d(2019, 2, 5)},
    {2020, d(2020, 1, 25)}, {2021, d(2021, 2, 12)}, {2022, d(2022, 2, 1)},  {2023, d(2023, 1, 22)},
    {2024, d(2024, 2, 10)}, {2025, d(2025, 1, 29)}, {2026, d(2026, 2, 17)},
};

TEST(calendar_lunar, tet_dates_both_ways) {
  for (const auto& c : tet_dates) {
    SCOPED_TRACE(c.year);
    EXPECT_EQ(khuyenhoc::lunar_to_solar(1, 1, c.year), c.tet);
    EXPECT_EQ(khuyenhoc::solar_to_lunar(c.tet), (lunar_date{1, 1, c.year, false}));
    // The day before Tết is the last day of month 12 of the previous lunar year.
    const lunar_date eve = khuyenhoc::solar_to_lunar(c.tet - days(1));
    EXPECT_EQ(eve.month, 12);
    EXPECT_EQ(eve.year, c.year - 1);
    EXPECT_TRUE(eve.day == 29 || eve.day == 30);
  }
}

TEST(calendar_lunar, leap_months) {
  const std::vector<std::pair<int, int>> known = {{2001, 4}, {2004, 2}, {2006, 7}, {2009, 5},
                                                  {2012, 4}, {2014, 9}, {2017, 6}, {2020, 4},
                                                  {2023, 2}, {2025, 6}, {2028, 5}};
  for (const auto& [year, month] : known) {
    SCOPED_TRACE(year);
    EXPECT_EQ(khuyenhoc::lunar_leap_month(year), month);
    const date first = khuyenhoc::lunar_to_solar(1, month, year, true);
    EXPECT_EQ(khuyenhoc::solar_to_lunar(first), (lunar_date{1, month, year, true}));
    // The leap month follows the ordinary month of the same number.
    const int ordinary_length = khuyenhoc::lunar_month_length(month, year);
    EXPECT_EQ(khuyenhoc::lunar_to_solar(1, month, year) + days(ordinary_length), first);
  }
  for (int year : {2019, 2021, 2022, 2024, 2026}) {
    EXPECT_EQ(khuyenhoc::lunar_leap_month(year), 0) << year;
  }
  // 2020: the leap fourth month began on 23 May 2020; 1 June 2020 was its 10th day.
  EXPECT_EQ(khuyenhoc::lunar_to_solar(1, 4, 2020, true), d(2020, 5, 23));
  EXPECT_EQ(khuyenhoc::solar_to_lunar(d(2020, 6, 1)), (lunar_date{10, 4, 2020, true}));
}

TEST(calendar_lunar, known_festivals) {
  // Giỗ Tổ Hùng Vương (10/3 lunar) and Trung thu (15/8 lunar).
  EXPECT_EQ(khuyenhoc::lunar_to_solar(10, 3, 2024), d(2024, 4, 18));
  EXPECT_EQ(khuyenhoc::lunar_to_solar(10, 3, 2025), d(2025, 4, 7));
  EXPECT_EQ(khuyenhoc::lunar_to_solar(10, 3, 2023), d(2023, 4, 29));
  EXPECT_EQ(khuyenhoc::lunar_to_solar(15, 8, 2024), d(2024, 9, 17));
  EXPECT_EQ(khuyenhoc::lunar_to_solar(15, 8, 2023), d(2023, 9, 29));
}

TEST(calendar_lunar, nonexistent_dates_throw) {
  EXPECT_THROW((void)khuyenhoc::lunar_to_solar(1, 1, 2024, true), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::lunar_to_solar(1, 5, 2020, true), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::lunar_to_solar(1, 13, 2024), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::lunar_to_solar(0, 1, 2024), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::lunar_to_solar(31, 1, 2024), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::lunar_to_solar(1, 1, 1700), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::solar_to_lunar(d(1799, 12, 31)), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::solar_to_lunar(d(2200, 1, 1)), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::solar_to_lunar(date()), khuyenhoc::data_error);
  // Day 30 exists only in a 30-day month.
  for (int month = 1; month <= 12; ++month) {
    const int length = khuyenhoc::lunar_month_length(month, 2024);
    ASSERT_TRUE(length == 29 || length == 30);
    EXPECT_NO_THROW((void)khuyenhoc::lunar_to_solar(length, month, 2024));
    EXPECT_THROW((void)khuyenhoc::lunar_to_solar(length + 1, month, 2024), khuyenhoc::data_error);
  }
  try {
    (void)khuyenhoc::lunar_to_solar(1, 3, 2024, true);
    FAIL();
  } catch (const khuyenhoc::data_error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("no leap month 3"));
  }
}

// Every day of 1900–2100: solar -> lunar -> solar is the identity, lunar days count up by one,
// and the table agrees with Hồ Ngọc Đức's functions applied directly.
TEST(calendar_lunar, round_trip_every_day_1900_2100) {
  lunar_date prev = khuyenhoc::solar_to_lunar(d(1899, 12, 31));
  long checked = 0;
  for (date day = d(1900, 1, 1); day <= d(2100, 12, 31); day += days(1)) {
    const lunar_date l = khuyenhoc::solar_to_lunar(day);
    ASSERT_EQ(khuyenhoc::lunar_to_solar(l.day, l.month, l.year, l.leap), day) << day;
    ASSERT_EQ(khuyenhoc::detail::reference_solar_to_lunar(day), l) << day;
    if (l.day == 1) {
      ASSERT_TRUE(prev.day == 29 || prev.day == 30) << day;
      if (l.leap) {
        ASSERT_EQ(l.month, prev.month) << day;
      } else {
        ASSERT_EQ(l.month, prev.month % 12 + 1) << day;
        ASSERT_EQ(l.year, l.month == 1 ? prev.year + 1 : prev.year) << day;
      }
    } else {
      ASSERT_EQ(l.day, prev.day + 1) << day;
      ASSERT_EQ(l.month, prev.month) << day;
      ASSERT_EQ(l.leap, prev.leap) << day;
    }
    prev = l;
    ++checked;
  }
  EXPECT_EQ(checked, (d(2101, 1, 1) - d(1900, 1, 1)).days());
}

// Every lunar month of 1900–2100: lunar -> solar agrees with the reference and back.
TEST(calendar_lunar, every_month_against_reference) {
  for (int year = 1900; year <= 2100; ++year) {
    const int leap = khuyenhoc::lunar_leap_month(year);
    for (int month = 1; month <= 12; ++month) {
      for (bool is_leap : {false, true}) {
        if (is_leap && month != leap) continue;
        const date first = khuyenhoc::lunar_to_solar(1, month, year, is_leap);
        ASSERT_EQ(khuyenhoc::detail::reference_lunar_to_solar(1, month, year, is_leap), first)
            << year << "/" << month;
        const int length = khuyenhoc::lunar_month_length(month, year, is_leap);
        const date last = khuyenhoc::lunar_to_solar(length, month, year, is_leap);
        ASSERT_EQ(khuyenhoc::solar_to_lunar(last), (lunar_date{length, month, year, is_leap}));
      }
    }
    if (leap == 0) {
      EXPECT_THROW((void)khuyenhoc::detail::reference_lunar_to_solar(1, 5, year, true),
                   khuyenhoc::data_error);
    }
  }
}

// --- holidays -----------------------------------------------------------------------------------

TEST(calendar_holidays, vietnam_2024) {
  const auto hs = khuyenhoc::holidays(2024);
  const std::vector<date> expected = {
      d(2024, 1, 1),
      // Tết as announced: 29 tháng Chạp to mùng 5 (8/2 - 14/2).
      d(2024, 2, 8), d(2024, 2, 9), d(2024, 2, 10), d(2024, 2, 11), d(2024, 2, 12), d(2024, 2, 13),
      d(2024, 2, 14), d(2024, 4, 18),  // Giỗ Tổ Hùng Vương
      d(2024, 4, 29),                  // swapped with Saturday 4/5
      d(2024, 4, 30), d(2024, 5, 1), d(2024, 9, 2),
      d(2024, 9, 3),  // 2/9 is a Monday: the adjacent day is 3/9
  };
  EXPECT_EQ(dates_of(hs), expected);
  EXPECT_TRUE(dates_with_id(hs, "tet", true).empty());  // a decided span has no substitutes
  for (const auto& h : hs) {
    if (h.rule_id == "tet") {
      EXPECT_EQ(h.type, khuyenhoc::day_type::announced_break);
      EXPECT_FALSE(h.source.empty());
    }
  }
  const auto it =
      std::find_if(hs.begin(), hs.end(), [](const auto& h) { return h.date == d(2024, 4, 18); });
  ASSERT_NE(it, hs.end());
  EXPECT_EQ(it->name_vi, "Giỗ Tổ Hùng Vương");
  EXPECT_EQ(it->rule_id, "hung_kings");
  EXPECT_FALSE(it->name_en.empty());
}

TEST(calendar_holidays, rules_change_over_the_years) {
  // Hùng Kings' day is a paid holiday only from 2007.
  EXPECT_TRUE(dates_with_id(khuyenhoc::holidays(2006), "hung_kings").empty());
  EXPECT_EQ(dates_with_id(khuyenhoc::holidays(2007), "hung_kings"),
            std::vector<date>{d(2007, 4, 26)});
  // Tết: four days until 2013 (one before, three after), five from 2014.
  EXPECT_EQ(dates_with_id(khuyenhoc::holidays(2013), "tet"),
            (std::vector<date>{d(2013, 2, 9), d(2013, 2, 10), d(2013, 2, 11), d(2013, 2, 12)}));
  EXPECT_EQ(dates_with_id(khuyenhoc::holidays(2014), "tet").size(), 5U);
  // National Day: one day until 2020, two (2/9 and 1/9 or 3/9) from 2021.
  EXPECT_TRUE(dates_with_id(khuyenhoc::holidays(2020), "national_day_adjacent").empty());
  EXPECT_EQ(dates_with_id(khuyenhoc::holidays(2021), "national_day_adjacent"),
            std::vector<date>{d(2021, 9, 3)});  // Thursday 2/9: Friday joins the weekend
  EXPECT_EQ(dates_with_id(khuyenhoc::holidays(2022), "national_day_adjacent"),
            std::vector<date>{d(2022, 9, 1)});  // Friday 2/9
  EXPECT_EQ(dates_with_id(khuyenhoc::holidays(2025), "national_day_adjacent"),
            std::vector<date>{d(2025, 9, 1)});  // Tuesday 2/9
  // No data before 1995.
  EXPECT_TRUE(khuyenhoc::holidays(1990).empty());
}

TEST(calendar_holidays, substitute_days) {
  // 2021: 1 May was a Saturday, made up on Monday 3 May.
  EXPECT_EQ(dates_with_id(khuyenhoc::holidays(2021), "labour_day", true),
            std::vector<date>{d(2021, 5, 3)});
  // 2023: Hùng Kings' day Saturday 29/4 and 30/4 Sunday -> 2/5 and 3/5.
  const auto y2023 = khuyenhoc::holidays(2023);
  EXPECT_EQ(dates_with_id(y2023, "hung_kings", true), std::vector<date>{d(2023, 5, 2)});
  EXPECT_EQ(dates_with_id(y2023, "reunification", true), std::vector<date>{d(2023, 5, 3)});
  // 2023: 1/1 was a Sunday.
  EXPECT_EQ(dates_with_id(y2023, "new_year", true), std::vector<date>{d(2023, 1, 2)});
  // 2023: 2/9 Saturday with 1/9 adjacent, substitute Monday 4/9.
  EXPECT_EQ(dates_with_id(y2023, "national_day", true), std::vector<date>{d(2023, 9, 4)});
  for (const auto& h : y2023) {
    if (h.substitute) {
      EXPECT_THAT(h.name_vi, testing::StartsWith("Nghỉ bù"));
    }
  }
}

TEST(calendar_holidays, every_year_is_consistent) {
  for (int year = 1995; year <= 2100; ++year) {
    const auto hs = khuyenhoc::holidays(year);
    ASSERT_TRUE(std::is_sorted(hs.begin(), hs.end(),
                               [](const auto& a, const auto& b) { return a.date < b.date; }));
    for (const auto& h : hs) ASSERT_EQ(h.date.year(), year) << h.name_en;
    const std::size_t tet = dates_with_id(hs, "tet").size();
    const bool announced = year >= 2020 && year <= 2026;  // spans in vn_holidays.yaml
    if (announced) {
      ASSERT_GE(tet, 7U) << year;
    } else {
      ASSERT_EQ(tet, year <= 2013 ? 4U : 5U) << year;
    }
    // Every Tết day is around lunar new year (an announced break may start on 26 Chạp and
    // end on mùng 6).
    for (const date& t : dates_with_id(hs, "tet")) {
      const lunar_date l = khuyenhoc::solar_to_lunar(t);
      const int before = announced ? 26 : 29;
      const int after = announced ? 6 : 4;
      ASSERT_TRUE((l.month == 1 && l.day <= after) || (l.month == 12 && l.day >= before)) << t;
    }
    // Substitute days are working days of the week.
    for (const auto& h : hs) {
      if (h.substitute) {
        ASSERT_NE(h.date.day_of_week().as_number(), 0);
        ASSERT_NE(h.date.day_of_week().as_number(), 6);
      }
    }
  }
}

// --- calendar -----------------------------------------------------------------------------------

TEST(calendar, working_days_around_tet_2024) {
  const calendar cal;
  EXPECT_TRUE(cal.is_working_day(d(2024, 2, 7)));
  EXPECT_FALSE(cal.is_working_day(d(2024, 2, 8)));
  EXPECT_FALSE(cal.is_working_day(d(2024, 2, 14)));
  EXPECT_TRUE(cal.is_working_day(d(2024, 2, 15)));
  EXPECT_FALSE(cal.is_working_day(d(2024, 2, 17)));  // Saturday
  EXPECT_TRUE(cal.is_holiday(d(2024, 2, 13)));
  EXPECT_FALSE(cal.is_holiday(d(2024, 2, 17)));
  EXPECT_TRUE(cal.is_weekend(d(2024, 2, 17)));
  EXPECT_EQ(cal.add_working_days(d(2024, 2, 7), 1), d(2024, 2, 15));
  EXPECT_EQ(cal.add_working_days(d(2024, 2, 15), -1), d(2024, 2, 7));
  EXPECT_EQ(cal.add_working_days(d(2024, 2, 10), 0), d(2024, 2, 10));
  EXPECT_EQ(cal.add_working_days(d(2024, 2, 10), 1), d(2024, 2, 15));
  // [7 Feb, 16 Feb): the 7th and the 15th.
  EXPECT_EQ(cal.working_days_between(d(2024, 2, 7), d(2024, 2, 16)), 2);
  EXPECT_EQ(cal.working_days_between(d(2024, 2, 16), d(2024, 2, 7)), -2);
  EXPECT_EQ(cal.working_days_between(d(2024, 2, 7), d(2024, 2, 7)), 0);
}

TEST(calendar, add_and_count_agree) {
  const calendar cal;
  for (date start = d(2023, 12, 1); start <= d(2024, 3, 1); start += days(3)) {
    for (long n : {1L, 2L, 5L, 10L, 30L, 250L}) {
      const date end = cal.add_working_days(start, n);
      ASSERT_TRUE(cal.is_working_day(end));
      // n working days strictly after start, up to and including end.
      ASSERT_EQ(cal.working_days_between(start + days(1), end + days(1)), n) << start << " " << n;
      // Back n working days from `end`: the last working day on or before `start`.
      const date expected = cal.is_working_day(start) ? start : cal.add_working_days(start, -1);
      ASSERT_EQ(cal.add_working_days(end, -n), expected) << start << " " << n;
    }
  }
  // A whole year: working days = days - weekend days - weekday holidays.
  const long in_2024 = cal.working_days_between(d(2024, 1, 1), d(2025, 1, 1));
  long weekdays = 0;
  for (date x = d(2024, 1, 1); x < d(2025, 1, 1); x += days(1)) {
    const int w = x.day_of_week().as_number();
    if ((w != 0 && w != 6 && !cal.is_holiday(x)) ||
        cal.classify(x) == khuyenhoc::day_type::swapped_working_day) {
      ++weekdays;
    }
  }
  EXPECT_EQ(in_2024, weekdays);
  // 2024: 104 weekend days, 12 holidays on weekdays (29/4 swapped), Saturday 4/5 worked.
  EXPECT_EQ(in_2024, 366 - 104 - 12 + 1);
}

TEST(calendar, extra_holidays_make_up_days_and_spans) {
  calendar cal;
  // Tết 2025 as decided: 25/1 to 2/2, with Saturday 8/2 worked.
  cal.set_tet_span(2025, d(2025, 1, 25), d(2025, 2, 2));
  cal.add_make_up_day(d(2025, 2, 8));
  cal.add_holiday(d(2025, 11, 20), "Ngày Nhà giáo Việt Nam", "Teachers' Day");
  const auto hs = cal.holidays(2025);
  const auto tet = dates_with_id(hs, "tet");
  ASSERT_EQ(tet.size(), 9U);
  EXPECT_EQ(tet.front(), d(2025, 1, 25));
  EXPECT_EQ(tet.back(), d(2025, 2, 2));
  EXPECT_TRUE(dates_with_id(hs, "tet", true).empty());  // a decided span is the whole break
  EXPECT_TRUE(cal.is_working_day(d(2025, 2, 8)));       // Saturday, worked
  EXPECT_FALSE(cal.is_working_day(d(2025, 2, 1)));
  EXPECT_TRUE(cal.is_working_day(d(2025, 2, 3)));
  EXPECT_FALSE(cal.is_working_day(d(2025, 11, 20)));
  EXPECT_EQ(dates_with_id(hs, "extra"), std::vector<date>{d(2025, 11, 20)});
  EXPECT_EQ(cal.add_working_days(d(2025, 1, 24), 1), d(2025, 2, 3));
  // A copy made before a change keeps its own answers.
  const calendar before = cal;
  cal.add_holiday(d(2025, 2, 3), "Nghỉ thêm");
  EXPECT_FALSE(cal.is_working_day(d(2025, 2, 3)));
  EXPECT_TRUE(before.is_working_day(d(2025, 2, 3)));
  EXPECT_THROW(cal.set_tet_span(2025, d(2025, 2, 2), d(2025, 1, 25)), khuyenhoc::spec_error);
  EXPECT_THROW(cal.set_tet_span(2025, d(2024, 12, 30), d(2025, 1, 2)), khuyenhoc::spec_error);
}

TEST(calendar, weekend_days) {
  calendar cal;
  cal.set_weekend({0});                              // Sunday only (a six-day week)
  EXPECT_TRUE(cal.is_working_day(d(2024, 3, 9)));    // Saturday
  EXPECT_FALSE(cal.is_working_day(d(2024, 3, 10)));  // Sunday
  // 1/1/2023 was a Sunday: substitute Monday 2/1 in either week.
  EXPECT_FALSE(cal.is_working_day(d(2023, 1, 2)));
  // 29/4/2023 Saturday is no longer a weekend day: no substitute for it.
  const auto hs = cal.holidays(2023);
  EXPECT_TRUE(dates_with_id(hs, "hung_kings", true).empty());
  EXPECT_EQ(dates_with_id(hs, "reunification", true), std::vector<date>{d(2023, 5, 2)});
  EXPECT_THROW(cal.set_weekend({0, 1, 2, 3, 4, 5, 6}), khuyenhoc::spec_error);
  EXPECT_THROW(cal.set_weekend({7}), khuyenhoc::spec_error);
}

TEST(calendar, custom_rules_from_yaml) {
  const std::string yaml = R"(
version: 1
base: vietnam
weekend: [saturday, sunday]
holidays:
  - id: teachers_day
    name_vi: Ngày Nhà giáo Việt Nam
    name_en: Vietnamese Teachers' Day
    solar: {month: 11, day: 20}
    since: 2024
  - id: mid_autumn
    name_vi: Tết Trung thu
    lunar: {month: 8, day: 15}
    since: 2024
    until: 2024
spans:
  - {id: tet, year: 2025, from: 2025-01-25, to: 2025-02-02}
extra_holidays:
  - {date: 2024-12-31, name_vi: Nghỉ cuối năm}
  - 2024-12-30
make_up_days: [2024-12-28]
)";
  const calendar cal = calendar::from_yaml(yaml);
  EXPECT_FALSE(cal.is_working_day(d(2024, 11, 20)));
  EXPECT_TRUE(cal.is_working_day(d(2023, 11, 20)));
  EXPECT_FALSE(cal.is_working_day(d(2024, 9, 17)));  // 15/8 lunar 2024
  EXPECT_TRUE(cal.is_working_day(d(2025, 10, 6)));   // 15/8 lunar 2025, rule ended
  EXPECT_FALSE(cal.is_working_day(d(2024, 12, 31)));
  EXPECT_FALSE(cal.is_working_day(d(2024, 12, 30)));
  EXPECT_TRUE(cal.is_working_day(d(2024, 12, 28)));  // Saturday made up
  EXPECT_FALSE(cal.is_working_day(d(2025, 1, 27)));
  EXPECT_FALSE(cal.is_working_day(d(2024, 2, 8)));  // the base rules are kept
  const auto hs = cal.holidays(2024);
  const auto it =
      std::find_if(hs.begin(), hs.end(), [](const auto& h) { return h.rule_id == "mid_autumn"; });
  ASSERT_NE(it, hs.end());
  EXPECT_EQ(it->name_en, "Tết Trung thu");  // defaults to the Vietnamese name
}

TEST(calendar, yaml_file_and_rules_only) {
  const std::string path = testing::TempDir() + "/khuyenhoc_calendar_test.yaml";
  {
    std::ofstream out(path);
    out << "holidays:\n"
           "  - {id: founding, name_vi: Ngày thành lập trường, solar: {month: 3, day: 26}}\n";
  }
  const calendar cal = calendar::from_yaml_file(path);
  EXPECT_EQ(dates_of(cal.holidays(2024)), std::vector<date>{d(2024, 3, 26)});
  const holiday_rules rules = holiday_rules::from_yaml_file(path);
  ASSERT_EQ(rules.rules().size(), 1U);
  EXPECT_EQ(rules.rules()[0].id, "founding");
  EXPECT_THROW((void)calendar::from_yaml_file(path + ".missing"), khuyenhoc::error);
}

TEST(calendar, yaml_errors_have_locations) {
  try {
    (void)holiday_rules::from_yaml("holidays:\n  - id: x\n    solar: {month: 13, day: 1}\n",
                                   "my.yaml");
    FAIL();
  } catch (const khuyenhoc::spec_error& e) {
    EXPECT_EQ(e.where().file, "my.yaml");
    EXPECT_EQ(e.where().line, 3U);
    EXPECT_THAT(e.what(), testing::HasSubstr("month 13"));
  }
  EXPECT_THROW((void)holiday_rules::from_yaml("holidays: [\n"), khuyenhoc::parse_error);
  EXPECT_THROW((void)holiday_rules::from_yaml("holidays:\n  - {id: x, solar: {month: 2, day: 30}}"),
               khuyenhoc::spec_error);
  EXPECT_THROW((void)holiday_rules::from_yaml(
                   "holidays:\n  - {id: x, solar: {month: 2, day: 3}, colour: red}"),
               khuyenhoc::spec_error);
  EXPECT_THROW((void)holiday_rules::from_yaml(
                   "holidays:\n  - {id: x, solar: {month: 2, day: 3}, since: 2020, until: 2019}"),
               khuyenhoc::spec_error);
  EXPECT_THROW((void)holiday_rules::from_yaml(
                   "holidays:\n  - {id: x, solar: {month: 2, day: 3}, lunar: {month: 1, day: 1}}"),
               khuyenhoc::spec_error);
  EXPECT_THROW((void)calendar::from_yaml("weekend: [caturday]"), khuyenhoc::spec_error);
  EXPECT_THROW((void)calendar::from_yaml("extra_holidays: [2024-02-30]"), khuyenhoc::spec_error);
  EXPECT_THROW((void)calendar::from_yaml("base: atlantis"), khuyenhoc::spec_error);
}

TEST(calendar, embedded_rules_are_the_yaml_file) {
  std::ifstream in(std::string(KHUYENHOC_SOURCE_DIR) + "/src/data/vn_holidays.yaml");
  ASSERT_TRUE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, std::string(khuyenhoc::detail::vn_holidays_yaml));
  const auto rules = holiday_rules::vietnam();
  EXPECT_GE(rules.rules().size(), 8U);
  EXPECT_EQ(rules.substitutes().size(), 1U);
}

TEST(calendar, concurrent_queries_agree) {
  const calendar cal;
  std::vector<long> counts(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < counts.size(); ++t) {
    threads.emplace_back(
        [&, t] { counts[t] = cal.working_days_between(d(2000, 1, 1), d(2030, 1, 1)); });
  }
  for (auto& th : threads) th.join();
  for (long c : counts) EXPECT_EQ(c, counts[0]);
  EXPECT_GT(counts[0], 7000);
}

// --- holidays as decided ------------------------------------------------------------------------

TEST(calendar_decided, announced_tet_breaks_2020_2026) {
  using khuyenhoc::day_type;
  const calendar cal;
  struct span {
    date first, last;
  };
  const span spans[] = {{d(2020, 1, 23), d(2020, 1, 29)}, {d(2021, 2, 10), d(2021, 2, 16)},
                        {d(2022, 1, 29), d(2022, 2, 6)},  {d(2023, 1, 20), d(2023, 1, 26)},
                        {d(2024, 2, 8), d(2024, 2, 14)},  {d(2025, 1, 25), d(2025, 2, 2)},
                        {d(2026, 2, 14), d(2026, 2, 22)}};
  for (const auto& s : spans) {
    for (date x = s.first; x <= s.last; x += days(1)) {
      EXPECT_EQ(cal.classify(x), day_type::announced_break) << x;
      EXPECT_FALSE(cal.is_working_day(x)) << x;
    }
    // The days around the break are not part of it.
    EXPECT_NE(cal.classify(s.first - days(1)), day_type::announced_break);
    EXPECT_NE(cal.classify(s.last + days(1)), day_type::announced_break);
  }
  // 2025: the break ran 25/1 - 2/2, so Monday 3/2/2025 was a working day (the computed rule
  // would have made it a substitute day for the Saturday of Tết).
  EXPECT_TRUE(cal.is_working_day(d(2025, 2, 3)));
  // Years without an announcement keep the rules: 2027 has five Tết days plus substitutes.
  EXPECT_EQ(dates_with_id(cal.holidays(2027), "tet").size(), 5U);
}

TEST(calendar_decided, day_swaps) {
  using khuyenhoc::day_type;
  const calendar cal;
  // 2024: Monday 29/4 off, Saturday 4/5 worked.
  EXPECT_EQ(cal.classify(d(2024, 4, 29)), day_type::swapped_day_off);
  EXPECT_EQ(cal.classify(d(2024, 5, 4)), day_type::swapped_working_day);
  EXPECT_TRUE(cal.is_working_day(d(2024, 5, 4)));
  EXPECT_TRUE(cal.is_holiday(d(2024, 4, 29)));
  // 2025: Friday 2/5 off, Saturday 26/4 worked.
  EXPECT_EQ(cal.classify(d(2025, 5, 2)), day_type::swapped_day_off);
  EXPECT_EQ(cal.classify(d(2025, 4, 26)), day_type::swapped_working_day);
  // 2026: Monday 31/8 off.
  EXPECT_EQ(cal.classify(d(2026, 8, 31)), day_type::swapped_day_off);
  const auto work = cal.swapped_working_days(2024);
  ASSERT_EQ(work.size(), 1U);
  EXPECT_EQ(work[0].date, d(2024, 5, 4));
  EXPECT_EQ(work[0].type, day_type::swapped_working_day);
  EXPECT_FALSE(work[0].source.empty());
  // Other kinds.
  EXPECT_EQ(cal.classify(d(2024, 4, 30)), day_type::public_holiday);
  EXPECT_EQ(cal.classify(d(2024, 4, 27)), day_type::weekend);
  EXPECT_EQ(cal.classify(d(2024, 4, 26)), day_type::working_day);
  EXPECT_EQ(cal.classify(d(2023, 1, 2)), day_type::substitute_day);  // 1/1/2023 a Sunday
  EXPECT_EQ(khuyenhoc::to_string(day_type::announced_break), "announced_break");
}

TEST(calendar_decided, culture_day_from_2026) {
  const calendar cal;
  EXPECT_TRUE(cal.is_working_day(d(2025, 11, 24)));
  EXPECT_EQ(cal.classify(d(2026, 11, 24)), khuyenhoc::day_type::public_holiday);
  EXPECT_EQ(dates_with_id(cal.holidays(2030), "culture_day"), std::vector<date>{d(2030, 11, 24)});
  // 24/11/2030 is a Sunday: substitute Monday 25/11.
  EXPECT_EQ(dates_with_id(cal.holidays(2030), "culture_day", true),
            std::vector<date>{d(2030, 11, 25)});
}

TEST(calendar_decided, department_additions_from_yaml) {
  const auto cal = calendar::from_yaml(R"(
base: vietnam
extra_holidays:
  - {date: 2024-11-20, name_vi: Ngày Nhà giáo Việt Nam (nghỉ của trường)}
swaps:
  - {off: 2024-12-30, work: 2024-12-28, source: "Quyết định của Giám đốc Sở"}
)");
  EXPECT_EQ(cal.classify(d(2024, 11, 20)), khuyenhoc::day_type::extra_holiday);
  EXPECT_EQ(cal.classify(d(2024, 12, 30)), khuyenhoc::day_type::swapped_day_off);
  EXPECT_TRUE(cal.is_working_day(d(2024, 12, 28)));
  EXPECT_EQ(cal.classify(d(2024, 4, 29)), khuyenhoc::day_type::swapped_day_off);  // base kept
  try {
    (void)calendar::from_yaml("swaps:\n  - {off: 2024-12-30, work: 2024-12-30}\n", "c.yaml");
    FAIL() << "expected spec_error";
  } catch (const khuyenhoc::spec_error& e) {
    EXPECT_EQ(e.where().line, 2U);
  }
}

}  // namespace
