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

// Files are decoded by the library (UTF-8, UTF-16 with a byte order mark; anything else is a
// located parse_error, exit code 2). Year 0: the dates must carry their own years.
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
  plan p = f == "csv" ? plan::from_csv_file(path, year) : plan::from_table_file(path, year);
  if (year == 0) {
    // Without --year every date must carry its own; say so once instead of once per task.
    for (const auto& t : p.tasks()) {
      if (!t.time && t.time_error.find("no year given") != std::string::npos) {
        throw spec_error("--year is required: the time \"" + t.time_text + "\" of task \"" + t.id +
                             "\" has no year",
                         t.where);
      }
    }
  }
  return p;
}

// The campaign window. Without --year, a window written without a year takes the year of the
// plan's dates when they all start in one year.
boost::gregorian::date_period read_window(const std::string& text, int year, const plan& p) {
  if (year == 0) {
    int plan_year = 0;
    bool one_year = true;
    for (const auto& t : p.tasks()) {
      if (!t.time || !t.time->start) continue;
      const int y = t.time->start->year();
      if (plan_year == 0) plan_year = y;
      one_year = one_year && y == plan_year;
    }
    try {
      const auto w = parse_time(text);
      if (!w.bounded()) throw spec_error("--window must have a start and an end");
      return w.period();
    } catch (const parse_error& e) {
      if (e.message().find("no year given") == std::string::npos) throw;
      if (plan_year == 0 || !one_year) {
        throw spec_error("--window \"" + text + "\" has no year and the plan's dates span " +
                         (plan_year == 0 ? std::string("no year") : std::string("several years")) +
                         ": give --year or write the window's year");
      }
      year = plan_year;
    }
  }
  const auto w = parse_time(text, year);
  if (!w.bounded()) throw spec_error("--window must have a start and an end");
  return w.period();
}

}  // namespace

void add_plan(CLI::App& app) {
  struct args_t {
    std::string path, window, format = "table", input = "auto", ics, lang = "en", calendar, aliases;
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
  cmd->add_option("--year", a->year,
                  "Year of dates written without one (not needed when every date has a year)")
      ->check(CLI::Range(lunar_first_year, lunar_last_year - 1)
                  .description("a year " + std::to_string(lunar_first_year) + ".." +
                               std::to_string(lunar_last_year - 1)));
  cmd->add_option("--window", a->window,
                  "Campaign window as a time expression, e.g. 5/9-5/10 (year from --year or the "
                  "plan's dates)");
  cmd->add_option("--aliases", a->aliases,
                  "YAML of unit spellings to merge (name: [other spellings]), added to the "
                  "built-in ones");
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
    if (!a->ics.empty()) check_not_an_input(a->ics, {a->path, a->calendar, a->aliases});
    plan p = read_plan(a->path, a->year, a->input);
    if (!a->aliases.empty()) p = p.with_aliases(unit_aliases::from_yaml_file(a->aliases));
    check_options opt;
    opt.capacity = a->capacity;
    opt.support_weight = a->support_weight;
    opt.info = !a->no_info;
    if (!a->window.empty()) opt.window = read_window(a->window, a->year, p);
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
