// The header-only engines, used as a consumer that links nothing of khuyenhoc would use them:
// this test's executable is linked with GoogleTest only (tests/CMakeLists.txt), so a function
// of these headers that needed libkhuyenhoc would fail to link. The numbers are the ones the
// library's own tests and pandas give for the same inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "khuyenhoc/apportion.hpp"
#include "khuyenhoc/ranking.hpp"

namespace kh = khuyenhoc;

TEST(header_only, rank_as_pandas) {
  const std::vector<double> v{8.5, 9.0, 8.5, std::nan(""), 7.25};
  const auto avg = kh::rank(v, kh::rank_method::average, /*ascending=*/false, kh::na_option::keep);
  EXPECT_EQ(avg[0], 2.5);
  EXPECT_EQ(avg[1], 1.0);
  EXPECT_EQ(avg[2], 2.5);
  EXPECT_TRUE(std::isnan(avg[3]));
  EXPECT_EQ(avg[4], 4.0);
  const auto dense = kh::rank(v, kh::rank_method::dense, /*ascending=*/true);
  EXPECT_EQ(dense[4], 1.0);
  EXPECT_EQ(dense[0], 2.0);
  EXPECT_EQ(dense[1], 3.0);
}

TEST(header_only, order_and_top_k_per_group) {
  const std::vector<double> score{70, 90, 80, 90, 60, 85};
  const std::vector<std::int64_t> id{1, 2, 3, 4, 5, 6};
  kh::sort_keys keys(score.size());
  keys.add(std::span<const double>(score), kh::sort_direction::descending);
  keys.add(std::span<const std::int64_t>(id), kh::sort_direction::ascending);
  EXPECT_EQ(kh::order(keys), (std::vector<std::uint32_t>{1, 3, 5, 2, 0, 4}));
  const std::vector<std::int32_t> group{0, 0, 1, 1, 0, 1};
  const std::vector<std::int64_t> k{2, 1};
  const auto top = kh::top_k_per_group(keys, group, k);
  ASSERT_EQ(top.groups(), 2U);
  EXPECT_EQ(std::vector<std::uint32_t>(top.group(0).begin(), top.group(0).end()),
            (std::vector<std::uint32_t>{1, 0}));
  EXPECT_EQ(std::vector<std::uint32_t>(top.group(1).begin(), top.group(1).end()),
            (std::vector<std::uint32_t>{3}));
}

TEST(header_only, apportion_worked_examples) {
  const std::vector<double> nominees{50, 30, 20};
  EXPECT_EQ(kh::apportion(nominees, 10, kh::apportion_method::largest_remainder),
            (std::vector<std::int64_t>{5, 3, 2}));
  // D'Hondt on 100 000 / 80 000 / 30 000 / 20 000 votes for 8 seats: 4, 3, 1, 0.
  const std::vector<double> votes{100000, 80000, 30000, 20000};
  EXPECT_EQ(kh::apportion(votes, 8, kh::apportion_method::dhondt),
            (std::vector<std::int64_t>{4, 3, 1, 0}));
}
