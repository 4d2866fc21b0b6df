// The plan model and its schedule checker (see include/khuyenhoc/plan.hpp, docs/plans.md).
//
// Every check that compares tasks with each other runs as a sweep-line over sorted day events
// (overload, resource double booking) or over hash maps (duplicates, dependencies): nothing is
// pairwise, so a province's million tasks check in about a second.
#include <khuyenhoc/detail/unicode.hpp>
#include <khuyenhoc/plan.hpp>

#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <set>
#include <tuple>
#include <unordered_set>

namespace khuyenhoc {

namespace bg = boost::gregorian;

std::string_view to_string(task_kind k) noexcept {
  switch (k) {
    case task_kind::task:
      return "task";
    case task_kind::event:
      return "event";
    case task_kind::deadline:
      return "deadline";
  }
  return "task";
}

std::string_view to_string(finding_kind k) noexcept {
  switch (k) {
    case finding_kind::invalid_time:
      return "invalid_time";
    case finding_kind::no_lead:
      return "no_lead";
    case finding_kind::unclear_assignees:
      return "unclear_assignees";
    case finding_kind::unknown_dependency:
      return "unknown_dependency";
    case finding_kind::dependency_cycle:
      return "dependency_cycle";
    case finding_kind::dependency_order:
      return "dependency_order";
    case finding_kind::tentative_dependency:
      return "tentative_dependency";
    case finding_kind::overload:
      return "overload";
    case finding_kind::resource_conflict:
      return "resource_conflict";
    case finding_kind::coarse_overlap:
      return "coarse_overlap";
    case finding_kind::duplicate_task:
      return "duplicate_task";
    case finding_kind::outside_window:
      return "outside_window";
    case finding_kind::day_off:
      return "day_off";
    case finding_kind::open_ended:
      return "open_ended";
    case finding_kind::non_working_day:
      return "non_working_day";
    case finding_kind::spans_holiday:
      return "spans_holiday";
  }
  return "invalid_time";
}

std::string_view to_string(severity s) noexcept {
  switch (s) {
    case severity::error:
      return "error";
    case severity::warning:
      return "warning";
    case severity::info:
      return "info";
  }
  return "error";
}

namespace {

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

bool is_space_at(std::string_view s, std::size_t i, std::size_t& len) {
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
std::string collapse_spaces(std::string_view s) {
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

std::string lower_utf8(std::string_view s) {
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
std::string unit_key(std::string_view normalised) {
  std::string lower = lower_utf8(normalised);
  std::string out;
  out.reserve(lower.size());
  for (char c : lower) {
    if (c != ' ') out += c;
  }
  return out;
}

std::string normalise_name(std::string_view s) {
  std::string t = collapse_spaces(s);
  while (!t.empty() && (t.back() == ';' || t.back() == ',' || t.back() == ':')) {
    t.pop_back();
    while (!t.empty() && t.back() == ' ') t.pop_back();
  }
  if (detail::find_invalid_utf8(t)) return t;
  return detail::to_nfc(t);
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

bool starts_with_word(std::string_view text, std::string_view word) {
  return text.starts_with(word) && (text.size() == word.size() ||
                                    !is_word_byte(static_cast<unsigned char>(text[word.size()])));
}

std::string fmt_date(const bg::date& d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", static_cast<int>(d.day()),
                static_cast<int>(d.month()), static_cast<int>(d.year()));
  return buf;
}

std::string iso_date(const bg::date& d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d.year()),
                static_cast<int>(d.month()), static_cast<int>(d.day()));
  return buf;
}

std::string fmt_range(const std::optional<bg::date>& a, const std::optional<bg::date>& b) {
  if (a && b) return *a == *b ? fmt_date(*a) : fmt_date(*a) + " - " + fmt_date(*b);
  if (a) return "từ " + fmt_date(*a);
  if (b) return "đến " + fmt_date(*b);
  return "?";
}

std::string fmt_range_en(const std::optional<bg::date>& a, const std::optional<bg::date>& b) {
  if (a && b) return *a == *b ? fmt_date(*a) : fmt_date(*a) + " - " + fmt_date(*b);
  if (a) return "from " + fmt_date(*a);
  if (b) return "until " + fmt_date(*b);
  return "?";
}

std::string fmt_load(std::int64_t thousandths) {
  // Shortest round-trip form: 2, 1.5, 0.333 (no stream, no locale).
  char buf[32];
  const auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, static_cast<double>(thousandths) / 1000.0);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(thousandths / 1000);
}

std::int64_t to_thousandths(double x) {
  return static_cast<std::int64_t>(std::llround(x * 1000.0));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Kinds and assignees
// ---------------------------------------------------------------------------------------------

task_kind parse_task_kind(std::string_view text) {
  const std::string f = collapse_spaces(detail::fold_for_matching(text));
  if (f == "task" || f == "cong viec" || f == "nhiem vu" || f == "viec") return task_kind::task;
  if (f == "event" || f == "su kien") return task_kind::event;
  if (f == "deadline" || f == "han" || f == "han chot" || f == "thoi han") {
    return task_kind::deadline;
  }
  throw spec_error("unknown task kind \"" + std::string(text) +
                   "\" (expected task, event or deadline)");
}

kind_guess guess_task_kind(std::string_view title, const time_expr* time) {
  // An explicit marker in the title ("(Sự kiện)", "[Hạn]") is as good as a kind column.
  {
    const std::string f = detail::fold_for_matching(title);
    struct mark {
      std::string_view text;
      task_kind kind;
    };
    static constexpr mark marks[] = {
        {"su kien", task_kind::event},     {"event", task_kind::event},
        {"han", task_kind::deadline},      {"han chot", task_kind::deadline},
        {"deadline", task_kind::deadline}, {"cong viec", task_kind::task},
        {"task", task_kind::task},
    };
    for (const auto& m : marks) {
      for (const auto& [open, close] : {std::pair{'(', ')'}, std::pair{'[', ']'}}) {
        std::string needle;
        needle += open;
        needle += m.text;
        needle += close;
        if (f.find(needle) != std::string::npos) return {m.kind, {}, true};
      }
    }
  }
  if (time != nullptr && time->deadline) return {task_kind::deadline, {}};
  // The time first: work over more than three days (known to the day) or open-ended is a task.
  bool short_span = true;  // a single day, or at most three days
  bool single_day = false;
  if (time != nullptr && time->bounded()) {
    const long days = (*time->end - *time->start).days() + 1;
    // A time not known to the day (a month, a quarter) may hold a one-day event.
    if (time->granularity == time_granularity::day) {
      short_span = days <= 3;
      single_day = days == 1;
    }
  } else if (time != nullptr && time->open_ended) {
    short_span = false;  // "Từ 20/9": work that starts, not an event
  }
  const bool ascii = detail::is_ascii(title);
  const std::string low = ascii ? detail::fold_for_matching(title) : lower_utf8(title);
  const std::string t = collapse_spaces(low);
  // The original spelling of the matched words, for the hint.
  const std::string orig = collapse_spaces(title);
  auto original_at = [&](std::size_t pos, std::size_t len) {
    return orig.size() == t.size() ? orig.substr(pos, len) : t.substr(pos, len);
  };
  struct word_pair {
    std::string_view vi;
    std::string_view folded;
  };
  static constexpr word_pair deadline_words[] = {
      {"hạn chót", "han chot"},   {"thời hạn", "thoi han"},     {"hạn", "han"},
      {"chậm nhất", "cham nhat"}, {"trước ngày", "truoc ngay"},
  };
  auto find_word = [&](std::string_view w) -> std::optional<std::size_t> {
    std::size_t pos = 0;
    while ((pos = t.find(w, pos)) != std::string::npos) {
      const bool left = pos == 0 || !is_word_byte(static_cast<unsigned char>(t[pos - 1]));
      const std::size_t e = pos + w.size();
      const bool right = e >= t.size() || !is_word_byte(static_cast<unsigned char>(t[e]));
      if (left && right) return pos;
      ++pos;
    }
    return std::nullopt;
  };
  if (time == nullptr || single_day) {
    for (const auto& w : deadline_words) {
      const std::string_view word = ascii ? w.folded : w.vi;
      if (const auto pos = find_word(word)) {
        return {task_kind::deadline, original_at(*pos, word.size())};
      }
    }
  }
  if (single_day) {
    for (std::string_view w : {ascii ? "nop" : "nộp", ascii ? "gui" : "gửi"}) {
      if (starts_with_word(t, w)) return {task_kind::deadline, original_at(0, w.size())};
    }
  }
  if (!short_span) return {task_kind::task, {}};
  // An event word at the start of the title (after "Tổ chức", "Dự", "Tham dự").
  std::size_t start = 0;
  for (std::string_view lead_in :
       {ascii ? "to chuc " : "tổ chức ", ascii ? "tham du " : "tham dự ", ascii ? "du " : "dự "}) {
    if (t.starts_with(lead_in)) {
      start = lead_in.size();
      break;
    }
  }
  static constexpr word_pair event_words[] = {
      {"họp", "hop"},           {"lễ", "le"},
      {"hội nghị", "hoi nghi"}, {"hội thảo", "hoi thao"},
      {"tọa đàm", "toa dam"},   {"toạ đàm", "toa dam"},
      {"mít tinh", "mit tinh"}, {"khai mạc", "khai mac"},
      {"bế mạc", "be mac"},     {"gặp mặt", "gap mat"},
      {"giao lưu", "giao luu"}, {"tuyên dương", "tuyen duong"},
  };
  const std::string_view rest = std::string_view(t).substr(start);
  for (const auto& w : event_words) {
    const std::string_view word = ascii ? w.folded : w.vi;
    if (!starts_with_word(rest, word)) continue;
    return {task_kind::event, original_at(start, word.size())};
  }
  return {task_kind::task, {}};
}

task_kind infer_task_kind(std::string_view title, const time_expr* time) noexcept {
  try {
    return guess_task_kind(title, time).kind;
  } catch (...) {  // allocation failure: the default kind is a safe answer
    return task_kind::task;
  }
}

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
  auto replace_all = [&](std::string_view from, std::string_view to) {
    std::size_t pos = 0;
    while ((pos = low.find(from, pos)) != std::string::npos) {
      low.replace(pos, from.size(), to);
      pos += to.size();
    }
  };
  replace_all("ủy ban nhân dân", "ubnd");
  replace_all("uỷ ban nhân dân", "ubnd");
  replace_all(" và ", " ");
  if (low.starts_with("phòng ")) low = "p." + low.substr(6);
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
    return "\x01" + std::to_string(it->second);
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

// ---------------------------------------------------------------------------------------------
// plan
// ---------------------------------------------------------------------------------------------

std::string plan::intern_unit(std::string_view name) {
  // The same spellings recur task after task: they are looked up as written first, so the
  // Unicode work (NFC, case folding, alias keys) is done once per distinct spelling.
  std::string raw(name);
  if (const auto seen = unit_spellings_.find(raw); seen != unit_spellings_.end()) {
    return unit_names_[seen->second];
  }
  std::string n = normalise_name(name);
  std::string key = aliases_.key(n);
  auto [it, inserted] = unit_keys_.try_emplace(std::move(key), unit_names_.size());
  if (inserted) unit_names_.push_back(n);
  unit_spellings_.emplace(std::move(raw), it->second);
  return unit_names_[it->second];
}

std::string plan::intern_resource(std::string_view name) {
  std::string n = normalise_name(name);
  auto [it, inserted] = resource_keys_.try_emplace(unit_key(n), resource_names_.size());
  if (inserted) resource_names_.push_back(n);
  return resource_names_[it->second];
}

std::string plan::unit_name(std::string_view name) const {
  std::string n = normalise_name(name);
  const auto it = unit_keys_.find(aliases_.key(n));
  return it == unit_keys_.end() ? n : unit_names_[it->second];
}

void plan::set_aliases(unit_aliases aliases) {
  if (!tasks_.empty()) {
    throw spec_error("set_aliases: the plan already has tasks (use with_aliases)");
  }
  aliases_ = std::move(aliases);
}

plan plan::with_aliases(const unit_aliases& extra) const {
  plan out;
  out.aliases_ = aliases_;
  out.aliases_.merge(extra);
  // Units are re-merged in order of first appearance, so the first spelling seen stays.
  for (const auto& u : unit_names_) (void)out.intern_unit(u);
  for (const auto& t : tasks_) {
    plan_task copy = t;
    out.add(std::move(copy));
  }
  return out;
}

void plan::add(plan_task task) {
  task.id = collapse_spaces(task.id);
  if (task.id.empty()) throw data_error("a task has no id", task.where);
  if (index_.contains(task.id)) {
    auto where = task.where;
    where.row_id = task.id;
    throw data_error("duplicate task id \"" + task.id + "\" (first at " +
                         tasks_[index_.at(task.id)].where.str() + ")",
                     where);
  }
  task.title = normalise_name(task.title);
  auto dedupe = [](std::vector<std::string>& v) {
    std::vector<std::string> out;
    for (auto& s : v) {
      if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    v = std::move(out);
  };
  for (auto& u : task.leads) u = intern_unit(u);
  for (auto& u : task.supports) u = intern_unit(u);
  dedupe(task.leads);
  dedupe(task.supports);
  // A unit both leading and supporting leads.
  std::erase_if(task.supports, [&](const std::string& s) {
    return std::find(task.leads.begin(), task.leads.end(), s) != task.leads.end();
  });
  for (auto& r : task.resources) r = intern_resource(r);
  dedupe(task.resources);
  for (auto& d : task.depends_on) d.task = collapse_spaces(d.task);
  if (task.kind_inferred) {
    auto g = guess_task_kind(task.title, task.time ? &*task.time : nullptr);
    task.kind = g.kind;
    task.kind_hint = std::move(g.hint);
    task.kind_inferred = !g.marked;  // a marker in the title gives the kind
  } else {
    task.kind_hint.clear();
  }
  index_.emplace(task.id, tasks_.size());
  tasks_.push_back(std::move(task));
}

std::optional<std::size_t> plan::find(std::string_view id) const {
  const auto it = index_.find(std::string(id));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

// The sweep kernel (detail::sweep_overloads) is in plan_overload.cpp, next to find_overloads.

// ---------------------------------------------------------------------------------------------
// check
// ---------------------------------------------------------------------------------------------

namespace {

struct keyed_finding {
  finding f;
  std::size_t first_task = 0;
};

std::vector<std::string> ids_of(const std::vector<plan_task>& tasks,
                                const std::vector<std::size_t>& idx) {
  std::vector<std::string> out;
  out.reserve(idx.size());
  for (auto i : idx) out.push_back(tasks[i].id);
  return out;
}

std::string quoted_list(const std::vector<std::string>& ids, std::size_t max_items = 8) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < max_items; ++i) {
    if (i) out += ", ";
    out += ids[i];
  }
  if (ids.size() > max_items) out += ", … (" + std::to_string(ids.size()) + ")";
  return out;
}

bg::date from_day_number(std::int64_t n) {
  return bg::date(static_cast<bg::date::date_rep_type>(static_cast<std::uint32_t>(n)));
}

constexpr std::string_view weekday_vi[] = {"Chủ nhật", "thứ Hai", "thứ Ba", "thứ Tư",
                                           "thứ Năm",  "thứ Sáu", "thứ Bảy"};
constexpr std::string_view weekday_en[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};

// "thứ Bảy 12/10/2024" / "Saturday 12/10/2024".
std::string fmt_day_vi(const bg::date& d) {
  return std::string(weekday_vi[d.day_of_week().as_number()]) + " " + fmt_date(d);
}
std::string fmt_day_en(const bg::date& d) {
  return std::string(weekday_en[d.day_of_week().as_number()]) + " " + fmt_date(d);
}

std::string join_list(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += sep;
    s += x;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// The checks: one function per finding kind (or family of kinds sharing one sweep), registered
// in `checks` below. A new check is one function and one line there. Each reads the plan
// through the context, which builds what several checks share (the dependency graph and its
// cycles, the holidays of the years the plan touches) once.
// ---------------------------------------------------------------------------------------------

struct check_context {
  check_context(const plan& p, const check_options& o, const calendar& c)
      : the_plan(p), tasks(p.tasks()), options(o), cal(c), succ(p.size()) {
    build_graph();
  }

  const plan& the_plan;
  const std::vector<plan_task>& tasks;
  const check_options& options;
  const calendar& cal;
  std::vector<keyed_finding> out;

  // The dependency graph: successors per task, the edges to known tasks, the references to
  // unknown ones, and the strongly connected components (cycles).
  struct edge {
    std::size_t pred, succ;
    int lag;
  };
  std::vector<std::vector<std::uint32_t>> succ;
  std::vector<edge> edges;
  std::vector<std::pair<std::size_t, std::string>> unknown;  // (task, missing id)
  std::vector<std::int64_t> comp;                            // component of each task, or -1
  std::vector<std::vector<std::size_t>> cycles;              // members, sorted

  void emit(finding_kind kind, severity level, std::vector<std::size_t> idx,
            std::optional<bg::date> first, std::optional<bg::date> last, std::string subject,
            std::string vi, std::string en, std::int64_t load = 0,
            std::vector<std::string>* ids = nullptr) {  // ids: of idx, sorted, if known
    keyed_finding kf;
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    kf.first_task = idx.empty() ? 0 : idx.front();
    kf.f.kind = kind;
    kf.f.level = level;
    kf.f.tasks = ids ? std::move(*ids) : ids_of(tasks, idx);
    kf.f.first = first;
    kf.f.last = last;
    kf.f.subject = std::move(subject);
    kf.f.load = static_cast<double>(load) / 1000.0;
    kf.f.message_vi = std::move(vi);
    kf.f.message_en = std::move(en);
    if (!idx.empty()) kf.f.where = tasks[idx.front()].where;
    out.push_back(std::move(kf));
  }

  [[nodiscard]] std::string name(std::size_t i) const { return "\"" + tasks[i].id + "\""; }

  // Holiday names by day number, for the years of the day-precise times of the plan.
  struct holiday_names {
    std::map<std::int64_t, std::string> vi, en;
  };
  const holiday_names& holidays() {
    if (holidays_) return *holidays_;
    holidays_.emplace();
    std::set<int> years;
    for (const auto& t : tasks) {
      if (!t.time || t.time->granularity != time_granularity::day) continue;
      if (t.time->start) years.insert(t.time->start->year());
      if (t.time->end) years.insert(t.time->end->year());
    }
    for (int y : years) {
      for (const auto& h : cal.holidays(y)) {
        auto& vi = holidays_->vi[h.date.day_number()];
        if (!vi.empty()) vi += ", ";
        vi += h.name_vi;
        auto& en = holidays_->en[h.date.day_number()];
        if (!en.empty()) en += ", ";
        en += h.name_en.empty() ? h.name_vi : h.name_en;
      }
    }
    return *holidays_;
  }

  // " (taken for an event from the word "Lễ" in the title)" when the kind is a title guess.
  [[nodiscard]] std::pair<std::string, std::string> kind_note(std::size_t i) const {
    const auto& t = tasks[i];
    if (!t.kind_inferred || t.kind_hint.empty()) return {};
    const std::string what_vi = t.kind == task_kind::event ? "sự kiện" : "hạn";
    const std::string what_en = t.kind == task_kind::event ? "an event" : "a deadline";
    return {" (coi là " + what_vi + " vì tên có chữ \"" + t.kind_hint +
                "\"; ghi rõ loại nếu không phải)",
            " (taken for " + what_en + " from the word \"" + t.kind_hint +
                "\" in the title; give the kind if it is not)"};
  }

 private:
  void build_graph();
  std::optional<holiday_names> holidays_;
};

void check_context::build_graph() {
  const std::size_t n = tasks.size();
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& d : tasks[i].depends_on) {
      const auto p = the_plan.find(d.task);
      if (!p) {
        unknown.emplace_back(i, d.task);
        continue;
      }
      succ[*p].push_back(static_cast<std::uint32_t>(i));
      edges.push_back({*p, i, d.lag_days});
    }
  }
  // Tarjan's strongly connected components, iteratively.
  comp.assign(n, -1);
  std::vector<std::int64_t> index(n, -1), low(n, 0);
  std::vector<bool> on_stack(n, false);
  std::vector<std::uint32_t> stack;
  std::vector<std::pair<std::uint32_t, std::size_t>> call;
  std::int64_t counter = 0, ncomp = 0;
  for (std::uint32_t s = 0; s < n; ++s) {
    if (index[s] >= 0 || succ[s].empty()) continue;
    call.push_back({s, 0});
    while (!call.empty()) {
      auto& [v, e] = call.back();
      if (e == 0 && index[v] < 0) {
        index[v] = low[v] = counter++;
        stack.push_back(v);
        on_stack[v] = true;
      }
      if (e < succ[v].size()) {
        const auto w = succ[v][e++];
        if (index[w] < 0) {
          call.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        std::vector<std::size_t> members;
        std::uint32_t w = 0;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          comp[w] = ncomp;
          members.push_back(w);
        } while (w != v);
        const bool self_loop = std::find(succ[v].begin(), succ[v].end(), v) != succ[v].end();
        if (members.size() > 1 || self_loop) {
          std::sort(members.begin(), members.end());
          cycles.push_back(std::move(members));
        }
        ++ncomp;
      }
      const auto done = v;
      call.pop_back();
      if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
    }
  }
}

// --- invalid_time ------------------------------------------------------------------------------
void check_invalid_time(check_context& c) {
  for (std::size_t i = 0; i < c.tasks.size(); ++i) {
    const auto& t = c.tasks[i];
    if (t.time) continue;
    const std::string why = t.time_error.empty() ? "no time given" : t.time_error;
    c.emit(
        finding_kind::invalid_time, severity::error, {i}, std::nullopt, std::nullopt, {},
        "Công việc " + c.name(i) + ": thời gian \"" + t.time_text + "\" không hợp lệ (" + why + ")",
        "Task " + c.name(i) + ": invalid time \"" + t.time_text + "\" (" + why + ")");
  }
}

// --- no_lead -----------------------------------------------------------------------------------
void check_no_lead(check_context& c) {
  if (c.the_plan.units().empty()) return;  // a plan that names no units at all
  for (std::size_t i = 0; i < c.tasks.size(); ++i) {
    const auto& t = c.tasks[i];
    if (!t.leads.empty()) continue;
    const std::string cell_vi =
        t.assigned_text.empty() ? "ô phân công trống" : "ô phân công: \"" + t.assigned_text + "\"";
    const std::string cell_en = t.assigned_text.empty()
                                    ? "the assignee cell is empty"
                                    : "assignee cell: \"" + t.assigned_text + "\"";
    c.emit(finding_kind::no_lead, severity::warning, {i}, std::nullopt, std::nullopt, {},
           "Công việc " + c.name(i) + " không có đơn vị chủ trì (" + cell_vi + ")",
           "Task " + c.name(i) + " has no lead unit (" + cell_en + ")");
  }
}

// --- unclear_assignees -------------------------------------------------------------------------
void check_unclear_assignees(check_context& c) {
  for (std::size_t i = 0; i < c.tasks.size(); ++i) {
    const auto& t = c.tasks[i];
    if (t.unclear_assignees.empty()) continue;
    const std::string read_vi =
        "chủ trì: " + (t.leads.empty() ? "-" : join_list(t.leads, "; ")) +
        (t.supports.empty() ? "" : "; phối hợp: " + join_list(t.supports, "; "));
    const std::string read_en =
        "lead: " + (t.leads.empty() ? "-" : join_list(t.leads, "; ")) +
        (t.supports.empty() ? "" : "; support: " + join_list(t.supports, "; "));
    c.emit(finding_kind::unclear_assignees, severity::warning, {i}, std::nullopt, std::nullopt, {},
           "Công việc " + c.name(i) + ": không tách chắc chắn được ô phân công \"" +
               t.assigned_text + "\" (" + join_list(t.unclear_assignees, "; ") + "); đã hiểu là " +
               read_vi + " — tách các đơn vị bằng dấu ';'",
           "Task " + c.name(i) + ": the assignee cell \"" + t.assigned_text +
               "\" could not be split with confidence (" + join_list(t.unclear_assignees, "; ") +
               "); read as " + read_en + " — separate the units with ';'");
  }
}

// --- unknown_dependency ------------------------------------------------------------------------
void check_unknown_dependency(check_context& c) {
  for (const auto& [i, id] : c.unknown) {
    c.emit(finding_kind::unknown_dependency, severity::error, {i}, std::nullopt, std::nullopt, id,
           "Công việc " + c.name(i) + " phụ thuộc vào \"" + id + "\" không có trong kế hoạch",
           "Task " + c.name(i) + " depends on \"" + id + "\", which is not in the plan");
  }
}

// --- dependency_cycle --------------------------------------------------------------------------
void check_dependency_cycle(check_context& c) {
  for (const auto& members : c.cycles) {
    const auto ids = ids_of(c.tasks, members);
    c.emit(finding_kind::dependency_cycle, severity::error, members, std::nullopt, std::nullopt, {},
           "Vòng phụ thuộc: các công việc " + quoted_list(ids) + " chờ lẫn nhau",
           "Dependency cycle: tasks " + quoted_list(ids) + " wait for each other");
  }
}

// --- tentative_dependency ----------------------------------------------------------------------
void check_tentative_dependency(check_context& c) {
  for (const auto& e : c.edges) {
    const auto& p = c.tasks[e.pred];
    const auto& s = c.tasks[e.succ];
    if (!p.time || !s.time || !p.time->tentative) continue;
    c.emit(finding_kind::tentative_dependency, severity::warning, {e.pred, e.succ}, p.time->start,
           p.time->end, {},
           "Công việc " + c.name(e.succ) + " dựa vào thời gian dự kiến của " + c.name(e.pred) +
               " (" + p.time_text + ")",
           "Task " + c.name(e.succ) + " relies on the tentative date of " + c.name(e.pred) + " (" +
               p.time_text + ")");
  }
}

// --- dependency_order --------------------------------------------------------------------------
void check_dependency_order(check_context& c) {
  for (const auto& e : c.edges) {
    const auto& p = c.tasks[e.pred];
    const auto& s = c.tasks[e.succ];
    if (!p.time || !s.time) continue;
    if (c.comp[e.pred] >= 0 && c.comp[e.pred] == c.comp[e.succ]) continue;  // a cycle
    if (!p.time->end || !s.time->start) continue;
    const bg::date earliest = *p.time->end + bg::days(1 + e.lag);
    if (*s.time->start >= earliest) continue;
    const bool precise = p.time->granularity == time_granularity::day &&
                         s.time->granularity == time_granularity::day && !p.time->approximate &&
                         !s.time->approximate;
    const std::string lag_vi = e.lag ? " (cộng " + std::to_string(e.lag) + " ngày)" : "";
    const std::string lag_en = e.lag ? " (plus " + std::to_string(e.lag) + " days)" : "";
    c.emit(finding_kind::dependency_order, precise ? severity::error : severity::warning,
           {e.pred, e.succ}, s.time->start, p.time->end, {},
           std::string(precise ? "" : "Có thể sai thứ tự: ") + "Công việc " + c.name(e.succ) +
               " bắt đầu " + fmt_date(*s.time->start) + " trước khi " + c.name(e.pred) +
               " kết thúc " + fmt_date(*p.time->end) + lag_vi,
           std::string(precise ? "" : "Possibly out of order: ") + "Task " + c.name(e.succ) +
               " starts " + fmt_date(*s.time->start) + " before " + c.name(e.pred) + " ends " +
               fmt_date(*p.time->end) + lag_en);
  }
}

// --- overload, resource_conflict, coarse_overlap: one sweep-line over units and resources ------
void check_overloads(check_context& c) {
  const auto& tasks_ = c.tasks;
  const std::size_t n = tasks_.size();
  {
    // Names are looked up as views into the tasks (which outlive this scope): no copies.
    std::unordered_map<std::string_view, std::uint32_t> unit_group, resource_group;
    unit_group.reserve(c.the_plan.units().size());
    std::vector<std::string_view> group_name;
    std::vector<bool> group_is_resource;
    std::vector<std::int64_t> cap;
    const std::int64_t default_cap = to_thousandths(c.options.capacity);
    std::unordered_map<std::string, std::int64_t> unit_cap;
    for (const auto& [u, cu] : c.options.unit_capacity) {
      unit_cap[c.the_plan.unit_name(u)] = to_thousandths(cu);
    }
    auto group = [&](const std::string& nm, bool resource) {
      auto& groups = resource ? resource_group : unit_group;
      auto [it, inserted] =
          groups.try_emplace(std::string_view(nm), static_cast<std::uint32_t>(group_name.size()));
      if (inserted) {
        group_name.push_back(nm);
        group_is_resource.push_back(resource);
        if (resource) {
          cap.push_back(1000);
        } else {
          const auto c = unit_cap.find(nm);
          cap.push_back(c == unit_cap.end() ? default_cap : c->second);
        }
      }
      return it->second;
    };
    const std::int64_t support_w = to_thousandths(c.options.support_weight);
    std::vector<detail::sweep_item> items;
    items.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& t = tasks_[i];
      if (!t.time || !t.time->start || t.kind == task_kind::deadline) continue;
      std::int64_t s = t.time->start->day_number();
      std::int64_t e = 0;
      bool precise = t.time->granularity == time_granularity::day && !t.time->approximate;
      if (t.time->end) {
        e = t.time->end->day_number() + 1;
      } else {
        // Open-ended: until its first successor starts, else the window's end, else one day.
        precise = false;
        std::int64_t close = -1;
        for (auto sc : c.succ[i]) {
          const auto& st = tasks_[sc].time;
          if (st && st->start) {
            const std::int64_t d = st->start->day_number();
            if (d > s && (close < 0 || d < close)) close = d;
          }
        }
        if (close < 0 && c.options.window && c.options.window->end().day_number() > s) {
          close = c.options.window->end().day_number();
        }
        e = close > s ? close : s + 1;
      }
      const auto ti = static_cast<std::uint32_t>(i);
      for (const auto& u : t.leads) {
        items.push_back({group(u, false), s, e, precise ? 1000 : 0, 1000, ti});
      }
      for (const auto& u : t.supports) {
        items.push_back({group(u, false), s, e, precise ? support_w : 0, support_w, ti});
      }
      for (const auto& r : t.resources) {
        items.push_back({group(r, true), s, e, precise ? 1000 : 0, 1000, ti});
      }
    }
    const auto runs = detail::sweep_overloads(items, cap);
    for (const auto& r : runs) {
      const bool resource = group_is_resource[r.group];
      const std::string g(group_name[r.group]);
      const bg::date first = from_day_number(r.start);
      const bg::date last = from_day_number(r.past_end - 1);
      std::vector<std::size_t> idx(r.tasks.begin(), r.tasks.end());  // sorted, unique
      auto ids = ids_of(tasks_, idx);
      const std::string list = quoted_list(ids);
      const std::string when = fmt_range(first, last);
      const std::string load = fmt_load(r.peak);
      const std::string capacity = fmt_load(cap[r.group]);
      if (!r.certain) {
        c.emit(finding_kind::coarse_overlap, severity::warning, std::move(idx), first, last, g,
               std::string(resource ? "Có thể trùng lịch " : "Có thể quá tải ") + g + " " + when +
                   " (tải " + load + " > " + capacity +
                   ") chỉ vì thời gian theo tháng/quý hoặc không có ngày kết thúc: " + list,
               std::string(resource ? "Possible double booking of " : "Possible overload of ") + g +
                   " " + when + " (load " + load + " > " + capacity +
                   ") only through a month/quarter or open-ended range: " + list,
               r.peak, &ids);
      } else if (resource) {
        c.emit(finding_kind::resource_conflict, severity::error, std::move(idx), first, last, g,
               "Trùng lịch " + g + " " + when + ": " + list,
               "Double booking of " + g + " " + when + ": " + list, r.peak, &ids);
      } else {
        c.emit(finding_kind::overload, severity::error, std::move(idx), first, last, g,
               "Quá tải " + g + " " + when + ": tải " + load + " > năng lực " + capacity + " (" +
                   list + ")",
               "Overload of " + g + " " + when + ": load " + load + " > capacity " + capacity +
                   " (" + list + ")",
               r.peak, &ids);
      }
    }
  }
}

// --- duplicate_task ----------------------------------------------------------------------------
void check_duplicates(check_context& c) {
  const auto& tasks_ = c.tasks;
  const std::size_t n = tasks_.size();
  {
    // Tasks with the same title, time and lead units (in any order). Each task gets a 64-bit
    // hash of its key; sorting (hash, index) pairs brings candidates together, and within a run
    // of equal hashes tasks are compared field by field (no key strings are built).
    std::vector<std::vector<const std::string*>> sorted_leads(n);
    auto leads_of = [&](std::size_t i) -> const std::vector<const std::string*>& {
      auto& v = sorted_leads[i];
      if (v.size() != tasks_[i].leads.size()) {
        for (const auto& l : tasks_[i].leads) v.push_back(&l);
        std::sort(v.begin(), v.end(), [](auto* x, auto* y) { return *x < *y; });
      }
      return v;
    };
    auto mix = [](std::uint64_t h, std::uint64_t v) {
      h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      return h;
    };
    const std::hash<std::string_view> hs;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& t = tasks_[i];
      std::uint64_t h = hs(t.title);
      if (t.time) {
        h = mix(h, t.time->start ? static_cast<std::uint64_t>(t.time->start->day_number()) : 1);
        h = mix(h, t.time->end ? static_cast<std::uint64_t>(t.time->end->day_number()) : 2);
      } else {
        h = mix(h, hs(t.time_text) ^ 0x5bd1e995ULL);
      }
      std::uint64_t lead_sum = 0;  // order-independent
      for (const auto& l : t.leads) lead_sum += hs(l) * 0x9e3779b97f4a7c15ULL + 1;
      keyed[i] = {mix(h, lead_sum), static_cast<std::uint32_t>(i)};
    }
    std::sort(keyed.begin(), keyed.end());
    auto same_key = [&](std::size_t i, std::size_t j) {
      const auto& a = tasks_[i];
      const auto& b = tasks_[j];
      if (a.title != b.title || a.time.has_value() != b.time.has_value()) return false;
      if (a.time) {
        if (a.time->start != b.time->start || a.time->end != b.time->end) return false;
      } else if (a.time_text != b.time_text) {
        return false;
      }
      if (a.leads.size() != b.leads.size()) return false;
      const auto& la = leads_of(i);
      const auto& lb = leads_of(j);
      for (std::size_t k = 0; k < la.size(); ++k) {
        if (*la[k] != *lb[k]) return false;
      }
      return true;
    };
    std::vector<std::vector<std::size_t>> groups;
    std::vector<std::vector<std::size_t>> run_groups;
    for (std::size_t k = 0; k < n;) {
      std::size_t j = k + 1;
      while (j < n && keyed[j].first == keyed[k].first) ++j;
      if (j - k > 1) {
        run_groups.clear();  // members in index order: the first of each group is its head
        for (std::size_t m = k; m < j; ++m) {
          const std::size_t i = keyed[m].second;
          auto g = std::find_if(run_groups.begin(), run_groups.end(),
                                [&](const auto& grp) { return same_key(grp.front(), i); });
          if (g == run_groups.end()) {
            run_groups.push_back({i});
          } else {
            g->push_back(i);
          }
        }
        for (auto& g : run_groups) {
          if (g.size() > 1) groups.push_back(std::move(g));
        }
      }
      k = j;
    }
    std::sort(groups.begin(), groups.end(),
              [](const auto& x, const auto& y) { return x.front() < y.front(); });
    for (auto& idx : groups) {
      const auto& t = tasks_[idx.front()];
      const auto ids = ids_of(tasks_, idx);
      c.emit(finding_kind::duplicate_task, severity::warning, std::move(idx),
             t.time ? t.time->start : std::nullopt, t.time ? t.time->end : std::nullopt, {},
             "Công việc trùng lặp (cùng nội dung, thời gian, đơn vị): " + quoted_list(ids),
             "Duplicate tasks (same title, time and units): " + quoted_list(ids));
    }
  }
}

// --- outside_window ----------------------------------------------------------------------------
void check_outside_window(check_context& c) {
  if (!c.options.window) return;
  const auto& w = *c.options.window;
  for (std::size_t i = 0; i < c.tasks.size(); ++i) {
    const auto& t = c.tasks[i];
    if (!t.time || (!t.time->start && !t.time->end)) continue;  // no dates ("Thường xuyên")
    const auto& tm = *t.time;
    const auto p = tm.period();
    if (w.contains(p)) continue;
    const bool disjoint = !w.intersects(p);
    c.emit(finding_kind::outside_window, severity::warning, {i}, tm.start, tm.end, {},
           "Công việc " + c.name(i) + " (" + t.time_text + ") " +
               (disjoint ? "nằm ngoài" : "vượt ra ngoài") + " thời gian đợt " +
               fmt_range(w.begin(), w.last()),
           "Task " + c.name(i) + " (" + t.time_text + ") is " +
               (disjoint ? "outside" : "partly outside") + " the campaign window " +
               fmt_range_en(w.begin(), w.last()));
  }
}

// --- open_ended --------------------------------------------------------------------------------
void check_open_ended(check_context& c) {
  for (std::size_t i = 0; i < c.tasks.size(); ++i) {
    const auto& t = c.tasks[i];
    if (!t.time || !t.time->open_ended || !c.succ[i].empty()) continue;
    c.emit(finding_kind::open_ended, severity::warning, {i}, t.time->start, t.time->end, {},
           "Công việc " + c.name(i) + " (" + t.time_text +
               ") không có ngày kết thúc và không có việc nào khép lại",
           "Task " + c.name(i) + " (" + t.time_text + ") has no end and nothing closes it");
  }
}

// Day-precise times only: coarse or approximate ones are not known to the day.
bool day_precise(const plan_task& t) {
  return t.time && t.time->granularity == time_granularity::day && !t.time->approximate;
}

// --- day_off: every day of an event, and a deadline's day --------------------------------------
void check_day_off(check_context& c) {
  const auto& names = c.holidays();
  for (std::size_t i = 0; i < c.tasks.size(); ++i) {
    const auto& t = c.tasks[i];
    if (!day_precise(t) || t.kind == task_kind::task) continue;
    const auto& tm = *t.time;
    std::optional<bg::date> first, last;
    if (t.kind == task_kind::event) {
      first = tm.start ? tm.start : tm.end;
      last = tm.end && tm.start ? tm.end : first;
    } else {
      first = last = tm.end ? tm.end : tm.start;
    }
    if (!first) continue;
    std::vector<std::string> off_vi, off_en;
    bool holiday = false;
    std::size_t days = 0, off_days = 0;
    for (bg::date d = *first; d <= *last; d += bg::days(1)) {
      ++days;
      if (c.cal.is_working_day(d)) continue;
      ++off_days;
      const auto h = names.vi.find(d.day_number());
      if (h != names.vi.end() && c.cal.is_holiday(d)) {
        holiday = true;
        off_vi.push_back(fmt_day_vi(d) + " (" + h->second + ")");
        off_en.push_back(fmt_day_en(d) + " (" + names.en.at(d.day_number()) + ")");
      } else {
        off_vi.push_back(fmt_day_vi(d));
        off_en.push_back(fmt_day_en(d));
      }
    }
    if (off_days == 0) continue;
    const auto [note_vi, note_en] = c.kind_note(i);
    const bool event = t.kind == task_kind::event;
    const std::string what_vi = event ? "Sự kiện " : "Hạn ";
    const std::string what_en = event ? "Event " : "Deadline ";
    const std::string where_vi =
        holiday ? "ngày nghỉ lễ" : (off_days == days ? "ngày nghỉ cuối tuần" : "ngày nghỉ");
    const std::string where_en =
        holiday ? "a public holiday" : (off_days == days ? "a weekend" : "a day off");
    std::string vi, en;
    if (days == 1) {
      vi = what_vi + c.name(i) + " rơi vào " + where_vi + ": " + join_list(off_vi, ", ");
      en = what_en + c.name(i) + " falls on " + where_en + ": " + join_list(off_en, ", ");
    } else {
      vi = what_vi + c.name(i) + " (" + fmt_range(first, last) + ") có " +
           std::to_string(off_days) + "/" + std::to_string(days) +
           " ngày là ngày nghỉ: " + join_list(off_vi, ", ");
      en = what_en + c.name(i) + " (" + fmt_range_en(first, last) + ") has " +
           std::to_string(off_days) + " of its " + std::to_string(days) +
           " days off work: " + join_list(off_en, ", ");
    }
    c.emit(finding_kind::day_off, holiday ? severity::error : severity::warning, {i}, first, last,
           {}, vi + note_vi, en + note_en);
  }
}

// --- non_working_day: a task (work) starting or ending on a day off ----------------------------
void check_non_working_day(check_context& c) {
  if (!c.options.info) return;
  for (std::size_t i = 0; i < c.tasks.size(); ++i) {
    const auto& t = c.tasks[i];
    if (!day_precise(t) || t.kind != task_kind::task) continue;
    const auto& tm = *t.time;
    std::vector<std::string> bad_vi, bad_en;
    if (tm.start && !c.cal.is_working_day(*tm.start)) {
      bad_vi.push_back("bắt đầu " + fmt_day_vi(*tm.start));
      bad_en.push_back("starts on " + fmt_day_en(*tm.start));
    }
    if (tm.end && (!tm.start || *tm.end != *tm.start) && !c.cal.is_working_day(*tm.end)) {
      bad_vi.push_back("kết thúc " + fmt_day_vi(*tm.end));
      bad_en.push_back("ends on " + fmt_day_en(*tm.end));
    }
    if (bad_vi.empty()) continue;
    c.emit(finding_kind::non_working_day, severity::info, {i}, tm.start, tm.end, {},
           "Công việc " + c.name(i) + " " + join_list(bad_vi, " và ") + " (ngày nghỉ)",
           "Task " + c.name(i) + " " + join_list(bad_en, " and ") + " (a non-working day)");
  }
}

// --- spans_holiday: a task (work) over several days that holidays interrupt --------------------
void check_spans_holiday(check_context& c) {
  if (!c.options.info) return;
  const auto& names = c.holidays();
  for (std::size_t i = 0; i < c.tasks.size(); ++i) {
    const auto& t = c.tasks[i];
    if (!day_precise(t) || t.kind != task_kind::task) continue;
    const auto& tm = *t.time;
    if (!tm.bounded() || *tm.end <= *tm.start) continue;
    auto it = names.vi.lower_bound(tm.start->day_number());
    const auto stop = names.vi.upper_bound(tm.end->day_number());
    // Consecutive days of one holiday as one range: "25/01/2025 - 02/02/2025 Tết Nguyên Đán".
    std::vector<std::string> hv, he;
    std::int64_t run_first = -1, run_last = -1;
    const std::string* run_name = nullptr;
    auto close_run = [&] {
      if (run_name == nullptr) return;
      const auto a = from_day_number(run_first);
      const auto b = from_day_number(run_last);
      const std::string when = run_first == run_last ? fmt_date(a) : fmt_range(a, b);
      hv.push_back(when + " " + *run_name);
      he.push_back(when + " " + names.en.at(run_first));
      run_name = nullptr;
    };
    for (; it != stop; ++it) {
      const auto d = from_day_number(it->first);
      if (!c.cal.is_holiday(d)) continue;
      if (run_name != nullptr && it->first == run_last + 1 && *run_name == it->second) {
        run_last = it->first;
        continue;
      }
      close_run();
      run_first = run_last = it->first;
      run_name = &it->second;
    }
    close_run();
    if (hv.empty()) continue;
    c.emit(finding_kind::spans_holiday, severity::info, {i}, tm.start, tm.end, {},
           "Công việc " + c.name(i) + " kéo dài qua ngày nghỉ lễ: " + join_list(hv, "; "),
           "Task " + c.name(i) + " spans public holidays: " + join_list(he, "; "));
  }
}

using check_fn = void (*)(check_context&);

// The registry, in the order the checks run (the output is sorted afterwards, so the order
// only matters for readability).
constexpr std::pair<std::string_view, check_fn> checks[] = {
    {"invalid_time", check_invalid_time},
    {"no_lead", check_no_lead},
    {"unclear_assignees", check_unclear_assignees},
    {"unknown_dependency", check_unknown_dependency},
    {"dependency_cycle", check_dependency_cycle},
    {"tentative_dependency", check_tentative_dependency},
    {"dependency_order", check_dependency_order},
    {"overload/resource_conflict/coarse_overlap", check_overloads},
    {"duplicate_task", check_duplicates},
    {"outside_window", check_outside_window},
    {"open_ended", check_open_ended},
    {"day_off", check_day_off},
    {"non_working_day", check_non_working_day},
    {"spans_holiday", check_spans_holiday},
};

}  // namespace

std::vector<finding> plan::check(const check_options& options, const calendar& cal) const {
  if (!(options.capacity >= 0)) throw spec_error("capacity must be >= 0");
  if (!(options.support_weight >= 0 && options.support_weight <= 1)) {
    throw spec_error("support_weight must be in [0, 1]");
  }
  for (const auto& [u, c] : options.unit_capacity) {
    if (!(c >= 0)) throw spec_error("capacity of unit \"" + u + "\" must be >= 0");
  }
  check_context ctx(*this, options, cal);
  for (const auto& [check_name, run] : checks) run(ctx);
  auto& out = ctx.out;
  std::sort(out.begin(), out.end(), [](const keyed_finding& a, const keyed_finding& b) {
    auto day = [](const finding& f) {
      return f.first ? static_cast<std::int64_t>(f.first->day_number()) : std::int64_t{-1};
    };
    const auto ka =
        std::tuple(static_cast<int>(a.f.level), day(a.f), static_cast<int>(a.f.kind), a.first_task);
    const auto kb =
        std::tuple(static_cast<int>(b.f.level), day(b.f), static_cast<int>(b.f.kind), b.first_task);
    if (ka != kb) return ka < kb;
    if (a.f.subject != b.f.subject) return a.f.subject < b.f.subject;
    return a.f.tasks < b.f.tasks;
  });
  std::vector<finding> result;
  result.reserve(out.size());
  for (auto& k : out) result.push_back(std::move(k.f));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

namespace {

std::string ical_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Appends one content line, folded at 75 octets (never inside a UTF-8 sequence), CRLF ended.
void ical_line(std::string& out, std::string_view line) {
  std::size_t limit = 75;
  while (line.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    out.append(line.substr(0, cut));
    out += "\r\n ";
    line.remove_prefix(cut);
    limit = 74;  // the leading space of a continuation line counts
  }
  out.append(line);
  out += "\r\n";
}

std::string ical_date(const bg::date& d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", static_cast<int>(d.year()),
                static_cast<int>(d.month()), static_cast<int>(d.day()));
  return buf;
}

std::string utc_now_stamp() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += sep;
    s += x;
  }
  return s;
}

// A UID's local part: ASCII letters, digits, '-', '.', '_' kept, others as %XX.
std::string uid_part(std::string_view id) {
  std::string out;
  for (unsigned char c : id) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::string plan::to_ical(const ical_options& options) const {
  const std::string stamp = options.dtstamp.empty() ? utc_now_stamp() : options.dtstamp;
  std::string out;
  ical_line(out, "BEGIN:VCALENDAR");
  ical_line(out, "VERSION:2.0");
  ical_line(out, "PRODID:" + options.prodid);
  ical_line(out, "CALSCALE:GREGORIAN");
  if (!options.name.empty()) ical_line(out, "X-WR-CALNAME:" + ical_escape(options.name));
  for (const auto& t : tasks_) {
    if (!t.time) continue;
    const auto& tm = *t.time;
    std::optional<bg::date> first = tm.start ? tm.start : tm.end;
    std::optional<bg::date> last = tm.end && tm.start ? tm.end : first;
    if (!first || !last) continue;
    ical_line(out, "BEGIN:VEVENT");
    ical_line(out, "UID:" + uid_part(t.id) + "@" + options.uid_domain);
    ical_line(out, "DTSTAMP:" + stamp);
    ical_line(out, "DTSTART;VALUE=DATE:" + ical_date(*first));
    ical_line(out, "DTEND;VALUE=DATE:" + ical_date(*last + bg::days(1)));
    std::string summary = t.title.empty() ? t.id : t.title;
    if (t.kind == task_kind::deadline) summary = "Hạn: " + summary;
    ical_line(out, "SUMMARY:" + ical_escape(summary));
    std::string desc = "TT " + t.id + "\nThời gian: " + t.time_text;
    if (!t.leads.empty()) desc += "\nChủ trì: " + join(t.leads, "; ");
    if (!t.supports.empty()) desc += "\nPhối hợp: " + join(t.supports, "; ");
    if (!t.resources.empty()) desc += "\nNguồn lực: " + join(t.resources, "; ");
    ical_line(out, "DESCRIPTION:" + ical_escape(desc));
    ical_line(out, "CATEGORIES:" + std::string(to_string(t.kind)));
    if (tm.tentative) ical_line(out, "STATUS:TENTATIVE");
    ical_line(out, "TRANSP:TRANSPARENT");
    ical_line(out, "END:VEVENT");
  }
  ical_line(out, "END:VCALENDAR");
  return out;
}

std::string findings_table(const std::vector<finding>& findings, std::string_view lang) {
  if (lang != "vi" && lang != "en") throw spec_error("lang must be \"vi\" or \"en\"");
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"severity", "kind", "dates", "tasks", "subject", "message"});
  for (const auto& f : findings) {
    rows.push_back({std::string(to_string(f.level)), std::string(to_string(f.kind)),
                    f.first || f.last ? fmt_range_en(f.first, f.last) : "", quoted_list(f.tasks, 6),
                    f.subject, lang == "vi" ? f.message_vi : f.message_en});
  }
  std::array<std::size_t, 6> width{};
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < 5; ++c) {
      width[c] = std::max(width[c], detail::count_code_points(r[c]));
    }
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < 6; ++c) {
      line += r[c];
      if (c < 5) line += std::string(width[c] - detail::count_code_points(r[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

std::string findings_csv(const std::vector<finding>& findings) {
  auto q = [](std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string o = "\"";
    for (char c : s) {
      if (c == '"') o += '"';
      o += c;
    }
    return o + "\"";
  };
  std::string out = "severity,kind,first,last,tasks,subject,load,message_vi,message_en,file,line\n";
  for (const auto& f : findings) {
    out += std::string(to_string(f.level)) + ',' + std::string(to_string(f.kind)) + ',' +
           (f.first ? iso_date(*f.first) : "") + ',' + (f.last ? iso_date(*f.last) : "") + ',' +
           q(join(f.tasks, ";")) + ',' + q(f.subject) + ',' +
           (f.load != 0 ? fmt_load(to_thousandths(f.load)) : "") + ',' + q(f.message_vi) + ',' +
           q(f.message_en) + ',' + q(f.where.file) + ',' +
           (f.where.line ? std::to_string(f.where.line) : "") + '\n';
  }
  return out;
}

}  // namespace khuyenhoc
