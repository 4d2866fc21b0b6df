// Criteria scoring of a province-sized pool: 1,000,000 nominees × 30 indicators (every kind),
// at 1 and 2 threads; MCDA weighted sum and TOPSIS over a 1,000,000 × 30 matrix.
// Items/s are nominees per second.

#include <benchmark/benchmark.h>

#include <khuyenhoc/criteria.hpp>
#include <khuyenhoc/generate.hpp>

#include <random>
#include <string>

namespace {

using namespace khuyenhoc;

constexpr std::size_t rows = 1'000'000;

const pool& big_pool() {
  static const pool p = generate_pool(rows, {.seed = 42});
  return p;
}

// 30 indicators in 5 criteria, cycling through the kinds over the generated pool's columns.
std::string thirty_indicators() {
  std::string y = "id: bench\nmax_points: 1000\ncriteria:\n";
  int k = 0;
  for (int c = 0; c < 5; ++c) {
    y += "  - id: c" + std::to_string(c) + "\n    max_points: 150\n    indicators:\n";
    for (int j = 0; j < 6; ++j, ++k) {
      const std::string id = "      - id: i" + std::to_string(k) + "\n        missing: zero\n";
      switch (k % 6) {
        case 0:
          y += id +
               "        column: gpa\n        bands:\n"
               "          - {at_least: 9.5, points: 30}\n          - {at_least: 9.0, points: 25}\n"
               "          - {at_least: 8.5, points: 18}\n          - {at_least: 8.0, points: 10}\n"
               "          - {at_least: " +
               std::to_string(6 + c % 2) + ", points: 4}\n";
          break;
        case 1:
          y += id + "        column: exam_score\n        linear: {min: 15, max: 30, points: 20}\n";
          break;
        case 2:
          y += id + "        column: conduct\n        map: {\"Tốt\": 10, \"Khá\": 6, \"Đạt\": 2}\n";
          break;
        case 3:
          y += id +
               "        column: prizes\n        max_points: 40\n        per_item:\n"
               "          points: 1\n          kinds:\n"
               "            - {prefix: \"Quốc tế\", points: 40}\n"
               "            - {prefix: \"Quốc gia\", points: 20}\n"
               "            - {prefix: \"Tỉnh\", points: 8}\n";
          break;
        case 4:
          y += id +
               "        column: community_hours\n        bands:\n"
               "          - {from: 60, points: 6}\n          - {from: 30, below: 60, points: 4}\n"
               "          - {from: 10, below: 30, points: 2}\n";
          break;
        default:
          y += id + "        column: orphan\n        boolean: 5\n";
          break;
      }
    }
  }
  y += "levels:\n  - {code: a, min: 300}\n  - {code: b, min: 150}\n  - {code: c}\n";
  return y;
}

void BM_score(benchmark::State& state) {
  const auto& p = big_pool();
  const auto compiled = criteria_set::from_yaml(thirty_indicators()).compile(p);
  const auto threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    auto t = compiled.score(p, {.threads = threads});
    benchmark::DoNotOptimize(t.total().data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.counters["indicators"] = 30;
}
BENCHMARK(BM_score)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_compile(benchmark::State& state) {
  const auto& p = big_pool();
  const auto set = criteria_set::from_yaml(thirty_indicators());
  for (auto _ : state) benchmark::DoNotOptimize(set.compile(p));
}
BENCHMARK(BM_compile)->Unit(benchmark::kMicrosecond);

void BM_explain(benchmark::State& state) {
  const auto& p = big_pool();
  const auto t = criteria_set::from_yaml(thirty_indicators()).score(p);
  std::size_t row = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.explain(row).total);
    row = (row + 7919) % rows;
  }
}
BENCHMARK(BM_explain)->Unit(benchmark::kMicrosecond);

const Eigen::MatrixXd& mcda_data() {
  static const Eigen::MatrixXd m = [] {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(1, 100);
    Eigen::MatrixXd out(static_cast<Eigen::Index>(rows), 30);
    for (Eigen::Index j = 0; j < out.cols(); ++j)
      for (Eigen::Index i = 0; i < out.rows(); ++i) out(i, j) = u(rng);
    return out;
  }();
  return m;
}

std::vector<objective> mcda_types() {
  std::vector<objective> t(30, objective::benefit);
  for (std::size_t j = 0; j < t.size(); j += 3) t[j] = objective::cost;
  return t;
}

void BM_weighted_sum(benchmark::State& state) {
  const auto& m = mcda_data();
  const auto types = mcda_types();
  const std::vector<double> w(30, 1.0 / 30);
  for (auto _ : state) benchmark::DoNotOptimize(weighted_sum(m, w, types, normalization::minmax));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}
BENCHMARK(BM_weighted_sum)->Unit(benchmark::kMillisecond);

void BM_topsis(benchmark::State& state) {
  const auto& m = mcda_data();
  const auto types = mcda_types();
  const std::vector<double> w(30, 1.0 / 30);
  for (auto _ : state) benchmark::DoNotOptimize(topsis(m, w, types, normalization::vector));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}
BENCHMARK(BM_topsis)->Unit(benchmark::kMillisecond);

}  // namespace
