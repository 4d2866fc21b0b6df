// The selection of a pool held in shards: summaries, the exact merge, the finish per shard.
// Only public APIs of the pipeline (run.hpp) and of the selection (selection.hpp) are used: the
// merge is `select` over the ranked rows' key material with the pool-wide counts pinned.
#include "khuyenhoc/shard.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

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

shard_summary summarize_shard(const run_result& local, const selection_policy& policy,
                              std::uint32_t shard) {
  const selection& s = local.outcome();
  const pool& p = local.input();
  shard_summary out;
  out.shard = shard;
  out.rows = static_cast<std::int64_t>(s.size());
  for (const auto& g : s.groups) ++out.nominees[g];
  std::vector<std::uint32_t> ranked;
  std::vector<double> score;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (s.rank[r] != 0) {
      ranked.push_back(static_cast<std::uint32_t>(r));
      score.push_back(s.score[r]);
    }
  }
  std::vector<column> cols;
  for (const auto& name : key_columns(p, policy)) cols.push_back(p[name]);
  out.keys = pool(std::move(cols), p.id_name()).take(ranked);
  out.keys = out.keys.with_column(
      column::number(std::string(shard_score_column), buffer<double>(std::move(score))));
  return out;
}

merged_shards merge_shards(const std::vector<shard_summary>& summaries,
                           const selection_policy& policy) {
  if (summaries.empty()) throw spec_error("merge_shards needs at least one shard summary");
  merged_shards out;
  std::map<std::string, std::int64_t> nominees;
  {
    std::set<std::uint32_t> seen;
    for (const auto& s : summaries) {
      if (!seen.insert(s.shard).second) {
        throw spec_error("shard number " + std::to_string(s.shard) + " repeats");
      }
      for (const auto& [g, n] : s.nominees) nominees[g] += n;
    }
  }
  // The key material of every shard end to end (shards without ranked rows add none; their
  // columns may have been typed from no values).
  std::vector<const shard_summary*> filled;
  std::size_t n = 0;
  out.offsets.push_back(0);
  for (const auto& s : summaries) {
    out.shards.push_back(s.shard);
    n += s.keys.size();
    out.offsets.push_back(n);
    if (s.keys.size() != 0) filled.push_back(&s);
  }
  pool keys;
  if (!filled.empty()) {
    const auto& first = filled.front()->keys;
    std::vector<column> cols;
    for (const auto& name : first.column_names()) {
      std::vector<const column*> parts;
      for (const auto* s : filled) {
        const column* c = s->keys.find(name);
        if (c == nullptr || s->keys.column_count() != first.column_count() ||
            s->keys.id_name() != first.id_name()) {
          throw spec_error("shard " + std::to_string(s->shard) +
                           "'s key material has other columns than shard " +
                           std::to_string(filled.front()->shard) + "'s");
        }
        parts.push_back(c);
      }
      cols.push_back(concat_column(name, parts));
    }
    keys = pool(std::move(cols), first.id_name(), [&](std::size_t r) {
      const auto k = static_cast<std::size_t>(
          std::upper_bound(out.offsets.begin(), out.offsets.end(), r) - out.offsets.begin() - 1);
      return "shard " + std::to_string(out.shards[k]) + " ranked row " +
             std::to_string(r - out.offsets[k] + 1);
    });
  }

  // The counts a single run computes from all rows, pinned.
  std::map<std::string, std::int64_t> ranked;
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
  for (const auto& g : in.groups) ++ranked[g];
  if (pinned.mode == quota_mode::apportion && pinned.weights.empty()) {
    for (const auto& [g, count] : nominees) {
      const auto it = ranked.find(g);
      pinned.weights[g] = static_cast<double>(
          pinned.weigh_eligible ? (it == ranked.end() ? 0 : it->second) : count);
    }
  }
  if (pinned.cap_share) {
    for (const auto& [g, count] : nominees) pinned.cap_base.emplace(g, static_cast<double>(count));
  }
  // A placeholder (ineligible) for every group with nominees but no ranked row: a single run
  // knows the group, apportions it seats and lists it in the outcomes.
  for (const auto& [g, count] : nominees) {
    if (ranked.contains(g)) continue;
    in.ids.push_back("\x01placeholder:" + g);
    in.groups.push_back(g);
    in.score.push_back(std::numeric_limits<double>::quiet_NaN());
    in.eligible.push_back(0);
    in.ineligible_reason.emplace_back();
    if (!in.score_note.empty()) in.score_note.emplace_back();
    for (auto& k : in.keys) k.emplace_back();
  }
  out.result = select(in, pinned);
  for (auto& o : out.result.outcomes) {
    const auto it = nominees.find(o.group);
    o.nominees = it == nominees.end() ? 0 : it->second;
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
  return out;
}

pool finish_shard(const run_result& local, const merged_shards& merged, std::uint32_t shard) {
  const auto at = std::find(merged.shards.begin(), merged.shards.end(), shard);
  if (at == merged.shards.end()) {
    throw spec_error("shard " + std::to_string(shard) + " is not in the merge");
  }
  const auto k = static_cast<std::size_t>(at - merged.shards.begin());
  const std::size_t begin = merged.offsets[k], end = merged.offsets[k + 1];
  selection s = local.outcome();
  const selection& m = merged.result;
  std::size_t next = begin;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (s.rank[r] == 0) continue;
    if (next == end || m.ids[next] != s.ids[r]) {
      throw spec_error("the merge's rows of shard " + std::to_string(shard) +
                       " are not this shard's ranked nominees (row " + std::to_string(r + 1) +
                       ", id " + s.ids[r] + ")");
    }
    s.rank[r] = m.rank[next];
    s.group_rank[r] = m.group_rank[next];
    s.selected[r] = m.selected[next];
    s.level[r] = m.level[next];
    s.status[r] = m.status[next];
    s.gap[r] = m.gap[next];
    s.reason[r] = m.reason[next];
    ++next;
  }
  if (next != end) {
    throw spec_error("the merge holds " + std::to_string(end - begin) +
                     " ranked nominees of shard " + std::to_string(shard) + ", the shard " +
                     std::to_string(next - begin));
  }
  s.levels = m.levels;
  s.outcomes = m.outcomes;
  s.lottery_seed = m.lottery_seed;
  const std::string& per = local.policy().per;
  pool out = to_pool(s, per.empty() ? "group" : per);
  if (const column* c = local.table().find("classification")) out = out.with_column(*c);
  return out;
}

}  // namespace khuyenhoc
