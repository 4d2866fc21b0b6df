// plan::check: a registry of checks, one function per finding kind, over a shared context.
//
// Every check that compares tasks with each other runs as a sweep-line over sorted day events
// (overload, resource double booking; the kernel detail::sweep_overloads is in
// plan_overload.cpp, next to find_overloads) or over hash maps (duplicates, dependencies):
// nothing is pairwise, so a province's million tasks check in about a second.
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

}  // namespace khuyenhoc
