#pragma once
/// \file ranking.hpp
/// Ranking kernels on columns: pandas-compatible `rank` (also within groups, like SQL
/// `PARTITION BY`), multi-key total orders over fixed-width encoded keys, top-k per group
/// by selection, and a seeded lottery tie-breaker that does not depend on input order.
///
/// Everything here is header-only and works on spans. Rows are addressed by `std::uint32_t`
/// position, so a column holds fewer than 2^32 rows. Results never depend on the input
/// order beyond what the keys say: sorts are radix sorts on encoded keys, ties that a result
/// can see (rank method `first`) are put in row order, and a total order is checked to be
/// total. Memory: besides their inputs and outputs, `rank`, `rank_within_groups`, `order` and
/// `order_within_groups` need at most the size of their key columns (8 bytes per row of a
/// double or encoded key; group codes count as a key column): keys are sorted in place, and
/// `rank` works in its output's bytes. `detail::thread_scratch()` meters it.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "khuyenhoc/detail/memory.hpp"
#include "khuyenhoc/error.hpp"

namespace khuyenhoc {

/// How tied values are ranked; the names and meanings are pandas' (`Series.rank(method=...)`):
/// for the values 10, 20, 20, 30 ranked ascending,
/// `average` gives 1, 2.5, 2.5, 4; `min` 1, 2, 2, 4; `max` 1, 3, 3, 4; `first` 1, 2, 3, 4
/// (ties in input order); `dense` 1, 2, 2, 3.
enum class rank_method { average, min, max, first, dense };

/// Where missing values (NaN) go; pandas' `na_option`. `keep`: their rank is NaN and they do
/// not count; `bottom`: ranked after every present value (in either direction); `top`: ranked
/// before every present value. ±inf are values, not missing.
enum class na_option { keep, top, bottom };

/// The direction of one sort key.
enum class sort_direction { ascending, descending };

/// Parses "average", "min", "max", "first" or "dense". Throws spec_error otherwise.
[[nodiscard]] inline rank_method parse_rank_method(std::string_view name) {
  if (name == "average") return rank_method::average;
  if (name == "min") return rank_method::min;
  if (name == "max") return rank_method::max;
  if (name == "first") return rank_method::first;
  if (name == "dense") return rank_method::dense;
  throw spec_error("unknown rank method \"" + std::string(name) +
                   "\" (expected average, min, max, first or dense)");
}

/// Parses "keep", "top" or "bottom". Throws spec_error otherwise.
[[nodiscard]] inline na_option parse_na_option(std::string_view name) {
  if (name == "keep") return na_option::keep;
  if (name == "top") return na_option::top;
  if (name == "bottom") return na_option::bottom;
  throw spec_error("unknown na_option \"" + std::string(name) +
                   "\" (expected keep, top or bottom)");
}

namespace detail {

inline constexpr std::uint64_t sign_bit = std::uint64_t{1} << 63;

/// Order-preserving map of a non-NaN double onto uint64: a < b (as doubles) iff
/// encode(a) < encode(b); -0.0 and +0.0 map to the same key. Never returns 0 or
/// UINT64_MAX, which are left to NaN.
[[nodiscard]] inline std::uint64_t encode_double(double x) noexcept {
  if (x == 0.0) x = 0.0;  // -0.0 == +0.0: one key for both
  const auto bits = std::bit_cast<std::uint64_t>(x);
  return (bits & sign_bit) != 0 ? ~bits : bits | sign_bit;
}

/// The sort key of a double in a direction with NaN placed first (`top`) or last (otherwise).
[[nodiscard]] inline std::uint64_t double_key(double x, sort_direction dir, na_option na) noexcept {
  if (std::isnan(x)) return na == na_option::top ? 0 : std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t k = encode_double(x);
  return dir == sort_direction::ascending ? k : ~k;
}

/// The key that NaN receives for an `na_option`.
[[nodiscard]] inline std::uint64_t nan_key(na_option na) noexcept {
  return na == na_option::top ? 0 : std::numeric_limits<std::uint64_t>::max();
}

/// Order-preserving map of int64 onto uint64.
[[nodiscard]] inline std::uint64_t encode_int64(std::int64_t x) noexcept {
  return static_cast<std::uint64_t>(x) ^ sign_bit;
}

/// Uninitialised storage for n trivially copyable T (a std::vector would zero it first,
/// touching every page twice). Large buffers are 2 MiB aligned and advised as huge pages on
/// Linux where they pay (detail::huge_pages_pay): for the 100+ MB scratch of a 10-million-row sort,
/// page faults otherwise cost more than the sort.
template <class T>
class raw_buffer {
 public:
  raw_buffer() = default;
  explicit raw_buffer(std::size_t n) : size_(n) {
    if (n == 0) return;
    void* p = detail::allocate_uninitialized(n * sizeof(T));
    data_ = static_cast<T*>(p);
    thread_scratch().add(n * sizeof(T));
  }
  raw_buffer(raw_buffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  raw_buffer& operator=(raw_buffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  raw_buffer(const raw_buffer&) = delete;
  raw_buffer& operator=(const raw_buffer&) = delete;
  ~raw_buffer() {
    if (data_ != nullptr) thread_scratch().remove(size_ * sizeof(T));
    std::free(data_);
  }

  [[nodiscard]] T* data() noexcept { return data_; }
  [[nodiscard]] const T* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  /// Hands the storage over (to be released with std::free).
  [[nodiscard]] T* release() noexcept {
    if (data_ != nullptr) thread_scratch().remove(size_ * sizeof(T));
    size_ = 0;
    return std::exchange(data_, nullptr);
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// The pairs being sorted, (keys[i], rows[i]) for i < n, and the radix sort's scratch.
struct sort_buffers {
  explicit sort_buffers(std::size_t capacity)
      : keys(capacity), rows(capacity), keys_tmp(capacity), rows_tmp(capacity) {}
  raw_buffer<std::uint64_t> keys;
  raw_buffer<std::uint32_t> rows;
  raw_buffer<std::uint64_t> keys_tmp;
  raw_buffer<std::uint32_t> rows_tmp;
};

/// Up to this size pairs are sorted by insertion (stable, in place).
inline constexpr std::size_t radix_insertion = 24;

/// Stable insertion sort of n pairs by key, in place.
inline void insertion_sort_pairs(std::uint64_t* keys, std::uint32_t* rows, std::size_t n) {
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t k = keys[i];
    const std::uint32_t r = rows[i];
    std::size_t j = i;
    for (; j > 0 && keys[j - 1] > k; --j) {
      keys[j] = keys[j - 1];
      rows[j] = rows[j - 1];
    }
    keys[j] = k;
    rows[j] = r;
  }
}

/// One level of an MSD radix sort: keys are bucketed by ((key - lo) >> shift), into `buckets`.
struct radix_digit {
  std::uint64_t lo{};
  unsigned shift{};
  std::size_t buckets{};
};

/// Chooses the top digit of the actual range of keys[0..n): up to 16 bits when n is large (so
/// buckets are cache-sized), 8 otherwise; a narrow range is finished in one counting pass when
/// its histogram is not much larger than the data (e.g. the 12 low bits left of distinct ids
/// after the first level). Empty when all keys are equal.
inline std::optional<radix_digit> choose_radix_digit(const std::uint64_t* keys, std::size_t n) {
  std::uint64_t lo = keys[0];
  std::uint64_t hi = keys[0];
  for (std::size_t i = 1; i < n; ++i) {
    lo = std::min(lo, keys[i]);
    hi = std::max(hi, keys[i]);
  }
  const auto bits = static_cast<unsigned>(std::bit_width(hi - lo));
  if (bits == 0) return std::nullopt;
  const unsigned wanted =
      n >= (std::size_t{1} << 16)
          ? std::clamp<unsigned>(static_cast<unsigned>(std::bit_width(n >> 12)), 8, 16)
          : 8;
  const bool one_pass = bits <= 12 && (std::size_t{1} << bits) <= 8 * n;
  const unsigned digit = one_pass ? bits : std::min(bits, wanted);
  return radix_digit{.lo = lo, .shift = bits - digit, .buckets = std::size_t{1} << digit};
}

/// Sorts n pairs (keys[i], rows[i]) by key, stably (equal keys keep their current order).
/// Most-significant-digit radix sort on key - min(key): each level takes the top digit of
/// the keys' actual range, scatters (stably) into the other array pair, and recurses into each
/// bucket with the roles swapped; a bucket whose keys are all equal is done at once, so ties
/// and clustered values cost little. The first level uses up to 16-bit digits (buckets of
/// ~4096 pairs, cache-sized), deeper ones 8 bits. O(n) per level; (keys_tmp, rows_tmp) is
/// scratch of n pairs. Returns true if the sorted pairs ended in the scratch arrays, false if
/// in (keys, rows).
inline bool radix_sort_core(std::uint64_t* keys, std::uint32_t* rows, std::uint64_t* keys_tmp,
                            std::uint32_t* rows_tmp, std::size_t n) {
  if (n < 2) return false;
  if (n <= radix_insertion) {
    insertion_sort_pairs(keys, rows, n);
    return false;
  }
  const auto level = choose_radix_digit(keys, n);
  if (!level) return false;  // all equal
  const auto [lo, shift, buckets] = *level;
  std::array<std::uint32_t, 257> small_count{};  // digits of up to 8 bits: no allocation
  std::vector<std::uint32_t> big_count;
  std::uint32_t* count = small_count.data();
  if (buckets > 256) {
    big_count.assign(buckets + 1, 0);
    count = big_count.data();
  }
  for (std::size_t i = 0; i < n; ++i) ++count[((keys[i] - lo) >> shift) + 1];
  for (std::size_t b = 0; b < buckets; ++b) count[b + 1] += count[b];
  // count[b] is now where bucket b starts; scatter, advancing a copy of the starts.
  std::vector<std::uint32_t> next_big;
  std::array<std::uint32_t, 256> next_small{};
  std::uint32_t* next = next_small.data();
  if (buckets > 256) {
    next_big.assign(count, count + buckets);
    next = next_big.data();
  } else {
    std::copy_n(count, buckets, next);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t k = keys[i];
    const std::uint32_t at = next[(k - lo) >> shift]++;
    keys_tmp[at] = k;
    rows_tmp[at] = rows[i];
  }
  if (shift == 0) return true;  // the digit was the whole key
  // Each bucket, now in the scratch arrays, is finished there or back in (keys, rows); the
  // result must end in (keys, rows).
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t from = count[b];
    const std::size_t m = count[b + 1] - from;
    if (m == 0) continue;
    if (!radix_sort_core(keys_tmp + from, rows_tmp + from, keys + from, rows + from, m)) {
      std::copy_n(keys_tmp + from, m, keys + from);
      std::copy_n(rows_tmp + from, m, rows + from);
    }
  }
  return false;
}

/// Sorts the first n pairs (b.keys[i], b.rows[i]) by key, stably. Precondition: n <= the
/// buffers' capacity.
inline void radix_sort_pairs(sort_buffers& b, std::size_t n) {
  if (radix_sort_core(b.keys.data(), b.rows.data(), b.keys_tmp.data(), b.rows_tmp.data(), n)) {
    std::swap(b.keys, b.keys_tmp);
    std::swap(b.rows, b.rows_tmp);
  }
}

/// Sorts the n pairs from position `from` on, stably, leaving the rest of the buffers alone.
inline void radix_sort_pairs(sort_buffers& b, std::size_t from, std::size_t n) {
  std::uint64_t* keys = b.keys.data() + from;
  std::uint32_t* rows = b.rows.data() + from;
  std::uint64_t* keys_tmp = b.keys_tmp.data() + from;
  std::uint32_t* rows_tmp = b.rows_tmp.data() + from;
  if (radix_sort_core(keys, rows, keys_tmp, rows_tmp, n)) {
    std::copy_n(keys_tmp, n, keys);
    std::copy_n(rows_tmp, n, rows);
  }
}

/// Throws if a column is too long to address rows with uint32_t.
inline void check_row_count(std::size_t n, const char* what) {
  if (n >= std::numeric_limits<std::uint32_t>::max()) {
    throw spec_error(std::string(what) + ": too many rows (" + std::to_string(n) +
                     "); at most 4294967294 are supported");
  }
}

/// Writes the ranks of one run of sorted rows [begin, end) (one group, or everything) whose
/// keys are sorted ascending and given by key_at(i). Rank arithmetic follows pandas'
/// `rank_sorted_1d`: average = (sum of the tied 1-based positions) / (count), in double.
template <class KeyAt>
void assign_ranks(const std::uint32_t* rows, std::size_t count, KeyAt key_at, rank_method method,
                  na_option na, double* out) {
  const std::uint64_t missing = nan_key(na);
  std::size_t i = 0;
  double dense = 0;
  while (i < count) {
    const std::uint64_t k = key_at(i);
    std::size_t j = i + 1;
    while (j < count && key_at(j) == k) ++j;
    // Positions i..j-1 (0-based) tie; their 1-based ranks are i+1..j.
    if (k == missing && na == na_option::keep) {
      for (std::size_t t = i; t < j; ++t) out[rows[t]] = std::numeric_limits<double>::quiet_NaN();
    } else {
      dense += 1;
      switch (method) {
        case rank_method::average: {
          const auto dups = static_cast<std::int64_t>(j - i);
          const auto sum = static_cast<std::int64_t>(i + 1 + j) * dups / 2;
          const double r = static_cast<double>(sum) / static_cast<double>(dups);
          for (std::size_t t = i; t < j; ++t) out[rows[t]] = r;
          break;
        }
        case rank_method::min:
          for (std::size_t t = i; t < j; ++t) out[rows[t]] = static_cast<double>(i + 1);
          break;
        case rank_method::max:
          for (std::size_t t = i; t < j; ++t) out[rows[t]] = static_cast<double>(j);
          break;
        case rank_method::first:
          for (std::size_t t = i; t < j; ++t) out[rows[t]] = static_cast<double>(t + 1);
          break;
        case rank_method::dense:
          for (std::size_t t = i; t < j; ++t) out[rows[t]] = dense;
          break;
      }
    }
    i = j;
  }
}

/// Sorts n pairs (keys[i], rows[i]) by key in place, with no second buffer (an "American flag"
/// most-significant-digit radix sort): each level takes the top digit of the keys' actual range
/// (up to 16 bits at the first level, so buckets are cache-sized, 8 bits deeper), counts the
/// digits and moves every pair into its bucket by cycles of swaps; then each bucket is sorted
/// alone, and a bucket whose keys are all equal is done at once. Not stable: the order of equal
/// keys is unspecified (though a function of the input). O(n) per level; scratch is the
/// histogram (at most 2 × 65,537 counts at the first level, 2 KiB on the stack deeper).
inline void msd_sort_in_place(std::uint64_t* keys, std::uint32_t* rows, std::size_t n) {
  if (n <= radix_insertion) {
    insertion_sort_pairs(keys, rows, n);
    return;
  }
  const auto level = choose_radix_digit(keys, n);
  if (!level) return;  // all equal
  const auto [lo, shift, buckets] = *level;
  std::array<std::uint32_t, 257> small_start{};
  std::array<std::uint32_t, 256> small_next{};
  std::vector<std::uint32_t> big_start;
  std::vector<std::uint32_t> big_next;
  std::uint32_t* start = small_start.data();
  std::uint32_t* next = small_next.data();
  if (buckets > 256) {
    big_start.assign(buckets + 1, 0);
    big_next.resize(buckets);
    start = big_start.data();
    next = big_next.data();
  }
  for (std::size_t i = 0; i < n; ++i) ++start[((keys[i] - lo) >> shift) + 1];
  for (std::size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  std::copy_n(start, buckets, next);
  // next[b] is the first slot of bucket b not yet known to hold one of its pairs. Take the pair
  // there; while it belongs elsewhere, swap it into its bucket's next slot and carry on with the
  // pair that was there. Every swap settles one pair for good.
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::uint32_t end = start[b + 1];
    while (next[b] < end) {
      std::uint64_t k = keys[next[b]];
      std::uint32_t r = rows[next[b]];
      std::size_t d = (k - lo) >> shift;
      while (d != b) {
        const std::uint32_t at = next[d]++;
        std::swap(k, keys[at]);
        std::swap(r, rows[at]);
        d = (k - lo) >> shift;
      }
      keys[next[b]] = k;
      rows[next[b]] = r;
      ++next[b];
    }
  }
  if (shift == 0) return;  // the digit was the whole key
  big_next = {};
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t m = start[b + 1] - start[b];
    if (m > 1) msd_sort_in_place(keys + start[b], rows + start[b], m);
  }
}

/// Within each run of equal keys in sorted (keys, rows), puts the rows in ascending order (the
/// order a stable sort of rows in input order gives). O(n) per radix level of the runs.
inline void order_ties_by_row(std::uint64_t* keys, std::uint32_t* rows, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const std::uint64_t k = keys[i];
    std::size_t j = i + 1;
    while (j < n && keys[j] == k) ++j;
    if (j - i > 1) {
      for (std::size_t t = i; t < j; ++t) keys[t] = rows[t];
      msd_sort_in_place(keys + i, rows + i, j - i);
      std::fill(keys + i, keys + j, k);
    }
    i = j;
  }
}

/// Rank columns up to this many rows are ranked in 8 bytes of scratch per row (a packed word
/// holds a 31-bit row and twice a 33-bit rank); longer ones use the stable sort's 24.
inline constexpr std::size_t compact_rank_rows = std::size_t{1} << 31;

/// Bits of twice the rank in a packed (row, 2 × rank) word.
inline constexpr unsigned packed_rank_bits = 33;

/// Replaces the sorted keys[0..n) (ascending, ties in the wanted order for `first`) by packed
/// words (rows[t] << 33 | 2 × rank), 0 in place of the rank for a missing value kept missing.
/// The run is preceded by `base` ranked positions holding `dense` distinct keys, all smaller
/// (`dense` is advanced past this run's keys).
/// Twice the rank is an integer for every method, so the average is exact: pandas' average is
/// (sum of the tied 1-based positions) / (count) in double, which is exactly (i + 1 + j) / 2.
/// Precondition: n < compact_rank_rows and rows[t] < compact_rank_rows.
inline void pack_ranks(std::uint64_t* keys, const std::uint32_t* rows, std::size_t n,
                       rank_method method, na_option na, std::size_t base, std::uint64_t& dense) {
  const std::uint64_t missing = nan_key(na);
  std::size_t i = 0;
  while (i < n) {
    const std::uint64_t k = keys[i];
    std::size_t j = i + 1;
    while (j < n && keys[j] == k) ++j;
    // Positions i..j-1 (0-based) tie; their 1-based ranks are i+1..j.
    std::uint64_t twice = 0;  // missing, kept missing
    if (k != missing || na != na_option::keep) {
      dense += 1;
      switch (method) {
        case rank_method::average:
          twice = 2 * base + i + 1 + j;
          break;
        case rank_method::min:
          twice = 2 * (base + i + 1);
          break;
        case rank_method::max:
          twice = 2 * (base + j);
          break;
        case rank_method::dense:
          twice = 2 * dense;
          break;
        case rank_method::first:
          for (std::size_t t = i; t < j; ++t) {
            keys[t] = std::uint64_t{rows[t]} << packed_rank_bits | 2 * (base + t + 1);
          }
          i = j;
          continue;
      }
    }
    for (std::size_t t = i; t < j; ++t)
      keys[t] = std::uint64_t{rows[t]} << packed_rank_bits | twice;
    i = j;
  }
}

/// Writes out[row] = rank (NaN for 0) for each packed word of `pack_ranks`, starting the
/// lifetime of each double afresh (the output's bytes held the rows before).
inline void scatter_ranks(const std::uint64_t* packed, std::size_t n, double* out) {
  constexpr std::uint64_t mask = (std::uint64_t{1} << packed_rank_bits) - 1;
  for (std::size_t t = 0; t < n; ++t) {
    const std::uint64_t w = packed[t];
    const std::uint64_t twice = w & mask;
    const double r =
        twice == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(twice) * 0.5;
    ::new (static_cast<void*>(out + (w >> packed_rank_bits))) double(r);
  }
}

/// The output's bytes reused for up to out.size() row ids while the ranks are worked out:
/// the first half of the output array, whose lifetime as uint32_t starts here.
[[nodiscard]] inline std::uint32_t* rows_in_output(std::span<double> out) noexcept {
  return static_cast<std::uint32_t*>(static_cast<void*>(out.data()));
}

/// Ranks `values` within groups with the stable radix sort: 24 bytes of scratch per ranked
/// row, any count of rows (the path for compact_rank_rows or more). group_of(i) is row i's
/// group in [0, groups) or -1 (rank NaN).
template <class GroupOf>
void rank_groups_stable(std::span<const double> values, GroupOf group_of, std::size_t groups,
                        std::span<double> out, rank_method method, sort_direction dir,
                        na_option na) {
  const std::size_t n = values.size();
  std::vector<std::size_t> start(groups + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t g = group_of(i);
    if (g >= 0) ++start[static_cast<std::size_t>(g) + 1];
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  sort_buffers b(start.back());
  {
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t g = group_of(i);
      if (g < 0) {
        out[i] = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      const std::size_t at = next[static_cast<std::size_t>(g)]++;
      b.keys[at] = double_key(values[i], dir, na);
      b.rows[at] = static_cast<std::uint32_t>(i);
    }
  }
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t from = start[g];
    const std::size_t m = start[g + 1] - from;
    radix_sort_pairs(b, from, m);
    const std::uint64_t* keys = b.keys.data() + from;
    assign_ranks(
        b.rows.data() + from, m, [&](std::size_t i) { return keys[i]; }, method, na, out.data());
  }
}

/// Ranks `values` within groups in 8 bytes of scratch per ranked row plus 8 per group: keys
/// in a scratch array, row ids in the output's bytes; each group's segment is sorted in place,
/// its ranks packed with the rows into the key array, and finally scattered into the output.
/// Precondition: values.size() < compact_rank_rows; group_of as in rank_groups_stable.
template <class GroupOf>
void rank_groups_compact(std::span<const double> values, GroupOf group_of, std::size_t groups,
                         std::span<double> out, rank_method method, sort_direction dir,
                         na_option na) {
  const std::size_t n = values.size();
  // Missing values all tie, so they are not sorted: each group's segment holds its missing
  // rows at the end (at the start for na_option::top) and its present rows, sorted, before.
  // first[g] and second[g] count, then become the cursors of the two parts of group g; after
  // the placement, second[g] is where group g ends and first[g] where its second part starts.
  const bool missing_first = na == na_option::top;
  std::vector<std::uint32_t> first(groups, 0);
  std::vector<std::uint32_t> second(groups, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t g = group_of(i);
    if (g < 0) continue;
    ++(std::isnan(values[i]) == missing_first ? first : second)[static_cast<std::size_t>(g)];
  }
  std::uint32_t m = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    const std::uint32_t size = first[g] + second[g];
    second[g] = m + first[g];
    first[g] = m;
    m += size;
  }
  raw_buffer<std::uint64_t> keys(m);
  std::uint32_t* rows = rows_in_output(out);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t g = group_of(i);
    if (g < 0) continue;
    const double x = values[i];
    const auto gi = static_cast<std::size_t>(g);
    const std::uint32_t at = std::isnan(x) == missing_first ? first[gi]++ : second[gi]++;
    keys[at] = double_key(x, dir, na);
    ::new (static_cast<void*>(rows + at)) std::uint32_t(static_cast<std::uint32_t>(i));
  }
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t from = g == 0 ? 0 : second[g - 1];
    const std::size_t count = second[g] - from;
    const std::size_t present_from = missing_first ? first[g] : from;
    const std::size_t present_to = missing_first ? second[g] : first[g];
    msd_sort_in_place(keys.data() + present_from, rows + present_from, present_to - present_from);
    if (method == rank_method::first) order_ties_by_row(keys.data() + from, rows + from, count);
    std::uint64_t dense = 0;
    pack_ranks(keys.data() + from, rows + from, count, method, na, 0, dense);
  }
  scatter_ranks(keys.data(), m, out.data());
  if (m < n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (group_of(i) < 0) out[i] = std::numeric_limits<double>::quiet_NaN();
    }
  }
}

/// Ranks all of `values` in 8 bytes of scratch per row: as rank_groups_compact with the top
/// radix digit of the keys (the present values' range) for the groups, so the first radix
/// level is done out of place while the keys are encoded, and the buckets left to sort in place
/// are cache-sized. Missing values form one block at the end (the start for na_option::top).
/// Precondition: values.size() < compact_rank_rows.
inline void rank_compact(std::span<const double> values, std::span<double> out, rank_method method,
                         sort_direction dir, na_option na) {
  const std::size_t n = values.size();
  std::uint64_t lo = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t hi = 0;
  std::size_t missing = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = values[i];
    if (std::isnan(x)) {
      ++missing;
      continue;
    }
    const std::uint64_t k = double_key(x, dir, na);
    lo = std::min(lo, k);
    hi = std::max(hi, k);
  }
  const std::size_t present = n - missing;
  const auto bits = present == 0 ? 0U : static_cast<unsigned>(std::bit_width(hi - lo));
  const unsigned wanted =
      present >= (std::size_t{1} << 16)
          ? std::clamp<unsigned>(static_cast<unsigned>(std::bit_width(present >> 12)), 8, 16)
          : 8;
  const unsigned digit = std::min(bits, wanted);
  const unsigned shift = bits - digit;
  const std::size_t buckets = std::size_t{1} << digit;
  // end[b + 1] counts bucket b; prefix sums make end[b] where b starts; the placement advances
  // it to where b ends.
  std::vector<std::uint32_t> end(buckets + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = values[i];
    if (!std::isnan(x)) ++end[((double_key(x, dir, na) - lo) >> shift) + 1];
  }
  std::partial_sum(end.begin(), end.end(), end.begin());
  const bool missing_first = na == na_option::top;
  const std::size_t base = missing_first ? missing : 0;  // where the present values start
  std::size_t missing_at = missing_first ? 0 : present;
  raw_buffer<std::uint64_t> keys(n);
  std::uint32_t* rows = rows_in_output(out);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = values[i];
    const std::uint64_t k = double_key(x, dir, na);
    const std::size_t at = std::isnan(x) ? missing_at++ : base + end[(k - lo) >> shift]++;
    keys[at] = k;
    ::new (static_cast<void*>(rows + at)) std::uint32_t(static_cast<std::uint32_t>(i));
  }
  std::uint64_t dense = 0;
  const auto finish = [&](std::size_t from, std::size_t count, bool sort) {
    if (count == 0) return;
    if (sort) msd_sort_in_place(keys.data() + from, rows + from, count);
    if (method == rank_method::first) order_ties_by_row(keys.data() + from, rows + from, count);
    pack_ranks(keys.data() + from, rows + from, count, method, na, from, dense);
  };
  if (missing_first) finish(0, missing, false);
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t from = b == 0 ? 0 : end[b - 1];
    finish(base + from, end[b] - from, true);
  }
  if (!missing_first) finish(present, missing, false);
  scatter_ranks(keys.data(), n, out.data());
}

/// Ranks `values` within groups: the compact path when it can address the rows, else the
/// stable sort.
template <class GroupOf>
void rank_groups(std::span<const double> values, GroupOf group_of, std::size_t groups,
                 std::span<double> out, rank_method method, sort_direction dir, na_option na) {
  if (values.size() < compact_rank_rows) {
    rank_groups_compact(values, group_of, groups, out, method, dir, na);
  } else {
    rank_groups_stable(values, group_of, groups, out, method, dir, na);
  }
}

}  // namespace detail

/// Ranks `values` into `out` exactly as `pandas.Series(values).rank(method, ascending,
/// na_option)` does, bit for bit (ties by `method`; NaN is missing, placed by `na`; -0.0 ties
/// with +0.0; ±inf are ordinary values). Ranks are 1-based doubles.
/// Preconditions: out.size() == values.size(). Complexity: O(n) (in-place radix sort); scratch
/// is 8 bytes per row (the size of `values`), plus a 512 KiB histogram: `out` is the rest of
/// the working space (2^31 rows or more: 24 bytes per row). Throws spec_error if the sizes
/// differ or there are 2^32-1 rows or more.
inline void rank(std::span<const double> values, std::span<double> out, rank_method method,
                 bool ascending = true, na_option na = na_option::bottom) {
  const std::size_t n = values.size();
  if (out.size() != n) throw spec_error("rank: output size differs from input size");
  detail::check_row_count(n, "rank");
  const auto dir = ascending ? sort_direction::ascending : sort_direction::descending;
  if (n < detail::compact_rank_rows) {
    detail::rank_compact(values, out, method, dir, na);
  } else {
    detail::rank_groups_stable(
        values, [](std::size_t) { return std::int32_t{0}; }, 1, out, method, dir, na);
  }
}

/// As the other `rank`, returning a new vector of n ranks.
[[nodiscard]] inline std::vector<double> rank(std::span<const double> values,
                                              rank_method method = rank_method::average,
                                              bool ascending = true,
                                              na_option na = na_option::bottom) {
  std::vector<double> out(values.size());
  rank(values, out, method, ascending, na);
  return out;
}

/// Ranks `values` within each group (SQL `PARTITION BY`), exactly as pandas'
/// `df.groupby(g)[v].rank(method, ascending, na_option)`. `group_codes[i]` is the group of
/// row i, -1 for no group (its rank is NaN, as pandas drops a missing group key).
/// Preconditions: equal sizes; codes are -1 or non-negative.
/// Complexity: O(n). Scratch: 8 bytes per row in a group plus 8 per group up to the largest
/// code (codes larger than the row count are renumbered densely first, 4 more bytes per
/// distinct code): within the size of the key columns (values and codes, 12 bytes per row)
/// whenever the largest code is below half the row count. Throws spec_error on a size mismatch
/// or a code < -1.
inline void rank_within_groups(std::span<const double> values,
                               std::span<const std::int32_t> group_codes, std::span<double> out,
                               rank_method method, bool ascending = true,
                               na_option na = na_option::bottom) {
  const std::size_t n = values.size();
  if (group_codes.size() != n) throw spec_error("rank: groups and values differ in length");
  if (out.size() != n) throw spec_error("rank: output size differs from input size");
  detail::check_row_count(n, "rank");
  const auto dir = ascending ? sort_direction::ascending : sort_direction::descending;
  // Each group's segment is sorted on its own: no global pass, and the segments are small.
  std::int32_t max_code = -1;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t g = group_codes[i];
    if (g < -1) {
      throw spec_error("rank: group code " + std::to_string(g) + " of row " + std::to_string(i) +
                       " is negative (only -1, no group, is allowed)");
    }
    max_code = std::max(max_code, g);
  }
  const auto groups = static_cast<std::size_t>(max_code + 1);
  if (groups <= n) {
    detail::rank_groups(
        values, [&](std::size_t i) { return group_codes[i]; }, groups, out, method, dir, na);
    return;
  }
  // Sparse codes: renumber them densely (same order) so memory stays O(n).
  std::vector<std::int32_t> used;
  for (const std::int32_t g : group_codes) {
    if (g >= 0) used.push_back(g);
  }
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  used.shrink_to_fit();
  const auto dense = [&](std::size_t i) {
    const std::int32_t g = group_codes[i];
    return g < 0 ? std::int32_t{-1}
                 : static_cast<std::int32_t>(std::lower_bound(used.begin(), used.end(), g) -
                                             used.begin());
  };
  detail::rank_groups(values, dense, used.size(), out, method, dir, na);
}

/// As the other `rank_within_groups`, returning a new vector of n ranks.
[[nodiscard]] inline std::vector<double> rank_within_groups(
    std::span<const double> values, std::span<const std::int32_t> group_codes,
    rank_method method = rank_method::average, bool ascending = true,
    na_option na = na_option::bottom) {
  std::vector<double> out(values.size());
  rank_within_groups(values, group_codes, out, method, ascending, na);
  return out;
}

/// splitmix64's finaliser: a bijection of uint64 with good avalanche. Stable across
/// platforms and versions (it defines lottery results).
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A stable 64-bit hash of an id (FNV-1a over the bytes, then splitmix64). Fixed forever:
/// recorded lottery seeds must reproduce the same order in later versions.
[[nodiscard]] constexpr std::uint64_t id_hash(std::string_view id) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return splitmix64(h);
}

/// The lottery key of a row: splitmix64(seed ^ id_hash). For a fixed seed this is a
/// bijection of the hash, so distinct hashes get distinct keys, and a row's key depends on
/// its id and the seed only, never on its position. Use it as a sort key (then the id, in
/// the rare case two ids hash alike). O(1).
[[nodiscard]] constexpr std::uint64_t lottery_key(std::uint64_t seed,
                                                  std::uint64_t id_hash_value) noexcept {
  return splitmix64(seed ^ id_hash_value);
}

/// Lottery keys of many rows from their ids. O(total id length).
[[nodiscard]] inline std::vector<std::uint64_t> lottery_keys(std::span<const std::string_view> ids,
                                                             std::uint64_t seed) {
  std::vector<std::uint64_t> out(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) out[i] = lottery_key(seed, id_hash(ids[i]));
  return out;
}

/// Rows grouped by group code: the rows of group g are rows[offsets[g] .. offsets[g+1]),
/// in order. Returned by `order_within_groups` and `top_k_per_group`.
struct grouped_rows {
  std::vector<std::uint32_t> rows;   ///< row positions, group after group
  std::vector<std::size_t> offsets;  ///< size groups()+1; offsets[0] == 0

  /// Number of groups.
  [[nodiscard]] std::size_t groups() const noexcept {
    return offsets.empty() ? 0 : offsets.size() - 1;
  }
  /// The rows of group g, in order. Precondition: g < groups().
  [[nodiscard]] std::span<const std::uint32_t> group(std::size_t g) const noexcept {
    return std::span<const std::uint32_t>(rows).subspan(offsets[g], offsets[g + 1] - offsets[g]);
  }
};

/// Sort keys, most significant first, each encoded once into a fixed-width uint64 column
/// whose unsigned order is the wanted order (direction and NaN placement included). Add a
/// unique key last (the id's rank, or a lottery key then the id) so that the order is total.
/// Immutable once built; `const` members are safe to call from several threads.
class sort_keys {
 public:
  /// Keys for `rows` rows. Throws spec_error for 2^32-1 rows or more.
  explicit sort_keys(std::size_t rows) : rows_(rows) { detail::check_row_count(rows, "sort_keys"); }

  /// Number of rows.
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  /// Number of keys added.
  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
  /// The encoded column of key k (unsigned order is the key's order). Precondition: k < size().
  [[nodiscard]] std::span<const std::uint64_t> key(std::size_t k) const noexcept {
    return {keys_[k].data(), rows_};
  }

  /// Adds a double key. NaN is missing: last with `bottom` or `keep`, first with `top`, in
  /// either direction; -0.0 ties with +0.0. O(n). Throws spec_error if the length differs.
  sort_keys& add(std::span<const double> values, sort_direction dir,
                 na_option na = na_option::bottom) {
    std::uint64_t* col = new_key(values.size());
    for (std::size_t i = 0; i < rows_; ++i) col[i] = detail::double_key(values[i], dir, na);
    return *this;
  }

  /// Adds an int64 key (e.g. a date as days since epoch). O(n). Throws spec_error if the
  /// length differs.
  sort_keys& add(std::span<const std::int64_t> values, sort_direction dir) {
    std::uint64_t* col = new_key(values.size());
    for (std::size_t i = 0; i < rows_; ++i) {
      const std::uint64_t k = detail::encode_int64(values[i]);
      col[i] = dir == sort_direction::ascending ? k : ~k;
    }
    return *this;
  }

  /// Adds a key already comparable as unsigned integers (e.g. a collation rank, a lottery
  /// key). O(n). Throws spec_error if the length differs.
  sort_keys& add(std::span<const std::uint64_t> values, sort_direction dir) {
    std::uint64_t* col = new_key(values.size());
    for (std::size_t i = 0; i < rows_; ++i) {
      col[i] = dir == sort_direction::ascending ? values[i] : ~values[i];
    }
    return *this;
  }

  /// Adds a byte-string key compared as unsigned bytes, lexicographically (e.g. ICU
  /// collation sort keys of names, or ids): encoded once as each string's dense rank.
  /// O(n log n) comparisons. Throws spec_error if the length differs.
  sort_keys& add(std::span<const std::string_view> values, sort_direction dir) {
    std::uint64_t* col = new_key(values.size());
    std::vector<std::uint32_t> pos(rows_);
    std::iota(pos.begin(), pos.end(), std::uint32_t{0});
    // char_traits<char> compares as unsigned char, so this is byte order.
    std::sort(pos.begin(), pos.end(),
              [&](std::uint32_t a, std::uint32_t b) { return values[a] < values[b]; });
    std::uint64_t r = 0;
    for (std::size_t i = 0; i < rows_; ++i) {
      if (i > 0 && values[pos[i]] != values[pos[i - 1]]) ++r;
      col[pos[i]] = dir == sort_direction::ascending ? r : ~r;
    }
    return *this;
  }

  /// True if row a comes strictly before row b. Precondition: a, b < rows(). O(keys).
  [[nodiscard]] bool less(std::uint32_t a, std::uint32_t b) const noexcept {
    for (const auto& col : keys_) {
      if (col[a] != col[b]) return col[a] < col[b];
    }
    return false;
  }

  /// True if rows a and b are equal on every key. O(keys).
  [[nodiscard]] bool tied(std::uint32_t a, std::uint32_t b) const noexcept {
    for (const auto& col : keys_) {
      if (col[a] != col[b]) return false;
    }
    return true;
  }

 private:
  std::uint64_t* new_key(std::size_t n) {
    if (n != rows_) {
      throw spec_error("sort_keys: key " + std::to_string(keys_.size() + 1) + " has " +
                       std::to_string(n) + " rows, expected " + std::to_string(rows_));
    }
    keys_.emplace_back(rows_);
    return keys_.back().data();
  }

  std::size_t rows_;
  std::vector<detail::raw_buffer<std::uint64_t>> keys_;  // written whole by add()
};

namespace detail {

[[noreturn]] inline void throw_tie(const char* what, std::uint32_t a, std::uint32_t b) {
  throw data_error(std::string(what) + ": rows " + std::to_string(std::min(a, b)) + " and " +
                   std::to_string(std::max(a, b)) +
                   " are equal on every sort key; add a unique tie-breaker (e.g. the id) "
                   "as the last key");
}

/// Sorts rows[0..m) (distinct rows of `keys`) by keys level, level+1, ... in place, given
/// buf[t] == key `level` of rows[t]; buf is clobbered. Most significant key first: the rows
/// are sorted by one key, then each run tied on it by the next key, loaded into the run's
/// slots of buf. Throws data_error (naming the two lowest rows of the run) if rows tie on
/// every key. Scratch: buf only. O(m) per radix level of each key on the rows it must order.
inline void sort_rows_by_keys(const sort_keys& keys, std::size_t level, std::uint64_t* buf,
                              std::uint32_t* rows, std::size_t m, const char* what) {
  msd_sort_in_place(buf, rows, m);
  std::size_t i = 0;
  while (i < m) {
    const std::uint64_t k = buf[i];
    std::size_t j = i + 1;
    while (j < m && buf[j] == k) ++j;
    if (j - i > 1) {
      if (level + 1 == keys.size()) {
        std::uint32_t a = std::numeric_limits<std::uint32_t>::max();
        std::uint32_t b = a;
        for (std::size_t t = i; t < j; ++t) {
          if (rows[t] < a) {
            b = a;
            a = rows[t];
          } else if (rows[t] < b) {
            b = rows[t];
          }
        }
        throw_tie(what, a, b);
      }
      const std::uint64_t* col = keys.key(level + 1).data();
      for (std::size_t t = i; t < j; ++t) buf[t] = col[rows[t]];
      sort_rows_by_keys(keys, level + 1, buf + i, rows + i, j - i, what);
    }
    i = j;
  }
}

/// Checks that a group code is -1 or in [0, groups).
inline void check_group_code(std::int32_t g, std::size_t row, std::size_t groups,
                             const char* what) {
  if (g < -1 || (g >= 0 && static_cast<std::size_t>(g) >= groups)) {
    throw spec_error(std::string(what) + ": group code " + std::to_string(g) + " of row " +
                     std::to_string(row) + " is outside [-1, " + std::to_string(groups) + ")");
  }
}

}  // namespace detail

/// The total order of all rows by `keys`: the positions of the rows, first to last.
/// Precondition: keys.size() >= 1. Complexity: O(n) per radix level of the first key, then of
/// each further key on the rows tied on the ones before (in-place radix sorts, most
/// significant key first). Scratch: 8 bytes per row (one key column's size; the result holds
/// the rows). Throws data_error if two rows are equal on every key (the order would not be
/// total), spec_error if there are no keys.
[[nodiscard]] inline std::vector<std::uint32_t> order(const sort_keys& keys) {
  if (keys.size() == 0) throw spec_error("order: no sort keys");
  const std::size_t n = keys.rows();
  std::vector<std::uint32_t> rows(n);
  std::iota(rows.begin(), rows.end(), std::uint32_t{0});
  detail::raw_buffer<std::uint64_t> buf(n);
  std::copy_n(keys.key(0).data(), n, buf.data());
  detail::sort_rows_by_keys(keys, 0, buf.data(), rows.data(), n, "order");
  return rows;
}

/// The total order of the rows within each group (SQL `PARTITION BY ... ORDER BY ...`).
/// group_codes[i] is in [0, groups) or -1 (row left out). Complexity: as `order`, plus O(n).
/// Scratch: 8 bytes per row of the largest group plus 8 per group. Throws spec_error on a
/// size mismatch, a code out of range or no keys; data_error if two rows of a group are equal
/// on every key.
[[nodiscard]] inline grouped_rows order_within_groups(const sort_keys& keys,
                                                      std::span<const std::int32_t> group_codes,
                                                      std::size_t groups) {
  if (keys.size() == 0) throw spec_error("order: no sort keys");
  if (group_codes.size() != keys.rows())
    throw spec_error("order: groups and keys differ in length");
  grouped_rows out;
  out.offsets.assign(groups + 1, 0);
  for (std::size_t i = 0; i < group_codes.size(); ++i) {
    detail::check_group_code(group_codes[i], i, groups, "order");
    if (group_codes[i] >= 0) ++out.offsets[static_cast<std::size_t>(group_codes[i]) + 1];
  }
  std::size_t largest = 0;
  for (std::size_t g = 0; g < groups; ++g) largest = std::max(largest, out.offsets[g + 1]);
  std::partial_sum(out.offsets.begin(), out.offsets.end(), out.offsets.begin());
  // Counting sort by group (input order within a group), then each group sorted alone.
  out.rows.resize(out.offsets.back());
  {
    std::vector<std::size_t> next(out.offsets.begin(), out.offsets.end() - 1);
    for (std::size_t i = 0; i < group_codes.size(); ++i) {
      if (group_codes[i] >= 0) {
        out.rows[next[static_cast<std::size_t>(group_codes[i])]++] = static_cast<std::uint32_t>(i);
      }
    }
  }
  detail::raw_buffer<std::uint64_t> buf(largest);
  const std::uint64_t* first = keys.key(0).data();
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t from = out.offsets[g];
    const std::size_t m = out.offsets[g + 1] - from;
    std::uint32_t* rows = out.rows.data() + from;
    for (std::size_t t = 0; t < m; ++t) buf[t] = first[rows[t]];
    detail::sort_rows_by_keys(keys, 0, buf.data(), rows, m, "order");
  }
  return out;
}

/// The first k[g] rows of each group g in the total order of `keys` (all of them when the
/// group is smaller), in order. Found by selection, never a full sort: a group where k is
/// small next to its size streams through a bounded heap of its k best rows (one comparison
/// of the first key for most rows); otherwise its rows are bucketed and `std::nth_element`
/// splits off the k best. Only the selected rows are then sorted. O(n + Σ k log k) expected.
/// Scratch: 16 bytes per row of each group whose k is above an eighth of its size, 16 per
/// selected row otherwise.
/// group_codes[i] is in [0, k.size()) or -1 (row left out). Throws spec_error on a size
/// mismatch, a code out of range, a negative k or no keys; data_error if two rows that decide
/// the selection or its order are equal on every key.
[[nodiscard]] inline grouped_rows top_k_per_group(const sort_keys& keys,
                                                  std::span<const std::int32_t> group_codes,
                                                  std::span<const std::int64_t> k) {
  if (keys.size() == 0) throw spec_error("top_k_per_group: no sort keys");
  if (group_codes.size() != keys.rows()) {
    throw spec_error("top_k_per_group: groups and keys differ in length");
  }
  const std::size_t groups = k.size();
  for (std::size_t g = 0; g < groups; ++g) {
    if (k[g] < 0) {
      throw spec_error("top_k_per_group: k of group " + std::to_string(g) + " is negative");
    }
  }
  std::vector<std::size_t> count(groups, 0);
  for (std::size_t i = 0; i < group_codes.size(); ++i) {
    detail::check_group_code(group_codes[i], i, groups, "top_k_per_group");
    if (group_codes[i] >= 0) ++count[static_cast<std::size_t>(group_codes[i])];
  }
  // (first key, row): the comparison touches the other keys only on a first-key tie.
  using item = std::pair<std::uint64_t, std::uint32_t>;
  const std::uint64_t* first_key = keys.key(0).data();
  const auto less = [&](const item& a, const item& b) {
    if (a.first != b.first) return a.first < b.first;
    return keys.less(a.second, b.second);
  };
  struct group_state {
    std::size_t take = 0;
    bool streamed = false;    // bounded heap (else bucket + nth_element)
    std::vector<item> items;  // heap of the best `take` so far (worst on top), or the bucket
    item best_out{};          // best row left out so far (streamed groups)
    bool any_out = false;
  };
  std::vector<group_state> state(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    group_state& st = state[g];
    st.take = std::min(count[g], static_cast<std::size_t>(k[g]));
    st.streamed = st.take * 8 < count[g];
    st.items.reserve(st.streamed ? st.take : (st.take == 0 ? 0 : count[g]));
  }
  const auto leave_out = [&](group_state& st, const item& it) {
    if (!st.any_out || less(it, st.best_out)) {
      st.best_out = it;
      st.any_out = true;
    }
  };
  for (std::size_t i = 0; i < group_codes.size(); ++i) {
    if (group_codes[i] < 0) continue;
    group_state& st = state[static_cast<std::size_t>(group_codes[i])];
    if (st.take == 0) continue;
    const item it{first_key[i], static_cast<std::uint32_t>(i)};
    if (!st.streamed || st.items.size() < st.take) {
      st.items.push_back(it);
      if (st.streamed) std::push_heap(st.items.begin(), st.items.end(), less);
    } else if (less(it, st.items.front())) {
      leave_out(st, st.items.front());
      std::pop_heap(st.items.begin(), st.items.end(), less);
      st.items.back() = it;
      std::push_heap(st.items.begin(), st.items.end(), less);
    } else {
      leave_out(st, it);
    }
  }
  grouped_rows out;
  out.offsets.assign(groups + 1, 0);
  for (std::size_t g = 0; g < groups; ++g) {
    group_state& st = state[g];
    out.offsets[g + 1] = out.offsets[g] + st.take;
    if (st.take == 0) continue;
    std::vector<item>& buf = st.items;
    const auto mid = buf.begin() + static_cast<std::ptrdiff_t>(st.take);
    if (st.streamed) {
      // The heap's top is the worst selected row; it must come strictly before every other.
      if (st.any_out && !less(buf.front(), st.best_out)) {
        detail::throw_tie("top_k_per_group", buf.front().second, st.best_out.second);
      }
    } else if (st.take < buf.size()) {
      std::nth_element(buf.begin(), mid, buf.end(), less);
      // buf[take] is the best row left out; it must come strictly after every selected one.
      const auto last_in = std::max_element(buf.begin(), mid, less);
      if (!less(*last_in, *mid)) detail::throw_tie("top_k_per_group", last_in->second, mid->second);
    }
    std::sort(buf.begin(), mid, less);
    for (std::size_t i = 0; i < st.take; ++i) {
      if (i > 0 && keys.tied(buf[i - 1].second, buf[i].second)) {
        detail::throw_tie("top_k_per_group", buf[i - 1].second, buf[i].second);
      }
      out.rows.push_back(buf[i].second);
    }
    std::vector<item>().swap(buf);
  }
  return out;
}

/// As the other `top_k_per_group`, with the same k for each of `groups` groups.
[[nodiscard]] inline grouped_rows top_k_per_group(const sort_keys& keys,
                                                  std::span<const std::int32_t> group_codes,
                                                  std::size_t groups, std::int64_t k) {
  const std::vector<std::int64_t> ks(groups, k);
  return top_k_per_group(keys, group_codes, ks);
}

}  // namespace khuyenhoc
