// The rule language: lexer, recursive-descent (precedence-climbing) parser to a small syntax
// tree, and the type checker / compiler to detail::rules::program. Everything the user can get
// wrong is found here, with line:column and a caret; evaluation then checks nothing per row.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "khuyenhoc/detail/rules_program.hpp"
#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/rules.hpp"

namespace khuyenhoc {

std::string_view to_string(value_type t) noexcept {
  switch (t) {
    case value_type::boolean:
      return "boolean";
    case value_type::number:
      return "number";
    case value_type::date:
      return "date";
    case value_type::string:
      return "string";
    case value_type::list:
      return "list";
  }
  return "?";
}

namespace detail::rules {

namespace {

// ------------------------------------------------------------------------------ diagnostics

// The message with the offending line and a caret under [pos, pos+len), and its location
// (offset by `base` when the expression sits inside a file).
struct located {
  std::string message;
  location where;
};

located locate(std::string_view text, std::size_t pos, std::size_t len, const std::string& msg,
               const location& base) {
  pos = std::min(pos, text.size());
  const std::size_t nl = text.substr(0, pos).rfind('\n');
  const std::size_t line_start_fixed = nl == std::string_view::npos ? 0 : nl + 1;
  std::size_t line_end = text.find('\n', line_start_fixed);
  if (line_end == std::string_view::npos) line_end = text.size();
  const std::size_t line_no =
      1 + static_cast<std::size_t>(std::count(
              text.begin(), text.begin() + static_cast<std::ptrdiff_t>(line_start_fixed), '\n'));
  const std::string_view line = text.substr(line_start_fixed, line_end - line_start_fixed);
  const std::size_t col =
      1 + count_code_points(text.substr(line_start_fixed, pos - line_start_fixed));
  const std::size_t width = std::max<std::size_t>(
      1, count_code_points(text.substr(pos, std::min(len, line_end > pos ? line_end - pos : 0))));
  located out;
  out.message = msg + "\n  " + std::string(line) + "\n  " + std::string(col - 1, ' ') + "^" +
                std::string(width - 1, '~');
  out.where.file = base.file;
  out.where.row_id = base.row_id;
  out.where.field = base.field;
  out.where.line = base.line != 0 ? base.line + line_no - 1 : line_no;
  out.where.column = (line_no == 1 && base.column != 0) ? base.column + col - 1 : col;
  return out;
}

template <class E>
[[noreturn]] void fail(std::string_view text, std::size_t pos, std::size_t len,
                       const std::string& msg, const location& base) {
  auto l = locate(text, pos, len, msg, base);
  throw E(l.message, l.where);
}

std::string quoted(std::string_view s) {
  std::string out;  // appended: GCC 12 -O3 warns (-Wrestrict) on "\"" + std::string
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

// Closest of `names` to `name` (edit distance on folded text), if close enough.
std::vector<std::string> closest(std::string_view name, const std::vector<std::string>& names,
                                 std::size_t n) {
  const std::string f = fold_for_matching(name);
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& c : names) {
    const std::size_t d =
        std::min(edit_distance(name, c) * 2, edit_distance(f, fold_for_matching(c)) * 2 + 1);
    const std::size_t limit = 2 * std::max<std::size_t>(2, count_code_points(name) / 3) + 1;
    if (d <= limit) scored.emplace_back(d, c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(scored[i].second);
  return out;
}

std::string did_you_mean(const std::vector<std::string>& options) {
  if (options.empty()) return "";
  std::string out = "; did you mean ";
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (i != 0) out += i + 1 == options.size() ? " or " : ", ";
    out += quoted(options[i]);
  }
  return out + "?";
}

// ------------------------------------------------------------------------------------ lexer

enum class tok : std::uint8_t {
  end,
  number,
  string,
  date,
  ident,
  backtick,
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  plus,
  minus,
  star,
  slash,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
};

struct token {
  tok kind = tok::end;
  std::size_t pos = 0, len = 0;
  std::string text{};  // identifier, string value (NFC), column name
  double number = 0;   // number, or date as days
};

bool is_ident_start(unsigned char c) {
  return std::isalpha(c) != 0 || c == '_' || c >= 0x80;
}
bool is_ident_char(unsigned char c) {
  return std::isalnum(c) != 0 || c == '_' || c >= 0x80;
}

std::optional<double> civil_days(int y, int m, int d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return std::nullopt;
  static constexpr int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  // days_from_civil (H. Hinnant)
  const int yy = y - (m <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<double>(era * 146097 + doe - 719468);
}

// Parses "dd/mm/yyyy" or "yyyy-mm-dd" into days.
std::optional<double> parse_date_text(std::string_view s) {
  auto num = [](std::string_view t, int& v) {
    if (t.empty() || t.size() > 4) return false;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc{} && p == t.data() + t.size();
  };
  int a = 0, b = 0, c = 0;
  for (const char sep : {'/', '-'}) {
    const auto p1 = s.find(sep);
    if (p1 == std::string_view::npos) continue;
    const auto p2 = s.find(sep, p1 + 1);
    if (p2 == std::string_view::npos) continue;
    if (!num(s.substr(0, p1), a) || !num(s.substr(p1 + 1, p2 - p1 - 1), b) ||
        !num(s.substr(p2 + 1), c))
      return std::nullopt;
    if (sep == '/') return civil_days(c, b, a);
    if (p1 == 4) return civil_days(a, b, c);
  }
  return std::nullopt;
}

// Parses a date and a time of day, "dd/mm/yyyy HH:MM[:SS]" or "yyyy-mm-dd HH:MM[:SS]" (also
// with 'T' between them), into days plus the fraction of the day.
std::optional<double> parse_datetime_text(std::string_view s) {
  const auto cut = s.find_first_of(" T");
  if (cut == std::string_view::npos) return std::nullopt;
  const auto day = parse_date_text(s.substr(0, cut));
  if (!day) return std::nullopt;
  std::string_view t = s.substr(cut + 1);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  int part[3] = {0, 0, 0};
  std::size_t parts = 0;
  while (parts < 3) {
    const auto colon = t.find(':');
    const auto field = t.substr(0, colon);
    if (field.empty() || field.size() > 2) return std::nullopt;
    const auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), part[parts]);
    if (ec != std::errc{} || p != field.data() + field.size()) return std::nullopt;
    ++parts;
    if (colon == std::string_view::npos) break;
    t.remove_prefix(colon + 1);
  }
  if (parts < 2 || part[0] > 23 || part[1] > 59 || part[2] > 59) return std::nullopt;
  return *day + static_cast<double>(part[0] * 3600 + part[1] * 60 + part[2]) / 86'400.0;
}

class lexer {
 public:
  lexer(std::string_view text, const location& base) : text_(text), base_(base) {}

  std::vector<token> run() {
    std::vector<token> out;
    for (;;) {
      skip_space();
      token t;
      t.pos = i_;
      if (i_ >= text_.size()) {
        out.push_back(t);
        return out;
      }
      const char c = text_[i_];
      const auto uc = static_cast<unsigned char>(c);
      if (std::isdigit(uc) != 0 || (c == '.' && i_ + 1 < text_.size() &&
                                    std::isdigit(static_cast<unsigned char>(text_[i_ + 1])) != 0)) {
        number(t);
      } else if (c == '"') {
        string(t);
      } else if (c == '`') {
        const auto close = text_.find('`', i_ + 1);
        if (close == std::string_view::npos)
          fail<parse_error>(text_, i_, 1, "unterminated column name (missing closing `)", base_);
        t.kind = tok::backtick;
        t.text = to_nfc(text_.substr(i_ + 1, close - i_ - 1));
        if (t.text.empty()) fail<parse_error>(text_, i_, 2, "empty column name", base_);
        i_ = close + 1;
      } else if (is_ident_start(uc)) {
        const std::size_t b = i_;
        while (i_ < text_.size() && is_ident_char(static_cast<unsigned char>(text_[i_]))) ++i_;
        t.kind = tok::ident;
        t.text = to_nfc(text_.substr(b, i_ - b));
      } else {
        const char d = i_ + 1 < text_.size() ? text_[i_ + 1] : '\0';
        std::size_t w = 1;
        switch (c) {
          case '(':
            t.kind = tok::lparen;
            break;
          case ')':
            t.kind = tok::rparen;
            break;
          case '[':
            t.kind = tok::lbracket;
            break;
          case ']':
            t.kind = tok::rbracket;
            break;
          case ',':
            t.kind = tok::comma;
            break;
          case '+':
            t.kind = tok::plus;
            break;
          case '-':
            t.kind = tok::minus;
            break;
          case '*':
            t.kind = tok::star;
            break;
          case '/':
            t.kind = tok::slash;
            break;
          case '=':
            if (d != '=')
              fail<parse_error>(text_, i_, 1, "unexpected '='; write == to compare", base_);
            t.kind = tok::eq;
            w = 2;
            break;
          case '!':
            if (d != '=') fail<parse_error>(text_, i_, 1, "unexpected '!'; write not or !=", base_);
            t.kind = tok::ne;
            w = 2;
            break;
          case '<':
            t.kind = d == '=' ? tok::le : tok::lt;
            w = d == '=' ? 2 : 1;
            break;
          case '>':
            t.kind = d == '=' ? tok::ge : tok::gt;
            w = d == '=' ? 2 : 1;
            break;
          default:
            fail<parse_error>(text_, i_, 1, std::string("unexpected character '") + c + "'", base_);
        }
        i_ += w;
      }
      t.len = i_ - t.pos;
      out.push_back(std::move(t));
    }
  }

 private:
  void skip_space() {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i_;
      } else if (c == '#') {  // comment to the end of the line
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
  }

  void number(token& t) {
    const std::size_t b = i_;
    auto digits = [&] {
      const std::size_t s = i_;
      while (i_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i_])) != 0) ++i_;
      return i_ - s;
    };
    const std::size_t n = digits();
    // A bare ISO date: exactly dddd-d?d-d?d.
    if (n == 4 && i_ + 1 < text_.size() && text_[i_] == '-' &&
        std::isdigit(static_cast<unsigned char>(text_[i_ + 1])) != 0) {
      const std::size_t save = i_;
      ++i_;
      const std::size_t m = digits();
      if (m >= 1 && m <= 2 && i_ + 1 < text_.size() && text_[i_] == '-' &&
          std::isdigit(static_cast<unsigned char>(text_[i_ + 1])) != 0) {
        ++i_;
        const std::size_t d = digits();
        if (d >= 1 && d <= 2) {
          const auto days = parse_date_text(text_.substr(b, i_ - b));
          if (!days)
            fail<parse_error>(text_, b, i_ - b, quoted(text_.substr(b, i_ - b)) + " is not a date",
                              base_);
          t.kind = tok::date;
          t.number = *days;
          return;
        }
      }
      i_ = save;
    }
    if (i_ < text_.size() && text_[i_] == '.') {
      ++i_;
      digits();
    }
    if (i_ < text_.size() && (text_[i_] == 'e' || text_[i_] == 'E')) {
      std::size_t j = i_ + 1;
      if (j < text_.size() && (text_[j] == '+' || text_[j] == '-')) ++j;
      if (j < text_.size() && std::isdigit(static_cast<unsigned char>(text_[j])) != 0) {
        i_ = j;
        digits();
      }
    }
    if (i_ < text_.size() && is_ident_char(static_cast<unsigned char>(text_[i_])))
      fail<parse_error>(text_, b, i_ - b + 1, "malformed number", base_);
    double v = 0;
    const auto [p, ec] = std::from_chars(text_.data() + b, text_.data() + i_, v);
    if (ec != std::errc{} || p != text_.data() + i_ || !std::isfinite(v))
      fail<parse_error>(text_, b, i_ - b, "malformed number", base_);
    t.kind = tok::number;
    t.number = v;
  }

  void string(token& t) {
    const std::size_t b = i_++;
    std::string value;
    for (;;) {
      if (i_ >= text_.size())
        fail<parse_error>(text_, b, 1,
                          "unterminated string (the quote opened here is never closed)", base_);
      const char c = text_[i_++];
      if (c == '"') break;
      if (c == '\\' && i_ < text_.size()) {
        const char e = text_[i_++];
        if (e == 'n') {
          value += '\n';
        } else if (e == '"' || e == '\\') {
          value += e;
        } else {
          fail<parse_error>(text_, i_ - 2, 2, "unknown escape (use \\\" \\\\ or \\n)", base_);
        }
      } else {
        value += c;
      }
    }
    t.kind = tok::string;
    t.text = to_nfc(value);
  }

  std::string_view text_;
  const location& base_;
  std::size_t i_ = 0;
};

// ------------------------------------------------------------------------------------ parser

enum class ak : std::uint8_t {
  number,
  string,
  date,
  boolean,
  name,
  it,
  list,
  neg,
  binary,
  logical_not,
  call,
  in,
  not_in,
  between,
  is_missing,
  is_present,
  startswith,
};

struct ast {
  ak kind = ak::number;
  std::size_t pos = 0, len = 0;  // source span
  tok op = tok::end;             // binary operator (tok::ident + text for and/or)
  std::string text{};            // name, string, function, and/or
  double number = 0;
  std::vector<std::int32_t> kids{};
};

class parser {
 public:
  parser(std::string_view text, std::vector<token> toks, const rules_options& opt,
         const location& base)
      : text_(text), toks_(std::move(toks)), opt_(opt), base_(base) {}

  std::vector<ast> nodes;

  std::int32_t run() {
    const auto root = expr(0);
    if (peek().kind != tok::end) {
      const auto& t = peek();
      std::string what = t.kind == tok::ident ? quoted(t.text) : quoted(text_.substr(t.pos, t.len));
      fail<parse_error>(text_, t.pos, t.len,
                        "unexpected " + what + " after a complete expression (missing and/or?)",
                        base_);
    }
    return root;
  }

 private:
  const token& peek(std::size_t k = 0) const { return toks_[std::min(i_ + k, toks_.size() - 1)]; }
  bool is_kw(const token& t, std::string_view kw) const {
    return t.kind == tok::ident && t.text == kw;
  }
  const token& next() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }

  std::int32_t make(ast a) {
    if (nodes.size() >= opt_.max_nodes)
      fail<parse_error>(text_, a.pos, a.len,
                        "expression too large (limit " + std::to_string(opt_.max_nodes) +
                            " nodes, rules_options::max_nodes)",
                        base_);
    nodes.push_back(std::move(a));
    return static_cast<std::int32_t>(nodes.size() - 1);
  }
  ast& at(std::int32_t i) { return nodes[static_cast<std::size_t>(i)]; }
  std::int32_t span(std::int32_t i, std::size_t from, std::size_t to) {
    at(i).pos = from;
    at(i).len = to > from ? to - from : 0;
    return i;
  }
  std::size_t end_of(std::int32_t i) { return at(i).pos + at(i).len; }

  void enter(const token& t) {
    if (++depth_ > opt_.max_depth)
      fail<parse_error>(text_, t.pos, t.len,
                        "expression nested too deeply (limit " + std::to_string(opt_.max_depth) +
                            ", rules_options::max_depth)",
                        base_);
  }

  [[noreturn]] void expected(const std::string& what) {
    const auto& t = peek();
    const std::string found =
        t.kind == tok::end ? "the end of the expression" : quoted(text_.substr(t.pos, t.len));
    fail<parse_error>(text_, t.pos, std::max<std::size_t>(t.len, 1),
                      "expected " + what + ", found " + found, base_);
  }

  std::int32_t binary(ak kind, tok op, std::string text, std::int32_t l, std::int32_t r) {
    ast a;
    a.kind = kind;
    a.op = op;
    a.text = std::move(text);
    a.kids = {l, r};
    const auto from = at(l).pos, to = end_of(r);
    return span(make(std::move(a)), from, to);
  }

  std::int32_t expr(int) {
    enter(peek());
    auto l = and_expr();
    while (is_kw(peek(), "or")) {
      next();
      l = binary(ak::binary, tok::ident, "or", l, and_expr());
    }
    --depth_;
    return l;
  }
  std::int32_t and_expr() {
    auto l = not_expr();
    while (is_kw(peek(), "and")) {
      next();
      l = binary(ak::binary, tok::ident, "and", l, not_expr());
    }
    return l;
  }
  std::int32_t not_expr() {
    if (is_kw(peek(), "not")) {
      const auto t = next();
      enter(t);
      const auto k = not_expr();
      --depth_;
      ast a;
      a.kind = ak::logical_not;
      a.kids = {k};
      return span(make(std::move(a)), t.pos, end_of(k));
    }
    return comparison();
  }
  static bool is_cmp(tok k) {
    return k == tok::eq || k == tok::ne || k == tok::lt || k == tok::le || k == tok::gt ||
           k == tok::ge;
  }
  bool at_comparison() const {
    const auto& t = peek();
    return is_cmp(t.kind) || is_kw(t, "in") || is_kw(t, "between") || is_kw(t, "is") ||
           is_kw(t, "startswith") || (is_kw(t, "not") && is_kw(peek(1), "in"));
  }
  std::int32_t comparison() {
    auto l = additive();
    if (!at_comparison()) return l;
    const token t = next();
    std::int32_t out = -1;
    if (is_cmp(t.kind)) {
      out = binary(ak::binary, t.kind, "", l, additive());
    } else if (is_kw(t, "in") || is_kw(t, "not")) {
      const bool negated = is_kw(t, "not");
      if (negated) next();
      const auto r = additive();
      out = binary(negated ? ak::not_in : ak::in, tok::end, "", l, r);
    } else if (is_kw(t, "between")) {
      const auto lo = additive();
      if (!is_kw(peek(), "and")) expected("and (x between a and b)");
      next();
      const auto hi = additive();
      ast a;
      a.kind = ak::between;
      a.kids = {l, lo, hi};
      out = span(make(std::move(a)), at(l).pos, end_of(hi));
    } else if (is_kw(t, "is")) {
      bool negated = false;
      if (is_kw(peek(), "not")) {
        next();
        negated = true;
      }
      if (!is_kw(peek(), "missing")) expected("missing (x is missing / x is not missing)");
      const auto m = next();
      ast a;
      a.kind = negated ? ak::is_present : ak::is_missing;
      a.kids = {l};
      out = span(make(std::move(a)), at(l).pos, m.pos + m.len);
    } else {  // startswith
      out = binary(ak::startswith, tok::end, "", l, additive());
    }
    if (at_comparison()) {
      const auto& u = peek();
      fail<parse_error>(text_, u.pos, u.len,
                        "comparisons cannot be chained; join them with and (a < b and b < c)",
                        base_);
    }
    return out;
  }
  std::int32_t additive() {
    auto l = multiplicative();
    while (peek().kind == tok::plus || peek().kind == tok::minus) {
      const auto op = next().kind;
      l = binary(ak::binary, op, "", l, multiplicative());
    }
    return l;
  }
  std::int32_t multiplicative() {
    auto l = unary();
    while (peek().kind == tok::star || peek().kind == tok::slash) {
      const auto op = next().kind;
      l = binary(ak::binary, op, "", l, unary());
    }
    return l;
  }
  std::int32_t unary() {
    if (peek().kind == tok::minus) {
      const auto t = next();
      enter(t);
      const auto k = unary();
      --depth_;
      ast a;
      a.kind = ak::neg;
      a.kids = {k};
      return span(make(std::move(a)), t.pos, end_of(k));
    }
    return primary();
  }
  std::int32_t primary() {
    const token t = peek();
    ast a;
    a.pos = t.pos;
    a.len = t.len;
    switch (t.kind) {
      case tok::number:
        next();
        a.kind = ak::number;
        a.number = t.number;
        return make(std::move(a));
      case tok::date:
        next();
        a.kind = ak::date;
        a.number = t.number;
        return make(std::move(a));
      case tok::string:
        next();
        a.kind = ak::string;
        a.text = t.text;
        return make(std::move(a));
      case tok::backtick:
        next();
        a.kind = ak::name;
        a.text = t.text;
        return make(std::move(a));
      case tok::lparen: {
        next();
        const auto k = expr(0);
        if (peek().kind != tok::rparen)
          expected("')' to close the '(' at column " + std::to_string(t.pos + 1));
        const auto close = next();
        return span(k, t.pos, close.pos + 1);
      }
      case tok::lbracket: {
        next();
        enter(t);
        a.kind = ak::list;
        std::vector<std::int32_t> items;
        if (peek().kind != tok::rbracket) {
          for (;;) {
            if (items.size() >= opt_.max_list_size)
              fail<parse_error>(text_, peek().pos, peek().len,
                                "list literal too long (limit " +
                                    std::to_string(opt_.max_list_size) +
                                    " items, rules_options::max_list_size)",
                                base_);
            items.push_back(expr(0));
            if (peek().kind == tok::comma) {
              next();
              continue;
            }
            break;
          }
        }
        if (peek().kind != tok::rbracket) expected("',' or ']' in the list");
        const auto close = next();
        --depth_;
        a.kids = std::move(items);
        return span(make(std::move(a)), t.pos, close.pos + 1);
      }
      case tok::ident: {
        next();
        if (t.text == "true" || t.text == "false") {
          a.kind = ak::boolean;
          a.number = t.text == "true" ? 1 : 0;
          return make(std::move(a));
        }
        if (t.text == "it") {
          a.kind = ak::it;
          return make(std::move(a));
        }
        static const std::vector<std::string> reserved = {"and",     "or", "not",     "in",
                                                          "between", "is", "missing", "startswith"};
        if (std::find(reserved.begin(), reserved.end(), t.text) != reserved.end())
          fail<parse_error>(text_, t.pos, t.len,
                            "unexpected keyword " + quoted(t.text) +
                                " (a column with this name must be written `" + t.text + "`)",
                            base_);
        if (peek().kind == tok::lparen) {
          next();
          enter(t);
          a.kind = ak::call;
          a.text = t.text;
          if (peek().kind != tok::rparen) {
            for (;;) {
              a.kids.push_back(expr(0));
              if (peek().kind == tok::comma) {
                next();
                continue;
              }
              break;
            }
          }
          if (peek().kind != tok::rparen) expected("',' or ')' after a function argument");
          const auto close = next();
          --depth_;
          return span(make(std::move(a)), t.pos, close.pos + 1);
        }
        a.kind = ak::name;
        a.text = t.text;
        return make(std::move(a));
      }
      default:
        expected("a value, a column name or '('");
    }
  }

  std::string_view text_;
  std::vector<token> toks_;
  const rules_options& opt_;
  const location& base_;
  std::size_t i_ = 0;
  std::size_t depth_ = 0;
};

// ---------------------------------------------------------------------------------- compiler

std::string_view symbol(tok k) {
  switch (k) {
    case tok::plus:
      return "+";
    case tok::minus:
      return "-";
    case tok::star:
      return "*";
    case tok::slash:
      return "/";
    case tok::eq:
      return "==";
    case tok::ne:
      return "!=";
    case tok::lt:
      return "<";
    case tok::le:
      return "<=";
    case tok::gt:
      return ">";
    case tok::ge:
      return ">=";
    default:
      return "?";
  }
}

const std::vector<std::string>& function_names() {
  static const std::vector<std::string> names = {
      "len",     "contains", "count",    "any",          "all",    "min",           "max",
      "abs",     "year",     "age",      "days_between", "streak", "recent_streak", "if",
      "date",    "round",    "floor",    "ceil",         "avg",    "mean",          "avg_strict",
      "date_of", "level_of", "prize_of", "datetime"};
  return names;
}

// A list item split as achievements are written: "Level - Prize@dd/mm/yyyy".
struct item_parts {
  std::string_view text, level, prize;
  bool has_prize = false;
  std::optional<double> date;
};

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

item_parts split_item(std::string_view item) {
  item_parts out;
  out.text = item;
  const auto at_sign = item.rfind('@');
  if (at_sign != std::string_view::npos) {
    if (const auto d = parse_date_text(trim_spaces(item.substr(at_sign + 1)))) {
      out.date = d;
      out.text = trim_spaces(item.substr(0, at_sign));
    }
  }
  const auto dash = out.text.find(" - ");
  if (dash == std::string_view::npos) {
    out.level = out.text;
  } else {
    out.level = trim_spaces(out.text.substr(0, dash));
    out.prize = trim_spaces(out.text.substr(dash + 3));
    out.has_prize = true;
  }
  return out;
}

struct compiled {
  std::int32_t node = -1;
  value_type type = value_type::boolean;
};

class compiler {
 public:
  compiler(std::string_view text, const std::vector<ast>& nodes, const pool& schema,
           const rules_options& opt, const location& base, bool item_scope)
      : text_(text),
        ast_(nodes),
        schema_(schema),
        opt_(opt),
        base_(base),
        item_scope_(item_scope) {}

  program prog;

  void run(std::int32_t root) {
    const auto c = compile(root);
    prog.root = c.node;
    prog.type = c.type;
  }

 private:
  const ast& at(std::int32_t i) const { return ast_[static_cast<std::size_t>(i)]; }
  const node& nd(std::int32_t i) const { return prog.nodes[static_cast<std::size_t>(i)]; }

  template <class E = schema_error>
  [[noreturn]] void error_at(std::int32_t a, const std::string& msg) const {
    fail<E>(text_, at(a).pos, at(a).len, msg, base_);
  }
  void warn_at(std::int32_t a, const std::string& msg) {
    auto l = locate(text_, at(a).pos, at(a).len, msg, base_);
    prog.warnings.push_back({std::move(l.message), std::move(l.where)});
  }

  compiled push(node n) {
    const auto t = n.type;
    prog.nodes.push_back(std::move(n));
    return {static_cast<std::int32_t>(prog.nodes.size() - 1), t};
  }

  std::int32_t slot_of(const column& c) {
    for (std::size_t k = 0; k < prog.columns.size(); ++k)
      if (prog.columns[k].name == c.name()) return static_cast<std::int32_t>(k);
    column_ref ref{c.name(), c.type(), {}};
    if (c.type() == column_type::category || c.type() == column_type::category_list)
      ref.dictionary = c.dictionary();
    prog.columns.push_back(std::move(ref));
    return static_cast<std::int32_t>(prog.columns.size() - 1);
  }

  const column& column_of(std::int32_t str_node) const {
    return *schema_.find(prog.columns[static_cast<std::size_t>(nd(str_node).column)].name);
  }

  std::string describe(std::int32_t a) const { return quoted(text_.substr(at(a).pos, at(a).len)); }

  void expect(std::int32_t a, const compiled& c, value_type t, std::string_view where) const {
    if (c.type != t)
      error_at(a, std::string(where) + " must be a " + std::string(to_string(t)) + "; " +
                      describe(a) + " is a " + std::string(to_string(c.type)));
  }

  compiled compile(std::int32_t a) {
    const ast& x = at(a);
    switch (x.kind) {
      case ak::number:
        return push({.kind = op::constant, .type = value_type::number, .number = x.number});
      case ak::date:
        return push({.kind = op::constant, .type = value_type::date, .number = x.number});
      case ak::boolean:
        return push({.kind = op::constant, .type = value_type::boolean, .number = x.number});
      case ak::string:
        return push({.kind = op::str_const, .type = value_type::string, .strings = {x.text}});
      case ak::it:
        if (!item_scope_)
          error_at(a,
                   "`it` (the list item) can only be used inside any, all, count, streak or "
                   "recent_streak, e.g. any(prizes, it startswith \"Quốc gia\")");
        return name(a, "it");
      case ak::name:
        if (item_scope_ && param(x.text) == nullptr)
          error_at(a,
                   "inside any/all/count/streak the condition may only use `it`, "
                   "parameters and literals, not the column " +
                       quoted(x.text));
        return name(a, x.text);
      case ak::list:
        error_at(a, "a list literal can only follow `in` (x in [\"Tốt\", \"Khá\"])");
      case ak::neg: {
        const auto k = compile(x.kids[0]);
        expect(x.kids[0], k, value_type::number, "the operand of unary -");
        return push({.kind = op::neg, .type = value_type::number, .a = k.node});
      }
      case ak::logical_not: {
        const auto k = compile(x.kids[0]);
        expect(x.kids[0], k, value_type::boolean, "the operand of not");
        return push({.kind = op::not_, .type = value_type::boolean, .a = k.node});
      }
      case ak::is_missing:
      case ak::is_present: {
        const auto k = compile(x.kids[0]);
        return push({.kind = x.kind == ak::is_missing ? op::is_missing : op::is_present,
                     .type = value_type::boolean,
                     .a = k.node});
      }
      case ak::binary:
        return binary(a);
      case ak::in:
      case ak::not_in:
        return in(a, x.kind == ak::not_in);
      case ak::between: {
        const auto v = compile(x.kids[0]);
        const auto lo = compile(x.kids[1]);
        const auto hi = compile(x.kids[2]);
        if (v.type != value_type::number && v.type != value_type::date)
          error_at(x.kids[0], "between needs a number or a date; " + describe(x.kids[0]) +
                                  " is a " + std::string(to_string(v.type)));
        expect(x.kids[1], lo, v.type, "the lower bound of between");
        expect(x.kids[2], hi, v.type, "the upper bound of between");
        if (v.type == value_type::date && (is_datetime(lo) || is_datetime(hi))) {
          return push({.kind = op::between,
                       .type = value_type::boolean,
                       .a = with_times(x.kids[0], v).node,
                       .b = with_times(x.kids[1], lo).node,
                       .c = with_times(x.kids[2], hi).node});
        }
        return push({.kind = op::between,
                     .type = value_type::boolean,
                     .a = v.node,
                     .b = lo.node,
                     .c = hi.node});
      }
      case ak::startswith: {
        const auto l = compile(x.kids[0]);
        const auto r = compile(x.kids[1]);
        expect(x.kids[0], l, value_type::string, "the left side of startswith");
        if (nd(r.node).kind != op::str_const)
          error_at(x.kids[1], "startswith needs a string literal on the right");
        return string_predicate(x.kids[0], l, {nd(r.node).strings[0]}, 1, false);
      }
      case ak::call:
        return call(a);
    }
    error_at(a, "cannot compile this expression");
  }

  const parameter* param(const std::string& n) const {
    for (const auto& p : opt_.params)
      if (p.name == n) return &p;
    return nullptr;
  }

  compiled name(std::int32_t a, const std::string& n) {
    if (const parameter* p = param(n)) {
      if (p->type == value_type::string)
        return push({.kind = op::str_const, .type = value_type::string, .strings = {p->text}});
      return push({.kind = op::constant, .type = p->type, .number = p->number});
    }
    const column* c = schema_.find(n);
    if (c == nullptr) {
      auto options = schema_.closest_columns(n, 3);
      for (const auto& p : opt_.params) options.push_back(p.name);
      // closest_columns proposes something even for far names; keep only near ones.
      options = closest(n, options, 3);
      error_at(
          a, std::string(opt_.params.empty() ? "unknown column " : "unknown column or parameter ") +
                 quoted(n) + did_you_mean(options));
    }
    node out;
    out.column = slot_of(*c);
    switch (c->type()) {
      case column_type::number:
        out.kind = op::col_number;
        out.type = value_type::number;
        break;
      case column_type::integer:
        out.kind = op::col_integer;
        out.type = value_type::number;
        break;
      case column_type::date:
        out.kind = op::col_date;
        out.type = value_type::date;
        break;
      case column_type::boolean:
        out.kind = op::col_boolean;
        out.type = value_type::boolean;
        break;
      case column_type::category:
        out.kind = op::col_category;
        out.type = value_type::string;
        break;
      case column_type::text:
        out.kind = op::col_text;
        out.type = value_type::string;
        break;
      case column_type::category_list:
        out.kind = op::col_list;
        out.type = value_type::list;
        break;
    }
    return push(std::move(out));
  }

  // A predicate on a string source with literal strings: a table over the dictionary for a
  // category column (warning for literals not in it), a per-row test for text columns, a
  // constant for a literal.
  compiled string_predicate(std::int32_t a, const compiled& s, const std::vector<std::string>& lits,
                            std::uint8_t mode, bool negate) {
    const node& src = nd(s.node);
    if (src.kind == op::col_category) {
      const column& c = column_of(s.node);
      const auto& dict = c.dictionary();
      node out{.kind = op::cat_table, .type = value_type::boolean, .a = s.node};
      out.table.assign(dict.size(), 0);
      for (const auto& lit : lits) {
        bool found = false;
        for (std::size_t k = 0; k < dict.size(); ++k) {
          if (mode == 0 ? dict[k] == lit : std::string_view(dict[k]).starts_with(lit)) {
            out.table[k] = 1;
            found = true;
          }
        }
        if (!found) {
          std::string values;
          for (std::size_t k = 0; k < dict.size() && k < 12; ++k)
            values += (k ? ", " : "") + dict[k];
          if (dict.size() > 12) values += ", …";
          warn_at(a,
                  quoted(lit) +
                      (mode == 0 ? " is not a value of column " : " starts no value of column ") +
                      quoted(c.name()) + " (values: " + values + ")" +
                      did_you_mean(closest(lit, dict, 1)) + "; the test is always false");
        }
      }
      if (negate)
        for (auto& t : out.table) t ^= 1U;
      return push(std::move(out));
    }
    if (src.kind == op::col_text) {
      return push({.kind = op::text_pred,
                   .type = value_type::boolean,
                   .negate = negate,
                   .mode = mode,
                   .a = s.node,
                   .strings = lits});
    }
    if (src.kind == op::str_const) {
      bool hit = false;
      for (const auto& lit : lits)
        hit = hit || (mode == 0 ? src.strings[0] == lit
                                : std::string_view(src.strings[0]).starts_with(lit));
      return push({.kind = op::constant,
                   .type = value_type::boolean,
                   .number = (hit != negate) ? 1.0 : 0.0});
    }
    error_at(a, "cannot compare " + describe(a) + " with a string");
  }

  // The order of category column `c` (worst first): a scale given for it (the last one given
  // wins), else the dictionary of an ordered column; nullptr when it has none.
  const std::vector<std::string>* order_of(const column& c) const {
    for (auto it = opt_.scales.rbegin(); it != opt_.scales.rend(); ++it)
      if (it->column == c.name()) return &it->values;
    if (c.ordered()) return &c.dictionary();
    return nullptr;
  }

  static std::string listed(const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t k = 0; k < values.size(); ++k) out += (k ? ", " : "") + values[k];
    return "[" + out + "]";
  }

  // <, <=, >, >= between strings: an ordered category and a literal (or string parameter),
  // compiled to a table over the dictionary (missing stays missing, as the other comparisons).
  compiled ordered_compare(std::int32_t a, const compiled& l, const compiled& r) {
    const ast& x = at(a);
    const bool col_left = nd(l.node).kind == op::col_category && nd(r.node).kind == op::str_const;
    const bool col_right = nd(r.node).kind == op::col_category && nd(l.node).kind == op::str_const;
    if (!col_left && !col_right) {
      if (nd(l.node).kind == op::col_category && nd(r.node).kind == op::col_category)
        error_at(a, "cannot compare two category columns with " + std::string(symbol(x.op)) +
                        "; compare an ordered category with one of its values, e.g. " +
                        describe(x.kids[0]) + " >= \"Khá\"");
      error_at(a, "strings can only be compared with == and != (or in, startswith); " +
                      std::string(symbol(x.op)) +
                      " compares an ordered category column with one of its values");
    }
    const compiled& col = col_left ? l : r;
    const std::int32_t col_ast = col_left ? x.kids[0] : x.kids[1];
    const std::int32_t lit_ast = col_left ? x.kids[1] : x.kids[0];
    const std::string& lit = nd((col_left ? r : l).node).strings[0];
    const column& c = column_of(col.node);
    const std::vector<std::string>* order = order_of(c);
    if (order == nullptr)
      error_at(col_ast,
               "column " + quoted(c.name()) + " is a category without an order, so " +
                   std::string(symbol(x.op)) +
                   " cannot compare it; declare its order, worst first, in the rule file (scales: "
                   "{" +
                   c.name() + ": [Chưa đạt, Đạt, Khá, Tốt]} or a built-in scale: " + c.name() +
                   ": tt22), or give an ordered category (pandas Categorical(ordered=True), an "
                   "Arrow dictionary with the ordered flag, Pool.with_order)");
    auto rank_of = [&](std::string_view v) -> std::int32_t {
      for (std::size_t k = 0; k < order->size(); ++k)
        if ((*order)[k] == v) return static_cast<std::int32_t>(k);
      return -1;
    };
    const std::int32_t bound = rank_of(lit);
    if (bound < 0)
      error_at(lit_ast, quoted(lit) + " is not a value of the order of column " + quoted(c.name()) +
                            " " + listed(*order) + did_you_mean(closest(lit, *order, 2)));
    // The comparison as `column OP literal` (a literal on the left mirrors it).
    tok k = x.op;
    if (col_right) {
      k = k == tok::lt ? tok::gt : k == tok::le ? tok::ge : k == tok::gt ? tok::lt : tok::le;
    }
    const auto& dict = c.dictionary();
    node out{.kind = op::cat_table, .type = value_type::boolean, .a = col.node};
    out.table.assign(dict.size(), 0);
    for (std::size_t d = 0; d < dict.size(); ++d) {
      const std::int32_t rank = rank_of(dict[d]);
      if (rank < 0)
        error_at(col_ast, "column " + quoted(c.name()) + " holds " + quoted(dict[d]) +
                              ", which its order " + listed(*order) +
                              " lacks; add it to the order" +
                              did_you_mean(closest(dict[d], *order, 1)));
      bool hit = false;
      switch (k) {
        case tok::lt:
          hit = rank < bound;
          break;
        case tok::le:
          hit = rank <= bound;
          break;
        case tok::gt:
          hit = rank > bound;
          break;
        default:
          hit = rank >= bound;
          break;
      }
      out.table[d] = hit ? 1 : 0;
    }
    return push(std::move(out));
  }

  static op cmp_op(tok t) {
    switch (t) {
      case tok::eq:
        return op::eq;
      case tok::ne:
        return op::ne;
      case tok::lt:
        return op::lt;
      case tok::le:
        return op::le;
      case tok::gt:
        return op::gt;
      default:
        return op::ge;
    }
  }

  // A datetime(...) literal: a date with its time of day.
  bool is_datetime(const compiled& c) const {
    return nd(c.node).kind == op::constant && nd(c.node).mode == 1;
  }

  // Compared with a datetime, a date column is read with its times of day; a column without
  // them cannot be (its dates have no time to compare), which is an error, not midnight.
  compiled with_times(std::int32_t a, const compiled& c) {
    if (nd(c.node).kind != op::col_date) return c;
    const column& col =
        *schema_.find(prog.columns[static_cast<std::size_t>(nd(c.node).column)].name);
    if (!col.has_times())
      error_at(a, "column " + quoted(col.name()) +
                      " holds dates without times of day, so it cannot be compared with a date "
                      "and time; compare it with a date (date(\"30/09/2024\")), or give it "
                      "times (a datetime column from pandas or Arrow)");
    return push({.kind = op::col_datetime, .type = value_type::date, .column = nd(c.node).column});
  }

  compiled binary(std::int32_t a) {
    const ast& x = at(a);
    if (x.op == tok::ident) {  // and / or
      const auto l = compile(x.kids[0]);
      const auto r = compile(x.kids[1]);
      expect(x.kids[0], l, value_type::boolean, "the left side of " + x.text);
      expect(x.kids[1], r, value_type::boolean, "the right side of " + x.text);
      return push({.kind = x.text == "and" ? op::and_ : op::or_,
                   .type = value_type::boolean,
                   .a = l.node,
                   .b = r.node});
    }
    const auto l = compile(x.kids[0]);
    const auto r = compile(x.kids[1]);
    const bool cmp = x.op == tok::eq || x.op == tok::ne || x.op == tok::lt || x.op == tok::le ||
                     x.op == tok::gt || x.op == tok::ge;
    auto mismatch = [&](const std::string& extra = "") {
      error_at(a, "cannot apply " + std::string(symbol(x.op)) + " to a " +
                      std::string(to_string(l.type)) + " and a " + std::string(to_string(r.type)) +
                      extra);
    };
    if (cmp) {
      if (l.type == value_type::string && r.type == value_type::string) {
        if (x.op != tok::eq && x.op != tok::ne) return ordered_compare(a, l, r);
        const bool neg = x.op == tok::ne;
        if (nd(r.node).kind == op::str_const)
          return string_predicate(x.kids[1], l, {nd(r.node).strings[0]}, 0, neg);
        if (nd(l.node).kind == op::str_const)
          return string_predicate(x.kids[0], r, {nd(l.node).strings[0]}, 0, neg);
        return push({.kind = op::str_equal,
                     .type = value_type::boolean,
                     .negate = neg,
                     .a = l.node,
                     .b = r.node});
      }
      if (l.type != r.type) {
        if ((l.type == value_type::date && r.type == value_type::string) ||
            (r.type == value_type::string && l.type == value_type::date) ||
            (l.type == value_type::string && r.type == value_type::date))
          mismatch("; write a date as date(\"30/09/2024\") or 2024-09-30");
        mismatch();
      }
      if (l.type == value_type::list) mismatch("; use len, contains, count, any or all");
      if (l.type == value_type::boolean && x.op != tok::eq && x.op != tok::ne)
        error_at(a, "booleans can only be compared with == and !=");
      if (l.type == value_type::date && (is_datetime(l) || is_datetime(r))) {
        const auto lt = with_times(x.kids[0], l);
        const auto rt = with_times(x.kids[1], r);
        return push(
            {.kind = cmp_op(x.op), .type = value_type::boolean, .a = lt.node, .b = rt.node});
      }
      op k = op::eq;
      switch (x.op) {
        case tok::eq:
          k = op::eq;
          break;
        case tok::ne:
          k = op::ne;
          break;
        case tok::lt:
          k = op::lt;
          break;
        case tok::le:
          k = op::le;
          break;
        case tok::gt:
          k = op::gt;
          break;
        default:
          k = op::ge;
          break;
      }
      return push({.kind = k,
                   .type = value_type::boolean,
                   .bool_operands = l.type == value_type::boolean,
                   .a = l.node,
                   .b = r.node});
    }
    // arithmetic
    value_type t = value_type::number;
    op k = op::add;
    switch (x.op) {
      case tok::plus:
        k = op::add;
        if (l.type == value_type::number && r.type == value_type::number)
          t = value_type::number;
        else if ((l.type == value_type::date && r.type == value_type::number) ||
                 (l.type == value_type::number && r.type == value_type::date))
          t = value_type::date;
        else
          mismatch();
        break;
      case tok::minus:
        k = op::sub;
        if (l.type == value_type::number && r.type == value_type::number)
          t = value_type::number;
        else if (l.type == value_type::date && r.type == value_type::number)
          t = value_type::date;
        else if (l.type == value_type::date && r.type == value_type::date)
          t = value_type::number;
        else
          mismatch();
        break;
      default:
        k = x.op == tok::star ? op::mul : op::div;
        if (l.type != value_type::number || r.type != value_type::number) mismatch();
        break;
    }
    return push({.kind = k, .type = t, .a = l.node, .b = r.node});
  }

  compiled in(std::int32_t a, bool negate) {
    const ast& x = at(a);
    const auto v = compile(x.kids[0]);
    const ast& rhs = at(x.kids[1]);
    if (rhs.kind != ak::list) {
      // "Tờ trình" in documents: membership in a list column.
      const auto r = compile(x.kids[1]);
      if (r.type == value_type::list && nd(v.node).kind == op::str_const) {
        auto c = contains(x.kids[0], r, nd(v.node).strings[0]);
        if (!negate) return c;
        return push({.kind = op::not_, .type = value_type::boolean, .a = c.node});
      }
      error_at(x.kids[1], "in needs a list literal [..] (or a string literal in a list column)");
    }
    if (v.type == value_type::string) {
      std::vector<std::string> lits;
      for (const auto k : rhs.kids) {
        if (at(k).kind != ak::string)
          error_at(
              k, "the list after in must hold strings, as " + describe(x.kids[0]) + " is a string");
        lits.push_back(at(k).text);
      }
      return string_predicate(x.kids[0], v, lits, 0, negate);
    }
    if (v.type == value_type::number || v.type == value_type::date ||
        v.type == value_type::boolean) {
      node out{.kind = op::in_set, .type = value_type::boolean, .negate = negate, .a = v.node};
      if (v.type == value_type::boolean) {
        // booleans: compare as numbers 0/1
        error_at(a, "use == with booleans");
      }
      for (const auto k : rhs.kids) {
        const ast& item = at(k);
        const bool ok = (v.type == value_type::number && item.kind == ak::number) ||
                        (v.type == value_type::date && item.kind == ak::date);
        if (!ok)
          error_at(k, "the list after in must hold " + std::string(to_string(v.type)) +
                          " literals, as " + describe(x.kids[0]) + " is a " +
                          std::string(to_string(v.type)));
        out.set.push_back(item.number);
      }
      return push(std::move(out));
    }
    error_at(x.kids[0], "in needs a string, number or date on the left");
  }

  // A table over the dictionary of list column `l` from an item condition (ast `cond`).
  std::vector<std::uint8_t> item_table(std::int32_t list_node, std::int32_t cond) {
    const column& c = column_of(list_node);
    const auto& dict = c.dictionary();
    // Compile the condition against a one-column pool holding the dictionary as `it`, then run
    // it once per distinct item: lists are then scanned with a table lookup per item.
    // Dated items ("Tỉnh - Giải Nhì@15/03/2024"): `it` is the text before the date, and
    // date_of / level_of / prize_of read hidden columns of the item pool.
    std::vector<std::string> ids(dict.size()), texts(dict.size()), levels(dict.size()),
        prizes(dict.size());
    std::vector<day_number> dates(dict.size(), 0);
    std::vector<std::uint8_t> dated(dict.size(), 0), has_prize(dict.size(), 0);
    for (std::size_t k = 0; k < dict.size(); ++k) {
      ids[k] = std::to_string(k);
      const auto parts = split_item(dict[k]);
      texts[k] = std::string(parts.text);
      levels[k] = std::string(parts.level);
      prizes[k] = std::string(parts.prize);
      has_prize[k] = static_cast<std::uint8_t>(parts.has_prize);
      if (parts.date) {
        dates[k] = static_cast<day_number>(*parts.date);
        dated[k] = 1;
      }
    }
    std::vector<column> cols;
    cols.push_back(column::text("\x01row", ids));
    cols.push_back(column::text("it", texts));
    cols.push_back(
        column::date("\x01"
                     "date",
                     std::move(dates), std::move(dated)));
    cols.push_back(
        column::text("\x01"
                     "level",
                     levels));
    cols.push_back(
        column::text("\x01"
                     "prize",
                     prizes, std::move(has_prize)));
    const pool items(std::move(cols), "\x01row");
    compiler sub(text_, ast_, items, opt_, base_, true);
    sub.prog.text = prog.text;
    sub.run(cond);
    if (sub.prog.type != value_type::boolean)
      error_at(cond, "the condition must be a boolean; " + describe(cond) + " is a " +
                         std::string(to_string(sub.prog.type)));
    for (auto& w : sub.prog.warnings) prog.warnings.push_back(std::move(w));
    std::vector<std::uint8_t> table(dict.size(), 0);
    if (!dict.empty()) {
      const auto bound = bind(sub.prog, items);
      scratch s(sub.prog.nodes.size(), dict.size());
      const view v = eval(sub.prog, sub.prog.root, bound.data(), 0, dict.size(), s);
      for (std::size_t k = 0; k < dict.size(); ++k)
        table[k] = static_cast<std::uint8_t>(v.valid[k] & v.b[k]);
    }
    return table;
  }

  compiled contains(std::int32_t item_ast, const compiled& list, const std::string& item) {
    const column& c = column_of(list.node);
    const auto& dict = c.dictionary();
    node out{.kind = op::list_any, .type = value_type::boolean, .a = list.node};
    out.table.assign(dict.size(), 0);
    // The item as written, or a dated item whose text before the date is it.
    bool found = false;
    for (std::size_t k = 0; k < dict.size(); ++k) {
      if (dict[k] == item || split_item(dict[k]).text == item) {
        out.table[k] = 1;
        found = true;
      }
    }
    if (!found) {
      warn_at(item_ast, quoted(item) + " is never an item of column " + quoted(c.name()) +
                            did_you_mean(closest(item, dict, 1)) + "; the test is always false");
    }
    return push(std::move(out));
  }

  compiled call(std::int32_t a) {
    const ast& x = at(a);
    const std::string& f = x.text;
    const auto& fn = function_names();
    if (std::find(fn.begin(), fn.end(), f) == fn.end()) {
      if (schema_.find(f) != nullptr) error_at(a, quoted(f) + " is a column, not a function");
      error_at(a, "unknown function " + quoted(f) + did_you_mean(closest(f, fn, 2)) +
                      " (functions: len, contains, count, any, all, streak, recent_streak, min, "
                      "max, avg, mean, avg_strict, round, floor, ceil, abs, year, age, "
                      "days_between, if, date, date_of, level_of, prize_of)");
    }
    const auto n = x.kids.size();
    auto arity = [&](std::size_t want) {
      if (n != want)
        error_at(a, f + " takes " + std::to_string(want) + " argument" + (want == 1 ? "" : "s") +
                        ", not " + std::to_string(n));
    };
    if (f == "date") {
      arity(1);
      const ast& s = at(x.kids[0]);
      if (s.kind != ak::string)
        error_at(x.kids[0], "date(...) takes a string literal, e.g. date(\"30/09/2024\")");
      const auto d = parse_date_text(s.text);
      if (!d)
        error_at<parse_error>(x.kids[0],
                              quoted(s.text) + " is not a date (dd/mm/yyyy or yyyy-mm-dd)");
      return push({.kind = op::constant, .type = value_type::date, .number = *d});
    }
    if (f == "datetime") {
      arity(1);
      const ast& s = at(x.kids[0]);
      if (s.kind != ak::string)
        error_at(x.kids[0],
                 "datetime(...) takes a string literal, e.g. datetime(\"30/09/2024 17:00\")");
      const auto d = parse_datetime_text(s.text);
      if (!d)
        error_at<parse_error>(
            x.kids[0], quoted(s.text) +
                           " is not a date and time (dd/mm/yyyy HH:MM, yyyy-mm-dd HH:MM, with "
                           "optional :SS)");
      // mode 1: a time of day is part of the value (see with_times).
      return push({.kind = op::constant, .type = value_type::date, .mode = 1, .number = *d});
    }
    if (f == "if") {
      arity(3);
      const auto c = compile(x.kids[0]);
      expect(x.kids[0], c, value_type::boolean, "the condition of if");
      const auto t = compile(x.kids[1]);
      const auto e = compile(x.kids[2]);
      if (t.type == value_type::string || t.type == value_type::list)
        error_at(x.kids[1], "if(...) can choose between numbers, dates or booleans, not a " +
                                std::string(to_string(t.type)));
      expect(x.kids[2], e, t.type, "the else branch of if (the same type as the then branch)");
      return push({.kind = op::if_, .type = t.type, .a = c.node, .b = t.node, .c = e.node});
    }
    if (f == "date_of" || f == "level_of" || f == "prize_of") {
      arity(1);
      if (!item_scope_ || at(x.kids[0]).kind != ak::it)
        error_at(a, f + "(it) reads the list item `it` inside any, all, count, streak or "
                        "recent_streak, e.g. count(prizes, date_of(it) between window_start and "
                        "window_end)");
      return name(a, f == "date_of"    ? "\x01"
                                         "date"
                     : f == "level_of" ? "\x01"
                                         "level"
                                       : "\x01"
                                         "prize");
    }
    if (f == "round" || f == "floor" || f == "ceil") {
      if (n != 1 && n != 2)
        error_at(a, f + " takes 1 or 2 arguments (" + f + "(x) or " + f + "(x, places)), not " +
                        std::to_string(n));
      const auto v = compile(x.kids[0]);
      expect(x.kids[0], v, value_type::number, "the first argument of " + f);
      std::uint8_t places = 0;
      if (n == 2) {
        const ast& k = at(x.kids[1]);
        if (k.kind != ak::number || k.number != std::floor(k.number) || k.number < 0 ||
            k.number > max_decimal_places)
          error_at(x.kids[1], "the places of " + f + " must be a whole number from 0 to " +
                                  std::to_string(max_decimal_places) + ", e.g. " + f + "(x, 1)");
        places = static_cast<std::uint8_t>(k.number);
      }
      return push({.kind = f == "round"   ? op::round
                           : f == "floor" ? op::floor
                                          : op::ceil,
                   .type = value_type::number,
                   .mode = places,
                   .a = v.node});
    }
    if (f == "avg" || f == "mean" || f == "avg_strict") {
      if (n < 1) error_at(a, f + " takes at least one argument");
      if (n > 255) error_at(a, f + " takes at most 255 arguments");
      node out{.kind = f == "avg_strict" ? op::avg_strict : op::avg, .type = value_type::number};
      for (std::size_t k = 0; k < n; ++k) {
        const auto v = compile(x.kids[k]);
        expect(x.kids[k], v, value_type::number, "every argument of " + f);
        out.args.push_back(v.node);
      }
      return push(std::move(out));
    }
    if (f == "min" || f == "max") {
      if (n < 1) error_at(a, f + " takes at least one argument");
      node out{.kind = f == "min" ? op::min : op::max};
      for (std::size_t k = 0; k < n; ++k) {
        const auto v = compile(x.kids[k]);
        if (k == 0) {
          if (v.type != value_type::number && v.type != value_type::date)
            error_at(x.kids[k], f + " takes numbers or dates; " + describe(x.kids[k]) + " is a " +
                                    std::string(to_string(v.type)));
          out.type = v.type;
        } else {
          expect(x.kids[k], v, out.type, "every argument of " + f);
        }
        out.args.push_back(v.node);
      }
      return push(std::move(out));
    }
    if (f == "abs") {
      arity(1);
      const auto v = compile(x.kids[0]);
      expect(x.kids[0], v, value_type::number, "the argument of abs");
      return push({.kind = op::abs, .type = value_type::number, .a = v.node});
    }
    if (f == "year") {
      arity(1);
      const auto v = compile(x.kids[0]);
      expect(x.kids[0], v, value_type::date, "the argument of year");
      return push({.kind = op::year, .type = value_type::number, .a = v.node});
    }
    if (f == "age" || f == "days_between") {
      arity(2);
      const auto l = compile(x.kids[0]);
      const auto r = compile(x.kids[1]);
      expect(x.kids[0], l, value_type::date, "the first argument of " + f);
      expect(x.kids[1], r, value_type::date, "the second argument of " + f);
      return push({.kind = f == "age" ? op::age : op::days_between,
                   .type = value_type::number,
                   .a = l.node,
                   .b = r.node});
    }
    // List functions.
    if (n == 0) error_at(a, f + " needs a list column as its first argument");
    const auto l = compile(x.kids[0]);
    if (l.type != value_type::list)
      error_at(x.kids[0], f + " needs a list column as its first argument; " + describe(x.kids[0]) +
                              " is a " + std::string(to_string(l.type)));
    if (f == "len") {
      arity(1);
      return push({.kind = op::list_len, .type = value_type::number, .a = l.node});
    }
    arity(2);
    const ast& second = at(x.kids[1]);
    if (f == "contains") {
      if (second.kind != ak::string)
        error_at(x.kids[1], "contains(list, item) needs a string literal item");
      return contains(x.kids[1], l, second.text);
    }
    node out{.a = l.node};
    if (f == "count" && second.kind == ak::string) {
      // count(list, "prefix"): items equal to or starting with the string.
      const column& c = column_of(l.node);
      const auto& dict = c.dictionary();
      out.table.assign(dict.size(), 0);
      bool any = false;
      for (std::size_t k = 0; k < dict.size(); ++k) {
        out.table[k] =
            static_cast<std::uint8_t>(std::string_view(dict[k]).starts_with(second.text));
        any = any || out.table[k] != 0;
      }
      if (!any)
        warn_at(x.kids[1], quoted(second.text) + " is not the start of any item of column " +
                               quoted(c.name()) + did_you_mean(closest(second.text, dict, 1)) +
                               "; the count is always 0");
    } else {
      out.table = item_table(l.node, x.kids[1]);
    }
    if (f == "count") {
      out.kind = op::list_count;
      out.type = value_type::number;
    } else if (f == "any") {
      out.kind = op::list_any;
      out.type = value_type::boolean;
    } else if (f == "all") {
      out.kind = op::list_all;
      out.type = value_type::boolean;
    } else if (f == "streak") {
      out.kind = op::list_streak;
      out.type = value_type::number;
    } else {
      out.kind = op::list_recent;
      out.type = value_type::number;
    }
    return push(std::move(out));
  }

  std::string_view text_;
  const std::vector<ast>& ast_;
  const pool& schema_;
  const rules_options& opt_;
  const location& base_;
  bool item_scope_;
};

}  // namespace

std::vector<const column*> bind(const program& p, const pool& pool) {
  std::vector<const column*> out;
  out.reserve(p.columns.size());
  for (const auto& ref : p.columns) {
    const column* c = pool.find(ref.name);
    if (c == nullptr)
      throw schema_error(
          "the pool has no column " + quoted(ref.name) + " that the rules were compiled against",
          location{.field = ref.name});
    if (c->type() != ref.type)
      throw schema_error("the column is a " + std::string(to_string(c->type())) +
                             " here but the rules were compiled against a " +
                             std::string(to_string(ref.type)),
                         location{.field = ref.name});
    if ((ref.type == column_type::category || ref.type == column_type::category_list) &&
        c->dictionary() != ref.dictionary)
      throw schema_error(
          "the column's categories differ from those the rules were compiled "
          "against; compile the rules against this pool",
          location{.field = ref.name});
    out.push_back(c);
  }
  return out;
}

/// Compiles `text`; `base` offsets locations when the text sits inside a file.
std::shared_ptr<const program> compile_program(std::string_view text, const pool& schema,
                                               const rules_options& options, const location& base) {
  if (text.size() > options.max_expression_length)
    throw parse_error("expression too long: " + std::to_string(text.size()) + " bytes (limit " +
                          std::to_string(options.max_expression_length) +
                          ", rules_options::max_expression_length)",
                      base);
  if (const auto bad = find_invalid_utf8(text))
    fail<parse_error>(text, *bad, 1, "invalid UTF-8 in the expression", base);
  for (const auto& p : options.params)
    if (schema.find(p.name) != nullptr)
      throw spec_error(
          "parameter \"" + p.name + "\" has the name of a column of the pool; rename the parameter",
          p.where.line != 0 ? p.where : base);
  auto toks = lexer(text, base).run();
  if (toks.size() == 1) fail<parse_error>(text, 0, 0, "empty expression", base);
  parser ps(text, std::move(toks), options, base);
  const auto root = ps.run();
  compiler cp(text, ps.nodes, schema, options, base, false);
  cp.prog.text = std::string(text);
  cp.run(root);
  return std::make_shared<const program>(std::move(cp.prog));
}

/// Parses a date literal's text (for YAML values): "dd/mm/yyyy" or "yyyy-mm-dd".
std::optional<double> parse_rule_date(std::string_view s) {
  return parse_date_text(s);
}

/// "did you mean" over `names` (for YAML keys).
std::string suggest(std::string_view name, const std::vector<std::string>& names) {
  return did_you_mean(closest(name, names, 2));
}

}  // namespace detail::rules

namespace {

struct builtin {
  const char* name;
  std::vector<std::string> values;
};

const std::vector<builtin>& builtins() {
  static const std::vector<builtin> all{
      {"tt22", {"Chưa đạt", "Đạt", "Khá", "Tốt"}},
      {"hanh_kiem", {"Yếu", "Trung bình", "Khá", "Tốt"}},
      {"hoc_luc", {"Kém", "Yếu", "Trung bình", "Khá", "Giỏi", "Xuất sắc"}},
  };
  return all;
}

}  // namespace

std::vector<std::string> builtin_scale_names() {
  std::vector<std::string> out;
  for (const auto& b : builtins()) out.emplace_back(b.name);
  return out;
}

std::vector<std::string> builtin_scale(std::string_view name) {
  for (const auto& b : builtins())
    if (name == b.name) return b.values;
  const auto names = builtin_scale_names();
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  throw spec_error("unknown scale \"" + std::string(name) + "\"" +
                   detail::rules::suggest(name, names) + " (built-in scales: " + all +
                   "; or list the values, worst first)");
}

category_scale make_scale(std::string column, std::vector<std::string> values,
                          const location& where) {
  if (values.size() < 2)
    throw spec_error(
        "the scale of column \"" + column + "\" needs at least two values, worst first", where);
  for (auto& v : values) {
    v = detail::to_nfc(v);
    if (v.empty())
      throw spec_error("the scale of column \"" + column + "\" has an empty value", where);
  }
  for (std::size_t i = 0; i < values.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (values[i] == values[j])
        throw spec_error(
            "\"" + values[i] + "\" appears twice in the scale of column \"" + column + "\"", where);
  return category_scale{
      .column = std::move(column), .values = std::move(values), .name = {}, .where = where};
}

category_scale make_builtin_scale(std::string column, std::string_view builtin_name,
                                  const location& where) {
  std::vector<std::string> values;
  try {
    values = builtin_scale(builtin_name);
  } catch (const spec_error& e) {
    throw spec_error(e.message(), where);
  }
  auto out = make_scale(std::move(column), std::move(values), where);
  out.name = std::string(builtin_name);
  return out;
}

}  // namespace khuyenhoc
