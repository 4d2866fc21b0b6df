// Schedule checking at a province's scale: 1,000,000 tasks, checked by sweep-lines.
#include <benchmark/benchmark.h>
#include <khuyenhoc/plan.hpp>

#include <algorithm>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace bg = boost::gregorian;

std::string unit_name(std::uint64_t k) {
  std::string s = "Đơn vị ";
  s.append(std::to_string(k));
  return s;
}

// GCC 12 at -O3 warns -Wrestrict on short std::string assignments inlined here (GCC bug 105329,
// a false positive); the warning is silenced for this function only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
// n tasks over 2024 in `units` units: day ranges of 1-14 days, a third with a supporting unit.
khuyenhoc::plan make_plan(std::size_t n, std::size_t units) {
  std::mt19937_64 rng(2024);
  khuyenhoc::plan p;
  const bg::date base(2024, 1, 1);
  for (std::size_t i = 0; i < n; ++i) {
    khuyenhoc::plan_task t;
    t.id = std::to_string(i);
    t.title = "Công việc ";
    t.title.append(std::to_string(i));
    const bg::date s = base + bg::days(static_cast<long>(rng() % 350));
    const bg::date e = s + bg::days(static_cast<long>(rng() % 14));
    khuyenhoc::time_expr te;
    te.start = s;
    te.end = e;
    t.time = te;
    t.time_text = "x";
    t.leads = {unit_name(rng() % units)};
    if (rng() % 3 == 0) t.supports = {unit_name(rng() % units)};
    t.kind = khuyenhoc::task_kind::task;
    t.kind_inferred = false;
    p.add(std::move(t));
  }
  return p;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

void bm_check_1m(benchmark::State& state) {
  static const auto p = make_plan(1'000'000, 20'000);
  khuyenhoc::check_options o;
  o.capacity = 2;
  o.info = false;
  std::size_t found = 0;
  for (auto _ : state) {
    const auto fs = p.check(o);
    found = fs.size();
    benchmark::DoNotOptimize(fs.data());
  }
  if (found == 0) throw std::runtime_error("expected findings");
  state.counters["findings"] = static_cast<double>(found);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1'000'000);
}
BENCHMARK(bm_check_1m)->Unit(benchmark::kMillisecond)->Iterations(3);

void bm_sweep_kernel_1m(benchmark::State& state) {
  std::mt19937_64 rng(7);
  std::vector<khuyenhoc::detail::sweep_item> items(1'000'000);
  for (std::uint32_t i = 0; i < items.size(); ++i) {
    auto& it = items[i];
    it.group = static_cast<std::uint32_t>(rng() % 20'000);
    it.start = 2'460'000 + static_cast<std::int64_t>(rng() % 350);
    it.past_end = it.start + 1 + static_cast<std::int64_t>(rng() % 14);
    it.certain = it.possible = 1000;
    it.task = i;
  }
  const std::vector<std::int64_t> cap(20'000, 1000);
  std::size_t runs = 0;
  for (auto _ : state) {
    const auto r = khuyenhoc::detail::sweep_overloads(items, cap);
    runs = r.size();
    benchmark::DoNotOptimize(r.data());
  }
  state.counters["runs"] = static_cast<double>(runs);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1'000'000);
}
BENCHMARK(bm_sweep_kernel_1m)->Unit(benchmark::kMillisecond);

// find_overloads on the Python benchmark's data (benchmarks/python/bench_plan.py): 1,000,000
// tasks in 20,000 units, starting on a random day of the year, 1-14 days long, capacity 1.
// Argument: threads (1, or 0 for the hardware's).
void bm_find_overloads_1m(benchmark::State& state) {
  std::mt19937_64 rng(1);
  const std::size_t n = 1'000'000;
  std::vector<std::uint32_t> units(n);
  std::vector<std::int64_t> starts(n), ends(n);
  for (std::size_t i = 0; i < n; ++i) {
    units[i] = static_cast<std::uint32_t>(rng() % 20'000);
    starts[i] = static_cast<std::int64_t>(rng() % 365);
    ends[i] = starts[i] + 1 + static_cast<std::int64_t>(rng() % 14);
  }
  std::vector<std::uint8_t> out(n);
  const khuyenhoc::overload_options o{.capacity = 1,
                                      .threads = static_cast<unsigned>(state.range(0))};
  for (auto _ : state) {
    khuyenhoc::find_overloads(std::span<const std::uint32_t>(units), starts, ends, {}, out, o);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["in_conflict"] = static_cast<double>(std::count(out.begin(), out.end(), 1));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1'000'000);
}
BENCHMARK(bm_find_overloads_1m)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
