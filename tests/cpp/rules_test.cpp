#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <khuyenhoc/detail/decimal.hpp>
#include <khuyenhoc/generate.hpp>
#include <khuyenhoc/rules.hpp>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kh = khuyenhoc;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

kh::day_number day(int y, int m, int d) {
  return kh::to_day_number(boost::gregorian::date(static_cast<unsigned short>(y),
                                                  static_cast<unsigned short>(m),
                                                  static_cast<unsigned short>(d)));
}

kh::column list(const std::string& name,
                const std::vector<std::optional<std::vector<std::string>>>& rows) {
  std::vector<std::uint32_t> offsets{0};
  std::vector<std::int32_t> codes;
  std::vector<std::string> dict;
  std::vector<std::uint8_t> valid;
  for (const auto& r : rows) {
    valid.push_back(r ? 1 : 0);
    if (r) {
      for (const auto& item : *r) {
        auto it = std::find(dict.begin(), dict.end(), item);
        if (it == dict.end()) {
          dict.push_back(item);
          it = dict.end() - 1;
        }
        codes.push_back(static_cast<std::int32_t>(it - dict.begin()));
      }
    }
    offsets.push_back(static_cast<std::uint32_t>(codes.size()));
  }
  return kh::column::category_list(name, offsets, codes, dict, valid);
}

// Four nominees; C has most values missing.
kh::pool small_pool() {
  std::vector<kh::column> cols;
  cols.push_back(kh::column::text("id", {"A", "B", "C", "D"}));
  cols.push_back(kh::column::number("gpa", kh::buffer<double>({8.5, 7.0, nan_v, 9.0})));
  cols.push_back(
      kh::column::integer("grade", kh::buffer<std::int64_t>({12, 10, 0, 9}), {1, 1, 0, 1}));
  cols.push_back(kh::column::category("conduct", {0, 1, -1, 0}, {"Tốt", "Khá"}));
  cols.push_back(list(
      "conduct_history",
      {std::vector<std::string>{"Tốt", "Tốt", "Khá"}, std::vector<std::string>{"Khá", "Tốt", "Tốt"},
       std::nullopt, std::vector<std::string>{"Tốt", "Tốt", "Tốt"}}));
  cols.push_back(
      list("prizes", {std::vector<std::string>{"Quốc gia - Giải Nhất"}, std::vector<std::string>{},
                      std::vector<std::string>{},
                      std::vector<std::string>{"Tỉnh - Giải Ba", "Quốc tế - Huy chương Vàng"}}));
  cols.push_back(kh::column::date(
      "date_of_birth", {day(2006, 5, 1), day(2008, 12, 31), 0, day(2010, 1, 15)}, {1, 1, 0, 1}));
  cols.push_back(kh::column::boolean("orphan", {0, 1, 0, 0}, {1, 1, 0, 1}));
  cols.push_back(kh::column::text("note", {"abc", "xyz", "", "abd"}, {1, 1, 0, 1}));
  cols.push_back(kh::column::date(
      "submitted_on", {day(2024, 9, 30), day(2024, 10, 2), day(2024, 9, 1), 0}, {1, 1, 1, 0}));
  cols.push_back(kh::column::text("ghi chú", {"x", "y", "z", "w"}));
  return kh::pool(std::move(cols), "id");
}

// -1 unknown, 0 false, 1 true
std::vector<int> truth(const std::string& expr, const kh::pool& p = small_pool()) {
  const auto v = kh::evaluate(expr, p);
  EXPECT_EQ(v.type, kh::value_type::boolean) << expr;
  std::vector<int> out;
  for (std::size_t i = 0; i < v.valid.size(); ++i) out.push_back(v.valid[i] ? v.booleans[i] : -1);
  return out;
}

// NaN printed as -999 for easy comparison.
std::vector<double> numbers(const std::string& expr, const kh::pool& p = small_pool()) {
  const auto v = kh::evaluate(expr, p);
  std::vector<double> out;
  for (double x : v.numbers) out.push_back(std::isnan(x) ? -999 : x);
  return out;
}

template <class E>
std::string error_of(const std::string& expr, const kh::rules_options& opt = {}) {
  try {
    (void)kh::expression::compile(expr, small_pool(), opt);
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG TYPE: ") + e.what();
  }
  return "no error";
}

}  // namespace

TEST(rules_language, arithmetic_with_missing) {
  EXPECT_THAT(numbers("gpa + 1"), ElementsAre(9.5, 8, -999, 10));
  EXPECT_THAT(numbers("gpa * 2 - 1"), ElementsAre(16, 13, -999, 17));
  EXPECT_THAT(numbers("1 + 2 * 3"), ElementsAre(7, 7, 7, 7));
  EXPECT_THAT(numbers("(1 + 2) * 3"), ElementsAre(9, 9, 9, 9));
  EXPECT_THAT(numbers("-gpa"), ElementsAre(-8.5, -7, -999, -9));
  EXPECT_THAT(numbers("gpa / (grade - 10)"), ElementsAre(4.25, -999, -999, -9));  // x/0 missing
  EXPECT_THAT(numbers("grade * 2"), ElementsAre(24, 20, -999, 18));
  EXPECT_THAT(numbers("10 - 4 - 3"), ElementsAre(3, 3, 3, 3));
}

TEST(rules_language, comparisons) {
  EXPECT_THAT(truth("gpa >= 8.0"), ElementsAre(1, 0, -1, 1));
  EXPECT_THAT(truth("gpa > 8.5"), ElementsAre(0, 0, -1, 1));
  EXPECT_THAT(truth("gpa < 8.5"), ElementsAre(0, 1, -1, 0));
  EXPECT_THAT(truth("gpa <= 8.5"), ElementsAre(1, 1, -1, 0));
  EXPECT_THAT(truth("gpa == 7"), ElementsAre(0, 1, -1, 0));
  EXPECT_THAT(truth("gpa != 7"), ElementsAre(1, 0, -1, 1));
  EXPECT_THAT(truth("orphan == true"), ElementsAre(0, 1, -1, 0));
  EXPECT_THAT(truth("orphan != false"), ElementsAre(0, 1, -1, 0));
  EXPECT_THAT(truth("submitted_on <= date(\"30/09/2024\")"), ElementsAre(1, 0, 1, -1));
  EXPECT_THAT(truth("submitted_on < 2024-10-01"), ElementsAre(1, 0, 1, -1));
}

TEST(rules_language, kleene_logic) {
  // p, q over all nine combinations of true / false / missing.
  std::vector<std::uint8_t> pv, pm, qv, qm;
  std::vector<std::string> ids;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      pv.push_back(a == 1);
      pm.push_back(a != 2);
      qv.push_back(b == 1);
      qm.push_back(b != 2);
      ids.push_back(std::to_string(ids.size()));
    }
  std::vector<kh::column> cols;
  cols.push_back(kh::column::text("id", ids));
  cols.push_back(kh::column::boolean("p", pv, pm));
  cols.push_back(kh::column::boolean("q", qv, qm));
  const kh::pool p(std::move(cols), "id");
  // rows: (F,F) (F,T) (F,U) (T,F) (T,T) (T,U) (U,F) (U,T) (U,U)
  EXPECT_THAT(truth("p and q", p), ElementsAre(0, 0, 0, 0, 1, -1, 0, -1, -1));
  EXPECT_THAT(truth("p or q", p), ElementsAre(0, 1, -1, 1, 1, 1, -1, 1, -1));
  EXPECT_THAT(truth("not p", p), ElementsAre(1, 1, 1, 0, 0, 0, -1, -1, -1));
  EXPECT_THAT(truth("not p or q and p", p), ElementsAre(1, 1, 1, 0, 1, -1, -1, -1, -1));
  EXPECT_THAT(truth("p is missing", p), ElementsAre(0, 0, 0, 0, 0, 0, 1, 1, 1));
  EXPECT_THAT(truth("(p and q) is not missing", p), ElementsAre(1, 1, 1, 1, 1, 0, 1, 0, 0));
  EXPECT_THAT(truth("if(p, q, not q)", p), ElementsAre(1, 0, -1, 0, 1, -1, -1, -1, -1));
}

TEST(rules_language, membership_range_missing) {
  EXPECT_THAT(truth("gpa between 7 and 8.5"), ElementsAre(1, 1, -1, 0));
  EXPECT_THAT(truth("gpa between 7 and 8.5 and grade > 9"), ElementsAre(1, 1, -1, 0));
  EXPECT_THAT(truth("grade in [9, 12]"), ElementsAre(1, 0, -1, 1));
  EXPECT_THAT(truth("grade not in [9, 12]"), ElementsAre(0, 1, -1, 0));
  EXPECT_THAT(truth("submitted_on in [2024-09-30, 2024-09-01]"), ElementsAre(1, 0, 1, -1));
  EXPECT_THAT(truth("gpa is missing"), ElementsAre(0, 0, 1, 0));
  EXPECT_THAT(truth("conduct is not missing"), ElementsAre(1, 1, 0, 1));
  EXPECT_THAT(truth("prizes is missing"), ElementsAre(0, 0, 0, 0));  // empty is not missing
  EXPECT_THAT(truth("conduct_history is missing"), ElementsAre(0, 0, 1, 0));
  EXPECT_THAT(truth("note is missing"), ElementsAre(0, 0, 1, 0));
}

TEST(rules_language, strings) {
  EXPECT_THAT(truth("conduct == \"Tốt\""), ElementsAre(1, 0, -1, 1));
  EXPECT_THAT(truth("\"Tốt\" == conduct"), ElementsAre(1, 0, -1, 1));
  EXPECT_THAT(truth("conduct != \"Tốt\""), ElementsAre(0, 1, -1, 0));
  EXPECT_THAT(truth("conduct in [\"Tốt\", \"Khá\"]"), ElementsAre(1, 1, -1, 1));
  EXPECT_THAT(truth("conduct not in [\"Tốt\", \"Khá\"]"), ElementsAre(0, 0, -1, 0));
  EXPECT_THAT(truth("conduct startswith \"K\""), ElementsAre(0, 1, -1, 0));
  EXPECT_THAT(truth("note startswith \"ab\""), ElementsAre(1, 0, -1, 1));
  EXPECT_THAT(truth("note == \"xyz\""), ElementsAre(0, 1, -1, 0));
  EXPECT_THAT(truth("note != \"xyz\""), ElementsAre(1, 0, -1, 1));
  EXPECT_THAT(truth("note in [\"abc\", \"abd\"]"), ElementsAre(1, 0, -1, 1));
  EXPECT_THAT(truth("note == conduct"), ElementsAre(0, 0, -1, 0));
  EXPECT_THAT(truth("`ghi chú` == \"y\""), ElementsAre(0, 1, 0, 0));
  // A literal typed in decomposed form (NFD) is normalised: "Tốt" = T o U+0302 U+0301 t.
  EXPECT_THAT(truth("conduct == \"To\xCC\x82\xCC\x81t\""), ElementsAre(1, 0, -1, 1));
  const auto v = kh::evaluate("conduct", small_pool());
  EXPECT_EQ(v.type, kh::value_type::string);
  EXPECT_THAT(v.strings, ElementsAre("Tốt", "Khá", "", "Tốt"));
  EXPECT_THAT(v.valid, ElementsAre(1, 1, 0, 1));
}

TEST(rules_language, category_literal_not_in_dictionary_warns) {
  const auto e = kh::expression::compile("conduct == \"Tôt\"", small_pool());
  ASSERT_EQ(e.warnings().size(), 1U);
  EXPECT_THAT(e.warnings()[0].message, HasSubstr("did you mean \"Tốt\""));
  EXPECT_THAT(e.warnings()[0].message, HasSubstr("always false"));
  EXPECT_EQ(e.warnings()[0].where.column, 12U);
  EXPECT_THAT(truth("conduct == \"Tôt\""), ElementsAre(0, 0, -1, 0));
  EXPECT_EQ(
      kh::expression::compile("contains(prizes, \"Quốc gia\")", small_pool()).warnings().size(),
      1U);
  EXPECT_TRUE(kh::expression::compile("conduct == \"Khá\"", small_pool()).warnings().empty());
}

TEST(rules_language, list_functions) {
  EXPECT_THAT(numbers("len(prizes)"), ElementsAre(1, 0, 0, 2));
  EXPECT_THAT(numbers("len(conduct_history)"), ElementsAre(3, 3, -999, 3));
  EXPECT_THAT(truth("contains(conduct_history, \"Khá\")"), ElementsAre(1, 1, -1, 0));
  EXPECT_THAT(truth("\"Khá\" in conduct_history"), ElementsAre(1, 1, -1, 0));
  EXPECT_THAT(truth("\"Khá\" not in conduct_history"), ElementsAre(0, 0, -1, 1));
  EXPECT_THAT(numbers("count(prizes, \"Quốc\")"), ElementsAre(1, 0, 0, 1));
  EXPECT_THAT(numbers("count(prizes, \"Quốc gia\")"), ElementsAre(1, 0, 0, 0));
  EXPECT_THAT(numbers("count(conduct_history, it == \"Tốt\")"), ElementsAre(2, 2, -999, 3));
  EXPECT_THAT(truth("any(prizes, it startswith \"Quốc gia\")"), ElementsAre(1, 0, 0, 0));
  EXPECT_THAT(truth("any(prizes, it startswith \"Quốc\" and not (it startswith \"Quốc gia\"))"),
              ElementsAre(0, 0, 0, 1));
  EXPECT_THAT(truth("all(conduct_history, it in [\"Tốt\", \"Khá\"])"), ElementsAre(1, 1, -1, 1));
  EXPECT_THAT(truth("all(prizes, it startswith \"Quốc\")"), ElementsAre(1, 1, 1, 0));
  // streak: the longest run anywhere; recent_streak: the run from the newest (first) item.
  EXPECT_THAT(numbers("streak(conduct_history, it == \"Tốt\")"), ElementsAre(2, 2, -999, 3));
  EXPECT_THAT(numbers("recent_streak(conduct_history, it == \"Tốt\")"), ElementsAre(2, 0, -999, 3));
  EXPECT_THAT(numbers("streak(conduct_history, it == \"Khá\")"), ElementsAre(1, 1, -999, 0));
}

TEST(rules_language, scalar_functions) {
  EXPECT_THAT(numbers("min(gpa, 8)"), ElementsAre(8, 7, -999, 8));
  EXPECT_THAT(numbers("max(gpa, grade)"), ElementsAre(12, 10, -999, 9));
  EXPECT_THAT(numbers("max(1, 5, 3)"), ElementsAre(5, 5, 5, 5));
  EXPECT_THAT(numbers("abs(gpa - 8)"), ElementsAre(0.5, 1, -999, 1));
  EXPECT_THAT(numbers("year(date_of_birth)"), ElementsAre(2006, 2008, -999, 2010));
  EXPECT_THAT(numbers("age(date_of_birth, date(\"30/09/2024\"))"), ElementsAre(18, 15, -999, 14));
  EXPECT_THAT(numbers("age(date_of_birth, 2024-05-01)"), ElementsAre(18, 15, -999, 14));
  EXPECT_THAT(numbers("age(date_of_birth, 2024-04-30)"), ElementsAre(17, 15, -999, 14));
  EXPECT_THAT(numbers("days_between(submitted_on, 2024-09-30)"), ElementsAre(0, -2, 29, -999));
  EXPECT_THAT(numbers("submitted_on - 2024-09-30"), ElementsAre(0, 2, -29, -999));
  EXPECT_THAT(numbers("if(orphan, 1, 2)"), ElementsAre(2, 1, -999, 2));
  EXPECT_THAT(numbers("if(gpa > 8, gpa, 0)"), ElementsAre(8.5, 0, -999, 9));
  const auto d = kh::evaluate("submitted_on + 1", small_pool());
  EXPECT_EQ(d.type, kh::value_type::date);
  EXPECT_EQ(d.numbers[0], day(2024, 10, 1));
  EXPECT_TRUE(std::isnan(d.numbers[3]));
  EXPECT_EQ(kh::evaluate("year(2024-02-29)", small_pool()).numbers[0], 2024);
}

TEST(rules_errors, unknown_column_suggests_with_caret) {
  const auto msg = error_of<kh::schema_error>("gpaa >= 8");
  EXPECT_THAT(msg, HasSubstr("1:1: unknown column \"gpaa\"; did you mean \"gpa\"?"));
  EXPECT_THAT(msg, HasSubstr("\n  gpaa >= 8\n  ^~~~"));
  EXPECT_THAT(error_of<kh::schema_error>("`ghi chu` == \"x\""),
              HasSubstr("did you mean \"ghi chú\""));
}

TEST(rules_errors, parse_errors_are_located) {
  EXPECT_THAT(error_of<kh::parse_error>("gpa >= "), HasSubstr("1:8: expected a value"));
  EXPECT_THAT(error_of<kh::parse_error>("gpa >= 8 and\n  (conduct == \"Tốt\""),
              HasSubstr("2:20: expected ')'"));
  const auto msg = error_of<kh::schema_error>("gpa >= 8 and\n  conduct == 1");
  EXPECT_THAT(msg, HasSubstr("2:3: cannot apply == to a string and a number"));
  EXPECT_THAT(msg, HasSubstr("\n    conduct == 1\n    ^~~~~~~~~~~~"));
  EXPECT_THAT(error_of<kh::parse_error>("gpa > 1 > 2"), HasSubstr("cannot be chained"));
  EXPECT_THAT(error_of<kh::parse_error>("gpa = 8"), HasSubstr("1:5: unexpected '='"));
  EXPECT_THAT(error_of<kh::parse_error>("\"abc"), HasSubstr("unterminated string"));
  EXPECT_THAT(error_of<kh::parse_error>("gpa >= 8 conduct"), HasSubstr("missing and/or"));
  EXPECT_THAT(error_of<kh::parse_error>("2024-02-30 < submitted_on"), HasSubstr("not a date"));
  EXPECT_THAT(error_of<kh::parse_error>("submitted_on < date(\"31/02/2024\")"),
              HasSubstr("not a date"));
  EXPECT_THAT(error_of<kh::parse_error>(""), HasSubstr("empty expression"));
  EXPECT_THAT(error_of<kh::parse_error>("gpa $ 2"), HasSubstr("unexpected character '$'"));
}

TEST(rules_errors, type_errors) {
  // An unordered category cannot be compared by order (ordered ones: rules_ordered below).
  EXPECT_THAT(error_of<kh::schema_error>("conduct < \"Tốt\""),
              HasSubstr("column \"conduct\" is a category without an order"));
  EXPECT_THAT(error_of<kh::schema_error>("note < \"b\""), HasSubstr("== and !="));
  EXPECT_THAT(error_of<kh::schema_error>("submitted_on <= \"30/09/2024\""),
              HasSubstr("date(\"30/09/2024\")"));
  EXPECT_THAT(error_of<kh::schema_error>("it == \"x\""), HasSubstr("only be used inside"));
  EXPECT_THAT(error_of<kh::schema_error>("any(prizes, gpa > 8)"), HasSubstr("only use `it`"));
  EXPECT_THAT(error_of<kh::schema_error>("lenn(prizes)"), HasSubstr("did you mean \"len\""));
  EXPECT_THAT(error_of<kh::schema_error>("len(gpa)"), HasSubstr("needs a list column"));
  EXPECT_THAT(error_of<kh::schema_error>("gpa and true"), HasSubstr("must be a boolean"));
  EXPECT_THAT(error_of<kh::schema_error>("if(gpa > 8, 1, true)"), HasSubstr("else branch"));
  EXPECT_THAT(error_of<kh::schema_error>("age(gpa, 2024-01-01)"), HasSubstr("must be a date"));
  EXPECT_THAT(error_of<kh::schema_error>("prizes == 1"), HasSubstr("cannot apply"));
  EXPECT_THAT(error_of<kh::schema_error>("grade in [\"a\"]"), HasSubstr("number literals"));
  EXPECT_THAT(error_of<kh::schema_error>("abs(1, 2)"), HasSubstr("takes 1 argument"));
}

TEST(rules_errors, limits_are_enforced_at_compile_time) {
  std::string deep(100, '(');
  deep += "1" + std::string(100, ')');
  EXPECT_THAT(error_of<kh::parse_error>(deep), HasSubstr("nested too deeply (limit 48"));
  kh::rules_options small;
  small.max_expression_length = 10;
  EXPECT_THAT(error_of<kh::parse_error>("gpa >= 8 and gpa <= 9", small), HasSubstr("too long"));
  std::string list = "grade in [";
  for (int i = 0; i < 600; ++i) list += std::to_string(i) + ",";
  list += "1]";
  EXPECT_THAT(error_of<kh::parse_error>(list), HasSubstr("list literal too long"));
  kh::rules_options few_nodes;
  few_nodes.max_nodes = 5;
  EXPECT_THAT(error_of<kh::parse_error>("1 + 2 + 3 + 4 + 5", few_nodes), HasSubstr("too large"));
  std::string many = "rules:\n";
  for (int i = 0; i < 5; ++i) many += "  - {id: r" + std::to_string(i) + ", when: gpa > 1}\n";
  kh::rules_options few_rules;
  few_rules.max_rules = 3;
  EXPECT_THROW((void)kh::rule_set::compile(kh::parse_rule_set(many), small_pool(), few_rules),
               kh::spec_error);
}

namespace {

const char* const test_rules = R"(name: test
rules:
  - id: gpa
    description: GPA at least 8.0 unless a national prize
    when: gpa >= 8.0 or count(prizes, "Quốc gia") > 0
    reason: "Điểm trung bình {gpa} thấp hơn 8.0"
  - id: conduct
    when: conduct == "Tốt"
    reason: "Hạnh kiểm {conduct} ({len(conduct_history)} năm), {{không}} đạt"
  - id: late
    when: submitted_on <= 2024-09-30
    reason: "Nộp ngày {submitted_on}, sau hạn"
    severity: warn
  - id: grade12
    applies_to: grade == 12
    when: gpa >= 8.4
    reason: "Lớp 12: {gpa}"
tables:
  - id: level
    hit_policy: first
    output: muc
    rows:
      - when: gpa >= 9
        value: "Xuất sắc"
      - when: gpa >= 8
        value: "Giỏi"
    default: "Khác"
  - id: money
    hit_policy: collect
    rows:
      - when: gpa >= 8
        value: 100
      - when: orphan
        value: 50
)";

}  // namespace

TEST(rules_sets, status_eligibility_funnel_reasons) {
  const auto p = small_pool();
  const auto rs = kh::rule_set::compile(kh::parse_rule_set(test_rules), p);
  EXPECT_TRUE(rs.warnings().empty());
  const auto v = rs.evaluate(p);
  ASSERT_EQ(v.rows(), 4U);
  ASSERT_EQ(v.rule_count(), 4U);
  EXPECT_THAT(v.rule_ids(), ElementsAre("gpa", "conduct", "late", "grade12"));
  using st = kh::rule_status;
  EXPECT_EQ(v.status(0, 0), st::pass);
  EXPECT_EQ(v.status(1, 0), st::fail);
  EXPECT_EQ(v.status(2, 0), st::unknown);
  EXPECT_EQ(v.status(1, 2), st::fail);
  EXPECT_EQ(v.status(3, 2), st::unknown);
  EXPECT_EQ(v.status(0, 3), st::pass);
  EXPECT_EQ(v.status(1, 3), st::not_applicable);
  EXPECT_EQ(v.status(2, 3), st::unknown);
  EXPECT_THAT(std::vector<int>(v.eligible().begin(), v.eligible().end()), ElementsAre(1, 0, 0, 1));
  ASSERT_EQ(v.funnel().size(), 4U);
  EXPECT_EQ(v.funnel()[0].failed, 1U);
  EXPECT_EQ(v.funnel()[0].unknown, 1U);
  EXPECT_EQ(v.funnel()[0].remaining, 2U);
  EXPECT_EQ(v.funnel()[2].unknown, 1U);  // D's missing date: a warning, D stays
  EXPECT_EQ(v.funnel()[3].remaining, 2U);
  EXPECT_THAT(v.reasons(1),
              ElementsAre("Điểm trung bình 7 thấp hơn 8.0", "Hạnh kiểm Khá (3 năm), {không} đạt",
                          "Nộp ngày 02/10/2024, sau hạn"));
  EXPECT_THAT(v.reasons(2), ElementsAre("thiếu dữ liệu gpa (điều kiện gpa)",
                                        "thiếu dữ liệu conduct (điều kiện conduct)",
                                        "thiếu dữ liệu grade (điều kiện grade12)",
                                        "bảng level: không xác định được (thiếu dữ liệu)"));
  EXPECT_THAT(v.reasons(0), ElementsAre());
  EXPECT_THAT(v.reasons_of_rule(0), ElementsAre("", "Điểm trung bình 7 thấp hơn 8.0",
                                                "thiếu dữ liệu gpa (điều kiện gpa)", ""));
  EXPECT_THROW((void)v.reasons(4), std::out_of_range);

  ASSERT_EQ(v.tables().size(), 2U);
  const auto& level = v.tables()[0];
  EXPECT_EQ(level.output, "muc");
  EXPECT_FALSE(level.numeric);
  EXPECT_THAT(level.matched, ElementsAre(1, -1, -2, 0));
  EXPECT_THAT(level.labels, ElementsAre("Xuất sắc", "Giỏi", "Khác"));
  EXPECT_THAT(level.codes, ElementsAre(1, 2, -1, 0));
  const auto& money = v.tables()[1];
  EXPECT_TRUE(money.numeric);
  EXPECT_THAT(money.offsets, ElementsAre(0, 1, 2, 2, 3));
  EXPECT_THAT(money.matches, ElementsAre(0, 1, 0));
  EXPECT_EQ(money.numbers[0], 100);
  EXPECT_EQ(money.numbers[1], 50);
  EXPECT_TRUE(std::isnan(money.numbers[2]));
}

TEST(rules_sets, unknown_policy_eligible) {
  std::string text = test_rules;
  text.replace(text.find("rules:"), 6, "on_unknown: eligible\nrules:");
  const auto v =
      kh::rule_set::compile(kh::parse_rule_set(text), small_pool()).evaluate(small_pool());
  EXPECT_THAT(std::vector<int>(v.eligible().begin(), v.eligible().end()), ElementsAre(1, 0, 1, 1));
}

TEST(rules_sets, unique_tables) {
  const auto p = small_pool();
  auto compile = [&](const std::string& rows) {
    return kh::rule_set::compile(
        kh::parse_rule_set("tables:\n  - id: t\n    hit_policy: unique\n    rows:\n" + rows,
                           "t.yaml"),
        p);
  };
  // Provable overlap of simple interval conditions: an error at compile time.
  try {
    (void)compile(
        "      - {when: gpa >= 8, value: 1}\n      - {when: gpa between 7 and 8.5, value: 2}\n");
    FAIL() << "no error";
  } catch (const kh::spec_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("rows 1 and 2 overlap, e.g. gpa = 8"));
    EXPECT_THAT(e.what(), HasSubstr("t.yaml:6"));
  }
  EXPECT_THROW(
      (void)compile("      - {when: conduct == \"Tốt\" and grade >= 10, value: 1}\n"
                    "      - {when: 'conduct in [\"Tốt\", \"Khá\"] and grade < 11', value: 2}\n"),
      kh::spec_error);
  // Exclusive: fine (integers: grade > 9 and grade < 10 cannot both hold).
  EXPECT_NO_THROW(
      (void)compile("      - {when: gpa >= 8, value: 1}\n      - {when: gpa < 8, value: 2}\n"));
  EXPECT_NO_THROW(
      (void)compile("      - {when: grade > 9, value: 1}\n      - {when: grade < 10, value: 2}\n"));
  EXPECT_NO_THROW(
      (void)compile("      - {when: conduct == \"Tốt\" and gpa > 1, value: 1}\n"
                    "      - {when: conduct == \"Khá\" and gpa > 1, value: 2}\n"));
  // Not provable at compile time: conflicts are reported per row.
  const auto v = compile(
                     "      - {when: 'contains(prizes, \"Quốc gia - Giải Nhất\")', value: 1}\n"
                     "      - {when: gpa > 8, value: 2}\n")
                     .evaluate(p);
  EXPECT_THAT(v.tables()[0].matched, ElementsAre(-3, -1, -2, 1));
  EXPECT_THAT(v.reasons(0), ElementsAre("table t: several rows match (hit policy unique)"));
}

TEST(rules_sets, yaml_errors_are_located) {
  const auto p = small_pool();
  try {
    (void)kh::rule_set::compile(
        kh::parse_rule_set("rules:\n  - id: a\n    when: gpa >= 8 and conduct == \"Tốt\"\n"
                           "  - id: b\n    when: \"gpaa > 1\"\n",
                           "r.yaml"),
        p);
    FAIL();
  } catch (const kh::schema_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("r.yaml:5:12: rule \"b\": unknown column \"gpaa\""));
  }
  EXPECT_THAT(
      [&] {
        try {
          (void)kh::parse_rule_set("rules:\n  - id: a\n    wen: gpa > 1\n", "r.yaml");
        } catch (const kh::spec_error& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("r.yaml:3:5: unknown key \"wen\" in a rule; did you mean \"when\"?"));
  EXPECT_THROW((void)kh::parse_rule_set("rules: [a, b", "r.yaml"), kh::parse_error);
  EXPECT_THROW((void)kh::parse_rule_set("rules:\n  - {id: a, when: x, severity: fatal}\n"),
               kh::spec_error);
  EXPECT_THROW(
      (void)kh::rule_set::compile(
          kh::parse_rule_set("rules:\n  - {id: a, when: gpa > 1}\n  - {id: a, when: gpa > 2}\n"),
          p),
      kh::spec_error);
  EXPECT_THROW(
      (void)kh::rule_set::compile(kh::parse_rule_set("rules:\n  - {id: a, when: gpa + 1}\n"), p),
      kh::schema_error);
  // A pool with other category dictionaries does not match the compiled rules.
  const auto rs = kh::rule_set::compile(kh::parse_rule_set(test_rules), p);
  EXPECT_THROW((void)rs.evaluate(kh::generate_pool(10)), kh::schema_error);
}

// Decision tables are computed on first use: threads asking for them at once (and copies of
// the verdicts) all get the one result, the same as a fresh evaluation's at another thread count.
TEST(rules_sets, tables_computed_on_first_use_once_for_every_thread) {
  const auto p = kh::generate_pool(20000, {.seed = 11});
  const auto path = std::string(KHUYENHOC_SOURCE_DIR) + "/examples/rules/honour_pupils.yaml";
  const auto rs = kh::rule_set::compile(kh::load_rule_set(path), p);
  const auto v = rs.evaluate(p, 2);
  const auto copy = v;  // shares the data
  std::vector<const std::vector<kh::table_result>*> seen(6, nullptr);
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i)
      threads.emplace_back([&, i] { seen[i] = &(i % 2 == 0 ? v : copy).tables(); });
    for (auto& t : threads) t.join();
  }
  for (const auto* s : seen) EXPECT_EQ(s, seen[0]);
  const auto reference = rs.evaluate(p, 1);
  ASSERT_EQ(v.tables().size(), 2U);
  for (std::size_t t = 0; t < v.tables().size(); ++t) {
    EXPECT_EQ(v.tables()[t].matched, reference.tables()[t].matched);
    EXPECT_EQ(v.tables()[t].codes, reference.tables()[t].codes);
    ASSERT_EQ(v.tables()[t].numbers.size(), reference.tables()[t].numbers.size());
    for (std::size_t r = 0; r < v.tables()[t].numbers.size(); ++r) {
      const double a = v.tables()[t].numbers[r], b = reference.tables()[t].numbers[r];
      ASSERT_TRUE(a == b || (std::isnan(a) && std::isnan(b)));
    }
  }
  std::size_t chosen = 0;
  for (const auto m : v.tables()[0].matched) chosen += m >= 0 ? 1U : 0U;
  EXPECT_GT(chosen, 0U);  // some rows match a table row (not only the default)
}

TEST(rules_sets, same_results_at_any_thread_count_and_examples_compile) {
  const auto p = kh::generate_pool(30000, {.seed = 7});
  for (const char* name : {"honour_pupils", "hardship_scholarship", "emulation_award"}) {
    const auto path = std::string(KHUYENHOC_SOURCE_DIR) + "/examples/rules/" + name + ".yaml";
    const auto rs = kh::rule_set::compile(kh::load_rule_set(path), p);
    EXPECT_TRUE(rs.warnings().empty()) << name << ": " << rs.warnings()[0].message;
    const auto one = rs.evaluate(p, 1);
    const auto four = rs.evaluate(p, 4);
    EXPECT_TRUE(std::equal(one.status().begin(), one.status().end(), four.status().begin()));
    EXPECT_TRUE(std::equal(one.eligible().begin(), one.eligible().end(), four.eligible().begin()));
    std::size_t eligible = 0;
    for (auto e : one.eligible()) eligible += e;
    EXPECT_GT(eligible, 0U) << name;
    EXPECT_LT(eligible, p.size()) << name;
    EXPECT_EQ(one.funnel().back().remaining, eligible) << name;
    for (std::size_t t = 0; t < one.tables().size(); ++t)
      EXPECT_EQ(one.tables()[t].matched, four.tables()[t].matched);
  }
  // A single expression too.
  const auto a = kh::expression::compile("gpa * 2 + len(prizes)", p).evaluate(p, 1);
  const auto b = kh::expression::compile("gpa * 2 + len(prizes)", p).evaluate(p, 3);
  for (std::size_t i = 0; i < a.numbers.size(); ++i)
    ASSERT_TRUE(a.numbers[i] == b.numbers[i] ||
                (std::isnan(a.numbers[i]) && std::isnan(b.numbers[i])));
}

// The funnel and eligibility are computed 8 rows at a time over the status bytes; a row-by-row
// reading of the status matrix must give the same counts, at any chunk size (tails that are not
// a multiple of 8 included), thread count and unknown policy.
TEST(rules_sets, funnel_and_eligibility_match_a_row_by_row_reference) {
  const auto p = kh::generate_pool(20011, {.seed = 3});
  for (const char* on_unknown : {"not_eligible", "eligible"}) {
    const std::string text = std::string("on_unknown: ") + on_unknown + R"(
rules:
  - {id: a, when: 'gpa >= 7.5'}
  - {id: b, when: 'community_hours >= 10', severity: warn}
  - {id: c, when: 'exam_score >= 15', applies_to: 'grade == 12'}
  - {id: d, when: 'conduct in ["Tốt", "Khá"]'}
  - {id: e, when: 'household != "Nghèo" or orphan'}
  - {id: f, when: 'age(date_of_birth, 2024-09-30) < 18', severity: warn}
)";
    const auto spec = kh::parse_rule_set(text);
    const bool unknown_rejects = std::string(on_unknown) == "not_eligible";
    std::optional<kh::verdicts> first;
    for (const std::size_t chunk : {std::size_t{4096}, std::size_t{13}, std::size_t{1}}) {
      for (const unsigned threads : {1U, 3U}) {
        kh::rules_options options;
        options.chunk_size = chunk;
        const auto rs = kh::rule_set::compile(spec, p, options);
        const auto v = rs.evaluate(p, threads);
        EXPECT_EQ(rs.eligible(p, threads),
                  std::vector<std::uint8_t>(v.eligible().begin(), v.eligible().end()));
        ASSERT_EQ(v.status().size(), p.size() * 6);
        std::vector<std::size_t> failed(6, 0), unknown(6, 0), remaining(6, 0);
        std::size_t eligible_rows = 0;
        for (std::size_t r = 0; r < p.size(); ++r) {
          bool in = true;
          for (std::size_t k = 0; k < 6; ++k) {
            ASSERT_EQ(v.status_of_rule(k)[r], static_cast<std::int8_t>(v.status(r, k)));
            const auto s = v.status(r, k);
            const bool rejects = spec.rules[k].level == kh::rule_severity::reject;
            if (in && s == kh::rule_status::fail) ++failed[k];
            if (in && s == kh::rule_status::unknown) ++unknown[k];
            if (rejects &&
                (s == kh::rule_status::fail || (unknown_rejects && s == kh::rule_status::unknown)))
              in = false;
            if (in) ++remaining[k];
          }
          ASSERT_EQ(v.eligible()[r], in ? 1 : 0) << "row " << r;
          eligible_rows += in ? 1 : 0;
        }
        ASSERT_EQ(v.funnel().size(), 6U);
        for (std::size_t k = 0; k < 6; ++k) {
          EXPECT_EQ(v.funnel()[k].failed, failed[k]) << on_unknown << " chunk " << chunk;
          EXPECT_EQ(v.funnel()[k].unknown, unknown[k]) << on_unknown << " chunk " << chunk;
          EXPECT_EQ(v.funnel()[k].remaining, remaining[k]) << on_unknown << " chunk " << chunk;
        }
        EXPECT_GT(eligible_rows, 0U);
        EXPECT_GT(v.funnel()[0].unknown, 0U);  // the pool has missing GPAs
        if (!first) {
          first = v;
        } else {
          EXPECT_TRUE(std::equal(v.status().begin(), v.status().end(), first->status().begin()));
        }
      }
    }
  }
}

// Integer columns are converted to doubles by a fast path within ±2^51 and value by value
// beyond; category tests compare codes when few codes are selected or excluded, else look them
// up. Each path against the plain definition.
TEST(rules_expressions, integer_conversion_and_category_paths) {
  const std::int64_t big = std::int64_t{1} << 60;
  std::vector<std::int64_t> small_values, big_values;
  std::vector<std::int32_t> six_codes, many_codes;
  std::vector<std::string> ids;
  for (int r = 0; r < 1000; ++r) {
    std::string id = "N";  // (not "N" + to_string: a GCC 12 -Wrestrict false positive)
    id += std::to_string(r);
    ids.push_back(id);
    small_values.push_back((r * 7919) % 2001 - 1000);
    big_values.push_back(r % 5 == 0 ? (r % 2 == 0 ? big : -big) : r - 500);
    six_codes.push_back(r % 7 - 1);    // -1 (missing) and 0..5
    many_codes.push_back(r % 71 - 1);  // -1 and 0..69: a dictionary of 70
  }
  std::vector<std::string> six{"a", "b", "c", "d", "e", "f"}, many;
  for (int k = 0; k < 70; ++k) {
    std::string v = "v";
    v += std::to_string(k);
    many.push_back(v);
  }
  std::vector<kh::column> cols;
  cols.push_back(kh::column::text("id", ids));
  cols.push_back(kh::column::integer("small", kh::buffer<std::int64_t>(small_values)));
  cols.push_back(kh::column::integer("big", kh::buffer<std::int64_t>(big_values)));
  cols.push_back(kh::column::category("six", six_codes, six));
  cols.push_back(kh::column::category("many", many_codes, many));
  // Ten integer columns in one expression: more than the chunk's cache of converted columns.
  std::string sum_text;
  for (int k = 0; k < 10; ++k) {
    std::vector<std::int64_t> values;
    for (int r = 0; r < 1000; ++r) values.push_back((r + 1) * (k + 1));
    std::string name = "i";
    name += std::to_string(k);
    cols.push_back(kh::column::integer(name, kh::buffer<std::int64_t>(values)));
    sum_text += (k == 0 ? "" : " + ") + name;
  }
  const kh::pool p(cols, "id");
  const auto sums = kh::evaluate(sum_text + " + i0 * 0 + (i9 - i9)", p).numbers;
  for (std::size_t r = 0; r < p.size(); ++r) EXPECT_EQ(sums[r], static_cast<double>(55 * (r + 1)));

  const auto numbers = [&](const char* text) { return kh::evaluate(text, p).numbers; };
  const auto small_x = numbers("small * 1");
  const auto big_x = numbers("big + 0");
  for (std::size_t r = 0; r < p.size(); ++r) {
    EXPECT_EQ(small_x[r], static_cast<double>(small_values[r]));
    EXPECT_EQ(big_x[r], static_cast<double>(big_values[r]));
  }
  const auto check = [&](const char* text, const std::vector<std::int32_t>& codes, auto expected) {
    const auto v = kh::evaluate(text, p);
    for (std::size_t r = 0; r < p.size(); ++r) {
      ASSERT_EQ(v.valid[r], codes[r] >= 0 ? 1 : 0) << text << " row " << r;
      if (codes[r] >= 0) {
        ASSERT_EQ(v.booleans[r] != 0, expected(codes[r])) << text << " row " << r;
      }
    }
  };
  check(R"(six == "c")", six_codes, [](int k) { return k == 2; });
  check(R"(six in ["a", "c", "f"])", six_codes, [](int k) { return k == 0 || k == 2 || k == 5; });
  check(R"(six != "b")", six_codes, [](int k) { return k != 1; });
  check(R"(six not in ["a", "b", "c", "d", "e"])", six_codes, [](int k) { return k == 5; });
  check(R"(six in ["a", "b", "c", "d", "e"])", six_codes, [](int k) { return k != 5; });
  check(R"(many in ["v1", "v2", "v3", "v4", "v5", "v69"])", many_codes,
        [](int k) { return (k >= 1 && k <= 5) || k == 69; });
  check(R"(many != "v7")", many_codes, [](int k) { return k != 7; });
}

// ------------------------------------------------------------------------------------ decimals

namespace {

// Three grades per nominee, as a school writes them.
kh::pool grades_pool() {
  std::vector<kh::column> cols;
  cols.push_back(kh::column::text("id", {"A", "B", "C", "D"}));
  cols.push_back(kh::column::number("toan", kh::buffer<double>({8.7, 9.0, 1.1, nan_v})));
  cols.push_back(kh::column::number("van", kh::buffer<double>({8.1, 8.1, 2.2, 9.0})));
  cols.push_back(kh::column::number("anh", kh::buffer<double>({8.7, 8.7, 3.3, 8.0})));
  cols.push_back(list("prizes", {std::vector<std::string>{"Tỉnh - Giải Nhì@15/03/2024",
                                                          "Quốc gia - Giải Ba@02/10/2023"},
                                 std::vector<std::string>{"Tỉnh - Giải Nhất@20/09/2024"},
                                 std::vector<std::string>{"Huyện - Giải Nhất@01/12/2023"},
                                 std::vector<std::string>{"Quốc gia - Khuyến khích@01/01/2024"}}));
  return kh::pool(std::move(cols), "id");
}

}  // namespace

TEST(rules_decimals, average_exactly_at_threshold_is_at_threshold) {
  const auto p = grades_pool();
  // (8.7 + 8.1 + 8.7) / 3 is 8.499999999999998 as a double; on paper it is 8.5.
  ASSERT_LT((8.7 + 8.1 + 8.7) / 3, 8.5);
  EXPECT_THAT(truth("(toan + van + anh) / 3 >= 8.5", p), ElementsAre(1, 1, 0, -1));
  EXPECT_THAT(truth("(toan + van + anh) / 3 < 8.5", p), ElementsAre(0, 0, 1, -1));
  EXPECT_THAT(truth("(toan + van + anh) / 3 == 8.5", p), ElementsAre(1, 0, 0, -1));
  EXPECT_THAT(truth("(toan + van + anh) / 3 != 8.5", p), ElementsAre(0, 1, 1, -1));
  EXPECT_THAT(truth("(toan + van + anh) / 3 > 8.5", p), ElementsAre(0, 1, 0, -1));
  EXPECT_THAT(truth("(toan + van + anh) / 3 <= 8.5", p), ElementsAre(1, 0, 1, -1));
  EXPECT_THAT(truth("toan + van == anh", p), ElementsAre(0, 0, 1, -1));  // 1.1 + 2.2 == 3.3
  EXPECT_THAT(truth("(toan + van + anh) / 3 between 8.5 and 9", p), ElementsAre(1, 1, 0, -1));
  EXPECT_THAT(truth("toan + van in [3.3, 16.8]", p), ElementsAre(1, 0, 1, -1));
  // A real difference of one millionth is still a difference.
  EXPECT_THAT(truth("toan + 0.000001 > 8.7", p), ElementsAre(1, 1, 0, -1));
  EXPECT_THAT(truth("toan - 0.000001 >= 8.7", p), ElementsAre(0, 1, 0, -1));
}

TEST(rules_decimals, rounding_functions_and_averages) {
  const auto p = grades_pool();
  EXPECT_THAT(numbers("round((toan + van + anh) / 3, 1)", p), ElementsAre(8.5, 8.6, 2.2, -999));
  EXPECT_THAT(numbers("round(8.45, 1) + round(2.5) + round(-2.5)", p),
              ElementsAre(8.5, 8.5, 8.5, 8.5));
  EXPECT_THAT(numbers("round(1.005, 2)", p), ElementsAre(1.01, 1.01, 1.01, 1.01));
  EXPECT_THAT(numbers("floor((toan + van + anh) / 3, 1)", p), ElementsAre(8.5, 8.6, 2.2, -999));
  EXPECT_THAT(numbers("ceil(toan * 3)", p), ElementsAre(27, 27, 4, -999));
  EXPECT_THAT(numbers("floor(2.9999999999)", p), ElementsAre(3, 3, 3, 3));
  // avg skips missing values (missing only when all are); avg_strict propagates them.
  const auto a = kh::evaluate("avg(toan, van, anh)", p);
  EXPECT_EQ(a.valid[3], 1);
  EXPECT_DOUBLE_EQ(a.numbers[3], 8.5);
  EXPECT_THAT(truth("avg(toan, van, anh) >= 8.5", p), ElementsAre(1, 1, 0, 1));
  EXPECT_THAT(truth("mean(toan, van, anh) >= 8.5", p), ElementsAre(1, 1, 0, 1));
  EXPECT_THAT(truth("avg_strict(toan, van, anh) >= 8.5", p), ElementsAre(1, 1, 0, -1));
  EXPECT_THAT(truth("min(toan, van, anh) + max(toan, van, anh) in [16.8, 17.1, 4.4]", p),
              ElementsAre(1, 1, 1, -1));
  EXPECT_THAT(error_of<kh::schema_error>("round(gpa, 7)"), HasSubstr("from 0 to 6"));
  EXPECT_THAT(error_of<kh::schema_error>("round(gpa, grade)"), HasSubstr("whole number"));
  EXPECT_THAT(error_of<kh::schema_error>("avg(gpa, conduct)"), HasSubstr("must be a number"));
}

TEST(rules_decimals, reasons_print_numbers_as_written) {
  const auto p = grades_pool();
  const auto spec = kh::parse_rule_set(R"(
rules:
  - id: tb
    when: (toan + van + anh) / 3 >= 8.6
    reason: "Trung bình {(toan + van + anh) / 3} dưới 8,6"
)");
  const auto v = kh::rule_set::compile(spec, p).evaluate(p);
  EXPECT_THAT(v.reasons(0), ElementsAre("Trung bình 8,5 dưới 8,6"));
  EXPECT_THAT(v.reasons(2), ElementsAre("Trung bình 2,2 dưới 8,6"));
}

TEST(rules_params, declared_used_overridden_and_checked) {
  const auto p = grades_pool();
  const char* yaml = R"(
params:
  threshold: 8.5
  window_start: 01/09/2023
  window_end: 31/08/2024
  top_level: "Quốc gia"
rules:
  - id: tb
    when: avg(toan, van, anh) >= threshold
  - id: giai
    when: any(prizes, date_of(it) between window_start and window_end and level_of(it) in ["Tỉnh", "Quốc gia"] and prize_of(it) in ["Giải Nhất", "Giải Nhì", "Giải Ba"])
  - id: so_giai
    when: count(prizes, date_of(it) >= window_start and date_of(it) <= window_end) >= 2
  - id: quoc_gia
    when: count(prizes, level_of(it) == top_level) >= 1
)";
  const auto spec = kh::parse_rule_set(yaml, "r.yaml");
  ASSERT_EQ(spec.params.size(), 4U);
  EXPECT_EQ(spec.params[1].type, kh::value_type::date);
  EXPECT_EQ(spec.params[3].type, kh::value_type::string);
  using st = kh::rule_status;
  const auto v = kh::rule_set::compile(spec, p).evaluate(p);
  EXPECT_EQ(v.status(0, 0), st::pass);
  EXPECT_EQ(v.status(3, 0), st::pass);  // avg skips the missing grade: (9 + 8) / 2
  EXPECT_EQ(v.status(0, 1), st::pass);  // Giải Nhì 15/03/2024, provincial, in the window
  EXPECT_EQ(v.status(1, 1), st::fail);  // 20/09/2024: after the window
  EXPECT_EQ(v.status(2, 1), st::fail);  // district level
  EXPECT_EQ(v.status(3, 1), st::fail);  // Khuyến khích is not a Nhất/Nhì/Ba prize
  EXPECT_EQ(v.status(0, 2), st::pass);  // two prizes dated inside the window
  EXPECT_EQ(v.status(2, 2), st::fail);
  EXPECT_EQ(v.status(0, 3), st::pass);
  EXPECT_EQ(v.status(1, 3), st::fail);

  // Overridden when compiling: the next year's window.
  kh::rules_options opt;
  opt.params = {kh::parse_param_assignment("window_end=31/08/2025"),
                kh::parse_param_assignment("window_start = 01/09/2024")};
  const auto w = kh::rule_set::compile(spec, p, opt).evaluate(p);
  EXPECT_EQ(w.status(0, 1), st::fail);
  EXPECT_EQ(w.status(1, 1), st::pass);

  // Unknown names, wrong types, malformed assignments.
  opt.params = {kh::parse_param_assignment("window_ends=31/08/2025")};
  try {
    (void)kh::rule_set::compile(spec, p, opt);
    ADD_FAILURE() << "no error";
  } catch (const kh::spec_error& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("unknown parameter \"window_ends\"; did you mean \"window_end\"?"));
  }
  opt.params = {kh::parse_param_assignment("threshold=cao")};
  try {
    (void)kh::rule_set::compile(spec, p, opt);
    ADD_FAILURE() << "no error";
  } catch (const kh::spec_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("parameter \"threshold\" is a number"));
  }
  EXPECT_THROW((void)kh::parse_param_assignment("window_end"), kh::spec_error);
  EXPECT_THROW((void)kh::parse_param_assignment("1x=2"), kh::spec_error);
  EXPECT_THROW((void)kh::parse_param_assignment("between=2"), kh::spec_error);
  const auto comma = kh::parse_param_assignment("threshold=8,5");
  EXPECT_EQ(comma.type, kh::value_type::number);
  EXPECT_EQ(comma.number, 8.5);

  // A misspelt parameter in an expression is an unknown name with a suggestion.
  try {
    (void)kh::rule_set::compile(
        kh::parse_rule_set(
            "params: {threshold: 8.5}\nrules:\n  - id: a\n    when: toan >= treshold\n", "t.yaml"),
        p);
    ADD_FAILURE() << "no error";
  } catch (const kh::schema_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("t.yaml:4:19: rule \"a\": unknown column or parameter "
                                    "\"treshold\"; did you mean \"threshold\"?"));
  }
  // A parameter may not hide a column.
  EXPECT_THROW(
      (void)kh::rule_set::compile(
          kh::parse_rule_set("params: {toan: 1}\nrules:\n  - id: a\n    when: van > 1\n"), p),
      kh::spec_error);
  EXPECT_THAT(error_of<kh::schema_error>("date_of(prizes) > 2024-01-01"),
              HasSubstr("inside any, all, count"));
}

TEST(rules_achievements, long_table_joined_by_id_and_filtered_by_window) {
  const auto p = grades_pool();
  kh::achievements_table t;
  t.file = "giai.csv";
  t.ids = {"B", "A", "B", "D"};
  t.levels = {"Tỉnh", "Quốc gia", "Quốc gia", "Huyện"};
  t.prizes = {"Giải Nhì", "Giải Ba", "", "Giải Nhất"};
  t.dates = {"15/03/2024", "2023-10-02", "", "01/12/2023"};
  const auto q = kh::with_achievements(p, t, "giai");
  const auto& c = q["giai"];
  ASSERT_EQ(c.type(), kh::column_type::category_list);
  EXPECT_EQ(c.format(1), "Tỉnh - Giải Nhì@15/03/2024|Quốc gia");
  EXPECT_EQ(c.format(0), "Quốc gia - Giải Ba@02/10/2023");
  EXPECT_EQ(c.format(2), "");
  EXPECT_THAT(truth("count(giai, date_of(it) between 2023-09-01 and 2024-08-31 and level_of(it) in "
                    "[\"Tỉnh\", \"Quốc gia\"]) >= 1",
                    q),
              ElementsAre(1, 1, 0, 0));
  EXPECT_THAT(truth("count(giai, date_of(it) is missing) == 1", q), ElementsAre(0, 1, 0, 0));
  EXPECT_THAT(truth("any(giai, prize_of(it) == \"Giải Nhất\")", q), ElementsAre(0, 0, 0, 1));

  t.ids[2] = "Z";
  try {
    (void)kh::with_achievements(p, t, "giai");
    ADD_FAILURE() << "no error";
  } catch (const kh::data_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("giai.csv:4"));
    EXPECT_THAT(e.what(), HasSubstr("\"Z\", who is not in the pool"));
  }
  t.ids[2] = "B";
  t.dates[0] = "31/02/2024";
  EXPECT_THROW((void)kh::with_achievements(p, t, "giai"), kh::data_error);
  EXPECT_THROW((void)kh::with_achievements(p, t, "toan"), kh::schema_error);
}

TEST(rules_achievements, contains_and_it_read_the_text_before_the_date) {
  const auto p = grades_pool();
  EXPECT_THAT(truth("contains(prizes, \"Tỉnh - Giải Nhì\")", p), ElementsAre(1, 0, 0, 0));
  EXPECT_THAT(truth("\"Tỉnh - Giải Nhì@15/03/2024\" in prizes", p), ElementsAre(1, 0, 0, 0));
  EXPECT_THAT(truth("any(prizes, it == \"Tỉnh - Giải Nhất\")", p), ElementsAre(0, 1, 0, 0));
  EXPECT_THAT(truth("count(prizes, \"Quốc gia\") == 1", p), ElementsAre(1, 0, 0, 1));
}

TEST(rules_decimals, constant_and_column_comparisons_agree_with_the_scalar_definition) {
  // Values around thresholds: exact, within the tolerance, just beyond it, and far.
  std::vector<std::string> ids;
  std::vector<double> x, c;
  const double thresholds[] = {0.0, 8.5, -3.25, 1e6 + 0.5, 123456789.125};
  const double offsets[] = {0, 1e-12, -1e-12, 4e-10, -4e-10, 6e-10, -6e-10, 1e-6, -1e-6, 0.5, -7};
  for (const double t : thresholds) {
    for (const double o : offsets) {
      for (const double scale : {1.0, 1e-3}) {
        ids.push_back("r" + std::to_string(ids.size()));
        x.push_back(t + o * (t > 1e5 ? 1e3 * scale : scale));
        c.push_back(t);
      }
    }
  }
  std::vector<kh::column> cols;
  cols.push_back(kh::column::text("id", ids));
  cols.push_back(kh::column::number("x", kh::buffer<double>(x)));
  cols.push_back(kh::column::number("c", kh::buffer<double>(c)));
  const kh::pool p(std::move(cols), "id");
  namespace d = kh::detail;
  const std::pair<const char*, bool (*)(double, double)> ops[] = {
      {"<", [](double a, double b) { return d::decimal_less(a, b); }},
      {"<=", [](double a, double b) { return !d::decimal_less(b, a); }},
      {">", [](double a, double b) { return d::decimal_less(b, a); }},
      {">=", [](double a, double b) { return !d::decimal_less(a, b); }},
      {"==", [](double a, double b) { return d::decimal_equal(a, b); }},
      {"!=", [](double a, double b) { return !d::decimal_equal(a, b); }},
  };
  for (const auto& [sym, f] : ops) {
    const auto by_column = kh::evaluate(std::string("x ") + sym + " c", p);
    for (const double t : thresholds) {
      char lit[64];
      std::snprintf(lit, sizeof lit, "%.17g", t);
      const auto by_constant = kh::evaluate(std::string("x ") + sym + " " + lit, p);
      for (std::size_t r = 0; r < x.size(); ++r) {
        if (c[r] != t) continue;
        EXPECT_EQ(by_constant.booleans[r], f(x[r], t) ? 1 : 0) << x[r] << sym << t;
        EXPECT_EQ(by_column.booleans[r], f(x[r], t) ? 1 : 0) << x[r] << sym << t;
      }
    }
  }
}

// The scoring kernel rounds whole arrays with round_decimal_n: bit for bit what round_decimal
// gives one value at a time, at every precision, for ties, noise just below them, negative
// values and zeros, large amounts, NaN and infinities, and a million random sums of points.
TEST(rules_decimals, rounding_arrays_gives_the_scalar_rounding) {
  namespace d = kh::detail;
  std::vector<double> x = {0.0,
                           -0.0,
                           0.5,
                           -0.5,
                           2.675,
                           8.45,
                           8.449999,
                           1.0 / 3,
                           -2.0 / 3,
                           0.1 + 0.2,
                           1.5e9,
                           -1.5e9,
                           0x1p52,
                           0x1p53,
                           -0x1p60,
                           4.5e15,
                           1e-12,
                           -1e-12,
                           123'456'789.125,
                           1'500'000.25,
                           67.8333333333333,
                           std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max()};
  std::uint64_t state = 2024;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 11U;
  };
  for (int i = 0; i < 1'000'000; ++i) {
    // Sums of points with one or two decimals (noise of a few ulps), and arbitrary magnitudes.
    const double points = static_cast<double>(next() % 20'001) / 100.0 +
                          static_cast<double>(next() % 1001) / 10.0 - 50.0;
    x.push_back(i % 2 == 0 ? points : points * std::ldexp(1.0, static_cast<int>(next() % 80) - 40));
  }
  for (int places = 0; places <= d::max_decimal_places; ++places) {
    std::vector<double> got = x;
    d::round_decimal_n(got.data(), got.size(), places);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double want = d::round_decimal(x[i], places);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got[i])) << x[i] << " at " << places;
      } else {
        ASSERT_EQ(std::bit_cast<std::uint64_t>(got[i]), std::bit_cast<std::uint64_t>(want))
            << std::hexfloat << x[i] << " at " << places << " places";
      }
    }
  }
}

TEST(rules_decimals, rounding_keeps_large_amounts_whole) {
  namespace d = kh::detail;
  for (const int places : {0, 2, 6}) {
    EXPECT_EQ(d::round_decimal(1.5e9, places), 1.5e9);
    EXPECT_EQ(d::round_decimal(12'345'678'900.0, places), 12'345'678'900.0);
    EXPECT_EQ(d::round_decimal(1.5e9, places, d::decimal_rounding::floor), 1.5e9);
    EXPECT_EQ(d::round_decimal(1.5e9, places, d::decimal_rounding::ceil), 1.5e9);
    EXPECT_EQ(d::round_decimal(-2'000'000.0, places), -2'000'000.0);
  }
  EXPECT_EQ(d::round_decimal(123'456'789.125, 2), 123'456'789.13);
  EXPECT_EQ(d::round_decimal(1'500'000.25, 1), 1'500'000.3);
  EXPECT_EQ(d::round_decimal(1'500'000.24, 1), 1'500'000.2);
  EXPECT_EQ(d::round_decimal(0.1 + 0.2, 6), 0.3);
  EXPECT_EQ(d::round_decimal(2.675, 2),
            2.68);  // the double is 2.67499999999999982236431605997495353221893310546875
  EXPECT_EQ(d::format_decimal(1.5e9), "1500000000");
  EXPECT_EQ(d::format_decimal(-0.25), "-0,25");
  EXPECT_EQ(d::format_decimal((8.7 + 8.1 + 8.7) / 3), "8,5");
}

TEST(rules_achievements, csv_tables_with_quotes_bom_and_crlf) {
  const auto p = grades_pool();
  const std::string text =
      "\xEF\xBB\xBFma_hs;cap;giai;ngay\r\nB;\"Tỉnh\";\"Giải Nhì; môn Toán\";15/03/2024\r\n"
      "A;Quốc gia;;\r\n\r\n";
  const auto t = kh::parse_achievements_csv(text, {"ma_hs", "cap", "giai", "ngay"}, "g.csv");
  ASSERT_EQ(t.ids.size(), 2U);
  EXPECT_EQ(t.prizes[0], "Giải Nhì; môn Toán");
  const auto q = kh::with_achievements(p, t, "giai");
  EXPECT_EQ(q["giai"].format(1), "Tỉnh - Giải Nhì; môn Toán@15/03/2024");
  EXPECT_EQ(q["giai"].format(0), "Quốc gia");
  // Default prize/date names are optional; other names must exist.
  const auto u = kh::parse_achievements_csv("id,level\nA,Tỉnh\n");
  EXPECT_TRUE(u.prizes.empty() && u.dates.empty());
  try {
    (void)kh::parse_achievements_csv(text, {"ma_hs", "cap", "giai", "ngày"}, "g.csv");
    ADD_FAILURE() << "no error";
  } catch (const kh::schema_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no column \"ngày\"; did you mean \"ngay\"?"));
  }
  // Errors name the line of the row.
  const auto bad = kh::parse_achievements_csv("id,level,date\nA,Tỉnh,01/01/2024\n\nZ,Tỉnh,\n");
  try {
    (void)kh::with_achievements(p, bad, "x");
    ADD_FAILURE() << "no error";
  } catch (const kh::data_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("<string>:4:"));
  }
  EXPECT_THROW((void)kh::parse_achievements_csv("id,level\n\"A,Tỉnh\n"), kh::parse_error);
}

// ---- ordered categories: <, <=, >, >= by the order of the values

namespace {

kh::pool conduct_pool(bool ordered) {
  std::vector<kh::column> cols;
  cols.push_back(kh::column::text("id", {"A", "B", "C", "D", "E"}));
  // Dictionary worst first: Chưa đạt, Đạt, Khá, Tốt; C is missing.
  cols.push_back(kh::column::category("conduct", {3, 1, -1, 2, 0},
                                      {"Chưa đạt", "Đạt", "Khá", "Tốt"}, ordered));
  cols.push_back(kh::column::category("hoc_luc", {0, 1, 2, 0, 1}, {"Giỏi", "Khá", "Yếu"}));
  return kh::pool(std::move(cols), "id");
}

std::vector<int> truth(const kh::expression_values& v) {
  std::vector<int> out;
  for (std::size_t i = 0; i < v.valid.size(); ++i) out.push_back(v.valid[i] ? v.booleans[i] : -1);
  return out;
}

template <class E>
std::string compile_error(const std::string& expr, const kh::pool& p,
                          const kh::rules_options& opt = {}) {
  try {
    (void)kh::expression::compile(expr, p, opt);
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG TYPE: ") + e.what();
  }
  return "no error";
}

}  // namespace

TEST(rules_ordered, ordered_column_compares_by_its_order_and_missing_is_unknown) {
  const auto p = conduct_pool(true);
  auto t = [&](const std::string& e) { return truth(kh::evaluate(e, p)); };
  EXPECT_THAT(t("conduct >= \"Khá\""), ElementsAre(1, 0, -1, 1, 0));
  EXPECT_THAT(t("conduct > \"Khá\""), ElementsAre(1, 0, -1, 0, 0));
  EXPECT_THAT(t("conduct < \"Đạt\""), ElementsAre(0, 0, -1, 0, 1));
  EXPECT_THAT(t("conduct <= \"Đạt\""), ElementsAre(0, 1, -1, 0, 1));
  // A literal on the left mirrors the comparison.
  EXPECT_THAT(t("\"Khá\" <= conduct"), ElementsAre(1, 0, -1, 1, 0));
  EXPECT_THAT(t("\"Khá\" > conduct"), ElementsAre(0, 1, -1, 0, 1));
  // A string parameter works as a literal.
  kh::rules_options opt;
  opt.params.push_back(kh::parse_parameter("min_conduct", "Tốt"));
  EXPECT_THAT(truth(kh::expression::compile("conduct >= min_conduct", p, opt).evaluate(p)),
              ElementsAre(1, 0, -1, 0, 0));
  // NFD-written literals are normalised like the column's values.
  EXPECT_THAT(t("conduct >= \"Kha\xcc\x81\""), ElementsAre(1, 0, -1, 1, 0));
}

TEST(rules_ordered, literal_outside_the_order_and_unordered_columns_are_compile_errors) {
  const auto p = conduct_pool(true);
  const auto msg = compile_error<kh::schema_error>("conduct >= \"Kha\"", p);
  EXPECT_THAT(msg, HasSubstr("\"Kha\" is not a value of the order of column \"conduct\" "
                             "[Chưa đạt, Đạt, Khá, Tốt]; did you mean \"Khá\""));
  EXPECT_THAT(msg, HasSubstr("1:12"));
  const auto unordered = compile_error<kh::schema_error>("hoc_luc >= \"Khá\"", p);
  EXPECT_THAT(unordered, HasSubstr("column \"hoc_luc\" is a category without an order"));
  EXPECT_THAT(unordered, HasSubstr("scales:"));
  EXPECT_THAT(compile_error<kh::schema_error>("conduct >= hoc_luc", p),
              HasSubstr("cannot compare two category columns"));
  EXPECT_THAT(compile_error<kh::schema_error>("\"a\" < \"b\"", p),
              HasSubstr("strings can only be compared with == and !="));
}

TEST(rules_ordered, scales_declared_in_a_rule_file_or_given_when_compiling) {
  const auto p = conduct_pool(false);  // as read from CSV: no order
  const auto spec = kh::parse_rule_set(R"(
scales:
  conduct: tt22
  hoc_luc: [Yếu, Trung bình, Khá, Giỏi]
rules:
  - id: ren_luyen
    when: conduct >= "Khá"
    reason: "Rèn luyện {conduct}, chưa đạt Khá"
  - id: hoc_tap
    when: hoc_luc > "Trung bình"
)");
  ASSERT_EQ(spec.scales.size(), 2U);
  EXPECT_EQ(spec.scales[0].name, "tt22");
  EXPECT_EQ(spec.scales[0].values, kh::builtin_scale("tt22"));
  EXPECT_EQ(spec.scales[1].where.line, 4U);
  const auto v = kh::rule_set::compile(spec, p).evaluate(p);
  EXPECT_EQ(v.status(0, 0), kh::rule_status::pass);
  EXPECT_EQ(v.status(1, 0), kh::rule_status::fail);
  EXPECT_EQ(v.status(2, 0), kh::rule_status::unknown);
  EXPECT_EQ(v.status(4, 1), kh::rule_status::pass);
  EXPECT_EQ(v.status(2, 1), kh::rule_status::fail);
  // Reasons show the value as written.
  EXPECT_THAT(v.reasons(1), ElementsAre("Rèn luyện Đạt, chưa đạt Khá"));

  // A scale given when compiling replaces the file's.
  kh::rules_options opt;
  opt.scales.push_back(kh::make_scale("conduct", {"Tốt", "Khá", "Đạt", "Chưa đạt"}));
  EXPECT_EQ(kh::make_scale("c", {"Khá", "Tốt"}).values.size(), 2U);  // not ambiguous
  EXPECT_EQ(kh::make_builtin_scale("c", "hanh_kiem").values.front(), "Yếu");
  EXPECT_THROW((void)kh::make_builtin_scale("c", "tt21"), kh::spec_error);
  const auto w = kh::rule_set::compile(spec, p, opt).evaluate(p);
  EXPECT_EQ(w.status(0, 0), kh::rule_status::fail);
  EXPECT_EQ(w.status(1, 0), kh::rule_status::pass);

  // The column holds a value the scale lacks; the scale names a missing column.
  auto fails = [&](const std::string& text) -> std::string {
    try {
      (void)kh::rule_set::compile(kh::parse_rule_set(text, "r.yaml"), p);
    } catch (const kh::error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(fails("scales:\n  conduct: [Khá, Tốt]\nrules:\n  - id: r\n    when: conduct > "
                    "\"Khá\"\n"),
              HasSubstr("column \"conduct\" holds \"Chưa đạt\", which its order [Khá, Tốt] lacks"));
  EXPECT_THAT(fails("scales:\n  conduc: tt22\nrules:\n  - id: r\n    when: conduct == \"Khá\"\n"),
              HasSubstr("r.yaml:2:11: a scale is declared for column \"conduc\", which the pool "
                        "does not have; did you mean \"conduct\"?"));
}

TEST(rules_ordered, malformed_scales_are_located_spec_errors) {
  auto fails = [](const std::string& text) -> std::string {
    try {
      (void)kh::parse_rule_set(text, "r.yaml");
    } catch (const kh::spec_error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(fails("scales:\n  conduct: tt2\nrules: []\n"),
              HasSubstr("r.yaml:2:12: unknown scale \"tt2\"; did you mean \"tt22\"?"));
  EXPECT_THAT(fails("scales:\n  conduct: [Khá, Tốt, Khá]\nrules: []\n"),
              HasSubstr("\"Khá\" appears twice in the scale of column \"conduct\""));
  EXPECT_THAT(fails("scales:\n  conduct: [Tốt]\nrules: []\n"), HasSubstr("at least two values"));
  EXPECT_THAT(fails("scales: [Tốt, Khá]\nrules: []\n"), HasSubstr("\"scales\" must be a mapping"));
  EXPECT_THAT(kh::builtin_scale("hoc_luc"),
              ElementsAre("Kém", "Yếu", "Trung bình", "Khá", "Giỏi", "Xuất sắc"));
  EXPECT_THAT(kh::builtin_scale_names(), ElementsAre("tt22", "hanh_kiem", "hoc_luc"));
}

// ---- datetimes: date columns with times of day

TEST(rules_datetime, compared_by_day_with_dates_and_to_the_second_with_datetimes) {
  std::vector<kh::column> cols;
  cols.push_back(kh::column::text("id", {"A", "B", "C", "D"}));
  // 30/09/2024 17:00, 30/09/2024 17:00:01, 01/10/2024 08:00, missing
  cols.push_back(kh::column::date("submitted_at",
                                  {day(2024, 9, 30), day(2024, 9, 30), day(2024, 10, 1), 0},
                                  {1, 1, 1, 0}, {61'200, 61'201, 28'800, 0}));
  cols.push_back(kh::column::date(
      "born", {day(2010, 1, 1), day(2010, 1, 1), day(2010, 1, 1), day(2010, 1, 1)}));
  const kh::pool p(std::move(cols), "id");
  auto t = [&](const std::string& e) { return truth(kh::evaluate(e, p)); };
  // With a date: by day (the deadline day is whole).
  EXPECT_THAT(t("submitted_at <= 2024-09-30"), ElementsAre(1, 1, 0, -1));
  // With a date and time: to the second.
  EXPECT_THAT(t("submitted_at <= datetime(\"30/09/2024 17:00\")"), ElementsAre(1, 0, 0, -1));
  EXPECT_THAT(t("datetime(\"2024-09-30T17:00:00\") < submitted_at"), ElementsAre(0, 1, 1, -1));
  EXPECT_THAT(t("submitted_at == datetime(\"30/09/2024 17:00:01\")"), ElementsAre(0, 1, 0, -1));
  EXPECT_THAT(t("submitted_at between datetime(\"30/09/2024 17:00:01\") and "
                "datetime(\"01/10/2024 08:00\")"),
              ElementsAre(0, 1, 1, -1));
  // Elsewhere the column is its dates.
  EXPECT_EQ(kh::evaluate("days_between(2024-09-30, submitted_at)", p).numbers[2], 1);
  // A column without times cannot meet a time; malformed datetimes are parse errors.
  EXPECT_THAT(compile_error<kh::schema_error>("born < datetime(\"01/01/2010 12:00\")", p),
              HasSubstr("column \"born\" holds dates without times of day"));
  EXPECT_THAT(compile_error<kh::parse_error>("submitted_at < datetime(\"30/09/2024 25:00\")", p),
              HasSubstr("is not a date and time"));
  EXPECT_THAT(compile_error<kh::parse_error>("submitted_at < datetime(\"30/09/2024\")", p),
              HasSubstr("is not a date and time"));
}
