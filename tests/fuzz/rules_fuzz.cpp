// libFuzzer target for the rule language and rule-set reader. The first byte picks the mode:
// even → the rest is an expression, compiled against a small generated pool and, if it
// compiles, evaluated at 1 and 2 threads (the results must agree); odd → the rest is a YAML
// rule set, compiled, evaluated (eligibility only must agree) and its reasons rendered. Any
// khuyenhoc::error is a correct answer (expression errors must say where); anything else (another
// exception, a crash, a sanitizer report, a hang) is a bug.
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/generate.hpp>
#include <khuyenhoc/rules.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

const khuyenhoc::pool& fuzz_pool() {
  static const auto p = khuyenhoc::generate_pool(64, {.seed = 3});
  return p;
}

void expression(std::string_view text) {
  const auto& p = fuzz_pool();
  try {
    const auto e = khuyenhoc::expression::compile(text, p);
    if (e.type() == khuyenhoc::value_type::list) return;
    const auto a = e.evaluate(p, 1);
    const auto b = e.evaluate(p, 2);
    if (a.valid != b.valid || a.booleans != b.booleans || a.strings != b.strings) std::abort();
    for (std::size_t i = 0; i < a.numbers.size(); ++i)
      if (!(a.numbers[i] == b.numbers[i] || (std::isnan(a.numbers[i]) && std::isnan(b.numbers[i]))))
        std::abort();
  } catch (const khuyenhoc::parse_error& e) {
    if (!text.empty() && text.size() <= 8192 && e.where().line == 0) std::abort();
  } catch (const khuyenhoc::schema_error& e) {
    if (e.where().line == 0 || e.where().column == 0) std::abort();
  }
}

void rule_set(std::string_view text) {
  const auto& p = fuzz_pool();
  try {
    const auto rs = khuyenhoc::rule_set::compile(khuyenhoc::parse_rule_set(text, "fuzz.yaml"), p);
    const auto v = rs.evaluate(p, 2);
    for (std::size_t r = 0; r < v.rows(); ++r) (void)v.reasons(r);
    // Eligibility only must agree with the full verdicts.
    const auto e = rs.eligible(p, 1);
    if (!std::equal(e.begin(), e.end(), v.eligible().begin(), v.eligible().end())) std::abort();
  } catch (const khuyenhoc::error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1U) == 0) {
    expression(text);
  } else {
    rule_set(text);
  }
  return 0;
}
