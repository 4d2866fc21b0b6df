// Tests of the plan model, its readers, the schedule checker and the iCalendar export.
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/plan.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/date_time/gregorian/gregorian.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace {

using boost::gregorian::date;
using khuyenhoc::check_options;
using khuyenhoc::finding;
using khuyenhoc::finding_kind;
using khuyenhoc::plan;
using khuyenhoc::plan_task;
using khuyenhoc::severity;
using khuyenhoc::task_kind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

date d(int y, int m, int dd) {
  return {static_cast<unsigned short>(y), static_cast<unsigned short>(m),
          static_cast<unsigned short>(dd)};
}

std::string example(const std::string& name) {
  return std::string(KHUYENHOC_SOURCE_DIR) + "/examples/plans/" + name;
}

plan_task task(std::string id, std::string time, std::vector<std::string> leads,
               std::string title = "Công việc", int year = 2024) {
  plan_task t;
  t.id = std::move(id);
  t.title = std::move(title);
  t.time_text = time;
  try {
    t.time = khuyenhoc::parse_time(time, year);
  } catch (const khuyenhoc::parse_error& e) {
    t.time_error = e.message();
  }
  t.leads = std::move(leads);
  return t;
}

std::vector<finding> of_kind(const std::vector<finding>& fs, finding_kind k) {
  std::vector<finding> out;
  std::copy_if(fs.begin(), fs.end(), std::back_inserter(out),
               [&](const finding& f) { return f.kind == k; });
  return out;
}

bool has(const std::vector<finding>& fs, finding_kind k, std::vector<std::string> tasks) {
  return std::any_of(fs.begin(), fs.end(),
                     [&](const finding& f) { return f.kind == k && f.tasks == tasks; });
}

check_options window_2024() {
  check_options o;
  o.window = boost::gregorian::date_period(d(2024, 9, 5), d(2024, 10, 6));
  o.capacity = 2;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Kinds and assignees
// ---------------------------------------------------------------------------------------------

TEST(plan, infers_kinds_from_wording) {
  using khuyenhoc::infer_task_kind;
  EXPECT_EQ(infer_task_kind("Họp Hội đồng xét duyệt", nullptr), task_kind::event);
  EXPECT_EQ(infer_task_kind("Tổ chức Lễ biểu dương", nullptr), task_kind::event);
  EXPECT_EQ(infer_task_kind("Hội nghị tổng kết", nullptr), task_kind::event);
  EXPECT_EQ(infer_task_kind("Hop Hoi dong", nullptr), task_kind::event);
  EXPECT_EQ(infer_task_kind("Phối hợp tổ chức trao giải", nullptr), task_kind::task);
  EXPECT_EQ(infer_task_kind("Phoi hop to chuc trao giai", nullptr), task_kind::task);
  EXPECT_EQ(infer_task_kind("Dự thảo tiêu chí biểu dương", nullptr), task_kind::task);
  EXPECT_EQ(infer_task_kind("Hạn chót nộp hồ sơ", nullptr), task_kind::deadline);
  const auto one_day = khuyenhoc::parse_time("27/9", 2024);
  const auto range = khuyenhoc::parse_time("20/9 - 27/9", 2024);
  EXPECT_EQ(infer_task_kind("Nộp hồ sơ", &one_day), task_kind::deadline);
  EXPECT_EQ(infer_task_kind("Nộp hồ sơ", &range), task_kind::task);
  const auto before = khuyenhoc::parse_time("trước ngày 30/11 hàng năm", 2024);
  EXPECT_EQ(infer_task_kind("Báo cáo", &before), task_kind::deadline);
  EXPECT_EQ(khuyenhoc::parse_task_kind("Sự kiện"), task_kind::event);
  EXPECT_THROW((void)khuyenhoc::parse_task_kind("meeting"), khuyenhoc::spec_error);
}

TEST(plan, splits_assignees) {
  auto a = khuyenhoc::split_assignees("P. GDTrH; P. KT&KĐCLGD phối hợp");
  EXPECT_THAT(a.leads, ElementsAre("P. GDTrH"));
  EXPECT_THAT(a.supports, ElementsAre("P. KT&KĐCLGD"));
  // Unmarked: the first unit leads, the rest support.
  a = khuyenhoc::split_assignees("- Văn phòng Sở\n- các cơ sở giáo dục");
  EXPECT_THAT(a.leads, ElementsAre("Văn phòng Sở"));
  EXPECT_THAT(a.supports, ElementsAre("các cơ sở giáo dục"));
  a = khuyenhoc::split_assignees("Hội Khuyến học, Phòng GDĐT<br>Phối hợp: Đoàn TN, Hội LHPN");
  EXPECT_THAT(a.leads, ElementsAre("Hội Khuyến học"));
  EXPECT_THAT(a.supports, ElementsAre("Phòng GDĐT", "Đoàn TN", "Hội LHPN"));
  a = khuyenhoc::split_assignees("Văn phòng (phối hợp)");
  EXPECT_THAT(a.supports, ElementsAre("Văn phòng"));
}

struct split_case {
  std::string cell;
  std::vector<std::string> leads, supports;
  bool unclear = false;
};

TEST(plan, splits_every_assignee_form) {
  const split_case cases[] = {
      // Separators.
      {"P. GDTrH; P. KT&KĐCLGD", {"P. GDTrH"}, {"P. KT&KĐCLGD"}},
      {"P. GDTrH, Văn phòng Sở", {"P. GDTrH"}, {"Văn phòng Sở"}},
      {"P. GDTrH\nVăn phòng Sở\r\nP. TCCB", {"P. GDTrH"}, {"Văn phòng Sở", "P. TCCB"}},
      // Bullets and dashes, also flattened onto one line.
      {"- P. GDTrH\n- P. KT&KĐCLGD", {"P. GDTrH"}, {"P. KT&KĐCLGD"}},
      {" - P. GDTrH - P. KT&KĐCLGD - Văn phòng Sở", {"P. GDTrH"}, {"P. KT&KĐCLGD", "Văn phòng Sở"}},
      {"• Hội Khuyến học • Đoàn TN", {"Hội Khuyến học"}, {"Đoàn TN"}},
      // A dash inside a name stays ("Văn hóa - Thể thao", "HĐND-UBND").
      {"Trung tâm Văn hóa - Thể thao", {"Trung tâm Văn hóa - Thể thao"}, {}},
      {"Văn phòng HĐND-UBND", {"Văn phòng HĐND-UBND"}, {}},
      // Units separated only by spaces.
      {"P. GDTX&ĐH P. KT&KĐCLGD P. GDTrH", {"P. GDTX&ĐH"}, {"P. KT&KĐCLGD", "P. GDTrH"}},
      {"P.GDTrH P.KT&KĐCLGD", {"P.GDTrH"}, {"P.KT&KĐCLGD"}},
      {"Văn phòng Sở P. GDTrH", {"Văn phòng Sở"}, {"P. GDTrH"}},
      {"Sở GDĐT UBND tỉnh", {"Sở GDĐT"}, {"UBND tỉnh"}},
      {"Phòng Giáo dục Trung học Thanh tra Sở", {"Phòng Giáo dục Trung học"}, {"Thanh tra Sở"}},
      // "và" between units, not inside a name.
      {"P. GDTrH và P. KT&KĐCLGD", {"P. GDTrH"}, {"P. KT&KĐCLGD"}},
      {"Sở Giáo dục và Đào tạo", {"Sở Giáo dục và Đào tạo"}, {}},
      // Marks and labels.
      {"P. GDTrH (chủ trì); P. KT&KĐCLGD (phối hợp)", {"P. GDTrH"}, {"P. KT&KĐCLGD"}},
      {"P. KT&KĐCLGD (phối hợp) P. GDTrH (chủ trì)", {"P. GDTrH"}, {"P. KT&KĐCLGD"}},
      {"Chủ trì: P. GDTrH; Phối hợp: P. KT&KĐCLGD, Văn phòng Sở",
       {"P. GDTrH"},
       {"P. KT&KĐCLGD", "Văn phòng Sở"}},
      {"Chủ trì: P. GDTrH Phối hợp: P. KT&KĐCLGD", {"P. GDTrH"}, {"P. KT&KĐCLGD"}},
      {"Chủ trì: P. GDTrH, P. GDTH; Phối hợp: Văn phòng Sở",
       {"P. GDTrH", "P. GDTH"},
       {"Văn phòng Sở"}},
      {"P. GDTrH; Văn phòng Sở phối hợp", {"P. GDTrH"}, {"Văn phòng Sở"}},
      {"Phối hợp với Đoàn TN", {}, {"Đoàn TN"}},
      {"chu tri: P. GDTrH; phoi hop: P. KT", {"P. GDTrH"}, {"P. KT"}},
      // Not split with confidence: reported.
      {"Ban Chấp hành Công đoàn trường", {"Ban Chấp hành"}, {"Công đoàn trường"}, true},
      {"P. GDTrH KT&KĐCLGD", {"P. GDTrH KT&KĐCLGD"}, {}, true},
  };
  for (const auto& c : cases) {
    const auto a = khuyenhoc::split_assignees(c.cell);
    EXPECT_EQ(a.leads, c.leads) << c.cell;
    EXPECT_EQ(a.supports, c.supports) << c.cell;
    EXPECT_EQ(!a.unclear.empty(), c.unclear) << c.cell;
  }
  EXPECT_THAT(khuyenhoc::split_units("P. GDTrH P. KT&KĐCLGD; Văn phòng Sở"),
              ElementsAre("P. GDTrH", "P. KT&KĐCLGD", "Văn phòng Sở"));
}

TEST(plan, split_assignees_holds_its_invariants_on_random_cells) {
  // Random cells built from the pieces real cells are made of (and a few letters whose case
  // mapping changes their length): no throw; every unit non-empty, trimmed, without a separator;
  // a cell without leads has only units marked as supporting.
  const std::vector<std::string> pieces = {
      "P.",        "P. GDTrH",   "Phòng",    "Giáo dục", "và",        "Sở",       "Văn phòng",
      "UBND",      "các",        "trường",   "Ban",      "Hội",       "Chủ trì:", "Phối hợp:",
      "(chủ trì)", "(phối hợp)", "phối hợp", "-",        " - ",       ";",        ",",
      "\n",        "•",          "<br>",     "  ",       "KT&KĐCLGD", "Đoàn",     "TN",
      "İ",         "ẞ",          "\xC2\xA0", "(",        ")",         "–",        "+"};
  std::mt19937 rng(15);
  for (int k = 0; k < 20000; ++k) {
    std::string cell;
    const int n = static_cast<int>(rng() % 9);
    for (int j = 0; j < n; ++j) {
      cell += pieces[rng() % pieces.size()];
      if (rng() % 2) cell += ' ';
    }
    khuyenhoc::assignees a;
    ASSERT_NO_THROW(a = khuyenhoc::split_assignees(cell)) << cell;
    std::vector<std::string> all = a.leads;
    all.insert(all.end(), a.supports.begin(), a.supports.end());
    for (const auto& u : all) {
      ASSERT_FALSE(u.empty()) << cell;
      ASSERT_NE(u.front(), ' ') << cell;
      ASSERT_NE(u.back(), ' ') << cell;
      ASSERT_EQ(u.find_first_of(";,\n\r"), std::string::npos) << "[" << cell << "] -> " << u;
    }
    if (a.leads.empty() && !a.supports.empty()) {
      // Only supports: every unit was marked as supporting.
      ASSERT_TRUE(cell.find("hối hợp") != std::string::npos) << cell;
    }
  }
}

TEST(plan, aliases_merge_abbreviations_and_full_names) {
  plan p;
  p.add(task("1", "1/9", {"P. GDTrH"}));
  p.add(task("2", "2/9", {"Phòng Giáo dục Trung học"}));  // built-in alias
  p.add(task("3", "3/9", {"Phòng GDTrH"}));               // "Phòng" = "P."
  p.add(task("4", "4/9", {"p.kt-kđclgd"}));
  p.add(task("5", "5/9", {"Phòng KT và KĐCLGD"}));  // "và", punctuation ignored
  p.add(task("6", "6/9", {"Ban Tuyên giáo"}));
  EXPECT_THAT(p.units(), ElementsAre("P. GDTrH", "p.kt-kđclgd", "Ban Tuyên giáo"));
  EXPECT_THAT(p[1].leads, ElementsAre("P. GDTrH"));
  // A department's own aliases, added later, merge units already read.
  khuyenhoc::unit_aliases mine;
  mine.add({"Ban Tuyên giáo", "BTG"});
  plan q = p;
  q.add(task("7", "7/9", {"BTG"}));
  EXPECT_EQ(q.units().size(), 4U);
  const plan r = q.with_aliases(mine);
  EXPECT_EQ(r.units().size(), 3U);
  EXPECT_THAT(r[6].leads, ElementsAre("Ban Tuyên giáo"));
  // From YAML, both shapes.
  const auto y1 = khuyenhoc::unit_aliases::from_yaml("aliases:\n  Ban Tuyên giáo: [BTG, Ban TG]\n");
  const auto y2 = khuyenhoc::unit_aliases::from_yaml("- [Ban Tuyên giáo, BTG]\n");
  EXPECT_EQ(y1.key("Ban TG"), y1.key("BTG"));
  EXPECT_EQ(y2.key("ban tuyên giáo"), y2.key("BTG"));
  EXPECT_THROW((void)khuyenhoc::unit_aliases::from_yaml("aliases: 3\n"), khuyenhoc::spec_error);
  // From the plan's YAML.
  const auto py = plan::from_yaml(R"(
year: 2024
aliases:
  Ban Tuyên giáo: BTG
tasks:
  - {id: a, title: Việc A, time: 1/9 - 5/9, assigned: Ban Tuyên giáo}
  - {id: b, title: Việc B, time: 2/9 - 6/9, assigned: BTG}
  - {id: c, title: Việc C, time: 3/9 - 4/9, assigned: btg}
)");
  EXPECT_EQ(py.units().size(), 1U);
  check_options o;
  o.capacity = 2;
  EXPECT_EQ(of_kind(py.check(o), finding_kind::overload).size(), 1U);
}

TEST(plan_check, no_lead_and_unclear_cells_are_findings) {
  const std::string text =
      "| TT | Thời gian | Nội dung | Phân công |\n"
      "|---|---|---|---|\n"
      "| 1 | 09/9 - 13/9 | Khảo sát | P. GDTrH |\n"
      "| 2 | 10/9 - 12/9 | Tổng hợp | |\n"
      "| 3 | 10/9 - 12/9 | Lấy ý kiến | Phối hợp: Văn phòng Sở |\n"
      "| 4 | 10/9 - 12/9 | Rà soát | P. GDTrH KT&KĐCLGD |\n";
  const auto p = plan::from_table(text, 2024);
  const auto fs = p.check();
  const auto nl = of_kind(fs, finding_kind::no_lead);
  ASSERT_EQ(nl.size(), 2U);
  EXPECT_THAT(nl[0].tasks, ElementsAre("2"));
  EXPECT_THAT(nl[0].message_en, HasSubstr("empty"));
  EXPECT_THAT(nl[1].tasks, ElementsAre("3"));
  EXPECT_THAT(nl[1].message_vi, HasSubstr("Phối hợp: Văn phòng Sở"));
  const auto uc = of_kind(fs, finding_kind::unclear_assignees);
  ASSERT_EQ(uc.size(), 1U);
  EXPECT_THAT(uc[0].tasks, ElementsAre("4"));
  EXPECT_THAT(uc[0].message_vi, HasSubstr("P. GDTrH KT&KĐCLGD"));
  EXPECT_EQ(uc[0].level, severity::warning);
}

TEST(plan_check, space_separated_units_are_counted_together) {
  // The overload the old reader missed: two tasks led by P. GDTX&ĐH on the same days, one of
  // them written with its partners in one space-separated cell.
  const std::string text =
      "1\t14/10 - 18/10\tKiểm tra hồ sơ\tP. GDTX&ĐH P. KT&KĐCLGD P. GDTrH\n"
      "2\t15/10 - 17/10\tTổng hợp số liệu\tP. GDTX&ĐH\n"
      "3\t16/10\tTổng hợp báo cáo\tPhòng Giáo dục thường xuyên và Đại học\n";
  const auto p = plan::from_table(text, 2024);
  check_options o;
  o.capacity = 2;
  const auto ov = of_kind(p.check(o), finding_kind::overload);
  ASSERT_EQ(ov.size(), 1U);
  EXPECT_EQ(ov[0].subject, "P. GDTX&ĐH");
  EXPECT_THAT(ov[0].tasks, ElementsAre("1", "2", "3"));
  EXPECT_EQ(ov[0].first, d(2024, 10, 16));
}

TEST(plan_check, kinds_come_from_the_time_first) {
  plan p;
  p.add(task("ceremony", "12/10", {"A"}, "Lễ biểu dương"));
  p.add(task("prepare", "01/9 - 16/9", {"B"}, "Lễ phát động: chuẩn bị, tuyên truyền"));
  p.add(task("mention", "14/10", {"C"}, "Chuẩn bị cho Lễ biểu dương"));
  p.add(task("due", "trước ngày 13/10", {"D"}, "Báo cáo"));
  auto explicit_event = task("meet", "13/10", {"E"}, "Chuẩn bị hội trường");
  explicit_event.kind = task_kind::event;
  explicit_event.kind_inferred = false;
  p.add(explicit_event);
  EXPECT_EQ(p[0].kind, task_kind::event);
  EXPECT_EQ(p[0].kind_hint, "Lễ");
  EXPECT_EQ(p[1].kind, task_kind::task);  // 16 days of work
  EXPECT_EQ(p[2].kind, task_kind::task);  // mentions a ceremony, is not one
  EXPECT_EQ(p[3].kind, task_kind::deadline);
  EXPECT_TRUE(p[3].kind_hint.empty());  // the time decided
  EXPECT_EQ(p[4].kind, task_kind::event);
  // A marker in the title is an explicit kind, over the time and the words.
  const auto marked = khuyenhoc::guess_task_kind("Chuẩn bị hội trường (Sự kiện)", nullptr);
  EXPECT_EQ(marked.kind, task_kind::event);
  EXPECT_TRUE(marked.marked);
  const auto week = khuyenhoc::parse_time("01/10 - 10/10", 2024);
  EXPECT_EQ(khuyenhoc::guess_task_kind("Hội thi tin học [su kien]", &week).kind, task_kind::event);
  EXPECT_EQ(khuyenhoc::guess_task_kind("Họp tổ (công việc)", &week).kind, task_kind::task);
  const auto fs = p.check();
  const auto off = of_kind(fs, finding_kind::day_off);
  ASSERT_EQ(off.size(), 3U);  // Saturday 12/10, Sunday 13/10 (deadline and event)
  // The guessed kind is reported as a guess; the explicit one is not.
  EXPECT_THAT(off[0].message_en, HasSubstr("from the word \"Lễ\""));
  for (const auto& f : off) {
    if (f.tasks[0] == "meet") {
      EXPECT_THAT(f.message_en, ::testing::Not(HasSubstr("word")));
    }
  }
  // The 16-day task starting on Sunday 1/9 is not "an event on a weekend".
  const auto nw = of_kind(fs, finding_kind::non_working_day);
  ASSERT_EQ(nw.size(), 1U);
  EXPECT_THAT(nw[0].tasks, ElementsAre("prepare"));
  EXPECT_THAT(nw[0].message_en, HasSubstr("Task \"prepare\" starts on Sunday 01/09/2024"));
}

TEST(plan_check, multi_day_events_are_checked_over_their_span) {
  plan p;
  auto make_event = [](std::string id, std::string time, std::string unit) {
    auto t = task(std::move(id), std::move(time), {std::move(unit)}, "Hội thi");
    t.kind = task_kind::event;
    t.kind_inferred = false;
    return t;
  };
  p.add(make_event("over_tet", "24/1/2025 - 04/2/2025", "A"));  // across the Tết break
  p.add(make_event("to_saturday", "10/10/2024 - 12/10/2024", "B"));
  p.add(make_event("weekdays", "07/10/2024 - 09/10/2024", "C"));
  auto work = task("work", "20/1/2025 - 10/2/2025", {"D"}, "Chuẩn bị");
  p.add(work);
  const auto fs = p.check();
  const auto off = of_kind(fs, finding_kind::day_off);
  ASSERT_EQ(off.size(), 2U);
  const auto& tet = off[0].tasks[0] == "over_tet" ? off[0] : off[1];
  const auto& sat = off[0].tasks[0] == "over_tet" ? off[1] : off[0];
  EXPECT_EQ(tet.level, severity::error);
  EXPECT_THAT(tet.message_en, HasSubstr("has 9 of its 12 days off work"));
  EXPECT_THAT(tet.message_en, HasSubstr("Saturday 25/01/2025 (Lunar New Year"));
  EXPECT_EQ(tet.first, d(2025, 1, 24));
  EXPECT_EQ(tet.last, d(2025, 2, 4));
  EXPECT_EQ(sat.level, severity::warning);
  EXPECT_THAT(sat.message_vi, HasSubstr("1/3 ngày là ngày nghỉ: thứ Bảy 12/10/2024"));
  // Work across Tết is information, not an error.
  const auto sh = of_kind(fs, finding_kind::spans_holiday);
  ASSERT_EQ(sh.size(), 1U);
  EXPECT_THAT(sh[0].tasks, ElementsAre("work"));
}

TEST(plan_io, files_must_be_utf8_or_utf16_with_a_bom) {
  const std::string utf8 = "1\t09/9 - 13/9\tKhảo sát\tP. GDTrH\n";
  // UTF-16LE with a BOM, as Excel's "Unicode Text" writes it.
  std::string utf16 = "\xFF\xFE";
  for (char32_t c : std::u32string(U"1\t09/9 - 13/9\tKhảo sát\tP. GDTrH\n")) {
    utf16 += static_cast<char>(c & 0xFF);
    utf16 += static_cast<char>((c >> 8) & 0xFF);
  }
  EXPECT_EQ(plan::decode_text(utf16), utf8);
  EXPECT_EQ(plan::decode_text("\xEF\xBB\xBF" + utf8), utf8);
  try {
    (void)plan::decode_text("1\t09/9\tKh\xE1o s\xE1t\n2\n", "k.txt");  // Windows-1258 bytes
    FAIL() << "expected parse_error";
  } catch (const khuyenhoc::parse_error& e) {
    EXPECT_EQ(e.where().file, "k.txt");
    EXPECT_EQ(e.where().line, 1U);
    EXPECT_THAT(e.message(), HasSubstr("not UTF-8"));
  }
  EXPECT_THROW((void)plan::from_table("1\t09/9\tKh\xE1o\tA\n", 2024), khuyenhoc::parse_error);
}

TEST(plan, merges_unit_names_differing_in_case_or_spacing) {
  plan p;
  p.add(task("1", "1/9", {"P. GDTrH"}));
  p.add(task("2", "2/9", {"P.GDTrH", "p.  gdtrh"}));
  p.add(task("3", "3/9", {"  P. GDTrH  "}));
  EXPECT_THAT(p.units(), ElementsAre("P. GDTrH"));
  EXPECT_THAT(p[1].leads, ElementsAre("P. GDTrH"));
  EXPECT_EQ(p.unit_name("p.gdtrh"), "P. GDTrH");
}

TEST(plan, rejects_duplicate_and_empty_ids) {
  plan p;
  p.add(task("1", "1/9", {"A"}));
  EXPECT_THROW(p.add(task("1", "2/9", {"A"})), khuyenhoc::data_error);
  EXPECT_THROW(p.add(task(" ", "2/9", {"A"})), khuyenhoc::data_error);
  EXPECT_EQ(p.size(), 1U);
}

// ---------------------------------------------------------------------------------------------
// Finding kinds
// ---------------------------------------------------------------------------------------------

TEST(plan_check, boundary_day_is_shared) {
  // A task ending 30/9 and one starting 30/9 share that day.
  plan p;
  p.add(task("a", "20/9 - 30/9", {"A"}));
  p.add(task("b", "30/9 - 5/10", {"A"}));
  p.add(task("c", "1/10 - 3/10", {"B"}));
  check_options o;
  o.capacity = 1;
  auto fs = p.check(o);
  auto over = of_kind(fs, finding_kind::overload);
  ASSERT_EQ(over.size(), 1U);
  EXPECT_EQ(over[0].first, d(2024, 9, 30));
  EXPECT_EQ(over[0].last, d(2024, 9, 30));
  EXPECT_THAT(over[0].tasks, ElementsAre("a", "b"));
  EXPECT_EQ(over[0].subject, "A");
  EXPECT_DOUBLE_EQ(over[0].load, 2.0);
  // Ending 29/9 instead: no overlap.
  plan q;
  q.add(task("a", "20/9 - 29/9", {"A"}));
  q.add(task("b", "30/9 - 5/10", {"A"}));
  EXPECT_TRUE(of_kind(q.check(o), finding_kind::overload).empty());
  // A dependency b after a: b starting on a's last day violates finish-to-start.
  plan r;
  r.add(task("a", "20/9 - 30/9", {"A"}));
  auto b = task("b", "30/9", {"B"});
  b.depends_on = {{"a", 0}};
  r.add(b);
  EXPECT_TRUE(has(r.check(), finding_kind::dependency_order, {"a", "b"}));
}

TEST(plan_check, overload_weighs_supporting_roles) {
  plan p;
  auto t1 = task("1", "10/9 - 12/9", {"A"});
  auto t2 = task("2", "11/9 - 20/9", {"B"});
  t2.supports = {"A"};
  p.add(t1);
  p.add(t2);
  check_options o;
  o.capacity = 1;
  auto fs = p.check(o);
  ASSERT_TRUE(has(fs, finding_kind::overload, {"1", "2"}));
  EXPECT_DOUBLE_EQ(of_kind(fs, finding_kind::overload)[0].load, 1.5);
  o.capacity = 1.5;
  EXPECT_TRUE(of_kind(p.check(o), finding_kind::overload).empty());
  o.capacity = 1;
  o.support_weight = 0;
  EXPECT_TRUE(of_kind(p.check(o), finding_kind::overload).empty());
  o.support_weight = 0.5;
  o.unit_capacity = {{"a", 2.0}};  // normalised like the plan's names
  EXPECT_TRUE(of_kind(p.check(o), finding_kind::overload).empty());
  o.capacity = -1;
  EXPECT_THROW((void)p.check(o), khuyenhoc::spec_error);
}

TEST(plan_check, resource_double_booked) {
  plan p;
  auto a = task("a", "4/10", {"A"}, "Lễ biểu dương");
  a.resources = {"Hội trường"};
  auto b = task("b", "3/10 - 4/10", {"B"});
  b.resources = {"hội  trường"};  // case and spacing never split a resource
  auto c = task("c", "4/10", {"C"});
  c.resources = {"Hội trường"};
  p.add(a);
  p.add(b);
  p.add(c);
  auto fs = p.check();
  auto rc = of_kind(fs, finding_kind::resource_conflict);
  ASSERT_EQ(rc.size(), 1U);
  EXPECT_THAT(rc[0].tasks, ElementsAre("a", "b", "c"));
  EXPECT_EQ(rc[0].subject, "Hội trường");
  EXPECT_EQ(rc[0].level, severity::error);
}

TEST(plan_check, coarse_overlap_is_a_separate_warning) {
  plan p;
  p.add(task("a", "Tháng 10/2024", {"A"}));
  p.add(task("b", "15/10", {"A"}));
  check_options o;
  o.capacity = 1;
  auto fs = p.check(o);
  EXPECT_TRUE(of_kind(fs, finding_kind::overload).empty());
  auto co = of_kind(fs, finding_kind::coarse_overlap);
  ASSERT_EQ(co.size(), 1U);
  EXPECT_EQ(co[0].level, severity::warning);
  EXPECT_THAT(co[0].tasks, ElementsAre("a", "b"));
}

TEST(plan_check, dependency_order_cycles_unknown_tentative) {
  plan p;
  p.add(task("5", "30/9 - 03/10", {"P. GDTrH"}, "Rà soát hồ sơ"));
  auto council = task("4", "01/10 (Dự kiến)", {"P. GDTrH"}, "Họp Hội đồng xét duyệt");
  council.depends_on = {{"5", 0}};
  p.add(council);
  auto ceremony = task("6", "10/10", {"VP"}, "Lễ biểu dương");
  ceremony.depends_on = {{"4", 2}, {"9", 0}};
  p.add(ceremony);
  auto x = task("x", "1/11", {"A"});
  x.depends_on = {{"y", 0}};
  auto y = task("y", "2/11", {"A"});
  y.depends_on = {{"x", 0}};
  p.add(x);
  p.add(y);
  auto fs = p.check();
  auto order = of_kind(fs, finding_kind::dependency_order);
  ASSERT_EQ(order.size(), 1U);
  EXPECT_THAT(order[0].tasks, ElementsAre("5", "4"));
  EXPECT_EQ(order[0].level, severity::error);
  EXPECT_THAT(order[0].message_vi, HasSubstr("trước khi"));
  EXPECT_THAT(order[0].message_en, HasSubstr("before"));
  EXPECT_TRUE(has(fs, finding_kind::tentative_dependency, {"4", "6"}));
  EXPECT_TRUE(has(fs, finding_kind::unknown_dependency, {"6"}));
  EXPECT_TRUE(has(fs, finding_kind::dependency_cycle, {"x", "y"}));
  // Lag: 6 starts 10/10 >= 1/10 + 1 + 2.
  EXPECT_FALSE(has(fs, finding_kind::dependency_order, {"4", "6"}));
}

TEST(plan_check, duplicates_window_days_off_open_ends_invalid) {
  plan p;
  p.add(task("1", "10/9 - 25/9", {"A"}, "Dự thảo tiêu chí"));
  p.add(task("2", "10/9 - 25/9", {"A"}, "Dự thảo  tiêu chí"));
  p.add(task("3", "02/9", {"B"}, "Họp Ban Chỉ đạo"));
  p.add(task("4", "08/9", {"B"}, "Lễ phát động"));
  p.add(task("5", "Từ 20/9", {"C"}, "Tiếp nhận hồ sơ"));
  p.add(task("6", "31/9", {"C"}, "Báo cáo"));
  p.add(task("7", "15/10 - 20/10", {"D"}, "Tổng kết"));
  p.add(task("8", "27/8 - 10/9", {"D"}, "Chuẩn bị"));
  p.add(task("9", "28/9", {"D"}, "Hạn chót nộp hồ sơ"));
  auto fs = p.check(window_2024());
  EXPECT_TRUE(has(fs, finding_kind::duplicate_task, {"1", "2"}));
  EXPECT_TRUE(has(fs, finding_kind::outside_window, {"3"}));
  EXPECT_TRUE(has(fs, finding_kind::outside_window, {"7"}));
  EXPECT_TRUE(has(fs, finding_kind::outside_window, {"8"}));
  auto off = of_kind(fs, finding_kind::day_off);
  ASSERT_EQ(off.size(), 3U);
  // 2/9 is National Day (error); 8/9/2024 a Sunday and 28/9/2024 a Saturday (warnings).
  EXPECT_EQ(off[0].tasks, std::vector<std::string>{"3"});
  EXPECT_EQ(off[0].level, severity::error);
  EXPECT_THAT(off[0].message_vi, HasSubstr("Quốc khánh"));
  EXPECT_TRUE(has(fs, finding_kind::day_off, {"4"}));
  EXPECT_TRUE(has(fs, finding_kind::day_off, {"9"}));
  EXPECT_TRUE(has(fs, finding_kind::open_ended, {"5"}));
  auto inv = of_kind(fs, finding_kind::invalid_time);
  ASSERT_EQ(inv.size(), 1U);
  EXPECT_THAT(inv[0].message_en, HasSubstr("31/9"));
  // Info: 20/10/2024 is a Sunday; 27/8 - 10/9 spans National Day.
  EXPECT_TRUE(has(fs, finding_kind::non_working_day, {"7"}));
  EXPECT_TRUE(has(fs, finding_kind::spans_holiday, {"8"}));
  auto o = window_2024();
  o.info = false;
  EXPECT_TRUE(of_kind(p.check(o), finding_kind::spans_holiday).empty());
}

TEST(plan_check, open_ended_closed_by_a_successor_is_fine) {
  plan p;
  p.add(task("1", "Từ 20/9", {"A"}));
  auto t = task("2", "1/10", {"A"});
  t.depends_on = {{"1", 0}};
  p.add(t);
  EXPECT_TRUE(of_kind(p.check(), finding_kind::open_ended).empty());
}

TEST(plan_check, output_order_is_deterministic) {
  plan p;
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const int a = 1 + static_cast<int>(rng() % 300);
    const int len = static_cast<int>(rng() % 10);
    const date s = d(2024, 1, 1) + boost::gregorian::days(a);
    const date e = s + boost::gregorian::days(len);
    auto t = task(std::to_string(i),
                  std::to_string(s.day()) + "/" + std::to_string(s.month().as_number()) + " - " +
                      std::to_string(e.day()) + "/" + std::to_string(e.month().as_number()),
                  {std::string(1, static_cast<char>('A' + rng() % 5))});
    p.add(t);
  }
  const auto a = p.check();
  const auto b = p.check();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].message_en, b[i].message_en);
  EXPECT_FALSE(a.empty());
  for (std::size_t i = 1; i < a.size(); ++i) EXPECT_LE(a[i - 1].level, a[i].level);
}

// ---------------------------------------------------------------------------------------------
// Sweep kernel against a brute-force reference
// ---------------------------------------------------------------------------------------------

TEST(plan_sweep, matches_brute_force) {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<khuyenhoc::detail::sweep_item> items;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      khuyenhoc::detail::sweep_item it;
      it.group = rng() % 3;
      it.start = rng() % 30;
      it.past_end = it.start + 1 + rng() % 6;
      it.certain = (rng() % 4 == 0) ? 0 : ((rng() % 2) ? 1000 : 500);
      it.possible = std::max<std::int64_t>(it.certain, 1000);
      it.task = static_cast<std::uint32_t>(i);
      items.push_back(it);
    }
    const std::vector<std::int64_t> cap{1000, 1500, 2000};
    const auto runs = khuyenhoc::detail::sweep_overloads(items, cap);
    for (std::uint32_t g = 0; g < 3; ++g) {
      for (std::int64_t day = 0; day < 40; ++day) {
        std::int64_t certain = 0, possible = 0;
        std::vector<std::uint32_t> active;
        for (const auto& it : items) {
          if (it.group == g && it.start <= day && day < it.past_end) {
            certain += it.certain;
            possible += it.possible;
            active.push_back(it.task);
          }
        }
        const int state = certain > cap[g] ? 2 : (possible > cap[g] ? 1 : 0);
        const auto run = std::find_if(runs.begin(), runs.end(), [&](const auto& r) {
          return r.group == g && r.start <= day && day < r.past_end;
        });
        if (state == 0) {
          EXPECT_EQ(run, runs.end()) << "group " << g << " day " << day;
          continue;
        }
        ASSERT_NE(run, runs.end()) << "group " << g << " day " << day;
        EXPECT_EQ(run->certain, state == 2);
        for (auto t : active) {
          EXPECT_TRUE(std::binary_search(run->tasks.begin(), run->tasks.end(), t));
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// find_overloads against a brute-force pairwise reference
// ---------------------------------------------------------------------------------------------

// Task i is overloaded when, on some day d of [s_i, e_i), the weights (thousandths) of the tasks
// j of its unit with s_j <= d < e_j sum to more than the capacity: every pair of tasks compared.
std::vector<std::uint8_t> brute_overloads(const std::vector<std::int64_t>& u,
                                          const std::vector<std::int64_t>& s,
                                          const std::vector<std::int64_t>& e,
                                          const std::vector<double>& w, double capacity) {
  const auto cap = std::llround(capacity * 1000);
  std::vector<std::uint8_t> out(u.size(), 0);
  for (std::size_t i = 0; i < u.size(); ++i) {
    for (auto d = s[i]; d < e[i] && !out[i]; ++d) {
      long long load = 0;
      for (std::size_t j = 0; j < u.size(); ++j) {
        if (u[j] == u[i] && s[j] <= d && d < e[j]) {
          load += w.empty() ? 1000 : std::llround(w[j] * 1000);
        }
      }
      out[i] = load > cap ? 1 : 0;
    }
  }
  return out;
}

TEST(find_overloads, matches_brute_force) {
  std::mt19937_64 rng(6);
  const double weights[] = {1.0, 0.5, 0.25, 0.3, 0.0, 1.5};
  const double capacities[] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0};
  for (int round = 0; round < 300; ++round) {
    const std::size_t n = 1 + rng() % 60;
    const std::int64_t span = round % 3 == 0 ? 4000 : 40;  // long periods: the sorted path
    const std::int64_t n_units = 1 + static_cast<std::int64_t>(rng() % 4);
    const bool sparse_ids = round % 5 == 0;  // codes far apart: renumbered internally
    std::vector<std::int64_t> u(n), s(n), e(n);
    std::vector<double> w;
    if (round % 2 == 1) w.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      u[i] = static_cast<std::int64_t>(rng() % n_units) * (sparse_ids ? 1'000'000'007 : 1);
      s[i] = -20 + static_cast<std::int64_t>(rng() % span);
      const auto len = rng() % 7 == 0 ? 0 : 1 + static_cast<std::int64_t>(rng() % (span / 4));
      e[i] = s[i] + len;  // zero-length tasks too; many share a start or end day
      if (!w.empty()) w[i] = weights[rng() % 6];
    }
    const double cap = capacities[rng() % 6];
    const auto expect = brute_overloads(u, s, e, w, cap);
    for (unsigned threads : {1U, 3U}) {
      const auto got = khuyenhoc::find_overloads(u, s, e, w, {.capacity = cap, .threads = threads});
      ASSERT_EQ(got, expect) << "round " << round << " capacity " << cap;
    }
  }
}

TEST(find_overloads, half_open_boundaries) {
  // [1, 5) and [5, 9) share no day; [4, 6) overlaps both; a zero-length task never counts.
  const std::vector<std::int64_t> u{0, 0, 1, 1, 1, 2, 2};
  const std::vector<std::int64_t> s{1, 5, 1, 5, 4, 3, 3};
  const std::vector<std::int64_t> e{5, 9, 5, 9, 6, 3, 4};
  EXPECT_EQ(khuyenhoc::find_overloads(u, s, e), (std::vector<std::uint8_t>{0, 0, 1, 1, 1, 0, 0}));
  // Supporting weights: on day 4, 1 + 0.5 is over capacity 1; on day 5, 0.5 + 0.5 is not.
  const std::vector<double> w{1, 0.5, 1, 0.5, 0.5, 1, 1};
  EXPECT_EQ(khuyenhoc::find_overloads(u, s, e, w, {.capacity = 1.0}),
            (std::vector<std::uint8_t>{0, 0, 1, 0, 1, 0, 0}));
  // uint32 codes give the same answer.
  const std::vector<std::uint32_t> u32(u.begin(), u.end());
  std::vector<std::uint8_t> out(u.size(), 7);
  khuyenhoc::find_overloads(std::span<const std::uint32_t>(u32), s, e, w, out, {.capacity = 1.0});
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0, 0, 1, 0, 1, 0, 0}));
}

TEST(find_overloads, threads_do_not_change_the_answer) {
  std::mt19937_64 rng(9);
  const std::size_t n = 200'000;
  std::vector<std::int64_t> u(n), s(n), e(n);
  for (std::size_t i = 0; i < n; ++i) {
    u[i] = static_cast<std::int64_t>(rng() % 4000);
    s[i] = static_cast<std::int64_t>(rng() % 365);
    e[i] = s[i] + 1 + static_cast<std::int64_t>(rng() % 14);
  }
  const auto one = khuyenhoc::find_overloads(u, s, e, {}, {.threads = 1});
  EXPECT_EQ(khuyenhoc::find_overloads(u, s, e, {}, {.threads = 4}), one);
  EXPECT_NE(std::count(one.begin(), one.end(), 1), 0);
  EXPECT_NE(std::count(one.begin(), one.end(), 0), 0);
}

TEST(find_overloads, bad_input_is_located) {
  const std::vector<std::int64_t> u{0, 1}, s{1, 5}, e{3, 4};
  try {
    (void)khuyenhoc::find_overloads(u, s, e);
    FAIL() << "expected data_error";
  } catch (const khuyenhoc::data_error& x) {
    EXPECT_THAT(x.what(), HasSubstr("task 1"));
    EXPECT_THAT(x.what(), HasSubstr("before it starts"));
  }
  const std::vector<std::int64_t> neg{0, -2}, ok_e{3, 6};
  EXPECT_THROW((void)khuyenhoc::find_overloads(neg, s, ok_e), khuyenhoc::data_error);
  const std::vector<double> bad_w{1.0, -0.5};
  EXPECT_THROW((void)khuyenhoc::find_overloads(u, s, ok_e, bad_w), khuyenhoc::data_error);
  const std::vector<std::int64_t> short_s{1};
  EXPECT_THROW((void)khuyenhoc::find_overloads(u, short_s, ok_e), khuyenhoc::data_error);
  EXPECT_THROW((void)khuyenhoc::find_overloads(u, s, ok_e, {}, {.capacity = -1}),
               khuyenhoc::spec_error);
  const std::vector<std::int64_t> far_s{0, -(std::int64_t{1} << 40)};
  EXPECT_THROW((void)khuyenhoc::find_overloads(u, far_s, ok_e), khuyenhoc::data_error);
}

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

TEST(plan_io, reads_the_domain_table) {
  const std::string text =
      "| TT | Thời gian thực hiện | Nội dung công việc | Phân công thực hiện |\n"
      "|---|---|---|---|\n"
      "| 1 | 02/9 - 12/9 | Khảo sát số lượng học sinh đoạt giải quốc gia | P. GDTrH |\n"
      "| 2 | 10/9 - 25/9 | Dự thảo tiêu chí biểu dương; lấy ý kiến các đơn vị | P. GDTrH; P. "
      "KT&KĐCLGD phối hợp |\n"
      "| 3 | Từ 20/9 | Tiếp nhận hồ sơ đề xuất | Văn phòng Sở |\n"
      "| 4 | 01/10 (Dự kiến) | Họp Hội đồng xét duyệt | P.GDTrH |\n"
      "| 5 | 30/9 - 03/10 | Rà soát hồ sơ, lập danh sách trình Hội đồng | P. GDTrH |\n"
      "| 6 | Tháng 10/2024 | Tổ chức Lễ biểu dương | Văn phòng Sở, các cơ sở giáo dục |\n"
      "| 7 | Quý 4/2024 | Tổng kết, báo cáo kết quả | P. GDTrH |\n"
      "| 8 | | Gửi báo cáo về Bộ | P. GDTrH |\n";
  const auto p = plan::from_table(text, 2024, "kh.md");
  ASSERT_EQ(p.size(), 8U);
  EXPECT_EQ(p[3].kind, task_kind::event);
  EXPECT_EQ(p[5].kind, task_kind::event);  // "Tổ chức Lễ …" some day in October
  EXPECT_EQ(p[5].kind_hint, "Lễ");
  EXPECT_EQ(p[0].kind, task_kind::task);
  EXPECT_THAT(p[1].supports, ElementsAre("P. KT&KĐCLGD"));
  EXPECT_THAT(p[3].leads, ElementsAre("P. GDTrH"));
  EXPECT_THAT(p[5].leads, ElementsAre("Văn phòng Sở"));
  EXPECT_THAT(p[5].supports, ElementsAre("các cơ sở giáo dục"));
  EXPECT_EQ(p[7].time_text, "Quý 4/2024");  // merged cell
  EXPECT_EQ(p[2].where.line, 5U);
  EXPECT_EQ(p[2].where.file, "kh.md");
  EXPECT_TRUE(p[3].time->tentative);
}

TEST(plan_io, reads_tab_separated_text_with_quoted_multiline_cells) {
  const std::string text =
      "1\t05/9 - 10/9\tBan hành kế hoạch\t\"- Hội Khuyến học\n- Phòng GDĐT phối hợp\"\n"
      "\t\tSection\t\n"
      "2\t\tTuyên truyền\tTrung tâm VH-TT\n"
      "1\t12/9\tHọp\tA\n";
  const auto p = plan::from_table(text, 2024);
  ASSERT_EQ(p.size(), 3U);
  EXPECT_THAT(p[0].leads, ElementsAre("Hội Khuyến học"));
  EXPECT_THAT(p[0].supports, ElementsAre("Phòng GDĐT"));
  EXPECT_EQ(p[1].time_text, "05/9 - 10/9");
  EXPECT_EQ(p[1].where.line, 4U);
  EXPECT_EQ(p[2].id, "1#2");
  EXPECT_THROW((void)plan::from_table("no table here", 2024), khuyenhoc::parse_error);
}

TEST(plan_io, csv_errors_are_located) {
  try {
    (void)plan::from_csv("TT,Thời gian,Nội dung\n1,5/9,A\n2,6/9\n", 2024, "p.csv");
    FAIL();
  } catch (const khuyenhoc::parse_error& e) {
    EXPECT_EQ(e.where().file, "p.csv");
    EXPECT_EQ(e.where().line, 3U);
  }
  try {
    (void)plan::from_csv("TT,Nội dung\n1,A\n", 2024, "p.csv");
    FAIL();
  } catch (const khuyenhoc::parse_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("time"));
  }
  try {
    (void)plan::from_csv("id,time,title\n1,5/9,A\n1,6/9,B\n", 2024, "p.csv");
    FAIL();
  } catch (const khuyenhoc::data_error& e) {
    EXPECT_EQ(e.where().line, 3U);
  }
  EXPECT_THROW((void)plan::from_csv("id,time,title\n1,\"5/9,A\n", 2024), khuyenhoc::parse_error);
  // Bad times are kept as tasks, reported by check.
  const auto p = plan::from_csv("id,time,title,lead\n1,31/9,A,X\n2,5/10 - 1/10,B,X\n", 2024);
  ASSERT_EQ(p.size(), 2U);
  EXPECT_FALSE(p[0].time);
  EXPECT_THAT(p[1].time_error, HasSubstr("5/10 - 1/10"));
  EXPECT_EQ(of_kind(p.check(), finding_kind::invalid_time).size(), 2U);
}

TEST(plan_io, yaml_reader_and_errors) {
  const auto p = plan::from_yaml(
      "year: 2024\n"
      "tasks:\n"
      "  - id: a\n    title: Rà soát\n    time: 30/9 - 3/10\n    lead: [P. GDTrH]\n"
      "  - id: b\n    title: Xét duyệt\n    time: 1/10\n    kind: event\n"
      "    lead: P. GDTrH\n    support: [VP]\n    resources: [Phòng họp]\n"
      "    depends_on: [a, {task: a, lag: 1}, \"a+2\"]\n",
      "p.yaml");
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[1].kind, task_kind::event);
  EXPECT_FALSE(p[1].kind_inferred);
  ASSERT_EQ(p[1].depends_on.size(), 3U);
  EXPECT_EQ(p[1].depends_on[1].lag_days, 1);
  EXPECT_EQ(p[1].depends_on[2].lag_days, 2);
  EXPECT_EQ(p[1].where.line, 7U);
  try {
    (void)plan::from_yaml("tasks:\n  - id: a\n    title: x\n    kind: meeting\n", "p.yaml");
    FAIL();
  } catch (const khuyenhoc::spec_error& e) {
    EXPECT_EQ(e.where().line, 4U);
    EXPECT_EQ(e.where().field, "kind");
  }
  try {
    (void)plan::from_yaml("tasks:\n  - id: a\n    title: x\n    when: 1/9\n", "p.yaml");
    FAIL();
  } catch (const khuyenhoc::spec_error& e) {
    EXPECT_EQ(e.where().line, 4U);
  }
  EXPECT_THROW((void)plan::from_yaml("tasks: [\n", "p.yaml"), khuyenhoc::parse_error);
  EXPECT_THROW((void)plan::from_yaml("- a\n"), khuyenhoc::spec_error);
}

// ---------------------------------------------------------------------------------------------
// The example plan: every planted conflict is found
// ---------------------------------------------------------------------------------------------

void expect_planted(const plan& p, bool with_dependencies) {
  const auto fs = p.check(window_2024());
  EXPECT_TRUE(has(fs, finding_kind::overload, {"4", "5", "6", "15"}) ||
              !of_kind(fs, finding_kind::overload).empty());
  const auto over = of_kind(fs, finding_kind::overload);
  ASSERT_FALSE(over.empty());
  EXPECT_EQ(over[0].subject, "Phòng GDĐT");
  EXPECT_TRUE(has(fs, finding_kind::day_off, {"2"}));  // 2/9 National Day
  EXPECT_TRUE(has(fs, finding_kind::day_off, {"3"}));  // Sunday 8/9/2024
  EXPECT_TRUE(has(fs, finding_kind::outside_window, {"2"}));
  EXPECT_TRUE(has(fs, finding_kind::outside_window, {"13"}));
  EXPECT_TRUE(has(fs, finding_kind::open_ended, {"7"}));
  EXPECT_TRUE(has(fs, finding_kind::invalid_time, {"14"}));
  EXPECT_TRUE(has(fs, finding_kind::duplicate_task, {"5", "15"}));
  EXPECT_FALSE(of_kind(fs, finding_kind::coarse_overlap).empty());
  if (with_dependencies) {
    EXPECT_TRUE(has(fs, finding_kind::dependency_order, {"8", "9"}));
    EXPECT_TRUE(has(fs, finding_kind::tentative_dependency, {"9", "10"}));
    EXPECT_TRUE(has(fs, finding_kind::resource_conflict, {"10", "11"}));
  }
  // Every row is accounted for.
  EXPECT_EQ(p.size(), 17U);
}

TEST(plan_example, csv_finds_every_planted_conflict) {
  const auto p = plan::from_csv_file(example("thang_khuyen_hoc_2024.csv"), 2024);
  expect_planted(p, true);
  EXPECT_EQ(p[15].time_text, "10/9 - 25/9");
  EXPECT_THAT(p[15].supports, ElementsAre("UBND các phường"));
  EXPECT_THAT(p[5].leads, ElementsAre("Phòng GDĐT"));
}

TEST(plan_example, yaml_finds_every_planted_conflict) {
  expect_planted(plan::from_yaml_file(example("thang_khuyen_hoc_2024.yaml")), true);
}

TEST(plan_example, table_finds_the_conflicts_a_table_can_show) {
  expect_planted(plan::from_table(
                     [] {
                       std::ifstream in(example("thang_khuyen_hoc_2024.txt"));
                       return std::string(std::istreambuf_iterator<char>(in), {});
                     }(),
                     2024, "thang_khuyen_hoc_2024.txt"),
                 false);
}

// ---------------------------------------------------------------------------------------------
// iCalendar and tables
// ---------------------------------------------------------------------------------------------

TEST(plan_example, word_table_2025) {
  // A Sở GDĐT plan as copied out of Word (examples/plans/README.md lists what is planted).
  const auto p = plan::from_table_file(example("bieu_duong_hsg_quoc_gia_2025.txt"), 2025);
  ASSERT_EQ(p.size(), 20U);
  EXPECT_THAT(p[3].leads, ElementsAre("P. GDTrH"));  // "P. GDTrH P. KT&KĐCLGD Văn phòng Sở"
  EXPECT_THAT(p[3].supports, ElementsAre("P. KT&KĐCLGD", "Văn phòng Sở"));
  EXPECT_THAT(p[2].leads, ElementsAre("P. GDTrH"));    // "Phòng Giáo dục Trung học", an alias
  EXPECT_THAT(p[2].supports, ElementsAre("P. KHTC"));  // the second line of a quoted cell
  EXPECT_THAT(p[4].leads, ElementsAre("P. KT&KĐCLGD"));  // "Chủ trì: … Phối hợp: …"
  EXPECT_THAT(p[6].supports, ElementsAre("P. GDTrH", "P. KHTC"));  // " - " flattened
  EXPECT_EQ(p[6].kind, task_kind::task);  // "Chuẩn bị cho Lễ …" over 26 days
  EXPECT_TRUE(p[16].time->ongoing);       // "Thường xuyên"

  check_options o;
  o.window = boost::gregorian::date_period(d(2025, 1, 2), d(2025, 4, 1));
  const auto fs = p.check(o);
  const auto ov = of_kind(fs, finding_kind::overload);
  ASSERT_EQ(ov.size(), 1U);
  EXPECT_EQ(ov[0].subject, "P. GDTrH");
  EXPECT_THAT(ov[0].tasks, ElementsAre("2", "3", "4", "5"));
  EXPECT_EQ(ov[0].first, d(2025, 1, 10));
  EXPECT_EQ(ov[0].last, d(2025, 1, 14));
  EXPECT_TRUE(has(fs, finding_kind::day_off, {"6"}));   // 27/01: the announced Tết break
  EXPECT_TRUE(has(fs, finding_kind::day_off, {"8"}));   // 02/02 - 03/02
  EXPECT_TRUE(has(fs, finding_kind::day_off, {"12"}));  // Saturday deadline
  EXPECT_TRUE(has(fs, finding_kind::invalid_time, {"11"}));
  EXPECT_TRUE(has(fs, finding_kind::no_lead, {"12"}));
  EXPECT_TRUE(has(fs, finding_kind::open_ended, {"10"}));
  EXPECT_TRUE(has(fs, finding_kind::duplicate_task, {"1", "18"}));
  EXPECT_TRUE(has(fs, finding_kind::unclear_assignees, {"19"}));
  EXPECT_TRUE(has(fs, finding_kind::outside_window, {"19"}));
  EXPECT_TRUE(has(fs, finding_kind::outside_window, {"20"}));
  EXPECT_TRUE(has(fs, finding_kind::spans_holiday, {"7"}));
  EXPECT_TRUE(has(fs, finding_kind::non_working_day, {"9"}));
  // 27/01/2025 is off only because of the announcement: by the law's computed days (from
  // 29 tháng Chạp) it is a working day, and the meeting would not be flagged.
  const auto vietnam = khuyenhoc::holiday_rules::vietnam();
  khuyenhoc::holiday_rules computed;  // the rules without the announced spans and swaps
  for (const auto& r : vietnam.rules()) computed.add_rule(r);
  for (const auto& x : vietnam.substitutes()) computed.add_substitute_rule(x);
  EXPECT_FALSE(has(p.check(o, khuyenhoc::calendar(computed)), finding_kind::day_off, {"6"}));
  // Nothing else is an error.
  for (const auto& f : fs) {
    if (f.level != severity::error) continue;
    EXPECT_TRUE(f.kind == finding_kind::overload || f.kind == finding_kind::day_off ||
                f.kind == finding_kind::invalid_time)
        << f.message_en;
  }
}

TEST(plan_output, ical_is_rfc5545_shaped) {
  plan p;
  auto t = task("a;1", "30/9 - 03/10", {"P. GDTrH"},
                "Rà soát hồ sơ, lập danh sách trình Hội đồng xét duyệt khen thưởng học sinh, "
                "sinh viên xuất sắc tiêu biểu năm 2024");
  t.supports = {"Văn phòng Sở"};
  p.add(t);
  p.add(task("b", "trước ngày 30/11 hàng năm", {"X"}, "Báo cáo"));
  p.add(task("c", "31/9", {"X"}));
  khuyenhoc::ical_options o;
  o.dtstamp = "20240901T000000Z";
  const auto ics = p.to_ical(o);
  EXPECT_TRUE(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
  EXPECT_TRUE(ics.ends_with("END:VCALENDAR\r\n"));
  EXPECT_THAT(ics, HasSubstr("DTSTART;VALUE=DATE:20240930\r\n"));
  EXPECT_THAT(ics, HasSubstr("DTEND;VALUE=DATE:20241004\r\n"));  // exclusive
  EXPECT_THAT(ics, HasSubstr("DTSTART;VALUE=DATE:20241130\r\nDTEND;VALUE=DATE:20241201\r\n"));
  EXPECT_THAT(ics, HasSubstr("UID:a%3B1@khuyenhoc\r\n"));
  EXPECT_THAT(ics, HasSubstr("Rà soát hồ sơ\\, lập"));
  EXPECT_EQ(std::count(ics.begin(), ics.end(), '\n'), std::count(ics.begin(), ics.end(), '\r'));
  std::size_t pos = 0;
  int events = 0;
  while (pos < ics.size()) {
    const auto e = ics.find("\r\n", pos);
    ASSERT_NE(e, std::string::npos);
    EXPECT_LE(e - pos, 75U);
    if (ics.compare(pos, 12, "BEGIN:VEVENT") == 0) ++events;
    pos = e + 2;
  }
  EXPECT_EQ(events, 2);
}

TEST(plan_output, findings_table_and_csv) {
  plan p;
  p.add(task("1", "02/9", {"A"}, "Họp"));
  const auto fs = p.check();
  ASSERT_EQ(fs.size(), 1U);
  const auto table = khuyenhoc::findings_table(fs, "vi");
  EXPECT_THAT(table, HasSubstr("day_off"));
  EXPECT_THAT(table, HasSubstr("ngày nghỉ lễ"));
  const auto csv = khuyenhoc::findings_csv(fs);
  EXPECT_THAT(csv, HasSubstr("error,day_off,2024-09-02,2024-09-02,1,"));
  EXPECT_THROW((void)khuyenhoc::findings_table(fs, "fr"), khuyenhoc::spec_error);
}

}  // namespace
