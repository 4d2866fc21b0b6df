// CSV reading and writing. The tokenizer is written here rather than taken from a library:
// Debian's libcsv ships only a non-PIC static archive (unusable in the Python extension), trims
// blanks silently and reports no positions, and every error we raise must carry file:line:column.

#include "khuyenhoc/csv.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "csv_tokenizer.hpp"
#include "khuyenhoc/detail/memory.hpp"
#include "khuyenhoc/detail/parallel.hpp"
#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/io.hpp"

namespace khuyenhoc {

namespace {

// ------------------------------------------------------------------ raw cells

/// Where one column's chunk buffers live while the chunks one worker tokenized wait for the
/// merge: blocks of 64 KB or more doubling up to 2 MB (those 2 MB aligned and advised as huge
/// pages), handed out by bumping a pointer. A block goes back to the system (one munmap) as soon as
/// the last buffer in it is released, so a column's chunk cells are freed while that column is
/// merged, as with a mapping per buffer; but a block costs one page fault instead of 512, and its
/// unmapping one TLB flush (page faults and munmap were a third of the reader's CPU). Used by one
/// thread at a time: the worker while tokenizing, then the task merging the column.
class chunk_arena {
 public:
  static constexpr std::size_t kBlock = std::size_t{2} << 20U;
  static constexpr std::size_t kFirst = std::size_t{64} << 10U;
  /// `first`: the size of the first block (at least 64 KB; from 2 MB on, every block is 2 MB).
  /// `huge`: advise the 2 MB blocks as huge pages (when the kernel has them free).
  chunk_arena(std::size_t first, bool huge)
      : next_(std::clamp(first, kFirst, kBlock)), huge_(huge) {}
  chunk_arena(const chunk_arena&) = delete;
  chunk_arena& operator=(const chunk_arena&) = delete;
  ~chunk_arena() {
    for (const auto& [base, b] : blocks_) ::munmap(reinterpret_cast<void*>(base), b.size);
  }

  void* allocate(std::size_t bytes) {
    bytes = (bytes + 15U) & ~std::size_t{15};
    if (current_ == 0 || blocks_[current_].used + bytes > blocks_[current_].size) {
      // Blocks grow to 2 MB, so that a small file with many columns does not fault in a huge
      // page per column and worker.
      const std::size_t size = bytes > next_ ? (bytes + kBlock - 1) / kBlock * kBlock : next_;
      next_ = std::min(kBlock, next_ * 2);
      current_ = map_block(size);
      blocks_.emplace(current_, block{.size = size, .used = 0, .live = 0});
    }
    block& b = blocks_[current_];
    void* p = reinterpret_cast<void*>(current_ + b.used);
    b.used += bytes;
    ++b.live;
    return p;
  }

  void release(void* p) noexcept {
    const auto addr = reinterpret_cast<std::uintptr_t>(p);
    auto it = blocks_.upper_bound(addr);
    if (it == blocks_.begin()) return;
    --it;
    if (--it->second.live != 0) return;
    ::munmap(reinterpret_cast<void*>(it->first), it->second.size);
    if (it->first == current_) current_ = 0;
    blocks_.erase(it);
  }

 private:
  struct block {
    std::size_t size = 0, used = 0, live = 0;
  };
  /// A fresh mapping of `size` bytes; from kBlock on, aligned to kBlock and advised as huge
  /// pages.
  [[nodiscard]] std::uintptr_t map_block(std::size_t size) const {
    if (size < kBlock) {
      void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      return reinterpret_cast<std::uintptr_t>(p);
    }
    void* p =
        ::mmap(nullptr, size + kBlock, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const auto raw = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t base = (raw + kBlock - 1) / kBlock * kBlock;
    if (base > raw) ::munmap(p, base - raw);
    if (const std::uintptr_t end = raw + size + kBlock; end > base + size) {
      ::munmap(reinterpret_cast<void*>(base + size), end - base - size);
    }
#if defined(MADV_HUGEPAGE)
    if (huge_) ::madvise(reinterpret_cast<void*>(base), size, MADV_HUGEPAGE);  // advice only
#endif
    return base;
  }
  std::map<std::uintptr_t, block> blocks_;
  std::uintptr_t current_ = 0;  // base of the block being filled (0: none)
  std::size_t next_ = kFirst;   // size of the next block
  bool huge_ = false;
};

/// Allocator of the per-chunk buffers: from a chunk_arena when given one, else blocks of 64 KB
/// and more are mapped and unmapped directly and smaller ones come from the heap (so that a
/// chunk's cells go back to the system as soon as their column is merged: from the heap they
/// would stay in the allocator's free lists, where the columns being built, large blocks,
/// cannot reuse them, and the peak would grow by their size).
template <class T>
struct chunk_allocator {
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;
  static constexpr std::size_t kMapped = std::size_t{1} << 16U;
  chunk_arena* arena = nullptr;
  chunk_allocator() = default;
  explicit chunk_allocator(chunk_arena* a) noexcept : arena(a) {}
  template <class U>
  chunk_allocator(const chunk_allocator<U>& other) noexcept  // NOLINT: rebinding
      : arena(other.arena) {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (arena != nullptr) return static_cast<T*>(arena->allocate(bytes));
    if (bytes < kMapped) return std::allocator<T>{}.allocate(n);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (arena != nullptr) {
      arena->release(p);
      return;
    }
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMapped) {
      std::allocator<T>{}.deallocate(p, n);
    } else {
      ::munmap(p, bytes);
    }
  }
  friend bool operator==(const chunk_allocator& a, const chunk_allocator& b) {
    return a.arena == b.arena;
  }
};
template <class T>
using chunk_vector = std::vector<T, chunk_allocator<T>>;
using chunk_string = std::basic_string<char, std::char_traits<char>, chunk_allocator<char>>;

/// The raw cells of one column within one chunk, concatenated: cell r is bytes[ends[r-1],
/// ends[r]). Offsets are chunk-local (a chunk is a few MB; tokenize_chunk refuses one of 4 GB).
struct raw_column {
  chunk_string bytes;
  chunk_vector<std::uint32_t> ends;
  [[nodiscard]] std::string_view cell(std::size_t r) const {
    const std::uint32_t b = r == 0 ? 0 : ends[r - 1];
    return {bytes.data() + b, ends[r] - b};
  }
  void add(std::string_view s) {
    bytes += s;
    ends.push_back(static_cast<std::uint32_t>(bytes.size()));
  }
  /// Allocates from `a` from now on (the column must be empty).
  void use(chunk_arena* a) {
    bytes = chunk_string(chunk_allocator<char>(a));
    ends = chunk_vector<std::uint32_t>(chunk_allocator<std::uint32_t>(a));
  }
};
char detect_separator(std::string_view text) {
  std::size_t commas = 0;
  std::size_t semicolons = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n') break;
    commas += c == ',';
    semicolons += c == ';';
  }
  return semicolons > commas ? ';' : ',';
}

// ------------------------------------------------------------------ cell shapes

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// [+-]?digits, no leading zero unless the value is 0, fits int64.
bool parse_integer(std::string_view s, std::int64_t& out) {
  std::size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i >= s.size()) return false;
  if (s[i] == '0' && s.size() > i + 1) return false;
  for (std::size_t j = i; j < s.size(); ++j) {
    if (!is_digit(s[j])) return false;
  }
  if (s.size() - i <= 18) {  // below 10^18: no overflow, no call
    std::int64_t v = 0;
    for (std::size_t j = i; j < s.size(); ++j) v = v * 10 + (s[j] - '0');
    out = s[0] == '-' ? -v : v;
    return true;
  }
  const char* b = s.data() + (s[0] == '+' ? 1 : 0);
  auto res = std::from_chars(b, s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

// [+-]?(digits[dec digits*]|dec digits)([eE][+-]?digits)?
bool parse_number(std::string_view s, char decimal, double& out, bool* out_of_range = nullptr) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  const std::size_t int_start = i;
  while (i < n && is_digit(s[i])) ++i;
  const std::size_t int_digits = i - int_start;
  if (int_digits > 1 && s[int_start] == '0') return false;  // "0123" is a code, not a number
  std::size_t frac_digits = 0;
  std::size_t dec_pos = std::string_view::npos;
  if (i < n && s[i] == decimal) {
    dec_pos = i;
    ++i;
    const std::size_t f = i;
    while (i < n && is_digit(s[i])) ++i;
    frac_digits = i - f;
  }
  if (int_digits + frac_digits == 0) return false;
  std::size_t exp_at = std::string_view::npos;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    exp_at = i;
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t e = i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == e) return false;
  }
  if (i != n) return false;
  // Most cells are short decimals ("8,5", "27.25"): with at most 15 digits and no exponent the
  // digits are an exact integer and 10^frac_digits an exact double, so their quotient is the
  // correctly rounded value from_chars gives (Clinger's fast path), without its call.
  if (exp_at == std::string_view::npos && int_digits + frac_digits <= 15) {
    std::uint64_t digits = 0;
    for (std::size_t j = int_start; j < n; ++j) {
      if (j != dec_pos) digits = digits * 10 + static_cast<std::uint64_t>(s[j] - '0');
    }
    static constexpr double powers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const double v = static_cast<double>(digits) / powers[frac_digits];
    out = s[0] == '-' ? -v : v;
    if (out_of_range != nullptr) *out_of_range = false;
    return true;
  }
  char buf[128];
  if (n >= sizeof buf) return false;
  std::size_t m = 0;
  for (std::size_t j = s[0] == '+' ? 1 : 0; j < n; ++j) buf[m++] = j == dec_pos ? '.' : s[j];
  auto res = std::from_chars(buf, buf + m, out);
  if (out_of_range != nullptr) *out_of_range = res.ec == std::errc::result_out_of_range;
  return res.ec == std::errc() && res.ptr == buf + m;
}

// Why a cell that is not a number in the file's convention still looks like one (empty: it
// does not). Such cells among numbers are reported instead of turning the column into text.
std::string number_problem(std::string_view s, char decimal) {
  double v = 0;
  bool range = false;
  if (!parse_number(s, decimal, v, &range) && range) return "is out of the range of a number";
  auto t = s;
  const auto blank_front = [](std::string_view x) {
    return x.starts_with(' ') || x.starts_with('\t') || x.starts_with("\xC2\xA0");
  };
  const auto blank_back = [](std::string_view x) {
    return x.ends_with(' ') || x.ends_with('\t') || x.ends_with("\xC2\xA0");
  };
  while (blank_front(t)) t.remove_prefix(t.starts_with("\xC2\xA0") ? 2 : 1);
  while (blank_back(t)) t.remove_suffix(t.ends_with("\xC2\xA0") ? 2 : 1);
  if (t.size() != s.size() && !t.empty() && parse_number(t, decimal, v))
    return "has blanks around the number";
  const char other = decimal == ',' ? '.' : ',';
  if (t.find(other) != std::string_view::npos && parse_number(t, other, v)) {
    return std::string("uses '") + other + "' as the decimal mark, but this file's is '" + decimal +
           "'";
  }
  return {};
}

enum class date_shape : std::uint8_t { none, dmy, iso };

// d/m/yyyy (1-2 digit day and month) or yyyy-mm-dd; fills y/m/d without validating the date.
date_shape parse_date_shape(std::string_view s, int& y, int& m, int& d) {
  auto digits = [&](std::size_t b, std::size_t e, int& v) {
    if (b >= e) return false;
    v = 0;
    for (std::size_t i = b; i < e; ++i) {
      if (!is_digit(s[i])) return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    if (digits(0, 4, y) && digits(5, 7, m) && digits(8, 10, d)) return date_shape::iso;
    return date_shape::none;
  }
  const auto a = s.find('/');
  if (a == std::string_view::npos || a == 0 || a > 2) return date_shape::none;
  const auto b = s.find('/', a + 1);
  if (b == std::string_view::npos || b - a - 1 == 0 || b - a - 1 > 2) return date_shape::none;
  if (s.size() - b - 1 != 4) return date_shape::none;
  if (digits(0, a, d) && digits(a + 1, b, m) && digits(b + 1, s.size(), y)) {
    return date_shape::dmy;
  }
  return date_shape::none;
}

bool valid_date(int y, int m, int d, day_number& out) {
  if (y < 1400 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  const int last = boost::gregorian::gregorian_calendar::end_of_month_day(
      static_cast<unsigned short>(y), static_cast<unsigned short>(m));
  if (d > last) return false;
  out = to_day_number(boost::gregorian::date(static_cast<unsigned short>(y),
                                             static_cast<unsigned short>(m),
                                             static_cast<unsigned short>(d)));
  return true;
}

int parse_boolean(std::string_view s) {
  static const std::vector<std::string_view> yes = {"true", "True", "TRUE", "yes",  "Yes",  "YES",
                                                    "có",   "Có",   "CÓ",   "đúng", "Đúng", "ĐÚNG"};
  static const std::vector<std::string_view> no = {"false", "False", "FALSE", "no",  "No",  "NO",
                                                   "không", "Không", "KHÔNG", "sai", "Sai", "SAI"};
  if (s.size() > 8) return -1;
  if (std::find(yes.begin(), yes.end(), s) != yes.end()) return 1;
  if (std::find(no.begin(), no.end(), s) != no.end()) return 0;
  return -1;
}

// ------------------------------------------------------------------ column conversion

struct cell_error {
  std::size_t row = 0;
  std::string message;
};

// Dictionary building for category and list columns. Each distinct raw spelling is normalised
// to NFC once; NFC and NFD spellings of the same text get the same code.
class interner {
 public:
  std::int32_t code(std::string_view raw) {
    if (auto it = by_raw_.find(raw); it != by_raw_.end()) return it->second;
    std::string nfc = detail::to_nfc(raw);
    std::int32_t c = 0;
    if (auto it = by_value_.find(nfc); it != by_value_.end()) {
      c = it->second;
    } else {
      c = static_cast<std::int32_t>(values_.size());
      values_.push_back(std::move(nfc));
      by_value_.emplace(values_.back(), c);
    }
    if (values_[static_cast<std::size_t>(c)] == raw) {
      by_raw_.emplace(values_[static_cast<std::size_t>(c)], c);  // NFC already: no copy
    } else {
      raws_.emplace_back(raw);
      by_raw_.emplace(raws_.back(), c);
    }
    return c;
  }
  [[nodiscard]] std::size_t size() const { return values_.size(); }
  [[nodiscard]] std::vector<std::string> dictionary() const {
    return {values_.begin(), values_.end()};
  }
  [[nodiscard]] const std::string& value(std::int32_t c) const {
    return values_[static_cast<std::size_t>(c)];
  }

 private:
  std::deque<std::string> values_, raws_;  // deques: stable addresses for the views below
  std::unordered_map<std::string_view, std::int32_t> by_value_, by_raw_;
};

std::string quoted(std::string_view s) {
  std::string q = "\"";
  q += s.substr(0, 80);
  if (s.size() > 80) q += "...";
  q += "\"";
  return q;
}

// ------------------------------------------------------------------ text checks

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// Keiser and Lemire's lookup algorithm ("Validating UTF-8 in less than one instruction per
// byte", 2021), 16 bytes at a time with SSSE3; blocks of ASCII are skipped.
struct utf8_check {
  __m128i byte_1_high, byte_1_low, byte_2_high, incomplete_max;
  __m128i prev, prev_incomplete, err;
  __m128i nul;  // NUL bytes seen (refused with invalid text, in the same pass)
};

__m128i bytes16(const std::array<std::uint8_t, 16>& t) {
  __m128i v;
  std::memcpy(&v, t.data(), 16);
  return v;
}

__attribute__((target("ssse3"))) inline void utf8_block(utf8_check& st, __m128i in) {
  st.nul = _mm_or_si128(st.nul, _mm_cmpeq_epi8(in, _mm_setzero_si128()));
  if (_mm_movemask_epi8(in) == 0) {
    st.err = _mm_or_si128(st.err, st.prev_incomplete);
    st.prev_incomplete = _mm_setzero_si128();
    st.prev = in;
    return;
  }
  const __m128i low_nibble = _mm_set1_epi8(0x0F);
  const __m128i prev1 = _mm_alignr_epi8(in, st.prev, 15);
  const __m128i prev2 = _mm_alignr_epi8(in, st.prev, 14);
  const __m128i prev3 = _mm_alignr_epi8(in, st.prev, 13);
  const __m128i sc = _mm_and_si128(
      _mm_and_si128(
          _mm_shuffle_epi8(st.byte_1_high, _mm_and_si128(_mm_srli_epi16(prev1, 4), low_nibble)),
          _mm_shuffle_epi8(st.byte_1_low, _mm_and_si128(prev1, low_nibble))),
      _mm_shuffle_epi8(st.byte_2_high, _mm_and_si128(_mm_srli_epi16(in, 4), low_nibble)));
  const __m128i must23 =
      _mm_or_si128(_mm_subs_epu8(prev2, _mm_set1_epi8(static_cast<char>(0xE0 - 0x80))),
                   _mm_subs_epu8(prev3, _mm_set1_epi8(static_cast<char>(0xF0 - 0x80))));
  const __m128i must23_80 = _mm_and_si128(must23, _mm_set1_epi8(static_cast<char>(0x80)));
  st.err = _mm_or_si128(st.err, _mm_xor_si128(must23_80, sc));
  st.prev_incomplete = _mm_subs_epu8(in, st.incomplete_max);
  st.prev = in;
}

// The lookup tables of the check (16 bytes each; the AVX2 check uses them in both lanes).
struct utf8_tables {
  __m128i byte_1_high, byte_1_low, byte_2_high;
};

__attribute__((target("ssse3"))) utf8_tables make_utf8_tables() {
  constexpr std::uint8_t too_short = 1U << 0U, too_long = 1U << 1U, overlong_3 = 1U << 2U,
                         too_large = 1U << 3U, surrogate = 1U << 4U, overlong_2 = 1U << 5U,
                         too_large_1000 = 1U << 6U, overlong_4 = 1U << 6U, two_conts = 1U << 7U;
  constexpr std::uint8_t carry = too_short | too_long | two_conts;
  constexpr std::uint8_t large = carry | too_large | too_large_1000;
  utf8_tables t{};
  t.byte_1_high = bytes16({too_long, too_long, too_long, too_long, too_long, too_long, too_long,
                           too_long, two_conts, two_conts, two_conts, two_conts,
                           too_short | overlong_2, too_short, too_short | overlong_3 | surrogate,
                           too_short | too_large | too_large_1000 | overlong_4});
  t.byte_1_low = bytes16({carry | overlong_3 | overlong_2 | overlong_4, carry | overlong_2, carry,
                          carry, carry | too_large, large, large, large, large, large, large, large,
                          large, large | surrogate, large, large});
  t.byte_2_high = bytes16(
      {too_short, too_short, too_short, too_short, too_short, too_short, too_short, too_short,
       too_long | overlong_2 | two_conts | overlong_3 | too_large_1000 | overlong_4,
       too_long | overlong_2 | two_conts | overlong_3 | too_large,
       too_long | overlong_2 | two_conts | surrogate | too_large,
       too_long | overlong_2 | two_conts | surrogate | too_large, too_short, too_short, too_short,
       too_short});
  return t;
}

__attribute__((target("ssse3"))) void start_utf8_check(utf8_check& st) {
  const utf8_tables t = make_utf8_tables();
  st.byte_1_high = t.byte_1_high;
  st.byte_1_low = t.byte_1_low;
  st.byte_2_high = t.byte_2_high;
  st.incomplete_max = bytes16({255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
                               0xF0 - 1, 0xE0 - 1, 0xC0 - 1});
  st.prev = st.prev_incomplete = st.err = st.nul = _mm_setzero_si128();
}

// Checks data[0, n) after the bytes `st` has seen (16 at a time, then a padded tail); true when
// all of it was valid UTF-8 without a NUL byte.
__attribute__((target("ssse3"))) bool finish_utf8_check(utf8_check& st, const char* data,
                                                        std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    utf8_block(st, _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i)));
  }
  if (i < n) {
    alignas(16) char tail[16] = {};
    std::memcpy(tail, data + i, n - i);
    const __m128i nul = st.nul;
    utf8_block(st, _mm_load_si128(reinterpret_cast<const __m128i*>(tail)));
    // The padding is NUL: only the tail's own bytes count.
    const auto tail_nul =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(
            _mm_load_si128(reinterpret_cast<const __m128i*>(tail)), _mm_setzero_si128()))) &
        ((1U << (n - i)) - 1U);
    st.nul = tail_nul != 0 ? _mm_set1_epi8(-1) : nul;
  }
  const __m128i err = _mm_or_si128(st.err, st.prev_incomplete);
  return _mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) == 0xFFFF &&
         _mm_movemask_epi8(st.nul) == 0;
}

__attribute__((target("ssse3"))) bool valid_utf8_ssse3(const char* data, std::size_t n) {
  utf8_check st{};
  start_utf8_check(st);
  return finish_utf8_check(st, data, n);
}

// The same check 32 bytes at a time with AVX2 (the tables in both 16-byte lanes; the bytes
// before each lane's first ones taken across the lanes), then the last bytes with SSSE3 from
// the same state. About half the time of the 16-byte check on Vietnamese text.
__attribute__((target("avx2"))) bool valid_utf8_avx2(const char* data, std::size_t n) {
  const utf8_tables t = make_utf8_tables();
  const __m256i byte_1_high = _mm256_broadcastsi128_si256(t.byte_1_high);
  const __m256i byte_1_low = _mm256_broadcastsi128_si256(t.byte_1_low);
  const __m256i byte_2_high = _mm256_broadcastsi128_si256(t.byte_2_high);
  const __m256i incomplete_max =
      _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                       -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, static_cast<char>(0xF0 - 1),
                       static_cast<char>(0xE0 - 1), static_cast<char>(0xC0 - 1));
  const __m256i low_nibble = _mm256_set1_epi8(0x0F);
  const __m256i zero = _mm256_setzero_si256();
  __m256i prev = zero, prev_incomplete = zero, err = zero, nul = zero;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i in = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
    nul = _mm256_or_si256(nul, _mm256_cmpeq_epi8(in, zero));
    if (_mm256_movemask_epi8(in) == 0) {
      err = _mm256_or_si256(err, prev_incomplete);
      prev_incomplete = zero;
      prev = in;
      continue;
    }
    // [prev's high lane, in's low lane]: the 16 bytes before each lane of `in`.
    const __m256i before = _mm256_permute2x128_si256(prev, in, 0x21);
    const __m256i prev1 = _mm256_alignr_epi8(in, before, 15);
    const __m256i prev2 = _mm256_alignr_epi8(in, before, 14);
    const __m256i prev3 = _mm256_alignr_epi8(in, before, 13);
    const __m256i sc = _mm256_and_si256(
        _mm256_and_si256(
            _mm256_shuffle_epi8(byte_1_high,
                                _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low_nibble)),
            _mm256_shuffle_epi8(byte_1_low, _mm256_and_si256(prev1, low_nibble))),
        _mm256_shuffle_epi8(byte_2_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), low_nibble)));
    const __m256i must23 =
        _mm256_or_si256(_mm256_subs_epu8(prev2, _mm256_set1_epi8(static_cast<char>(0xE0 - 0x80))),
                        _mm256_subs_epu8(prev3, _mm256_set1_epi8(static_cast<char>(0xF0 - 0x80))));
    const __m256i must23_80 = _mm256_and_si256(must23, _mm256_set1_epi8(static_cast<char>(0x80)));
    err = _mm256_or_si256(err, _mm256_xor_si256(must23_80, sc));
    prev_incomplete = _mm256_subs_epu8(in, incomplete_max);
    prev = in;
  }
  // The rest from the state of the last 16 bytes seen (incomplete sequences are flagged in the
  // high lane's last three bytes, where the 16-byte check flags them).
  utf8_check st{};
  start_utf8_check(st);
  st.prev = _mm256_extracti128_si256(prev, 1);
  st.prev_incomplete = _mm256_extracti128_si256(prev_incomplete, 1);
  st.err = _mm_or_si128(_mm256_castsi256_si128(err), _mm256_extracti128_si256(err, 1));
  st.nul = _mm_or_si128(_mm256_castsi256_si128(nul), _mm256_extracti128_si256(nul, 1));
  return finish_utf8_check(st, data + i, n - i);
}
#endif

/// Whether `s` holds no NUL byte and is valid UTF-8 as detail::find_invalid_utf8 judges it (no
/// overlong forms, no surrogates, nothing past U+10FFFF, no truncated sequence), in one pass.
/// Chunks are checked with it; an error's byte, line and column then come from
/// detail::require_text.
bool valid_utf8(std::string_view s) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool avx2 = __builtin_cpu_supports("avx2") != 0;
  static const bool ssse3 = __builtin_cpu_supports("ssse3") != 0;
  if (avx2) return valid_utf8_avx2(s.data(), s.size());
  if (ssse3) return valid_utf8_ssse3(s.data(), s.size());
#endif
  return !detail::find_invalid_utf8(s).has_value() && s.find('\0') == std::string_view::npos;
}

// ------------------------------------------------------------------ chunks
//
// The data rows are split into chunks of about csv_options::chunk_bytes, each ending right after
// a line break. Chunks are validated (UTF-8, no NUL), tokenized and converted speculatively on
// all threads; a sequential commit then checks that every chunk started where the previous one
// really ended (a cut inside a quoted field spanning lines, or after a lone-CR record, is caught
// here and that chunk is tokenized again from the right place), fixes line numbers, and reports
// the first error in file order. Columns are then merged in parallel, each from its chunks in
// file order, so types, dictionaries and errors do not depend on chunking or threads.

constexpr std::size_t kReportEvery = std::size_t{1} << 20;  // progress about every MB
constexpr std::size_t kDefaultChunk = std::size_t{4} << 20;

struct reader_context {
  std::string_view text;  // the whole text after the BOM (memory-mapped or in memory)
  std::string_view name;
  const csv_options& opt;
  char sep = ',';
  char decimal = '.';
  std::size_t ncols = 0;
  std::vector<std::uint8_t> infer;          // per column: its type is inferred
  std::vector<std::uint8_t> numeric_first;  // per column: cells start as numbers
  std::vector<std::uint8_t> text_column;    // per column: declared text (kept as written)
  std::vector<std::uint8_t> keep;           // per column: read (csv_options::columns)
  bool huge_pages = false;  // large buffers advised as huge pages (free_huge_page_bytes)

  std::size_t na_longest = 0;        // longest missing-value marker
  std::array<bool, 256> na_first{};  // first bytes of the markers

  void index_na_values() {
    for (const auto& v : opt.na_values) {
      na_longest = std::max(na_longest, v.size());
      if (!v.empty()) na_first[static_cast<unsigned char>(v.front())] = true;
    }
  }
  [[nodiscard]] bool maybe_marker(std::string_view s) const {
    return s.size() <= na_longest && na_first[static_cast<unsigned char>(s.front())];
  }

  /// 0: not missing; 1: empty; 2 + i: na_values[i]; 255: another marker (spelling not kept).
  [[nodiscard]] std::uint8_t na_code(std::string_view s) const {
    if (s.empty()) return 1;
    if (!maybe_marker(s)) return 0;
    const auto& v = opt.na_values;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == s) return i < 250 ? static_cast<std::uint8_t>(2 + i) : std::uint8_t{255};
    }
    return 0;
  }
  [[nodiscard]] bool is_na(std::string_view s) const {
    return s.empty() || (maybe_marker(s) && std::find(opt.na_values.begin(), opt.na_values.end(),
                                                      s) != opt.na_values.end());
  }
  [[nodiscard]] std::string_view na_spelling(std::uint8_t code) const {
    return code == 1 ? std::string_view{} : std::string_view(opt.na_values[code - 2U]);
  }
};

/// What type inference needs to know of a column's cells (see infer_type).
struct column_facts {
  bool all_int = true, all_num = true, all_bool = true, all_date = true, any_pipe = false;
  bool numberish = true;  // every cell a number or something that looks like one
  std::size_t numbers = 0;
  std::size_t present = 0;
  std::optional<cell_error> mixed;  // first cell that only looks like a number (chunk row)
};

/// A cell as a dictionary key: two words that are the cell itself when it is at most 16 bytes
/// long (with its length: overlapping loads, never past the cell), else its first and last 8
/// bytes; and a hash of them, the length and (for longer cells) a middle word.
struct dict_key {
  std::uint64_t w0 = 0, w1 = 0, hash = 0;
  explicit dict_key(std::string_view s) {
    const char* p = s.data();
    const std::size_t n = s.size();
    std::uint64_t mid = 0;
    if (n >= 8) {
      std::memcpy(&w0, p, 8);
      std::memcpy(&w1, p + n - 8, 8);
      if (n > 16) std::memcpy(&mid, p + n / 2 - 4, 8);
    } else if (n >= 4) {
      std::uint32_t a = 0, b = 0;
      std::memcpy(&a, p, 4);
      std::memcpy(&b, p + n - 4, 4);
      w0 = static_cast<std::uint64_t>(a) | static_cast<std::uint64_t>(b) << 32U;
    } else if (n != 0) {
      w0 = static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) |
           static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8U |
           static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16U;
    }
    std::uint64_t h = (w0 ^ (0x9E3779B97F4A7C15ULL * (n + 1))) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 31U) ^ w1) * 0x94D049BB133111EBULL;
    h = (h ^ (h >> 29U) ^ mid) * 0xBF58476D1CE4E5B9ULL;
    hash = h ^ (h >> 32U);
  }
};

/// A slot of a chunk column's dictionary table (open addressing, linear probing, at most half
/// full): the key's words and length << 32 | code + 1 (0: empty). Tables are per worker and
/// column, cleared and reused from chunk to chunk at the size the last chunk needed (no fresh
/// pages to fault in), and dropped once the chunks are read.
struct dict_slot {
  std::uint64_t w0 = 0, w1 = 0, meta = 0;
};

/// One column's cells within one chunk, held as numbers while they are numbers (the common
/// case, no text kept), else as raw cells.
struct chunk_column {
  enum class repr : std::uint8_t { integer, number, codes, strings, rescan, skipped };
  repr kind = repr::strings;
  chunk_vector<std::int64_t> ints;
  chunk_vector<double> nums;
  chunk_vector<std::uint8_t> na;  // numeric reprs: na_code per row
  std::size_t values = 0;         // numeric reprs: rows holding a number
  raw_column raw;                 // strings: every cell as written
  // codes: the distinct spellings in order of appearance, and per row an index into them or
  // -na_code when missing (a few distinct values per column is the common case: 4 bytes a row).
  raw_column dict;
  chunk_vector<std::int32_t> codes;
  std::vector<dict_slot>* table = nullptr;  // while tokenizing: the worker's table for dict
  std::vector<std::uint8_t> dict_num;       // per dict entry: a number (for column_facts::numbers)
  column_facts facts;

  /// Allocates the cells from `a` from now on (the column must be empty).
  void use(chunk_arena* a) {
    ints = chunk_vector<std::int64_t>(chunk_allocator<std::int64_t>(a));
    nums = chunk_vector<double>(chunk_allocator<double>(a));
    na = chunk_vector<std::uint8_t>(chunk_allocator<std::uint8_t>(a));
    codes = chunk_vector<std::int32_t>(chunk_allocator<std::int32_t>(a));
    raw.use(a);
    dict.use(a);
  }

  /// The raw cell of row r of a codes column.
  [[nodiscard]] std::string_view spelled(const reader_context& cx, std::size_t r) const;

  /// a == b, a word at a time (cells are short; memcmp's call costs more than the compare).
  static bool same_bytes(std::string_view a, std::string_view b) {
    std::size_t n = a.size();
    if (n != b.size()) return false;
    const char* p = a.data();
    const char* q = b.data();
    if (n >= 8) {
      std::uint64_t x = 0, y = 0;
      std::memcpy(&x, p + n - 8, 8);  // the last word, overlapping the loop's
      std::memcpy(&y, q + n - 8, 8);
      if (x != y) return false;
      for (; n >= 8; n -= 8, p += 8, q += 8) {
        std::memcpy(&x, p, 8);
        std::memcpy(&y, q, 8);
        if (x != y) return false;
      }
      return true;
    }
    for (; n != 0; --n, ++p, ++q) {
      if (*p != *q) return false;
    }
    return true;
  }

  /// The index of `s` in dict; `fresh` tells whether it was added. Needs `table` (see
  /// dict_slot).
  std::int32_t intern(std::string_view s, bool& fresh) {
    const dict_key k(s);
    auto& t = *table;
    std::size_t mask = t.size() - 1;
    std::size_t i = static_cast<std::size_t>(k.hash) & mask;
    while (t[i].meta != 0) {
      const dict_slot& e = t[i];
      if (e.w0 == k.w0 && e.w1 == k.w1 && (e.meta >> 32U) == s.size()) {
        const auto code = static_cast<std::size_t>((e.meta & 0xFFFFFFFFULL) - 1);
        // Up to 16 bytes the two words are the cell; longer cells are compared whole.
        if (s.size() <= 16 || same_bytes(dict.cell(code), s)) {
          fresh = false;
          return static_cast<std::int32_t>(code);
        }
      }
      i = (i + 1) & mask;
    }
    fresh = true;
    const auto code = static_cast<std::int32_t>(dict.ends.size());
    dict.add(s);
    t[i] = {k.w0, k.w1,
            static_cast<std::uint64_t>(s.size()) << 32U | static_cast<std::uint64_t>(code + 1)};
    if (dict.ends.size() * 2 > t.size()) {
      std::vector<dict_slot> old(t.size() * 2);
      old.swap(t);
      mask = t.size() - 1;
      for (const auto& e : old) {
        if (e.meta == 0) continue;
        const auto c = static_cast<std::size_t>((e.meta & 0xFFFFFFFFULL) - 1);
        std::size_t g = static_cast<std::size_t>(dict_key(dict.cell(c)).hash) & mask;
        while (t[g].meta != 0) g = (g + 1) & mask;
        t[g] = e;
      }
    }
    return code;
  }
};

std::string_view chunk_column::spelled(const reader_context& cx, std::size_t r) const {
  const std::int32_t c = codes[r];
  return c >= 0 ? dict.cell(static_cast<std::size_t>(c))
                : cx.na_spelling(static_cast<std::uint8_t>(-c));
}

struct chunk {
  std::size_t start = 0, end = 0;        // records starting in [start, end)
  std::size_t stop = 0;                  // after the last record read
  std::size_t lines = 0;                 // line breaks consumed
  chunk_vector<std::uint32_t> row_line;  // per row: lines after the chunk's first line
  std::vector<chunk_column> cols;
  std::optional<parse_error> error;     // lines counted from the chunk's first line (1)
  bool bad_text = false;                // invalid UTF-8 or a NUL byte in [start, end)
  std::size_t base_line = 0, row0 = 0;  // set by the commit
  [[nodiscard]] std::size_t rows() const { return row_line.size(); }
};

void promote_to_numbers(chunk_column& c) {
  c.nums.resize(c.ints.size());
  for (std::size_t i = 0; i < c.ints.size(); ++i) {
    c.nums[i] = c.na[i] != 0 ? std::numeric_limits<double>::quiet_NaN()
                             : static_cast<double>(c.ints[i]);  // exact rounding, as from_chars
  }
  c.ints = {};
  c.kind = chunk_column::repr::number;
}

/// A cell that is not a number: keep raw cells from here on. When every earlier cell was a
/// missing marker, their spellings are known; else the chunk is tokenized again for this column.
void leave_numbers(chunk_column& c) {
  const bool spellings_known =
      c.values == 0 && std::find(c.na.begin(), c.na.end(), 255) == c.na.end();
  if (spellings_known) {
    for (const auto code : c.na) c.codes.push_back(-static_cast<std::int32_t>(code));
    c.kind = chunk_column::repr::codes;
  } else {
    c.kind = chunk_column::repr::rescan;
  }
  c.ints = {};
  c.nums = {};
  c.na = {};
}

void add_cell(const reader_context& cx, chunk_column& c, std::string_view s, bool infer,
              std::size_t row) {
  using repr = chunk_column::repr;
  const std::uint8_t na = cx.na_code(s);
  bool fresh = true;
  if (c.kind == repr::codes) {
    if (na != 0) {
      c.codes.push_back(-static_cast<std::int32_t>(na));
      return;
    }
    const std::int32_t code = c.intern(s, fresh);
    c.codes.push_back(code);
    if (!infer) return;
    if (!fresh) {  // the facts of a value seen before are in already; only the counts grow
      ++c.facts.present;
      c.facts.numbers += c.dict_num[static_cast<std::size_t>(code)];
      return;
    }
  }
  bool int_tried = false, int_ok = false, num_tried = false, num_ok = false;
  std::int64_t iv = 0;
  double dv = 0;
  if (infer && na == 0) {
    auto& f = c.facts;
    ++f.present;
    if (f.all_int) {
      int_tried = true;
      int_ok = parse_integer(s, iv);
      f.all_int = int_ok;
    }
    num_tried = true;
    if (int_ok) {  // an integer is a number: no second parse ("-0" is -0.0, as from_chars)
      num_ok = true;
      dv = iv == 0 && s.front() == '-' ? -0.0 : static_cast<double>(iv);
    } else {
      num_ok = parse_number(s, cx.decimal, dv);
    }
    if (num_ok) {
      ++f.numbers;
    } else {
      f.all_num = false;
      if (f.numberish) {
        if (auto why = number_problem(s, cx.decimal); !why.empty()) {
          if (!f.mixed) f.mixed = cell_error{row, quoted(s) + " " + why};
        } else {
          f.numberish = false;
        }
      }
    }
    // NFC and NFD spellings of "Có"/"Không" are the same boolean.
    if (f.all_bool) f.all_bool = parse_boolean(detail::is_ascii(s) ? s : detail::to_nfc(s)) >= 0;
    if (f.all_date) {
      int y = 0, m = 0, d = 0;
      f.all_date = parse_date_shape(s, y, m, d) != date_shape::none;
    }
    // A number holds no '|': only the other cells are searched.
    if (!f.any_pipe && !num_ok) f.any_pipe = s.find('|') != std::string_view::npos;
    if (c.kind == repr::codes) c.dict_num.push_back(num_ok ? 1 : 0);
  }
  switch (c.kind) {
    case repr::integer:
      if (na != 0) {
        c.ints.push_back(0);
        c.na.push_back(na);
        return;
      }
      if (!int_tried) int_ok = parse_integer(s, iv);
      // "-0" is -0.0 as a number: keep it as one, in case the column is not all integers.
      if (int_ok && !(iv == 0 && s.front() == '-')) {
        c.ints.push_back(iv);
        c.na.push_back(0);
        ++c.values;
        return;
      }
      if (!num_tried) num_ok = parse_number(s, cx.decimal, dv);
      if (num_ok) {
        promote_to_numbers(c);
        c.nums.push_back(dv);
        c.na.push_back(0);
        ++c.values;
        return;
      }
      leave_numbers(c);
      break;
    case repr::number:
      if (na != 0) {
        c.nums.push_back(std::numeric_limits<double>::quiet_NaN());
        c.na.push_back(na);
        return;
      }
      if (!num_tried) num_ok = parse_number(s, cx.decimal, dv);
      if (num_ok) {
        c.nums.push_back(dv);
        c.na.push_back(0);
        ++c.values;
        return;
      }
      leave_numbers(c);
      break;
    case repr::codes:
      return;  // handled above
    case repr::strings:
      break;
    case repr::rescan:
    case repr::skipped:
      return;
  }
  if (c.kind == repr::strings) {
    c.raw.add(s);
  } else if (c.kind == repr::codes) {
    c.codes.push_back(c.intern(s, fresh));
    if (infer) c.dict_num.push_back(0);  // not a number, or it would not have left numbers
  }
}

/// The raw cells of columns `which` of the records in [start, stop) (tokenized before).
std::vector<raw_column> rescan(const reader_context& cx, std::size_t start, std::size_t stop,
                               const std::vector<std::size_t>& which) {
  std::vector<raw_column> out(which.size());
  std::vector<std::size_t> slot(cx.ncols, which.size());
  for (std::size_t i = 0; i < which.size(); ++i) slot[which[i]] = i;
  detail::csv_tokenizer tok(cx.text, cx.name,
                            {.separator = cx.sep, .max_field_lines = cx.opt.max_field_lines});
  tok.seek(start, 1);
  while (tok.at_record(stop)) {
    tok.read_record([&](std::size_t k, std::string_view field, std::size_t) {
      if (k < cx.ncols && slot[k] < which.size()) out[slot[k]].add(field);
    });
  }
  return out;
}

constexpr std::size_t kEstimateAfter = 64;  // rows read before sizing a chunk's buffers

/// Reserves room for about `parts` times the rows read so far (the chunk's size over the bytes
/// read, rounded up), plus an eighth, so the buffers of a chunk are not grown and copied a dozen
/// times, nor once at the end: a buffer grown then is mapped again at twice the size and all its
/// pages fault in anew (on the 1M pool, a third of the chunk buffers were). Room reserved but
/// not written costs no memory.
void reserve_rows(chunk& ch, std::size_t parts) {
  const std::size_t rows = ch.row_line.size() * parts + ch.row_line.size() * parts / 8 + 16;
  ch.row_line.reserve(rows);
  for (auto& c : ch.cols) {
    switch (c.kind) {
      case chunk_column::repr::integer:
        c.ints.reserve(rows);
        c.na.reserve(rows);
        break;
      case chunk_column::repr::number:
        c.nums.reserve(rows);
        c.na.reserve(rows);
        break;
      case chunk_column::repr::codes:
        c.codes.reserve(rows);
        break;
      case chunk_column::repr::strings:
        c.raw.ends.reserve(rows);
        c.raw.bytes.reserve(c.raw.bytes.size() * parts + c.raw.bytes.size() * parts / 8 + 64);
        break;
      case chunk_column::repr::rescan:
      case chunk_column::repr::skipped:
        break;
    }
  }
}

/// Tokenizes the records starting in [start, end) (start is a record boundary) and converts
/// their cells speculatively. A parse error is kept in the chunk (the commit decides whether it
/// is real). `tick` receives bytes done within the chunk, about every MB.
chunk tokenize_chunk(const reader_context& cx, std::size_t start, std::size_t end,
                     const std::function<void(std::size_t)>* tick,
                     std::vector<std::vector<dict_slot>>& tables, chunk_arena* const* arenas) {
  chunk ch;
  ch.start = start;
  ch.end = end;
  ch.stop = start;
  ch.cols.resize(cx.ncols);
  ch.row_line = chunk_vector<std::uint32_t>(chunk_allocator<std::uint32_t>(arenas[cx.ncols]));
  tables.resize(cx.ncols);
  for (std::size_t k = 0; k < cx.ncols; ++k) {
    if (cx.keep[k] != 0) ch.cols[k].use(arenas[k]);
    ch.cols[k].kind = cx.keep[k] == 0            ? chunk_column::repr::skipped
                      : cx.numeric_first[k] != 0 ? chunk_column::repr::integer
                      : cx.text_column[k] != 0   ? chunk_column::repr::strings
                                                 : chunk_column::repr::codes;
    auto& t = tables[k];
    if (t.empty()) {
      t.resize(64);
    } else {
      std::fill(t.begin(), t.end(), dict_slot{});
    }
    ch.cols[k].table = &t;
  }
  detail::csv_tokenizer tok(cx.text, cx.name,
                            {.separator = cx.sep, .max_field_lines = cx.opt.max_field_lines});
  tok.seek(start, 1);
  const std::size_t ncols = cx.ncols;
  try {
    std::size_t next_tick = start + kReportEvery;
    while (tok.at_record(end)) {
      const std::size_t start_line = tok.line();
      const std::size_t row = ch.row_line.size();
      std::size_t count = 0;
      tok.read_record([&](std::size_t k, std::string_view field, std::size_t col) {
        if (k >= ncols) {
          throw parse_error("too many fields: the header has " + std::to_string(ncols) +
                                " columns, this row has more",
                            tok.loc(start_line, col));
        }
        if (cx.keep[k] != 0) add_cell(cx, ch.cols[k], field, cx.infer[k] != 0, row);
        count = k + 1;
      });
      if (count != ncols) {
        throw parse_error("too few fields: expected " + std::to_string(ncols) +
                              " (as in the header), found " + std::to_string(count),
                          tok.loc(start_line, 0));
      }
      ch.row_line.push_back(static_cast<std::uint32_t>(start_line - 1));
      if (ch.row_line.size() == kEstimateAfter)
        reserve_rows(ch, (end - start + tok.pos() - start - 1) / (tok.pos() - start));
      if (tick != nullptr && tok.pos() >= next_tick) {
        (*tick)(tok.pos() - start);
        next_tick = tok.pos() + kReportEvery;
      }
    }
    ch.stop = tok.pos();
    ch.lines = tok.line() - 1;
  } catch (const parse_error& e) {
    ch.error = e;
    ch.cols.clear();
    ch.row_line.clear();
    return ch;
  }
  if (ch.stop - ch.start >= (std::uint64_t{1} << 32U)) {
    throw limit_error(
        "a run of records longer than 4 GB (one quoted field spanning most of the "
        "file?)",
        tok.loc(1, start + 1));
  }
  std::vector<std::size_t> again;
  for (std::size_t k = 0; k < ncols; ++k) {
    if (ch.cols[k].kind == chunk_column::repr::rescan) again.push_back(k);
  }
  if (!again.empty()) {
    auto raws = rescan(cx, ch.start, ch.stop, again);
    for (std::size_t i = 0; i < again.size(); ++i) {
      // Numbers, then words: held as codes like the other categorical cells.
      auto& c = ch.cols[again[i]];
      c.kind = chunk_column::repr::codes;
      const std::size_t n = raws[i].ends.size();
      c.codes.reserve(n);
      for (std::size_t r = 0; r < n; ++r) {
        const auto cell = raws[i].cell(r);
        const std::uint8_t na = cx.na_code(cell);
        bool fresh = false;
        c.codes.push_back(na != 0 ? -static_cast<std::int32_t>(na) : c.intern(cell, fresh));
      }
    }
  }
  for (auto& c : ch.cols) c.table = nullptr;  // the worker's, reused for its next chunk
  return ch;
}

/// The type of an inferred column from its cells' facts; `mixed` is kept only when the column
/// would be numbers but for such cells.
column_type infer_type(const column_facts& f, std::optional<cell_error>& mixed) {
  mixed = f.mixed;
  if (f.present == 0) return column_type::number;
  if (!f.numberish || f.numbers == 0) mixed.reset();
  if (f.all_int) return column_type::integer;
  if (f.all_num) return column_type::number;
  if (f.all_bool) return column_type::boolean;
  if (f.all_date) return column_type::date;
  if (f.any_pipe) return column_type::category_list;
  return column_type::category;  // may become text: see column_builder
}

/// Builds one column from its chunks, in file order. Errors are cell_errors at the file's row.
class column_builder {
 public:
  column_builder(const reader_context& cx, std::string name, column_type type, bool inferred,
                 std::size_t rows, std::size_t present)
      : cx_(cx),
        name_(std::move(name)),
        type_(type),
        inferred_(inferred),
        rows_(rows),
        present_(present) {
    // The arrays are reserved first and advised as huge pages, then filled (see
    // detail::reserve_huge: tens of MB each at millions of rows).
    switch (type_) {
      case column_type::number:
        reserve_(nums_, rows);
        nums_.assign(rows, std::numeric_limits<double>::quiet_NaN());
        break;
      case column_type::integer:
        reserve_(ints_, rows);
        ints_.assign(rows, 0);
        reserve_(valid_, rows);
        valid_.assign(rows, 0);
        break;
      case column_type::boolean:
        bytes_.assign(rows, 0);
        valid_.assign(rows, 0);
        break;
      case column_type::date:
        reserve_(days_, rows);
        days_.assign(rows, 0);
        reserve_(valid_, rows);
        valid_.assign(rows, 0);
        break;
      case column_type::category:
        reserve_(codes_, rows);
        codes_.assign(rows, -1);
        reserve_(valid_, rows);
        valid_.assign(rows, 0);
        break;
      case column_type::text:
        as_text_ = true;
        reserve_(valid_, rows);
        valid_.assign(rows, 0);
        reserve_(offsets_, rows + 1);
        offsets_.push_back(0);
        break;
      case column_type::category_list:
        valid_.assign(rows, 1);
        reserve_(list_offsets_, rows + 1);
        list_offsets_.push_back(0);
        for (char c : cx.opt.list_separators) is_list_sep_[static_cast<unsigned char>(c)] = true;
        break;
    }
  }

  /// Reserves room for `n` items in `v`, advised as huge pages when the read uses them.
  template <class Vector>
  void reserve_(Vector& v, std::size_t n) const {
    if (cx_.huge_pages) {
      detail::reserve_huge(v, n);
    } else {
      v.reserve(n);
    }
  }

  /// Reserves room for about `bytes` of text in all (a text column's cells, once known).
  void expect_text_bytes(std::size_t bytes) {
    if (!as_text_ || bytes <= blob_.capacity()) return;
    blob_.reserve(bytes);
    if (cx_.huge_pages) detail::advise_huge_pages(blob_.data(), bytes);
  }

  /// Whether add_numbers takes a chunk column held as `kind`.
  [[nodiscard]] bool takes_numbers(chunk_column::repr kind) const {
    return (kind == chunk_column::repr::integer &&
            (type_ == column_type::integer || type_ == column_type::number)) ||
           (kind == chunk_column::repr::number && type_ == column_type::number);
  }

  void add_numbers(const chunk_column& c, std::size_t row0) {
    const std::size_t n = c.na.size();
    if (type_ == column_type::integer) {
      std::copy(c.ints.begin(), c.ints.end(), ints_.begin() + static_cast<std::ptrdiff_t>(row0));
      for (std::size_t r = 0; r < n; ++r) valid_[row0 + r] = c.na[r] == 0 ? 1 : 0;
    } else if (c.kind == chunk_column::repr::integer) {
      for (std::size_t r = 0; r < n; ++r) {
        if (c.na[r] == 0) nums_[row0 + r] = static_cast<double>(c.ints[r]);
      }
    } else {
      std::copy(c.nums.begin(), c.nums.end(), nums_.begin() + static_cast<std::ptrdiff_t>(row0));
    }
  }

  void add_raw(const raw_column& raw, std::size_t n, std::size_t row0) {
    switch (type_) {
      case column_type::number:
        for (std::size_t r = 0; r < n; ++r) {
          const auto s = raw.cell(r);
          if (cx_.is_na(s)) continue;
          if (!parse_number(s, cx_.decimal, nums_[row0 + r]))
            fail(row0 + r, quoted(s) + " is not a number");
        }
        return;
      case column_type::integer:
        for (std::size_t r = 0; r < n; ++r) {
          const auto s = raw.cell(r);
          if (cx_.is_na(s)) continue;
          if (!parse_integer(s, ints_[row0 + r])) fail(row0 + r, quoted(s) + " is not an integer");
          valid_[row0 + r] = 1;
        }
        return;
      case column_type::boolean:
        for (std::size_t r = 0; r < n; ++r) {
          const auto s = raw.cell(r);
          if (cx_.is_na(s)) continue;
          const auto b = parse_boolean(detail::is_ascii(s) ? s : detail::to_nfc(s));
          if (b < 0) fail(row0 + r, quoted(s) + " is not a boolean (true/false, có/không)");
          bytes_[row0 + r] = static_cast<std::uint8_t>(b);
          valid_[row0 + r] = 1;
        }
        return;
      case column_type::date:
        for (std::size_t r = 0; r < n; ++r) {
          const auto s = raw.cell(r);
          if (cx_.is_na(s)) continue;
          int y = 0, m = 0, d = 0;
          if (parse_date_shape(s, y, m, d) == date_shape::none ||
              !valid_date(y, m, d, days_[row0 + r])) {
            fail(row0 + r, quoted(s) + " is not a date (dd/mm/yyyy or yyyy-mm-dd)");
          }
          valid_[row0 + r] = 1;
        }
        return;
      case column_type::category:
      case column_type::text:
        if (as_text_ && add_ascii_text(raw, n, row0)) return;
        for (std::size_t r = 0; r < n; ++r) add_string(raw.cell(r), row0 + r);
        return;
      case column_type::category_list:
        for (std::size_t r = 0; r < n; ++r) add_list(raw.cell(r), row0 + r);
        return;
    }
  }

  void add_codes(const chunk_column& c, std::size_t row0) {
    const std::size_t n = c.codes.size();
    const std::size_t nloc = c.dict.ends.size();
    const auto value = [&](std::int32_t code) {
      return c.dict.cell(static_cast<std::size_t>(code));
    };
    switch (type_) {
      case column_type::category:
      case column_type::text: {
        if (!as_text_) {
          std::vector<std::int32_t> global(nloc);
          for (std::size_t j = 0; j < nloc; ++j) global[j] = dict_.code(c.dict.cell(j));
          for (std::size_t r = 0; r < n; ++r) {
            const auto code = c.codes[r];
            if (code < 0) continue;
            codes_[row0 + r] = global[static_cast<std::size_t>(code)];
            valid_[row0 + r] = 1;
          }
          if (mostly_distinct()) switch_to_text(row0 + n);
          return;
        }
        std::vector<std::string> nfc(nloc);
        for (std::size_t j = 0; j < nloc; ++j) {
          const auto v = c.dict.cell(j);
          nfc[j] = detail::is_ascii(v) || detail::is_nfc(v) ? std::string(v) : detail::to_nfc(v);
        }
        for (std::size_t r = 0; r < n; ++r) {
          const auto code = c.codes[r];
          if (code >= 0) {
            blob_ += nfc[static_cast<std::size_t>(code)];
            valid_[row0 + r] = 1;
          }
          offsets_.push_back(blob_.size());
        }
        return;
      }
      case column_type::boolean: {
        std::vector<int> truth(nloc);
        for (std::size_t j = 0; j < nloc; ++j) {
          const auto v = c.dict.cell(j);
          truth[j] = parse_boolean(detail::is_ascii(v) ? v : detail::to_nfc(v));
        }
        for (std::size_t r = 0; r < n; ++r) {
          const auto code = c.codes[r];
          if (code < 0) continue;
          const int b = truth[static_cast<std::size_t>(code)];
          if (b < 0)
            fail(row0 + r, quoted(value(code)) + " is not a boolean (true/false, có/không)");
          bytes_[row0 + r] = static_cast<std::uint8_t>(b);
          valid_[row0 + r] = 1;
        }
        return;
      }
      case column_type::date: {
        std::vector<day_number> day(nloc, 0);
        std::vector<std::uint8_t> ok(nloc, 0);
        for (std::size_t j = 0; j < nloc; ++j) {
          const auto v = c.dict.cell(j);
          int y = 0, m = 0, d = 0;
          ok[j] = parse_date_shape(v, y, m, d) != date_shape::none && valid_date(y, m, d, day[j])
                      ? 1
                      : 0;
        }
        for (std::size_t r = 0; r < n; ++r) {
          const auto code = c.codes[r];
          if (code < 0) continue;
          const auto j = static_cast<std::size_t>(code);
          if (ok[j] == 0)
            fail(row0 + r, quoted(value(code)) + " is not a date (dd/mm/yyyy or yyyy-mm-dd)");
          days_[row0 + r] = day[j];
          valid_[row0 + r] = 1;
        }
        return;
      }
      case column_type::category_list: {
        // Each distinct cell split once; first appearances in order, so the dictionary's order
        // is the file's.
        std::vector<std::uint32_t> begin(nloc + 1, 0);
        std::vector<std::int32_t> items;
        std::vector<std::uint8_t> missing(nloc, 0);
        for (std::size_t j = 0; j < nloc; ++j) {
          missing[j] = list_items(c.dict.cell(j), items) ? 1 : 0;
          begin[j + 1] = static_cast<std::uint32_t>(items.size());
        }
        if (codes_.capacity() == 0 && n != 0) {
          // Room for the items of every row at this chunk's items per row, and an eighth more
          // (reserved room costs nothing until written): no regrowth and copy of the items.
          std::size_t here = 0;
          for (std::size_t r = 0; r < n; ++r) {
            const auto code = c.codes[r];
            if (code >= 0) {
              here +=
                  begin[static_cast<std::size_t>(code) + 1] - begin[static_cast<std::size_t>(code)];
            }
          }
          const double per_row = static_cast<double>(here) / static_cast<double>(n);
          reserve_(codes_,
                   static_cast<std::size_t>(per_row * static_cast<double>(rows_ + rows_ / 8)) + 64);
        }
        for (std::size_t r = 0; r < n; ++r) {
          const auto code = c.codes[r];
          if (code < 0) {
            add_list(c.spelled(cx_, r), row0 + r);
            continue;
          }
          const auto j = static_cast<std::size_t>(code);
          if (missing[j] != 0) {
            valid_[row0 + r] = 0;
          } else {
            codes_.insert(codes_.end(), items.begin() + begin[j], items.begin() + begin[j + 1]);
          }
          list_offsets_.push_back(static_cast<std::uint32_t>(codes_.size()));
        }
        return;
      }
      case column_type::number:
      case column_type::integer: {
        raw_column raw;
        for (std::size_t r = 0; r < n; ++r) raw.add(c.spelled(cx_, r));
        add_raw(raw, n, row0);
        return;
      }
    }
  }

  column finish() {
    switch (type_) {
      case column_type::number:
        return column::number(name_, buffer<double>(std::move(nums_)));
      case column_type::integer:
        return column::integer(name_, buffer<std::int64_t>(std::move(ints_)), std::move(valid_));
      case column_type::boolean:
        return column::boolean(name_, std::move(bytes_), std::move(valid_));
      case column_type::date:
        return column::date(name_, std::move(days_), std::move(valid_));
      case column_type::category:
      case column_type::text:
        if (!as_text_) return column::category(name_, std::move(codes_), dict_.dictionary());
        return column::text(name_, std::move(blob_), std::move(offsets_), std::move(valid_));
      case column_type::category_list:
        return column::category_list(name_, std::move(list_offsets_), std::move(codes_),
                                     dict_.dictionary(), std::move(valid_));
    }
    throw error("unknown column type");
  }

 private:
  [[noreturn]] static void fail(std::size_t row, const std::string& what) {
    throw cell_error{row, what};
  }

  /// A text column's chunk whose cells are all ASCII and present (ids, codes): its bytes are
  /// the blob's next bytes as they are, its ends the offsets (nothing to normalise, no cell to
  /// leave out). False, with nothing added, otherwise.
  bool add_ascii_text(const raw_column& raw, std::size_t n, std::size_t row0) {
    if (!detail::is_ascii(std::string_view(raw.bytes.data(), raw.bytes.size()))) return false;
    for (std::size_t r = 0; r < n; ++r) {
      if (cx_.is_na(raw.cell(r))) return false;
    }
    const std::size_t base = blob_.size();
    blob_.append(raw.bytes.data(), raw.bytes.size());
    for (std::size_t r = 0; r < n; ++r) offsets_.push_back(base + raw.ends[r]);
    std::fill_n(valid_.begin() + static_cast<std::ptrdiff_t>(row0), n, std::uint8_t{1});
    return true;
  }

  void add_string(std::string_view s, std::size_t row) {
    const bool na = cx_.is_na(s);
    if (as_text_) {
      if (!na) {
        valid_[row] = 1;
        if (detail::is_ascii(s) || detail::is_nfc(s)) {
          blob_ += s;
        } else {
          blob_ += detail::to_nfc(s);
        }
      }
      offsets_.push_back(blob_.size());
      return;
    }
    if (na) return;
    valid_[row] = 1;
    codes_[row] = dict_.code(s);
    // Mostly distinct values (names, notes): text, not a category. The dictionary only grows,
    // so once past the bound (the column's count of present cells is known) it stays past it:
    // switch now rather than intern every remaining value.
    if (mostly_distinct()) switch_to_text(row + 1);
  }

  [[nodiscard]] bool mostly_distinct() const {
    return inferred_ && dict_.size() > 16 &&
           static_cast<double>(dict_.size()) >
               cx_.opt.category_max_ratio * static_cast<double>(present_);
  }

  /// The rows before `rows_done` as text, and text from there on.
  void switch_to_text(std::size_t rows_done) {
    reserve_(offsets_, rows_ + 1);
    offsets_.push_back(0);
    for (std::size_t r = 0; r < rows_done; ++r) {
      if (codes_[r] >= 0) blob_ += dict_.value(codes_[r]);
      offsets_.push_back(blob_.size());
    }
    codes_ = {};
    dict_ = interner{};
    as_text_ = true;
    // The rest at the same length per row, and an eighth more (room reserved costs nothing
    // until written): the blob is not regrown and copied.
    if (rows_done != 0) expect_text_bytes(blob_.size() * (rows_ + rows_ / 8) / rows_done + 64);
  }

  void add_list(std::string_view s, std::size_t row) {
    // An empty cell is an empty list ("no prizes"); the other NA markers are missing. Items are
    // read without the blanks around them, so the marker is too ("\tnull " is missing, not a
    // list holding "null" that would be written back as a missing cell).
    if (list_items(s, codes_)) valid_[row] = 0;
    list_offsets_.push_back(static_cast<std::uint32_t>(codes_.size()));
  }

  /// Appends the codes of the items of list cell `s` to `out`; true if the cell is missing.
  bool list_items(std::string_view s, std::vector<std::int32_t>& out) {
    std::string_view bare = s;
    while (!bare.empty() && (bare.front() == ' ' || bare.front() == '\t')) bare.remove_prefix(1);
    while (!bare.empty() && (bare.back() == ' ' || bare.back() == '\t')) bare.remove_suffix(1);
    if (!bare.empty() && cx_.is_na(bare)) return true;
    std::size_t b = 0;
    while (b <= s.size()) {
      std::size_t e = b;
      while (e < s.size() && !is_list_sep_[static_cast<unsigned char>(s[e])]) ++e;
      auto item = s.substr(b, e - b);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!item.empty()) out.push_back(dict_.code(item));
      b = e + 1;
    }
    return false;
  }

  const reader_context& cx_;
  std::string name_;
  column_type type_;
  bool inferred_;
  std::size_t rows_;
  std::size_t present_;
  bool as_text_ = false;
  std::vector<double> nums_;
  std::vector<std::int64_t> ints_;
  std::vector<std::uint8_t> bytes_, valid_;
  std::vector<day_number> days_;
  std::vector<std::int32_t> codes_;
  std::vector<std::uint32_t> list_offsets_;
  std::string blob_;
  std::vector<std::uint64_t> offsets_;
  interner dict_;
  std::array<bool, 256> is_list_sep_{};
};

/// The header name closest to `name` (edit distance after folding case and diacritics), for
/// "did you mean"; "" for an empty header.
std::string nearest_name(const std::vector<std::string>& header, std::string_view name) {
  std::string hint;
  std::size_t best = std::numeric_limits<std::size_t>::max();
  const auto folded = detail::fold_for_matching(name);
  for (const auto& h : header) {
    const auto d = edit_distance(detail::fold_for_matching(h), folded);
    if (d < best) {
      best = d;
      hint = h;
    }
  }
  return hint;
}

/// Reads CSV text (the whole file after any BOM, in memory or memory-mapped). `pages(b, e,
/// done)`, if given, is told that bytes [b, e) of `text` are about to be read (done = false:
/// their pages may be mapped in at once) or were read (done = true: they may be released).
pool read_text(std::string_view text, const csv_options& options, std::string_view name,
               const std::function<void(std::size_t, std::size_t, bool)>& pages) {
  const std::string file(name);
  const char sep = options.separator != 0 ? options.separator : detect_separator(text);
  const char decimal = options.decimal != 0 ? options.decimal : (sep == ';' ? ',' : '.');
  if (sep == '"' || sep == '\n' || sep == '\r') {
    detail::require_text(text, file);  // invalid text is reported first
    throw spec_error("the separator cannot be a quote or a line break");
  }
  const std::size_t n = text.size();

  // The header, read alone: it fixes the number of columns.
  detail::csv_tokenizer tok(text, name,
                            {.separator = sep, .max_field_lines = options.max_field_lines});
  if (!tok.at_record()) {
    detail::require_text(text, file);
    throw parse_error("the file is empty (no header line)", tok.loc(1, 0));
  }
  const std::size_t header_line = tok.line();
  std::vector<std::string> header;
  try {
    tok.read_record(
        [&](std::size_t, std::string_view field, std::size_t) { header.emplace_back(field); });
  } catch (const parse_error&) {
    detail::require_text(text, file);
    throw;
  }
  const std::size_t data_start = tok.pos();
  const std::size_t data_line = tok.line();
  {
    const auto head = text.substr(0, data_start);
    if (detail::find_invalid_utf8(head) || head.find('\0') != std::string_view::npos) {
      detail::require_text(text, file);
    }
  }
  for (auto& h : header) h = detail::to_nfc(h);
  const std::size_t ncols = header.size();

  // Declared types (checked for unknown names later, in the order errors are reported).
  std::vector<std::optional<column_type>> declared(ncols);
  {
    std::unordered_map<std::string, std::size_t> first;
    for (std::size_t k = 0; k < ncols; ++k) first.emplace(header[k], k);
    for (const auto& [col_name, type] : options.schema) {
      if (auto it = first.find(detail::to_nfc(col_name)); it != first.end())
        declared[it->second] = type;
    }
    if (auto it = first.find(detail::to_nfc(options.id_column)); it != first.end())
      declared[it->second] = column_type::text;
  }
  reader_context cx{.text = text,
                    .name = name,
                    .opt = options,
                    .sep = sep,
                    .decimal = decimal,
                    .ncols = ncols,
                    .infer = {},
                    .numeric_first = {},
                    .text_column = {},
                    .keep = {},
                    .huge_pages = false,
                    .na_longest = 0,
                    .na_first = {}};
  cx.index_na_values();
  // Huge pages for the chunks' cells and the columns only where they pay (not under a
  // hypervisor that takes free memory back: detail::huge_pages_pay), and when the kernel has
  // about as much free in 2 MB blocks as the text: else their faults would wait for compaction.
  cx.huge_pages = n >= (std::size_t{8} << 20U) && detail::huge_pages_pay() &&
                  detail::free_huge_page_bytes() >= n;
  cx.infer.resize(ncols);
  cx.numeric_first.resize(ncols);
  cx.text_column.resize(ncols);
  cx.keep.assign(ncols, options.columns.empty() ? 1 : 0);
  if (!options.columns.empty()) {
    std::unordered_map<std::string, std::size_t> first;
    for (std::size_t k = 0; k < ncols; ++k) first.emplace(header[k], k);
    for (const auto& c : options.columns) {
      if (auto it = first.find(detail::to_nfc(c)); it != first.end()) cx.keep[it->second] = 1;
    }
    if (auto it = first.find(detail::to_nfc(options.id_column)); it != first.end())
      cx.keep[it->second] = 1;
  }
  for (std::size_t k = 0; k < ncols; ++k) {
    cx.infer[k] = declared[k] ? 0 : 1;
    cx.text_column[k] = declared[k] && *declared[k] == column_type::text ? 1 : 0;
    cx.numeric_first[k] =
        !declared[k] || *declared[k] == column_type::number || *declared[k] == column_type::integer
            ? 1
            : 0;
  }

  // Chunks: each ends right after a line break (never inside a UTF-8 sequence).
  const std::size_t step =
      std::max<std::size_t>(1, options.chunk_bytes != 0 ? options.chunk_bytes : kDefaultChunk);
  std::vector<std::size_t> cuts{data_start};
  while (n - cuts.back() > step) {
    const auto nl = text.find('\n', cuts.back() + step - 1);
    if (nl == std::string_view::npos || nl + 1 >= n) break;
    cuts.push_back(nl + 1);
  }
  const std::size_t m = cuts.size();
  cuts.push_back(n);
  // Per worker, per column (and one for the rows' line numbers): where chunk cells live.
  const unsigned workers = detail::worker_count(m, options.threads);
  std::vector<std::unique_ptr<chunk_arena>> arena_store(std::size_t{workers} * (ncols + 1));
  std::vector<chunk_arena*> arenas(arena_store.size());
  // Blocks start at about what each arena will hold (the text over the arenas; the cells take
  // about as many bytes as the text), rounded down to a power of two.
  const std::size_t first_block = std::bit_floor(std::max<std::size_t>(1, n / arena_store.size()));
  for (std::size_t i = 0; i < arena_store.size(); ++i) {
    arena_store[i] = std::make_unique<chunk_arena>(first_block, cx.huge_pages);
    arenas[i] = arena_store[i].get();
  }
  const auto arenas_of = [&](unsigned worker) { return arenas.data() + worker * (ncols + 1); };
  std::vector<chunk> chunks(m);

  // Progress from the calling thread only (worker 0), never decreasing.
  std::atomic<std::size_t> done_bytes{data_start};
  std::size_t reported = 0;
  const auto report = [&](std::size_t partial) {
    const std::size_t d = std::min(n, done_bytes.load(std::memory_order_relaxed) + partial);
    if (d > reported) {
      reported = d;
      options.progress(d, n);
    }
  };
  const std::function<void(std::size_t)> tick = [&](std::size_t partial) { report(partial); };
  // Per worker, per column: the dictionary tables of the chunk being tokenized.
  std::vector<std::vector<std::vector<dict_slot>>> tables(workers);
  detail::parallel_for(m, options.threads, [&](std::size_t i, unsigned worker) {
    const std::size_t b = cuts[i];
    const std::size_t e = cuts[i + 1];
    if (pages) pages(b, e, false);
    const auto part = text.substr(b, e - b);
    if (!valid_utf8(part)) {  // or a NUL byte
      chunks[i].start = b;
      chunks[i].end = e;
      chunks[i].bad_text = true;
      return;
    }
    const bool reports = worker == 0 && static_cast<bool>(options.progress);
    chunks[i] =
        tokenize_chunk(cx, b, e, reports ? &tick : nullptr, tables[worker], arenas_of(worker));
    if (pages) pages(b, e, true);
    done_bytes.fetch_add(e - b, std::memory_order_relaxed);
    if (reports) report(0);
  });

  // Errors in the order the sequential reader met them: the text, the header, the records.
  for (const auto& ch : chunks) {
    if (ch.bad_text) detail::require_text(text, file);
  }
  for (std::size_t k = 0; k < ncols; ++k) {
    if (header[k].empty()) {
      throw parse_error("column " + std::to_string(k + 1) + " of the header has no name",
                        tok.loc(header_line, 0));
    }
  }
  // Commit: each chunk must start where the previous one ended, else it is read again from
  // there (the cut fell inside a record).
  {
    std::size_t pos = data_start, line = data_line, rows = 0;
    for (auto& ch : chunks) {
      if (ch.start != pos) {
        ch = tokenize_chunk(cx, pos, std::max(pos, ch.end), nullptr, tables.front(), arenas_of(0));
        if (pages) pages(ch.start, ch.stop, true);
      }
      if (ch.error) {
        location where = ch.error->where();
        where.line += line - 1;
        throw parse_error(ch.error->message(), std::move(where));
      }
      ch.base_line = line;
      ch.row0 = rows;
      rows += ch.rows();
      line += ch.lines;
      pos = ch.stop;
    }
  }
  tables = {};
  if (options.progress && reported < n) options.progress(n, n);
  std::size_t rows = 0;
  for (const auto& ch : chunks) rows += ch.rows();
  const auto chunk_of = [&](std::size_t r) -> const chunk& {
    auto it = std::upper_bound(chunks.begin(), chunks.end(), r,
                               [](std::size_t x, const chunk& c) { return x < c.row0; });
    return *std::prev(it);
  };
  const auto line_of = [&](std::size_t r) -> std::size_t {
    const chunk& ch = chunk_of(r);
    return ch.base_line + ch.row_line[r - ch.row0];
  };

  std::unordered_map<std::string, std::size_t> by_name;
  for (std::size_t k = 0; k < ncols; ++k) {
    if (!by_name.emplace(header[k], k).second) {
      throw schema_error("the header names this column twice",
                         location{.file = file, .line = 1, .field = header[k]});
    }
  }
  for (const auto& [col_name, type] : options.schema) {
    if (by_name.find(detail::to_nfc(col_name)) == by_name.end()) {
      throw schema_error("the schema names a column the file does not have",
                         location{.file = file, .line = 1, .field = col_name});
    }
  }
  if (!options.ignore_missing_columns) {
    for (const auto& col_name : options.columns) {
      if (by_name.find(detail::to_nfc(col_name)) != by_name.end()) continue;
      const auto hint = nearest_name(header, col_name);
      throw schema_error("the columns to read name a column the file does not have" +
                             (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"),
                         location{.file = file, .line = 1, .field = col_name});
    }
  }
  const auto id_it = by_name.find(detail::to_nfc(options.id_column));
  if (id_it == by_name.end()) {
    const auto hint = nearest_name(header, options.id_column);
    throw schema_error("no id column \"" + options.id_column + "\" in the header" +
                           (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"),
                       location{.file = file, .line = 1});
  }
  const std::size_t id_k = id_it->second;

  // Merge each column from its chunks, columns in parallel; each task writes only its slot.
  std::vector<std::optional<column>> converted(ncols);
  std::vector<std::optional<cell_error>> errors(ncols);
  std::vector<std::optional<cell_error>> mixed(ncols);
  detail::parallel_for(ncols, options.threads, [&](std::size_t k) {
    if (cx.keep[k] == 0) return;  // not read (csv_options::columns)
    try {
      const bool inferred = !declared[k].has_value();
      column_type type = column_type::text;
      std::size_t present = 0;
      if (inferred) {
        column_facts f;
        for (const auto& ch : chunks) {
          const auto& g = ch.cols[k].facts;
          f.all_int = f.all_int && g.all_int;
          f.all_num = f.all_num && g.all_num;
          f.all_bool = f.all_bool && g.all_bool;
          f.all_date = f.all_date && g.all_date;
          f.any_pipe = f.any_pipe || g.any_pipe;
          f.numberish = f.numberish && g.numberish;
          f.numbers += g.numbers;
          f.present += g.present;
          if (!f.mixed && g.mixed) f.mixed = cell_error{ch.row0 + g.mixed->row, g.mixed->message};
        }
        present = f.present;
        type = infer_type(f, mixed[k]);
      } else {
        type = *declared[k];
      }
      if (mixed[k] && options.mixed_columns == csv_options::mixed_policy::error) {
        auto e = *mixed[k];
        mixed[k].reset();
        e.message +=
            "; the other cells of the column are numbers (correct the cell, or read the column "
            "as text with mixed_columns=text)";
        throw e;
      }
      column_builder b(cx, header[k], type, inferred, rows, present);
      {
        std::size_t text_bytes = 0;  // the cells kept as written: a text column's size
        for (const auto& ch : chunks) text_bytes += ch.cols[k].raw.bytes.size();
        b.expect_text_bytes(text_bytes);
      }
      for (auto& ch : chunks) {
        auto& c = ch.cols[k];
        if (b.takes_numbers(c.kind)) {
          b.add_numbers(c, ch.row0);
        } else if (c.kind == chunk_column::repr::strings) {
          b.add_raw(c.raw, ch.rows(), ch.row0);
        } else if (c.kind == chunk_column::repr::codes) {
          b.add_codes(c, ch.row0);
        } else {
          b.add_raw(rescan(cx, ch.start, ch.stop, {k}).front(), ch.rows(), ch.row0);
        }
        c = chunk_column{};  // free this chunk's cells early
      }
      converted[k] = b.finish();
    } catch (const cell_error& e) {
      errors[k] = e;
    }
  });
  // Report the first bad cell in file order (lowest row, then leftmost column).
  std::optional<std::size_t> worst;
  for (std::size_t k = 0; k < ncols; ++k) {
    if (errors[k] && (!worst || errors[k]->row < errors[*worst]->row)) worst = k;
  }
  if (worst) {
    const auto& e = *errors[*worst];
    location where{.file = file, .line = line_of(e.row), .field = header[*worst]};
    if (*worst != id_k) {
      const chunk& ch = chunk_of(e.row);
      where.row_id =
          std::string(rescan(cx, ch.start, ch.stop, {id_k}).front().cell(e.row - ch.row0));
    }
    throw data_error(e.message, std::move(where));
  }
  if (options.warning) {
    for (std::size_t k = 0; k < ncols; ++k) {
      if (!mixed[k]) continue;
      location where{.file = file, .line = line_of(mixed[k]->row), .field = header[k]};
      options.warning(where.str() + ": " + mixed[k]->message +
                      "; the other cells are numbers: the column is read as " +
                      std::string(to_string(converted[k]->type())));
    }
  }
  std::vector<column> columns;
  columns.reserve(ncols);
  for (auto& c : converted) {
    if (c) columns.push_back(std::move(*c));
  }
  std::vector<std::string> unread;
  for (std::size_t k = 0; k < ncols; ++k) {
    if (cx.keep[k] == 0) unread.push_back(header[k]);
  }
  return pool(std::move(columns), options.id_column,
              [&](std::size_t r) { return file + ":" + std::to_string(line_of(r)); })
      .with_unread_columns(std::move(unread));
}

/// A read-only private mapping of a whole regular file.
class mapped_file {
 public:
  mapped_file(int fd, std::size_t size) : size_(size) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) data_ = static_cast<const char*>(p);
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  [[nodiscard]] bool ok() const { return data_ != nullptr; }
  [[nodiscard]] std::string_view view() const { return {data_, size_}; }
  /// Maps in the pages of [b, e) at once (one call instead of a fault every few pages; the
  /// file's pages are in the page cache or read ahead). Advice only: failure is fine.
  void populate(std::size_t b, std::size_t e) const {
#if defined(MADV_POPULATE_READ)
    static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t pb = b / page * page;
    const std::size_t pe = std::min(size_, (std::min(e, size_) + page - 1) / page * page);
    if (pb < pe) ::madvise(const_cast<char*>(data_) + pb, pe - pb, MADV_POPULATE_READ);
#else
    (void)b;
    (void)e;
#endif
  }
  /// Releases the pages wholly inside [b, e) (offsets into view()); they read again from the
  /// file if touched later. Keeps the resident size near one chunk per thread.
  void drop(std::size_t b, std::size_t e) const {
    static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t pb = (b + page - 1) / page * page;
    const std::size_t pe = std::min(e, size_) / page * page;
    if (pb < pe) ::madvise(const_cast<char*>(data_) + pb, pe - pb, MADV_DONTNEED);
  }

 private:
  const char* data_ = nullptr;
  std::size_t size_;
};

}  // namespace

pool read_csv_text(std::string_view text, const csv_options& options, std::string_view name) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return read_text(text, options, name, {});
}

pool read_csv(const std::string& path, const csv_options& options) {
  // A regular file is memory-mapped and its pages released as chunks are read, so the whole
  // text is never resident; pipes, empty files and anything mmap refuses are read into memory.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    std::optional<mapped_file> map;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (options.max_bytes == 0 || static_cast<std::uint64_t>(st.st_size) <= options.max_bytes)) {
      map.emplace(fd, static_cast<std::size_t>(st.st_size));
    }
    ::close(fd);
    if (map && map->ok()) {
      std::string_view text = map->view();
      std::size_t skip = 0;
      if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") skip = 3;
      text.remove_prefix(skip);
      const mapped_file& mf = *map;
      return read_text(text, options, path, [&mf, skip](std::size_t b, std::size_t e, bool done) {
        if (done) {
          mf.drop(b + skip, e + skip);
        } else {
          mf.populate(b + skip, e + skip);
        }
      });
    }
  }
  const std::string text = read_user_file(path, options.max_bytes);  // its errors, or a pipe
  return read_csv_text(text, options, path);
}

std::string csv_quote(std::string_view field, char separator) {
  const bool needs =
      field.find_first_of(std::string{'"', '\n', '\r', separator}) != std::string_view::npos;
  if (!needs) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {
bool is_default_na(std::string_view cell) {
  static const csv_options defaults;
  return std::find(defaults.na_values.begin(), defaults.na_values.end(), cell) !=
         defaults.na_values.end();
}
}  // namespace

std::string write_csv_text(const pool& p, const csv_write_options& options) {
  std::string out;
  if (options.bom) out += "\xEF\xBB\xBF";
  const auto& cols = p.columns();
  for (std::size_t k = 0; k < cols.size(); ++k) {
    if (k) out += options.separator;
    out += csv_quote(cols[k].name(), options.separator);
  }
  out += '\n';
  for (std::size_t r = 0; r < p.size(); ++r) {
    for (std::size_t k = 0; k < cols.size(); ++k) {
      if (k) out += options.separator;
      const auto& c = cols[k];
      std::string cell = c.format(r);
      if (!c.is_valid(r) && c.type() == column_type::category_list) {
        cell = "NA";  // an empty cell reads back as an empty list, not a missing one
      } else if (c.is_valid(r) && c.type() == column_type::category_list && is_default_na(cell)) {
        // A list of one item spelled like a missing-value marker ("null"): a trailing item
        // separator keeps it a list (empty items are skipped) instead of reading back missing.
        cell += '|';
      } else if (c.is_valid(r)) {
        if (c.type() == column_type::number) {
          // Keep whole numbers recognisable as numbers ("2.0", not "2") so a re-read infers the
          // same type.
          if (cell.find_first_of(".eEin") == std::string::npos) cell += ".0";
          if (options.decimal != '.') std::replace(cell.begin(), cell.end(), '.', options.decimal);
        } else if (c.type() == column_type::date && options.vietnamese_dates) {
          cell = cell.substr(8, 2) + "/" + cell.substr(5, 2) + "/" + cell.substr(0, 4);
        }
      }
      out += csv_quote(cell, options.separator);
    }
    out += '\n';
  }
  return out;
}

void write_csv(const pool& p, const std::string& path, const csv_write_options& options) {
  write_file_atomic(path, write_csv_text(p, options));
}

std::vector<std::pair<std::string, column_type>> parse_schema(std::string_view text,
                                                              std::string_view source) {
  std::vector<std::pair<std::string, column_type>> out;
  std::size_t line = 1;
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\r')) {
      v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
      v.remove_suffix(1);
    }
    return v;
  };
  std::size_t b = 0;
  while (b <= text.size()) {
    std::size_t e = text.find_first_of(",\n", b);
    if (e == std::string_view::npos) e = text.size();
    std::string_view item = trim(text.substr(b, e - b));
    const location where{.file = std::string(source), .line = line};
    if (!item.empty() && item.front() != '#') {
      const auto colon = item.rfind(':');
      if (colon == std::string_view::npos || colon == 0) {
        throw spec_error("\"" + std::string(item) + "\" is not COLUMN:TYPE", where);
      }
      const std::string name(trim(item.substr(0, colon)));
      try {
        out.emplace_back(name, parse_column_type(trim(item.substr(colon + 1))));
      } catch (const spec_error& err) {
        throw spec_error("column \"" + name + "\": " + err.message(), where);
      }
    }
    if (e < text.size() && text[e] == '\n') ++line;
    b = e + 1;
  }
  return out;
}

}  // namespace khuyenhoc
