#pragma once
// The one CSV tokenizer (RFC 4180) of the library, used by the pool reader (src/csv.cpp) and the
// plan readers (src/plan_io.cpp), so both quote alike and report errors alike. Private to src/.
//
// Records are read one at a time; each field is handed to a callback as a view (unquoted fields
// point into the text, quoted ones into a reused buffer) with its 1-based byte offset. Line
// breaks are LF or CRLF (also inside quoted fields, kept as written). Errors are parse_errors
// located at file:line:column:
//  - a quote never closed, reported at the line where it opened;
//  - a quoted field spanning more than `max_field_lines` lines (a stray quote that swallows
//    separators and line breaks, merging records), reported at the line where it opened;
//  - text after a closing quote (unless `text_after_quote` appends it, for Word's tab copies).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/error.hpp"

namespace khuyenhoc::detail {

struct csv_tokenizer_options {
  char separator = ',';
  /// Most lines one quoted field may span (0: no limit).
  std::size_t max_field_lines = 0;
  /// Append text after a closing quote to the field instead of raising parse_error.
  bool text_after_quote = false;
};

class csv_tokenizer {
 public:
  csv_tokenizer(std::string_view text, std::string_view name, csv_tokenizer_options options)
      : text_(text), name_(name), opt_(options) {}

  /// Skips blank lines; false at the end of the text.
  bool at_record() { return at_record(text_.size()); }

  /// Skips blank lines that start before `limit`; false when the next record would start at or
  /// after `limit` (or at the end of the text). For readers splitting the text into chunks that
  /// each end at a record boundary.
  bool at_record(std::size_t limit) {
    while (pos_ < limit && pos_ < text_.size()) {
      if (text_[pos_] == '\n') {
        ++pos_;
        ++line_;
      } else if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
        pos_ += 2;
        ++line_;
      } else {
        return true;
      }
    }
    return false;
  }

  /// Continues at byte `pos`, calling its line `line` (a record boundary of the text).
  void seek(std::size_t pos, std::size_t line) {
    pos_ = pos;
    line_ = line;
  }

  /// 1-based line of the next character.
  [[nodiscard]] std::size_t line() const { return line_; }
  /// Byte offset of the next character.
  [[nodiscard]] std::size_t pos() const { return pos_; }

  /// `offset1` is a 1-based byte offset into the text (0: no column).
  [[nodiscard]] location loc(std::size_t line, std::size_t offset1) const {
    location l{.file = std::string(name_), .line = line};
    if (offset1 != 0) l.column = column_of(text_, offset1 - 1);
    return l;
  }

  /// Reads one record from pos(), calling emit(field index, field text, 1-based byte offset)
  /// per field; leaves pos() after the record's line break.
  template <class Emit>
  void read_record(Emit&& emit) {
    std::size_t k = 0;
    const char* p = text_.data();
    const std::size_t n = text_.size();
    const char sep = opt_.separator;
    while (true) {
      const std::size_t field_start = pos_;
      std::string_view field;
      if (pos_ < n && p[pos_] == '"') {
        read_quoted(field_start);
        if (pos_ < n && p[pos_] != sep && p[pos_] != '\n' && p[pos_] != '\r') {
          if (!opt_.text_after_quote) {
            throw parse_error("unexpected character '" + code_point_at(pos_) +
                                  "' after a closing quote (a quote inside a quoted field must "
                                  "be doubled)",
                              loc(line_, pos_ + 1));
          }
          while (pos_ < n && p[pos_] != sep && p[pos_] != '\n' && p[pos_] != '\r')
            quoted_ += p[pos_++];
        }
        field = quoted_;
      } else {
        const std::size_t e = field_end(pos_);
        field = text_.substr(pos_, e - pos_);
        pos_ = e;
      }
      emit(k, field, field_start + 1);
      ++k;
      if (pos_ < n && p[pos_] == sep) {
        ++pos_;
        continue;
      }
      // End of record: LF, CRLF or a lone CR.
      if (pos_ < n) {
        if (p[pos_] == '\r') {
          ++pos_;
          if (pos_ < n && p[pos_] == '\n') ++pos_;
        } else {
          ++pos_;
        }
        ++line_;
      }
      return;
    }
  }

 private:
  void read_quoted(std::size_t field_start) {
    const std::size_t open_line = line_;
    quoted_.clear();
    ++pos_;
    while (true) {
      const std::size_t q = text_.find('"', pos_);
      const auto chunk = text_.substr(pos_, q == std::string_view::npos ? q : q - pos_);
      line_ += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
      if (opt_.max_field_lines != 0 && line_ - open_line + 1 > opt_.max_field_lines) {
        throw parse_error(
            "the quoted field opened here runs over more than " +
                std::to_string(opt_.max_field_lines) +
                " lines: a quote that is not closed where it should be swallows separators and "
                "line breaks, merging records (raise max_field_lines if one field really spans "
                "that many lines)",
            loc(open_line, field_start + 1));
      }
      if (q == std::string_view::npos) {
        throw parse_error("unterminated quoted field (the quote opened here is never closed)",
                          loc(open_line, field_start + 1));
      }
      quoted_ += chunk;
      pos_ = q + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        quoted_ += '"';
        ++pos_;
        continue;
      }
      return;
    }
  }

  /// The first separator, LF or CR at or after `b` (the text's size if none). Where those bytes
  /// are in a block of 64 is found at once (four 16-byte compares with SSE2, the x86-64
  /// baseline) and kept as a bit mask, so each field of the block then costs a shift and a count
  /// of trailing zeros, not a vector scan from its start (fields are ~12 bytes: most scans
  /// found their byte in the first 16 and the next field loaded the same bytes again).
  [[nodiscard]] std::size_t field_end(std::size_t b) {
    while (true) {
      if (b < block_ || b - block_ >= 64) load_block(b);
      const std::uint64_t m = mask_ >> (b - block_);
      if (m != 0) return b + static_cast<std::size_t>(__builtin_ctzll(m));
      b = block_ + 64;
    }
  }

  /// Sets block_ = b and mask_'s bit i for each separator, LF or CR at b + i; in the text's last
  /// block, also the bit of the text's end (so field_end stops there).
  void load_block(std::size_t b) {
    const char* p = text_.data();
    const std::size_t n = text_.size();
    const char sep = opt_.separator;
    block_ = b;
    std::uint64_t m = 0;
    if (b + 64 <= n) {
#if defined(__SSE2__)
      const __m128i vs = _mm_set1_epi8(sep);
      const __m128i vn = _mm_set1_epi8('\n');
      const __m128i vr = _mm_set1_epi8('\r');
      for (unsigned i = 0; i < 4; ++i) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + b + 16 * i));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vs), _mm_cmpeq_epi8(v, vn)),
                                         _mm_cmpeq_epi8(v, vr));
        m |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(hit))) << (16U * i);
      }
      mask_ = m;
      return;
#endif
    }
    const std::size_t len = std::min<std::size_t>(64, n - b);
    for (std::size_t i = 0; i < len; ++i) {
      const char c = p[b + i];
      if (c == sep || c == '\n' || c == '\r') m |= std::uint64_t{1} << i;
    }
    if (len < 64) m |= std::uint64_t{1} << len;  // the end of the text
    mask_ = m;
  }

  /// The whole UTF-8 character at byte `i` (the text is valid UTF-8: checked before).
  [[nodiscard]] std::string code_point_at(std::size_t i) const {
    const auto c = static_cast<unsigned char>(text_[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return std::string(text_.substr(i, len));
  }

  std::string_view text_;
  std::string_view name_;
  csv_tokenizer_options opt_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::string quoted_;
  // field_end's block: the 64 bytes from block_ (none yet: any position reloads) and the bits
  // of their separators and line breaks.
  std::size_t block_ = static_cast<std::size_t>(-1);
  std::uint64_t mask_ = 0;
};

}  // namespace khuyenhoc::detail
