// libFuzzer target for calendar YAML (holidays, weekend, make-up days): parse, then ask about
// every day of two years and count working days; the count must match the day-by-day answers.
// Any khuyenhoc::error is a correct answer; anything else is a bug.
#include <khuyenhoc/calendar.hpp>
#include <khuyenhoc/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto cal = khuyenhoc::calendar::from_yaml(text, "fuzz.yaml");
    const boost::gregorian::date a(2024, 1, 1);
    const boost::gregorian::date b(2025, 12, 31);
    long working = 0;
    for (auto d = a; d < b; d += boost::gregorian::days(1)) working += cal.is_working_day(d);
    if (working != cal.working_days_between(a, b)) std::abort();
  } catch (const khuyenhoc::error&) {
  }
  return 0;
}
