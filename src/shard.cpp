// The selection of a pool held in shards: summaries, the exact merge, the finish per shard.
// Only public APIs of the pipeline (run.hpp) and of the selection (selection.hpp) are used: the
// merge is `select` over the ranked rows' key material with the pool-wide counts pinned.
#include "khuyenhoc/shard.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "khuyenhoc/detail/format_vi.hpp"
#include "khuyenhoc/error.hpp"

namespace khuyenhoc {

namespace {

// The pool columns the decision reads: the id, the group column, the tie-breaker columns.
std::vector<std::string> key_columns(const pool& p, const selection_policy& policy) {
  std::vector<std::string> cols{p.id_name()};
  auto add = [&](const std::string& c) {
    if (!c.empty() && std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
  };
  add(policy.per);
  for (const auto& k : policy.order) {
    if (k.how != order_key::kind::lottery) add(k.column);
  }
  return cols;
}

std::vector<std::uint8_t> validity_of(const column& c) {
  std::vector<std::uint8_t> v(c.size());
  for (std::size_t r = 0; r < c.size(); ++r) v[r] = c.is_valid(r) ? 1 : 0;
  return v;
}

// One column of the key material of every shard, end to end. Category and text columns mix
// (a shard read from pandas may type a column either way) as text.
column concat_column(const std::string& name, const std::vector<const column*>& parts) {
  std::set<column_type> types;
  for (const auto* c : parts) types.insert(c->type());
  column_type type = *types.begin();
  if (types.size() > 1) {
    const bool words = std::all_of(types.begin(), types.end(), [](column_type t) {
      return t == column_type::category || t == column_type::text;
    });
    if (!words) {
      std::string list;
      for (auto t : types) list += (list.empty() ? "" : ", ") + std::string(to_string(t));
      throw spec_error(
          "shard summaries disagree on the type of column \"" + name + "\" (" + list + ")",
          location{.field = name});
    }
    type = column_type::text;
  }
  std::size_t n = 0;
  for (const auto* c : parts) n += c->size();
  std::vector<std::uint8_t> valid;
  valid.reserve(n);
  for (const auto* c : parts) {
    const auto v = validity_of(*c);
    valid.insert(valid.end(), v.begin(), v.end());
  }
  switch (type) {
    case column_type::number: {
      std::vector<double> v;
      v.reserve(n);
      for (const auto* c : parts) v.insert(v.end(), c->numbers().begin(), c->numbers().end());
      return column::number(name, buffer<double>(std::move(v)));
    }
    case column_type::integer: {
      std::vector<std::int64_t> v;
      v.reserve(n);
      for (const auto* c : parts) v.insert(v.end(), c->integers().begin(), c->integers().end());
      return column::integer(name, buffer<std::int64_t>(std::move(v)), std::move(valid));
    }
    case column_type::boolean: {
      std::vector<std::uint8_t> v;
      v.reserve(n);
      for (const auto* c : parts) v.insert(v.end(), c->booleans().begin(), c->booleans().end());
      return column::boolean(name, std::move(v), std::move(valid));
    }
    case column_type::date: {
      std::vector<day_number> v;
      v.reserve(n);
      for (const auto* c : parts) v.insert(v.end(), c->dates().begin(), c->dates().end());
      return column::date(name, std::move(v), std::move(valid));
    }
    case column_type::category: {
      std::vector<std::string> dict;
      std::unordered_map<std::string, std::int32_t> code_of;
      std::vector<std::int32_t> codes;
      codes.reserve(n);
      for (const auto* c : parts) {
        std::vector<std::int32_t> remap;
        for (const auto& value : c->dictionary()) {
          auto [it, added] = code_of.emplace(value, static_cast<std::int32_t>(dict.size()));
          if (added) dict.push_back(value);
          remap.push_back(it->second);
        }
        for (auto code : c->codes()) {
          codes.push_back(code < 0 ? -1 : remap[static_cast<std::size_t>(code)]);
        }
      }
      return column::category(name, std::move(codes), std::move(dict));
    }
    case column_type::text: {
      std::vector<std::string> v;
      v.reserve(n);
      for (const auto* c : parts) {
        for (std::size_t r = 0; r < c->size(); ++r) {
          if (!c->is_valid(r)) {
            v.emplace_back();
          } else if (c->type() == column_type::category) {
            v.emplace_back(c->category_at(r));
          } else {
            v.emplace_back(c->text_at(r));
          }
        }
      }
      return column::text(name, v, std::move(valid));
    }
    default:
      throw spec_error("column \"" + name + "\" of type " + std::string(to_string(type)) +
                           " cannot be a group or tie-breaker column",
                       location{.field = name});
  }
}

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Group name per row of key material (`shard_group_column`).
std::vector<std::string> groups_of(const pool& keys) {
  std::vector<std::string> out(keys.size());
  if (keys.size() == 0) return out;
  const column& c = keys[shard_group_column];
  for (std::size_t r = 0; r < keys.size(); ++r) {
    if (!c.is_valid(r)) continue;
    out[r] = std::string(c.type() == column_type::category ? c.category_at(r) : c.text_at(r));
  }
  return out;
}

// Key material of several parts end to end (parts without rows add none: their columns may
// have been typed from no values). `what` names a part in errors.
pool concat_keys(const std::vector<const pool*>& parts,
                 const std::function<std::string(std::size_t)>& what,
                 const std::function<std::string(std::size_t)>& row_name) {
  std::vector<std::size_t> filled;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (parts[k]->size() != 0) filled.push_back(k);
  }
  if (filled.empty()) return pool{};
  const pool& first = *parts[filled.front()];
  std::vector<column> cols;
  for (const auto& name : first.column_names()) {
    std::vector<const column*> pieces;
    for (auto k : filled) {
      const pool& p = *parts[k];
      const column* c = p.find(name);
      if (c == nullptr || p.column_count() != first.column_count() ||
          p.id_name() != first.id_name()) {
        throw spec_error(what(k) + "'s key material has other columns than " +
                         what(filled.front()) + "'s");
      }
      pieces.push_back(c);
    }
    cols.push_back(concat_column(name, pieces));
  }
  return pool(std::move(cols), first.id_name(), row_name);
}

// Counts of ranked rows by total, descending, with the number of rows above each total.
struct score_index {
  std::vector<double> scores;       // descending
  std::vector<std::int64_t> above;  // rows with a higher total
  std::vector<std::int64_t> count;

  void build(std::map<double, std::int64_t, std::greater<>>& m) {
    std::int64_t run = 0;
    for (const auto& [sc, n] : m) {
      scores.push_back(sc);
      above.push_back(run);
      count.push_back(n);
      run += n;
    }
  }
  [[nodiscard]] std::size_t at(double s) const {
    const auto it = std::lower_bound(scores.begin(), scores.end(), s, std::greater<>());
    if (it == scores.end() || *it != s) return scores.size();
    return static_cast<std::size_t>(it - scores.begin());
  }
};

score_counts histogram_of(
    const std::map<std::string, std::map<double, std::int64_t, std::greater<>>>& h) {
  score_counts out;
  for (const auto& [g, m] : h) {
    for (const auto& [sc, n] : m) {
      out.group.push_back(g);
      out.score.push_back(sc);
      out.count.push_back(n);
    }
  }
  return out;
}

void add_histogram(const score_counts& scores,
                   std::map<std::string, std::map<double, std::int64_t, std::greater<>>>& into) {
  if (scores.group.size() != scores.size() || scores.count.size() != scores.size()) {
    throw spec_error("a histogram of totals has columns of different lengths");
  }
  for (std::size_t r = 0; r < scores.size(); ++r) {
    into[scores.group[r]][scores.score[r]] += scores.count[r];
  }
}

}  // namespace

run_spec row_local_spec(run_spec spec) {
  selection_policy local;
  local.per = spec.policy.per;
  local.min_score = spec.policy.min_score;
  local.mode = quota_mode::global;
  local.seats = 0;
  spec.policy = std::move(local);
  return spec;
}

std::int64_t summary_bound(const selection_policy& policy, const std::string& group) {
  if (policy.mode == quota_mode::global && policy.cap_share) return -1;
  if (policy.mode == quota_mode::fixed) {
    const auto it = policy.fixed.find(group);
    return it == policy.fixed.end() ? 0 : std::max<std::int64_t>(0, it->second);
  }
  if (policy.levels.empty()) return std::max<std::int64_t>(0, policy.seats);
  std::int64_t total = 0;
  for (const auto& l : policy.levels) {
    const std::int64_t s = std::max<std::int64_t>(0, l.seats);
    total = s > std::numeric_limits<std::int64_t>::max() - total
                ? std::numeric_limits<std::int64_t>::max()
                : total + s;
  }
  return total;
}

pool shard_keys(const run_result& local, const selection_policy& policy) {
  const selection& s = local.outcome();
  const pool& p = local.input();
  std::vector<std::uint32_t> ranked;
  std::vector<double> score;
  std::vector<std::string> group;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (s.rank[r] != 0) {
      ranked.push_back(static_cast<std::uint32_t>(r));
      score.push_back(s.score[r]);
      group.push_back(s.groups[r]);
    }
  }
  std::vector<column> cols;
  for (const auto& name : key_columns(p, policy)) cols.push_back(p[name]);
  pool keys = pool(std::move(cols), p.id_name()).take(ranked);
  {
    // The group as a category: one code per row, the names once (what travels).
    std::vector<std::int32_t> codes;
    std::vector<std::string> names;
    std::unordered_map<std::string, std::int32_t> code_of;
    codes.reserve(group.size());
    for (const auto& g : group) {
      auto [it, added] = code_of.emplace(g, static_cast<std::int32_t>(names.size()));
      if (added) names.push_back(g);
      codes.push_back(it->second);
    }
    keys = keys.with_column(
        column::category(std::string(shard_group_column), std::move(codes), std::move(names)));
  }
  return keys.with_column(
      column::number(std::string(shard_score_column), buffer<double>(std::move(score))));
}

shard_summary summarize_shard(const run_result& local, const selection_policy& policy,
                              std::uint32_t shard) {
  return summarize_shard(local, policy, shard, shard_keys(local, policy));
}

shard_summary summarize_shard(const run_result& local, const selection_policy& policy,
                              std::uint32_t shard, const pool& keys) {
  const selection& s = local.outcome();
  shard_summary out;
  out.shard = shard;
  out.rows = static_cast<std::int64_t>(s.size());
  {
    // Nominees per group: count runs of equal names (rows of a group often come together).
    const std::string* last = nullptr;
    std::int64_t* count = nullptr;
    for (const auto& g : s.groups) {
      if (last == nullptr || g != *last) {
        count = &out.nominees[g];
        last = &g;
      }
      ++*count;
    }
  }
  const auto groups = groups_of(keys);
  const auto score = keys.size() ? keys[shard_score_column].numbers() : std::span<const double>();
  // Per group: its ranked rows' totals, the histogram, and the lowest total kept.
  std::map<std::string, std::vector<double>> totals;
  std::map<std::string, std::map<double, std::int64_t, std::greater<>>> hist;
  for (std::size_t r = 0; r < keys.size(); ++r) {
    totals[groups[r]].push_back(score[r]);
    ++hist[groups[r]][score[r]];
  }
  std::map<std::string, double> lowest_kept;  // absent: keep none; -inf: keep all
  for (auto& [g, v] : totals) {
    out.ranked[g] = static_cast<std::int64_t>(v.size());
    const std::int64_t bound = summary_bound(policy, g);
    if (bound == 0) continue;
    double low = -std::numeric_limits<double>::infinity();
    if (bound > 0) {
      const auto k = static_cast<std::size_t>(bound);
      if (policy.ties == tie_policy::break_ties) {
        // The bound-th highest total (with repeats): the rows above it and every row tied
        // with it.
        if (v.size() > k) {
          std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k - 1), v.end(),
                           std::greater<>());
          low = v[k - 1];
        }
      } else {
        // Include and exclude take or refuse whole runs of a total: the bound highest distinct
        // totals (each level's seats reach at most that many new totals).
        const auto& m = hist[g];
        if (m.size() > k) low = std::next(m.begin(), static_cast<std::ptrdiff_t>(k - 1))->first;
      }
    }
    lowest_kept[g] = low;
  }
  std::vector<std::uint32_t> kept;
  for (std::size_t r = 0; r < keys.size(); ++r) {
    const auto it = lowest_kept.find(groups[r]);
    if (it != lowest_kept.end() && score[r] >= it->second) {
      kept.push_back(static_cast<std::uint32_t>(r));
    }
  }
  out.keys = kept.size() == keys.size() ? keys : keys.take(kept);
  out.scores = histogram_of(hist);
  return out;
}

merged_shards merge_shards(const std::vector<shard_summary>& summaries,
                           const selection_policy& policy) {
  if (summaries.empty()) throw spec_error("merge_shards needs at least one shard summary");
  merged_shards out;
  out.policy = policy;
  std::map<std::string, std::int64_t> nominees, ranked_total;
  std::map<std::string, std::map<double, std::int64_t, std::greater<>>> hist;
  {
    std::set<std::uint32_t> seen;
    for (const auto& s : summaries) {
      if (!seen.insert(s.shard).second) {
        throw spec_error("shard number " + std::to_string(s.shard) + " repeats");
      }
      for (const auto& [g, n] : s.nominees) nominees[g] += n;
      for (const auto& [g, n] : s.ranked) ranked_total[g] += n;
      add_histogram(s.scores, hist);
    }
  }
  std::vector<const pool*> parts;
  std::size_t n = 0;
  out.offsets.push_back(0);
  for (const auto& s : summaries) {
    out.shards.push_back(s.shard);
    parts.push_back(&s.keys);
    n += s.keys.size();
    out.offsets.push_back(n);
  }
  const pool keys = concat_keys(
      parts, [&](std::size_t k) { return "shard " + std::to_string(summaries[k].shard); },
      [&](std::size_t r) {
        const auto k = static_cast<std::size_t>(
            std::upper_bound(out.offsets.begin(), out.offsets.end(), r) - out.offsets.begin() - 1);
        return "shard " + std::to_string(out.shards[k]) + " kept row " +
               std::to_string(r - out.offsets[k] + 1);
      });

  // The counts a single run computes from all rows, pinned.
  selection_policy pinned = policy;
  selection_input in;
  if (keys.column_count() != 0) {
    const auto sc = keys[shard_score_column].numbers();
    const std::vector<double> score(sc.begin(), sc.end());
    const std::vector<std::uint8_t> eligible(n, 1);
    const std::vector<std::string> reasons(n);
    in = make_selection_input(keys, score, eligible, reasons, policy, {}, true);
  } else {
    in.keys.resize(policy.order.size());
  }
  std::set<std::string> kept_groups(in.groups.begin(), in.groups.end());
  if (pinned.mode == quota_mode::apportion && pinned.weights.empty()) {
    for (const auto& [g, count] : nominees) {
      const auto it = ranked_total.find(g);
      pinned.weights[g] = static_cast<double>(
          pinned.weigh_eligible ? (it == ranked_total.end() ? 0 : it->second) : count);
    }
  }
  if (pinned.cap_share) {
    for (const auto& [g, count] : nominees) pinned.cap_base.emplace(g, static_cast<double>(count));
  }
  // A placeholder (ineligible) for every group with nominees but no kept row: a single run
  // knows the group, apportions it seats and lists it in the outcomes.
  for (const auto& [g, count] : nominees) {
    if (kept_groups.contains(g)) continue;
    in.ids.push_back("\x01placeholder:" + g);
    in.groups.push_back(g);
    in.score.push_back(nan);
    in.eligible.push_back(0);
    in.ineligible_reason.emplace_back();
    if (!in.score_note.empty()) in.score_note.emplace_back();
    for (auto& k : in.keys) k.emplace_back();
  }
  out.result = select(in, pinned);
  for (auto& o : out.result.outcomes) {
    const auto it = nominees.find(o.group);
    o.nominees = it == nominees.end() ? 0 : it->second;
    const auto jt = ranked_total.find(o.group);
    o.eligible = jt == ranked_total.end() ? 0 : jt->second;
    auto [c, added] = out.cutoffs.emplace(o.group, nan);
    if (!std::isnan(o.cutoff)) c->second = o.cutoff;
  }
  auto& r = out.result;
  r.ids.resize(n);
  r.groups.resize(n);
  r.score.resize(n);
  r.rank.resize(n);
  r.group_rank.resize(n);
  r.selected.resize(n);
  r.level.resize(n);
  r.status.resize(n);
  r.gap.resize(n);
  r.reason.resize(n);
  out.scores = histogram_of(hist);
  return out;
}

pool tie_keys(const pool& keys, const merged_shards& merged) {
  std::map<double, std::int64_t, std::greater<>> all;
  for (std::size_t r = 0; r < merged.scores.size(); ++r) {
    all[merged.scores.score[r]] += merged.scores.count[r];
  }
  std::vector<std::uint32_t> rows;
  std::vector<std::int64_t> number;
  if (keys.size() != 0) {
    const auto sc = keys[shard_score_column].numbers();
    for (std::size_t r = 0; r < keys.size(); ++r) {
      const auto it = all.find(sc[r]);
      if (it == all.end()) {
        throw spec_error("the key material's row " + std::to_string(r + 1) + " (id " +
                         std::string(keys.id(r)) + ") has a total the merge does not count");
      }
      if (it->second > 1) {
        rows.push_back(static_cast<std::uint32_t>(r));
        number.push_back(static_cast<std::int64_t>(r));
      }
    }
  }
  // The group column is not needed to order them (the policy's group column is there).
  std::vector<column> cols;
  for (const auto& c : keys.columns()) {
    if (c.name() != shard_group_column) cols.push_back(c);
  }
  return pool(std::move(cols), keys.id_name())
      .take(rows)
      .with_column(
          column::integer(std::string(shard_row_column), buffer<std::int64_t>(std::move(number))));
}

std::vector<tie_order> resolve_ties(const std::vector<pool>& parts,
                                    const selection_policy& policy) {
  std::vector<const pool*> ps;
  std::vector<std::size_t> offsets{0};
  for (const auto& p : parts) {
    ps.push_back(&p);
    offsets.push_back(offsets.back() + p.size());
  }
  const pool keys = concat_keys(
      ps, [](std::size_t k) { return "tie part " + std::to_string(k + 1); },
      [&](std::size_t r) {
        const auto k = static_cast<std::size_t>(
            std::upper_bound(offsets.begin(), offsets.end(), r) - offsets.begin() - 1);
        return "tie part " + std::to_string(k + 1) + " row " + std::to_string(r - offsets[k] + 1);
      });
  std::vector<tie_order> out(parts.size());
  const std::size_t n = keys.size();
  if (n == 0) return out;
  // The selection's own order over these rows (score descending, the tie-breakers, the id):
  // ranks among them; a row's place within its total is its rank minus the first rank of the
  // total.
  selection_policy order;
  order.per = policy.per;
  order.order = policy.order;
  order.seed = policy.seed;
  order.mode = quota_mode::global;
  const auto sc = keys[shard_score_column].numbers();
  const std::vector<double> score(sc.begin(), sc.end());
  // Keys encoded only where rows tie (the Vietnamese collation keys of names are the costly
  // ones): this input is selected here, never concatenated.
  const selection s = select(make_selection_input(keys, score, std::vector<std::uint8_t>(n, 1),
                                                  std::vector<std::string>(n), order, {}, true),
                             order);
  std::map<double, std::uint32_t> first;
  std::map<std::pair<std::string, double>, std::uint32_t> first_in_group;
  for (std::size_t r = 0; r < n; ++r) {
    auto [a, added_a] = first.emplace(score[r], s.rank[r]);
    if (!added_a) a->second = std::min(a->second, s.rank[r]);
    auto [b, added_b] =
        first_in_group.emplace(std::make_pair(s.groups[r], score[r]), s.group_rank[r]);
    if (!added_b) b->second = std::min(b->second, s.group_rank[r]);
  }
  const auto row_numbers = keys[shard_row_column].integers();
  for (std::size_t k = 0; k < parts.size(); ++k) {
    auto& o = out[k];
    for (std::size_t r = offsets[k]; r < offsets[k + 1]; ++r) {
      o.row.push_back(row_numbers[r]);
      o.before.push_back(s.rank[r] - first[score[r]]);
      o.group_before.push_back(s.group_rank[r] - first_in_group[{s.groups[r], score[r]}]);
    }
  }
  return out;
}

pool kept_rows(const merged_shards& merged, std::uint32_t shard) {
  const auto at = std::find(merged.shards.begin(), merged.shards.end(), shard);
  if (at == merged.shards.end()) {
    throw spec_error("shard " + std::to_string(shard) + " is not in the merge");
  }
  const auto k = static_cast<std::size_t>(at - merged.shards.begin());
  const std::size_t begin = merged.offsets[k], end = merged.offsets[k + 1];
  const selection& m = merged.result;
  selection s;
  auto slice = [&](auto& to, const auto& from) {
    to.assign(from.begin() + static_cast<std::ptrdiff_t>(begin),
              from.begin() + static_cast<std::ptrdiff_t>(end));
  };
  slice(s.ids, m.ids);
  slice(s.groups, m.groups);
  slice(s.score, m.score);
  slice(s.rank, m.rank);
  slice(s.group_rank, m.group_rank);
  slice(s.selected, m.selected);
  slice(s.level, m.level);
  slice(s.status, m.status);
  slice(s.gap, m.gap);
  slice(s.reason, m.reason);
  s.levels = m.levels;
  return to_pool(s, "group");
}

pool shard_ranks(const pool& keys, const pool& kept, const score_counts& scores,
                 const std::map<std::string, double>& cutoffs, const std::vector<tie_order>& ties,
                 const selection_policy& policy) {
  const std::size_t n = keys.size();
  // Rows above each total, over all groups and within each group.
  std::map<double, std::int64_t, std::greater<>> all;
  std::map<std::string, std::map<double, std::int64_t, std::greater<>>> per_group;
  add_histogram(scores, per_group);
  for (const auto& [g, m] : per_group) {
    for (const auto& [sc, c] : m) all[sc] += c;
  }
  score_index all_index;
  all_index.build(all);
  std::map<std::string, score_index> group_index;
  for (auto& [g, m] : per_group) group_index[g].build(m);

  std::vector<std::int64_t> before(n, -1), group_before(n, -1);
  for (const auto& t : ties) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t.row[i] < 0 || static_cast<std::size_t>(t.row[i]) >= n) {
        throw spec_error("a resolved tie names row " + std::to_string(t.row[i] + 1) +
                         " of a shard with " + std::to_string(n) + " ranked rows");
      }
      before[static_cast<std::size_t>(t.row[i])] = t.before[i];
      group_before[static_cast<std::size_t>(t.row[i])] = t.group_before[i];
    }
  }

  selection s;
  std::vector<std::string> level_names;
  if (policy.levels.empty()) {
    level_names.emplace_back("selected");
  } else {
    for (const auto& l : policy.levels) level_names.push_back(l.name);
  }
  s.levels = level_names;
  s.ids.reserve(n);
  const auto groups = groups_of(keys);
  const auto score = n ? keys[shard_score_column].numbers() : std::span<const double>();
  const std::size_t nk = kept.size();
  // The kept rows' values, by name (a table that went through Arrow may hold its categories in
  // another order, or as text).
  std::vector<std::uint8_t> k_selected(nk);
  std::vector<std::int32_t> k_level(nk, -1);
  std::vector<selection_status> k_status(nk);
  std::vector<double> k_gap(nk);
  const column* k_reason = nullptr;
  if (nk != 0) {
    auto word = [](const column& c, std::size_t r) {
      return c.type() == column_type::category ? c.category_at(r) : c.text_at(r);
    };
    const column& sel = kept["selected"];
    const column& lev = kept["level"];
    const column& st = kept["status"];
    const auto gap = kept["gap"].numbers();
    k_reason = &kept["reason"];
    std::map<std::string, selection_status, std::less<>> status_of;
    for (auto x :
         {selection_status::selected, selection_status::ineligible, selection_status::no_score,
          selection_status::below_minimum, selection_status::outside_quota,
          selection_status::tied_out, selection_status::capped}) {
      status_of.emplace(std::string(to_string(x)), x);
    }
    for (std::size_t r = 0; r < nk; ++r) {
      k_selected[r] = sel.is_valid(r) && sel.booleans()[r] ? 1 : 0;
      if (lev.is_valid(r)) {
        const auto at = std::find(level_names.begin(), level_names.end(), word(lev, r));
        if (at == level_names.end()) {
          throw spec_error("kept row " + std::to_string(r + 1) + " has level \"" +
                           std::string(word(lev, r)) + "\", which the policy does not have");
        }
        k_level[r] = static_cast<std::int32_t>(at - level_names.begin());
      }
      const auto it = status_of.find(word(st, r));
      if (it == status_of.end()) {
        throw spec_error("kept row " + std::to_string(r + 1) + " has an unknown status");
      }
      k_status[r] = it->second;
      k_gap[r] = gap[r];
    }
  }
  std::size_t next = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const std::string id(keys.id(r));
    const std::string& g = groups[r];
    const double sc = score[r];
    const std::size_t a = all_index.at(sc);
    const auto gi = group_index.find(g);
    const std::size_t b = gi == group_index.end() ? 0 : gi->second.at(sc);
    if (a == all_index.scores.size() || gi == group_index.end() || b == gi->second.scores.size()) {
      throw spec_error("row " + std::to_string(r + 1) + " (id " + id + ") has a total (" +
                       detail::format_decimal_vi(sc, 6) + ") the merge does not count");
    }
    std::int64_t rank = all_index.above[a] + 1, group_rank = gi->second.above[b] + 1;
    if (all_index.count[a] > 1) {
      if (before[r] < 0) {
        throw spec_error("row " + std::to_string(r + 1) + " (id " + id +
                         ") shares its total with other rows and has no resolved order "
                         "(resolve_ties)");
      }
      rank += before[r];
      group_rank += group_before[r];
    }
    s.ids.push_back(id);
    s.groups.push_back(g);
    s.score.push_back(sc);
    s.rank.push_back(static_cast<std::uint32_t>(rank));
    s.group_rank.push_back(static_cast<std::uint32_t>(group_rank));
    if (next < nk && kept.id(next) == id) {
      s.selected.push_back(k_selected[next]);
      s.level.push_back(k_level[next]);
      s.status.push_back(k_status[next]);
      s.gap.push_back(k_gap[next]);
      s.reason.emplace_back(k_reason->text_at(next));
      ++next;
      continue;
    }
    // A row the summary left out: below its group's possible seats and every boundary, so
    // outside the quota, measured against its group's last cut-off (as select words it).
    s.selected.push_back(0);
    s.level.push_back(-1);
    s.status.push_back(selection_status::outside_quota);
    const auto c = cutoffs.find(g);
    const double cut = c == cutoffs.end() ? nan : c->second;
    std::string why;
    if (std::isnan(cut)) {
      s.gap.push_back(nan);
      why = g.empty() ? "Ngoài chỉ tiêu: không có suất nào"
                      : "Ngoài chỉ tiêu: " + g + " không được giao suất nào";
    } else {
      const double gap = std::round(std::max(0.0, cut - sc) * 1e9) / 1e9;
      s.gap.push_back(gap);
      why = "Ngoài chỉ tiêu";
      if (!g.empty()) why += " của " + g;
      why += ": tổng điểm " + detail::format_decimal_vi(sc, 6) + ", điểm chuẩn " +
             detail::format_decimal_vi(cut, 6) + ", thiếu " + detail::format_decimal_vi(gap, 6);
    }
    s.reason.push_back(std::move(why));
  }
  if (next != nk) {
    throw spec_error("the merge holds " + std::to_string(nk) +
                     " kept rows of this shard, its key material " + std::to_string(next) +
                     " of them in order (the merge was made from another summary)");
  }
  return to_pool(s, "group");
}

pool finish_shard(const run_result& local, const merged_shards& merged, std::uint32_t shard,
                  const std::vector<tie_order>& ties) {
  const pool keys = shard_keys(local, merged.policy);
  const pool rows = shard_ranks(keys, kept_rows(merged, shard), merged.scores, merged.cutoffs, ties,
                                merged.policy);
  selection s = local.outcome();
  const auto rank = rows["rank"].integers();
  const auto group_rank = rows["group_rank"].integers();
  const auto selected = rows["selected"].booleans();
  const auto level = rows["level"].codes();
  const auto status = rows["status"].codes();
  const auto gap = rows["gap"].numbers();
  const column& reason = rows["reason"];
  std::size_t next = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (s.rank[r] == 0) continue;
    s.rank[r] = static_cast<std::uint32_t>(rank[next]);
    s.group_rank[r] = static_cast<std::uint32_t>(group_rank[next]);
    s.selected[r] = selected[next];
    s.level[r] = level[next];
    s.status[r] = static_cast<selection_status>(status[next]);
    s.gap[r] = gap[next];
    s.reason[r] = std::string(reason.text_at(next));
    ++next;
  }
  s.levels = merged.result.levels;
  s.outcomes = merged.result.outcomes;
  s.lottery_seed = merged.result.lottery_seed;
  const std::string& per = local.policy().per;
  pool out = to_pool(s, per.empty() ? "group" : per);
  if (const column* c = local.table().find("classification")) out = out.with_column(*c);
  return out;
}

std::vector<pool> select_shards(const std::vector<run_result>& locals,
                                const selection_policy& policy) {
  std::vector<shard_summary> summaries;
  for (std::size_t i = 0; i < locals.size(); ++i) {
    summaries.push_back(summarize_shard(locals[i], policy, static_cast<std::uint32_t>(i)));
  }
  const merged_shards merged = merge_shards(summaries, policy);
  std::vector<pool> tied;
  for (const auto& l : locals) tied.push_back(tie_keys(shard_keys(l, policy), merged));
  const auto ties = resolve_ties(tied, policy);
  std::vector<pool> out;
  for (std::size_t i = 0; i < locals.size(); ++i) {
    out.push_back(finish_shard(locals[i], merged, static_cast<std::uint32_t>(i), {ties[i]}));
  }
  return out;
}

}  // namespace khuyenhoc
