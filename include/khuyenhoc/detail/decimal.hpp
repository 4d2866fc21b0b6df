#pragma once
/// \file detail/decimal.hpp
/// Numbers as councils write them: decimals with at most 6 places. Values are doubles; what
/// makes them behave as the written decimals is (1) comparisons that treat two values as equal
/// when they differ by less than half a unit of the 9th decimal (or by a few units of the last
/// place of a double, for large values), so `(8.7 + 8.1 + 8.7) / 3 >= 8.5` holds and
/// `1.1 + 2.2 == 3.3`; and (2) rounding half up at a declared number of places, which returns
/// the double nearest to the rounded decimal, so values equal on paper become bit-identical.
/// See docs/rules.md ("Decimals").

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace khuyenhoc::detail {

/// Half a unit of the 9th decimal: differences below it are rounding noise of decimals with at
/// most 6 places (the noise of sums and averages of such values is ~1e-15 relative).
inline constexpr double decimal_abs_tolerance = 5e-10;
/// For large values the noise grows with the magnitude: 16 units in the last place.
inline constexpr double decimal_rel_tolerance = 0x1p-48;
/// The most decimal places `round_decimal` and the precision of criteria sets accept.
inline constexpr int max_decimal_places = 6;

/// The tolerance for comparing `a` with `b`.
[[nodiscard]] inline double decimal_tolerance(double a, double b) noexcept {
  return std::max(decimal_abs_tolerance,
                  decimal_rel_tolerance * std::max(std::fabs(a), std::fabs(b)));
}

/// a == b as decimals.
[[nodiscard]] inline bool decimal_equal(double a, double b) noexcept {
  return std::fabs(a - b) <= decimal_tolerance(a, b);
}
/// a < b as decimals (a differs from b and is smaller).
[[nodiscard]] inline bool decimal_less(double a, double b) noexcept {
  return a - b < -decimal_tolerance(a, b);
}

/// 10^n for n in [0, max_decimal_places].
[[nodiscard]] inline double power_of_ten(int n) noexcept {
  constexpr double p[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
  return p[std::clamp(n, 0, max_decimal_places)];
}

/// How `round_decimal` rounds.
enum class decimal_rounding : unsigned char { half_up, floor, ceil };

/// `x` rounded to `places` decimals (0..6): half up (away from zero for negative values, as
/// ROUND in spreadsheets), floor or ceil, treating `x` as the decimal it stands for (8.45 → 8.5
/// though the double 8.45 is slightly below it; floor(2.9999999999) → 3). The result is the
/// double nearest to the rounded decimal. NaN and infinities are returned unchanged.
[[nodiscard]] inline double round_decimal(
    double x, int places, decimal_rounding how = decimal_rounding::half_up) noexcept {
  if (!std::isfinite(x)) return x;
  const double s = power_of_ten(places);
  const double y = x * s;
  if (std::fabs(y) >= 0x1p52) return x;  // no fraction left at this scale
  // The tolerance of x, in units of the last kept place. For large x at many places (1e9 at 6
  // decimals) it would reach whole units: it is capped at a tenth of a unit, so whole amounts
  // stay whole and rounding is to the nearest there.
  const double t = std::min(decimal_tolerance(x, 0) * s, 0.1);
  double r = 0;
  switch (how) {
    case decimal_rounding::half_up: {
      const double a = std::fabs(y);
      double f = std::floor(a);
      if (a - f >= 0.5 - t) f += 1;
      r = std::copysign(f, y);
      break;
    }
    case decimal_rounding::floor:
      r = std::floor(y + t);
      break;
    case decimal_rounding::ceil:
      r = std::ceil(y - t);
      break;
  }
  if (r == 0) return 0.0;  // no negative zero
  return r / s;            // correctly rounded: the double nearest to the decimal r / 10^places
}

/// x[i] = round_decimal(x[i], places) (half up) for every i < n: the same values, two at a
/// time with SSE2 and without branches (the scoring kernel rounds every indicator, criterion
/// and total of every row; one at a time, the division's latency and the data-dependent
/// branches made the rounding most of the kernel's time).
inline void round_decimal_n(double* x, std::size_t n, int places) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  const double scale = power_of_ten(places);
  const __m128d s = _mm_set1_pd(scale);
  const __m128d sign = _mm_set1_pd(-0.0);
  const __m128d big = _mm_set1_pd(0x1p52);
  const __m128d one = _mm_set1_pd(1.0);
  const __m128d half = _mm_set1_pd(0.5);
  const __m128d abs_tol = _mm_set1_pd(decimal_abs_tolerance);
  const __m128d rel_tol = _mm_set1_pd(decimal_rel_tolerance);
  const __m128d most = _mm_set1_pd(0.1);
  for (; i + 2 <= n; i += 2) {
    const __m128d v = _mm_loadu_pd(x + i);
    const __m128d y = _mm_mul_pd(v, s);
    const __m128d a = _mm_andnot_pd(sign, y);
    // floor(a) for 0 <= a < 2^52: the nearest integer (adding 2^52 leaves no fraction), less
    // one when that is above a. Larger a, NaN and infinities are kept as they are (below).
    __m128d f = _mm_sub_pd(_mm_add_pd(a, big), big);
    f = _mm_sub_pd(f, _mm_and_pd(_mm_cmpgt_pd(f, a), one));
    // The tolerance, as round_decimal: min(max(abs, rel·|v|)·s, 0.1).
    const __m128d t = _mm_min_pd(
        _mm_mul_pd(_mm_max_pd(abs_tol, _mm_mul_pd(rel_tol, _mm_andnot_pd(sign, v))), s), most);
    f = _mm_add_pd(f, _mm_and_pd(_mm_cmpge_pd(_mm_sub_pd(a, f), _mm_sub_pd(half, t)), one));
    // copysign(f, y) / s, +0 for a zero f (no negative zero).
    const __m128d q = _mm_div_pd(_mm_or_pd(f, _mm_and_pd(sign, y)), s);
    const __m128d r = _mm_andnot_pd(_mm_cmpeq_pd(f, _mm_setzero_pd()), q);
    const __m128d keep = _mm_cmplt_pd(a, big);  // false for NaN
    _mm_storeu_pd(x + i, _mm_or_pd(_mm_and_pd(keep, r), _mm_andnot_pd(keep, v)));
  }
#endif
  for (; i < n; ++i) x[i] = round_decimal(x[i], places);
}

/// `x` as a council writes it: rounded half up to 6 decimals, shortest form, no exponent,
/// `decimal_mark` between the integer part and the decimals ("8,5", "12", "-0,25").
[[nodiscard]] inline std::string format_decimal(double x, char decimal_mark = ',') {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "∞" : "-∞";
  const double r = round_decimal(x, max_decimal_places);
  char buf[400];
  const auto res = std::to_chars(buf, buf + sizeof buf, r, std::chars_format::fixed);
  std::string out(buf, res.ptr);
  if (decimal_mark != '.') std::replace(out.begin(), out.end(), '.', decimal_mark);
  return out;
}

/// Appends format_decimal(x, decimal_mark) to `out` (the same text) without temporaries: below
/// 10^9 the shortest fixed form of the rounded value is the digits of its 6 places with the
/// trailing zeros dropped (two decimals of at most 6 places are different doubles there), so
/// it is written from that integer without a floating-point formatter (the values in the
/// reasons of every ineligible nominee).
inline void append_decimal(std::string& out, double x, char decimal_mark = ',') {
  const double r = round_decimal(x, max_decimal_places);
  if (!(std::fabs(r) < 1e9)) {  // NaN, infinities, large numbers
    out += format_decimal(x, decimal_mark);
    return;
  }
  const auto m = static_cast<std::int64_t>(std::llround(r * 1e6));
  if (m < 0 || (m == 0 && std::signbit(r))) out += '-';  // to_chars writes -0 as "-0"
  const auto u = static_cast<std::uint64_t>(m < 0 ? -m : m);
  char digits[24];  // written by to_chars
  out.append(digits, std::to_chars(digits, digits + sizeof digits, u / 1000000U).ptr);
  if (auto frac = static_cast<std::uint32_t>(u % 1000000U); frac != 0) {
    char f[6];  // six digits, then the trailing zeros dropped
    for (std::size_t i = 6; i-- > 0; frac /= 10) f[i] = static_cast<char>('0' + frac % 10);
    std::size_t n = 6;
    while (f[n - 1] == '0') --n;
    out += decimal_mark;
    out.append(f, n);
  }
}

}  // namespace khuyenhoc::detail
