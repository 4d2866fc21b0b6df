// The ranking kernels' memory bound: scratch at most the size of the key columns (the issue's
// goal). This executable replaces the global operator new/delete to count, per thread, every
// byte the standard containers allocate; the kernels' large raw buffers are counted by
// detail::thread_scratch(). Outputs passed in (rank's `out`) are not scratch; returned results
// are allowed for separately.
#include <khuyenhoc/ranking.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace {

struct heap_meter {
  std::size_t current = 0;
  std::size_t peak = 0;
};

thread_local heap_meter heap;

constexpr std::size_t header = 16;  // keeps malloc's 16-byte alignment

}  // namespace

void* operator new(std::size_t bytes) {
  auto* base = static_cast<unsigned char*>(std::malloc(bytes + header));
  if (base == nullptr) throw std::bad_alloc();
  std::memcpy(base, &bytes, sizeof bytes);
  heap.current += bytes;
  if (heap.current > heap.peak) heap.peak = heap.current;
  return base + header;
}

void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  auto* base = static_cast<unsigned char*>(p) - header;
  std::size_t bytes = 0;
  std::memcpy(&bytes, base, sizeof bytes);
  heap.current = bytes > heap.current ? 0 : heap.current - bytes;
  std::free(base);
}

void* operator new[](std::size_t bytes) {
  return ::operator new(bytes);
}
void operator delete[](void* p) noexcept {
  ::operator delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
  ::operator delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  ::operator delete(p);
}

namespace kh = khuyenhoc;

namespace {

// The most bytes held at once during f(), above what was held before: heap and raw buffers
// (the sum of the two peaks, an upper bound of the peak of the sum).
template <class F>
std::size_t scratch_of(F&& f) {
  kh::detail::scratch_meter& raw = kh::detail::thread_scratch();
  const std::size_t heap0 = heap.current;
  const std::size_t raw0 = raw.current;
  heap.peak = heap0;
  raw.peak = raw0;
  f();
  return (heap.peak - heap0) + (raw.peak - raw0);
}

// A fixed allowance for the radix sort's histograms (2 x 65,537 counts at most) and small
// per-call vectors: independent of the row count.
constexpr std::size_t fixed = std::size_t{1} << 20;

constexpr std::size_t n = 1'000'000;
constexpr std::int32_t districts = 30;

// Scores with two decimals (many ties), 1% missing, 30 districts, unique shuffled ids.
struct data {
  std::vector<double> score;
  std::vector<std::int32_t> district;
  std::vector<std::int64_t> id;
};

const data& pool() {
  static const data d = [] {
    data out;
    std::mt19937_64 rng(5);
    std::normal_distribution<double> normal(70, 10);
    std::uniform_int_distribution<std::int32_t> pick(0, districts - 1);
    for (std::size_t i = 0; i < n; ++i) {
      out.score.push_back((rng() % 100 == 0) ? std::numeric_limits<double>::quiet_NaN()
                                             : std::round(normal(rng) * 100) / 100);
      out.district.push_back(pick(rng));
      out.id.push_back(static_cast<std::int64_t>(i));
    }
    std::shuffle(out.id.begin(), out.id.end(), rng);
    return out;
  }();
  return d;
}

kh::sort_keys score_then_id() {
  kh::sort_keys keys(n);
  keys.add(std::span<const double>(pool().score), kh::sort_direction::descending)
      .add(std::span<const std::int64_t>(pool().id), kh::sort_direction::ascending);
  return keys;
}

TEST(ranking_memory, the_meters_see_allocations) {
  // Guards the other tests: a meter that counted nothing would pass them all.
  EXPECT_GE(scratch_of([] { std::vector<char> v(1000, 'x'); }), 1000U);
  EXPECT_GE(scratch_of([] { kh::detail::raw_buffer<double> b(1000); }), 8000U);
  EXPECT_EQ(scratch_of([] {}), 0U);
}

TEST(ranking_memory, rank_needs_at_most_the_key_column) {
  const data& d = pool();
  std::vector<double> out(n);
  for (const auto method : {kh::rank_method::average, kh::rank_method::first}) {
    const std::size_t used = scratch_of([&] { kh::rank(d.score, out, method, false); });
    const std::size_t keys = n * sizeof(double);
    RecordProperty("scratch_bytes", std::to_string(used));
    EXPECT_LE(used, keys + fixed) << "scratch " << used << " bytes for " << n << " rows";
    EXPECT_GE(used, keys / 2) << "implausibly little: is the meter connected?";
  }
}

TEST(ranking_memory, rank_within_groups_needs_at_most_the_key_columns) {
  const data& d = pool();
  std::vector<double> out(n);
  const std::size_t used = scratch_of(
      [&] { kh::rank_within_groups(d.score, d.district, out, kh::rank_method::min, false); });
  const std::size_t keys = n * (sizeof(double) + sizeof(std::int32_t));
  RecordProperty("scratch_bytes", std::to_string(used));
  EXPECT_LE(used, keys + fixed) << "scratch " << used << " bytes for " << n << " rows";
}

TEST(ranking_memory, order_needs_at_most_the_key_columns) {
  const kh::sort_keys keys = score_then_id();
  const std::size_t key_bytes = keys.size() * n * sizeof(std::uint64_t);
  const std::size_t result = n * sizeof(std::uint32_t);
  const std::size_t used = scratch_of([&] { (void)kh::order(keys); });
  RecordProperty("scratch_bytes", std::to_string(used));
  EXPECT_LE(used, key_bytes + result + fixed) << "scratch " << used << " bytes";
  // One key column's worth is enough: the bound would hold with a single key too.
  EXPECT_LE(used, n * sizeof(std::uint64_t) + result + fixed) << "scratch " << used << " bytes";
}

TEST(ranking_memory, order_within_groups_needs_at_most_the_key_columns) {
  const kh::sort_keys keys = score_then_id();
  const std::size_t key_bytes = keys.size() * n * sizeof(std::uint64_t) + n * sizeof(std::int32_t);
  const std::size_t result = n * sizeof(std::uint32_t) + (districts + 1) * sizeof(std::size_t);
  const std::size_t used =
      scratch_of([&] { (void)kh::order_within_groups(keys, pool().district, districts); });
  RecordProperty("scratch_bytes", std::to_string(used));
  EXPECT_LE(used, key_bytes + result + fixed) << "scratch " << used << " bytes";
}

TEST(ranking_memory, top_k_per_group_needs_at_most_the_key_columns) {
  const kh::sort_keys keys = score_then_id();
  const std::size_t key_bytes = keys.size() * n * sizeof(std::uint64_t) + n * sizeof(std::int32_t);
  // Per-district quotas, from a handful to all of a district (the bucket path).
  std::vector<std::int64_t> k(districts);
  for (std::int32_t g = 0; g < districts; ++g) k[static_cast<std::size_t>(g)] = 1 + 97 * g * g;
  k[3] = static_cast<std::int64_t>(n);
  std::size_t selected = 0;
  const std::size_t used = scratch_of([&] {
    const kh::grouped_rows top = kh::top_k_per_group(keys, pool().district, k);
    selected = top.rows.size();
  });
  // The result's vector may hold up to twice its size while growing, plus the old block.
  const std::size_t result = 3 * selected * sizeof(std::uint32_t) + (districts + 1) * 8;
  RecordProperty("scratch_bytes", std::to_string(used));
  EXPECT_LE(used, key_bytes + result + fixed) << "scratch " << used << " bytes";
}

}  // namespace
