#pragma once
/// \file detail/unicode.hpp
/// UTF-8 helpers shared by the parsers (implemented with ICU in src/unicode.cpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace khuyenhoc::detail {

/// True when every byte is ASCII. O(n).
[[nodiscard]] bool is_ascii(std::string_view s) noexcept;

/// Byte offset of the first byte that is not part of valid UTF-8, if any. O(n).
[[nodiscard]] std::optional<std::size_t> find_invalid_utf8(std::string_view s) noexcept;

/// The text in Unicode Normalization Form C (Vietnamese diacritics composed).
/// Precondition: valid UTF-8. Returns ASCII and already-NFC text unchanged.
[[nodiscard]] std::string to_nfc(std::string_view s);

/// True if `s` is already NFC (fast check).
[[nodiscard]] bool is_nfc(std::string_view s);

/// The code points of valid UTF-8 text.
[[nodiscard]] std::vector<char32_t> code_points(std::string_view s);

/// Number of code points of valid UTF-8 text.
[[nodiscard]] std::size_t count_code_points(std::string_view s) noexcept;

/// Lower-cased, diacritics removed, đ→d: "Quý 1" → "quy 1", "Tháng" → "thang". For matching
/// user-written keywords with or without diacritics, and for "did you mean" suggestions.
[[nodiscard]] std::string fold_for_matching(std::string_view s);

/// 1-based column (in code points) of byte offset `offset` in its line of `text`.
[[nodiscard]] std::size_t column_of(std::string_view text, std::size_t offset) noexcept;

/// The check every text reader (CSV, YAML, plan files) makes before parsing: valid UTF-8 and
/// no NUL byte. \throws parse_error at the offending byte's file:line:column, naming the byte.
void require_text(std::string_view text, std::string_view name);

}  // namespace khuyenhoc::detail

namespace khuyenhoc::detail {

/// Compares two UTF-8 strings in Vietnamese alphabetical order (ICU collation, locale "vi";
/// ties broken by bytes so the order is total). Thread-safe.
[[nodiscard]] int compare_vietnamese(std::string_view a, std::string_view b);

/// An ICU sort key for Vietnamese order: comparing keys bytewise (memcmp) orders the strings as
/// compare_vietnamese does, before its byte tie-break.
[[nodiscard]] std::string vietnamese_sort_key(std::string_view s);

}  // namespace khuyenhoc::detail
