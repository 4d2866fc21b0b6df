// The selection pipeline (run.hpp): prepare collects every problem, execute gives one result
// whose CSV and report are what every door writes, reselect equals a fresh run, reasons at the
// cut-off are true and specific.
#include "khuyenhoc/run.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <thread>

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/generate.hpp"
#include "test_pools.hpp"

namespace kh = khuyenhoc;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

const std::string root = KHUYENHOC_SOURCE_DIR;

kh::run_spec example_spec() {
  kh::run_spec spec;
  spec.criteria = kh::criteria_set::from_file(root + "/examples/criteria/honour_pupils.yaml");
  spec.rules = kh::load_rule_set(root + "/examples/rules/honour_pupils.yaml");
  spec.policy.per = "district";
  spec.policy.mode = kh::quota_mode::apportion;
  spec.policy.seats = 30;
  spec.policy.order = {kh::parse_order_key("exam_score desc"),
                       kh::parse_order_key("name:full_name")};
  return spec;
}

const kh::pool& example_pool() {
  static const kh::pool p = kh::read_csv(root + "/examples/pool.csv");
  return p;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST(Run, PrepareCollectsEveryProblemWithItsLocation) {
  kh::run_spec spec = example_spec();
  spec.policy.seats = -3;
  spec.policy.cap_share = std::numeric_limits<double>::quiet_NaN();
  spec.policy.min_score = std::numeric_limits<double>::quiet_NaN();
  spec.policy.per = "distric";
  spec.policy.order.push_back(kh::parse_order_key("no_such_column desc"));
  try {
    (void)kh::prepared_run::prepare(spec, example_pool());
    FAIL() << "expected spec_error";
  } catch (const kh::spec_error& e) {
    const auto problems = e.problems();
    ASSERT_GE(problems.size(), 5U) << e.what();
    std::vector<std::string> fields;
    for (const auto& p : problems) fields.push_back(p.where.field);
    EXPECT_THAT(fields, ::testing::IsSupersetOf(
                            {"seats", "cap_share", "min_score", "distric", "no_such_column"}));
    EXPECT_THAT(std::string(e.what()), HasSubstr("did you mean \"district\""));
  }
}

TEST(Run, PoolColumnsAreWhatTheRunReads) {
  kh::run_spec spec = example_spec();
  const auto cols = spec.pool_columns();
  for (const char* c : {"gpa", "exam_score", "prizes", "conduct", "conduct_history",
                        "community_hours", "documents", "submitted_on", "district", "full_name"}) {
    EXPECT_TRUE(std::find(cols.begin(), cols.end(), c) != cols.end()) << c;
  }
  for (const char* c :
       {"gender", "date_of_birth", "school", "level", "grade", "household", "orphan"}) {
    EXPECT_TRUE(std::find(cols.begin(), cols.end(), c) == cols.end()) << c;
  }
  EXPECT_TRUE(std::is_sorted(cols.begin(), cols.end()));
  // Read with only those columns, the run writes the same bytes as from the whole pool.
  kh::csv_options opt;
  opt.columns = cols;
  opt.ignore_missing_columns = true;
  const kh::pool lean = kh::read_csv(root + "/examples/pool.csv", opt);
  EXPECT_LT(lean.columns().size(), example_pool().columns().size());
  const auto run = kh::prepared_run::prepare(spec, lean);
  const auto whole = kh::prepared_run::prepare(spec, example_pool());
  EXPECT_EQ(run.execute(lean).csv(), whole.execute(example_pool()).csv());
  // Backticked names and names in reason texts count; a column the file lacks is still
  // reported by prepare, naming it.
  kh::rule_set_spec rules;
  kh::rule_spec rule;
  rule.id = "r";
  rule.when = "`điểm TB` >= 5";
  rule.reason = "thiếu {ghi_chu}";
  rules.rules.push_back(rule);
  spec.rules = rules;
  const auto with_rules = spec.pool_columns();
  EXPECT_TRUE(std::find(with_rules.begin(), with_rules.end(), "điểm TB") != with_rules.end());
  EXPECT_TRUE(std::find(with_rules.begin(), with_rules.end(), "ghi_chu") != with_rules.end());
  try {
    (void)kh::prepared_run::prepare(spec, lean);
    FAIL() << "expected a spec_error";
  } catch (const kh::spec_error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("điểm TB"));
  }
}

TEST(Run, PolicyNumbersAreChecked) {
  kh::selection_policy p;
  p.seats = std::int64_t{1} << 50;
  p.cap_share = std::numeric_limits<double>::infinity();
  p.levels = {{.name = "A", .seats = 1}, {.name = "A", .seats = -1}};
  p.weights = {{"X", -1.0}};
  const auto problems = kh::check_policy(p);
  std::vector<std::string> fields;
  for (const auto& e : problems) fields.push_back(e.where.field);
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"seats", "cap_share", "levels", "weights"}));
  EXPECT_TRUE(kh::check_policy(kh::selection_policy{}).empty());
}

TEST(Run, ExecuteAccountsForEveryRowAndExplainsIt) {
  const auto run = kh::prepared_run::prepare(example_spec(), example_pool());
  const auto result = run.execute(example_pool());
  const auto& s = result.outcome();
  ASSERT_EQ(result.table().size(), example_pool().size());
  EXPECT_EQ(s.selected_count(), 30U);
  ASSERT_NE(result.rule_verdicts(), nullptr);
  for (std::size_t r = 0; r < s.size(); ++r) {
    ASSERT_FALSE(s.reason[r].empty()) << s.ids[r];
    switch (s.status[r]) {
      case kh::selection_status::ineligible:
        EXPECT_THAT(s.reason[r], StartsWith("Không đủ điều kiện: ")) << s.ids[r];
        break;
      case kh::selection_status::selected:
        EXPECT_THAT(s.reason[r], StartsWith("Được chọn")) << s.ids[r];
        break;
      default:
        EXPECT_THAT(s.reason[r], StartsWith("Ngoài chỉ tiêu")) << s.ids[r];
        // Never "short by 0": a nominee equal on points is told what decided.
        EXPECT_THAT(s.reason[r], ::testing::Not(::testing::EndsWith("thiếu 0")));
    }
    EXPECT_THAT(s.reason[r], ::testing::Not(HasSubstr("99999")));
  }
  EXPECT_EQ(result.csv(), kh::write_csv_text(result.table()));
}

TEST(Run, SameBytesAtAnyThreadCount) {
  auto one = example_spec();
  one.threads = 1;
  auto three = example_spec();
  three.threads = 3;
  const auto a = kh::prepared_run::prepare(one, example_pool()).execute(example_pool());
  const auto b = kh::prepared_run::prepare(three, example_pool()).execute(example_pool());
  EXPECT_EQ(a.csv(), b.csv());
  EXPECT_EQ(a.report_html(), b.report_html());
}

// The run encodes its input in chunks of rows and orders tied runs on several threads: a pool
// of several chunks, with names as a category and as a text column, gives the same bytes at any
// thread count.
TEST(Run, SameBytesAtAnyThreadCountOverManyChunks) {
  auto p = kh::generate_pool(140000, {.seed = 12});
  // The generated names are a text column; the same names as a category column too.
  p = khuyenhoc::testing::with_names_as_category(p);
  for (const char* name_key : {"name:name_category", "name:full_name desc"}) {
    std::string csv, report;
    for (const unsigned threads : {1U, 2U, 3U}) {
      auto spec = example_spec();
      spec.threads = threads;
      spec.policy.seats = 2000;
      spec.policy.order = {kh::parse_order_key("exam_score desc"), kh::parse_order_key(name_key),
                           kh::parse_order_key("lottery")};
      const auto result = kh::prepared_run::prepare(spec, p).execute(p);
      if (threads == 1) {
        csv = result.csv();
        report = result.report_html();
        EXPECT_EQ(csv, kh::write_csv_text(result.table()));
      } else {
        EXPECT_EQ(result.csv(), csv) << name_key << ", " << threads << " threads";
        EXPECT_EQ(result.report_html(), report) << name_key << ", " << threads << " threads";
      }
    }
  }
}

TEST(Run, ReselectEqualsAFreshRun) {
  const auto run = kh::prepared_run::prepare(example_spec(), example_pool());
  const auto first = run.execute(example_pool());
  for (const auto ties : {kh::tie_policy::include, kh::tie_policy::exclude}) {
    auto policy = example_spec().policy;
    policy.seats = 55;
    policy.ties = ties;
    auto spec = example_spec();
    spec.policy = policy;
    const auto fresh = kh::prepared_run::prepare(spec, example_pool()).execute(example_pool());
    EXPECT_EQ(first.reselect(policy).csv(), fresh.csv());
  }
  auto other_keys = example_spec().policy;
  other_keys.order = {kh::parse_order_key("lottery")};
  other_keys.seed = 11;
  auto spec = example_spec();
  spec.policy = other_keys;
  EXPECT_EQ(first.reselect(other_keys).csv(),
            kh::prepared_run::prepare(spec, example_pool()).execute(example_pool()).csv());
  auto bad = example_spec().policy;
  bad.seats = -1;
  EXPECT_THROW((void)first.reselect(bad), kh::spec_error);
}

TEST(Run, CutOffReasonsNameTheDecidingTieBreakerAndValues) {
  // Four nominees, all 8,5 points; seats for one; exam_score decides, then the id.
  const auto p = kh::read_csv_text(
      "id,district,total,exam_score\nA,X,8.5,27.25\nB,X,8.5,28.5\nC,X,8.5,28.5\nD,X,7.1,29\n");
  kh::run_spec spec;
  spec.policy.per = "district";
  spec.policy.mode = kh::quota_mode::apportion;
  spec.policy.seats = 1;
  spec.policy.order = {kh::parse_order_key("exam_score desc")};
  const std::vector<double> totals{8.7 / 3 + 8.1 / 3 + 8.7 / 3, 8.5, 8.5, 7.1};
  const auto result =
      kh::prepared_run::prepare(spec, p).execute(p, kh::run_overrides{.totals = totals});
  const auto& s = result.outcome();
  EXPECT_EQ(s.status[1], kh::selection_status::selected);
  EXPECT_EQ(s.reason[0],
            "Ngoài chỉ tiêu của X: bằng điểm chuẩn 8,5 nhưng xếp sau hồ sơ B (suất cuối cùng) "
            "theo tiêu chí phụ \"exam_score\" (giảm dần): 27,25 so với 28,5");
  EXPECT_EQ(s.reason[2],
            "Ngoài chỉ tiêu của X: bằng điểm chuẩn 8,5 nhưng xếp sau hồ sơ B (suất cuối cùng) "
            "theo mã hồ sơ (C sau B)");
  EXPECT_EQ(s.reason[3], "Ngoài chỉ tiêu của X: tổng điểm 7,1, điểm chuẩn 8,5, thiếu 1,4");
}

TEST(Run, TiedOutCitesItsOwnTieAndCapsAreNamed) {
  const auto p = kh::read_csv_text("id,district\nA,X\nB,X\nC,X\nD,X\nE,Y\nF,Y\n");
  const std::vector<double> totals{90, 85, 85, 70, 60, 50};
  kh::run_spec spec;
  spec.policy.per = "district";
  spec.policy.mode = kh::quota_mode::fixed;
  spec.policy.fixed = {{"X", 2}, {"Y", 2}};
  spec.policy.ties = kh::tie_policy::exclude;
  auto result = kh::prepared_run::prepare(spec, p).execute(p, {.totals = totals});
  EXPECT_EQ(result.outcome().status[1], kh::selection_status::tied_out);
  EXPECT_THAT(result.outcome().reason[1], HasSubstr("Bằng điểm 85 với suất cuối cùng của X"));

  auto capped = spec.policy;
  capped.ties = kh::tie_policy::break_ties;
  capped.cap_share = 0.25;  // one of four in X, none of two in Y (floor)
  result = result.reselect(capped);
  const auto& s = result.outcome();
  EXPECT_EQ(s.selected_count(), 1U);
  EXPECT_EQ(s.status[1], kh::selection_status::capped);
  EXPECT_EQ(s.reason[1], "Ngoài chỉ tiêu của X: đơn vị đã đạt giới hạn 25% (tối đa 1 suất)");
  EXPECT_EQ(s.status[3], kh::selection_status::outside_quota);
  EXPECT_EQ(s.status[4], kh::selection_status::capped);
}

TEST(Run, OverridesAreChecked) {
  const auto p = kh::read_csv_text("id,district\nA,X\nB,X\n");
  kh::run_spec spec;
  spec.policy.seats = 1;
  const auto run = kh::prepared_run::prepare(spec, p);
  const std::vector<double> short_totals{1.0};
  EXPECT_THROW((void)run.execute(p, {.totals = short_totals}), kh::spec_error);
  EXPECT_THROW((void)run.execute(p), kh::spec_error);  // no criteria and no scores
  const std::vector<double> totals{1.0, 2.0};
  const std::vector<std::uint8_t> bad_eligible{1, 7};
  EXPECT_THROW((void)run.execute(p, {.totals = totals, .eligible = bad_eligible}), kh::spec_error);
}

TEST(Run, WriteIsAtomicAndNeverOverwritesAnInput) {
  const auto dir = std::filesystem::temp_directory_path() / "khuyenhoc_run_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto pool_copy = dir / "pool.csv";
  std::filesystem::copy_file(root + "/examples/pool.csv", pool_copy);
  auto spec = example_spec();
  spec.inputs = {{.role = "pool", .path = pool_copy.string()}};
  const auto p = kh::read_csv(pool_copy.string());
  const auto result = kh::prepared_run::prepare(spec, p).execute(p);
  const std::string before = slurp(pool_copy);
  EXPECT_THROW(result.write(pool_copy.string(), (dir / "r.html").string()), kh::io_error);
  EXPECT_EQ(slurp(pool_copy), before);
  EXPECT_FALSE(std::filesystem::exists(dir / "r.html"));  // all or nothing
  result.write((dir / "r.csv").string(), (dir / "r.html").string());
  EXPECT_EQ(slurp(dir / "r.csv"), result.csv());
  EXPECT_EQ(slurp(dir / "r.html"), result.report_html());
  EXPECT_THAT(result.report_html(),
              HasSubstr(kh::describe_input("pool", pool_copy.string()).sha256));
  std::filesystem::remove_all(dir);
}

// The report's checksums are read while the run goes on, and shown only for a file that is
// still the one read: a file rewritten after the run (same size) shows its new bytes'
// checksum, a file removed is an error, as if the report had read them when it was made.
TEST(Run, ReportChecksumsAreOfTheFilesBytesWhenTheReportIsMade) {
  const auto dir = std::filesystem::temp_directory_path() / "khuyenhoc_run_checksums";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto pool_copy = dir / "pool.csv";
  std::filesystem::copy_file(root + "/examples/pool.csv", pool_copy);
  // A checksum read early is trusted only for a file unchanged for two seconds before it was
  // read (a write in the same timestamp tick could not be told apart): let this one settle.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto spec = example_spec();
  spec.inputs = {{.role = "pool", .path = pool_copy.string()},
                 {.role = "criteria", .path = root + "/examples/criteria/honour_pupils.yaml"}};
  const auto p = kh::read_csv(pool_copy.string());
  const auto result = kh::prepared_run::prepare(spec, p).execute(p);
  const std::string before = kh::describe_input("pool", pool_copy.string()).sha256;
  EXPECT_THAT(result.report_html(), HasSubstr(before));
  EXPECT_THAT(result.report_html(),
              HasSubstr(kh::describe_input("criteria", spec.inputs[1].path).sha256));
  std::string bytes = slurp(pool_copy);
  bytes[bytes.size() / 2] = bytes[bytes.size() / 2] == 'x' ? 'y' : 'x';
  std::ofstream(pool_copy, std::ios::binary | std::ios::trunc) << bytes;
  const std::string after = kh::describe_input("pool", pool_copy.string()).sha256;
  ASSERT_NE(after, before);
  const auto again = result.report_html();
  EXPECT_THAT(again, HasSubstr(after));
  EXPECT_THAT(again, Not(HasSubstr(before)));
  EXPECT_THAT(result.reselect(spec.policy).report_html(), HasSubstr(after));
  std::filesystem::remove(pool_copy);
  EXPECT_THROW((void)result.report_html(), kh::io_error);
  // A result dropped before its report stops reading at once (its destructor joins the thread).
  std::filesystem::copy_file(root + "/examples/pool.csv", pool_copy);
  (void)kh::prepared_run::prepare(spec, p).execute(p);
  std::filesystem::remove_all(dir);
}

TEST(Run, ReportIsTheCouncilsDocument) {
  auto spec = example_spec();
  spec.report.organisation = "SỞ GIÁO DỤC VÀ ĐÀO TẠO";
  spec.report.place = "Hải Phòng";
  spec.report.date = "29/11/2026";
  const auto html =
      kh::prepared_run::prepare(spec, example_pool()).execute(example_pool()).report_html();
  EXPECT_THAT(html, HasSubstr("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
  EXPECT_THAT(html, HasSubstr("Độc lập - Tự do - Hạnh phúc"));
  EXPECT_THAT(html, HasSubstr("Hải Phòng, ngày 29 tháng 11 năm 2026"));
  EXPECT_THAT(html, HasSubstr("Phần dư lớn nhất (Hamilton)"));
  EXPECT_THAT(html, HasSubstr("1.000"));  // input rows, Vietnamese thousands
  EXPECT_THAT(html, ::testing::Not(HasSubstr("largest_remainder")));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("Được chọn: selected")));
}

TEST(Run, KeysEncodedOnlyWhereTiedSelectTheSame) {
  // The pipeline encodes tie-breakers (ICU collation keys of names) only for rows still tied;
  // the selection must equal the one with every key encoded.
  const auto p = kh::generate_pool(20000, {.seed = 3});
  const auto scores =
      kh::criteria_set::from_file(root + "/examples/criteria/honour_pupils.yaml").score(p);
  const std::vector<double> total(scores.total().begin(), scores.total().end());
  std::vector<std::uint8_t> eligible(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) eligible[r] = (r % 3) != 0;
  for (const char* ties : {"break", "include", "exclude"}) {
    kh::selection_policy pol;
    pol.per = "district";
    pol.mode = kh::quota_mode::apportion;
    pol.seats = 400;
    pol.ties = kh::parse_tie_policy(ties);
    pol.order = {kh::parse_order_key("exam_score desc"), kh::parse_order_key("name:full_name"),
                 kh::parse_order_key("lottery")};
    const auto full = kh::select(kh::make_selection_input(p, total, eligible, {}, pol), pol);
    const auto lazy_in = kh::make_selection_input(p, total, eligible, {}, pol, {}, true);
    const auto lazy = kh::select(lazy_in, pol);
    EXPECT_EQ(full.rank, lazy.rank) << ties;
    EXPECT_EQ(full.group_rank, lazy.group_rank) << ties;
    EXPECT_EQ(full.selected, lazy.selected) << ties;
    EXPECT_EQ(full.status, lazy.status) << ties;
    EXPECT_EQ(full.reason, lazy.reason) << ties;
    std::size_t names = 0;
    for (std::size_t r = 0; r < p.size(); ++r) {
      names += lazy_in.keys[1][r].empty() ? 0 : 1;
      if (!eligible[r]) {
        EXPECT_TRUE(lazy_in.keys[1][r].empty()) << r;  // never compared
      }
    }
    EXPECT_GT(names, 0U);
    EXPECT_THROW((void)kh::concat({lazy_in, lazy_in}), kh::spec_error);
  }
}

TEST(Run, EveryBadRuleIsReported) {
  auto spec = example_spec();
  spec.rules = kh::parse_rule_set(
      "name: R\nrules:\n"
      "  - {id: a, when: gpaa >= 8}\n"
      "  - {id: b, when: conduct == \"Tốt\"}\n"
      "  - {id: c, when: exam_scor > 20}\n");
  spec.policy.seats = -1;
  try {
    (void)kh::prepared_run::prepare(spec, example_pool());
    FAIL() << "expected spec_error";
  } catch (const kh::spec_error& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("gpaa"));
    EXPECT_THAT(what, HasSubstr("exam_scor"));
    EXPECT_THAT(what, HasSubstr("seats"));
    EXPECT_EQ(e.problems().size(), 3U) << what;
  }
}

TEST(Run, ParametersGoToTheSetsThatDeclareThem) {
  auto spec = example_spec();
  spec.rules = kh::parse_rule_set(
      "name: R\nparams: {nguong: 8.0}\nrules:\n  - {id: gpa, when: gpa >= nguong}\n");
  const auto base = kh::prepared_run::prepare(spec, example_pool()).execute(example_pool());
  spec.params = {kh::parse_param_assignment("nguong=9,5")};
  const auto strict = kh::prepared_run::prepare(spec, example_pool()).execute(example_pool());
  const auto count = [](const kh::run_result& r) {
    const auto e = r.rule_verdicts()->eligible();
    return std::count(e.begin(), e.end(), std::uint8_t{1});
  };
  EXPECT_GT(count(base), count(strict));
  for (std::size_t r = 0; r < example_pool().size(); ++r) {
    const double gpa = example_pool()["gpa"].numbers()[r];
    if (!std::isnan(gpa)) {
      EXPECT_EQ(strict.rule_verdicts()->eligible()[r], gpa >= 9.5 ? 1 : 0);
    }
  }
  spec.params = {kh::parse_param_assignment("nguon=9")};
  try {
    (void)kh::prepared_run::prepare(spec, example_pool());
    FAIL() << "expected spec_error";
  } catch (const kh::spec_error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("declared: nguong"));
  }
}

TEST(Run, TotalsEqualOnPaperTieUnderEveryPolicy) {
  // 1,1 + 2,2 and 3,3 are one total on paper (binary: 3.3000000000000003 vs 3.3).
  const auto p = kh::read_csv_text("id,district\nA,X\nB,X\nC,X\n");
  const std::vector<double> totals{1.1 + 2.2, 3.3, 3.0};
  kh::run_spec spec;
  spec.policy.seats = 1;
  spec.policy.order = {kh::parse_order_key("lottery")};
  spec.policy.seed = 5;
  const auto run = kh::prepared_run::prepare(spec, p);
  auto with = [&](kh::tie_policy t) {
    auto pol = spec.policy;
    pol.ties = t;
    return run.execute(p, {.totals = totals}).reselect(pol).outcome();
  };
  const auto inc = with(kh::tie_policy::include);
  EXPECT_EQ(inc.selected, (std::vector<std::uint8_t>{1, 1, 0}));
  const auto exc = with(kh::tie_policy::exclude);
  EXPECT_EQ(exc.status[0], kh::selection_status::tied_out);
  EXPECT_EQ(exc.status[1], kh::selection_status::tied_out);
  EXPECT_EQ(exc.selected_count(), 0U);
  const auto brk = with(kh::tie_policy::break_ties);
  EXPECT_EQ(brk.selected_count(), 1U);
  const std::size_t loser = brk.selected[0] ? 1 : 0;
  EXPECT_THAT(brk.reason[loser], HasSubstr("bằng điểm chuẩn 3,3"));
  EXPECT_THAT(brk.reason[loser], HasSubstr("bốc thăm (hạt giống 5)"));
}

// The result CSV is formatted in blocks of rows on several threads and streamed: the bytes are
// those of the table (write_csv_text), whatever the thread count, streamed or as one string,
// and the reasons rendered while writing are those the materialised selection carries.
TEST(Run, StreamedCsvIsTheTablesBytesAtAnyThreadCount) {
  const auto p = kh::generate_pool(30000, {.seed = 5});
  std::string reference;
  for (const unsigned threads : {1U, 2U, 3U}) {
    for (const auto ties : {kh::tie_policy::break_ties, kh::tie_policy::exclude}) {
      auto spec = example_spec();
      spec.threads = threads;
      spec.policy.seats = 400;
      spec.policy.ties = ties;
      spec.policy.cap_share = 0.012;
      const auto result = kh::prepared_run::prepare(spec, p).execute(p);
      const std::string text = result.csv();
      std::ostringstream streamed;
      result.write_csv(streamed);
      EXPECT_EQ(streamed.str(), text);
      if (ties == kh::tie_policy::break_ties) {
        if (threads == 1) reference = text;
        EXPECT_EQ(text, reference) << threads << " threads";
      }
      EXPECT_EQ(result.size(), p.size());
      EXPECT_EQ(result.selected_count(), result.outcome().selected_count());
      EXPECT_EQ(text, kh::write_csv_text(result.table())) << threads << " threads";
      // Every kind of row is present, so every reason was rendered both ways.
      const auto& s = result.outcome();
      ASSERT_EQ(s.ids.size(), p.size());
      ASSERT_EQ(s.reason.size(), p.size());
      EXPECT_EQ(s.ids[17], p.id(17));
      for (const auto st : {kh::selection_status::selected, kh::selection_status::ineligible,
                            kh::selection_status::outside_quota, kh::selection_status::capped}) {
        EXPECT_NE(std::find(s.status.begin(), s.status.end(), st), s.status.end())
            << kh::to_string(st);
      }
    }
  }
}

// A stream that fails after `room` bytes (a disk that fills up).
class full_after : public std::streambuf {
 public:
  explicit full_after(std::size_t room) : room_(room) {}
  std::size_t written = 0;

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    if (written + static_cast<std::size_t>(n) > room_) return 0;
    written += static_cast<std::size_t>(n);
    return n;
  }
  int_type overflow(int_type ch) override {
    return xsputn(nullptr, 1) == 1 ? ch : traits_type::eof();
  }

 private:
  std::size_t room_;
};

TEST(Run, WriteErrorsStopTheStreamAndAreReported) {
  const auto p = kh::generate_pool(30000, {.seed = 5});
  auto spec = example_spec();
  spec.policy.seats = 100;
  const auto result = kh::prepared_run::prepare(spec, p).execute(p);
  full_after buf(100000);
  std::ostream out(&buf);
  result.write_csv(out);
  EXPECT_TRUE(out.bad());
  EXPECT_LE(buf.written, 100000U);  // formatting stopped at the failed write
  // Through the atomic writer: the OS error (ENOSPC) is reported, nothing is left behind.
  if (std::filesystem::exists("/dev/full")) {
    try {
      result.write("/dev/full");
      FAIL() << "expected io_error";
    } catch (const kh::io_error& e) {
      EXPECT_THAT(std::string(e.what()), HasSubstr("/dev/full"));
    }
  }
}

// The pipeline keeps no per-row strings (ids and groups read from the pool, keys packed in one
// buffer and encoded only where rows tie, the id compared only within ties): its selection
// equals the one of a fully materialised input with every key encoded.
TEST(Run, LeanPipelineSelectsAsTheFullInput) {
  const auto p = kh::generate_pool(20000, {.seed = 9});
  const auto scores =
      kh::criteria_set::from_file(root + "/examples/criteria/honour_pupils.yaml").score(p);
  std::vector<double> total(scores.total().begin(), scores.total().end());
  for (auto& t : total) t = std::round(t / 4) * 4;  // coarse totals: many ties reach the id
  std::vector<std::uint8_t> eligible(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) eligible[r] = (r % 3) != 0;
  // Value keys (ascending and descending, with missing values) are encoded shorter in the
  // lean input (the low bytes equal in every key left out): the same order and reasons.
  for (const auto& orders : std::vector<std::vector<std::string>>{
           {"grade", "text:school"}, {"exam_score desc", "gpa", "date_of_birth desc"}}) {
    for (const char* ties : {"break", "include", "exclude"}) {
      for (const bool groups : {true, false}) {
        kh::run_spec spec;
        spec.policy.per = groups ? "district" : "";
        spec.policy.mode = groups ? kh::quota_mode::apportion : kh::quota_mode::global;
        spec.policy.seats = 700;
        spec.policy.ties = kh::parse_tie_policy(ties);
        for (const auto& o : orders) spec.policy.order.push_back(kh::parse_order_key(o));
        const auto result =
            kh::prepared_run::prepare(spec, p).execute(p, {.totals = total, .eligible = eligible});
        const auto full =
            kh::select(kh::make_selection_input(p, total, eligible, {}, spec.policy), spec.policy);
        const auto& lean = result.outcome();
        EXPECT_EQ(full.ids, lean.ids);
        EXPECT_EQ(full.groups, lean.groups);
        EXPECT_EQ(full.rank, lean.rank) << ties;
        EXPECT_EQ(full.group_rank, lean.group_rank) << ties;
        EXPECT_EQ(full.selected, lean.selected) << ties;
        EXPECT_EQ(full.status, lean.status) << ties;
        EXPECT_EQ(full.reason, lean.reason) << ties;
        EXPECT_EQ(kh::write_csv_text(kh::to_pool(full, groups ? "district" : "group")),
                  result.csv());
      }
    }
  }
}

// outcome() and table() are built on first use: from several threads at once, once.
TEST(Run, LazyOutcomeAndTableAreBuiltOnceFromAnyThread) {
  const auto run = kh::prepared_run::prepare(example_spec(), example_pool());
  const auto result = run.execute(example_pool());
  std::vector<const kh::selection*> outcomes(4);
  std::vector<const kh::pool*> tables(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      outcomes[i] = &result.outcome();
      tables[i] = &result.table();
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(outcomes[i], outcomes[0]);
    EXPECT_EQ(tables[i], tables[0]);
  }
  EXPECT_EQ(outcomes[0]->reason.size(), example_pool().size());
  EXPECT_EQ(kh::write_csv_text(*tables[0]), result.csv());
  // A reselected result has its own.
  auto policy = example_spec().policy;
  policy.seats = 5;
  const auto other = result.reselect(policy);
  EXPECT_NE(&other.outcome(), outcomes[0]);
  EXPECT_EQ(other.outcome().selected_count(), 5U);
}

// The streamed CSV quotes exactly as write_csv_text: quotes, commas, CR and LF at every position
// of ids and group names (the formatter scans eight bytes at a time).
TEST(Run, StreamedCsvQuotesAsTheTableWriter) {
  std::string text = "id,district,total\n";
  const std::vector<std::string> specials = {"\"\"", ",", "\r", "\n"};
  std::size_t row = 0;
  for (const auto& special : specials) {
    for (std::size_t at = 0; at < 18; ++at) {
      std::string id = "HS" + std::to_string(100000 + row++) + "abcdefghijklmnop";
      id.insert(at, special);
      std::string group = "Quan so " + std::to_string(at % 5);
      if (at % 3 == 0) group.insert(at % group.size(), special);
      text += "\"" + id + "\",\"" + group + "\"," + std::to_string(at % 4) + "\n";
    }
  }
  text += "plain,Quận 1,2\n";
  const auto p = kh::read_csv_text(text);
  std::vector<double> totals(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) totals[r] = p["total"].integers()[r];
  kh::run_spec spec;
  spec.policy.per = "district";
  spec.policy.mode = kh::quota_mode::apportion;
  spec.policy.seats = 20;
  const auto result = kh::prepared_run::prepare(spec, p).execute(p, {.totals = totals});
  EXPECT_EQ(result.csv(), kh::write_csv_text(result.table()));
  EXPECT_THAT(result.csv(), HasSubstr("\"\r"));
}

namespace {

// A JSON string as the CLI wrote it before the result was streamed (the reference).
void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

// The result table as JSON, rendered cell by cell from table(): what json() must equal.
std::string table_json(const kh::pool& t) {
  std::string out = "[\n";
  for (std::size_t r = 0; r < t.size(); ++r) {
    out += r == 0 ? "{" : ",\n{";
    bool first = true;
    for (const auto& c : t.columns()) {
      out += first ? "" : ", ";
      first = false;
      json_string(out, c.name());
      out += ": ";
      if (!c.is_valid(r)) {
        out += "null";
        continue;
      }
      switch (c.type()) {
        case kh::column_type::number: {
          const double x = c.numbers()[r];
          if (!std::isfinite(x)) {
            out += "null";
          } else {
            std::array<char, 32> buf{};
            const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), x);
            out.append(buf.data(), end);
          }
          break;
        }
        case kh::column_type::integer:
          out += std::to_string(c.integers()[r]);
          break;
        case kh::column_type::boolean:
          out += c.booleans()[r] != 0 ? "true" : "false";
          break;
        case kh::column_type::category:
          json_string(out, c.category_at(r));
          break;
        case kh::column_type::text:
          json_string(out, c.text_at(r));
          break;
        default:
          ADD_FAILURE() << "unexpected column type in the result: " << c.name();
      }
    }
    out += '}';
  }
  out += "\n]\n";
  return out;
}

// A pool whose ids, groups and rule values hold every byte CSV and JSON must escape, and a
// rule set whose reasons render them (and hold a quote, a comma, a tab and a line break of
// their own).
kh::pool tricky_pool() {
  std::string text = "id,district,total,note,tags\n";
  const std::vector<std::string> specials = {"\"\"", ",", "\r", "\n", "\\", "\t", "\x01", "x"};
  std::size_t row = 0;
  for (std::size_t k = 0; k < 40; ++k) {
    for (const auto& special : specials) {
      std::string id = "HS" + std::to_string(100000 + row);
      id.insert(row % id.size(), special);
      std::string group = "Quan " + std::to_string(row % 4);  // ASCII: split anywhere
      if (row % 5 == 0) group.insert(row % group.size(), special);
      std::string note = row % 3 == 0 ? "Khá " + special + "kém" : std::string("Tốt");
      const std::string tags = row % 2 == 0 ? "a|b" : "";
      text += "\"" + id + "\",\"" + group + "\"," + std::to_string(row % 7) + ",\"" + note + "\"," +
              tags + "\n";
      ++row;
    }
  }
  return kh::read_csv_text(text, {.schema = {{"tags", kh::column_type::category_list}}});
}

const char* const tricky_rules = R"yaml(name: tricky
rules:
  - id: note_ok
    when: note == "Tốt"
    reason: "Ghi chú \"{note}\", chưa đạt; xem lại\tdòng\ntiếp"
  - id: small
    when: total < 5
    reason: "Tổng {total} (nhãn: {tags})"
  - id: warn_only
    when: total < 2
    reason: "cảnh báo, {total}"
    severity: warn
)yaml";

}  // namespace

// The streamed JSON is one object per row of table(), at any thread count, written whole or
// kept in memory; its escapes are JSON's (the CSV's quoting is checked against write_csv_text).
TEST(Run, StreamedJsonIsTheTablesObjectsAtAnyThreadCount) {
  const auto p = kh::generate_pool(20000, {.seed = 11});
  std::string reference;
  for (const unsigned threads : {1U, 2U, 3U}) {
    auto spec = example_spec();
    spec.threads = threads;
    spec.policy.seats = 300;
    spec.policy.cap_share = 0.012;
    spec.policy.levels = {{"Giải Nhất", 20}, {"Giải Nhì", 60}};
    const auto result = kh::prepared_run::prepare(spec, p).execute(p);
    const std::string text = result.json();
    std::ostringstream streamed;
    result.write_json(streamed);
    EXPECT_EQ(streamed.str(), text);
    if (threads == 1) reference = text;
    EXPECT_EQ(text, reference) << threads << " threads";
    EXPECT_EQ(text, table_json(result.table())) << threads << " threads";
    EXPECT_THAT(text, HasSubstr("\"level\": \"Giải Nhất\""));
    EXPECT_THAT(text, HasSubstr("\"classification\": "));
  }
}

TEST(Run, ReasonsWithSeparatorsQuotesAndLineBreaksAreEscapedInPlace) {
  const auto p = tricky_pool();
  for (const unsigned threads : {1U, 3U}) {
    for (const bool grouped : {true, false}) {
      kh::run_spec spec;
      spec.threads = threads;
      spec.rules = kh::rule_set_spec::from_text(tricky_rules);
      spec.policy.mode = grouped ? kh::quota_mode::apportion : kh::quota_mode::global;
      if (grouped) spec.policy.per = "district";
      spec.policy.seats = 12;
      std::vector<double> totals(p.size());
      for (std::size_t r = 0; r < p.size(); ++r) totals[r] = p["total"].integers()[r];
      const auto result = kh::prepared_run::prepare(spec, p).execute(p, {.totals = totals});
      const std::string csv = result.csv();
      EXPECT_EQ(csv, kh::write_csv_text(result.table()));
      std::ostringstream streamed;
      result.write_csv(streamed);
      EXPECT_EQ(streamed.str(), csv);
      EXPECT_EQ(result.json(), table_json(result.table()));
      // The reasons as rendered one rule at a time (reasons_of_rule) are in the outcome.
      const auto& s = result.outcome();
      const auto* v = result.rule_verdicts();
      ASSERT_NE(v, nullptr);
      const auto note_ok = v->reasons_of_rule(0);
      std::size_t cited = 0;
      for (std::size_t r = 0; r < p.size(); ++r) {
        if (s.status[r] != kh::selection_status::ineligible || note_ok[r].empty()) continue;
        EXPECT_THAT(s.reason[r], HasSubstr(note_ok[r]));
        ++cited;
      }
      EXPECT_GT(cited, 50U);
      // Quotes doubled inside a quoted field, line breaks kept inside it, and JSON escapes.
      EXPECT_THAT(csv, HasSubstr("\"\"Khá \"\"kém\"\", chưa đạt; xem lại\tdòng\ntiếp"));
      EXPECT_THAT(result.json(), HasSubstr("Ghi chú \\\"Khá \\u0001kém\\\", chưa đạt"));
      EXPECT_THAT(result.json(), HasSubstr("(nhãn: a, b)"));
      EXPECT_THAT(s.reason[1], Not(HasSubstr("cảnh báo")));  // a warning is not a reason
    }
  }
}

TEST(Run, ReasonWriterAppendsWhatReasonsOfRuleRenders) {
  const auto p = tricky_pool();
  const auto set = kh::rule_set::compile(kh::rule_set_spec::from_text(tricky_rules), p);
  const auto v = set.evaluate(p);
  kh::verdicts::reason_writer w(v);
  for (std::size_t k = 0; k < v.rule_count(); ++k) {
    const auto all = v.reasons_of_rule(k);
    for (std::size_t r = 0; r < p.size(); ++r) {
      std::string out = "prefix:";
      w.append(out, k, r);
      EXPECT_EQ(out, "prefix:" + all[r]) << "rule " << k << " row " << r;
    }
  }
  std::string out;
  EXPECT_THROW(w.append(out, v.rule_count(), 0), std::out_of_range);
  EXPECT_THROW(w.append(out, 0, p.size()), std::out_of_range);
}

TEST(Run, GivenReasonsAndEmptyPoolsAreWrittenAsTheTable) {
  const auto p = tricky_pool();
  std::vector<double> totals(p.size());
  std::vector<std::uint8_t> eligible(p.size());
  std::vector<std::string> reasons(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) {
    totals[r] = r % 11 == 0 ? std::numeric_limits<double>::quiet_NaN() : (r % 9) * 1.25;
    eligible[r] = r % 4 == 0 ? 0 : 1;
    if (eligible[r] == 0) reasons[r] = r % 8 == 0 ? "Thiếu \"hồ sơ\",\r\nnộp lại" : "";
  }
  kh::run_spec spec;
  spec.policy.seats = 10;
  spec.policy.min_score = 2;
  const auto run = kh::prepared_run::prepare(spec, p);
  const auto result =
      run.execute(p, {.totals = totals, .eligible = eligible, .ineligible_reasons = &reasons});
  EXPECT_EQ(result.csv(), kh::write_csv_text(result.table()));
  EXPECT_EQ(result.json(), table_json(result.table()));
  EXPECT_THAT(result.json(), HasSubstr("\"score\": null"));
  EXPECT_THAT(result.json(), HasSubstr("\"group\": null"));
  // No rows: the header, or an empty array.
  const auto none = example_pool().take({});
  auto global = example_spec();
  global.policy.per.clear();
  global.policy.mode = kh::quota_mode::global;
  const auto empty = kh::prepared_run::prepare(global, none).execute(none);
  EXPECT_EQ(empty.json(), "[\n\n]\n");
  EXPECT_EQ(empty.json(), table_json(empty.table()));
  EXPECT_EQ(empty.csv(), kh::write_csv_text(empty.table()));
}
