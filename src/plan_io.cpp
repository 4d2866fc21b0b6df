// Readers of plans: YAML, CSV with named columns, and the 4-column task table copied out of a
// document (tab- or pipe-separated, markdown). See docs/plans.md for the formats.
#include <khuyenhoc/detail/unicode.hpp>
#include <khuyenhoc/plan.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

#include "csv_tokenizer.hpp"
#include "khuyenhoc/io.hpp"
#include "yaml_load.hpp"

namespace khuyenhoc {

namespace {

// The library's one user-file opener (io.hpp): the same error for a missing file everywhere.
std::string read_bytes(const std::string& path) {
  return read_user_file(path);
}

// A user's file as UTF-8 text (see plan::decode_text).
std::string read_file(const std::string& path) {
  return plan::decode_text(read_bytes(path), path);
}

std::string_view strip_bom(std::string_view s) {
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  return s;
}

std::string trim(std::string_view s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string folded_header(std::string_view s) {
  std::string f = detail::fold_for_matching(trim(s));
  std::string out;
  bool space = false;
  for (char c : f) {
    if (c == ' ' || c == '_' || c == '-' || c == '.') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

enum class column : std::uint8_t {
  none,
  id,
  time,
  title,
  assigned,
  lead,
  support,
  kind,
  resources,
  depends
};

column column_of_header(std::string_view name) {
  const std::string f = folded_header(name);
  struct entry {
    std::string_view name;
    column col;
  };
  static constexpr entry exact[] = {
      {"id", column::id},
      {"tt", column::id},
      {"stt", column::id},
      {"so tt", column::id},
      {"time", column::time},
      {"date", column::time},
      {"thoi gian", column::time},
      {"thoi han", column::time},
      {"title", column::title},
      {"task", column::title},
      {"noi dung", column::title},
      {"cong viec", column::title},
      {"assigned", column::assigned},
      {"assignees", column::assigned},
      {"phan cong", column::assigned},
      {"lead", column::lead},
      {"leads", column::lead},
      {"chu tri", column::lead},
      {"don vi chu tri", column::lead},
      {"support", column::support},
      {"supports", column::support},
      {"phoi hop", column::support},
      {"don vi phoi hop", column::support},
      {"kind", column::kind},
      {"loai", column::kind},
      {"resources", column::resources},
      {"resource", column::resources},
      {"nguon luc", column::resources},
      {"depends on", column::depends},
      {"depends", column::depends},
      {"after", column::depends},
      {"sau", column::depends},
      {"phu thuoc", column::depends},
  };
  for (const auto& e : exact) {
    if (f == e.name) return e.col;
  }
  static constexpr entry prefix[] = {
      {"thoi gian", column::time},           {"noi dung", column::title},
      {"phan cong", column::assigned},       {"don vi thuc hien", column::assigned},
      {"nguoi thuc hien", column::assigned}, {"bo phan thuc hien", column::assigned},
  };
  for (const auto& e : prefix) {
    if (f.starts_with(e.name)) return e.col;
  }
  return column::none;
}

bool is_roman_or_letter_heading(std::string_view tt) {
  const std::string t = trim(tt);
  if (t.empty()) return true;
  std::string core = t;
  while (!core.empty() && (core.back() == '.' || core.back() == ')')) core.pop_back();
  if (core.empty()) return false;
  return std::all_of(core.begin(), core.end(),
                     [](char c) { return c == 'I' || c == 'V' || c == 'X' || c == 'L'; }) ||
         (core.size() == 1 && core[0] >= 'A' && core[0] <= 'Z');
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ';' || c == ',' || c == '\n' || c == '|') {
      if (auto t = trim(cur); !t.empty()) out.push_back(t);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (auto t = trim(cur); !t.empty()) out.push_back(t);
  return out;
}

// "5", "5+2", "5 (+2)": predecessor id and lag in days.
dependency parse_dependency(std::string_view item, const location& where) {
  std::string s = trim(item);
  dependency d;
  const auto plus = s.rfind('+');
  if (plus != std::string::npos && plus > 0) {
    std::string lag = trim(s.substr(plus + 1));
    while (!lag.empty() && lag.back() == ')') lag.pop_back();
    if (lag.ends_with("d")) lag.pop_back();
    int v = 0;
    const auto [p, ec] = std::from_chars(lag.data(), lag.data() + lag.size(), v);
    if (ec != std::errc() || p != lag.data() + lag.size()) {
      throw parse_error("dependency \"" + s + "\": the lag after '+' is not a whole number of days",
                        where);
    }
    d.lag_days = v;
    s = trim(s.substr(0, plus));
    while (!s.empty() && s.back() == '(') s = trim(s.substr(0, s.size() - 1));
  }
  d.task = s;
  return d;
}

std::vector<dependency> parse_dependencies(std::string_view cell, const location& where) {
  std::vector<dependency> out;
  for (const auto& item : split_list(cell)) out.push_back(parse_dependency(item, where));
  return out;
}

void set_time(plan_task& t, std::string_view text, std::optional<int> year_given) {
  // 0: the dates carry their own years.
  const int y = year_given.value_or(0);
  t.time_text = trim(text);
  if (t.time_text.empty()) {
    t.time_error = "no time given";
    return;
  }
  try {
    t.time = y != 0 ? parse_time(t.time_text, y) : parse_time(t.time_text);
  } catch (const parse_error& e) {
    t.time_error = e.message();
  }
}

// Records with the line each starts on, read by the library's one CSV tokenizer
// (src/csv_tokenizer.hpp: the pool reader quotes alike). `tab_table`: Word's tab copies, where
// text after a closing quote is kept as part of the cell.
struct record {
  std::vector<std::string> cells;
  std::size_t line = 0;
};

std::vector<record> tokenize(std::string_view text, char sep, std::string_view source,
                             bool tab_table = false) {
  std::vector<record> out;
  detail::csv_tokenizer tok(text, source, {.separator = sep, .text_after_quote = tab_table});
  while (tok.at_record()) {
    record r;
    r.line = tok.line();
    tok.read_record(
        [&](std::size_t, std::string_view field, std::size_t) { r.cells.emplace_back(field); });
    out.push_back(std::move(r));
  }
  return out;
}

char detect_separator(std::string_view text) {
  const auto eol = text.find('\n');
  const auto head = text.substr(0, eol);
  std::array<std::pair<std::size_t, char>, 3> counts{
      {{static_cast<std::size_t>(std::count(head.begin(), head.end(), ',')), ','},
       {static_cast<std::size_t>(std::count(head.begin(), head.end(), ';')), ';'},
       {static_cast<std::size_t>(std::count(head.begin(), head.end(), '\t')), '\t'}}};
  std::stable_sort(counts.begin(), counts.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  return counts[0].first == 0 ? ',' : counts[0].second;
}

bool looks_like_header(const std::vector<std::string>& cells) {
  int named = 0;
  for (const auto& c : cells) {
    const auto col = column_of_header(c);
    if (col == column::time || col == column::title || col == column::assigned) ++named;
  }
  return named >= 2;
}

}  // namespace

plan plan::from_rows(const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows, int year,
                     std::string_view source, const std::vector<std::size_t>& lines) {
  // Column positions.
  std::array<std::optional<std::size_t>, 10> pos{};
  const bool positional = header.empty();
  if (positional) {
    pos[static_cast<std::size_t>(column::id)] = 0;
    pos[static_cast<std::size_t>(column::time)] = 1;
    pos[static_cast<std::size_t>(column::title)] = 2;
    pos[static_cast<std::size_t>(column::assigned)] = 3;
  } else {
    for (std::size_t k = 0; k < header.size(); ++k) {
      const auto c = column_of_header(header[k]);
      if (c != column::none && !pos[static_cast<std::size_t>(c)]) {
        pos[static_cast<std::size_t>(c)] = k;
      }
    }
    for (column required : {column::time, column::title}) {
      if (!pos[static_cast<std::size_t>(required)]) {
        throw parse_error(std::string("the header has no ") +
                              (required == column::time ? "time (\"Thời gian\", \"time\")"
                                                        : "title (\"Nội dung\", \"title\")") +
                              " column",
                          location{.file = std::string(source),
                                   .line = lines.empty() ? std::size_t{0} : std::size_t{1}});
      }
    }
  }
  auto cell = [&](const std::vector<std::string>& r, column c) -> std::string {
    const auto& p = pos[static_cast<std::size_t>(c)];
    if (!p || *p >= r.size()) return {};
    return trim(r[*p]);
  };
  plan out;
  std::string previous_time;
  std::size_t row_number = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    ++row_number;
    location where{.file = std::string(source)};
    if (i < lines.size() && lines[i] != 0) {
      where.line = lines[i];
    } else {
      where.row_id = std::to_string(row_number);
    }
    std::string id = cell(r, column::id);
    std::string time = cell(r, column::time);
    const std::string title = cell(r, column::title);
    const std::string assigned = cell(r, column::assigned);
    const std::string lead = cell(r, column::lead);
    const std::string support = cell(r, column::support);
    if (id.empty() && time.empty() && title.empty() && assigned.empty() && lead.empty()) continue;
    // Section headings ("II. Nội dung") carry no time and no unit.
    if (time.empty() && assigned.empty() && lead.empty() && support.empty() &&
        is_roman_or_letter_heading(id)) {
      continue;
    }
    plan_task t;
    t.where = where;
    if (id.empty()) id = "row" + std::to_string(row_number);
    if (positional) {
      // TT may repeat across sections of a document: make the id unique, keep the number.
      std::string unique = id;
      for (int k = 2; out.find(unique); ++k) unique = id + "#" + std::to_string(k);
      id = unique;
    }
    t.id = id;
    t.title = title;
    if (time.empty()) time = previous_time;  // merged cell: the time of the row above
    previous_time = time;
    set_time(t, time, year);
    auto a = split_assignees(assigned);
    t.leads = std::move(a.leads);
    t.supports = std::move(a.supports);
    t.unclear_assignees = std::move(a.unclear);
    t.assigned_text = assigned;
    for (auto& l : split_units(lead)) t.leads.push_back(l);
    for (auto& s : split_units(support)) t.supports.push_back(s);
    if (t.assigned_text.empty()) {
      t.assigned_text = lead;
      if (!support.empty()) t.assigned_text += (lead.empty() ? "" : "; ") + support;
    }
    if (const auto k = cell(r, column::kind); !k.empty()) {
      try {
        t.kind = parse_task_kind(k);
      } catch (const spec_error& e) {
        auto w = where;
        w.field = "kind";
        throw spec_error(e.message(), w);
      }
      t.kind_inferred = false;
    }
    t.resources = split_list(cell(r, column::resources));
    t.depends_on = parse_dependencies(cell(r, column::depends), where);
    out.add(std::move(t));
  }
  return out;
}

plan plan::from_csv(std::string_view text, int year, std::string_view source) {
  text = strip_bom(text);
  detail::require_text(text, source);  // valid UTF-8, no NUL byte
  auto recs = tokenize(text, detect_separator(text), source);
  if (recs.empty()) {
    throw parse_error("the file is empty (no header line)",
                      location{.file = std::string(source), .line = 1});
  }
  const auto header = recs.front().cells;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;
  for (std::size_t i = 1; i < recs.size(); ++i) {
    if (recs[i].cells.size() != header.size()) {
      throw parse_error("expected " + std::to_string(header.size()) +
                            " fields (as in the header), found " +
                            std::to_string(recs[i].cells.size()),
                        location{.file = std::string(source), .line = recs[i].line});
    }
    rows.push_back(std::move(recs[i].cells));
    lines.push_back(recs[i].line);
  }
  // Every CSV has a header; from_rows reports a missing time or title column.
  return from_rows(header, rows, year, source, lines);
}

plan plan::from_csv_file(const std::string& path, int year) {
  return from_csv(read_file(path), year, path);
}

plan plan::from_table_file(const std::string& path, int year) {
  return from_table(read_file(path), year, path);
}

plan plan::from_table(std::string_view text, int year, std::string_view source) {
  text = strip_bom(text);
  detail::require_text(text, source);  // valid UTF-8, no NUL byte
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;
  if (text.find('\t') != std::string_view::npos) {
    for (auto& r : tokenize(text, '\t', source, true)) {
      rows.push_back(std::move(r.cells));
      lines.push_back(r.line);
    }
  } else {
    std::size_t line = 0, b = 0;
    while (b <= text.size()) {
      auto e = text.find('\n', b);
      if (e == std::string_view::npos) e = text.size();
      ++line;
      std::string_view l = text.substr(b, e - b);
      b = e + 1;
      const std::string t = trim(l);
      if (t.find('|') == std::string::npos) {
        if (e == text.size()) break;
        continue;
      }
      // Markdown separator rows: only '|', '-', ':' and spaces.
      if (t.find_first_not_of("|-: ") == std::string::npos) continue;
      std::string_view body = t;
      if (body.starts_with('|')) body.remove_prefix(1);
      if (body.ends_with('|')) body.remove_suffix(1);
      std::vector<std::string> cells;
      std::size_t cb = 0;
      while (true) {
        const auto ce = body.find('|', cb);
        cells.push_back(trim(body.substr(cb, ce == std::string_view::npos ? ce : ce - cb)));
        if (ce == std::string_view::npos) break;
        cb = ce + 1;
      }
      rows.push_back(std::move(cells));
      lines.push_back(line);
      if (e == text.size()) break;
    }
  }
  if (rows.empty()) {
    throw parse_error("no table rows (cells separated by tabs or '|')",
                      location{.file = std::string(source), .line = 1});
  }
  std::vector<std::string> header;
  if (looks_like_header(rows.front())) {
    header = rows.front();
    rows.erase(rows.begin());
    lines.erase(lines.begin());
    // A header naming only some columns still reads positionally when it has four cells.
    bool has_id = false;
    for (const auto& h : header) has_id = has_id || column_of_header(h) == column::id;
    if (header.size() == 4 && !has_id) header.clear();
  }
  if (header.empty()) {
    for (auto& r : rows) {
      if (r.size() < 4) r.resize(4);
    }
  }
  // Positional ids are made unique (TT repeats across sections) only without a header.
  return from_rows(header, rows, year, source, lines);
}

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

namespace {

location yaml_loc(const YAML::Node& n, std::string_view source, std::string field = {}) {
  location l{.file = std::string(source)};
  const auto m = n.Mark();
  if (m.line >= 0) {
    l.line = static_cast<std::size_t>(m.line) + 1;
    l.column = static_cast<std::size_t>(m.column) + 1;
  }
  l.field = std::move(field);
  return l;
}

std::string scalar(const YAML::Node& n, std::string_view source, const char* field) {
  if (!n.IsScalar()) {
    throw spec_error(std::string("\"") + field + "\" must be a text value",
                     yaml_loc(n, source, field));
  }
  return n.as<std::string>();
}

std::vector<std::string> string_list(const YAML::Node& n, std::string_view source,
                                     const char* field) {
  if (!n || n.IsNull()) return {};
  if (n.IsScalar()) return split_list(n.as<std::string>());
  if (!n.IsSequence()) {
    throw spec_error(std::string("\"") + field + "\" must be a text or a list",
                     yaml_loc(n, source, field));
  }
  std::vector<std::string> out;
  for (const auto& x : n) out.push_back(scalar(x, source, field));
  return out;
}

// Units of a "lead"/"support" value: a cell split like an assignee cell, or a list of names.
std::vector<std::string> unit_list(const YAML::Node& n, std::string_view source,
                                   const char* field) {
  if (n && n.IsScalar()) return split_units(n.as<std::string>());
  return string_list(n, source, field);
}

// `name: [spellings]`, `name: spelling`, or a list of lists.
unit_aliases aliases_from_node(const YAML::Node& n, std::string_view source) {
  unit_aliases out;
  auto names_of = [&](const YAML::Node& list, std::vector<std::string>& names) {
    if (list.IsScalar()) {
      names.push_back(list.as<std::string>());
    } else if (list.IsSequence()) {
      for (const auto& x : list) names.push_back(scalar(x, source, "aliases"));
    } else {
      throw spec_error("an alias is a name or a list of names", yaml_loc(list, source, "aliases"));
    }
  };
  try {
    if (n.IsMap()) {
      for (const auto& kv : n) {
        std::vector<std::string> names{scalar(kv.first, source, "aliases")};
        names_of(kv.second, names);
        out.add(names);
      }
    } else if (n.IsSequence()) {
      for (const auto& g : n) {
        std::vector<std::string> names;
        names_of(g, names);
        out.add(names);
      }
    } else if (!n.IsNull()) {
      throw spec_error("\"aliases\" must map a unit to its other spellings",
                       yaml_loc(n, source, "aliases"));
    }
  } catch (const spec_error& e) {
    if (e.where().line != 0) throw;
    throw spec_error(e.message(), yaml_loc(n, source, "aliases"));
  }
  return out;
}

YAML::Node load_yaml_text(std::string_view text, std::string_view source) {
  return detail::load_yaml(text, std::string(source));
}

}  // namespace

unit_aliases unit_aliases::from_yaml(std::string_view text, std::string_view source) {
  const YAML::Node root = load_yaml_text(plan::decode_text(text, source), source);
  if (root.IsMap() && root["aliases"] && root.size() == 1) {
    return aliases_from_node(root["aliases"], source);
  }
  return aliases_from_node(root, source);
}

unit_aliases unit_aliases::from_yaml_file(const std::string& path) {
  return from_yaml(read_bytes(path), path);
}

std::string plan::decode_text(std::string_view bytes, std::string_view source) {
  auto utf16 = [&](bool little) {
    std::string out;
    out.reserve(bytes.size());
    const std::size_t n = bytes.size() / 2;
    auto unit = [&](std::size_t k) {
      const auto a = static_cast<unsigned char>(bytes[2 * k]);
      const auto b = static_cast<unsigned char>(bytes[2 * k + 1]);
      return static_cast<std::uint32_t>(little ? (a | (b << 8)) : ((a << 8) | b));
    };
    std::size_t line = 1;
    for (std::size_t k = 1; k < n; ++k) {  // k = 0 is the byte order mark
      std::uint32_t cp = unit(k);
      if (cp >= 0xD800 && cp <= 0xDBFF && k + 1 < n && unit(k + 1) >= 0xDC00 &&
          unit(k + 1) <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (unit(k + 1) - 0xDC00);
        ++k;
      } else if (cp >= 0xD800 && cp <= 0xDFFF) {
        throw parse_error("invalid UTF-16 (an unpaired surrogate)",
                          location{.file = std::string(source), .line = line});
      }
      if (cp == '\n') ++line;
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
    if (bytes.size() % 2 != 0) {
      throw parse_error("invalid UTF-16 (an odd number of bytes)",
                        location{.file = std::string(source), .line = line});
    }
    return out;
  };
  if (bytes.starts_with("\xFF\xFE")) return utf16(true);
  if (bytes.starts_with("\xFE\xFF")) return utf16(false);
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  if (const auto bad = detail::find_invalid_utf8(bytes)) {
    const auto line =
        1 + static_cast<std::size_t>(
                std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(*bad), '\n'));
    const std::size_t zeros =
        static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '\0'));
    throw parse_error(zeros * 4 > bytes.size()
                          ? "the file is not UTF-8: it looks like UTF-16 without a byte order mark "
                            "(save it as UTF-8, or as UTF-16 with a BOM: Excel's \"Unicode Text\")"
                          : "the file is not UTF-8 (byte " + std::to_string(*bad + 1) +
                                "); save it as UTF-8 (Excel: \"CSV UTF-8\")",
                      location{.file = std::string(source), .line = line});
  }
  return std::string(bytes);
}

plan plan::from_yaml(std::string_view text, std::string_view source, std::optional<int> year) {
  // The library's one YAML path (duplicate keys, alias bounds, UTF-8): src/yaml_load.hpp.
  const std::string decoded = decode_text(text, source);
  const YAML::Node root = load_yaml_text(decoded, source);
  if (!root.IsMap())
    throw spec_error("a plan is a mapping with a \"tasks\" list", yaml_loc(root, source));
  if (!year && root["year"]) {
    try {
      year = root["year"].as<int>();
    } catch (const YAML::Exception&) {
      throw spec_error("\"year\" must be a whole number", yaml_loc(root["year"], source, "year"));
    }
  }
  const auto tasks = root["tasks"];
  if (!tasks || !tasks.IsSequence()) {
    throw spec_error("a plan needs a \"tasks\" list", yaml_loc(root, source, "tasks"));
  }
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    if (key != "year" && key != "tasks" && key != "aliases" && key != "title" && key != "note") {
      throw spec_error("unknown key \"" + key + "\" in a plan (year, title, aliases, tasks, note)",
                       yaml_loc(kv.first, source, key));
    }
  }
  plan out;
  if (const auto al = root["aliases"])
    out.set_aliases([&] {
      auto a = unit_aliases::builtin();
      a.merge(aliases_from_node(al, source));
      return a;
    }());
  static constexpr std::string_view known[] = {"id",         "title",    "time", "lead",
                                               "support",    "assigned", "kind", "resources",
                                               "depends_on", "note"};
  std::string previous_time;
  std::size_t k = 0;
  for (const auto& node : tasks) {
    ++k;
    if (!node.IsMap()) throw spec_error("a task is a mapping", yaml_loc(node, source));
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      if (std::find(std::begin(known), std::end(known), key) == std::end(known)) {
        throw spec_error("unknown key \"" + key + "\" in a task", yaml_loc(kv.first, source, key));
      }
    }
    plan_task t;
    t.where = yaml_loc(node, source);
    t.id = node["id"] ? scalar(node["id"], source, "id") : std::to_string(k);
    t.where.row_id = t.id;
    if (!node["title"])
      throw spec_error("task \"" + t.id + "\" has no title", yaml_loc(node, source, "title"));
    t.title = scalar(node["title"], source, "title");
    std::string time = node["time"] ? scalar(node["time"], source, "time") : std::string{};
    if (trim(time).empty()) time = previous_time;
    previous_time = time;
    set_time(t, time, year);
    if (node["assigned"]) {
      t.assigned_text = scalar(node["assigned"], source, "assigned");
      auto a = split_assignees(t.assigned_text);
      t.leads = std::move(a.leads);
      t.supports = std::move(a.supports);
      t.unclear_assignees = std::move(a.unclear);
    }
    for (auto& s : unit_list(node["lead"], source, "lead")) t.leads.push_back(s);
    for (auto& s : unit_list(node["support"], source, "support")) t.supports.push_back(s);
    t.resources = string_list(node["resources"], source, "resources");
    if (node["kind"]) {
      try {
        t.kind = parse_task_kind(scalar(node["kind"], source, "kind"));
      } catch (const spec_error& e) {
        throw spec_error(e.message(), yaml_loc(node["kind"], source, "kind"));
      }
      t.kind_inferred = false;
    }
    if (const auto deps = node["depends_on"]; deps && !deps.IsNull()) {
      const auto dl = yaml_loc(deps, source, "depends_on");
      if (deps.IsScalar()) {
        t.depends_on = parse_dependencies(deps.as<std::string>(), dl);
      } else if (deps.IsSequence()) {
        for (const auto& d : deps) {
          if (d.IsScalar()) {
            t.depends_on.push_back(
                parse_dependency(d.as<std::string>(), yaml_loc(d, source, "depends_on")));
          } else if (d.IsMap() && d["task"]) {
            dependency dep;
            dep.task = scalar(d["task"], source, "task");
            if (d["lag"]) {
              try {
                dep.lag_days = d["lag"].as<int>();
              } catch (const YAML::Exception&) {
                throw spec_error("\"lag\" must be a whole number of days",
                                 yaml_loc(d["lag"], source, "lag"));
              }
            }
            t.depends_on.push_back(dep);
          } else {
            throw spec_error("a dependency is an id, \"id+lag\" or {task: id, lag: days}",
                             yaml_loc(d, source, "depends_on"));
          }
        }
      } else {
        throw spec_error("\"depends_on\" must be an id or a list", dl);
      }
    }
    out.add(std::move(t));
  }
  return out;
}

plan plan::from_yaml_file(const std::string& path, std::optional<int> year) {
  return from_yaml(read_file(path), path, year);
}

}  // namespace khuyenhoc
