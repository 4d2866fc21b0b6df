// Eligibility rules: 15 rules of a realistic honouring / scholarship rule set over a
// province-wide pool of 1,000,000 nominees (items = nominees), at 1 and 2 threads, with full
// verdicts and eligibility only; and the cost of compiling the rule set.
#include <benchmark/benchmark.h>

#include <khuyenhoc/generate.hpp>
#include <khuyenhoc/rules.hpp>
#include <vector>

namespace {

// The 15 rules, also used by benchmarks/python/bench_rules.py (keep them in step).
const char* const bench_rules = R"(name: benchmark (15 rules)
rules:
  - {id: r01, when: 'conduct == "Tốt"', reason: "Hạnh kiểm {conduct}"}
  - {id: r02, when: 'gpa >= 8.0 or count(prizes, "Quốc gia") > 0', reason: "Điểm {gpa}"}
  - {id: r03, when: 'contains(documents, "Tờ trình")'}
  - {id: r04, when: 'contains(documents, "Biên bản họp bình xét")'}
  - {id: r05, when: 'contains(documents, "Báo cáo thành tích")'}
  - {id: r06, when: 'submitted_on <= 2024-09-30', reason: "Nộp {submitted_on}"}
  - {id: r07, when: 'age(date_of_birth, 2024-09-30) < 19'}
  - {id: r08, when: 'household in ["Nghèo", "Cận nghèo"] or orphan', severity: warn}
  - {id: r09, when: 'gpa between 6.5 and 10'}
  - {id: r10, when: 'recent_streak(conduct_history, it == "Tốt") >= 2'}
  - {id: r11, when: 'all(conduct_history, it in ["Tốt", "Khá"])'}
  - {id: r12, when: 'community_hours >= 5', severity: warn}
  - {id: r13, when: 'exam_score is missing or exam_score >= 20'}
  - {id: r14, when: 'grade >= 6 and grade <= 12'}
  - {id: r15, when: 'gpa * 10 + community_hours / 10 >= 70'}
)";

const khuyenhoc::pool& big_pool() {
  static const auto p = khuyenhoc::generate_pool(1'000'000, {.seed = 1});
  return p;
}

void rules_evaluate(benchmark::State& state) {
  const auto& p = big_pool();
  const auto rs = khuyenhoc::rule_set::compile(khuyenhoc::parse_rule_set(bench_rules), p);
  const auto threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    auto v = rs.evaluate(p, threads);
    benchmark::DoNotOptimize(v.eligible().data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(p.size()));
  state.counters["rules"] = 15;
}
BENCHMARK(rules_evaluate)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Eligibility only (rule_set::eligible): no status matrix, funnel, reasons or tables.
void rules_eligible(benchmark::State& state) {
  const auto& p = big_pool();
  const auto rs = khuyenhoc::rule_set::compile(khuyenhoc::parse_rule_set(bench_rules), p);
  const auto threads = static_cast<unsigned>(state.range(0));
  const auto full = rs.evaluate(p);
  if (rs.eligible(p, threads) !=
      std::vector<std::uint8_t>(full.eligible().begin(), full.eligible().end()))
    state.SkipWithError("eligible() differs from evaluate().eligible()");
  for (auto _ : state) {
    auto e = rs.eligible(p, threads);
    benchmark::DoNotOptimize(e.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(p.size()));
}
BENCHMARK(rules_eligible)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void rules_single_expression(benchmark::State& state) {
  const auto& p = big_pool();
  const auto e = khuyenhoc::expression::compile("gpa >= 8.0 and conduct == \"Tốt\"", p);
  for (auto _ : state) {
    auto v = e.evaluate(p, static_cast<unsigned>(state.range(0)));
    benchmark::DoNotOptimize(v.booleans.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(p.size()));
}
BENCHMARK(rules_single_expression)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void rules_compile(benchmark::State& state) {
  const auto& p = big_pool();
  const auto spec = khuyenhoc::parse_rule_set(bench_rules);
  for (auto _ : state) {
    auto rs = khuyenhoc::rule_set::compile(spec, p);
    benchmark::DoNotOptimize(&rs);
  }
  state.SetItemsProcessed(state.iterations() * 15);
}
BENCHMARK(rules_compile)->Unit(benchmark::kMicrosecond);

}  // namespace
