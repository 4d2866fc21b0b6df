// The selection over shards (shard.hpp): the finished shards' tables equal the single run's
// table row for row (every column), whatever the sharding, for each kind of quota, levels, tie
// policy, caps and lotteries; and the merge refuses inconsistent summaries.
#include "khuyenhoc/shard.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
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

// Runs the shards, merges, finishes, and compares with one run of the concatenated shards.
void expect_same_as_single(const kh::selection_policy& policy,
                           const std::vector<kh::pool>& shards) {
  const auto spec = spec_with(policy);
  const auto local_spec = kh::row_local_spec(spec);
  std::vector<kh::run_result> locals;
  std::vector<kh::shard_summary> summaries;
  std::vector<std::uint32_t> whole_rows;
  for (std::uint32_t i = 0; i < shards.size(); ++i) {
    locals.push_back(kh::prepared_run::prepare(local_spec, example_pool()).execute(shards[i]));
    summaries.push_back(kh::summarize_shard(locals.back(), spec.policy, i));
    for (std::size_t r = 0; r < shards[i].size(); ++r) {
      whole_rows.push_back(*example_pool().row_of(shards[i].id(r)));
    }
  }
  const auto merged = kh::merge_shards(summaries, spec.policy);
  const auto whole = example_pool().take(whole_rows);
  const auto single = kh::prepared_run::prepare(spec, whole).execute(whole);
  const auto& want = single.table();
  std::size_t row = 0;
  for (std::uint32_t i = 0; i < shards.size(); ++i) {
    const auto got = kh::finish_shard(locals[i], merged, i);
    ASSERT_EQ(got.column_names(), want.column_names());
    for (std::size_t r = 0; r < got.size(); ++r, ++row) {
      for (const auto& name : want.column_names()) {
        ASSERT_EQ(cell(got[name], r), cell(want[name], row))
            << "column " << name << ", shard " << i << " row " << r;
      }
    }
  }
  EXPECT_EQ(row, want.size());
  ASSERT_EQ(merged.result.outcomes.size(), single.outcome().outcomes.size());
  for (std::size_t k = 0; k < merged.result.outcomes.size(); ++k) {
    const auto& a = merged.result.outcomes[k];
    const auto& b = single.outcome().outcomes[k];
    EXPECT_EQ(a.group, b.group);
    EXPECT_EQ(a.nominees, b.nominees);
    EXPECT_EQ(a.eligible, b.eligible);
    EXPECT_EQ(a.quota, b.quota);
    EXPECT_EQ(a.selected, b.selected);
  }
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
  expect_same_as_single(p, round_robin(3));
}

TEST(Shard, ApportionedByGroup) {
  expect_same_as_single(grouped(70), round_robin(4));
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
}
