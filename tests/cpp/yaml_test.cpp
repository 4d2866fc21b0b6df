// The one YAML loading path (src/yaml_load.cpp) and the one file opener (read_user_file), seen
// through every public reader: criteria sets, rule sets, plans, calendars.
#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "khuyenhoc/calendar.hpp"
#include "khuyenhoc/criteria.hpp"
#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/io.hpp"
#include "khuyenhoc/plan.hpp"
#include "khuyenhoc/rules.hpp"

using namespace khuyenhoc;

namespace {

template <class E, class F>
E expect_throw(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "other exception: " << e.what();
    throw;
  }
  ADD_FAILURE() << "no exception";
  throw std::logic_error("no exception");
}

const std::string rule_set_with_when_twice =
    "name: x\n"
    "rules:\n"
    "  - id: a\n"
    "    when: gpa >= 8\n"
    "    when: gpa >= 0\n";

TEST(yaml, duplicate_key_is_an_error_with_both_locations) {
  const auto e = expect_throw<parse_error>(
      [] { (void)parse_rule_set(rule_set_with_when_twice, "rules.yaml"); });
  EXPECT_EQ(e.where().file, "rules.yaml");
  EXPECT_EQ(e.where().line, 5U);
  EXPECT_EQ(e.where().column, 5U);
  EXPECT_NE(e.message().find("duplicate key \"when\""), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("first at line 4, column 5"), std::string::npos) << e.what();
}

TEST(yaml, duplicate_keys_refused_by_every_reader) {
  EXPECT_THROW((void)parse_criteria_yaml("id: a\nid: b\n", "c.yaml"), parse_error);
  EXPECT_THROW((void)plan::from_yaml("tasks: []\ntasks: []\n", "p.yaml", 2024), parse_error);
  EXPECT_THROW((void)calendar::from_yaml("weekend: [sat]\nweekend: [sun]\n", "cal.yaml"),
               parse_error);
}

TEST(yaml, alias_bomb_is_refused_quickly) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int k = 0; k < 10; ++k) bomb += std::string(k ? ", *" : "*") + static_cast<char>(c - 1);
    bomb += "]\n";
  }
  ASSERT_LT(bomb.size(), 1000U);  // ten levels of ten: 10^10 nodes once expanded
  const auto t0 = std::chrono::steady_clock::now();
  const auto e = expect_throw<limit_error>([&] { (void)parse_criteria_yaml(bomb, "bomb.yaml"); });
  EXPECT_NE(e.message().find("aliases"), std::string::npos) << e.what();
  EXPECT_EQ(e.where().file, "bomb.yaml");
  EXPECT_GT(e.where().line, 1U);
  (void)t0;
}

TEST(yaml, modest_aliases_are_allowed) {
  // The same band table shared by two indicators: fine, and duplicates inside it still count.
  const std::string ok = "x: &band {a: 1, b: 2}\ny: *band\nz: *band\n";
  EXPECT_THROW((void)parse_rule_set(ok, "r.yaml"), spec_error);  // unknown keys, not a limit
}

TEST(yaml, nesting_depth_is_bounded) {
  const std::string deep = std::string(200, '[') + std::string(200, ']') + "\n";
  const auto e = expect_throw<limit_error>([&] { (void)parse_rule_set(deep, "deep.yaml"); });
  EXPECT_NE(e.message().find("nests deeper than 64"), std::string::npos) << e.what();
}

TEST(yaml, invalid_utf8_is_located) {
  const std::string bad = "name: x\nrules:\n  - id: a\n    when: name == \"\xC3\x28\"\n";
  const auto e = expect_throw<parse_error>([&] { (void)parse_rule_set(bad, "r.yaml"); });
  EXPECT_EQ(e.where().line, 4U);
  EXPECT_EQ(e.where().column, 20U);
  EXPECT_NE(e.message().find("invalid UTF-8"), std::string::npos);
}

TEST(yaml, keys_must_be_text) {
  for (const std::string bad :
       {"? [a, b]\n: 1\n", "{[a]: 1}\n", "{{a: 1}: 2}\n", ": 1\n", "x: &k [1]\n*k : 2\n"}) {
    EXPECT_THROW((void)calendar::from_yaml(bad, "cal.yaml"), parse_error) << bad;
    EXPECT_THROW((void)parse_rule_set(bad, "r.yaml"), parse_error) << bad;
    EXPECT_THROW((void)parse_criteria_yaml(bad, "c.yaml"), parse_error) << bad;
  }
}

TEST(yaml, a_second_document_is_refused) {
  const auto e = expect_throw<parse_error>(
      [] { (void)parse_rule_set("name: x\nrules: []\n---\nname: y\n", "r.yaml"); });
  EXPECT_GE(e.where().line, 3U) << e.what();
}

TEST(user_files, a_missing_file_is_the_same_error_everywhere) {
  const std::string path = "/nonexistent/khuyenhoc/file";
  const std::vector<std::function<void()>> readers = {
      [&] { (void)read_csv(path); },
      [&] { (void)load_criteria_yaml(path); },
      [&] { (void)load_rule_set(path); },
      [&] { (void)plan::from_yaml_file(path, 2024); },
      [&] { (void)plan::from_csv_file(path, 2024); },
      [&] { (void)calendar::from_yaml_file(path); },
      [&] { (void)read_user_file(path); },
  };
  for (const auto& r : readers) {
    const auto e = expect_throw<io_error>(r);
    EXPECT_EQ(std::string(e.what()), path + ": cannot read the file: No such file or directory");
    EXPECT_EQ(e.os_errno(), ENOENT);
  }
}

TEST(user_files, a_directory_and_a_size_limit) {
  const auto dir = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(expect_throw<io_error>([&] { (void)read_user_file(dir); }).os_errno(), EISDIR);
  const std::string path = dir + "/khuyenhoc_user_file_" + std::to_string(::getpid());
  std::ofstream(path) << std::string(1000, 'x');
  EXPECT_EQ(read_user_file(path, 1000).size(), 1000U);
  const auto e = expect_throw<limit_error>([&] { (void)read_user_file(path, 999); });
  EXPECT_NE(e.message().find("limit of 999 bytes"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
