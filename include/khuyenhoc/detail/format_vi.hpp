#pragma once
/// \file detail/format_vi.hpp
/// Numbers and dates as Vietnamese documents write them: a decimal comma and a dot between
/// thousands (200.000; 65,58), dates dd/mm/yyyy. One place for the selection's reasons, the
/// report and every other text a council reads.

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace khuyenhoc::detail {

/// Groups the digits of a non-negative integer's text by three with '.'.
inline std::string group_thousands_vi(std::string_view digits) {
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += '.';
    out += digits[i];
  }
  return out;
}

/// An integer with thousands separated by '.': 200000 → "200.000", -1234 → "-1.234".
inline std::string format_int_vi(std::int64_t v) {
  const std::string s = std::to_string(v);
  std::string_view digits = s;
  std::string out;
  if (v < 0) {
    out.push_back('-');  // appended, not "-" + string: GCC 12 -O3 warns on that (-Wrestrict)
    digits.remove_prefix(1);
  }
  out.append(group_thousands_vi(digits));
  return out;
}

/// A decimal number with at most `max_decimals` places (rounded half away from zero at that
/// place, trailing zeros dropped), a decimal comma and no thousands separator in the
/// fractional part: 65.58 → "65,58", 8.499999999999998 → "8,5", 12000.5 → "12.000,5".
/// NaN → "–", infinities → "∞" / "−∞".
inline std::string format_decimal_vi(double v, int max_decimals = 4) {
  if (std::isnan(v)) return "–";
  if (std::isinf(v)) return v > 0 ? "∞" : "−∞";
  std::array<char, 128> buf{};
  const double scale = std::pow(10.0, max_decimals);
  double r = std::round(v * scale) / scale;
  if (r == 0.0) r = 0.0;  // no "-0"
  const auto res =
      std::to_chars(buf.data(), buf.data() + buf.size(), r, std::chars_format::fixed, max_decimals);
  std::string_view s(buf.data(), static_cast<std::size_t>(res.ptr - buf.data()));
  std::string sign;
  if (!s.empty() && s.front() == '-') {
    sign = "-";
    s.remove_prefix(1);
  }
  std::string_view whole = s, frac;
  if (const auto dot = s.find('.'); dot != std::string_view::npos) {
    whole = s.substr(0, dot);
    frac = s.substr(dot + 1);
    while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  }
  std::string out = sign;
  out.append(group_thousands_vi(whole));
  if (!frac.empty()) {
    out += ',';
    out += frac;
  }
  return out;
}

/// Appends format_decimal_vi(v, 6) to `out` (the same text), without temporaries: below 10^9
/// the digits of round(v * 10^6) are those to_chars writes for the rounded value with 6 places
/// (the double nearest m / 10^6 is within 0.06 of m at that scale), so they are written from
/// the integer, without a floating-point formatter (scores and gaps in the reasons of every
/// nominee outside a quota).
inline void append_decimal6_vi(std::string& out, double v) {
  if (!(std::fabs(v) < 1e9)) {  // NaN, infinities, large numbers
    out += format_decimal_vi(v, 6);
    return;
  }
  const auto m = static_cast<std::int64_t>(std::round(v * 1e6));
  if (m < 0) out += '-';
  const auto u = static_cast<std::uint64_t>(m < 0 ? -m : m);
  std::array<char, 24> digits;  // written by to_chars
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), u / 1000000U).ptr;
  const auto len = static_cast<std::size_t>(end - digits.data());
  for (std::size_t i = 0; i < len; ++i) {
    if (i != 0 && (len - i) % 3 == 0) out += '.';
    out += digits[i];
  }
  if (auto frac = static_cast<std::uint32_t>(u % 1000000U); frac != 0) {
    std::array<char, 6> f;  // six digits, then the trailing zeros dropped
    for (std::size_t i = 6; i-- > 0; frac /= 10) f[i] = static_cast<char>('0' + frac % 10);
    std::size_t n = 6;
    while (f[n - 1] == '0') --n;
    out += ',';
    out.append(f.data(), n);
  }
}

/// Days since 1970-01-01 as "dd/mm/yyyy" (proleptic Gregorian).
inline std::string format_date_vi(std::int32_t days) {
  // Howard Hinnant's civil_from_days.
  std::int64_t z = static_cast<std::int64_t>(days) + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y0 = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = y0 + (m <= 2 ? 1 : 0);
  return (d < 10 ? "0" : "") + std::to_string(d) + "/" + (m < 10 ? "0" : "") + std::to_string(m) +
         "/" + std::to_string(y);
}

}  // namespace khuyenhoc::detail
