// Pool I/O: reading and writing a province-wide pool CSV, and generating it.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <khuyenhoc/csv.hpp>
#include <khuyenhoc/generate.hpp>
#include <map>

namespace {

const std::string& pool_csv(std::size_t rows) {
  static std::map<std::size_t, std::string> cache;
  auto it = cache.find(rows);
  if (it == cache.end()) {
    it = cache.emplace(rows, khuyenhoc::write_csv_text(khuyenhoc::generate_pool(rows, {.seed = 1})))
             .first;
  }
  return it->second;
}

void read_csv_text(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto& text = pool_csv(rows);
  khuyenhoc::csv_options opt;
  opt.threads = static_cast<unsigned>(state.range(1));
  for (auto _ : state) {
    auto p = khuyenhoc::read_csv_text(text, opt);
    benchmark::DoNotOptimize(p.size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(read_csv_text)
    ->ArgsProduct({{100'000, 1'000'000}, {1, 2}})
    ->ArgNames({"rows", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same text from a file: memory-mapped, read in parallel chunks whose pages are released as
// they are read (the path `khuyenhoc select --pool` and Python's read_csv take).
void read_csv_file(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto& text = pool_csv(rows);
  const auto path = (std::filesystem::temp_directory_path() /
                     ("khuyenhoc_pool_bench_" + std::to_string(rows) + ".csv"))
                        .string();
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  khuyenhoc::csv_options opt;
  opt.threads = static_cast<unsigned>(state.range(1));
  for (auto _ : state) {
    auto p = khuyenhoc::read_csv(path, opt);
    benchmark::DoNotOptimize(p.size());
  }
  std::filesystem::remove(path);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(read_csv_file)
    ->ArgsProduct({{1'000'000}, {1, 2}})
    ->ArgNames({"rows", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void write_csv_text(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto p = khuyenhoc::generate_pool(rows, {.seed = 1});
  for (auto _ : state) {
    auto text = khuyenhoc::write_csv_text(p);
    benchmark::DoNotOptimize(text.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}
BENCHMARK(write_csv_text)->Arg(1'000'000)->ArgName("rows")->Unit(benchmark::kMillisecond);

void generate_pool(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto p = khuyenhoc::generate_pool(rows, {.seed = 1});
    benchmark::DoNotOptimize(p.size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}
BENCHMARK(generate_pool)
    ->Arg(1'000'000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
