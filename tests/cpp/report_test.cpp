#include "khuyenhoc/report.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "khuyenhoc/detail/decimal.hpp"
#include "khuyenhoc/detail/format_vi.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/generate.hpp"

using namespace khuyenhoc;

namespace {

const double missing = std::numeric_limits<double>::quiet_NaN();

pool tiny(const std::vector<std::string>& ids, const std::vector<std::string>& districts) {
  std::vector<column> cols;
  cols.push_back(column::text("id", ids));
  cols.push_back(column::text("district", districts));
  return pool(std::move(cols), "id");
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The number in the conservation table row marked data-count="<key>" (-1 if there is none).
long long counted(const std::string& html, const std::string& key) {
  const auto row = html.find("data-count=\"" + key + "\">");
  if (row == std::string::npos) return -1;
  const std::string cell = "<td class=\"num\">";
  const auto at = html.find(cell, row);
  if (at == std::string::npos || at > html.find("</tr>", row)) return -1;
  return std::stoll(html.substr(at + cell.size()));
}

// True when every '&' starts an entity: "&name;" or "&#digits;".
bool ampersands_are_entities(const std::string& html) {
  for (auto at = html.find('&'); at != std::string::npos; at = html.find('&', at + 1)) {
    std::size_t i = at + 1;
    if (i < html.size() && html[i] == '#') ++i;
    const std::size_t first = i;
    while (i < html.size() && std::isalnum(static_cast<unsigned char>(html[i]))) ++i;
    if (i == first || i >= html.size() || html[i] != ';') return false;
  }
  return true;
}

struct fixture {
  pool p;
  selection_policy pol;
  selection s;
};

// Eight nominees in two districts: one ineligible, one without score, one below the minimum,
// the rest competing for 3 seats apportioned across the districts.
fixture make_fixture() {
  fixture f{
      tiny({"a", "b", "c", "d", "e", "f", "g", "h"}, {"X", "X", "X", "X", "Y", "Y", "Y", "Y"}),
      {},
      {}};
  const std::vector<double> score{90, 85, missing, 40, 88, 70, 65, 95};
  const std::vector<std::uint8_t> eligible{1, 1, 1, 1, 1, 1, 1, 0};
  const std::vector<std::string> why{"", "", "", "",
                                     "", "", "", "Hồ sơ thiếu <Tờ trình> & \"Biên bản\""};
  f.pol.per = "district";
  f.pol.mode = quota_mode::apportion;
  f.pol.seats = 3;
  f.pol.min_score = 50;
  f.pol.order.push_back(parse_order_key("lottery"));
  f.pol.seed = 7;
  f.s = select(make_selection_input(f.p, score, eligible, why, f.pol), f.pol);
  return f;
}

report_metadata make_meta() {
  report_metadata m;
  m.organisation = "Sở GD&ĐT <Tỉnh>";
  m.inputs.push_back(
      {.role = "pool", .name = "pool<1>.csv", .sha256 = std::string(64, 'a'), .bytes = 123});
  m.inputs.push_back(
      {.role = "criteria", .name = "c.yaml", .sha256 = std::string(64, 'b'), .bytes = 0});
  m.specs.push_back(
      {.kind = "criteria", .id = "honour", .name = "Tiêu chí \"A\" & B", .version = "2024.1"});
  m.specs.push_back({.kind = "rules", .id = "", .name = "Điều kiện", .version = ""});
  m.funnel.push_back({.id = "ho_so",
                      .description = "Hồ sơ <đủ>",
                      .warn_only = false,
                      .failed = 1,
                      .unknown = 0,
                      .remaining = 7});
  m.names = {"Nguyễn Văn <A>", "B", "C", "D", "E", "F", "G", "H"};
  return m;
}

}  // namespace

TEST(report, decimals_appended_as_formatted) {
  // append_decimal6_vi writes format_decimal_vi(v, 6) from the integer of the 6 places:
  // random magnitudes up to and past 10^9, halfway cases, noise of sums, signs and zeros.
  std::mt19937_64 rng(7);
  std::vector<double> values = {0.0,       -0.0,        8.5,          8.499999999999998,
                                65.58,     -65.58,      0.0000005,    -0.0000005,
                                0.0000004, 12000.5,     999999999.99, 1e9,
                                -1e9,      123456789.5, 1.0000005,    std::nan("")};
  for (int i = 0; i < 200000; ++i) {
    const double mag = std::pow(10.0, std::uniform_real_distribution<double>(-7, 10)(rng));
    const double v = (rng() & 1U) != 0 ? mag : -mag;
    values.push_back(v);
    values.push_back(std::round(v * 1e6) / 1e6 + 5e-7);  // near a halfway point
  }
  for (const double v : values) {
    std::string out = "x";
    khuyenhoc::detail::append_decimal6_vi(out, v);
    ASSERT_EQ(out, "x" + khuyenhoc::detail::format_decimal_vi(v, 6)) << v;
    out = "x";
    khuyenhoc::detail::append_decimal(out, v, ',');  // the rules' reasons: no grouping
    ASSERT_EQ(out, "x" + khuyenhoc::detail::format_decimal(v, ',')) << v;
  }
  for (const double v : {-0.0, -0.0000001, 0.0000004, 8.45, -8.45, 2.9999999999}) {
    std::string out;
    khuyenhoc::detail::append_decimal(out, v, '.');
    EXPECT_EQ(out, khuyenhoc::detail::format_decimal(v, '.')) << v;
  }
}

TEST(report, conservation_counts_add_up) {
  const auto f = make_fixture();
  const auto html = selection_report_html(f.s, f.pol, make_meta());
  EXPECT_EQ(counted(html, "input"), 8);
  EXPECT_EQ(counted(html, "selected"), static_cast<long long>(f.s.selected_count()));
  EXPECT_EQ(counted(html, "ineligible"), 1);
  EXPECT_EQ(counted(html, "no_score"), 1);
  EXPECT_EQ(counted(html, "below_minimum"), 1);
  const auto selected = counted(html, "selected");
  const auto not_selected = counted(html, "not_selected");
  EXPECT_EQ(selected, 3);
  EXPECT_EQ(selected + not_selected, 8);
  EXPECT_EQ(counted(html, "ineligible") + counted(html, "no_score") +
                counted(html, "below_minimum") + counted(html, "outside_quota") +
                counted(html, "tied_out"),
            not_selected);
  EXPECT_NE(html.find("8 = 3 + 5 ✓"), std::string::npos);
}

TEST(report, selected_list_and_seats) {
  const auto f = make_fixture();
  const auto html = selection_report_html(f.s, f.pol, make_meta());
  const auto start = html.find("id=\"selected-table\"");
  ASSERT_NE(start, std::string::npos);
  const auto table = html.substr(start, html.find("</table>", start) - start);
  // One body row per selected nominee, each with its id cell.
  EXPECT_EQ(count(table, "<tr>") - 1, f.s.selected_count());  // minus the header row
  for (std::size_t r = 0; r < f.s.size(); ++r) {
    const bool listed = table.find("<td>" + f.s.ids[r] + "</td>") != std::string::npos;
    EXPECT_EQ(listed, f.s.selected[r] != 0) << f.s.ids[r];
  }
  // Seats and cut-off of each group are in the seats table.
  const auto seats = html.substr(html.find("id=\"seats-table\""));
  for (const auto& o : f.s.outcomes) {
    EXPECT_NE(seats.find("data-group=\"" + o.group + "\""), std::string::npos);
  }
  EXPECT_NE(html.find("seed"), std::string::npos);
  EXPECT_NE(html.find(">7</dd>"), std::string::npos);  // the lottery seed
  EXPECT_NE(html.find("Phần dư lớn nhất (Hamilton)"), std::string::npos);
  EXPECT_EQ(html.find("largest_remainder"), std::string::npos);  // labels, not identifiers
  EXPECT_NE(html.find(std::string(64, 'a')), std::string::npos);
  EXPECT_NE(html.find("2024.1"), std::string::npos);
}

TEST(report, escapes_every_value) {
  const auto f = make_fixture();
  const auto html = selection_report_html(f.s, f.pol, make_meta());
  EXPECT_EQ(html.find("<A>"), std::string::npos);
  EXPECT_EQ(html.find("<Tỉnh>"), std::string::npos);
  EXPECT_EQ(html.find("<1>"), std::string::npos);
  EXPECT_EQ(html.find("<đủ>"), std::string::npos);
  EXPECT_NE(html.find("Sở GD&amp;ĐT &lt;Tỉnh&gt;"), std::string::npos);
  EXPECT_NE(html.find("Tiêu chí &quot;A&quot; &amp; B"), std::string::npos);
  EXPECT_NE(html.find("pool&lt;1&gt;.csv"), std::string::npos);
  EXPECT_TRUE(ampersands_are_entities(html));
}

TEST(report, self_contained_html5) {
  const auto f = make_fixture();
  const auto html = selection_report_html(f.s, f.pol, make_meta());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0), 0U);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(count(html, "<table"), count(html, "</table>"));
  EXPECT_EQ(count(html, "<tr"), count(html, "</tr>"));
  EXPECT_EQ(count(html, "<section"), count(html, "</section>"));
  EXPECT_NE(html.find("Chủ tịch Hội đồng"), std::string::npos);  // signature boxes
}

TEST(report, deterministic_and_time_only_when_asked) {
  const auto f = make_fixture();
  auto meta = make_meta();
  const auto a = selection_report_html(f.s, f.pol, meta);
  const auto g = make_fixture();  // recomputed from scratch
  EXPECT_EQ(a, selection_report_html(g.s, g.pol, make_meta()));
  EXPECT_EQ(a.find("generated-at"), std::string::npos);
  meta.generated_at = "2024-10-01 08:00:00 UTC";
  const auto b = selection_report_html(f.s, f.pol, meta);
  EXPECT_NE(b.find("2024-10-01 08:00:00 UTC"), std::string::npos);
}

TEST(report, writes_the_file) {
  const auto f = make_fixture();
  const auto meta = make_meta();
  const std::string path = ::testing::TempDir() + "khuyenhoc_report_test.html";
  write_selection_report(path, f.s, f.pol, meta);
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  EXPECT_EQ(buf.str(), selection_report_html(f.s, f.pol, meta));
  std::remove(path.c_str());
  EXPECT_THROW(write_selection_report("/nonexistent-dir/x/report.html", f.s, f.pol, meta), error);
}

TEST(report, rejects_names_of_the_wrong_length) {
  const auto f = make_fixture();
  auto meta = make_meta();
  meta.names.pop_back();
  EXPECT_THROW((void)selection_report_html(f.s, f.pol, meta), spec_error);
  meta.names.clear();
  meta.classification = {"x"};
  EXPECT_THROW((void)selection_report_html(f.s, f.pol, meta), spec_error);
}

TEST(report, order_key_round_trips) {
  for (const std::string spec :
       {"gpa desc", "gpa asc", "name:full_name", "text:school", "lottery"}) {
    EXPECT_EQ(to_string(parse_order_key(spec)), spec);
  }
}

TEST(report, levels_and_no_groups) {
  const auto p = generate_pool(300, {.seed = 3});
  std::vector<double> score(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) score[r] = static_cast<double>((r * 37) % 101);
  selection_policy pol;
  pol.levels = {{.name = "Giải Nhất", .seats = 5}, {.name = "Giải Nhì", .seats = 10}};
  const auto s = select(make_selection_input(p, score, {}, {}, pol), pol);
  const auto html = selection_report_html(s, pol, {});
  EXPECT_EQ(counted(html, "selected"), 15);
  EXPECT_EQ(counted(html, "input"), 300);
  EXPECT_NE(html.find("Giải Nhất: 5 suất, Giải Nhì: 10 suất"), std::string::npos);
  EXPECT_NE(html.find("300 = 15 + 285 ✓"), std::string::npos);
}
