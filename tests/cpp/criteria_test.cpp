#include "khuyenhoc/criteria.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <thread>

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/generate.hpp"

using namespace khuyenhoc;
using ::testing::HasSubstr;

namespace {

const double missing_value = std::numeric_limits<double>::quiet_NaN();

// Five nominees with every column kind; row E has everything missing.
pool small_pool() {
  std::vector<column> cols;
  cols.push_back(column::text("id", {"A", "B", "C", "D", "E"}));
  cols.push_back(column::number(
      "gpa", buffer<double>(std::vector<double>{9.6, 8.7, 8.0, 6.0, missing_value})));
  cols.push_back(column::integer("hours",
                                 buffer<std::int64_t>(std::vector<std::int64_t>{50, 10, 0, 100, 0}),
                                 {1, 1, 1, 1, 0}));
  cols.push_back(column::category("conduct", {0, 1, 0, 2, -1}, {"Tốt", "Khá", "Đạt"}));
  // A: 2 national + 1 provincial; B: 1 provincial; C: none; D: 1 district; E: missing.
  cols.push_back(column::category_list(
      "prizes", {0, 3, 4, 4, 5, 5}, {0, 0, 1, 1, 2},
      {"Quốc gia - Giải Nhất", "Tỉnh - Giải Ba", "Huyện - Giải Nhì"}, {1, 1, 1, 1, 0}));
  cols.push_back(column::boolean("orphan", {0, 1, 0, 1, 0}, {1, 1, 1, 1, 0}));
  cols.push_back(column::text("note", {"", "", "", "", ""}));
  return pool(std::move(cols), "id");
}

const char* const basic_yaml = R"(
id: test
name: Bộ tiêu chí thử
max_points: 100
criteria:
  - id: hoc_tap
    name: Học tập
    max_points: 40
    indicators:
      - id: gpa
        name: Điểm TB
        column: gpa
        mandatory: true
        bands:
          - {at_least: 9.5, points: 30}
          - {at_least: 8.5, points: 20}
          - {at_least: 8.0, points: 10}
        otherwise: 0
      - id: hours
        column: hours
        missing: zero
        linear: {min: 0, max: 40, points: 20}
  - id: khac
    name: Khác
    indicators:
      - id: conduct
        column: conduct
        map: {"Tốt": 10, "Khá": 5}
        other: 1
      - id: prizes
        column: prizes
        max_points: 25
        missing: zero
        per_item:
          points: 1
          kinds:
            - {prefix: "Quốc gia", points: 10}
            - {prefix: "Tỉnh", points: 6}
      - id: orphan
        column: orphan
        missing: zero
        weight: 2
        boolean: {points: 5}
levels:
  - {code: xs, name: Xuất sắc, min: 70}
  - {code: tot, name: Tốt, min: 40}
  - {code: kd, name: Không đạt}
)";

std::string source_dir() {
  return KHUYENHOC_SOURCE_DIR;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(criteria, every_kind_caps_and_weights) {
  const auto p = small_pool();
  const auto set = criteria_set::from_yaml(basic_yaml, "basic.yaml");
  const auto t = set.score(p);
  ASSERT_EQ(t.size(), 5U);
  ASSERT_EQ(t.indicator_count(), 5U);
  const auto& P = t.points();
  // gpa bands
  EXPECT_DOUBLE_EQ(P(0, 0), 30);
  EXPECT_DOUBLE_EQ(P(1, 0), 20);
  EXPECT_DOUBLE_EQ(P(2, 0), 10);  // 8.0 is inclusive
  EXPECT_DOUBLE_EQ(P(3, 0), 0);
  EXPECT_DOUBLE_EQ(P(4, 0), 0);  // missing
  // hours linear, clamped
  EXPECT_DOUBLE_EQ(P(0, 1), 20);
  EXPECT_DOUBLE_EQ(P(1, 1), 5);
  EXPECT_DOUBLE_EQ(P(2, 1), 0);
  EXPECT_DOUBLE_EQ(P(3, 1), 20);
  // conduct map with other
  EXPECT_DOUBLE_EQ(P(0, 2), 10);
  EXPECT_DOUBLE_EQ(P(1, 2), 5);
  EXPECT_DOUBLE_EQ(P(3, 2), 1);
  // prizes per item, capped: A = 10 + 10 + 6 = 26 → 25
  EXPECT_DOUBLE_EQ(P(0, 3), 25);
  EXPECT_DOUBLE_EQ(P(1, 3), 6);
  EXPECT_DOUBLE_EQ(P(2, 3), 0);
  EXPECT_DOUBLE_EQ(P(3, 3), 1);
  // orphan boolean with weight 2
  EXPECT_DOUBLE_EQ(P(1, 4), 10);
  EXPECT_DOUBLE_EQ(P(0, 4), 0);
  // subtotals (post-order: hoc_tap, khac) with caps, total
  const auto& S = t.subtotals();
  EXPECT_DOUBLE_EQ(S(0, 0), 40);  // 30 + 20 capped at 40
  EXPECT_DOUBLE_EQ(S(0, 1), 35);
  EXPECT_DOUBLE_EQ(t.total()[0], 75);
  EXPECT_DOUBLE_EQ(t.total()[1], 25 + 21);
  // levels
  EXPECT_EQ(t.level()[0], 0);
  EXPECT_EQ(t.level()[1], 1);
  EXPECT_EQ(t.level()[2], 2);  // 10 + 0 + 10 + 0 + 0 = 20
  // D: GPA 6.0 fails the mandatory indicator: lowest level whatever the total
  EXPECT_EQ(t.mandatory_met()[3], 0);
  EXPECT_EQ(t.level()[3], 2);
  // E: gpa missing with missing: fail (default); conduct also fail
  EXPECT_EQ(t.unclassifiable()[4], 1);
  EXPECT_EQ(t.level()[4], -1);
  EXPECT_EQ(t.reason_indicator()[4], 0);
  EXPECT_THAT(t.reason(4), HasSubstr("\"gpa\""));
  EXPECT_EQ(t.reason(0), "");
}

TEST(criteria, mandatory_blocks_levels_above_the_lowest) {
  // D totals 20 + 0 + 1 + 1 + 10 = 32: "Tốt" once its threshold is 30, unless the mandatory
  // GPA indicator (0 points) blocks it.
  std::string y = basic_yaml;
  y.replace(y.find("min: 40"), 7, "min: 30");
  const auto with = criteria_set::from_yaml(y).score(small_pool());
  EXPECT_DOUBLE_EQ(with.total()[3], 32);
  EXPECT_EQ(with.mandatory_met()[3], 0);
  EXPECT_EQ(with.level()[3], 2);
  y.replace(y.find("mandatory: true"), 15, "mandatory: false");
  const auto without = criteria_set::from_yaml(y).score(small_pool());
  EXPECT_EQ(without.mandatory_met()[3], 1);
  EXPECT_EQ(without.level()[3], 1);
}

TEST(criteria, missing_policies) {
  const auto p = small_pool();
  std::string zero = basic_yaml;
  zero.replace(zero.find("mandatory: true"), 15, "missing: zero");
  const auto t = criteria_set::from_yaml(zero).score(p);
  // gpa no longer fails, but conduct (default fail) still does
  EXPECT_EQ(t.unclassifiable()[4], 1);
  EXPECT_EQ(t.reason_indicator()[4], 2);
  EXPECT_EQ(t.fired()[0 * 5 + 4], detail::fired_missing);

  std::string err = basic_yaml;
  err.replace(err.find("mandatory: true"), 15, "missing: error");
  const auto msg = error_of([&] { (void)criteria_set::from_yaml(err).score(p); });
  EXPECT_THAT(msg, HasSubstr("row \"E\""));
  EXPECT_THAT(msg, HasSubstr("column \"gpa\""));
  EXPECT_THROW((void)criteria_set::from_yaml(err).score(p), data_error);
}

TEST(criteria, bands_lower_is_better_and_ranges) {
  const auto p = small_pool();
  const auto set = criteria_set::from_yaml(R"(
indicators:
  - id: low
    column: gpa
    missing: zero
    bands:
      - {at_most: 6.0, points: 9}
      - {at_most: 8.0, points: 5}
  - id: ranges
    column: gpa
    missing: zero
    bands:
      - {from: 9.0, to: 10, points: 3}
      - {from: 8.5, below: 9.0, points: 2}
      - {above: 7.0, below: 8.5, points: 1}
    otherwise: 0.5
)");
  const auto t = set.score(p);
  const auto& P = t.points();
  EXPECT_DOUBLE_EQ(P(3, 0), 9);  // 6.0 ≤ 6.0
  EXPECT_DOUBLE_EQ(P(2, 0), 5);  // 8.0 in (6, 8]
  EXPECT_DOUBLE_EQ(P(1, 0), 0);  // 8.7 in no band
  EXPECT_DOUBLE_EQ(P(0, 1), 3);
  EXPECT_DOUBLE_EQ(P(1, 1), 2);
  EXPECT_DOUBLE_EQ(P(2, 1), 1);
  EXPECT_DOUBLE_EQ(P(3, 1), 0.5);
  EXPECT_EQ(t.fired()[5 + 3], -1);
  EXPECT_EQ(t.level()[0], -1);  // no levels defined
}

TEST(criteria, nested_criteria_and_level_require) {
  const auto set = criteria_set::from_yaml(R"(
criteria:
  - id: outer
    weight: 0.5
    criteria:
      - id: inner
        max_points: 8
        indicators:
          - {id: c, column: conduct, map: {"Tốt": 10, "Khá": 4}}
    indicators:
      - {id: o, column: orphan, missing: zero, boolean: 2}
levels:
  - {code: a, min: 4, require: [o]}
  - {code: b, min: 2}
  - {code: c}
)");
  const auto t = set.score(small_pool());
  ASSERT_EQ(t.criterion_count(), 2U);
  EXPECT_EQ(t.criteria().criterion_ids()[0], "inner");
  EXPECT_DOUBLE_EQ(t.subtotals()(0, 0), 8);  // 10 capped at 8
  EXPECT_DOUBLE_EQ(t.subtotals()(0, 1), 4);  // (0 + 8) · 0.5
  EXPECT_DOUBLE_EQ(t.subtotals()(1, 1), 3);  // (2 + 4) · 0.5
  EXPECT_EQ(t.level()[0], 1);                // 4 points but "o" not met
  EXPECT_EQ(t.level()[1], 1);                // 3 points
  const auto e = t.explain(std::string_view("A"));
  EXPECT_TRUE(e.criteria[0].capped);
  EXPECT_EQ(e.criteria[0].parent, "outer");
}

TEST(criteria, explanations_come_from_stored_results) {
  const auto t = criteria_set::from_yaml(basic_yaml, "basic.yaml").score(small_pool());
  const auto e = t.explain(std::string_view("A"));
  EXPECT_EQ(e.id, "A");
  EXPECT_DOUBLE_EQ(e.total, 75);
  EXPECT_EQ(e.level_name, "Xuất sắc");
  ASSERT_EQ(e.indicators.size(), 5U);
  EXPECT_EQ(e.indicators[0].input, "9.6");
  EXPECT_EQ(e.indicators[0].fired, 0);
  EXPECT_THAT(e.indicators[0].rule, HasSubstr("x ≥ 9.5"));
  EXPECT_DOUBLE_EQ(e.indicators[3].raw_points, 26);
  EXPECT_TRUE(e.indicators[3].capped);
  EXPECT_DOUBLE_EQ(e.indicators[3].points, 25);
  EXPECT_TRUE(e.criteria[0].capped);
  EXPECT_DOUBLE_EQ(e.criteria[0].sum, 50);
  EXPECT_THAT(e.str(), HasSubstr("capped at 40"));
  const auto m = t.explain(std::string_view("E"));
  EXPECT_TRUE(m.unclassifiable);
  EXPECT_TRUE(m.indicators[0].missing);
  EXPECT_THAT(m.str(), HasSubstr("unclassifiable"));
  EXPECT_THROW((void)t.explain(std::string_view("nobody")), data_error);
}

TEST(criteria, located_spec_errors) {
  const auto p = small_pool();
  auto with = [](std::string from, std::string_view what, std::string_view by) {
    from.replace(from.find(what), what.size(), by);
    return from;
  };
  // unknown column, with a suggestion, at the indicator's line
  auto msg = error_of([&] {
    (void)criteria_set::from_yaml(with(basic_yaml, "column: gpa", "column: gpaa"), "b.yaml")
        .compile(p);
  });
  EXPECT_THAT(msg, HasSubstr("b.yaml:10:"));
  EXPECT_THAT(msg, HasSubstr("did you mean \"gpa\""));
  EXPECT_THROW(
      (void)criteria_set::from_yaml(with(basic_yaml, "column: gpa", "column: gpaa")).compile(p),
      schema_error);
  // wrong column type for the kind
  msg = error_of([&] {
    (void)criteria_set::from_yaml(with(basic_yaml, "column: conduct", "column: gpa")).compile(p);
  });
  EXPECT_THAT(msg, HasSubstr("needs a category column"));
  // overlapping bands (ranges) and unsorted steps
  msg = error_of([&] {
    (void)criteria_set::from_yaml(R"(indicators:
  - id: x
    column: gpa
    bands:
      - {from: 8.0, to: 9.0, points: 1}
      - {from: 9.0, to: 10, points: 2}
)",
                                  "o.yaml");
  });
  EXPECT_THAT(msg, HasSubstr("o.yaml:6:9"));
  EXPECT_THAT(msg, HasSubstr("overlaps"));
  msg = error_of([&] {
    (void)criteria_set::from_yaml(with(basic_yaml, "at_least: 8.5", "at_least: 9.7"), "u.yaml");
  });
  EXPECT_THAT(msg, HasSubstr("u.yaml:16:13"));
  EXPECT_THAT(msg, HasSubstr("out of order"));
  // negative points
  msg = error_of([&] {
    (void)criteria_set::from_yaml(with(basic_yaml, "points: 20}", "points: -20}"), "n.yaml");
  });
  EXPECT_THAT(msg, HasSubstr("n.yaml:"));
  EXPECT_THAT(msg, HasSubstr("≥ 0"));
  EXPECT_THROW((void)criteria_set::from_yaml(with(basic_yaml, "points: 20}", "points: -20}")),
               spec_error);
  // unknown key, with a suggestion, at the key's position
  msg = error_of([&] {
    (void)criteria_set::from_yaml(with(basic_yaml, "otherwise: 0", "otherwize: 0"), "k.yaml");
  });
  EXPECT_THAT(msg, HasSubstr("k.yaml:18:9"));
  EXPECT_THAT(msg, HasSubstr("unknown key \"otherwize\""));
  EXPECT_THAT(msg, HasSubstr("did you mean \"otherwise\""));
  // NaN and negative weights
  EXPECT_THROW((void)criteria_set::from_yaml(with(basic_yaml, "weight: 2", "weight: .nan")),
               spec_error);
  EXPECT_THROW((void)criteria_set::from_yaml(with(basic_yaml, "weight: 2", "weight: -1")),
               spec_error);
  // levels out of order, duplicate ids, malformed YAML
  EXPECT_THROW((void)criteria_set::from_yaml(with(basic_yaml, "min: 40", "min: 80")), spec_error);
  EXPECT_THROW((void)criteria_set::from_yaml(with(basic_yaml, "id: hours", "id: gpa")), spec_error);
  EXPECT_THROW((void)criteria_set::from_yaml("criteria: [ {id: x"), parse_error);
  // JSON is accepted
  const auto j = criteria_set::from_yaml(
      R"({"indicators": [{"id": "g", "column": "gpa", "missing": "zero", "linear": {"min": 0, "max": 10, "points": 10}}]})");
  EXPECT_DOUBLE_EQ(j.score(p).total()[1], 8.7);
}

TEST(criteria, schema_checked_when_scoring_another_pool) {
  const auto compiled = criteria_set::from_yaml(basic_yaml).compile(small_pool());
  std::vector<column> cols;
  cols.push_back(column::text("id", {"X"}));
  cols.push_back(column::text("gpa", {"9"}));
  const pool other(std::move(cols), "id");
  EXPECT_THROW((void)compiled.score(other), schema_error);
}

TEST(criteria, identical_results_at_any_thread_count) {
  const auto p = generate_pool(50000, {.seed = 7});
  const auto set = criteria_set::from_file(source_dir() + "/examples/criteria/honour_pupils.yaml");
  const auto one = set.score(p, {.threads = 1, .chunk_rows = 16384});
  for (const unsigned threads : {2U, 3U, 8U}) {
    const auto many = set.score(p, {.threads = threads, .chunk_rows = 1000});
    EXPECT_TRUE(one.points() == many.points());
    EXPECT_TRUE(one.subtotals() == many.subtotals());
    EXPECT_TRUE(one.total() == many.total());
    EXPECT_TRUE(std::equal(one.level().begin(), one.level().end(), many.level().begin()));
    EXPECT_TRUE(std::equal(one.fired().begin(), one.fired().end(), many.fired().begin()));
  }
}

namespace {

// Bytes of n values (bit-identity, NaN-safe).
template <class T>
bool same_bytes(const T* a, const T* b, std::size_t n) {
  return n == 0 || std::memcmp(a, b, n * sizeof(T)) == 0;
}

// A table scored without the breakdown has the same totals, levels, flags and reasons, bit for
// bit, as one scored with it; its breakdown, per row (explain) or whole (points...), too.
void expect_totals_only_identical(const criteria_set& set, const pool& p, unsigned threads,
                                  std::size_t chunk_rows) {
  const auto full = set.score(p, {.threads = threads, .chunk_rows = chunk_rows});
  const auto lean =
      set.score(p, {.threads = threads, .chunk_rows = chunk_rows, .breakdown = false});
  const std::size_t n = p.size();
  ASSERT_TRUE(full.has_breakdown());
  ASSERT_FALSE(lean.has_breakdown());
  EXPECT_TRUE(same_bytes(full.total().data(), lean.total().data(), n));
  EXPECT_TRUE(same_bytes(full.level().data(), lean.level().data(), n));
  EXPECT_TRUE(same_bytes(full.unclassifiable().data(), lean.unclassifiable().data(), n));
  EXPECT_TRUE(same_bytes(full.mandatory_met().data(), lean.mandatory_met().data(), n));
  EXPECT_TRUE(same_bytes(full.reason_indicator().data(), lean.reason_indicator().data(), n));
  // explain() of a table without the breakdown scores that row alone, and stores nothing.
  for (std::size_t r = 0; r < n; r += std::max<std::size_t>(1, n / 37)) {
    const auto a = full.explain(r), b = lean.explain(r);
    EXPECT_EQ(a.str(), b.str()) << r;
    ASSERT_EQ(a.indicators.size(), b.indicators.size());
    for (std::size_t k = 0; k < a.indicators.size(); ++k) {
      EXPECT_TRUE(same_bytes(&a.indicators[k].points, &b.indicators[k].points, 1)) << r;
      EXPECT_EQ(a.indicators[k].fired, b.indicators[k].fired) << r;
    }
    ASSERT_EQ(a.criteria.size(), b.criteria.size());
    for (std::size_t c = 0; c < a.criteria.size(); ++c) {
      EXPECT_TRUE(same_bytes(&a.criteria[c].points, &b.criteria[c].points, 1)) << r;
      EXPECT_TRUE(same_bytes(&a.criteria[c].sum, &b.criteria[c].sum, 1)) << r;
    }
  }
  EXPECT_FALSE(lean.has_breakdown());
  // The whole breakdown on demand, computed once even when asked from two threads at once.
  const double* seen[2] = {nullptr, nullptr};
  std::thread other([&] { seen[1] = lean.points().data(); });
  seen[0] = lean.points().data();
  other.join();
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_TRUE(lean.has_breakdown());
  const std::size_t k = full.indicator_count(), c = full.criterion_count();
  EXPECT_TRUE(same_bytes(full.points().data(), lean.points().data(), n * k));
  EXPECT_TRUE(same_bytes(full.subtotals().data(), lean.subtotals().data(), n * c));
  EXPECT_TRUE(same_bytes(full.fired().data(), lean.fired().data(), n * k));
}

}  // namespace

TEST(criteria, totals_only_scoring_is_bit_identical_and_computes_the_breakdown_on_demand) {
  const auto generated = generate_pool(30000, {.seed = 11});
  const auto bundled = read_csv(source_dir() + "/examples/pool.csv");
  for (const char* name : {"honour_pupils", "hoc_bong_vuot_kho", "cong_dan_hoc_tap"}) {
    SCOPED_TRACE(name);
    const auto set = criteria_set::from_file(source_dir() + "/examples/criteria/" + name + ".yaml");
    expect_totals_only_identical(set, generated, 2, 4096);
    expect_totals_only_identical(set, generated, 1, 16384);
    expect_totals_only_identical(set, bundled, 3, 7);
  }
  // Missing inputs (fail and zero), mandatory nodes, a sub-criterion with a cap and weight.
  std::string zero = basic_yaml;
  zero.replace(zero.find("mandatory: true"), 15, "missing: zero");
  for (const std::string& yaml : {std::string(basic_yaml), zero}) {
    expect_totals_only_identical(criteria_set::from_yaml(yaml), small_pool(), 2, 2);
  }
}

TEST(criteria, example_sets_score_generated_and_bundled_pools) {
  const auto generated = generate_pool(20000, {.seed = 2024});
  const auto bundled = read_csv(source_dir() + "/examples/pool.csv");
  for (const char* name : {"honour_pupils", "hoc_bong_vuot_kho", "cong_dan_hoc_tap"}) {
    const auto set = criteria_set::from_file(source_dir() + "/examples/criteria/" + name + ".yaml");
    EXPECT_FALSE(set.spec().source.empty()) << name;
    for (const pool* p : {&generated, &bundled}) {
      const auto t = set.score(*p);
      ASSERT_EQ(t.size(), p->size());
      std::vector<std::size_t> per_level(set.spec().levels.size() + 1);
      for (std::size_t r = 0; r < t.size(); ++r) {
        EXPECT_TRUE(std::isfinite(t.total()[static_cast<Eigen::Index>(r)]));
        EXPECT_LE(t.total()[static_cast<Eigen::Index>(r)], 100.0);
        ++per_level[static_cast<std::size_t>(t.level()[r] + 1)];
      }
      // Every level but the unclassifiable bucket is reached by someone in a large pool.
      if (p == &generated) {
        for (std::size_t l = 1; l < per_level.size(); ++l)
          EXPECT_GT(per_level[l], 0U) << name << " level " << l;
      }
      (void)t.explain(0).str();
    }
  }
}

TEST(criteria, panel_aggregation) {
  panel_scores s;
  auto add = [&](const char* j, const char* n, const char* i, double v) {
    s.judge.emplace_back(j);
    s.nominee.emplace_back(n);
    s.indicator.emplace_back(i);
    s.score.push_back(v);
  };
  add("j1", "A", "x", 8);
  add("j2", "A", "x", 6);
  add("j3", "A", "x", 10);
  add("j4", "A", "x", 9);
  add("j1", "B", "x", 5);
  add("j2", "B", "x", 5.5);
  add("j1", "C", "x", 7);
  auto r = aggregate_panel(s, {.method = panel_method::mean, .min_judges = 2, .threshold = 3});
  ASSERT_EQ(r.nominee.size(), 3U);
  EXPECT_EQ(r.nominee[0], "A");
  EXPECT_DOUBLE_EQ(r.score[0], 8.25);
  EXPECT_DOUBLE_EQ(r.score[1], 5.25);
  EXPECT_TRUE(std::isnan(r.score[2]));
  EXPECT_EQ(r.enough[2], 0);
  EXPECT_EQ(r.judges[0], 4U);
  EXPECT_DOUBLE_EQ(r.spread[0], 4);
  EXPECT_EQ(r.disagree[0], 1);
  EXPECT_EQ(r.disagree[1], 0);
  r = aggregate_panel(s, {.method = panel_method::median});
  EXPECT_DOUBLE_EQ(r.score[0], 8.5);
  r = aggregate_panel(s, {.method = panel_method::trimmed});
  EXPECT_DOUBLE_EQ(r.score[0], 8.5);   // drop 6 and 10
  EXPECT_DOUBLE_EQ(r.score[1], 5.25);  // fewer than 3: plain mean
  r = aggregate_panel(s, {.measure = disagreement_measure::std});
  EXPECT_NEAR(r.spread[0], std::sqrt((0.0625 + 5.0625 + 3.0625 + 0.5625) / 4), 1e-12);
  // Input order does not matter.
  panel_scores rev = s;
  std::reverse(rev.judge.begin(), rev.judge.end());
  std::reverse(rev.nominee.begin(), rev.nominee.end());
  std::reverse(rev.indicator.begin(), rev.indicator.end());
  std::reverse(rev.score.begin(), rev.score.end());
  const auto a = aggregate_panel(s, {.calibration = panel_calibration::zscore});
  const auto b = aggregate_panel(rev, {.calibration = panel_calibration::zscore});
  EXPECT_EQ(a.score, b.score);
  // Duplicates and NaN are errors.
  add("j1", "A", "x", 1);
  EXPECT_THROW((void)aggregate_panel(s), data_error);
  s.score.back() = missing_value;
  EXPECT_THROW((void)aggregate_panel(s), data_error);
}

TEST(criteria, panel_calibration_removes_judge_severity) {
  // j2 scores everyone exactly 2 lower than j1: after calibration both agree.
  panel_scores s;
  const char* nominees[] = {"A", "B", "C", "D"};
  const double base[] = {6, 7, 8, 9};
  for (int i = 0; i < 4; ++i) {
    for (const auto& [j, shift] : {std::pair{"j1", 0.0}, std::pair{"j2", -2.0}}) {
      s.judge.emplace_back(j);
      s.nominee.emplace_back(nominees[i]);
      s.indicator.emplace_back("x");
      s.score.push_back(base[i] + shift);
    }
  }
  for (const auto how : {panel_calibration::zscore, panel_calibration::median_mad}) {
    const auto r = aggregate_panel(s, {.calibration = how, .threshold = 1e-9});
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_NEAR(r.spread[i], 0, 1e-12);
      EXPECT_EQ(r.disagree[i], 0);
    }
    EXPECT_NEAR(r.score[3] - r.score[0], 3.0, 1e-12);  // the panel's scale is kept
  }
  const auto raw = aggregate_panel(s, {.threshold = 1});
  EXPECT_EQ(raw.disagree[0], 1);
}

TEST(criteria, mcda_definitions) {
  Eigen::MatrixXd m(3, 2);
  m << 1, 3000, 2, 3750, 5, 4500;
  const std::vector<objective> types{objective::cost, objective::benefit};
  const std::vector<double> w{0.5, 0.5};
  // pymcdm's documented example: TOPSIS (minmax) gives 0.5, 0.617, 0.5.
  const auto t = topsis(m, w, types, normalization::minmax);
  EXPECT_NEAR(t[0], 0.5, 1e-12);
  EXPECT_NEAR(t[1], 0.6173, 1e-4);
  EXPECT_NEAR(t[2], 0.5, 1e-12);
  const auto ws = weighted_sum(m, w, types, normalization::minmax);
  EXPECT_NEAR(ws[1], 0.5 * 0.75 + 0.5 * 0.5, 1e-12);
  // Constant columns are defined: minmax → 1, zscore → 0; never NaN.
  Eigen::MatrixXd c = Eigen::MatrixXd::Constant(4, 2, 3.0);
  const auto n1 = normalize(c, types, normalization::minmax);
  EXPECT_TRUE((n1.array() == 1.0).all());
  const auto n2 = normalize(c, types, normalization::zscore);
  EXPECT_TRUE((n2.array() == 0.0).all());
  const auto tc = topsis(c, w, types, normalization::vector);
  EXPECT_TRUE((tc.array() == 0.5).all());
  // Bad weights are rejected.
  EXPECT_THROW((void)weighted_sum(m, std::vector<double>{missing_value, 1}, types), spec_error);
  EXPECT_THROW((void)weighted_sum(m, std::vector<double>{-1, 1}, types), spec_error);
  EXPECT_THROW((void)weighted_sum(m, std::vector<double>{0, 0}, types), spec_error);
  EXPECT_THROW((void)parse_normalization("l2"), spec_error);
  // From a pool.
  const auto p = small_pool();
  EXPECT_THROW((void)mcda_matrix(p, std::vector<std::string>{"gpa"}), data_error);
  EXPECT_THROW((void)mcda_matrix(p, std::vector<std::string>{"conduct"}), schema_error);
}

TEST(criteria, mcda_normalisations_by_definition) {
  Eigen::MatrixXd m(4, 2);
  m << 1, 4, 2, 3, 3, 2, 6, 1;
  const std::vector<objective> types{objective::benefit, objective::cost};
  const auto z = normalize(m, types, normalization::zscore);
  const double mean = 3.0, sd = std::sqrt((4.0 + 1.0 + 0.0 + 9.0) / 4.0);  // population σ
  EXPECT_NEAR(z(3, 0), (6 - mean) / sd, 1e-15);
  EXPECT_NEAR(z(0, 1), (2.5 - 4) / std::sqrt(1.25), 1e-15);  // cost: (μ − x)/σ
  const auto v = normalize(m, types, normalization::vector);
  EXPECT_NEAR(v(1, 0), 2 / std::sqrt(50.0), 1e-15);
  EXPECT_NEAR(v(1, 1), 1 - 3 / std::sqrt(30.0), 1e-15);
  const auto mm = normalize(m, types, normalization::minmax);
  EXPECT_DOUBLE_EQ(mm(1, 0), 0.2);
  EXPECT_DOUBLE_EQ(mm(1, 1), 1.0 / 3.0);
  // TOPSIS without normalisation takes the minimum of a cost column as ideal.
  const std::vector<double> w{1, 1};
  const auto t = topsis(m, w, types, normalization::none);
  EXPECT_NEAR(t[3], 1.0, 1e-15);  // best on both
  EXPECT_NEAR(t[0], 0.0, 1e-15);  // worst on both
  // Thread count does not change the result.
  Eigen::MatrixXd big = Eigen::MatrixXd::Random(20000, 3);
  const std::vector<objective> t3{objective::benefit, objective::cost, objective::benefit};
  const std::vector<double> w3{0.2, 0.3, 0.5};
  EXPECT_TRUE(topsis(big, w3, t3, normalization::vector, 1) ==
              topsis(big, w3, t3, normalization::vector, 3));
  EXPECT_TRUE(weighted_sum(big, w3, t3, normalization::zscore, 1) ==
              weighted_sum(big, w3, t3, normalization::zscore, 3));
}

// ------------------------------------------------------------------------------------ decimals

namespace {

pool grades_pool() {
  std::vector<column> cols;
  cols.push_back(column::text("id", {"A", "B", "C", "D"}));
  cols.push_back(column::number("toan", buffer<double>(std::vector<double>{8.7, 1.1, 9.5, 8.0})));
  cols.push_back(column::number("van", buffer<double>(std::vector<double>{8.1, 2.2, 8.0, 8.0})));
  cols.push_back(column::number("anh", buffer<double>(std::vector<double>{8.7, 3.3, 8.0, 8.0})));
  cols.push_back(
      column::category_list("prizes", {0, 2, 2, 3, 3}, {0, 1, 2},
                            {"Tỉnh - Giải Nhì@15/03/2024", "Quốc gia - Giải Ba@02/10/2023",
                             "Tỉnh - Giải Nhất@20/09/2024"},
                            {}));
  return pool(std::move(cols), "id");
}

const char* const derived_yaml = R"(
id: decimals
precision: 2
params: {threshold: 8.5, window_start: 01/09/2023, window_end: 31/08/2024}
indicators:
  - id: tb
    value: avg(toan, van, anh)
    bands:
      - {at_least: 8.5, points: 10}
      - {at_least: 6.5, points: 5}
  - id: giai
    value: count(prizes, date_of(it) between window_start and window_end)
    linear: {min: 0, max: 3, points: 1}
  - id: dat
    value: avg(toan, van, anh) >= threshold
    boolean: {points: 0.1}
  - id: tong
    value: toan + van
    bands:
      - {from: 3.3, to: 3.3, points: 2}
levels:
  - {code: tot, min: 10.67}
  - {code: dat}
)";

}  // namespace

TEST(criteria_decimals, average_at_a_band_threshold_and_totals_at_precision) {
  const auto p = grades_pool();
  const auto t = criteria_set::from_yaml(derived_yaml).score(p);
  // A: (8.7 + 8.1 + 8.7) / 3 = 8.5 on paper (8.499999999999998 as doubles): the top band.
  EXPECT_EQ(t.points()(0, 0), 10);
  EXPECT_EQ(t.points()(1, 0), 0);
  EXPECT_EQ(t.points()(2, 0), 10);
  EXPECT_EQ(t.points()(3, 0), 5);
  // Two prizes of A in the window of three: 2/3 of a point, rounded to 2 decimals.
  EXPECT_EQ(t.points()(0, 1), 0.67);
  EXPECT_EQ(t.points()(1, 1), 0);
  EXPECT_EQ(t.points()(0, 2), 0.1);
  EXPECT_EQ(t.points()(3, 2), 0);
  // 1.1 + 2.2 is 3.3 (a band of one value).
  EXPECT_EQ(t.points()(1, 3), 2);
  // Totals are the doubles of their 2-decimal values: equal on paper, equal bits.
  EXPECT_EQ(t.total()(0), 10.77);
  EXPECT_EQ(t.total()(2), 10.1);
  EXPECT_EQ(t.level()[0], 0);
  EXPECT_EQ(t.level()[2], 1);
  const auto e = t.explain("A");
  EXPECT_EQ(e.indicators[0].column, "avg(toan, van, anh)");
  EXPECT_EQ(e.indicators[0].input, "8.5");

  // Parameters can be replaced before compiling.
  auto spec = parse_criteria_yaml(derived_yaml);
  override_parameters(spec.params, {parse_param_assignment("window_end=31/12/2024")});
  const auto u = criteria_set(spec).score(p);
  EXPECT_EQ(u.points()(0, 1), 0.67);
  EXPECT_EQ(u.points()(2, 1), 0.33);
}

TEST(criteria_decimals, value_expression_errors_are_located) {
  const auto p = grades_pool();
  auto error_of = [&](const std::string& yaml) -> std::string {
    try {
      (void)criteria_set::from_yaml(yaml, "c.yaml").compile(p);
    } catch (const error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(error_of("indicators:\n  - id: a\n    value: avg(toan, vann)\n    bands: [{at_least: "
                       "1, points: 1}]\n"),
              HasSubstr("c.yaml:3:22: unknown column \"vann\"; did you mean \"van\""));
  EXPECT_THAT(
      error_of(
          "indicators:\n  - id: a\n    value: toan > 1\n    bands: [{at_least: 1, points: 1}]\n"),
      HasSubstr("indicator \"a\" (bands) needs a number or integer column; its value \"toan > 1\" "
                "is a boolean"));
  EXPECT_THAT(error_of("indicators:\n  - id: a\n    value: toan\n    column: toan\n    bands: "
                       "[{at_least: 1, points: 1}]\n"),
              HasSubstr("both \"column\" and \"value\""));
  EXPECT_THAT(error_of("precision: 7\nindicators:\n  - id: a\n    column: toan\n    bands: "
                       "[{at_least: 1, points: 1}]\n"),
              HasSubstr("precision"));
}
