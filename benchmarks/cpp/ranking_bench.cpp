// Ranking kernels on a province-sized (10,000,000-row) pool: full rank, rank within 30
// districts, a total order on (score desc, id asc), and top-k per district by selection.
// Items/s counts input rows. Results are checked once, outside the timed loops.
#include <khuyenhoc/ranking.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace kh = khuyenhoc;

namespace {

constexpr std::size_t rows = 10'000'000;
constexpr std::int32_t districts = 30;

// Scores on a 0..100 scale with two decimals (many ties), 1% missing; a district per row;
// a unique id per row (a shuffled sequence, as ids come from many schools).
struct data {
  std::vector<double> score;
  std::vector<std::int32_t> district;
  std::vector<std::int64_t> id;
};

const data& pool() {
  static const data d = [] {
    data out;
    std::mt19937_64 rng(20241002);
    std::normal_distribution<double> normal(70, 10);
    std::uniform_int_distribution<std::int32_t> pick(0, districts - 1);
    std::uniform_real_distribution<double> unit(0, 1);
    out.score.resize(rows);
    out.district.resize(rows);
    out.id.resize(rows);
    for (std::size_t i = 0; i < rows; ++i) {
      out.score[i] = unit(rng) < 0.01 ? std::numeric_limits<double>::quiet_NaN()
                                      : std::round(normal(rng) * 100) / 100;
      out.district[i] = pick(rng);
      out.id[i] = static_cast<std::int64_t>(i);
    }
    std::shuffle(out.id.begin(), out.id.end(), rng);
    return out;
  }();
  return d;
}

void bm_rank_full(benchmark::State& state) {
  const data& d = pool();
  std::vector<double> out(rows);
  for (auto _ : state) {
    kh::rank(d.score, out, kh::rank_method::average, false, kh::na_option::bottom);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
}

void bm_rank_grouped_30(benchmark::State& state) {
  const data& d = pool();
  std::vector<double> out(rows);
  for (auto _ : state) {
    kh::rank_within_groups(d.score, d.district, out, kh::rank_method::min, false,
                           kh::na_option::bottom);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
}

kh::sort_keys score_then_id(const data& d) {
  kh::sort_keys keys(rows);
  keys.add(std::span<const double>(d.score), kh::sort_direction::descending)
      .add(std::span<const std::int64_t>(d.id), kh::sort_direction::ascending);
  return keys;
}

// Encoding the keys is part of every timed run: a caller starts from columns.
void bm_order_score_id(benchmark::State& state) {
  const data& d = pool();
  for (auto _ : state) {
    const std::vector<std::uint32_t> o = kh::order(score_then_id(d));
    benchmark::DoNotOptimize(o.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
}

void bm_top_k_per_district(benchmark::State& state) {
  const data& d = pool();
  const auto k = state.range(0);
  {
    // Check once: the selection is the head of the full per-district order.
    const kh::sort_keys keys = score_then_id(d);
    const kh::grouped_rows top = kh::top_k_per_group(keys, d.district, districts, k);
    const kh::grouped_rows all = kh::order_within_groups(keys, d.district, districts);
    for (std::int32_t g = 0; g < districts; ++g) {
      const auto a = top.group(static_cast<std::size_t>(g));
      const auto b = all.group(static_cast<std::size_t>(g));
      if (!std::equal(a.begin(), a.end(), b.begin())) throw std::logic_error("top-k mismatch");
    }
  }
  for (auto _ : state) {
    const kh::grouped_rows top = kh::top_k_per_group(score_then_id(d), d.district, districts, k);
    benchmark::DoNotOptimize(top.rows.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
}

}  // namespace

BENCHMARK(bm_rank_full)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_rank_grouped_30)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_order_score_id)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_top_k_per_district)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();
