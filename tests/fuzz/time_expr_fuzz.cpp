// libFuzzer target for parse_time: any bytes must either parse into a consistent time_expr or
// raise khuyenhoc::parse_error; anything else (another exception, a crash, a sanitizer report)
// is a bug.
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/time_expr.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const bool with_year : {true, false}) {
    try {
      const khuyenhoc::time_expr t =
          with_year ? khuyenhoc::parse_time(text, 2024) : khuyenhoc::parse_time(text);
      if (t.text != text) std::abort();
      if (!t.start && !t.end) {
        // Only "Thường xuyên" (ongoing) and a bare "hàng năm"/"hàng tháng" (recurring) have no
        // date at all.
        if (!t.ongoing && !t.recurring) std::abort();
        continue;
      }
      if (t.start && t.end && *t.end < *t.start) std::abort();
      if (t.open_ended && t.end) std::abort();
      const auto p = t.period();
      if (p.is_null()) std::abort();
    } catch (const khuyenhoc::parse_error& e) {
      if (e.where().line == 0 || e.where().column == 0) std::abort();  // errors say where
    }
  }
  return 0;
}
