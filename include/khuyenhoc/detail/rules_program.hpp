#pragma once
/// \file detail/rules_program.hpp
/// The compiled form of a rule expression and its evaluation kernels. A program is a tree of
/// column operations stored in post-order in a vector; it is evaluated over a chunk of rows at a
/// time, each node writing its values and validity into its own slot of a per-thread scratch
/// area (plain loops over arrays that the compiler vectorises). No virtual call and no
/// allocation per row: the only per-row branching is in list and text kernels.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "khuyenhoc/detail/decimal.hpp"
#include "khuyenhoc/pool.hpp"
#include "khuyenhoc/rules.hpp"

namespace khuyenhoc::detail::rules {

/// Operations of the compiled tree.
enum class op : std::uint8_t {
  constant,      ///< number/date/boolean constant `number`
  col_number,    ///< number column
  col_integer,   ///< integer column (converted to double)
  col_date,      ///< date column (days, as double)
  col_datetime,  ///< date column with times of day (days + seconds / 86400, as double)
  col_boolean,   ///< boolean column
  col_category,  ///< category column (string; only its validity is a view)
  col_text,      ///< text column (string)
  col_list,      ///< category_list column (list)
  str_const,     ///< string literal strings[0]
  cat_table,     ///< boolean: table[code of category column a]; missing when the code is -1
  text_pred,     ///< boolean: text column a equals (mode 0) / starts with (mode 1) any of strings
  str_equal,     ///< boolean: string sources a and b equal (negate: differ)
  list_len,      ///< number of items of list a
  list_count,    ///< number of items of list a with table[item]
  list_any,      ///< some item of list a has table[item]
  list_all,      ///< every item of list a has table[item]
  list_streak,   ///< longest run of consecutive items with table[item]
  list_recent,   ///< run of items with table[item] starting at the first (newest) item
  neg,
  add,
  sub,
  mul,
  div,
  abs,
  min,
  max,
  avg,         ///< mean of the present args (missing only when all are)
  avg_strict,  ///< mean of args, missing when any is
  round,       ///< round_decimal(a, mode places, half up)
  floor,       ///< round_decimal(a, mode places, floor)
  ceil,        ///< round_decimal(a, mode places, ceil)
  year,
  age,
  days_between,
  lt,
  le,
  gt,
  ge,
  eq,
  ne,
  in_set,   ///< a is one of `set`
  between,  ///< b <= a <= c
  and_,
  or_,
  not_,
  is_missing,
  is_present,
  if_,
};

/// One node of a program. Children are indices of earlier nodes.
struct node {
  op kind = op::constant;
  value_type type = value_type::boolean;
  bool negate = false;         ///< str_equal / text_pred / in_set: negated
  bool bool_operands = false;  ///< eq / ne: compare booleans
  std::uint8_t mode = 0;       ///< text_pred: 0 equals, 1 starts with; round/floor/ceil: places
  std::int32_t a = -1, b = -1, c = -1;
  std::vector<std::int32_t> args{};  ///< min / max
  std::int32_t column = -1;          ///< bound column slot
  double number = 0;
  std::vector<std::uint8_t> table{};   ///< per dictionary code
  std::vector<double> set{};           ///< in_set
  std::vector<std::string> strings{};  ///< text_pred, str_const
};

/// A column a program reads: checked against the pool when binding.
struct column_ref {
  std::string name{};
  column_type type = column_type::number;
  std::vector<std::string> dictionary{};  ///< category / list: codes are compiled against it
};

/// A compiled expression.
struct program {
  std::string text{};
  std::vector<node> nodes{};
  std::int32_t root = -1;
  value_type type = value_type::boolean;
  std::vector<column_ref> columns{};
  std::vector<diagnostic> warnings{};
};

/// The values of a node over a chunk: pointers into a column or the node's scratch slot.
struct view {
  const double* num = nullptr;
  const std::uint8_t* b = nullptr;
  const std::uint8_t* valid = nullptr;
};

/// Per-thread working memory: one slot (doubles, booleans, validity) per node.
class scratch {
 public:
  scratch(std::size_t nodes, std::size_t chunk)
      : chunk_(chunk),
        num_(nodes * chunk),
        b_(nodes * chunk),
        valid_(nodes * chunk),
        ones_(chunk, 1),
        alive_(chunk),
        tmp_(chunk),
        converted_(conversion_slots * chunk) {}
  [[nodiscard]] double* num(std::size_t node) noexcept { return num_.data() + node * chunk_; }
  [[nodiscard]] std::uint8_t* b(std::size_t node) noexcept { return b_.data() + node * chunk_; }
  [[nodiscard]] std::uint8_t* valid(std::size_t node) noexcept {
    return valid_.data() + node * chunk_;
  }
  [[nodiscard]] const std::uint8_t* ones() const noexcept { return ones_.data(); }
  /// Rule sets: 1 per row of the chunk while no reject rule excluded it.
  [[nodiscard]] std::uint8_t* alive() noexcept { return alive_.data(); }
  /// A chunk of doubles a node may use while it computes its own values (not kept).
  [[nodiscard]] double* tmp() noexcept { return tmp_.data(); }
  /// Where the rows [start, start+n) of `column` converted to doubles are kept while the chunk
  /// is evaluated: the rules of a set read the same integer and date columns again and again.
  /// Sets `fresh` when the caller must fill the returned n doubles. Slots are only reused for
  /// another chunk (another `start`), never within one, so views into them stay valid while the
  /// chunk is evaluated; nullptr when all are taken (the caller converts into its own slot).
  [[nodiscard]] double* converted(const void* column, std::size_t start, std::size_t n,
                                  bool& fresh) noexcept {
    if (used_ != 0 && (keys_[0].start != start || keys_[0].n != n)) used_ = 0;  // a new chunk
    for (std::size_t k = 0; k < used_; ++k) {
      if (keys_[k].column == column) {
        fresh = false;
        return converted_.data() + k * chunk_;
      }
    }
    if (used_ == conversion_slots) return nullptr;
    keys_[used_] = {column, start, n};
    fresh = true;
    return converted_.data() + used_++ * chunk_;
  }
  [[nodiscard]] std::size_t nodes() const noexcept { return chunk_ ? num_.size() / chunk_ : 0; }
  [[nodiscard]] std::size_t chunk() const noexcept { return chunk_; }

 private:
  std::size_t chunk_;
  std::vector<double> num_;
  std::vector<std::uint8_t> b_, valid_, ones_, alive_;
  std::vector<double> tmp_;
  static constexpr std::size_t conversion_slots = 8;
  struct conversion_key {
    const void* column = nullptr;
    std::size_t start = 0, n = 0;
  };
  std::vector<double> converted_;
  conversion_key keys_[conversion_slots] = {};
  std::size_t used_ = 0;
};

/// int64 -> double over a chunk. When every value lies within ±2^51 (integer columns of a pool
/// practically always do) it adds the bits of 2^52 + 2^51 and subtracts that number again,
/// which is exact and vectorises with plain SSE2 (which has no int64 -> double instruction);
/// otherwise it converts again, value by value.
inline void int64_to_double(const std::int64_t* v, double* out, std::size_t n) {
  constexpr std::uint64_t half_range = std::uint64_t{1} << 51;
  constexpr std::uint64_t magic_bits = 0x4338000000000000ULL;  // the double 2^52 + 2^51
  constexpr double magic = 6755399441055744.0;
  std::uint64_t outside = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const auto x = static_cast<std::uint64_t>(v[r]);
    outside |= (x + half_range) >> 52U;
    const std::uint64_t bits = x + magic_bits;
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    out[r] = d - magic;
  }
  if (outside != 0) {
    for (std::size_t r = 0; r < n; ++r) out[r] = static_cast<double>(v[r]);
  }
}

/// Civil date (y, m, d) from days since 1970-01-01 (H. Hinnant's algorithm, branch-free).
inline void civil_from_days(std::int64_t z, std::int64_t& y, std::int64_t& m, std::int64_t& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

/// A day number as an integer, clamped to ±1e9 days (date arithmetic can leave the calendar;
/// the cast of an out-of-range double would be undefined).
inline std::int64_t to_days(double x) {
  return x >= -1e9 && x <= 1e9 ? static_cast<std::int64_t>(x)
                               : (x > 0 ? 1'000'000'000 : -1'000'000'000);
}

/// Full years between `birth` and `on` (days), as on a birthday certificate.
inline double age_in_years(double birth, double on) {
  std::int64_t y1 = 0, m1 = 0, d1 = 0, y2 = 0, m2 = 0, d2 = 0;
  civil_from_days(to_days(birth), y1, m1, d1);
  civil_from_days(to_days(on), y2, m2, d2);
  return static_cast<double>(y2 - y1 - ((m2 * 32 + d2) < (m1 * 32 + d1) ? 1 : 0));
}

/// The string value of a string-typed leaf node at `row` (valid rows only).
inline std::string_view string_at(const node& nd, const column* const* cols, std::size_t row) {
  switch (nd.kind) {
    case op::col_category:
      return cols[nd.column]->category_at(row);
    case op::col_text:
      return cols[nd.column]->text_at(row);
    default:
      return nd.strings.empty() ? std::string_view{} : std::string_view(nd.strings[0]);
  }
}

/// out[r] = valid[r] & (t[r] != 0) where t[r] is 0.0 or 1.0 and valid[r] is 0 or 1. It reads
/// the bits (1.0 has bit 60 set, 0.0 has none): GCC vectorises this narrowing from doubles to
/// bytes, and a comparison of doubles written as 0.0/1.0, but not a comparison of doubles
/// stored straight into bytes (with SSE2 it has no pattern for it), which then runs a row at a
/// time.
inline void bytes_from_ones(const double* t, const std::uint8_t* valid, std::uint8_t* out,
                            std::size_t n) {
  for (std::size_t r = 0; r < n; ++r) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, t + r, sizeof bits);
    out[r] = static_cast<std::uint8_t>(valid[r] & static_cast<std::uint8_t>(bits >> 60U));
  }
}

/// out[r] = valid[r] && f(x[r], y[r]) (y_step 1) or f(x[r], *y) (y_step 0). With SSE2, 16
/// rows at a time: eight double comparisons packed down to 16 bytes (`fv` is f on two lanes;
/// GCC does not vectorise a comparison of doubles stored into bytes by itself); the rest (and
/// without SSE2, all) through `tmp` (n doubles, not aliasing x or y) in two loops that
/// vectorise (see bytes_from_ones).
template <class F, class FV>
inline void compare(const double* x, const double* y, std::size_t y_step, const std::uint8_t* valid,
                    double* tmp, std::uint8_t* out, std::size_t n, F f, [[maybe_unused]] FV fv) {
  std::size_t done = 0;
#if defined(__SSE2__)
  // Saturating packs keep "all ones" as -1: 64 -> 16 -> 16 (pairs) -> 8 bits per row.
  const auto pack_and_store = [valid, out](const __m128i* m, std::size_t at) {
    const __m128i w01 = _mm_packs_epi32(m[0], m[1]), w23 = _mm_packs_epi32(m[2], m[3]);
    const __m128i w45 = _mm_packs_epi32(m[4], m[5]), w67 = _mm_packs_epi32(m[6], m[7]);
    const __m128i lo = _mm_packs_epi32(w01, w23), hi = _mm_packs_epi32(w45, w67);
    const __m128i bytes = _mm_packs_epi16(lo, hi);
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(valid + at));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + at), _mm_and_si128(bytes, v));
  };
  __m128i m[8];  // each 64-bit lane all ones or all zeros
  if (y_step == 0) {
    const __m128d c = _mm_set1_pd(*y);
    for (; done + 16 <= n; done += 16) {
      for (std::size_t j = 0; j < 8; ++j)
        m[j] = _mm_castpd_si128(fv(_mm_loadu_pd(x + done + 2 * j), c));
      pack_and_store(m, done);
    }
  } else {
    for (; done + 16 <= n; done += 16) {
      for (std::size_t j = 0; j < 8; ++j)
        m[j] = _mm_castpd_si128(fv(_mm_loadu_pd(x + done + 2 * j), _mm_loadu_pd(y + done + 2 * j)));
      pack_and_store(m, done);
    }
  }
#endif
  const std::size_t rest = n - done;
  x += done;
  valid += done;
  out += done;
  if (y_step == 0) {
    const double c = *y;
    for (std::size_t r = 0; r < rest; ++r) tmp[r] = f(x[r], c) ? 1.0 : 0.0;
  } else {
    y += done;
    for (std::size_t r = 0; r < rest; ++r) tmp[r] = f(x[r], y[r]) ? 1.0 : 0.0;
  }
  bytes_from_ones(tmp, valid, out, rest);
}

/// Comparison `kind` (lt … ne) of x with y (see compare), as decimals: two numbers closer than
/// detail::decimal_tolerance are equal (so `(8.7 + 8.1 + 8.7) / 3 >= 8.5` holds and
/// `1.1 + 2.2 == 3.3`), see detail/decimal.hpp. With NaN every comparison is false except
/// `!=`, as the C++ operators (missing rows are masked by the validity anyway).
inline void compare_op(op kind, const double* x, const double* y, std::size_t y_step,
                       const std::uint8_t* valid, double* tmp, std::uint8_t* out, std::size_t n) {
  const auto tol = [](double a, double b) {
    return std::max(decimal_abs_tolerance,
                    decimal_rel_tolerance * std::max(std::fabs(a), std::fabs(b)));
  };
#if defined(__SSE2__)
  const auto vtol = [](__m128d a, __m128d b) {
    const __m128d mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
    const __m128d m = _mm_max_pd(_mm_and_pd(a, mask), _mm_and_pd(b, mask));
    return _mm_max_pd(_mm_set1_pd(decimal_abs_tolerance),
                      _mm_mul_pd(m, _mm_set1_pd(decimal_rel_tolerance)));
  };
  const auto vabs = [](__m128d d) {
    return _mm_and_pd(d, _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL)));
  };
  const auto vneg = [](__m128d d) { return _mm_sub_pd(_mm_setzero_pd(), d); };
#define KHUYENHOC_RULES_VECTOR_CMP(body) [=](__m128d a, __m128d b) { return body; }
#else
#define KHUYENHOC_RULES_VECTOR_CMP(body) 0
#endif
  if (kind == op::eq && x == y && y_step == 1) {
    // x == x: "not NaN", the validity test of arithmetic nodes; exact.
    compare(
        x, y, 1, valid, tmp, out, n, [](double a, double b) { return a == b; },
        KHUYENHOC_RULES_VECTOR_CMP(_mm_cmpeq_pd(a, b)));
    return;
  }
  if (y_step == 0) {
    // Against a constant c (the common case): near c the tolerance is that of c, so the test is
    // one plain comparison with c moved by it (as fast as an exact comparison).
    const double c = *y;
    const double t = tol(c, c);
    const double lo = c - t, hi = c + t;
#if defined(__SSE2__)
    const __m128d vhi = _mm_set1_pd(hi);
#endif
    switch (kind) {
      case op::lt:
        compare(
            x, &lo, 0, valid, tmp, out, n, [](double a, double b) { return a < b; },
            KHUYENHOC_RULES_VECTOR_CMP(_mm_cmplt_pd(a, b)));
        return;
      case op::le:
        compare(
            x, &hi, 0, valid, tmp, out, n, [](double a, double b) { return a <= b; },
            KHUYENHOC_RULES_VECTOR_CMP(_mm_cmple_pd(a, b)));
        return;
      case op::gt:
        compare(
            x, &hi, 0, valid, tmp, out, n, [](double a, double b) { return a > b; },
            KHUYENHOC_RULES_VECTOR_CMP(_mm_cmpgt_pd(a, b)));
        return;
      case op::ge:
        compare(
            x, &lo, 0, valid, tmp, out, n, [](double a, double b) { return a >= b; },
            KHUYENHOC_RULES_VECTOR_CMP(_mm_cmpge_pd(a, b)));
        return;
      case op::eq:
        compare(
            x, &lo, 0, valid, tmp, out, n, [hi](double a, double b) { return a >= b && a <= hi; },
            KHUYENHOC_RULES_VECTOR_CMP(_mm_and_pd(_mm_cmpge_pd(a, b), _mm_cmple_pd(a, vhi))));
        return;
      default:
        compare(
            x, &lo, 0, valid, tmp, out, n,
            [hi](double a, double b) { return !(a >= b && a <= hi); },
            KHUYENHOC_RULES_VECTOR_CMP(_mm_or_pd(_mm_cmpnge_pd(a, b), _mm_cmpnle_pd(a, vhi))));
        return;
    }
  }
  switch (kind) {
    case op::lt:
      compare(
          x, y, y_step, valid, tmp, out, n, [=](double a, double b) { return a - b < -tol(a, b); },
          KHUYENHOC_RULES_VECTOR_CMP(_mm_cmplt_pd(_mm_sub_pd(a, b), vneg(vtol(a, b)))));
      break;
    case op::le:
      compare(
          x, y, y_step, valid, tmp, out, n,
          [=](double a, double b) { return a == b || a - b <= tol(a, b); },
          KHUYENHOC_RULES_VECTOR_CMP(
              _mm_or_pd(_mm_cmpeq_pd(a, b), _mm_cmple_pd(_mm_sub_pd(a, b), vtol(a, b)))));
      break;
    case op::gt:
      compare(
          x, y, y_step, valid, tmp, out, n, [=](double a, double b) { return a - b > tol(a, b); },
          KHUYENHOC_RULES_VECTOR_CMP(_mm_cmpgt_pd(_mm_sub_pd(a, b), vtol(a, b))));
      break;
    case op::ge:
      compare(
          x, y, y_step, valid, tmp, out, n,
          [=](double a, double b) { return a == b || a - b >= -tol(a, b); },
          KHUYENHOC_RULES_VECTOR_CMP(
              _mm_or_pd(_mm_cmpeq_pd(a, b), _mm_cmpge_pd(_mm_sub_pd(a, b), vneg(vtol(a, b))))));
      break;
    case op::eq:
      compare(
          x, y, y_step, valid, tmp, out, n,
          [=](double a, double b) { return a == b || std::fabs(a - b) <= tol(a, b); },
          KHUYENHOC_RULES_VECTOR_CMP(
              _mm_or_pd(_mm_cmpeq_pd(a, b), _mm_cmple_pd(vabs(_mm_sub_pd(a, b)), vtol(a, b)))));
      break;
    default:
      compare(
          x, y, y_step, valid, tmp, out, n,
          [=](double a, double b) { return !(a == b || std::fabs(a - b) <= tol(a, b)); },
          KHUYENHOC_RULES_VECTOR_CMP(_mm_andnot_pd(
              _mm_cmpeq_pd(a, b), _mm_cmpnle_pd(vabs(_mm_sub_pd(a, b)), vtol(a, b)))));
      break;
  }
}

#undef KHUYENHOC_RULES_VECTOR_CMP

/// Evaluates node `i` of `p` over rows [start, start+n) (n <= chunk size). `cols[k]` is the
/// pool column bound to slot k. Values of missing rows are unspecified; booleans are 0/1.
inline view eval(const program& p, std::int32_t i, const column* const* cols, std::size_t start,
                 std::size_t n, scratch& s) {
  const node& nd = p.nodes[static_cast<std::size_t>(i)];
  const auto slot = static_cast<std::size_t>(i);
  double* out = s.num(slot);
  std::uint8_t* ob = s.b(slot);
  std::uint8_t* ov = s.valid(slot);
  auto col = [&]() -> const column& { return *cols[nd.column]; };
  // Captures `n` by value: were its address taken, every byte store below could alias it and
  // no loop would vectorise.
  auto child = [&p, cols, start, n, &s](std::int32_t k) { return eval(p, k, cols, start, n, s); };

  switch (nd.kind) {
    case op::constant: {
      if (nd.type == value_type::boolean) {
        std::fill_n(ob, n, static_cast<std::uint8_t>(nd.number != 0));
        return {nullptr, ob, s.ones()};
      }
      std::fill_n(out, n, nd.number);
      return {out, nullptr, s.ones()};
    }
    case op::col_number:
      return {col().numbers().data() + start, nullptr, col().validity().data() + start};
    case op::col_integer: {
      bool fresh = true;
      double* values = s.converted(&col(), start, n, fresh);
      if (values == nullptr) values = out;
      if (fresh) int64_to_double(col().integers().data() + start, values, n);
      return {values, nullptr, col().validity().data() + start};
    }
    case op::col_date: {
      bool fresh = true;
      double* values = s.converted(&col(), start, n, fresh);
      if (values == nullptr) values = out;
      if (fresh) {
        const day_number* v = col().dates().data() + start;
        for (std::size_t r = 0; r < n; ++r) values[r] = static_cast<double>(v[r]);
      }
      return {values, nullptr, col().validity().data() + start};
    }
    case op::col_datetime: {
      // Not cached with col_date's conversion: the same column, other values.
      const day_number* v = col().dates().data() + start;
      const auto secs = col().seconds_of_day();
      for (std::size_t r = 0; r < n; ++r) {
        const double t = secs.empty() ? 0.0 : static_cast<double>(secs[start + r]) / 86'400.0;
        out[r] = static_cast<double>(v[r]) + t;
      }
      return {out, nullptr, col().validity().data() + start};
    }
    case op::col_boolean:
      return {nullptr, col().booleans().data() + start, col().validity().data() + start};
    case op::col_category:
    case op::col_text:
    case op::col_list:
      return {nullptr, nullptr, col().validity().data() + start};
    case op::str_const:
      return {nullptr, nullptr, s.ones()};
    case op::cat_table: {
      const column& c = *cols[p.nodes[static_cast<std::size_t>(nd.a)].column];
      const std::int32_t* codes = c.codes().data() + start;
      const std::uint8_t* t = nd.table.data();
      for (std::size_t r = 0; r < n; ++r) ov[r] = static_cast<std::uint8_t>(codes[r] >= 0);
      // `x == "a"`, `x in [...]`, `x != "a"` select or exclude a few codes: comparing codes
      // vectorises, looking each up in the table does not.
      constexpr std::int32_t none = std::numeric_limits<std::int32_t>::min();  // no code
      std::int32_t hit[4] = {none, none, none, none}, miss[4] = {none, none, none, none};
      std::size_t hits = 0, misses = 0;
      if (nd.table.size() <= 64) {
        for (std::size_t k = 0; k < nd.table.size(); ++k) {
          if (t[k] != 0) {
            if (hits < 4) hit[hits] = static_cast<std::int32_t>(k);
            ++hits;
          } else {
            if (misses < 4) miss[misses] = static_cast<std::int32_t>(k);
            ++misses;
          }
        }
      }
      if (nd.table.size() <= 64 && hits <= 4) {
        for (std::size_t r = 0; r < n; ++r) {
          const std::int32_t k = codes[r];
          ob[r] = static_cast<std::uint8_t>((k == hit[0]) | (k == hit[1]) | (k == hit[2]) |
                                            (k == hit[3]));
        }
      } else if (nd.table.size() <= 64 && misses <= 4) {
        for (std::size_t r = 0; r < n; ++r) {
          const std::int32_t k = codes[r];
          ob[r] = static_cast<std::uint8_t>((k >= 0) & (k != miss[0]) & (k != miss[1]) &
                                            (k != miss[2]) & (k != miss[3]));
        }
      } else {
        for (std::size_t r = 0; r < n; ++r) {
          const std::int32_t k = codes[r];
          ob[r] = k >= 0 ? t[k] : 0;
        }
      }
      return {nullptr, ob, ov};
    }
    case op::text_pred: {
      const bool negate = nd.negate;
      const column& c = *cols[p.nodes[static_cast<std::size_t>(nd.a)].column];
      const std::uint8_t* v = c.validity().data() + start;
      for (std::size_t r = 0; r < n; ++r) {
        ov[r] = v[r];
        bool hit = false;
        if (v[r] != 0) {
          const std::string_view t = c.text_at(start + r);
          for (const auto& w : nd.strings) {
            if (nd.mode == 0 ? t == w : t.starts_with(w)) {
              hit = true;
              break;
            }
          }
        }
        ob[r] = static_cast<std::uint8_t>(hit != negate);
      }
      return {nullptr, ob, ov};
    }
    case op::str_equal: {
      const view va = child(nd.a), vb = child(nd.b);
      const node& na = p.nodes[static_cast<std::size_t>(nd.a)];
      const node& nb = p.nodes[static_cast<std::size_t>(nd.b)];
      for (std::size_t r = 0; r < n; ++r) {
        ov[r] = static_cast<std::uint8_t>(va.valid[r] & vb.valid[r]);
        ob[r] = ov[r] != 0
                    ? static_cast<std::uint8_t>((string_at(na, cols, start + r) ==
                                                 string_at(nb, cols, start + r)) != nd.negate)
                    : 0;
      }
      return {nullptr, ob, ov};
    }
    case op::list_len:
    case op::list_count:
    case op::list_any:
    case op::list_all:
    case op::list_streak:
    case op::list_recent: {
      const column& c = *cols[p.nodes[static_cast<std::size_t>(nd.a)].column];
      const std::uint32_t* off = c.list_offsets().data() + start;
      const std::int32_t* codes = c.codes().data();
      const std::uint8_t* v = c.validity().data() + start;
      const std::uint8_t* t = nd.table.data();
      std::copy_n(v, n, ov);
      for (std::size_t r = 0; r < n; ++r) {
        const std::uint32_t lo = off[r], hi = off[r + 1];
        switch (nd.kind) {
          case op::list_len:
            out[r] = static_cast<double>(hi - lo);
            break;
          case op::list_count: {
            std::uint32_t k = 0;
            for (std::uint32_t j = lo; j < hi; ++j) k += t[codes[j]];
            out[r] = static_cast<double>(k);
            break;
          }
          case op::list_any: {
            std::uint8_t any = 0;
            for (std::uint32_t j = lo; j < hi; ++j) any |= t[codes[j]];
            ob[r] = any;
            break;
          }
          case op::list_all: {
            std::uint8_t all = 1;
            for (std::uint32_t j = lo; j < hi; ++j) all &= t[codes[j]];
            ob[r] = all;
            break;
          }
          case op::list_streak: {
            std::uint32_t best = 0, run = 0;
            for (std::uint32_t j = lo; j < hi; ++j) {
              run = t[codes[j]] != 0 ? run + 1 : 0;
              best = std::max(best, run);
            }
            out[r] = static_cast<double>(best);
            break;
          }
          default: {  // list_recent
            std::uint32_t j = lo;
            while (j < hi && t[codes[j]] != 0) ++j;
            out[r] = static_cast<double>(j - lo);
            break;
          }
        }
      }
      return {out, ob, ov};
    }
    case op::round:
    case op::floor:
    case op::ceil: {
      const view va = child(nd.a);
      const auto how = nd.kind == op::round   ? decimal_rounding::half_up
                       : nd.kind == op::floor ? decimal_rounding::floor
                                              : decimal_rounding::ceil;
      const int places = nd.mode;
      for (std::size_t r = 0; r < n; ++r) out[r] = round_decimal(va.num[r], places, how);
      return {out, nullptr, va.valid};
    }
    case op::avg:
    case op::avg_strict: {
      // Summed left to right, then divided: the same double at any chunking. The count of
      // present arguments is kept in this node's booleans (at most 255 arguments, checked when
      // compiling; s.tmp() would be overwritten by the arguments' own kernels).
      std::uint8_t* count = ob;
      std::fill_n(out, n, 0.0);
      std::fill_n(count, n, std::uint8_t{0});
      std::fill_n(ov, n, std::uint8_t{1});
      for (const auto arg : nd.args) {
        const view vk = child(arg);
        for (std::size_t r = 0; r < n; ++r) {
          const bool ok = vk.valid[r] != 0;
          out[r] += ok ? vk.num[r] : 0.0;
          count[r] = static_cast<std::uint8_t>(count[r] + (ok ? 1 : 0));
          ov[r] = static_cast<std::uint8_t>(ov[r] & vk.valid[r]);
        }
      }
      if (nd.kind == op::avg) {
        for (std::size_t r = 0; r < n; ++r) ov[r] = static_cast<std::uint8_t>(count[r] > 0);
      }
      for (std::size_t r = 0; r < n; ++r)
        out[r] = count[r] > 0 ? out[r] / static_cast<double>(count[r]) : 0.0;
      return {out, nullptr, ov};
    }
    case op::neg:
    case op::abs:
    case op::year:
    case op::not_:
    case op::is_missing:
    case op::is_present: {
      const view va = child(nd.a);
      switch (nd.kind) {
        case op::neg:
          for (std::size_t r = 0; r < n; ++r) out[r] = -va.num[r];
          return {out, nullptr, va.valid};
        case op::abs:
          for (std::size_t r = 0; r < n; ++r) out[r] = std::fabs(va.num[r]);
          return {out, nullptr, va.valid};
        case op::year:
          for (std::size_t r = 0; r < n; ++r) {
            std::int64_t y = 0, m = 0, d = 0;
            civil_from_days(va.valid[r] != 0 ? to_days(va.num[r]) : 0, y, m, d);
            out[r] = static_cast<double>(y);
          }
          return {out, nullptr, va.valid};
        case op::not_:
          for (std::size_t r = 0; r < n; ++r)
            ob[r] = static_cast<std::uint8_t>(va.valid[r] & (va.b[r] ^ 1U));
          return {nullptr, ob, va.valid};
        case op::is_missing:
          for (std::size_t r = 0; r < n; ++r) ob[r] = static_cast<std::uint8_t>(va.valid[r] ^ 1U);
          return {nullptr, ob, s.ones()};
        default:
          for (std::size_t r = 0; r < n; ++r) ob[r] = static_cast<std::uint8_t>(va.valid[r] != 0);
          return {nullptr, ob, s.ones()};
      }
    }
    case op::add:
    case op::sub:
    case op::mul:
    case op::div:
    case op::age:
    case op::days_between: {
      const node& nb = p.nodes[static_cast<std::size_t>(nd.b)];
      if (nb.kind == op::constant &&
          (nd.kind == op::add || nd.kind == op::sub || nd.kind == op::mul || nd.kind == op::div)) {
        const view va = child(nd.a);
        const double c = nb.number;
        const double* x = va.num;
        if (nd.kind == op::add) {
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] + c;
        } else if (nd.kind == op::sub) {
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] - c;
        } else if (nd.kind == op::mul) {
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] * c;
        } else {
          const double d = c != 0 ? c : 1.0;
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] / d;
        }
        // Known where the operand is, the result is a number and the divisor is not 0.
        // (x == x: not NaN.)
        compare_op(op::eq, out, out, 1, va.valid, s.tmp(), ov, n);
        if (nd.kind == op::div && c == 0) std::fill_n(ov, n, std::uint8_t{0});
        return {out, nullptr, ov};
      }
      const view va = child(nd.a), vb = child(nd.b);
      const double* x = va.num;
      const double* y = vb.num;
      switch (nd.kind) {
        case op::add:
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] + y[r];
          break;
        case op::sub:
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] - y[r];
          break;
        case op::mul:
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] * y[r];
          break;
        case op::div:
          for (std::size_t r = 0; r < n; ++r) out[r] = y[r] != 0 ? x[r] / y[r] : 0.0;
          break;
        case op::age:
          if (nb.kind == op::constant) {
            // age(birth, fixed day): the day's calendar date once, the birth date per row.
            std::int64_t y2 = 0, m2 = 0, d2 = 0;
            civil_from_days(to_days(nb.number), y2, m2, d2);
            for (std::size_t r = 0; r < n; ++r) {
              std::int64_t y1 = 0, m1 = 0, d1 = 0;
              civil_from_days(va.valid[r] != 0 ? to_days(x[r]) : 0, y1, m1, d1);
              out[r] = static_cast<double>(y2 - y1 - ((m2 * 32 + d2) < (m1 * 32 + d1) ? 1 : 0));
            }
          } else {
            for (std::size_t r = 0; r < n; ++r)
              out[r] = (va.valid[r] & vb.valid[r]) != 0 ? age_in_years(x[r], y[r]) : 0.0;
          }
          break;
        default:  // days_between(a, b) = b - a
          for (std::size_t r = 0; r < n; ++r) out[r] = y[r] - x[r];
          break;
      }
      // Known only when both operands are, the divisor is not 0 and the result is a number.
      compare_op(op::eq, out, out, 1, va.valid, s.tmp(), ov, n);  // x == x: not NaN
      if (nd.kind == op::div) {
        for (std::size_t r = 0; r < n; ++r)
          ov[r] = static_cast<std::uint8_t>(ov[r] & vb.valid[r] & (y[r] != 0));
      } else {
        for (std::size_t r = 0; r < n; ++r) ov[r] = static_cast<std::uint8_t>(ov[r] & vb.valid[r]);
      }
      return {out, nullptr, ov};
    }
    case op::min:
    case op::max: {
      const view v0 = child(nd.args[0]);
      std::copy_n(v0.num, n, out);
      std::copy_n(v0.valid, n, ov);
      for (std::size_t k = 1; k < nd.args.size(); ++k) {
        const view vk = child(nd.args[k]);
        if (nd.kind == op::min) {
          for (std::size_t r = 0; r < n; ++r) out[r] = std::min(out[r], vk.num[r]);
        } else {
          for (std::size_t r = 0; r < n; ++r) out[r] = std::max(out[r], vk.num[r]);
        }
        for (std::size_t r = 0; r < n; ++r) ov[r] &= vk.valid[r];
      }
      return {out, nullptr, ov};
    }
    case op::lt:
    case op::le:
    case op::gt:
    case op::ge:
    case op::eq:
    case op::ne: {
      const node& nb = p.nodes[static_cast<std::size_t>(nd.b)];
      if (!nd.bool_operands && nb.kind == op::constant) {
        // Column against a constant (the common case): no constant array, no validity AND.
        const view va = child(nd.a);
        compare_op(nd.kind, va.num, &nb.number, 0, va.valid, out, ob, n);
        return {nullptr, ob, va.valid};
      }
      const view va = child(nd.a), vb = child(nd.b);
      for (std::size_t r = 0; r < n; ++r)
        ov[r] = static_cast<std::uint8_t>(va.valid[r] & vb.valid[r]);
      if (nd.bool_operands) {
        const bool want_equal = nd.kind == op::eq;
        for (std::size_t r = 0; r < n; ++r)
          ob[r] = static_cast<std::uint8_t>(ov[r] & ((va.b[r] == vb.b[r]) == want_equal));
        return {nullptr, ob, ov};
      }
      compare_op(nd.kind, va.num, vb.num, 1, ov, out, ob, n);
      return {nullptr, ob, ov};
    }
    case op::in_set: {
      const view va = child(nd.a);
      const double* const set = nd.set.data();
      const std::size_t set_size = nd.set.size();
      const auto negate = static_cast<std::uint8_t>(nd.negate);
      for (std::size_t r = 0; r < n; ++r) {
        std::uint8_t hit = 0;
        for (std::size_t j = 0; j < set_size; ++j)
          hit |= static_cast<std::uint8_t>(decimal_equal(va.num[r], set[j]));
        ob[r] = static_cast<std::uint8_t>(va.valid[r] & (hit ^ negate));
      }
      return {nullptr, ob, va.valid};
    }
    case op::between: {
      const view vx = child(nd.a), vlo = child(nd.b), vhi = child(nd.c);
      for (std::size_t r = 0; r < n; ++r) {
        ov[r] = static_cast<std::uint8_t>(vx.valid[r] & vlo.valid[r] & vhi.valid[r]);
        ob[r] = static_cast<std::uint8_t>(ov[r] & !decimal_less(vx.num[r], vlo.num[r]) &
                                          !decimal_less(vhi.num[r], vx.num[r]));
      }
      return {nullptr, ob, ov};
    }
    case op::and_:
    case op::or_: {
      const view va = child(nd.a), vb = child(nd.b);
      // Kleene logic on (value, known) pairs; `t` = known true, `f` = known false.
      if (nd.kind == op::and_) {
        for (std::size_t r = 0; r < n; ++r) {
          const auto ta = static_cast<std::uint8_t>(va.valid[r] & va.b[r]);
          const auto tb = static_cast<std::uint8_t>(vb.valid[r] & vb.b[r]);
          const auto fa = static_cast<std::uint8_t>(va.valid[r] & (va.b[r] ^ 1U));
          const auto fb = static_cast<std::uint8_t>(vb.valid[r] & (vb.b[r] ^ 1U));
          ob[r] = static_cast<std::uint8_t>(ta & tb);
          ov[r] = static_cast<std::uint8_t>(fa | fb | (ta & tb));
        }
      } else {
        for (std::size_t r = 0; r < n; ++r) {
          const auto ta = static_cast<std::uint8_t>(va.valid[r] & va.b[r]);
          const auto tb = static_cast<std::uint8_t>(vb.valid[r] & vb.b[r]);
          const auto fa = static_cast<std::uint8_t>(va.valid[r] & (va.b[r] ^ 1U));
          const auto fb = static_cast<std::uint8_t>(vb.valid[r] & (vb.b[r] ^ 1U));
          ob[r] = static_cast<std::uint8_t>(ta | tb);
          ov[r] = static_cast<std::uint8_t>(ta | tb | (fa & fb));
        }
      }
      return {nullptr, ob, ov};
    }
    case op::if_: {
      const view vc = child(nd.a), vt = child(nd.b), ve = child(nd.c);
      if (nd.type == value_type::boolean) {
        for (std::size_t r = 0; r < n; ++r) {
          const bool pick_then = vc.b[r] != 0;
          ov[r] = static_cast<std::uint8_t>(vc.valid[r] & (pick_then ? vt.valid[r] : ve.valid[r]));
          ob[r] = static_cast<std::uint8_t>(ov[r] & (pick_then ? vt.b[r] : ve.b[r]));
        }
        return {nullptr, ob, ov};
      }
      for (std::size_t r = 0; r < n; ++r) {
        const bool pick_then = vc.b[r] != 0;
        ov[r] = static_cast<std::uint8_t>(vc.valid[r] & (pick_then ? vt.valid[r] : ve.valid[r]));
        out[r] = pick_then ? vt.num[r] : ve.num[r];
      }
      return {out, nullptr, ov};
    }
  }
  return {out, ob, ov};
}

/// Resolves the columns of `p` in `pool`, checking names, types and dictionaries.
/// \throws schema_error when `pool` does not have the schema `p` was compiled against.
std::vector<const column*> bind(const program& p, const pool& pool);

}  // namespace khuyenhoc::detail::rules
