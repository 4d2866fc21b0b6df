// `khuyenhoc plan check`: reads a plan (CSV, YAML or a copied task table), checks its schedule
// and prints the findings. Exit code 0 when there are none, 1 when there are, 2 on bad input.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "khuyenhoc/calendar.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/io.hpp"
#include "khuyenhoc/plan.hpp"
#include "khuyenhoc/time_expr.hpp"

namespace khuyenhoc::cli {

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

plan read_plan(const std::string& path, int year, const std::string& format) {
  std::string f = format;
  if (f == "auto") {
    if (ends_with(path, ".yaml") || ends_with(path, ".yml")) {
      f = "yaml";
    } else if (ends_with(path, ".txt") || ends_with(path, ".md") || ends_with(path, ".tsv")) {
      f = "table";
    } else {
      f = "csv";
    }
  }
  if (f == "yaml")
    return plan::from_yaml_file(path, year == 0 ? std::nullopt : std::optional(year));
  if (year == 0) throw spec_error("--year is required for CSV and table plans");
  if (f == "csv") return plan::from_csv_file(path, year);
  return plan::from_table(read_user_file(path), year, path);
}

}  // namespace

void add_plan(CLI::App& app) {
  struct args_t {
    std::string path, window, format = "table", input = "auto", ics, lang = "en", calendar;
    int year = 0;
    double capacity = 2.0, support_weight = 0.5;
    bool no_info = false;
  };
  auto a = std::make_shared<args_t>();
  auto* plan_cmd = app.add_subcommand("plan", "Plans (kế hoạch): check a schedule");
  plan_cmd->require_subcommand(1);
  auto* cmd = plan_cmd->add_subcommand(
      "check",
      "Check a plan's schedule: overloaded units, double-booked resources, dependency order and "
      "cycles, duplicates, dates outside the window or on days off, open ends, invalid times. "
      "Exit code 0: no findings, 1: findings, 2: bad input.");
  cmd->add_option("plan", a->path, "Plan file: .csv, .yaml/.yml, or .txt/.md/.tsv task table")
      ->required();
  cmd->add_option("--year", a->year, "Year of dates written without one (required except YAML)");
  cmd->add_option("--window", a->window,
                  "Campaign window as a time expression, e.g. 5/9-5/10 (year from --year)");
  cmd->add_option("--capacity", a->capacity, "Concurrent lead tasks a unit carries (default 2)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--support-weight", a->support_weight,
                  "Load of a supporting (phối hợp) role (default 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--format", a->format, "Output: table or csv")
      ->check(CLI::IsMember({"table", "csv"}));
  cmd->add_option("--input-format", a->input, "auto, csv, yaml or table")
      ->check(CLI::IsMember({"auto", "csv", "yaml", "table"}));
  cmd->add_option("--lang", a->lang, "Message language of the table: en or vi")
      ->check(CLI::IsMember({"en", "vi"}));
  cmd->add_option("--calendar", a->calendar, "Calendar YAML (holidays, weekend, make-up days)");
  cmd->add_option("--ics", a->ics, "Also write the plan as iCalendar to this file");
  cmd->add_flag("--no-info", a->no_info, "Leave out info findings");
  cmd->callback([a] {
    if (!a->ics.empty()) check_not_an_input(a->ics, {a->path, a->calendar});
    const plan p = read_plan(a->path, a->year, a->input);
    check_options opt;
    opt.capacity = a->capacity;
    opt.support_weight = a->support_weight;
    opt.info = !a->no_info;
    if (!a->window.empty()) {
      const auto w = a->year ? parse_time(a->window, a->year) : parse_time(a->window);
      if (!w.bounded()) throw spec_error("--window must have a start and an end");
      opt.window = w.period();
    }
    const calendar cal = a->calendar.empty() ? calendar() : calendar::from_yaml_file(a->calendar);
    const auto findings = p.check(opt, cal);
    if (!a->ics.empty()) {
      // Atomic, and never onto the plan or the calendar it was read from (io.hpp).
      write_file_atomic(a->ics, p.to_ical(), {a->path, a->calendar});
    }
    if (a->format == "csv") {
      std::cout << findings_csv(findings);
    } else {
      std::cout << findings_table(findings, a->lang);
      std::cout << p.size() << " tasks, " << findings.size() << " findings\n";
    }
    std::cout.flush();
    // main() maps every CLI11 error to exit_bad_input, so findings end the process here.
    if (!findings.empty()) std::exit(exit_findings);
  });
}

}  // namespace khuyenhoc::cli
