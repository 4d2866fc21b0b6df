// Calendar and time expressions: solar -> lunar and lunar -> solar conversion (table lookups)
// against Hồ Ngọc Đức's direct computation, working-day queries, and parse_time on the shapes
// of a real plan's "Thời gian" column. Items/s counts conversions, queries or parsed cells.
// Results are checked once, outside the timed loops.
#include <khuyenhoc/calendar.hpp>
#include <khuyenhoc/time_expr.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace kh = khuyenhoc;
namespace bg = boost::gregorian;

namespace {

// Every day of 1900–2100.
const std::vector<bg::date>& all_days() {
  static const std::vector<bg::date> days = [] {
    std::vector<bg::date> out;
    for (bg::date d(1900, 1, 1); d <= bg::date(2100, 12, 31); d += bg::days(1)) out.push_back(d);
    return out;
  }();
  return days;
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

void solar_to_lunar(benchmark::State& state) {
  const auto& days = all_days();
  check(kh::solar_to_lunar(bg::date(2024, 2, 10)) == kh::lunar_date{1, 1, 2024, false}, "Tết 2024");
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(kh::solar_to_lunar(days[i]));
    if (++i == days.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(solar_to_lunar);

void lunar_to_solar(benchmark::State& state) {
  std::vector<kh::lunar_date> lunar;
  for (std::size_t i = 0; i < all_days().size(); i += 7) {
    lunar.push_back(kh::solar_to_lunar(all_days()[i]));
  }
  check(kh::lunar_to_solar(1, 1, 2024) == bg::date(2024, 2, 10), "Tết 2024");
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& l = lunar[i];
    benchmark::DoNotOptimize(kh::lunar_to_solar(l.day, l.month, l.year, l.leap));
    if (++i == lunar.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(lunar_to_solar);

// The astronomical computation without the table (what a naive port does per call).
void solar_to_lunar_direct(benchmark::State& state) {
  const auto& days = all_days();
  check(kh::detail::reference_solar_to_lunar(bg::date(2024, 2, 10)) ==
            kh::lunar_date{1, 1, 2024, false},
        "Tết 2024");
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(kh::detail::reference_solar_to_lunar(days[i]));
    if (++i == days.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(solar_to_lunar_direct);

void is_working_day(benchmark::State& state) {
  const kh::calendar cal;
  const auto& days = all_days();
  check(!cal.is_working_day(bg::date(2024, 2, 12)), "Tết 2024 is off");
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cal.is_working_day(days[i]));
    if (++i == days.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(is_working_day);

// The "Thời gian" cells of plans, with and without diacritics.
const std::vector<std::string> cells = {
    "27/8 - 10/9",
    "08/11",
    "Từ 15/10",
    "05/11 (Dự kiến)",
    "Tháng 12/2023",
    "(tháng 6,7)",
    "Quý 1/2024",
    "Năm 2025",
    "từ ngày 5/9 đến ngày 5/10/2024",
    "trước ngày 30/11 hàng năm",
    "cuối tháng 10",
    "15/12 - 10/1",
    "Tu 15/10",
    "02/9 - 12/9",
    "30/9 - 03/10",
    "01/10 (Du kien)",
};

void parse_time(benchmark::State& state) {
  const bool ascii_only = state.range(0) != 0;
  std::vector<std::string> texts;
  for (const auto& c : cells) {
    const bool ascii = std::all_of(c.begin(), c.end(),
                                   [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
    if (ascii == ascii_only) texts.push_back(c);
  }
  check(kh::parse_time("27/8 - 10/9", 2024).end == bg::date(2024, 9, 10), "27/8 - 10/9");
  std::size_t i = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const auto& t = texts[i];
    benchmark::DoNotOptimize(kh::parse_time(t, 2024));
    bytes += static_cast<std::int64_t>(t.size());
    if (++i == texts.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(bytes);
}
BENCHMARK(parse_time)->Arg(1)->Arg(0)->ArgName("ascii");

}  // namespace
