// CSV reading and writing. The tokenizer is written here rather than taken from a library:
// Debian's libcsv ships only a non-PIC static archive (unusable in the Python extension), trims
// blanks silently and reports no positions, and every error we raise must carry file:line:column.

#include "khuyenhoc/csv.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "csv_tokenizer.hpp"
#include "khuyenhoc/detail/parallel.hpp"
#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/io.hpp"

namespace khuyenhoc {

namespace {

// ------------------------------------------------------------------ tokenizer

/// The cells of one column, concatenated: cell r is bytes[ends[r-1], ends[r]).
struct raw_column {
  std::string bytes;
  std::vector<std::uint64_t> ends;
  [[nodiscard]] std::string_view cell(std::size_t r) const {
    const std::uint64_t b = r == 0 ? 0 : ends[r - 1];
    return std::string_view(bytes).substr(b, ends[r] - b);
  }
};

struct raw_table {
  std::vector<std::string> header;
  std::vector<raw_column> columns;
  std::vector<std::uint64_t> row_line;  // 1-based line where each data row starts
};

/// Splits the text into columns of raw cells with the shared tokenizer (csv_tokenizer.hpp).
class tokenizer {
 public:
  tokenizer(std::string_view text, char sep, std::string_view name, std::size_t max_field_lines)
      : text_(text), tok_(text, name, {.separator = sep, .max_field_lines = max_field_lines}) {}

  raw_table run(const std::function<void(std::size_t, std::size_t)>& progress) {
    raw_table t;
    if (!tok_.at_record()) throw parse_error("the file is empty (no header line)", tok_.loc(1, 0));
    std::vector<std::string> header;
    const std::size_t header_line = tok_.line();
    tok_.read_record(
        [&](std::size_t, std::string_view field, std::size_t) { header.emplace_back(field); });
    for (std::size_t k = 0; k < header.size(); ++k) {
      header[k] = detail::to_nfc(header[k]);
      if (header[k].empty()) {
        throw parse_error("column " + std::to_string(k + 1) + " of the header has no name",
                          tok_.loc(header_line, 0));
      }
    }
    t.header = std::move(header);
    t.columns.resize(t.header.size());
    const std::size_t ncols = t.header.size();
    std::size_t next_report = kReportEvery;
    while (tok_.at_record()) {
      const std::size_t start_line = tok_.line();
      std::size_t count = 0;
      tok_.read_record([&](std::size_t k, std::string_view field, std::size_t col) {
        if (k >= ncols) {
          throw parse_error("too many fields: the header has " + std::to_string(ncols) +
                                " columns, this row has more",
                            tok_.loc(start_line, col));
        }
        auto& rc = t.columns[k];
        rc.bytes += field;
        rc.ends.push_back(rc.bytes.size());
        count = k + 1;
      });
      if (count != ncols) {
        throw parse_error("too few fields: expected " + std::to_string(ncols) +
                              " (as in the header), found " + std::to_string(count),
                          tok_.loc(start_line, 0));
      }
      t.row_line.push_back(start_line);
      if (progress && tok_.pos() >= next_report) {
        progress(tok_.pos(), text_.size());
        next_report = tok_.pos() + kReportEvery;
      }
    }
    if (progress) progress(text_.size(), text_.size());
    return t;
  }

 private:
  static constexpr std::size_t kReportEvery = std::size_t{1} << 20;  // progress every MB

  std::string_view text_;
  detail::csv_tokenizer tok_;
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
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t e = i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == e) return false;
  }
  if (i != n) return false;
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
    raws_.emplace_back(raw);
    by_raw_.emplace(raws_.back(), c);
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

struct converter {
  const raw_column& raw;
  const std::string& name;
  const csv_options& opt;
  char decimal;
  std::size_t rows;

  [[nodiscard]] bool is_na(std::string_view s) const {
    if (s.empty()) return true;
    return std::find(opt.na_values.begin(), opt.na_values.end(), s) != opt.na_values.end();
  }

  [[noreturn]] void fail(std::size_t row, const std::string& what) const {
    throw cell_error{row, what};
  }

  static std::string quoted(std::string_view s) {
    std::string q = "\"";
    q += s.substr(0, 80);
    if (s.size() > 80) q += "...";
    q += "\"";
    return q;
  }

  /// Set by infer(): the first cell that only looks like a number, in a column whose other
  /// cells are numbers (see csv_options::mixed_columns).
  mutable std::optional<cell_error> mixed;

  column_type infer() const {
    bool all_int = true, all_num = true, all_bool = true, all_date = true, any_pipe = false;
    bool numberish = true;  // every cell a number or something that looks like one
    std::size_t numbers = 0;
    std::size_t present = 0;
    std::int64_t iv = 0;
    double dv = 0;
    int y = 0, m = 0, d = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const auto s = raw.cell(r);
      if (is_na(s)) continue;
      ++present;
      if (all_int) all_int = parse_integer(s, iv);
      if (parse_number(s, decimal, dv)) {
        ++numbers;
      } else {
        all_num = false;
        if (numberish) {
          if (auto why = number_problem(s, decimal); !why.empty()) {
            if (!mixed) mixed = cell_error{r, quoted(s) + " " + why};
          } else {
            numberish = false;
          }
        }
      }
      // NFC and NFD spellings of "Có"/"Không" are the same boolean.
      if (all_bool) all_bool = parse_boolean(detail::is_ascii(s) ? s : detail::to_nfc(s)) >= 0;
      if (all_date) all_date = parse_date_shape(s, y, m, d) != date_shape::none;
      if (!any_pipe) any_pipe = s.find('|') != std::string_view::npos;
    }
    if (present == 0) return column_type::number;
    if (!numberish || numbers == 0) mixed.reset();
    if (all_int) return column_type::integer;
    if (all_num) return column_type::number;
    if (all_bool) return column_type::boolean;
    if (all_date) return column_type::date;
    if (any_pipe) return column_type::category_list;
    return column_type::category;  // may become text: see convert_strings
  }

  column convert(column_type type, bool inferred) const {
    switch (type) {
      case column_type::number: {
        std::vector<double> v(rows, std::numeric_limits<double>::quiet_NaN());
        for (std::size_t r = 0; r < rows; ++r) {
          const auto s = raw.cell(r);
          if (is_na(s)) continue;
          if (!parse_number(s, decimal, v[r])) fail(r, quoted(s) + " is not a number");
        }
        return column::number(name, buffer<double>(std::move(v)));
      }
      case column_type::integer: {
        std::vector<std::int64_t> v(rows, 0);
        std::vector<std::uint8_t> valid(rows, 0);
        for (std::size_t r = 0; r < rows; ++r) {
          const auto s = raw.cell(r);
          if (is_na(s)) continue;
          if (!parse_integer(s, v[r])) fail(r, quoted(s) + " is not an integer");
          valid[r] = 1;
        }
        return column::integer(name, buffer<std::int64_t>(std::move(v)), std::move(valid));
      }
      case column_type::boolean: {
        std::vector<std::uint8_t> v(rows, 0), valid(rows, 0);
        for (std::size_t r = 0; r < rows; ++r) {
          const auto s = raw.cell(r);
          if (is_na(s)) continue;
          const auto b = parse_boolean(detail::to_nfc(s));
          if (b < 0) fail(r, quoted(s) + " is not a boolean (true/false, có/không)");
          v[r] = static_cast<std::uint8_t>(b);
          valid[r] = 1;
        }
        return column::boolean(name, std::move(v), std::move(valid));
      }
      case column_type::date: {
        std::vector<day_number> v(rows, 0);
        std::vector<std::uint8_t> valid(rows, 0);
        for (std::size_t r = 0; r < rows; ++r) {
          const auto s = raw.cell(r);
          if (is_na(s)) continue;
          int y = 0, m = 0, d = 0;
          if (parse_date_shape(s, y, m, d) == date_shape::none || !valid_date(y, m, d, v[r])) {
            fail(r, quoted(s) + " is not a date (dd/mm/yyyy or yyyy-mm-dd)");
          }
          valid[r] = 1;
        }
        return column::date(name, std::move(v), std::move(valid));
      }
      case column_type::category:
      case column_type::text:
        return convert_strings(type, inferred);
      case column_type::category_list:
        return convert_lists();
    }
    throw error("unknown column type");
  }

  column convert_strings(column_type type, bool inferred) const {
    std::vector<std::uint8_t> valid(rows, 0);
    std::string blob;
    std::vector<std::uint64_t> offsets;
    auto append_text = [&](std::string_view s) {
      if (detail::is_ascii(s) || detail::is_nfc(s)) {
        blob += s;
      } else {
        blob += detail::to_nfc(s);
      }
    };
    if (type == column_type::category) {
      std::vector<std::int32_t> codes(rows, -1);
      interner dict;
      std::size_t present = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        const auto s = raw.cell(r);
        if (is_na(s)) continue;
        ++present;
        valid[r] = 1;
        codes[r] = dict.code(s);
      }
      const bool mostly_distinct = static_cast<double>(dict.size()) >
                                       opt.category_max_ratio * static_cast<double>(present) &&
                                   dict.size() > 16;
      if (!(inferred && mostly_distinct)) {
        return column::category(name, std::move(codes), dict.dictionary());
      }
      // Mostly distinct values (names, notes): text, not a category.
      offsets.reserve(rows + 1);
      offsets.push_back(0);
      for (std::size_t r = 0; r < rows; ++r) {
        if (codes[r] >= 0) blob += dict.value(codes[r]);
        offsets.push_back(blob.size());
      }
      return column::text(name, std::move(blob), std::move(offsets), std::move(valid));
    }
    offsets.reserve(rows + 1);
    offsets.push_back(0);
    blob.reserve(raw.bytes.size());
    for (std::size_t r = 0; r < rows; ++r) {
      const auto s = raw.cell(r);
      if (!is_na(s)) {
        valid[r] = 1;
        append_text(s);
      }
      offsets.push_back(blob.size());
    }
    return column::text(name, std::move(blob), std::move(offsets), std::move(valid));
  }

  column convert_lists() const {
    std::vector<std::uint32_t> offsets{0};
    offsets.reserve(rows + 1);
    std::vector<std::int32_t> codes;
    interner dict;
    std::vector<std::uint8_t> valid(rows, 1);
    std::array<bool, 256> is_list_sep{};
    for (char c : opt.list_separators) is_list_sep[static_cast<unsigned char>(c)] = true;
    for (std::size_t r = 0; r < rows; ++r) {
      const auto s = raw.cell(r);
      // An empty cell is an empty list ("no prizes"); the other NA markers are missing. Items
      // are read without the blanks around them, so the marker is too ("\tnull " is missing,
      // not a list holding "null" that would be written back as a missing cell).
      std::string_view bare = s;
      while (!bare.empty() && (bare.front() == ' ' || bare.front() == '\t')) bare.remove_prefix(1);
      while (!bare.empty() && (bare.back() == ' ' || bare.back() == '\t')) bare.remove_suffix(1);
      if (!bare.empty() && is_na(bare)) {
        valid[r] = 0;
      } else {
        std::size_t b = 0;
        while (b <= s.size()) {
          std::size_t e = b;
          while (e < s.size() && !is_list_sep[static_cast<unsigned char>(s[e])]) ++e;
          auto item = s.substr(b, e - b);
          while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
          while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
            item.remove_suffix(1);
          if (!item.empty()) codes.push_back(dict.code(item));
          b = e + 1;
        }
      }
      offsets.push_back(static_cast<std::uint32_t>(codes.size()));
    }
    return column::category_list(name, std::move(offsets), std::move(codes), dict.dictionary(),
                                 std::move(valid));
  }
};

}  // namespace

pool read_csv_text(std::string_view text, const csv_options& options, std::string_view name) {
  const std::string file(name);
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  detail::require_text(text, file);  // valid UTF-8, no NUL byte
  const char sep = options.separator != 0 ? options.separator : detect_separator(text);
  const char decimal = options.decimal != 0 ? options.decimal : (sep == ';' ? ',' : '.');
  if (sep == '"' || sep == '\n' || sep == '\r') {
    throw spec_error("the separator cannot be a quote or a line break");
  }

  raw_table raw = tokenizer(text, sep, name, options.max_field_lines).run(options.progress);
  const std::size_t ncols = raw.header.size();
  const std::size_t rows = raw.row_line.size();

  std::unordered_map<std::string, std::size_t> by_name;
  for (std::size_t k = 0; k < ncols; ++k) {
    if (!by_name.emplace(raw.header[k], k).second) {
      throw schema_error("the header names this column twice",
                         location{.file = file, .line = 1, .field = raw.header[k]});
    }
  }
  std::vector<std::optional<column_type>> declared(ncols);
  for (const auto& [col_name, type] : options.schema) {
    auto it = by_name.find(detail::to_nfc(col_name));
    if (it == by_name.end()) {
      throw schema_error("the schema names a column the file does not have",
                         location{.file = file, .line = 1, .field = col_name});
    }
    declared[it->second] = type;
  }
  const auto id_it = by_name.find(detail::to_nfc(options.id_column));
  if (id_it == by_name.end()) {
    std::string hint;
    std::size_t best = std::numeric_limits<std::size_t>::max();
    for (const auto& h : raw.header) {
      const auto d =
          edit_distance(detail::fold_for_matching(h), detail::fold_for_matching(options.id_column));
      if (d < best) {
        best = d;
        hint = h;
      }
    }
    throw schema_error("no id column \"" + options.id_column + "\" in the header" +
                           (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"),
                       location{.file = file, .line = 1});
  }
  declared[id_it->second] = column_type::text;

  // Convert columns in parallel; each task writes only its own slot, so the result does not
  // depend on the number of threads.
  std::vector<std::optional<column>> converted(ncols);
  std::vector<std::optional<cell_error>> errors(ncols);
  // Keep the raw id cells for error messages before the workers free them.
  const raw_column id_raw = raw.columns[id_it->second];
  std::vector<std::optional<cell_error>> mixed(ncols);
  detail::parallel_for(ncols, options.threads, [&](std::size_t k) {
    converter conv{raw.columns[k], raw.header[k], options, decimal, rows, {}};
    try {
      const bool inferred = !declared[k].has_value();
      const column_type type = inferred ? conv.infer() : *declared[k];
      if (conv.mixed && options.mixed_columns == csv_options::mixed_policy::error) {
        conv.mixed->message +=
            "; the other cells of the column are numbers (correct the cell, or read the column "
            "as text with mixed_columns=text)";
        throw *conv.mixed;
      }
      mixed[k] = conv.mixed;
      converted[k] = conv.convert(type, inferred);
    } catch (const cell_error& e) {
      errors[k] = e;
    }
    raw.columns[k] = raw_column{};  // free the raw cells early
  });
  // Report the first bad cell in file order (lowest row, then leftmost column).
  std::optional<std::size_t> worst;
  for (std::size_t k = 0; k < ncols; ++k) {
    if (errors[k] && (!worst || errors[k]->row < errors[*worst]->row)) worst = k;
  }
  if (worst) {
    const auto& e = *errors[*worst];
    location where{.file = file, .line = raw.row_line[e.row], .field = raw.header[*worst]};
    if (*worst != id_it->second) where.row_id = std::string(id_raw.cell(e.row));
    throw data_error(e.message, std::move(where));
  }
  if (options.warning) {
    for (std::size_t k = 0; k < ncols; ++k) {
      if (!mixed[k]) continue;
      location where{.file = file, .line = raw.row_line[mixed[k]->row], .field = raw.header[k]};
      options.warning(where.str() + ": " + mixed[k]->message +
                      "; the other cells are numbers: the column is read as " +
                      std::string(to_string(converted[k]->type())));
    }
  }
  std::vector<column> columns;
  columns.reserve(ncols);
  for (auto& c : converted) columns.push_back(std::move(*c));
  return pool(std::move(columns), options.id_column,
              [&](std::size_t r) { return file + ":" + std::to_string(raw.row_line[r]); });
}

pool read_csv(const std::string& path, const csv_options& options) {
  const std::string text = read_user_file(path, options.max_bytes);
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
      } else if (c.is_valid(r) && c.type() == column_type::category_list &&
                 is_default_na(cell)) {
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
