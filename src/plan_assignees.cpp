// Assignee cells ("Phân công thực hiện") split into lead and supporting units, and the unit
// aliases a plan merges spellings by (see include/khuyenhoc/plan.hpp, docs/plans.md).
#include <khuyenhoc/detail/unicode.hpp>
#include <khuyenhoc/plan.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "plan_text.hpp"

namespace khuyenhoc {

using namespace plan_text;

namespace {

// An assignee cell is read in three passes (see docs/plans.md, "Assignee cells"):
//  1. cut into items at separators (';', ',', line breaks, bullets, " - " before a unit,
//     " và " before a unit) and at role labels/marks ("Chủ trì:", "Phối hợp:", "(chủ trì)",
//     "(phối hợp)"), remembering the role each item was given;
//  2. cut each item at the unit prefixes of names written one after another with spaces only
//     ("P. GDTX&ĐH P. KT&KĐCLGD P. GDTrH");
//  3. give roles: marked units keep theirs; of the unmarked ones the first leads unless a unit
//     is marked as lead, the rest support.
// Matching runs on the lower-cased NFC text, which has the byte length of the original for
// Vietnamese (upper and lower case letters are encoded alike), so cuts found in it apply to it.

enum class unit_role : std::uint8_t { none, lead, support };

struct cell_item {
  std::string text;
  unit_role role = unit_role::none;
};

// A prefix that starts a unit name: its lower-case words; `strong` prefixes start a unit
// wherever they appear after a complete name, weak ones ("Hội", "Ban" …) also occur inside
// names ("Ban Chấp hành Công đoàn"), so a cut there is reported as unsure.
struct unit_prefix {
  std::array<std::string_view, 2> words;
  bool strong;
  bool lower_ok;  // may be written in lower case ("các trường")
};

constexpr unit_prefix unit_prefixes[] = {
    {{"văn", "phòng"}, true, false},
    {{"thanh", "tra"}, true, false},
    {{"trung", "tâm"}, true, false},
    {{"ủy", "ban"}, true, false},
    {{"uỷ", "ban"}, true, false},
    {{"công", "đoàn"}, false, false},
    {{"chi", "bộ"}, false, false},
    {{"đảng", "ủy"}, false, false},
    {{"p.", ""}, true, true},
    {{"phòng", ""}, true, false},
    {{"sở", ""}, true, false},
    {{"ubnd", ""}, true, true},
    {{"trường", ""}, true, false},
    {{"vp", ""}, true, false},
    {{"hội", ""}, false, false},
    {{"ban", ""}, false, false},
    {{"tổ", ""}, false, false},
    {{"đoàn", ""}, false, false},
    {{"các", ""}, false, true},
    {{"bgh", ""}, false, false},
    // Without diacritics (text typed in ASCII).
    {{"van", "phong"}, true, false},
    {{"thanh", "tra"}, true, false},
    {{"trung", "tam"}, true, false},
    {{"cong", "doan"}, false, false},
    {{"phong", ""}, true, false},
    {{"so", ""}, true, false},
    {{"truong", ""}, true, false},
    {{"hoi", ""}, false, false},
    {{"to", ""}, false, false},
    {{"doan", ""}, false, false},
    {{"cac", ""}, false, true},
};

// Abbreviations that name a level or a kind, not a unit: two of them in one name are normal.
constexpr std::string_view level_words[] = {"thpt",   "thcs",      "th",    "mn",   "gdđt", "gd&đt",
                                            "ubnd",   "hđnd",      "tp",    "tx",   "đh",   "cđ",
                                            "tw",     "gddt",      "gd&dt", "hdnd", "dh",   "cd",
                                            "ptdtnt", "gdnn-gdtx", "gdtx",  "tn",   "cb",   "gv"};

bool upper_initial(std::string_view original, std::string_view lower) {
  // The first code point differs from its lower-case form: an upper-case letter.
  if (original.empty()) return false;
  const auto c = static_cast<unsigned char>(original[0]);
  std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  len = std::min(len, original.size());
  return original.substr(0, len) != lower.substr(0, len);
}

// An abbreviation that names a unit: at least two upper-case ASCII letters, no lower-case
// vowel run ("GDTrH", "KT&KĐCLGD"), not a level word.
bool unit_abbreviation(std::string_view original, std::string_view lower) {
  if (original.size() < 3) return false;
  int upper = 0, lower_letters = 0;
  for (char c : original) {
    if (c >= 'A' && c <= 'Z') ++upper;
    if (c >= 'a' && c <= 'z') ++lower_letters;
  }
  if (upper < 2 || lower_letters > 1) return false;
  std::string l(lower);
  while (!l.empty() && (l.back() == '.' || l.back() == ',' || l.back() == ')')) l.pop_back();
  return std::find(std::begin(level_words), std::end(level_words), l) == std::end(level_words);
}

struct word {
  std::string_view original;
  std::string_view lower;
};

std::vector<word> words_of(std::string_view original, std::string_view lower) {
  std::vector<word> out;
  std::size_t i = 0;
  while (i < original.size()) {
    while (i < original.size() && original[i] == ' ') ++i;
    std::size_t j = i;
    while (j < original.size() && original[j] != ' ') ++j;
    if (j > i) out.push_back({original.substr(i, j - i), lower.substr(i, j - i)});
    i = j;
  }
  return out;
}

// The prefix starting at word k (number of words it takes, 0 when none).
std::size_t prefix_at(const std::vector<word>& w, std::size_t k, bool& strong, bool& glued) {
  glued = false;
  for (const auto& p : unit_prefixes) {
    const bool two = !p.words[1].empty();
    if (two && k + 1 >= w.size()) continue;
    const std::string_view first = w[k].lower;
    bool match = false;
    if (p.words[0] == "p.") {
      // "P." alone, or glued to the name ("P.GDTrH").
      if (first == "p.") {
        match = true;
      } else if (first.size() > 2 && first.starts_with("p.")) {
        match = glued = true;
      }
    } else {
      match = first == p.words[0] && (!two || w[k + 1].lower == p.words[1]);
    }
    if (!match) continue;
    if (!p.lower_ok && !upper_initial(w[k].original, w[k].lower)) continue;
    strong = p.strong;
    return two ? 2 : 1;
  }
  return 0;
}

struct split_units {
  std::vector<std::string> units;
  bool unsure = false;
  std::string why;
};

// Pass 2: one item → units, cut at prefixes of names written one after another.
split_units split_item(const std::string& item) {
  split_units out;
  const std::string low = lower_utf8(item);
  const bool aligned = low.size() == item.size();
  const auto w = words_of(item, aligned ? std::string_view(low) : std::string_view(item));
  std::size_t unit_start = 0;
  std::size_t body = 0;  // words of the current unit after its prefix
  bool weak_cut = false;
  auto flush = [&](std::size_t end) {
    std::string u;
    for (std::size_t k = unit_start; k < end; ++k) {
      if (!u.empty()) u += ' ';
      u += w[k].original;
    }
    if (!u.empty()) out.units.push_back(std::move(u));
    unit_start = end;
  };
  for (std::size_t k = 0; k < w.size();) {
    bool strong = false, glued = false;
    const std::size_t n = prefix_at(w, k, strong, glued);
    if (n == 0) {
      ++body;
      ++k;
      continue;
    }
    const bool followed = glued || k + n < w.size();
    if (k > unit_start && body > 0 && followed) {
      flush(k);
      weak_cut = weak_cut || !strong;
      body = glued ? 1 : 0;
    } else if (k == unit_start) {
      body = glued ? 1 : 0;
    } else {
      body += n;  // "Văn phòng Sở": the prefix word is part of the name
    }
    k += n;
  }
  flush(w.size());
  if (weak_cut) {
    out.unsure = true;
    out.why = "cut at a word that also occurs inside names";
  }
  for (const auto& u : out.units) {
    const std::string ul = lower_utf8(u);
    const auto uw = words_of(u, ul.size() == u.size() ? std::string_view(ul) : std::string_view(u));
    const auto abbreviations = std::count_if(
        uw.begin(), uw.end(), [](const word& x) { return unit_abbreviation(x.original, x.lower); });
    if (abbreviations >= 2) {
      out.unsure = true;
      out.why = "\"" + u + "\" holds several unit abbreviations without a separator";
    } else if (uw.size() > 10) {
      out.unsure = true;
      out.why = "\"" + u + "\" is too long for one unit name";
    }
  }
  return out;
}

// A label ("Chủ trì:", "Phối hợp:") or mark ("(chủ trì)", "(phối hợp)") at `i` of the
// lower-cased cell: its length and role, or 0.
struct marker {
  std::string_view text;
  unit_role role;
  bool label;  // a label: the role of the items after it; else a mark of the item before it
};

constexpr marker markers[] = {
    {"đơn vị chủ trì:", unit_role::lead, true}, {"đơn vị phối hợp:", unit_role::support, true},
    {"chủ trì:", unit_role::lead, true},        {"phối hợp:", unit_role::support, true},
    {"thực hiện:", unit_role::lead, true},      {"hỗ trợ:", unit_role::support, true},
    {"(chủ trì)", unit_role::lead, false},      {"(phối hợp)", unit_role::support, false},
    {"(ct)", unit_role::lead, false},           {"(ph)", unit_role::support, false},
    {"don vi chu tri:", unit_role::lead, true}, {"don vi phoi hop:", unit_role::support, true},
    {"chu tri:", unit_role::lead, true},        {"phoi hop:", unit_role::support, true},
    {"thuc hien:", unit_role::lead, true},      {"ho tro:", unit_role::support, true},
    {"(chu tri)", unit_role::lead, false},      {"(phoi hop)", unit_role::support, false},
};

bool word_start(std::string_view s, std::size_t i) {
  return i == 0 || !is_word_byte(static_cast<unsigned char>(s[i - 1]));
}

// Does a unit prefix start at byte i of the lower-cased text (after spaces)?
bool unit_follows(std::string_view original, std::string_view lower, std::size_t i) {
  while (i < original.size() && original[i] == ' ') ++i;
  const auto w = words_of(original.substr(i), lower.substr(i));
  if (w.empty()) return false;
  bool strong = false, glued = false;
  return prefix_at(w, 0, strong, glued) > 0;
}

// Pass 1: the cell → items with the roles their labels or marks give.
std::vector<cell_item> cut_cell(std::string_view cell) {
  std::string text;
  for (std::size_t i = 0; i < cell.size(); ++i) {
    std::size_t br_len = 0;
    if (cell[i] == '<') {
      for (std::string_view br : {"<br>", "<br/>", "<br />", "<BR>"}) {
        if (cell.substr(i, br.size()) == br) br_len = br.size();
      }
    }
    if (br_len > 0) {
      text += '\n';
      i += br_len - 1;
    } else {
      text += cell[i];
    }
  }
  if (!detail::find_invalid_utf8(text)) text = detail::to_nfc(text);
  // One space for any run of spaces or tabs, but line breaks kept (they separate).
  {
    std::string t;
    for (std::size_t i = 0; i < text.size();) {
      std::size_t len = 0;
      if (text[i] != '\n' && text[i] != '\r' && is_space_at(text, i, len)) {
        if (!t.empty() && t.back() != ' ') t += ' ';
        i += len;
        continue;
      }
      t += text[i++];
    }
    text = std::move(t);
  }
  const std::string low_full = lower_utf8(text);
  const std::string_view low = low_full.size() == text.size() ? low_full : text;

  std::vector<cell_item> items;
  std::string cur;
  bool cur_has_text = false;  // cur holds more than spaces
  unit_role label_role = unit_role::none;
  unit_role mark_role = unit_role::none;
  auto flush = [&] {
    std::string t = collapse_spaces(cur);
    cur.clear();
    cur_has_text = false;
    if (!t.empty())
      items.push_back({std::move(t), mark_role != unit_role::none ? mark_role : label_role});
    mark_role = unit_role::none;
  };
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == ';' || c == ',' || c == '\n' || c == '\r') {
      flush();
      ++i;
      continue;
    }
    // Bullets: "•", and a dash at an item's start or between spaces before a unit.
    if (low.substr(i).starts_with("\xE2\x80\xA2")) {  // •
      flush();
      i += 3;
      continue;
    }
    const bool at_item_start = !cur_has_text;
    std::size_t dash = 0;
    if (c == '-' || c == '+' || c == '*') dash = 1;
    if (low.substr(i).starts_with("\xE2\x80\x93") || low.substr(i).starts_with("\xE2\x80\x94")) {
      dash = 3;  // – —
    }
    if (dash > 0) {
      const bool spaced_before = i == 0 || text[i - 1] == ' ';
      const bool spaced_after = i + dash >= text.size() || text[i + dash] == ' ';
      if (at_item_start ||
          (spaced_before && spaced_after && c != '*' && unit_follows(text, low, i + dash))) {
        flush();
        i += dash;
        continue;
      }
    }
    // " và " before a unit.
    if (word_start(low, i) &&
        (low.substr(i).starts_with("và ") || low.substr(i).starts_with("va ")) &&
        unit_follows(text, low, i + (low.substr(i).starts_with("và ") ? 4 : 3))) {
      flush();
      i += low.substr(i).starts_with("và ") ? 4 : 3;
      continue;
    }
    bool matched = false;
    if (word_start(low, i) || c == '(') {
      for (const auto& m : markers) {
        if (!low.substr(i).starts_with(m.text)) continue;
        if (m.label) {
          flush();
          label_role = m.role;
        } else {
          mark_role = m.role;
          flush();
        }
        i += m.text.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    cur += c;
    cur_has_text = cur_has_text || c != ' ';
    ++i;
  }
  flush();
  // Unbracketed marks: "A phối hợp", "A chủ trì", "phối hợp với A", "chủ trì: …" handled above.
  for (auto& it : items) {
    std::string f = collapse_spaces(detail::fold_for_matching(it.text));
    auto drop_words = [&](std::size_t n_words, bool from_end) {
      auto words = words_of(it.text, it.text);
      if (words.size() <= n_words) return;
      std::string t;
      const std::size_t b = from_end ? 0 : n_words;
      const std::size_t e = from_end ? words.size() - n_words : words.size();
      for (std::size_t k = b; k < e; ++k) {
        if (!t.empty()) t += ' ';
        t += words[k].original;
      }
      it.text = std::move(t);
    };
    if (f.size() > 9 && f.ends_with(" phoi hop")) {
      drop_words(2, true);
      it.role = unit_role::support;
    } else if (f.size() > 8 && f.ends_with(" chu tri")) {
      drop_words(2, true);
      it.role = unit_role::lead;
    } else if (f.starts_with("phoi hop voi ")) {
      drop_words(3, false);
      it.role = unit_role::support;
    } else if (f.starts_with("phoi hop ")) {
      drop_words(2, false);
      it.role = unit_role::support;
    } else if (f.starts_with("chu tri ")) {
      drop_words(2, false);
      it.role = unit_role::lead;
    }
  }
  return items;
}

}  // namespace

assignees split_assignees(std::string_view cell) {
  assignees out;
  struct unit {
    std::string name;
    unit_role role;
  };
  std::vector<unit> units;
  for (auto& item : cut_cell(cell)) {
    auto s = split_item(item.text);
    if (s.unsure) out.unclear.push_back(item.text + " (" + s.why + ")");
    for (auto& u : s.units) {
      std::string n = normalise_name(u);
      while (!n.empty() && (n.back() == ')' || n.back() == '(' ||
                            (n.back() == '.' && n != "P." && !n.ends_with(" P.")))) {
        n.pop_back();
        n = collapse_spaces(n);
      }
      if (!n.empty()) units.push_back({std::move(n), item.role});
    }
  }
  const bool marked_lead = std::any_of(units.begin(), units.end(),
                                       [](const unit& u) { return u.role == unit_role::lead; });
  bool first_unmarked = !marked_lead;
  for (auto& u : units) {
    bool lead = u.role == unit_role::lead;
    if (u.role == unit_role::none && first_unmarked) {
      lead = true;
      first_unmarked = false;
    }
    (lead ? out.leads : out.supports).push_back(std::move(u.name));
  }
  return out;
}

std::vector<std::string> split_units(std::string_view cell) {
  std::vector<std::string> out;
  for (auto& item : cut_cell(cell)) {
    for (auto& u : split_item(item.text).units) {
      std::string n = normalise_name(u);
      if (!n.empty()) out.push_back(std::move(n));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Unit aliases
// ---------------------------------------------------------------------------------------------

namespace {

// Key under which spellings of one unit are one: lower case; "và", spaces and punctuation
// dropped; "phòng …" as "p…", "ủy ban nhân dân" as "ubnd". "P. KT&KĐCLGD", "p.kt-kđclgd" and
// "Phòng KT và KĐCLGD" share a key.
std::string alias_key(std::string_view name) {
  std::string low = lower_utf8(normalise_name(name));
  // Rebuilt rather than replaced in place: GCC 12 -O3 warns (-Wrestrict) on the in-place form.
  auto replace_all = [&](std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(low.size());
    std::size_t prev = 0;
    for (std::size_t pos = low.find(from); pos != std::string::npos; pos = low.find(from, prev)) {
      out.append(low, prev, pos - prev);
      out.append(to);
      prev = pos + from.size();
    }
    out.append(low, prev, std::string::npos);
    low.swap(out);
  };
  replace_all("ủy ban nhân dân", "ubnd");
  replace_all("uỷ ban nhân dân", "ubnd");
  replace_all(" và ", " ");
  if (low.starts_with("phòng ")) low = std::string("p.").append(low, 6, std::string::npos);
  std::string out;
  for (std::size_t i = 0; i < low.size(); ++i) {
    const auto c = static_cast<unsigned char>(low[i]);
    if (c < 0x80 && !std::isalnum(c)) continue;
    out += low[i];
  }
  return out;
}

}  // namespace

unit_aliases unit_aliases::builtin() {
  // Departments of a provincial Department of Education and Training (Sở GDĐT) and the
  // usual short forms in its plans.
  unit_aliases a;
  a.add({"P. GDMN", "Phòng Giáo dục Mầm non"});
  a.add({"P. GDTH", "Phòng Giáo dục Tiểu học"});
  a.add({"P. GDTrH", "Phòng Giáo dục Trung học"});
  a.add({"P. GDTX&ĐH", "Phòng Giáo dục thường xuyên và Đại học",
         "Phòng Giáo dục thường xuyên - Đại học"});
  a.add({"P. GDNN-GDTX", "Phòng Giáo dục nghề nghiệp - Giáo dục thường xuyên"});
  a.add({"P. KT&KĐCLGD", "Phòng Khảo thí và Kiểm định chất lượng giáo dục"});
  a.add({"P. TCCB", "Phòng Tổ chức cán bộ", "Phòng Tổ chức - Cán bộ"});
  a.add({"P. KHTC", "Phòng Kế hoạch - Tài chính", "Phòng Kế hoạch Tài chính"});
  a.add({"P. CTTT", "Phòng Chính trị, tư tưởng", "Phòng Chính trị tư tưởng"});
  a.add({"Văn phòng Sở", "VP Sở", "Văn phòng Sở GDĐT"});
  a.add({"Thanh tra Sở", "TT Sở"});
  a.add({"Sở GDĐT", "Sở GD&ĐT", "Sở Giáo dục và Đào tạo"});
  a.add({"Phòng GDĐT", "Phòng GD&ĐT", "Phòng Giáo dục và Đào tạo"});
  a.add({"Hội Khuyến học", "Hội KH"});
  a.add({"Đoàn TN", "Đoàn Thanh niên", "Đoàn TNCS Hồ Chí Minh"});
  a.add({"BGH", "Ban Giám hiệu"});
  return a;
}

void unit_aliases::add(const std::vector<std::string>& names) {
  if (names.empty()) return;
  // The group joins every group one of its names is already in.
  std::vector<std::size_t> joined;
  for (const auto& n : names) {
    const std::string k = alias_key(n);
    if (k.empty()) throw spec_error("an empty unit name in an alias group");
    if (const auto it = group_of_.find(k); it != group_of_.end()) joined.push_back(it->second);
  }
  std::sort(joined.begin(), joined.end());
  joined.erase(std::unique(joined.begin(), joined.end()), joined.end());
  std::size_t g = 0;
  if (joined.empty()) {
    g = groups_.size();
    groups_.emplace_back();
  } else {
    g = joined.front();
    for (std::size_t k = joined.size(); k-- > 1;) {
      for (auto& n : groups_[joined[k]]) {
        group_of_[alias_key(n)] = g;
        groups_[g].push_back(std::move(n));
      }
      groups_[joined[k]].clear();
    }
  }
  for (const auto& n : names) {
    const std::string k = alias_key(n);
    if (group_of_.try_emplace(k, g).second) groups_[g].push_back(normalise_name(n));
  }
}

void unit_aliases::merge(const unit_aliases& other) {
  for (const auto& g : other.groups_) {
    if (!g.empty()) add(g);
  }
}

std::string unit_aliases::key(std::string_view name) const {
  std::string k = alias_key(name);
  if (const auto it = group_of_.find(k); it != group_of_.end()) {
    return std::string(1, '\x01').append(std::to_string(it->second));
  }
  return k;
}

std::vector<std::vector<std::string>> unit_aliases::groups() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& g : groups_) {
    if (!g.empty()) out.push_back(g);
  }
  return out;
}

}  // namespace khuyenhoc
