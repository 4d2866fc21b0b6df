#include "khuyenhoc/generate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/summary.hpp"

using namespace khuyenhoc;

TEST(generate, deterministic_by_seed) {
  const auto a = write_csv_text(generate_pool(60000, {.seed = 11}));
  const auto b = write_csv_text(generate_pool(60000, {.seed = 11}));
  const auto c = write_csv_text(generate_pool(60000, {.seed = 12}));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(generate, prefix_stable_across_sizes) {
  // Row i depends only on (seed, i): a bigger pool starts with the smaller one.
  const auto small = generate_pool(100, {.seed = 5, .districts = 20});
  const auto big = generate_pool(70000, {.seed = 5, .districts = 20});
  for (std::size_t r = 0; r < small.size(); ++r) {
    for (const auto& c : small.columns()) ASSERT_EQ(c.format(r), big[c.name()].format(r));
  }
}

TEST(generate, realistic_shapes) {
  const auto p = generate_pool(20000, {.seed = 1});
  const auto& d = p["district"];
  EXPECT_GE(d.dictionary().size(), 14U);
  EXPECT_LE(d.dictionary().size(), 30U);
  std::vector<std::size_t> counts(d.dictionary().size());
  for (auto code : d.codes()) ++counts[static_cast<std::size_t>(code)];
  const auto [mn, mx] = std::minmax_element(counts.begin(), counts.end());
  EXPECT_GT(*mn, 0U);
  EXPECT_GT(*mx, 2 * *mn);  // districts of different sizes
  for (double g : p["gpa"].numbers()) {
    if (!std::isnan(g)) {
      EXPECT_GE(g, 0.0);
      EXPECT_LE(g, 10.0);
    }
  }
  EXPECT_GT(p["gpa"].null_count(), 0U);
  const auto& exam = p["exam_score"];
  const auto& grade = p["grade"];
  for (std::size_t r = 0; r < p.size(); ++r) {
    EXPECT_EQ(exam.is_valid(r), grade.integers()[r] == 12);
  }
  std::size_t with_prizes = 0;
  for (std::size_t r = 0; r < p.size(); ++r) with_prizes += !p["prizes"].list_at(r).empty();
  EXPECT_GT(with_prizes, 100U);
  EXPECT_LT(with_prizes, 5000U);
  EXPECT_EQ(p["conduct_history"].list_at(0).size(), 3U);
  std::set<std::string_view> ids;
  for (std::size_t r = 0; r < p.size(); ++r) ids.insert(p.id(r));
  EXPECT_EQ(ids.size(), p.size());
}

TEST(summary, counts_every_row_once_in_vietnamese_order) {
  const auto p = generate_pool(5000, {.seed = 2});
  std::vector<summary_measure> m{parse_summary_measure(p, "gpa"),
                                 parse_summary_measure(p, "mode:conduct"),
                                 parse_summary_measure(p, "orphan")};
  EXPECT_EQ(m[0].stat, "mean");
  EXPECT_EQ(m[2].stat, "share");
  const auto s = summarize(p, "district", m);
  std::size_t total = 0;
  for (auto c : s.counts) total += c;
  EXPECT_EQ(total, p.size());
  EXPECT_EQ(s.total, p.size());
  for (std::size_t i = 1; i < s.groups.size(); ++i) {
    EXPECT_LT(detail::compare_vietnamese(s.groups[i - 1], s.groups[i]), 0);
  }
  const auto text = format_summary(s);
  EXPECT_NE(text.find("Tổng (total)"), std::string::npos);
  EXPECT_THROW((void)parse_summary_measure(p, "mean:district"), spec_error);
  EXPECT_THROW((void)parse_summary_measure(p, "gpaa"), schema_error);
  EXPECT_THROW((void)summarize(p, "gpa", m), schema_error);
}

TEST(summary, vietnamese_collation) {
  EXPECT_LT(detail::compare_vietnamese("Dương Kinh", "Đồ Sơn"), 0);  // D before Đ
  EXPECT_LT(detail::compare_vietnamese("Hải An", "Hoàn Kiếm"), 0);
  EXPECT_LT(detail::compare_vietnamese("Hoàn Kiếm", "Hồng Bàng"), 0);  // o before ô
  EXPECT_LT(detail::compare_vietnamese("An", "Ăn"), 0);
  EXPECT_LT(detail::compare_vietnamese("Ăn", "Ân"), 0);
  EXPECT_EQ(detail::compare_vietnamese("Lê", "Lê"), 0);
  EXPECT_LT(detail::vietnamese_sort_key("Dương"), detail::vietnamese_sort_key("Đồ"));
}
