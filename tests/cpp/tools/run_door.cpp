// The C++ door of the byte-identity test (tests/python/test_doors.py): runs one named scenario
// through the library's pipeline and writes the result CSV and the report, exactly as an
// integrator would. The same scenarios are run through the CLI and Python, and the three
// outputs must be the same bytes.
//   run_door POOL CRITERIA RULES OUT.csv OUT.html SCENARIO
#include <iostream>
#include <string>

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/run.hpp"

namespace kh = khuyenhoc;

namespace {

kh::selection_policy scenario(const std::string& name) {
  kh::selection_policy p;
  if (name == "apportion") {
    p.per = "district";
    p.seats = 30;
    p.order = {kh::parse_order_key("exam_score desc"), kh::parse_order_key("name:full_name")};
  } else if (name == "levels_cap") {
    p.per = "district";
    p.levels = {{.name = "Giải Nhất", .seats = 5}, {.name = "Giải Nhì", .seats = 15}};
    p.cap_share = 0.05;
    p.order = {kh::parse_order_key("exam_score desc")};
  } else if (name == "include") {
    p.seats = 40;
    p.ties = kh::tie_policy::include;
  } else if (name == "exclude") {
    p.per = "district";
    p.seats = 40;
    p.ties = kh::tie_policy::exclude;
  } else if (name == "lottery") {
    p.seats = 25;
    p.order = {kh::parse_order_key("lottery")};
    p.seed = 7;
  } else {
    throw kh::spec_error("unknown scenario \"" + name + "\"");
  }
  p.mode = kh::default_quota_mode(p);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: run_door POOL CRITERIA RULES OUT.csv OUT.html SCENARIO\n";
    return 2;
  }
  try {
    kh::run_spec spec;
    spec.criteria = kh::criteria_set::from_file(argv[2]);
    spec.rules = kh::load_rule_set(argv[3]);
    spec.inputs = {{.role = "pool", .path = argv[1]},
                   {.role = "criteria", .path = argv[2]},
                   {.role = "rules", .path = argv[3]}};
    spec.policy = scenario(argv[6]);
    spec.report.title = "Danh sách học sinh được biểu dương";
    spec.report.organisation = "SỞ GIÁO DỤC VÀ ĐÀO TẠO";
    spec.report.place = "Hải Phòng";
    spec.report.date = "29/11/2026";
    const kh::pool p = kh::read_csv(argv[1]);
    const auto run = kh::prepared_run::prepare(spec, p);
    run.execute(p).write(argv[4], argv[5]);
  } catch (const kh::error& e) {
    std::cerr << "run_door: " << e.what() << '\n';
    return 2;
  }
  return 0;
}
