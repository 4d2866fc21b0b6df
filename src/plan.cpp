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

// `word` occurs in `text` with no letter right before or after it.
bool has_word(std::string_view text, std::string_view word) {
  std::size_t pos = 0;
  while ((pos = text.find(word, pos)) != std::string_view::npos) {
    const bool left = pos == 0 || !is_word_byte(static_cast<unsigned char>(text[pos - 1]));
    const std::size_t e = pos + word.size();
    const bool right = e >= text.size() || !is_word_byte(static_cast<unsigned char>(text[e]));
    if (left && right) return true;
    ++pos;
  }
  return false;
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

task_kind infer_task_kind(std::string_view title, const time_expr* time) noexcept {
  try {
    if (time != nullptr && time->deadline) return task_kind::deadline;
    const bool single_day = time != nullptr && time->bounded() && *time->start == *time->end &&
                            time->granularity == time_granularity::day;
    const bool ascii = detail::is_ascii(title);
    const std::string low = ascii ? detail::fold_for_matching(title) : lower_utf8(title);
    const std::string t = collapse_spaces(low);
    struct word_pair {
      std::string_view vi;
      std::string_view folded;
    };
    static constexpr word_pair deadline_words[] = {
        {"hạn", "han"},
        {"hạn chót", "han chot"},
        {"thời hạn", "thoi han"},
        {"chậm nhất", "cham nhat"},
        {"trước ngày", "truoc ngay"},
    };
    for (const auto& w : deadline_words) {
      if (has_word(t, ascii ? w.folded : w.vi)) return task_kind::deadline;
    }
    if (single_day && (starts_with_word(t, ascii ? "nop" : "nộp") ||
                       starts_with_word(t, ascii ? "gui" : "gửi"))) {
      return task_kind::deadline;
    }
    static constexpr word_pair event_words[] = {
        {"họp", "hop"},           {"lễ", "le"},
        {"hội nghị", "hoi nghi"}, {"hội thảo", "hoi thao"},
        {"tọa đàm", "toa dam"},   {"toạ đàm", "toa dam"},
        {"mít tinh", "mit tinh"}, {"khai mạc", "khai mac"},
        {"bế mạc", "be mac"},     {"gặp mặt", "gap mat"},
        {"giao lưu", "giao luu"},
    };
    for (const auto& w : event_words) {
      const std::string_view word = ascii ? w.folded : w.vi;
      if (!has_word(t, word)) continue;
      // Folded text cannot tell "họp" (meet) from "hợp" in "phối hợp" (support).
      if (ascii && word == "hop" && t.find("phoi hop") != std::string::npos &&
          !starts_with_word(t, "hop")) {
        continue;
      }
      return task_kind::event;
    }
  } catch (...) {  // allocation failure: the default kind is a safe answer
  }
  return task_kind::task;
}

assignees split_assignees(std::string_view cell) {
  assignees out;
  // Split into items on ';', ',', line breaks and "<br>".
  std::vector<std::string> items;
  std::string cur;
  auto flush = [&] {
    items.push_back(cur);
    cur.clear();
  };
  for (std::size_t i = 0; i < cell.size(); ++i) {
    const char c = cell[i];
    if (c == ';' || c == ',' || c == '\n' || c == '\r') {
      flush();
    } else if (c == '<' && (cell.substr(i, 4) == "<br>" || cell.substr(i, 5) == "<br/>" ||
                            cell.substr(i, 6) == "<br />")) {
      flush();
      i = cell.find('>', i);
    } else {
      cur += c;
    }
  }
  flush();
  bool after_support_label = false;
  for (auto& raw : items) {
    std::string item = collapse_spaces(raw);
    // Leading dashes and bullets.
    while (!item.empty()) {
      if (item[0] == '-' || item[0] == '*' || item[0] == '+') {
        item.erase(0, 1);
      } else if (item.starts_with("\xE2\x80\x93") || item.starts_with("\xE2\x80\x94") ||
                 item.starts_with("\xE2\x80\xA2")) {  // – — •
        item.erase(0, 3);
      } else {
        break;
      }
      item = collapse_spaces(item);
    }
    if (item.empty()) continue;
    const std::string folded = detail::fold_for_matching(item);
    // "Phối hợp: A" (label) — the rest of the cell supports. Also "Chủ trì: A" leads.
    const auto colon = item.find(':');
    if (colon != std::string::npos) {
      const std::string label = collapse_spaces(detail::fold_for_matching(item.substr(0, colon)));
      if (label == "phoi hop" || label == "don vi phoi hop" || label == "ho tro") {
        after_support_label = true;
        item = collapse_spaces(item.substr(colon + 1));
        if (item.empty()) continue;
      } else if (label == "chu tri" || label == "don vi chu tri" || label == "thuc hien") {
        after_support_label = false;
        item = collapse_spaces(item.substr(colon + 1));
        if (item.empty()) continue;
      }
    }
    // "A phối hợp" / "A (phối hợp)" — a supporting unit.
    const std::string f = collapse_spaces(detail::fold_for_matching(item));
    bool support = after_support_label;
    for (std::string_view suffix : {"(phoi hop)", "phoi hop", "(ph)"}) {
      if (f.size() > suffix.size() && f.ends_with(suffix)) {
        // Fold keeps one byte per ASCII char but not per Vietnamese char: cut by words.
        const std::size_t words_suffix =
            static_cast<std::size_t>(std::count(suffix.begin(), suffix.end(), ' ')) + 1;
        std::size_t cut = item.size();
        for (std::size_t w = 0; w < words_suffix; ++w) {
          const auto sp = item.rfind(' ', cut - 1);
          if (sp == std::string::npos) {
            cut = 0;
            break;
          }
          cut = sp;
        }
        item = collapse_spaces(item.substr(0, cut));
        support = true;
        break;
      }
    }
    if (f.starts_with("phoi hop ") && !support) {
      // "phối hợp với X" → X supports.
      auto rest = item.substr(item.find(' ', item.find(' ') + 1) + 1);
      if (detail::fold_for_matching(rest).starts_with("voi "))
        rest = rest.substr(rest.find(' ') + 1);
      item = collapse_spaces(rest);
      support = true;
    }
    (void)folded;
    if (item.empty()) continue;
    (support ? out.supports : out.leads).push_back(item);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// plan
// ---------------------------------------------------------------------------------------------

std::string plan::intern_unit(std::string_view name) {
  std::string n = normalise_name(name);
  std::string key = unit_key(n);
  auto [it, inserted] = unit_keys_.try_emplace(std::move(key), unit_names_.size());
  if (inserted) unit_names_.push_back(n);
  return unit_names_[it->second];
}

std::string plan::unit_name(std::string_view name) const {
  std::string n = normalise_name(name);
  const auto it = unit_keys_.find(unit_key(n));
  return it == unit_keys_.end() ? n : unit_names_[it->second];
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
  for (auto& r : task.resources) r = normalise_name(r);
  dedupe(task.resources);
  for (auto& d : task.depends_on) d.task = collapse_spaces(d.task);
  if (task.kind_inferred) {
    task.kind = infer_task_kind(task.title, task.time ? &*task.time : nullptr);
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

}  // namespace

std::vector<finding> plan::check(const check_options& options, const calendar& cal) const {
  if (!(options.capacity >= 0)) throw spec_error("capacity must be >= 0");
  if (!(options.support_weight >= 0 && options.support_weight <= 1)) {
    throw spec_error("support_weight must be in [0, 1]");
  }
  for (const auto& [u, c] : options.unit_capacity) {
    if (!(c >= 0)) throw spec_error("capacity of unit \"" + u + "\" must be >= 0");
  }
  const std::size_t n = tasks_.size();
  std::vector<keyed_finding> out;
  auto emit = [&](finding_kind kind, severity level, std::vector<std::size_t> idx,
                  std::optional<bg::date> first, std::optional<bg::date> last, std::string subject,
                  std::string vi, std::string en, std::int64_t load = 0,
                  std::vector<std::string>* ids = nullptr) {  // ids: of idx, sorted, if known
    keyed_finding kf;
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    kf.first_task = idx.empty() ? 0 : idx.front();
    kf.f.kind = kind;
    kf.f.level = level;
    kf.f.tasks = ids ? std::move(*ids) : ids_of(tasks_, idx);
    kf.f.first = first;
    kf.f.last = last;
    kf.f.subject = std::move(subject);
    kf.f.load = static_cast<double>(load) / 1000.0;
    kf.f.message_vi = std::move(vi);
    kf.f.message_en = std::move(en);
    if (!idx.empty()) kf.f.where = tasks_[idx.front()].where;
    out.push_back(std::move(kf));
  };
  auto name = [&](std::size_t i) { return "\"" + tasks_[i].id + "\""; };

  // --- Invalid times ------------------------------------------------------------------------
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = tasks_[i];
    if (t.time) continue;
    const std::string why = t.time_error.empty() ? "no time given" : t.time_error;
    emit(finding_kind::invalid_time, severity::error, {i}, std::nullopt, std::nullopt, {},
         "Công việc " + name(i) + ": thời gian \"" + t.time_text + "\" không hợp lệ (" + why + ")",
         "Task " + name(i) + ": invalid time \"" + t.time_text + "\" (" + why + ")");
  }

  // --- Dependencies: unknown ids, cycles, order, tentative ---------------------------------
  std::vector<std::vector<std::uint32_t>> succ(n);
  struct edge {
    std::size_t pred, succ;
    int lag;
  };
  std::vector<edge> edges;
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& d : tasks_[i].depends_on) {
      const auto p = find(d.task);
      if (!p) {
        emit(finding_kind::unknown_dependency, severity::error, {i}, std::nullopt, std::nullopt,
             d.task,
             "Công việc " + name(i) + " phụ thuộc vào \"" + d.task + "\" không có trong kế hoạch",
             "Task " + name(i) + " depends on \"" + d.task + "\", which is not in the plan");
        continue;
      }
      succ[*p].push_back(static_cast<std::uint32_t>(i));
      edges.push_back({*p, i, d.lag_days});
    }
  }
  // Tarjan's strongly connected components, iteratively.
  std::vector<std::int64_t> comp(n, -1);
  {
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
            const auto ids = ids_of(tasks_, members);
            emit(finding_kind::dependency_cycle, severity::error, members, std::nullopt,
                 std::nullopt, {},
                 "Vòng phụ thuộc: các công việc " + quoted_list(ids) + " chờ lẫn nhau",
                 "Dependency cycle: tasks " + quoted_list(ids) + " wait for each other");
          }
          ++ncomp;
        }
        const auto done = v;
        call.pop_back();
        if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
      }
    }
  }
  for (const auto& e : edges) {
    const auto& p = tasks_[e.pred];
    const auto& s = tasks_[e.succ];
    if (!p.time || !s.time) continue;
    if (p.time->tentative) {
      emit(finding_kind::tentative_dependency, severity::warning, {e.pred, e.succ}, p.time->start,
           p.time->end, {},
           "Công việc " + name(e.succ) + " dựa vào thời gian dự kiến của " + name(e.pred) + " (" +
               p.time_text + ")",
           "Task " + name(e.succ) + " relies on the tentative date of " + name(e.pred) + " (" +
               p.time_text + ")");
    }
    if (comp[e.pred] >= 0 && comp[e.pred] == comp[e.succ]) continue;  // reported as a cycle
    if (!p.time->end || !s.time->start) continue;
    const bg::date earliest = *p.time->end + bg::days(1 + e.lag);
    if (*s.time->start >= earliest) continue;
    const bool precise = p.time->granularity == time_granularity::day &&
                         s.time->granularity == time_granularity::day && !p.time->approximate &&
                         !s.time->approximate;
    const std::string lag_vi = e.lag ? " (cộng " + std::to_string(e.lag) + " ngày)" : "";
    const std::string lag_en = e.lag ? " (plus " + std::to_string(e.lag) + " days)" : "";
    emit(finding_kind::dependency_order, precise ? severity::error : severity::warning,
         {e.pred, e.succ}, s.time->start, p.time->end, {},
         std::string(precise ? "" : "Có thể sai thứ tự: ") + "Công việc " + name(e.succ) +
             " bắt đầu " + fmt_date(*s.time->start) + " trước khi " + name(e.pred) + " kết thúc " +
             fmt_date(*p.time->end) + lag_vi,
         std::string(precise ? "" : "Possibly out of order: ") + "Task " + name(e.succ) +
             " starts " + fmt_date(*s.time->start) + " before " + name(e.pred) + " ends " +
             fmt_date(*p.time->end) + lag_en);
  }

  // --- Overload and resources: sweep-lines ----------------------------------------------------
  {
    // Names are looked up as views into the tasks (which outlive this scope): no copies.
    std::unordered_map<std::string_view, std::uint32_t> unit_group, resource_group;
    unit_group.reserve(unit_names_.size());
    std::vector<std::string_view> group_name;
    std::vector<bool> group_is_resource;
    std::vector<std::int64_t> cap;
    const std::int64_t default_cap = to_thousandths(options.capacity);
    std::unordered_map<std::string, std::int64_t> unit_cap;
    for (const auto& [u, c] : options.unit_capacity) unit_cap[unit_name(u)] = to_thousandths(c);
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
    const std::int64_t support_w = to_thousandths(options.support_weight);
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
        for (auto sc : succ[i]) {
          const auto& st = tasks_[sc].time;
          if (st && st->start) {
            const std::int64_t d = st->start->day_number();
            if (d > s && (close < 0 || d < close)) close = d;
          }
        }
        if (close < 0 && options.window && options.window->end().day_number() > s) {
          close = options.window->end().day_number();
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
        emit(finding_kind::coarse_overlap, severity::warning, std::move(idx), first, last, g,
             std::string(resource ? "Có thể trùng lịch " : "Có thể quá tải ") + g + " " + when +
                 " (tải " + load + " > " + capacity +
                 ") chỉ vì thời gian theo tháng/quý hoặc không có ngày kết thúc: " + list,
             std::string(resource ? "Possible double booking of " : "Possible overload of ") + g +
                 " " + when + " (load " + load + " > " + capacity +
                 ") only through a month/quarter or open-ended range: " + list,
             r.peak, &ids);
      } else if (resource) {
        emit(finding_kind::resource_conflict, severity::error, std::move(idx), first, last, g,
             "Trùng lịch " + g + " " + when + ": " + list,
             "Double booking of " + g + " " + when + ": " + list, r.peak, &ids);
      } else {
        emit(finding_kind::overload, severity::error, std::move(idx), first, last, g,
             "Quá tải " + g + " " + when + ": tải " + load + " > năng lực " + capacity + " (" +
                 list + ")",
             "Overload of " + g + " " + when + ": load " + load + " > capacity " + capacity + " (" +
                 list + ")",
             r.peak, &ids);
      }
    }
  }

  // --- Duplicates ---------------------------------------------------------------------------
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
      emit(finding_kind::duplicate_task, severity::warning, std::move(idx),
           t.time ? t.time->start : std::nullopt, t.time ? t.time->end : std::nullopt, {},
           "Công việc trùng lặp (cùng nội dung, thời gian, đơn vị): " + quoted_list(ids),
           "Duplicate tasks (same title, time and units): " + quoted_list(ids));
    }
  }

  // --- Per task: window, days off, open ends, info ------------------------------------------
  std::set<int> years;
  for (const auto& t : tasks_) {
    if (!t.time || t.time->granularity != time_granularity::day) continue;
    if (t.time->start) years.insert(t.time->start->year());
    if (t.time->end) years.insert(t.time->end->year());
  }
  std::map<std::int64_t, std::string> holiday_names;  // day number → names
  std::map<std::int64_t, std::string> holiday_names_en;
  for (int y : years) {
    for (const auto& h : cal.holidays(y)) {
      auto& vi = holiday_names[h.date.day_number()];
      if (!vi.empty()) vi += ", ";
      vi += h.name_vi;
      auto& en = holiday_names_en[h.date.day_number()];
      if (!en.empty()) en += ", ";
      en += h.name_en.empty() ? h.name_vi : h.name_en;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = tasks_[i];
    if (!t.time) continue;
    const auto& tm = *t.time;
    if (options.window) {
      const auto& w = *options.window;
      const auto p = tm.period();
      if (!w.contains(p)) {
        const bool disjoint = !w.intersects(p);
        const std::string ww = fmt_range(w.begin(), w.last());
        emit(finding_kind::outside_window, severity::warning, {i}, tm.start, tm.end, {},
             "Công việc " + name(i) + " (" + t.time_text + ") " +
                 (disjoint ? "nằm ngoài" : "vượt ra ngoài") + " thời gian đợt " + ww,
             "Task " + name(i) + " (" + t.time_text + ") is " +
                 (disjoint ? "outside" : "partly outside") + " the campaign window " +
                 fmt_range_en(w.begin(), w.last()));
      }
    }
    if (tm.open_ended && succ[i].empty()) {
      emit(finding_kind::open_ended, severity::warning, {i}, tm.start, tm.end, {},
           "Công việc " + name(i) + " (" + t.time_text +
               ") không có ngày kết thúc và không có việc nào khép lại",
           "Task " + name(i) + " (" + t.time_text + ") has no end and nothing closes it");
    }
    if (tm.granularity != time_granularity::day || tm.approximate) continue;
    if (t.kind == task_kind::event || t.kind == task_kind::deadline) {
      const auto day = t.kind == task_kind::event ? (tm.start ? tm.start : tm.end)
                                                  : (tm.end ? tm.end : tm.start);
      if (!day) continue;
      const auto h = holiday_names.find(day->day_number());
      const bool working = cal.is_working_day(*day);
      const std::string what_vi = t.kind == task_kind::event ? "Sự kiện " : "Hạn ";
      const std::string what_en = t.kind == task_kind::event ? "Event " : "Deadline ";
      if (h != holiday_names.end() && !working) {
        emit(finding_kind::day_off, severity::error, {i}, day, day, {},
             what_vi + name(i) + " rơi vào ngày nghỉ lễ " + fmt_date(*day) + " (" + h->second + ")",
             what_en + name(i) + " falls on a public holiday, " + fmt_date(*day) + " (" +
                 holiday_names_en[day->day_number()] + ")");
      } else if (!working) {
        emit(finding_kind::day_off, severity::warning, {i}, day, day, {},
             what_vi + name(i) + " rơi vào ngày nghỉ cuối tuần " + fmt_date(*day),
             what_en + name(i) + " falls on a weekend, " + fmt_date(*day));
      }
      continue;
    }
    if (!options.info) continue;
    std::vector<std::string> bad_vi, bad_en;
    if (tm.start && !cal.is_working_day(*tm.start)) {
      bad_vi.push_back("bắt đầu " + fmt_date(*tm.start));
      bad_en.push_back("starts " + fmt_date(*tm.start));
    }
    if (tm.end && (!tm.start || *tm.end != *tm.start) && !cal.is_working_day(*tm.end)) {
      bad_vi.push_back("kết thúc " + fmt_date(*tm.end));
      bad_en.push_back("ends " + fmt_date(*tm.end));
    }
    if (!bad_vi.empty()) {
      std::string vi = bad_vi[0], en = bad_en[0];
      if (bad_vi.size() > 1) {
        vi += " và " + bad_vi[1];
        en += " and " + bad_en[1];
      }
      emit(finding_kind::non_working_day, severity::info, {i}, tm.start, tm.end, {},
           "Công việc " + name(i) + " " + vi + " (ngày nghỉ)",
           "Task " + name(i) + " " + en + " (non-working day)");
    }
    if (tm.bounded() && *tm.end > *tm.start) {
      auto it = holiday_names.lower_bound(tm.start->day_number());
      const auto stop = holiday_names.upper_bound(tm.end->day_number());
      std::vector<std::string> hv, he;
      for (; it != stop; ++it) {
        const auto d = from_day_number(it->first);
        hv.push_back(fmt_date(d) + " " + it->second);
        he.push_back(fmt_date(d) + " " + holiday_names_en[it->first]);
      }
      if (!hv.empty()) {
        auto join = [](const std::vector<std::string>& v) {
          std::string s;
          for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
          return s;
        };
        emit(finding_kind::spans_holiday, severity::info, {i}, tm.start, tm.end, {},
             "Công việc " + name(i) + " kéo dài qua ngày nghỉ lễ: " + join(hv),
             "Task " + name(i) + " spans public holidays: " + join(he));
      }
    }
  }

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
