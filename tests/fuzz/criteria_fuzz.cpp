// libFuzzer target for criteria sets (YAML or JSON): parse, validate, bind to a small generated
// pool and score at 1 and 2 threads (the totals must agree). Any khuyenhoc::error is a correct
// answer (a parse_error must name its line); anything else is a bug. Alias bombs and deep
// nesting must end in limit_error quickly (the -timeout of the run enforces "quickly").
#include <khuyenhoc/criteria.hpp>
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/generate.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {
const khuyenhoc::pool& fuzz_pool() {
  static const auto p = khuyenhoc::generate_pool(64, {.seed = 5});
  return p;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto set = khuyenhoc::criteria_set::from_yaml(text, "fuzz.yaml");
    const auto& p = fuzz_pool();
    const auto a = set.score(p, {.threads = 1});
    const auto b = set.score(p, {.threads = 2});
    for (std::size_t r = 0; r < p.size(); ++r) {
      const double x = a.total()[r];
      const double y = b.total()[r];
      if (!(x == y || (std::isnan(x) && std::isnan(y)))) std::abort();
    }
  } catch (const khuyenhoc::parse_error& e) {
    if (e.where().line == 0) std::abort();
  } catch (const khuyenhoc::error&) {
  }
  return 0;
}
