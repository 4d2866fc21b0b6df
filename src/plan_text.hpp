#pragma once
// Text helpers shared by the plan sources (plan.cpp, plan_assignees.cpp, plan_check.cpp): name
// normalisation, case folding, date and load formatting. Private to src/; not installed.
#include <khuyenhoc/detail/unicode.hpp>

#include <unicode/unistr.h>
#include <boost/date_time/gregorian/gregorian_types.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace khuyenhoc::plan_text {

namespace bg = boost::gregorian;

inline bool is_space_at(std::string_view s, std::size_t i, std::size_t& len) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
    len = 1;
    return true;
  }
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
    len = 2;  // no-break space, common in text copied from Word
    return true;
  }
  return false;
}

// Trims, collapses inner white space to one ' '. O(n).
inline std::string collapse_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending = false;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 0;
    if (is_space_at(s, i, len)) {
      pending = !out.empty();
      i += len;
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += s[i];
    ++i;
  }
  return out;
}

inline std::string lower_utf8(std::string_view s) {
  if (detail::is_ascii(s)) {
    std::string out(s);
    for (auto& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  auto u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  u.toLower();
  std::string out;
  u.toUTF8String(out);
  return out;
}

// Key under which names differing only in case or spacing are one: lower case, no spaces.
inline std::string unit_key(std::string_view normalised) {
  std::string lower = lower_utf8(normalised);
  std::string out;
  out.reserve(lower.size());
  for (char c : lower) {
    if (c != ' ') out += c;
  }
  return out;
}

inline std::string normalise_name(std::string_view s) {
  std::string t = collapse_spaces(s);
  while (!t.empty() && (t.back() == ';' || t.back() == ',' || t.back() == ':')) {
    t.pop_back();
    while (!t.empty() && t.back() == ' ') t.pop_back();
  }
  if (detail::find_invalid_utf8(t)) return t;
  return detail::to_nfc(t);
}

inline bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

inline bool starts_with_word(std::string_view text, std::string_view word) {
  return text.starts_with(word) && (text.size() == word.size() ||
                                    !is_word_byte(static_cast<unsigned char>(text[word.size()])));
}

inline std::string fmt_date(const bg::date& d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", static_cast<int>(d.day()),
                static_cast<int>(d.month()), static_cast<int>(d.year()));
  return buf;
}

inline std::string iso_date(const bg::date& d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d.year()),
                static_cast<int>(d.month()), static_cast<int>(d.day()));
  return buf;
}

inline std::string fmt_range(const std::optional<bg::date>& a, const std::optional<bg::date>& b) {
  if (a && b) return *a == *b ? fmt_date(*a) : fmt_date(*a) + " - " + fmt_date(*b);
  if (a) return "từ " + fmt_date(*a);
  if (b) return "đến " + fmt_date(*b);
  return "?";
}

inline std::string fmt_range_en(const std::optional<bg::date>& a,
                                const std::optional<bg::date>& b) {
  if (a && b) return *a == *b ? fmt_date(*a) : fmt_date(*a) + " - " + fmt_date(*b);
  if (a) return "from " + fmt_date(*a);
  if (b) return "until " + fmt_date(*b);
  return "?";
}

inline std::string fmt_load(std::int64_t thousandths) {
  // Shortest round-trip form: 2, 1.5, 0.333 (no stream, no locale).
  char buf[32];
  const auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, static_cast<double>(thousandths) / 1000.0);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(thousandths / 1000);
}

inline std::int64_t to_thousandths(double x) {
  return static_cast<std::int64_t>(std::llround(x * 1000.0));
}

// "a, b, c" — at most max_items ids, then the count.
inline std::string quoted_list(const std::vector<std::string>& ids, std::size_t max_items = 8) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < max_items; ++i) {
    if (i) out += ", ";
    out += ids[i];
  }
  if (ids.size() > max_items) out += ", … (" + std::to_string(ids.size()) + ")";
  return out;
}

}  // namespace khuyenhoc::plan_text
