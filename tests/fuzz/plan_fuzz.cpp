// libFuzzer target for the plan readers. The first byte picks the reader: YAML, CSV or the
// task table (tab, pipe or markdown); the rest is the text. A plan that reads is checked (with
// the default calendar) and written as iCalendar. Any khuyenhoc::error is a correct answer
// (parse errors name their line); anything else is a bug.
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/plan.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    khuyenhoc::plan p;
    switch (data[0] % 3) {
      case 0:
        p = khuyenhoc::plan::from_yaml(text, "fuzz.yaml", 2024);
        break;
      case 1:
        p = khuyenhoc::plan::from_csv(text, 2024, "fuzz.csv");
        break;
      default:
        p = khuyenhoc::plan::from_table(text, 2024, "fuzz.txt");
        break;
    }
    (void)p.check();
    (void)p.to_ical({.dtstamp = "20240101T000000Z"});
  } catch (const khuyenhoc::parse_error& e) {
    if (e.where().line == 0 && e.where().file.empty()) std::abort();
  } catch (const khuyenhoc::error&) {
  }
  return 0;
}
