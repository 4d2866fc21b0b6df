// The plan model: kinds, tasks and their units, and the outputs (iCalendar, findings as text).
// Assignee cells and aliases are in plan_assignees.cpp, the checker in plan_check.cpp (see
// include/khuyenhoc/plan.hpp, docs/plans.md).
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

#include "plan_text.hpp"

namespace khuyenhoc {

namespace bg = boost::gregorian;
using namespace plan_text;

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
    if (cut == 0) cut = limit;  // not UTF-8 (a C++ caller's bytes): cut anyway, never loop
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
