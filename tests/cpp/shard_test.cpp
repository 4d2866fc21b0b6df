// The selection over shards (shard.hpp): the finished shards' tables equal the single run's
// table row for row (every column), whatever the sharding, for each kind of quota, levels, tie
// policy, caps and lotteries; and the merge refuses inconsistent summaries.
#include "khuyenhoc/shard.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "khuyenhoc/generate.hpp"
#include "khuyenhoc/rules.hpp"

namespace kh = khuyenhoc;
using ::testing::HasSubstr;

namespace {

const std::string root = KHUYENHOC_SOURCE_DIR;

kh::run_spec spec_with(const kh::selection_policy& policy) {
  kh::run_spec spec;
  spec.criteria = kh::criteria_set::from_file(root + "/examples/criteria/honour_pupils.yaml");
  spec.rules = kh::load_rule_set(root + "/examples/rules/honour_pupils.yaml");
  spec.policy = policy;
  return spec;
}

const kh::pool& example_pool() {
  static const kh::pool p = kh::generate_pool(2000, {.seed = 11});
  return p;
}

// Rows r with r % shards == k, or the sharding given by `shard_of`.
std::vector<kh::pool> shard(const kh::pool& p, const std::vector<std::uint32_t>& shard_of,
                            std::uint32_t shards) {
  std::vector<std::vector<std::uint32_t>> rows(shards);
  for (std::uint32_t r = 0; r < p.size(); ++r) rows[shard_of[r]].push_back(r);
  std::vector<kh::pool> out;
  for (const auto& rs : rows) out.push_back(p.take(rs));
  return out;
}

std::string cell(const kh::column& c, std::size_t r) {
  return c.is_valid(r) ? c.format(r) : "NA";
}

// The summary holds at most the group's possible seats plus the rows tied at that bound: with
// break_ties, fewer than `bound` kept rows above the lowest kept total; with include/exclude,
// at most `bound` distinct totals. Returns the rows kept.
std::size_t expect_bounded(const kh::shard_summary& s, const kh::selection_policy& policy) {
  std::map<std::string, std::vector<double>> kept;
  if (s.keys.size() != 0) {
    const auto& g = s.keys[kh::shard_group_column];
    const auto sc = s.keys[kh::shard_score_column].numbers();
    for (std::size_t r = 0; r < s.keys.size(); ++r) {
      kept[std::string(g.category_at(r))].push_back(sc[r]);
    }
  }
  for (auto& [group, v] : kept) {
    const auto bound = kh::summary_bound(policy, group);
    EXPECT_LE(v.size(), static_cast<std::size_t>(s.ranked.at(group)));
    if (bound < 0) continue;
    std::sort(v.begin(), v.end(), std::greater<>());
    if (policy.ties == kh::tie_policy::break_ties) {
      const auto above = static_cast<std::int64_t>(
          std::count_if(v.begin(), v.end(), [&](double x) { return x > v.back(); }));
      EXPECT_LT(above, bound) << "group " << group;
    } else {
      const auto distinct = std::unique(v.begin(), v.end()) - v.begin();
      EXPECT_LE(distinct, bound) << "group " << group;
    }
  }
  return s.keys.size();
}

// Runs the shards, summarises, merges, resolves the ties (in `ranges` ranges of totals, each
// its own call, as separate tasks would), finishes, and compares with one run of the
// concatenated shards.
// Returns {rows kept by the summaries, ranked rows}.
std::pair<std::size_t, std::size_t> expect_same_as_single(const kh::selection_policy& policy,
                                                          const std::vector<kh::pool>& shards,
                                                          int ranges = 1) {
  const auto spec = spec_with(policy);
  const auto local_spec = kh::row_local_spec(spec);
  std::vector<kh::run_result> locals;
  std::vector<kh::shard_summary> summaries;
  std::vector<std::uint32_t> whole_rows;
  std::size_t kept = 0, ranked = 0;
  for (std::uint32_t i = 0; i < shards.size(); ++i) {
    locals.push_back(kh::prepared_run::prepare(local_spec, example_pool()).execute(shards[i]));
    summaries.push_back(kh::summarize_shard(locals.back(), spec.policy, i));
    kept += expect_bounded(summaries.back(), spec.policy);
    for (const auto& [g, n] : summaries.back().ranked) ranked += static_cast<std::size_t>(n);
    for (std::size_t r = 0; r < shards[i].size(); ++r) {
      whole_rows.push_back(*example_pool().row_of(shards[i].id(r)));
    }
  }
  const auto merged = kh::merge_shards(summaries, spec.policy);
  // The rows at shared totals, split into ranges of totals (a total in one range only).
  std::vector<kh::pool> tied;
  std::vector<double> totals;
  for (std::uint32_t i = 0; i < shards.size(); ++i) {
    tied.push_back(kh::tie_keys(kh::shard_keys(locals[i], spec.policy), merged));
    if (tied.back().size() == 0) continue;
    const auto sc = tied.back()[kh::shard_score_column].numbers();
    totals.insert(totals.end(), sc.begin(), sc.end());
  }
  std::sort(totals.begin(), totals.end());
  totals.erase(std::unique(totals.begin(), totals.end()), totals.end());
  std::vector<std::vector<kh::tie_order>> ties(shards.size());
  for (int k = 0; k < ranges; ++k) {
    const std::size_t lo =
        totals.size() * static_cast<std::size_t>(k) / static_cast<std::size_t>(ranges);
    const std::size_t hi =
        totals.size() * static_cast<std::size_t>(k + 1) / static_cast<std::size_t>(ranges);
    std::vector<kh::pool> parts;
    for (const auto& t : tied) {
      std::vector<std::uint32_t> rows;
      if (t.size() != 0) {
        const auto sc = t[kh::shard_score_column].numbers();
        for (std::uint32_t r = 0; r < t.size(); ++r) {
          const auto at = static_cast<std::size_t>(
              std::lower_bound(totals.begin(), totals.end(), sc[r]) - totals.begin());
          if (at >= lo && at < hi) rows.push_back(r);
        }
      }
      parts.push_back(t.take(rows));
    }
    const auto resolved = kh::resolve_ties(parts, spec.policy);
    EXPECT_EQ(resolved.size(), parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) ties[i].push_back(resolved[i]);
  }
  const auto whole = example_pool().take(whole_rows);
  const auto single = kh::prepared_run::prepare(spec, whole).execute(whole);
  const auto& want = single.table();
  std::size_t row = 0;
  for (std::uint32_t i = 0; i < shards.size(); ++i) {
    const auto got = kh::finish_shard(locals[i], merged, i, ties[i]);
    EXPECT_EQ(got.column_names(), want.column_names());
    for (std::size_t r = 0; r < got.size(); ++r, ++row) {
      for (const auto& name : want.column_names()) {
        if (cell(got[name], r) != cell(want[name], row)) {
          ADD_FAILURE() << "column " << name << ", shard " << i << " row " << r << ": "
                        << cell(got[name], r) << " != " << cell(want[name], row);
          return {kept, ranked};
        }
      }
    }
  }
  EXPECT_EQ(row, want.size());
  EXPECT_EQ(merged.result.outcomes.size(), single.outcome().outcomes.size());
  for (std::size_t k = 0;
       k < std::min(merged.result.outcomes.size(), single.outcome().outcomes.size()); ++k) {
    const auto& a = merged.result.outcomes[k];
    const auto& b = single.outcome().outcomes[k];
    EXPECT_EQ(a.group, b.group);
    EXPECT_EQ(a.nominees, b.nominees);
    EXPECT_EQ(a.eligible, b.eligible);
    EXPECT_EQ(a.quota, b.quota);
    EXPECT_EQ(a.selected, b.selected);
  }
  // The same through the one-process helper.
  const auto together = kh::select_shards(locals, spec.policy);
  EXPECT_EQ(together.size(), shards.size());
  row = 0;
  for (const auto& t : together) {
    for (std::size_t r = 0; r < t.size() && row < want.size(); ++r, ++row) {
      EXPECT_EQ(cell(t["rank"], r), cell(want["rank"], row));
      EXPECT_EQ(cell(t["reason"], r), cell(want["reason"], row));
    }
  }
  return {kept, ranked};
}

std::vector<kh::pool> round_robin(std::uint32_t shards) {
  std::vector<std::uint32_t> of(example_pool().size());
  for (std::size_t r = 0; r < of.size(); ++r) of[r] = static_cast<std::uint32_t>(r % shards);
  return shard(example_pool(), of, shards);
}

kh::selection_policy grouped(std::int64_t seats) {
  kh::selection_policy p;
  p.per = "district";
  p.mode = kh::quota_mode::apportion;
  p.seats = seats;
  p.order = {kh::parse_order_key("exam_score desc"), kh::parse_order_key("name:full_name")};
  return p;
}

}  // namespace

TEST(Shard, GlobalQuota) {
  kh::selection_policy p;
  p.seats = 40;
  p.order = {kh::parse_order_key("name:full_name")};
  const auto [kept, ranked] = expect_same_as_single(p, round_robin(3));
  // Each shard keeps its 40 best and the rows tied with its 40th: not the 641 ranked.
  EXPECT_LE(kept, 3U * 40U + 30U);
  EXPECT_GT(ranked, 600U);
}

TEST(Shard, ApportionedByGroup) {
  expect_same_as_single(grouped(70), round_robin(4));
  // The ties resolved in three ranges of totals (three tasks) give the same ranks.
  expect_same_as_single(grouped(70), round_robin(4), 3);
}

TEST(Shard, RanksWithManyTiesAcrossShards) {
  // No tie-breaker: rows tied on the total are ordered by id, across shards.
  kh::selection_policy p;
  p.per = "district";
  p.mode = kh::quota_mode::apportion;
  p.seats = 20;
  expect_same_as_single(p, round_robin(5), 4);
  // A global quota over groups, a tie-breaker column with ties of its own.
  kh::selection_policy q;
  q.per = "district";
  q.seats = 25;
  q.order = {kh::parse_order_key("exam_score desc")};
  expect_same_as_single(q, round_robin(3), 2);
  // Few seats, groups held by two shards: the summaries keep few of the ranked rows.
  auto few = grouped(6);
  const auto [kept, ranked] = expect_same_as_single(few, round_robin(2), 2);
  EXPECT_LT(kept * 2, ranked) << "kept " << kept << " of " << ranked;
  few.ties = kh::tie_policy::include;
  const auto [kept_include, ranked_include] = expect_same_as_single(few, round_robin(2));
  EXPECT_LT(kept_include, ranked_include);
}

TEST(Shard, SummaryBound) {
  kh::selection_policy p;
  p.seats = 12;
  EXPECT_EQ(kh::summary_bound(p, "A"), 12);
  p.levels = {{.name = "1", .seats = 3}, {.name = "2", .seats = 5}};
  EXPECT_EQ(kh::summary_bound(p, "A"), 8);
  p.mode = kh::quota_mode::fixed;
  p.levels.clear();
  p.fixed = {{"A", 4}};
  EXPECT_EQ(kh::summary_bound(p, "A"), 4);
  EXPECT_EQ(kh::summary_bound(p, "B"), 0);
  p.mode = kh::quota_mode::global;
  p.cap_share = 0.1;
  EXPECT_EQ(kh::summary_bound(p, "A"), -1);
}

TEST(Shard, LevelsInCascadeWithALevelMinimum) {
  auto p = grouped(0);
  p.levels = {{.name = "Giải Nhất", .seats = 10},
              {.name = "Giải Nhì", .seats = 30, .min_score = 55}};
  expect_same_as_single(p, round_robin(3));
}

TEST(Shard, TiesIncludeAndExclude) {
  for (auto ties : {kh::tie_policy::include, kh::tie_policy::exclude}) {
    kh::selection_policy p;
    p.per = "district";
    p.mode = kh::quota_mode::apportion;
    p.seats = 45;
    p.ties = ties;
    expect_same_as_single(p, round_robin(3));
  }
}

TEST(Shard, LotteryCapAndEligibleWeights) {
  auto p = grouped(60);
  p.order = {kh::parse_order_key("lottery")};
  p.seed = 7;
  p.cap_share = 0.03;
  p.weigh_eligible = true;
  p.min_score = 30;
  expect_same_as_single(p, round_robin(2));
}

TEST(Shard, EmptyShardsAndShardsHoldingOneGroup) {
  const auto& pool = example_pool();
  const auto& district = pool["district"];
  // Shard 0: all of the first district; shard 1: empty; shard 2: the rest; shard 3: empty.
  std::vector<std::uint32_t> of(pool.size());
  for (std::size_t r = 0; r < pool.size(); ++r) of[r] = district.codes()[r] == 0 ? 0 : 2;
  expect_same_as_single(grouped(50), shard(pool, of, 4));
}

TEST(Shard, MergeRefusesRepeatedShardsAndForeignRows) {
  const auto spec = spec_with(grouped(10));
  const auto local =
      kh::prepared_run::prepare(kh::row_local_spec(spec), example_pool()).execute(example_pool());
  const auto s = kh::summarize_shard(local, spec.policy, 0);
  EXPECT_THAT(
      [&] {
        (void)kh::merge_shards({s, s}, spec.policy);
      },
      ::testing::ThrowsMessage<kh::spec_error>(HasSubstr("repeats")));
  const auto merged = kh::merge_shards({s}, spec.policy);
  EXPECT_THAT([&] { (void)kh::finish_shard(local, merged, 3); },
              ::testing::ThrowsMessage<kh::spec_error>(HasSubstr("not in the merge")));
  const auto half = example_pool().take(std::vector<std::uint32_t>{0, 1, 2, 3});
  const auto other = kh::prepared_run::prepare(kh::row_local_spec(spec), half).execute(half);
  EXPECT_THROW((void)kh::finish_shard(other, merged, 0), kh::spec_error);
  // Rows at shared totals need their resolved order.
  EXPECT_THAT([&] { (void)kh::finish_shard(local, merged, 0); },
              ::testing::ThrowsMessage<kh::spec_error>(HasSubstr("resolve_ties")));
}
