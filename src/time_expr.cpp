// Parser of Vietnamese time expressions (see docs/time_expressions.md for the forms).
//
// The text is first folded to one ASCII byte per character (NFC code point): diacritics
// removed, đ -> d, lower case, every dash -> '-', every space -> ' '. Folding keeps the
// character positions, so errors point at the column the user sees. A small tokenizer and a
// recursive-descent parser then read the folded text.
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/time_expr.hpp>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <string>
#include <vector>

namespace khuyenhoc {

namespace bg = boost::gregorian;

std::string_view to_string(time_granularity g) noexcept {
  switch (g) {
    case time_granularity::day:
      return "day";
    case time_granularity::week:
      return "week";
    case time_granularity::part_of_month:
      return "part_of_month";
    case time_granularity::month:
      return "month";
    case time_granularity::quarter:
      return "quarter";
    case time_granularity::year:
      return "year";
  }
  return "day";
}

bg::date_period time_expr::period() const {
  const bg::date first = start ? *start : bg::date(bg::min_date_time);
  const bg::date past_end = end ? *end + bg::days(1) : bg::date(bg::max_date_time);
  return {first, past_end};
}

namespace {

// Years an expression may name; keeps end + 1 day inside Boost's range.
constexpr int min_year = 1400;
constexpr int max_year = 9998;

// ---------------------------------------------------------------------------------------------
// Folding
// ---------------------------------------------------------------------------------------------

constexpr char unknown_char = '\x01';  // a character no rule matches

struct folded_text {
  std::string chars;                // one byte per character
  std::vector<std::uint32_t> line;  // 1-based, per character
  std::vector<std::uint32_t> column;
};

char fold_ascii(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  if (c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return ' ';
  if (c == '~') return '-';
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return unknown_char;
  return c;
}

char fold_code_point(UChar32 c, const icu::Normalizer2& nfd) {
  if (c < 0x80) return fold_ascii(static_cast<char>(c));
  if (c == 0x0110 || c == 0x0111 || c == 0x00D0) return 'd';  // Đ đ (and Ð typed for Đ)
  if (c >= 0xFF01 && c <= 0xFF5E) return fold_ascii(static_cast<char>(c - 0xFEE0));  // fullwidth
  if (u_isUWhiteSpace(c) || u_charType(c) == U_FORMAT_CHAR) return ' ';
  if (u_charType(c) == U_DASH_PUNCTUATION || c == 0x2212 || c == 0x2192) return '-';
  if (c == 0x2044 || c == 0x2215) return '/';
  icu::UnicodeString decomposition;
  if (nfd.getDecomposition(c, decomposition) && decomposition.length() > 0) {
    const UChar32 base = decomposition.char32At(0);
    if (base < 0x80 && u_isalpha(base)) return fold_ascii(static_cast<char>(base));
  }
  return unknown_char;
}

folded_text fold(std::string_view text) {
  folded_text out;
  out.chars.reserve(text.size());
  out.line.reserve(text.size());
  out.column.reserve(text.size());
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  const auto push = [&](char c, bool newline) {
    out.chars.push_back(c);
    out.line.push_back(line);
    out.column.push_back(column);
    if (newline) {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  };
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {  // the common case needs no Unicode machinery
    for (char c : text) push(fold_ascii(c), c == '\n');
    return out;
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) throw error("ICU normalizer unavailable");
  if (text.size() > static_cast<std::size_t>(INT32_MAX / 4)) {
    throw parse_error("time expression too long");
  }
  const icu::UnicodeString raw = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())));
  const icu::UnicodeString normal = nfc->normalize(raw, status);
  if (U_FAILURE(status)) throw error("ICU normalisation failed");
  for (std::int32_t i = 0; i < normal.length();) {
    const UChar32 c = normal.char32At(i);
    i = normal.moveIndex32(i, 1);
    push(fold_code_point(c, *nfd), c == '\n');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

enum class tok : std::uint8_t {
  number,
  word,
  slash,
  dash,
  comma,
  lparen,
  rparen,
  punct,  // . : ;
  other,
  end
};

struct token {
  tok kind = tok::end;
  std::size_t pos = 0;    // index into the folded text
  std::string_view word;  // words and numbers: the folded characters
  long value = 0;         // numbers
  int digits = 0;         // numbers: how many digits were written
};

bool is_letter(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::vector<token> tokenize(const std::string& s) {
  std::vector<token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ') {
      ++i;
      continue;
    }
    token t;
    t.pos = i;
    if (is_digit(c)) {
      std::size_t j = i;
      while (j < s.size() && is_digit(s[j])) ++j;
      t.kind = tok::number;
      t.word = std::string_view(s).substr(i, j - i);
      t.digits = static_cast<int>(j - i);
      long v = 0;
      for (std::size_t k = i; k < j && v < 100000; ++k) v = v * 10 + (s[k] - '0');
      t.value = v;  // saturates: anything past 99999 is no day, month or year anyway
      i = j;
    } else if (is_letter(c)) {
      std::size_t j = i;
      while (j < s.size() && is_letter(s[j])) ++j;
      t.kind = tok::word;
      t.word = std::string_view(s).substr(i, j - i);
      i = j;
    } else {
      switch (c) {
        case '/':
          t.kind = tok::slash;
          break;
        case '-':
          t.kind = tok::dash;
          break;
        case ',':
          t.kind = tok::comma;
          break;
        case '(':
        case '[':
          t.kind = tok::lparen;
          break;
        case ')':
        case ']':
          t.kind = tok::rparen;
          break;
        case '.':
        case ':':
        case ';':
          t.kind = tok::punct;
          break;
        default:
          t.kind = tok::other;
      }
      t.word = std::string_view(s).substr(i, 1);
      ++i;
    }
    out.push_back(t);
  }
  token end;
  end.kind = tok::end;
  end.pos = s.size();
  out.push_back(end);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Points (one end of a range) and the parser
// ---------------------------------------------------------------------------------------------

enum class point_kind : std::uint8_t {
  bare_number,  // "27" in "27 - 30/8": a day or month told by the other end
  day,
  part_of_month,
  month,  // month .. month_last (a list "tháng 6,7" is a range of months)
  quarter,
  year,
  school_year,      // "năm học 2024-2025": 1/9 .. 31/5
  week,             // "tuần 2 tháng 10": week 1..5 of a month (0: the last, "tuần cuối")
  part_of_year,     // "đầu/giữa/cuối năm": Jan–Feb, Jun–Jul, Nov–Dec
  part_of_quarter,  // "đầu/giữa/cuối quý 3": the quarter's first, second or third month
  semester,         // "học kỳ I/II (năm học 2024-2025)"
  first_months,     // "6 tháng đầu/cuối năm": months 1..n or 13-n..12
};

struct point {
  point_kind kind = point_kind::day;
  std::size_t pos = 0;        // where it starts (folded index)
  std::size_t value_pos = 0;  // where its number is (for "day 31 does not exist")
  int number = 0;             // bare number
  int digits = 0;             // bare number: digits written
  int day = 0;
  int month = 0;
  int month_last = 0;  // month: last month of a list (may wrap past 12 into the next year)
  int quarter = 0;
  int part = 0;  // 0 đầu, 1 giữa, 2 cuối
  int week = 0;  // week: 1..5, 0 the last
  int semester = 0;
  bool school_year_given = false;  // semester: "năm học …" written (year = its first year)
  std::optional<int> year;
};

time_granularity granularity_of(point_kind k) {
  switch (k) {
    case point_kind::day:
    case point_kind::bare_number:
      return time_granularity::day;
    case point_kind::week:
      return time_granularity::week;
    case point_kind::part_of_month:
      return time_granularity::part_of_month;
    case point_kind::month:
    case point_kind::part_of_year:
    case point_kind::part_of_quarter:
    case point_kind::semester:
    case point_kind::first_months:
      return time_granularity::month;
    case point_kind::quarter:
      return time_granularity::quarter;
    case point_kind::year:
    case point_kind::school_year:
      return time_granularity::year;
  }
  return time_granularity::day;
}

// Forms whose bounds are a convention rather than written dates.
bool approximate_kind(point_kind k) {
  return k == point_kind::part_of_month || k == point_kind::school_year || k == point_kind::week ||
         k == point_kind::part_of_year || k == point_kind::part_of_quarter ||
         k == point_kind::semester;
}

int days_in_month(int year, int month) {
  return bg::gregorian_calendar::end_of_month_day(static_cast<unsigned short>(year),
                                                  static_cast<unsigned short>(month));
}

bg::date make_date(int year, int month, int day) {
  return {static_cast<unsigned short>(year), static_cast<unsigned short>(month),
          static_cast<unsigned short>(day)};
}

// "30/11/2024", as dates are written in Vietnamese.
std::string dmy(bg::date d) {
  return std::to_string(d.day().as_number()) + "/" + std::to_string(d.month().as_number()) + "/" +
         std::to_string(static_cast<int>(d.year()));
}

enum class before_kind : std::uint8_t { none, from, after, before, by, until };

class parser {
 public:
  parser(std::string_view text, std::optional<int> year)
      : text_(text), folded_(fold(text)), tokens_(tokenize(folded_.chars)), year_(year) {}

  time_expr run() {
    time_expr out;
    out.text = std::string(text_);
    if (tokens_.front().kind == tok::end) fail(0, "the time expression is empty");
    // Forms without a date: "Thường xuyên" (all the time), "hàng năm"/"hằng tháng" alone.
    if (word_is("thuong") && word_is("xuyen", 1) && only_modifiers_after(2)) {
      next(2);
      out.ongoing = true;
      out.granularity = time_granularity::year;
      trailing_modifiers(out, 0);
      return out;
    }
    int depth = 0;
    before_kind prefix = before_kind::none;
    // Leading modifiers.
    for (;;) {
      const token& t = peek();
      if (t.kind == tok::lparen) {
        ++depth;
        next();
      } else if (word_is("du") && word_is("kien", 1)) {
        next(2);
        out.tentative = true;
        skip_punct();
      } else if (const auto r = recurring_phrase()) {
        out.recurring = true;
        out.repeat = r;
        skip_punct();
      } else if (word_is("khoang")) {
        next();
        out.approximate = true;
      } else if (time_of_day()) {
        skip_punct();
      } else if (word_is("luc") || word_is("vao") || word_is("trong") || word_is("sang") ||
                 word_is("chieu") || word_is("toi")) {
        next();  // "lúc", "vào", "trong", "sáng", "chiều", "tối": no effect on the day
      } else if (prefix == before_kind::none && word_is("tu")) {
        next();
        prefix = before_kind::from;
      } else if (prefix == before_kind::none && word_is("sau")) {
        next();
        prefix = before_kind::after;
      } else if (prefix == before_kind::none && word_is("truoc")) {
        next();
        prefix = before_kind::before;
      } else if (prefix == before_kind::none && word_is("cham") && word_is("nhat", 1)) {
        next(2);
        if (word_is("la")) next();
        prefix = before_kind::by;
      } else if (prefix == before_kind::none && word_is("han")) {
        next();
        if (word_is("chot") || word_is("cuoi")) next();
        skip_punct();
        prefix = before_kind::by;
      } else if (prefix == before_kind::none && word_is("den")) {
        next();
        if (word_is("het")) next();
        prefix = before_kind::until;
      } else {
        break;
      }
    }
    if (out.recurring && depth == 0 && prefix == before_kind::none && peek().kind == tok::end) {
      // "hàng năm", "hằng tháng": repeats, no date
      out.granularity = out.repeat == "month" ? time_granularity::month : time_granularity::year;
      return out;
    }
    point a = parse_point();
    std::optional<point> b;
    std::size_t separator_pos = 0;
    if (peek().kind == tok::dash || word_is("den") || word_is("toi")) {
      separator_pos = peek().pos;
      next();
      if (word_is("het")) next();
      b = parse_point();
    }
    trailing_modifiers(out, depth);

    if (b) {
      if (prefix != before_kind::none && prefix != before_kind::from) {
        fail(separator_pos, "a range cannot follow \"" + prefix_word(prefix) + "\"");
      }
      resolve_range(a, *b, out);
      return out;
    }
    if (a.kind == point_kind::bare_number) {
      if (a.digits == 4) {  // "2025": a year
        a.kind = point_kind::year;
        a.year = checked_year(a.number, a.digits, a.pos);
      } else {
        fail(a.pos, "a number alone is not a date (write day/month)");
      }
    }
    const auto [first, last] = resolve(a, year_or_fail(a));
    out.granularity = granularity_of(a.kind);
    out.approximate = out.approximate || approximate_kind(a.kind);
    switch (prefix) {
      case before_kind::none:
        out.start = first;
        out.end = last;
        break;
      case before_kind::from:
        out.start = first;
        out.open_ended = true;
        break;
      case before_kind::after:
        out.start = last + bg::days(1);
        out.open_ended = true;
        break;
      case before_kind::before:
        // "trước ngày 30/11" is a deadline on 30/11 in Vietnamese administrative usage;
        // "trước tháng 10" ends before October starts.
        out.end = a.kind == point_kind::day ? last : first - bg::days(1);
        out.deadline = true;
        break;
      case before_kind::by:
      case before_kind::until:
        out.end = last;
        out.deadline = true;
        break;
    }
    return out;
  }

 private:
  // --- token access --------------------------------------------------------------------------
  const token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(i_ + ahead, tokens_.size() - 1)];
  }
  void next(std::size_t n = 1) { i_ = std::min(i_ + n, tokens_.size() - 1); }
  bool word_is(std::string_view w, std::size_t ahead = 0) const {
    const token& t = peek(ahead);
    return t.kind == tok::word && t.word == w;
  }
  void skip_punct() {
    while (peek().kind == tok::punct || peek().kind == tok::comma) next();
  }

  // "hàng năm", "hằng năm", "mỗi năm" (every year); "hàng tháng", "hằng tháng", "mỗi tháng".
  // Returns "year", "month" or nullptr.
  const char* recurring_phrase() {
    if ((word_is("hang") || word_is("moi")) && word_is("nam", 1)) {
      next(2);
      return "year";
    }
    if ((word_is("hang") || word_is("moi")) && word_is("thang", 1)) {
      next(2);
      return "month";
    }
    return nullptr;
  }

  // True when only modifiers ("(Dự kiến)", punctuation) follow token i_ + ahead.
  bool only_modifiers_after(std::size_t ahead) const {
    for (std::size_t k = i_ + ahead; k < tokens_.size(); ++k) {
      const token& t = tokens_[k];
      if (t.kind == tok::end) return true;
      if (t.kind == tok::lparen || t.kind == tok::rparen || t.kind == tok::comma ||
          t.kind == tok::punct) {
        continue;
      }
      if (t.kind == tok::word && (t.word == "du" || t.word == "kien")) continue;
      return false;
    }
    return true;
  }

  // After the date: "(Dự kiến)", "hàng năm", an hour, punctuation; parentheses balanced.
  void trailing_modifiers(time_expr& out, int depth) {
    for (;;) {
      const token& t = peek();
      if (t.kind == tok::end) break;
      if (t.kind == tok::lparen) {
        ++depth;
        next();
      } else if (t.kind == tok::rparen) {
        if (depth == 0) fail(t.pos, "')' without '('");
        --depth;
        next();
      } else if (t.kind == tok::comma || t.kind == tok::punct) {
        next();
      } else if (word_is("du") && word_is("kien", 1)) {
        next(2);
        out.tentative = true;
      } else if (const auto r = recurring_phrase()) {
        out.recurring = true;
        out.repeat = r;
      } else if (time_of_day()) {
        // "05/11 lúc 8h00" — the hour does not change the day
      } else if (word_is("luc") || word_is("sang") || word_is("chieu") || word_is("toi")) {
        next();
      } else {
        fail(t.pos, "unexpected \"" + original(t) + "\"");
      }
    }
    if (depth != 0) fail(folded_.chars.size(), "'(' is not closed");
  }

  // "8h", "8h30", "8 giờ", "8 giờ 30 phút", "8g30": skipped.
  bool time_of_day() {
    if (peek().kind != tok::number) return false;
    if (!(word_is("h", 1) || word_is("g", 1) || word_is("gio", 1))) return false;
    if (peek().value > 24) return false;
    next(2);
    if (peek().kind == tok::number && peek().digits <= 2 && peek().value < 60 &&
        peek(1).kind != tok::slash) {
      next();
      if (word_is("phut") || word_is("p")) next();
    }
    return true;
  }

  static std::string prefix_word(before_kind k) {
    switch (k) {
      case before_kind::after:
        return "sau";
      case before_kind::before:
        return "trước";
      case before_kind::by:
        return "chậm nhất";
      case before_kind::until:
        return "đến";
      default:
        return "từ";
    }
  }

  // The original characters of a token (for messages).
  std::string original(const token& t) const {
    const std::size_t n = t.kind == tok::end ? 0 : std::max<std::size_t>(t.word.size(), 1);
    return original_slice(t.pos, n);
  }
  std::string original_slice(std::size_t pos, std::size_t n) const {
    // Re-fold char by char is costly; instead walk the UTF-8 of the NFC text. Messages are
    // rare, so we rebuild NFC here.
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    const icu::UnicodeString raw = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text_.data(), static_cast<std::int32_t>(text_.size())));
    const icu::UnicodeString normal = U_SUCCESS(status) ? nfc->normalize(raw, status) : raw;
    std::int32_t begin = normal.moveIndex32(0, static_cast<std::int32_t>(pos));
    std::int32_t finish = normal.moveIndex32(begin, static_cast<std::int32_t>(n));
    std::string out;
    normal.tempSubStringBetween(begin, finish).toUTF8String(out);
    return out;
  }

  [[noreturn]] void fail(std::size_t pos, const std::string& what) const {
    location where;
    if (pos < folded_.chars.size()) {
      where.line = folded_.line[pos];
      where.column = folded_.column[pos];
    } else if (!folded_.chars.empty()) {  // at the end: just past the last character
      where.line = folded_.line.back();
      where.column = folded_.column.back() + 1;
    } else {
      where.line = 1;
      where.column = 1;
    }
    std::string at =
        where.line > 1 ? "line " + std::to_string(where.line) + ", column " : "column ";
    at += std::to_string(where.column);
    throw parse_error("\"" + std::string(text_) + "\": " + what + " (" + at + ")", where);
  }

  // --- numbers -------------------------------------------------------------------------------
  token expect_number(const char* what) {
    const token t = peek();
    if (t.kind != tok::number) {
      fail(t.pos, std::string("expected ") + what +
                      (t.kind == tok::end ? " at the end" : ", found \"" + original(t) + "\""));
    }
    next();
    return t;
  }
  int month_value(const token& t) const {
    if (t.value < 1 || t.value > 12)
      fail(t.pos, "month " + std::string(t.word) + " does not exist");
    return static_cast<int>(t.value);
  }
  int year_value(const token& t) const { return checked_year(t.value, t.digits, t.pos); }
  int checked_year(long value, int digits, std::size_t pos) const {
    if (digits != 4)
      fail(pos, "\"" + original_slice(pos, static_cast<std::size_t>(digits)) +
                    "\" is not a year (write four digits)");
    if (value < min_year || value > max_year) {
      fail(pos, "year " + std::to_string(value) + " is outside " + std::to_string(min_year) + ".." +
                    std::to_string(max_year));
    }
    return static_cast<int>(value);
  }
  // Optional "/YYYY" or "năm YYYY" after a day, month or quarter.
  std::optional<int> optional_year() {
    if (peek().kind == tok::slash && peek(1).kind == tok::number) {
      next();
      return year_value(expect_number("a year"));
    }
    if (word_is("nam") && peek(1).kind == tok::number) {
      next();
      return year_value(expect_number("a year"));
    }
    return std::nullopt;
  }

  // --- points --------------------------------------------------------------------------------
  point parse_point() {
    point p;
    p.pos = peek().pos;
    if (word_is("ca") && word_is("nam", 1)) {  // "Cả năm", "cả năm 2025"
      next(2);
      p.kind = point_kind::year;
      if (peek().kind == tok::number) {
        const token y = expect_number("a year");
        p.value_pos = y.pos;
        p.year = year_value(y);
      }
      return p;
    }
    if (word_is("tuan")) {  // "Tuần 2 tháng 10", "tuần đầu/cuối tháng 10"
      next();
      p.kind = point_kind::week;
      const token& t = peek();
      p.value_pos = t.pos;
      if (t.kind == tok::number) {
        if (t.value < 1 || t.value > 5) fail(t.pos, "a month has weeks 1 to 5");
        p.week = static_cast<int>(t.value);
        next();
      } else if (word_is("dau")) {
        p.week = 1;
        next();
      } else if (word_is("cuoi")) {
        p.week = 0;
        next();
      } else {
        fail(t.pos, "expected the week's number (1-5), \"đầu\" or \"cuối\"");
      }
      if (!word_is("thang")) fail(peek().pos, "expected \"tháng\" after the week");
      next();
      const point m = month_point(p);
      if (m.month_last != m.month) fail(m.pos, "a week takes a single month");
      point w = m;
      w.kind = point_kind::week;
      w.value_pos = p.value_pos;  // errors point at the week's number
      return w;
    }
    if (word_is("hoc") && (word_is("ky", 1) || word_is("ki", 1))) {  // "Học kỳ I", "học kỳ 2"
      next(2);
      p.kind = point_kind::semester;
      const token& t = peek();
      p.value_pos = t.pos;
      if (t.kind == tok::number && (t.value == 1 || t.value == 2)) {
        p.semester = static_cast<int>(t.value);
      } else if (t.kind == tok::word && (t.word == "i" || t.word == "ii")) {
        p.semester = t.word == "i" ? 1 : 2;
      } else {
        fail(t.pos, "expected the semester (I, II, 1 or 2)");
      }
      next();
      skip_punct();
      if (word_is("nam") && word_is("hoc", 1)) {
        next(2);
        const token y1 = expect_number("the school year's first year");
        p.year = year_value(y1);
        p.school_year_given = true;
        if (peek().kind == tok::dash || peek().kind == tok::slash) {
          next();
          const token y2 = expect_number("the school year's second year");
          if (year_value(y2) != *p.year + 1) {
            fail(y2.pos, "a school year runs over two consecutive years");
          }
        }
      }
      return p;
    }
    if (word_is("ngay")) {
      next();
      const token d = expect_number("a day");
      p.value_pos = d.pos;
      if (peek().kind == tok::slash) return day_after_number(p, d);
      if (word_is("thang")) {  // "ngày 18 tháng 01 năm 2024"
        next();
        p.kind = point_kind::day;
        p.day = static_cast<int>(std::min<long>(d.value, 99));
        p.month = month_value(expect_number("a month"));
        p.year = optional_year();
        return p;
      }
      p.kind = point_kind::bare_number;
      p.number = static_cast<int>(d.value);
      p.digits = d.digits;
      return p;
    }
    if (word_is("thang")) {
      next();
      return month_point(p);
    }
    if (word_is("quy")) {
      next();
      return quarter_point(p);
    }
    return parse_point_rest(p);
  }

  // After "quý": "1", "I", with an optional year.
  point quarter_point(point p) {
    {
      p.kind = point_kind::quarter;
      const token& t = peek();
      p.value_pos = t.pos;
      if (t.kind == tok::number) {
        if (t.value < 1 || t.value > 4)
          fail(t.pos, "quarter " + std::string(t.word) + " does not exist");
        p.quarter = static_cast<int>(t.value);
        next();
      } else if (t.kind == tok::word &&
                 (t.word == "i" || t.word == "ii" || t.word == "iii" || t.word == "iv")) {
        p.quarter = t.word == "i" ? 1 : t.word == "ii" ? 2 : t.word == "iii" ? 3 : 4;
        next();
      } else {
        fail(t.pos, "expected the quarter's number (1-4 or I-IV)");
      }
      p.year = optional_year();
      return p;
    }
  }

  point parse_point_rest(point p) {
    if (word_is("nam")) {
      next();
      if (word_is("hoc")) {  // "năm học 2024-2025"
        next();
        p.kind = point_kind::school_year;
        const token y1 = expect_number("the school year's first year");
        p.value_pos = y1.pos;
        p.year = year_value(y1);
        if (peek().kind == tok::dash || peek().kind == tok::slash) {
          next();
          const token y2 = expect_number("the school year's second year");
          if (year_value(y2) != *p.year + 1) {
            fail(y2.pos, "a school year runs over two consecutive years");
          }
        }
        return p;
      }
      p.kind = point_kind::year;
      const token y = expect_number("a year");
      p.value_pos = y.pos;
      p.year = year_value(y);
      return p;
    }
    if (word_is("dau") || word_is("giua") || word_is("cuoi")) {
      p.part = word_is("dau") ? 0 : word_is("giua") ? 1 : 2;
      next();
      if (word_is("nam") && !word_is("hoc", 1)) {  // "cuối năm", "đầu năm 2025"
        next();
        p.kind = point_kind::part_of_year;
        if (peek().kind == tok::number) {
          const token y = expect_number("a year");
          p.value_pos = y.pos;
          p.year = year_value(y);
        }
        return p;
      }
      if (word_is("quy")) {  // "cuối quý 3", "đầu quý I/2025"
        next();
        point q = quarter_point(p);
        q.kind = point_kind::part_of_quarter;
        return q;
      }
      if (!word_is("thang")) {
        fail(peek().pos, "expected \"tháng\", \"quý\" or \"năm\" after đầu/giữa/cuối");
      }
      next();
      point m = month_point(p);
      if (m.month_last != m.month) fail(m.pos, "đầu/giữa/cuối takes a single month");
      m.kind = point_kind::part_of_month;
      return m;
    }
    if (peek().kind == tok::number && word_is("thang", 1) &&
        (word_is("dau", 2) || word_is("cuoi", 2)) && word_is("nam", 3)) {
      // "6 tháng đầu năm", "6 tháng cuối năm 2025"
      const token n = peek();
      if (n.value < 1 || n.value > 12) fail(n.pos, "a year has 12 months");
      p.kind = point_kind::first_months;
      p.value_pos = n.pos;
      p.part = word_is("dau", 2) ? 0 : 2;
      p.month = static_cast<int>(n.value);
      next(4);
      if (peek().kind == tok::number) p.year = year_value(expect_number("a year"));
      return p;
    }
    if (peek().kind == tok::number) {
      const token n = peek();
      next();
      p.value_pos = n.pos;
      if (peek().kind == tok::slash && peek(1).kind == tok::number) {
        if (peek(1).digits == 4) {  // "10/2024": a month of a year
          p.kind = point_kind::month;
          p.month = p.month_last = month_value(n);
          next();
          p.year = year_value(expect_number("a year"));
          return p;
        }
        return day_after_number(p, n);
      }
      p.kind = point_kind::bare_number;
      p.number = static_cast<int>(n.value);
      p.digits = n.digits;
      return p;
    }
    const token& t = peek();
    if (t.kind == tok::end) fail(t.pos, "expected a date at the end");
    fail(t.pos, "expected a date, found \"" + original(t) + "\"");
  }

  // After "D" with the next token '/': "D/M" or "D/M/YYYY".
  point day_after_number(point p, const token& d) {
    next();  // '/'
    const token m = expect_number("a month");
    p.kind = point_kind::day;
    p.value_pos = d.pos;
    p.day = static_cast<int>(std::min<long>(d.value, 99));
    p.month = month_value(m);
    if (p.day < 1) fail(d.pos, "day " + std::string(d.word) + " does not exist");
    if (peek().kind == tok::slash) {
      next();
      const token y = expect_number("a year");
      p.year = year_value(y);
    } else {
      p.year = optional_year();
    }
    return p;
  }

  // After "tháng": "M", "M/YYYY", "M năm YYYY", "M, M+1 (và M+2)".
  point month_point(point p) {
    p.kind = point_kind::month;
    const token m = expect_number("a month");
    p.value_pos = m.pos;
    p.month = p.month_last = month_value(m);
    int count = 1;
    while ((peek().kind == tok::comma || word_is("va")) && peek(1).kind == tok::number) {
      next();
      const token n = peek();
      next();
      const int v = month_value(n);
      if (v != p.month_last % 12 + 1) {
        fail(n.pos, "the months of a list must follow each other");
      }
      p.month_last = v;
      if (++count > 12) fail(n.pos, "more than twelve months");
    }
    p.year = optional_year();
    return p;
  }

  // --- resolution ----------------------------------------------------------------------------
  int year_or_fail(const point& p) const {
    if (p.year) return *p.year;
    if (year_) return *year_;
    fail(p.pos, "no year given (give the plan's year)");
  }

  // First and last day of a point in `year` (its own year if it has one); throws for impossible
  // dates.
  std::pair<bg::date, bg::date> resolve(const point& p, int year) const {
    const int y = p.year.value_or(year);
    switch (p.kind) {
      case point_kind::bare_number:
      case point_kind::day: {
        if (p.day < 1) fail(p.value_pos, "day " + std::to_string(p.day) + " does not exist");
        if (p.day > days_in_month(y, p.month)) {
          std::string what = "day " + std::to_string(p.day) + " does not exist in month " +
                             std::to_string(p.month);
          if (p.month == 2 && p.day == 29) what += " of " + std::to_string(y);
          fail(p.value_pos, what);
        }
        const bg::date d = make_date(y, p.month, p.day);
        return {d, d};
      }
      case point_kind::part_of_month: {
        const int first = p.part * 10 + 1;
        const int last = p.part == 2 ? days_in_month(y, p.month) : first + 9;
        return {make_date(y, p.month, first), make_date(y, p.month, last)};
      }
      case point_kind::month: {
        const int last_year = p.month_last < p.month ? y + 1 : y;
        if (last_year > max_year) fail(p.pos, "year out of range");
        return {make_date(y, p.month, 1),
                make_date(last_year, p.month_last, days_in_month(last_year, p.month_last))};
      }
      case point_kind::quarter: {
        const int m = p.quarter * 3;
        return {make_date(y, m - 2, 1), make_date(y, m, days_in_month(y, m))};
      }
      case point_kind::year:
        return {make_date(y, 1, 1), make_date(y, 12, 31)};
      case point_kind::school_year:
        if (y + 1 > max_year) fail(p.pos, "year out of range");
        return {make_date(y, 9, 1), make_date(y + 1, 5, 31)};
      case point_kind::week: {
        const int dim = days_in_month(y, p.month);
        if (p.week == 0) return {make_date(y, p.month, dim - 6), make_date(y, p.month, dim)};
        const int first = (p.week - 1) * 7 + 1;
        if (first > dim) {
          fail(p.value_pos, "month " + std::to_string(p.month) + " of " + std::to_string(y) +
                                " has no week " + std::to_string(p.week));
        }
        return {make_date(y, p.month, first),
                make_date(y, p.month, p.week == 5 ? dim : std::min(dim, first + 6))};
      }
      case point_kind::part_of_year: {
        static constexpr int first_month[] = {1, 6, 11};
        const int m = first_month[p.part];
        return {make_date(y, m, 1), make_date(y, m + 1, days_in_month(y, m + 1))};
      }
      case point_kind::part_of_quarter: {
        const int m = (p.quarter - 1) * 3 + 1 + p.part;
        return {make_date(y, m, 1), make_date(y, m, days_in_month(y, m))};
      }
      case point_kind::semester: {
        // Semester I: 1/9 to 15/1 of the school year; II: 16/1 to 31/5. Without "năm học",
        // the plan's year is the one the semester mostly lies in (I starts in it, II ends in it).
        const int first_year = p.school_year_given ? y : (p.semester == 1 ? y : y - 1);
        if (first_year + 1 > max_year || first_year < min_year) fail(p.pos, "year out of range");
        if (p.semester == 1) return {make_date(first_year, 9, 1), make_date(first_year + 1, 1, 15)};
        return {make_date(first_year + 1, 1, 16), make_date(first_year + 1, 5, 31)};
      }
      case point_kind::first_months: {
        if (p.part == 0)
          return {make_date(y, 1, 1), make_date(y, p.month, days_in_month(y, p.month))};
        const int m = 13 - p.month;
        return {make_date(y, m, 1), make_date(y, 12, 31)};
      }
    }
    fail(p.pos, "internal: unknown point");
  }

  void resolve_range(point a, point b, time_expr& out) const {
    // A bare number takes its meaning from the other end.
    if (a.kind == point_kind::bare_number) {
      if (b.kind == point_kind::day) {
        a.kind = point_kind::day;
        a.day = a.number;
        a.value_pos = a.pos;
        a.month = b.month;
        if (a.day < 1 || a.day > 31)
          fail(a.value_pos, "day " + std::to_string(a.day) + " does not exist");
      } else if (b.kind == point_kind::month && b.month == b.month_last) {
        a.kind = point_kind::month;
        if (a.number < 1 || a.number > 12)
          fail(a.pos, "month " + std::to_string(a.number) + " does not exist");
        a.month = a.month_last = a.number;
      } else {
        fail(a.pos, "a number alone is not a date (write day/month)");
      }
      // "27-30/8/2024": the year of the end is the year of both.
    }
    if (b.kind == point_kind::bare_number) {
      if (a.kind == point_kind::month) {
        if (b.number < 1 || b.number > 12)
          fail(b.pos, "month " + std::to_string(b.number) + " does not exist");
        b.kind = point_kind::month;
        b.month = b.month_last = b.number;
      } else if (a.kind == point_kind::day) {
        b.kind = point_kind::day;
        b.day = b.number;
        b.month = a.month;
        b.value_pos = b.pos;
        if (b.day < 1 || b.day > 31)
          fail(b.pos, "day " + std::to_string(b.day) + " does not exist");
      } else if (a.kind == point_kind::quarter) {
        if (b.number < 1 || b.number > 4)
          fail(b.pos, "quarter " + std::to_string(b.number) + " does not exist");
        b.kind = point_kind::quarter;
        b.quarter = b.number;
      } else {
        fail(b.pos, "a number alone is not a date (write day/month)");
      }
    }
    // Years: an end without a year takes the other end's, then the plan's. A range written
    // backwards runs over the new year if that keeps it within 300 days.
    constexpr long max_wrapped_days = 300;
    int ya = 0;
    int yb = 0;
    bool may_wrap = false;  // true when one side's year was inferred
    if (a.year && b.year) {
      ya = *a.year;
      yb = *b.year;
    } else if (b.year) {
      yb = *b.year;
      ya = yb;
      may_wrap = true;
      if (resolve(a, ya).first > resolve(b, yb).second) --ya;
    } else if (a.year) {
      ya = *a.year;
      yb = ya;
      may_wrap = true;
      if (resolve(a, ya).first > resolve(b, yb).second) ++yb;
    } else {
      ya = yb = year_or_fail(a);
      may_wrap = true;
      if (resolve(a, ya).first > resolve(b, yb).second) ++yb;
    }
    if (ya < min_year || yb > max_year) fail(a.pos, "year out of range");
    const auto [first, a_last] = resolve(a, ya);
    const auto [b_first, last] = resolve(b, yb);
    if (first > last) {
      fail(b.pos, "the range ends on " + dmy(last) + ", before it starts on " + dmy(first));
    }
    if (may_wrap && ya != yb && !(a.year && b.year) &&
        (last - first).days() + 1 > max_wrapped_days) {
      fail(b.pos, "the range runs backwards (it ends before it starts)");
    }
    out.start = first;
    out.end = last;
    out.granularity = std::max(granularity_of(a.kind), granularity_of(b.kind));
    out.approximate = out.approximate || approximate_kind(a.kind) || approximate_kind(b.kind);
  }

  std::string_view text_;
  folded_text folded_;
  std::vector<token> tokens_;
  std::optional<int> year_;
  std::size_t i_ = 0;
};

}  // namespace

time_expr parse_time(std::string_view text, int year) {
  if (year < min_year || year > max_year) {
    throw parse_error("the plan's year " + std::to_string(year) + " is outside " +
                      std::to_string(min_year) + ".." + std::to_string(max_year));
  }
  return parser(text, year).run();
}

time_expr parse_time(std::string_view text) {
  return parser(text, std::nullopt).run();
}

}  // namespace khuyenhoc
