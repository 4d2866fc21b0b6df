// Overlap and overload detection on plain arrays (find_overloads in include/khuyenhoc/plan.hpp):
// one counting sort of the tasks by unit, then every unit's few tasks in cache.
#include <khuyenhoc/plan.hpp>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "khuyenhoc/detail/parallel.hpp"

namespace khuyenhoc {

namespace {

// One task, grouped by unit: days relative to the smallest start, weight in thousandths.
struct overload_record {
  std::uint32_t start;
  std::uint32_t past_end;
  std::int32_t weight;
  std::uint32_t task;
};

// Per-thread buffers, reused from unit to unit.
struct overload_scratch {
  std::vector<std::int64_t> diff;
  std::vector<std::uint32_t> over;  // over[d]: days over capacity before day d
  std::vector<std::pair<std::uint64_t, std::int64_t>> events;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> runs;
};

[[noreturn]] void bad_task(std::size_t i, const std::string& what) {
  throw data_error("find_overloads: task " + std::to_string(i) + ": " + what,
                   location{.row_id = std::to_string(i)});
}

// Marks the tasks of one unit (records r[0..k)) that meet a day whose load exceeds cap.
void solve_unit(const overload_record* r, std::size_t k, std::int64_t cap, std::uint8_t* out,
                overload_scratch& sc) {
  std::uint32_t lo = r[0].start, hi = r[0].past_end;
  std::int64_t total = 0;
  for (std::size_t j = 0; j < k; ++j) {
    lo = std::min(lo, r[j].start);
    hi = std::max(hi, r[j].past_end);
    total += r[j].weight;
  }
  if (total <= cap) {  // even all at once they fit
    for (std::size_t j = 0; j < k; ++j) out[r[j].task] = 0;
    return;
  }
  const std::size_t range = hi - lo;
  if (range <= 8 * k + 256) {
    // Dense: a difference array over the unit's days, loads by prefix sum, then a prefix count
    // of the days over capacity answers "does [s, e) meet one" in O(1).
    sc.diff.assign(range + 1, 0);
    for (std::size_t j = 0; j < k; ++j) {
      sc.diff[r[j].start - lo] += r[j].weight;
      sc.diff[r[j].past_end - lo] -= r[j].weight;
    }
    sc.over.resize(range + 1);
    std::int64_t load = 0;
    std::uint32_t c = 0;
    sc.over[0] = 0;
    for (std::size_t d = 0; d < range; ++d) {
      load += sc.diff[d];
      c += load > cap ? 1U : 0U;
      sc.over[d + 1] = c;
    }
    if (c == 0) {
      for (std::size_t j = 0; j < k; ++j) out[r[j].task] = 0;
      return;
    }
    for (std::size_t j = 0; j < k; ++j) {
      out[r[j].task] = sc.over[r[j].past_end - lo] != sc.over[r[j].start - lo] ? 1 : 0;
    }
    return;
  }
  // Sparse (long periods, few tasks): sort the 2k events by day, sweep for the runs of days
  // over capacity, then find for each task the first run ending after its start.
  sc.events.clear();
  for (std::size_t j = 0; j < k; ++j) {
    sc.events.emplace_back(std::uint64_t{r[j].start}, r[j].weight);
    sc.events.emplace_back(std::uint64_t{r[j].past_end}, -std::int64_t{r[j].weight});
  }
  std::sort(sc.events.begin(), sc.events.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  sc.runs.clear();
  std::int64_t load = 0;
  bool over = false;
  for (std::size_t j = 0; j < sc.events.size();) {
    const auto day = sc.events[j].first;
    for (; j < sc.events.size() && sc.events[j].first == day; ++j) load += sc.events[j].second;
    const bool now = load > cap;
    if (now && !over) sc.runs.emplace_back(static_cast<std::uint32_t>(day), 0);
    if (!now && over) sc.runs.back().second = static_cast<std::uint32_t>(day);
    over = now;
  }
  for (std::size_t j = 0; j < k; ++j) {
    const auto it =
        std::upper_bound(sc.runs.begin(), sc.runs.end(), r[j].start,
                         [](std::uint32_t s, const std::pair<std::uint32_t, std::uint32_t>& run) {
                           return s < run.second;
                         });
    out[r[j].task] = it != sc.runs.end() && it->first < r[j].past_end ? 1 : 0;
  }
}

template <class Unit>
void find_overloads_impl(std::span<const Unit> units, std::span<const std::int64_t> starts,
                         std::span<const std::int64_t> ends, std::span<const double> weights,
                         std::span<std::uint8_t> out, const overload_options& options) {
  const std::size_t n = units.size();
  if (starts.size() != n || ends.size() != n || out.size() != n ||
      (!weights.empty() && weights.size() != n)) {
    throw data_error(
        "find_overloads: units (" + std::to_string(n) + "), starts (" +
        std::to_string(starts.size()) + "), ends (" + std::to_string(ends.size()) + ")" +
        (weights.empty() ? "" : ", weights (" + std::to_string(weights.size()) + ")") +
        " and the output (" + std::to_string(out.size()) + ") must have the same length");
  }
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    throw data_error("find_overloads: at most 2^32 - 1 tasks, got " + std::to_string(n));
  }
  if (!std::isfinite(options.capacity) || options.capacity < 0) {
    throw spec_error("find_overloads: capacity must be finite and >= 0");
  }
  const auto cap = static_cast<std::int64_t>(std::llround(options.capacity * 1000.0));
  constexpr double max_weight =
      static_cast<double>(std::numeric_limits<std::int32_t>::max()) / 1000.0;

  // Pass 1: validate, the unit and day ranges; zero-length tasks are answered here.
  std::uint64_t max_unit = 0;
  std::int64_t min_day = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_day = std::numeric_limits<std::int64_t>::min();
  std::size_t active = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_signed_v<Unit>) {
      if (units[i] < 0) bad_task(i, "unit " + std::to_string(units[i]) + " is negative");
    }
    const auto s = starts[i], e = ends[i];
    if (e < s) {
      bad_task(i, "ends (" + std::to_string(e) + ") before it starts (" + std::to_string(s) + ")");
    }
    if (!weights.empty() && !(weights[i] >= 0 && weights[i] < max_weight)) {
      bad_task(i, "weight " + std::to_string(weights[i]) + " is not in [0, 2^31/1000)");
    }
    if (e == s) {
      out[i] = 0;
      continue;
    }
    max_unit = std::max(max_unit, static_cast<std::uint64_t>(units[i]));
    min_day = std::min(min_day, s);
    max_day = std::max(max_day, e);
    ++active;
  }
  if (active == 0) return;
  if (static_cast<std::uint64_t>(max_day) - static_cast<std::uint64_t>(min_day) >=
      (std::uint64_t{1} << 31)) {
    throw data_error("find_overloads: the days span 2^31 or more (from " + std::to_string(min_day) +
                     " to " + std::to_string(max_day) + ")");
  }

  // Unit codes: used as they are when dense enough, else renumbered through a sorted copy.
  std::vector<std::uint32_t> codes;
  std::size_t n_units = 0;
  auto code = [&](std::size_t i) -> std::uint32_t {
    return codes.empty() ? static_cast<std::uint32_t>(units[i]) : codes[i];
  };
  if (max_unit < 4 * n + 65'536) {
    n_units = static_cast<std::size_t>(max_unit) + 1;
  } else {
    std::vector<std::uint64_t> seen;
    seen.reserve(active);
    for (std::size_t i = 0; i < n; ++i) {
      if (ends[i] != starts[i]) seen.push_back(static_cast<std::uint64_t>(units[i]));
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    codes.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      codes[i] = static_cast<std::uint32_t>(
          std::lower_bound(seen.begin(), seen.end(), static_cast<std::uint64_t>(units[i])) -
          seen.begin());
    }
    n_units = seen.size();
  }

  // Counting sort by unit: one histogram, one scatter of compact records.
  std::vector<std::uint32_t> offset(n_units + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (ends[i] != starts[i]) ++offset[code(i) + 1];
  }
  for (std::size_t u = 0; u < n_units; ++u) offset[u + 1] += offset[u];
  std::vector<overload_record> rec(active);
  {
    std::vector<std::uint32_t> pos(offset.begin(), offset.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
      if (ends[i] == starts[i]) continue;
      const auto w =
          weights.empty() ? 1000 : static_cast<std::int32_t>(std::llround(weights[i] * 1000.0));
      rec[pos[code(i)]++] = {static_cast<std::uint32_t>(starts[i] - min_day),
                             static_cast<std::uint32_t>(ends[i] - min_day), w,
                             static_cast<std::uint32_t>(i)};
    }
  }

  // Every unit on its own, threads over disjoint ranges of units of about equal task counts.
  // Each task's answer is written at its own position: the result does not depend on threads.
  unsigned threads =
      options.threads != 0 ? options.threads : std::min(8U, std::thread::hardware_concurrency());
  threads = std::max(1U, std::min<unsigned>(threads, static_cast<unsigned>(active / 32'768 + 1)));
  auto work = [&](std::size_t u0, std::size_t u1) {
    overload_scratch sc;
    for (std::size_t u = u0; u < u1; ++u) {
      const std::size_t k = offset[u + 1] - offset[u];
      if (k != 0) solve_unit(rec.data() + offset[u], k, cap, out.data(), sc);
    }
  };
  if (threads == 1) {
    work(0, n_units);
    return;
  }
  std::vector<std::size_t> bounds{0};
  for (unsigned t = 1; t < threads; ++t) {
    const auto target = static_cast<std::uint32_t>(active * t / threads);
    const auto it = std::lower_bound(offset.begin(), offset.end(), target);
    bounds.push_back(
        std::max<std::size_t>(bounds.back(), static_cast<std::size_t>(it - offset.begin())));
  }
  bounds.push_back(n_units);
  detail::parallel_for(threads, threads, [&](std::size_t t) { work(bounds[t], bounds[t + 1]); });
}

// A task of plan::check's sweep, grouped: certain and possible weights in thousandths.
struct sweep_record {
  std::uint32_t start;
  std::uint32_t past_end;
  std::int32_t certain;
  std::int32_t possible;
  std::uint32_t task;
};

struct sweep_scratch {
  std::vector<std::int64_t> certain, possible;
  std::vector<std::pair<std::uint64_t, std::pair<std::int64_t, std::int64_t>>> events;
};

// The runs of one group (records r[0..k), days relative to min_day) appended to `runs`.
void sweep_group(const sweep_record* r, std::size_t k, std::uint32_t group, std::int64_t cap,
                 std::int64_t min_day, std::vector<detail::overload_run>& runs, sweep_scratch& sc) {
  std::uint32_t lo = r[0].start, hi = r[0].past_end;
  std::int64_t total_c = 0, total_p = 0;
  for (std::size_t j = 0; j < k; ++j) {
    lo = std::min(lo, r[j].start);
    hi = std::max(hi, r[j].past_end);
    total_c += r[j].certain;
    total_p += r[j].possible;
  }
  if (total_c <= cap && total_p <= cap) return;
  const std::size_t first_run = runs.size();
  detail::overload_run cur;
  int state = 0;  // 0: within capacity, 1: possibly over, 2: certainly over
  // Called with the loads from `day` on (until the next call): opens and closes runs.
  auto at = [&](std::uint32_t day, std::int64_t certain, std::int64_t possible) {
    const int next = certain > cap ? 2 : (possible > cap ? 1 : 0);
    if (next != state) {
      if (state != 0) {
        cur.past_end = min_day + day;
        runs.push_back(std::move(cur));
      }
      state = next;
      if (state != 0) cur = detail::overload_run{group, min_day + day, 0, state == 2, 0, {}};
    }
    if (state != 0) cur.peak = std::max(cur.peak, state == 2 ? certain : possible);
  };
  const std::size_t range = hi - lo;
  if (range <= 8 * k + 256) {
    sc.certain.assign(range + 1, 0);
    sc.possible.assign(range + 1, 0);
    for (std::size_t j = 0; j < k; ++j) {
      sc.certain[r[j].start - lo] += r[j].certain;
      sc.certain[r[j].past_end - lo] -= r[j].certain;
      sc.possible[r[j].start - lo] += r[j].possible;
      sc.possible[r[j].past_end - lo] -= r[j].possible;
    }
    std::int64_t c = 0, p = 0;
    for (std::size_t d = 0; d <= range; ++d) {
      c += sc.certain[d];
      p += sc.possible[d];
      at(lo + static_cast<std::uint32_t>(d), c, p);
    }
  } else {
    sc.events.clear();
    for (std::size_t j = 0; j < k; ++j) {
      sc.events.push_back({r[j].start, {r[j].certain, r[j].possible}});
      sc.events.push_back(
          {r[j].past_end, {-std::int64_t{r[j].certain}, -std::int64_t{r[j].possible}}});
    }
    std::sort(sc.events.begin(), sc.events.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::int64_t c = 0, p = 0;
    for (std::size_t j = 0; j < sc.events.size();) {
      const auto day = sc.events[j].first;
      for (; j < sc.events.size() && sc.events[j].first == day; ++j) {
        c += sc.events[j].second.first;
        p += sc.events[j].second.second;
      }
      at(static_cast<std::uint32_t>(day), c, p);
    }
  }
  // Every interval has ended at `hi`: the state is 0 and the last run is closed.
  if (runs.size() == first_run) return;
  // The tasks of each run: those whose interval meets it (runs are disjoint and sorted).
  const auto b = runs.begin() + static_cast<std::ptrdiff_t>(first_run);
  for (std::size_t j = 0; j < k; ++j) {
    const std::int64_t s = min_day + r[j].start, e = min_day + r[j].past_end;
    auto it = std::upper_bound(b, runs.end(), s,
                               [](std::int64_t x, const auto& run) { return x < run.past_end; });
    for (; it != runs.end() && it->start < e; ++it) it->tasks.push_back(r[j].task);
  }
  for (auto it = b; it != runs.end(); ++it) {
    std::sort(it->tasks.begin(), it->tasks.end());
    it->tasks.erase(std::unique(it->tasks.begin(), it->tasks.end()), it->tasks.end());
  }
}

}  // namespace

namespace detail {

std::vector<overload_run> sweep_overloads(const std::vector<sweep_item>& items,
                                          const std::vector<std::int64_t>& capacity) {
  // Same shape as find_overloads: a counting sort of the items by group, then each group's
  // days in cache (a difference array when they are few, else its sorted events). Periods are
  // half-open, so an interval ending at day d frees the day before one starting at d takes it.
  std::int64_t min_day = 0, max_day = 0;
  std::uint32_t max_group = 0;
  std::size_t active = 0;
  for (const auto& it : items) {
    if (it.past_end <= it.start) continue;
    if (it.certain < 0 || it.possible < 0 || it.certain > INT32_MAX || it.possible > INT32_MAX ||
        it.past_end - it.start > INT32_MAX) {
      throw spec_error("sweep: weights must be in [0, 2^31) thousandths, lengths below 2^31 days");
    }
    min_day = active ? std::min(min_day, it.start) : it.start;
    max_day = active ? std::max(max_day, it.past_end) : it.past_end;
    max_group = std::max(max_group, it.group);
    ++active;
  }
  if (active == 0) return {};
  if (max_day - min_day >= (std::int64_t{1} << 31)) {
    throw spec_error("sweep: the days span 2^31 or more");
  }
  const std::size_t n_groups = std::size_t{max_group} + 1;
  std::vector<std::size_t> offset(n_groups + 1, 0);
  for (const auto& it : items) {
    if (it.past_end > it.start) ++offset[it.group + 1];
  }
  for (std::size_t g = 0; g < n_groups; ++g) offset[g + 1] += offset[g];
  std::vector<sweep_record> rec(active);
  {
    std::vector<std::size_t> pos(offset.begin(), offset.end() - 1);
    for (const auto& it : items) {
      if (it.past_end <= it.start) continue;
      rec[pos[it.group]++] = {static_cast<std::uint32_t>(it.start - min_day),
                              static_cast<std::uint32_t>(it.past_end - min_day),
                              static_cast<std::int32_t>(it.certain),
                              static_cast<std::int32_t>(it.possible), it.task};
    }
  }
  std::vector<overload_run> runs;
  sweep_scratch sc;
  for (std::size_t g = 0; g < n_groups; ++g) {
    const std::size_t k = offset[g + 1] - offset[g];
    if (k == 0) continue;
    const std::int64_t cap = g < capacity.size() ? capacity[g] : 1000;
    sweep_group(rec.data() + offset[g], k, static_cast<std::uint32_t>(g), cap, min_day, runs, sc);
  }
  return runs;
}

}  // namespace detail

void find_overloads(std::span<const std::int64_t> units, std::span<const std::int64_t> starts,
                    std::span<const std::int64_t> ends, std::span<const double> weights,
                    std::span<std::uint8_t> out, const overload_options& options) {
  find_overloads_impl(units, starts, ends, weights, out, options);
}

void find_overloads(std::span<const std::uint32_t> units, std::span<const std::int64_t> starts,
                    std::span<const std::int64_t> ends, std::span<const double> weights,
                    std::span<std::uint8_t> out, const overload_options& options) {
  find_overloads_impl(units, starts, ends, weights, out, options);
}

std::vector<std::uint8_t> find_overloads(std::span<const std::int64_t> units,
                                         std::span<const std::int64_t> starts,
                                         std::span<const std::int64_t> ends,
                                         std::span<const double> weights,
                                         const overload_options& options) {
  std::vector<std::uint8_t> out(units.size());
  find_overloads_impl(units, starts, ends, weights, std::span<std::uint8_t>(out), options);
  return out;
}

}  // namespace khuyenhoc
