#include "khuyenhoc/detail/unicode.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include <unicode/bytestream.h>
#include <unicode/coll.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "khuyenhoc/error.hpp"

namespace khuyenhoc::detail {

namespace {

const icu::Normalizer2& normalizer(bool compose) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n =
      compose ? icu::Normalizer2::getNFCInstance(status) : icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status) || n == nullptr) {
    throw error(std::string("ICU normalizer unavailable: ") + u_errorName(status));
  }
  return *n;
}

}  // namespace

bool is_ascii(std::string_view s) noexcept {
  unsigned char acc = 0;
  for (char c : s) acc |= static_cast<unsigned char>(c);
  return acc < 0x80;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word = 0;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    // One multi-byte sequence, decoded by ICU within a window of at most 4 bytes.
    const auto window = static_cast<std::int32_t>(std::min<std::size_t>(4, n - i));
    std::int32_t j = 0;
    UChar32 c = 0;
    U8_NEXT(p + i, j, window, c);
    if (c < 0) return i;
    i += static_cast<std::size_t>(j);
  }
  return std::nullopt;
}

bool is_nfc(std::string_view s) {
  if (is_ascii(s)) return true;
  UErrorCode status = U_ZERO_ERROR;
  const bool ok = normalizer(true).isNormalizedUTF8(
      icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), status);
  return U_SUCCESS(status) && ok;
}

std::string to_nfc(std::string_view s) {
  if (is_nfc(s)) return std::string(s);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode status = U_ZERO_ERROR;
  normalizer(true).normalizeUTF8(0, icu::StringPiece(s.data(), static_cast<int32_t>(s.size())),
                                 sink, nullptr, status);
  if (U_FAILURE(status)) throw error(std::string("cannot normalise text: ") + u_errorName(status));
  return out;
}

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto n = static_cast<std::int32_t>(s.size());
  std::int32_t i = 0;
  while (i < n) {
    UChar32 c = 0;
    U8_NEXT_OR_FFFD(p, i, n, c);
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

std::size_t count_code_points(std::string_view s) noexcept {
  std::size_t count = 0;
  for (char c : s) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

std::string fold_for_matching(std::string_view s) {
  if (is_ascii(s)) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(u_tolower(static_cast<unsigned char>(c)));
    return out;
  }
  std::string decomposed;
  {
    icu::StringByteSink<std::string> sink(&decomposed);
    UErrorCode status = U_ZERO_ERROR;
    normalizer(false).normalizeUTF8(0, icu::StringPiece(s.data(), static_cast<int32_t>(s.size())),
                                    sink, nullptr, status);
    if (U_FAILURE(status)) decomposed = std::string(s);
  }
  std::string out;
  out.reserve(decomposed.size());
  for (char32_t c : code_points(decomposed)) {
    if (u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK) continue;
    if (c == 0x0110 || c == 0x0111) c = U'd';  // Đ đ
    const auto lower = u_tolower(static_cast<UChar32>(c));
    char buf[4];
    std::int32_t len = 0;
    UBool err = false;
    U8_APPEND(reinterpret_cast<std::uint8_t*>(buf), len, 4, lower, err);
    if (!err) out.append(buf, static_cast<std::size_t>(len));
  }
  return out;
}

void require_text(std::string_view text, std::string_view name) {
  const auto where = [&](std::size_t off) {
    return location{
        .file = std::string(name),
        .line = 1 + static_cast<std::size_t>(std::count(
                        text.begin(), text.begin() + static_cast<std::ptrdiff_t>(off), '\n')),
        .column = column_of(text, off)};
  };
  if (const auto bad = find_invalid_utf8(text)) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[*bad]));
    throw parse_error(std::string("invalid UTF-8 (byte ") + hex + "); save the file as UTF-8",
                      where(*bad));
  }
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    throw parse_error(
        "NUL byte (0x00) in the text; a text file has none (is it UTF-16, or a binary file?)",
        where(nul));
  }
}

std::size_t column_of(std::string_view text, std::size_t offset) noexcept {
  if (offset > text.size()) offset = text.size();
  const auto line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t begin =
      (line_start == std::string_view::npos || (offset == 0)) ? 0 : line_start + 1;
  return count_code_points(text.substr(begin, offset - begin)) + 1;
}

}  // namespace khuyenhoc::detail

namespace khuyenhoc::detail {

namespace {

const icu::Collator& vietnamese_collator() {
  // ICU collators are not safe to use concurrently, clones are cheap: one per thread.
  thread_local std::unique_ptr<icu::Collator> collator = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Collator> c(icu::Collator::createInstance(icu::Locale("vi"), status));
    if (U_FAILURE(status) || !c) {
      throw error(std::string("ICU collator for \"vi\" unavailable: ") + u_errorName(status));
    }
    return c;
  }();
  return *collator;
}

}  // namespace

int compare_vietnamese(std::string_view a, std::string_view b) {
  UErrorCode status = U_ZERO_ERROR;
  const auto r = vietnamese_collator().compareUTF8(
      icu::StringPiece(a.data(), static_cast<int32_t>(a.size())),
      icu::StringPiece(b.data(), static_cast<int32_t>(b.size())), status);
  if (U_FAILURE(status)) throw error(std::string("ICU collation failed: ") + u_errorName(status));
  if (r != UCOL_EQUAL) return r == UCOL_LESS ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

std::string vietnamese_sort_key(std::string_view s) {
  const auto u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  const auto& coll = vietnamese_collator();
  std::string key(64, '\0');
  auto len =
      coll.getSortKey(u, reinterpret_cast<uint8_t*>(key.data()), static_cast<int32_t>(key.size()));
  if (len > static_cast<int32_t>(key.size())) {
    key.resize(static_cast<std::size_t>(len));
    len = coll.getSortKey(u, reinterpret_cast<uint8_t*>(key.data()), len);
  }
  key.resize(len > 0 ? static_cast<std::size_t>(len - 1) : 0);  // drop the trailing NUL
  return key;
}

}  // namespace khuyenhoc::detail
