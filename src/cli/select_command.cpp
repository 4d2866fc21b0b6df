// `khuyenhoc select`: the main job, as a thin door on the library's pipeline (run.hpp):
// flags → run_spec → prepare → execute → write. Every rule of the domain lives in the library;
// this file only converts flags. The flags have the names of `selection_policy`'s fields with
// dashes (docs/selection.md has the table shared with Python).
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>
#include <type_traits>

#include "commands.hpp"

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/detail/parallel.hpp"
#include "khuyenhoc/io.hpp"
#include "khuyenhoc/run.hpp"
#include "progress.hpp"

namespace khuyenhoc::cli {

namespace {

template <class T>
std::map<std::string, T> as_map(const std::vector<std::pair<std::string, T>>& pairs) {
  return {pairs.begin(), pairs.end()};
}

char single_char(const std::string& text, const char* flag) {
  if (text == "\\t" || text == "tab") return '\t';
  if (text.size() != 1) {
    throw spec_error(std::string(flag) + " takes one character, not \"" + text + "\"");
  }
  return text[0];
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct args_t {
  std::string pool, criteria, rules, out, id = "id", per, mode, method = "largest_remainder";
  std::string ties = "break", levels, fixed, weights, cap_base;
  std::string format = "csv", summary_json;
  std::string report, title, organisation, governing_body, place, date;
  std::string name_column = "full_name";
  std::string schema, sep, decimal;
  std::vector<std::string> na, params;
  bool report_time = false;
  std::vector<std::string> order;
  std::int64_t seats = 0, group_min = 0, group_max = -1;
  double min_score = -std::numeric_limits<double>::infinity();
  std::optional<double> cap_share;
  std::uint64_t seed = 0;
  unsigned threads = 0;
  bool weigh_eligible = false, progress = false;
};

// The flags as the library's run specification.
run_spec spec_from(const args_t& a) {
  run_spec spec;
  spec.criteria = criteria_set::from_file(a.criteria);
  spec.inputs.push_back({.role = "pool", .path = a.pool});
  spec.inputs.push_back({.role = "criteria", .path = a.criteria});
  if (!a.rules.empty()) {
    spec.rules = load_rule_set(a.rules);
    spec.inputs.push_back({.role = "rules", .path = a.rules});
  }
  selection_policy& pol = spec.policy;
  pol.per = a.per;
  pol.seats = a.seats;
  pol.min_score = a.min_score;
  pol.method = parse_apportion_method(a.method);
  pol.ties = parse_tie_policy(a.ties);
  pol.seed = a.seed;
  pol.group_min = a.group_min;
  if (a.group_max >= 0) pol.group_max = a.group_max;
  pol.cap_share = a.cap_share;
  if (!a.cap_base.empty()) pol.cap_base = as_map(parse_named_numbers(a.cap_base, "cap_base"));
  pol.weigh_eligible = a.weigh_eligible;
  for (const auto& k : a.order) pol.order.push_back(parse_order_key(k));
  if (!a.weights.empty()) pol.weights = as_map(parse_named_numbers(a.weights, "weights"));
  for (const auto& [name, seats] : parse_named_counts(a.levels, "levels")) {
    pol.levels.push_back({.name = name, .seats = seats});
  }
  if (!a.fixed.empty()) pol.fixed = as_map(parse_named_counts(a.fixed, "fixed"));
  pol.mode = a.mode.empty() ? default_quota_mode(pol) : parse_quota_mode(a.mode);
  spec.report.title = a.title.empty() ? spec.report.title : a.title;
  spec.report.organisation = a.organisation;
  spec.report.governing_body = a.governing_body;
  spec.report.place = a.place;
  spec.report.date = a.date;
  spec.report.name_column = a.name_column;
  if (a.report_time) spec.report.generated_at = utc_timestamp();
  spec.threads = a.threads;
  for (const auto& p : a.params) spec.params.push_back(parse_param_assignment(p));
  return spec;
}

}  // namespace

void add_select(CLI::App& app) {
  auto a = std::make_shared<args_t>();
  auto* cmd = app.add_subcommand(
      "select",
      "Score a pool with a criteria set, check eligibility with a rule set, rank, select with "
      "quotas, write one result row per nominee (and the report) and print seats and cut-offs");
  cmd->add_option("--pool,-p", a->pool, "Pool CSV file (-: standard input)")
      ->required()
      ->check(existing_file_or_stdin());
  cmd->add_option("--criteria,-c", a->criteria, "Criteria set (YAML/JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--rules,-r", a->rules, "Rule set (YAML/JSON); without it everyone is eligible")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out,-o", a->out,
                  "Result file, one row per nominee (-: standard output, which cannot be atomic; "
                  "the summary then goes to stderr)")
      ->required();
  cmd->add_option("--format", a->format,
                  "Format of the result: csv, or json (an array of one object per nominee, keys "
                  "the CSV's columns)")
      ->capture_default_str();
  cmd->add_option("--summary-json", a->summary_json,
                  "Also write the summary for machines (counts, seats, cut-offs per group and "
                  "level, the funnel of the rules) as JSON, together with the other outputs");
  cmd->add_option("--id", a->id, "Id column of the pool")->capture_default_str();
  cmd->add_option("--seats,--quota,-q", a->seats,
                  "Seats in all (global and apportion modes; with --levels their sum is used)");
  cmd->add_option("--per", a->per, "Category column whose groups get seats (e.g. district)");
  cmd->add_option("--mode", a->mode,
                  "global, apportion or fixed (default: fixed with --fixed, apportion with "
                  "--per, else global)");
  cmd->add_option("--method,--apportion", a->method,
                  "How seats are shared across groups: largest_remainder (Hamilton), dhondt, "
                  "sainte_lague")
      ->capture_default_str();
  cmd->add_option("--weights", a->weights,
                  "Apportionment weights GROUP=W,... (default: each group's number of nominees)");
  cmd->add_flag("--weigh-eligible,--eligible-weights", a->weigh_eligible,
                "Weigh groups by their eligible nominees instead of all nominees");
  cmd->add_option("--fixed", a->fixed, "Fixed seats per group GROUP=N,... (mode fixed)");
  cmd->add_option("--group-min", a->group_min, "Minimum seats of every group")
      ->capture_default_str();
  cmd->add_option("--group-max", a->group_max, "Maximum seats of every group (-1: none)")
      ->capture_default_str();
  cmd->add_option("--cap-share", a->cap_share,
                  "At most this share (0-1) of a group's nominees selected (e.g. 0.15)");
  cmd->add_option("--cap-base", a->cap_base,
                  "Base of the cap per group GROUP=N,... (default: the group's nominees)");
  cmd->add_option("--min-score", a->min_score, "Minimum total score to be ranked");
  cmd->add_option("--ties", a->ties, "At a cut-off: break (by --order), include or exclude")
      ->capture_default_str();
  cmd->add_option("--order", a->order,
                  "Tie-breakers after the score, in order: COLUMN [asc|desc], name:COLUMN "
                  "(Vietnamese name order), text:COLUMN, lottery; the id always ends the order");
  cmd->add_option("--levels", a->levels,
                  "Award levels filled in cascade: NAME=SEATS,... (e.g. \"Giải Nhất=30,Giải "
                  "Nhì=90\")");
  cmd->add_option("--seed", a->seed, "Seed of the lottery tie-breaker")->capture_default_str();
  cmd->add_option("--threads", a->threads,
                  "Worker threads (0: all cores); results do not "
                  "depend on it")
      ->capture_default_str();
  cmd->add_option("--param", a->params,
                  "A value for a parameter the criteria or rule set declares, NAME=VALUE "
                  "(e.g. --param window_end=31/08/2025); repeat for several");
  cmd->add_option("--schema", a->schema,
                  "Column types of the pool: a file of `column: type` lines or "
                  "\"gpa:number,conduct:category\" (others are inferred)");
  cmd->add_option("--sep", a->sep, "Field separator of the pool CSV (default: detected , or ;)");
  cmd->add_option("--decimal", a->decimal,
                  "Decimal mark of the pool CSV (default: , when the separator is ;, else .)");
  cmd->add_option("--na", a->na,
                  "A cell meaning \"missing\" (repeat; default: empty, NA, N/A, ...)");
  a->progress = stderr_is_terminal();
  cmd->add_flag("--progress,!--no-progress", a->progress,
                "Show each phase with its time on stderr (default: on when stderr is a terminal)");
  cmd->add_option("--report", a->report,
                  "Also write the selection report (one self-contained HTML file: national "
                  "header, input checksums, parameters, funnel, seats and cut-offs, the selected "
                  "list, signatures)");
  cmd->add_option("--title,--report-title", a->title, "Title of the report");
  cmd->add_option("--organisation,--report-org", a->organisation,
                  "Issuing body in the report's header (e.g. \"SỞ GIÁO DỤC VÀ ĐÀO TẠO\")");
  cmd->add_option("--governing-body", a->governing_body,
                  "Governing body above it (e.g. \"UBND THÀNH PHỐ HẢI PHÒNG\")");
  cmd->add_option("--place", a->place, "Place of the report's place/date line");
  cmd->add_option("--date", a->date, "Date of the report's place/date line (dd/mm/yyyy)");
  cmd->add_option("--name-column", a->name_column,
                  "Pool column with the nominees' names shown in the report (if present)")
      ->capture_default_str();
  cmd->add_flag("--report-time", a->report_time,
                "Put the generation time (UTC) in the report (default: none, so the same "
                "inputs give byte-identical reports)");

  cmd->callback([a] {
    const auto t0 = std::chrono::steady_clock::now();
    if (a->format == "parquet") {
      throw spec_error(
          "--format parquet: the khuyenhoc tool has no Parquet writer; write --format csv or "
          "json, or use the Python package, whose Arrow door reads and writes Parquet through "
          "pyarrow (khuyenhoc.read_parquet, Pool.to_parquet)");
    }
    if (a->format != "csv" && a->format != "json") {
      throw spec_error("--format: \"" + a->format + "\" is not csv or json");
    }
    const bool to_stdout = a->out == "-";
    if (a->report == "-" || (to_stdout && a->summary_json == "-")) {
      throw spec_error("only one output can be standard output (-): --out or --summary-json");
    }
    // Outputs are checked against the inputs before any work.
    std::vector<std::string> inputs{a->criteria};
    if (a->pool != "-") inputs.push_back(a->pool);
    if (!a->rules.empty()) inputs.push_back(a->rules);
    std::vector<std::string> files;  // the outputs written to files, together
    for (const auto* out : {&a->out, &a->report, &a->summary_json}) {
      if (out->empty() || *out == "-") continue;
      check_not_an_input(*out, inputs);
      for (const auto& other : files) check_not_an_input(*out, {other});  // one file per output
      files.push_back(*out);
    }

    phase_progress prog(a->progress, stderr_is_terminal());
    prog.begin("preparing " + a->criteria + (a->rules.empty() ? "" : " and " + a->rules));
    csv_options opt;
    opt.id_column = a->id;
    opt.threads = a->threads;
    if (!a->schema.empty()) {
      // A file of `column: type` lines, or the same inline: "gpa:number,conduct:category".
      const bool is_file = std::filesystem::is_regular_file(a->schema);
      opt.schema = parse_schema(is_file ? read_user_file(a->schema) : a->schema,
                                is_file ? a->schema : "--schema");
    }
    if (!a->sep.empty()) opt.separator = single_char(a->sep, "--sep");
    if (!a->decimal.empty()) opt.decimal = single_char(a->decimal, "--decimal");
    if (!a->na.empty()) opt.na_values = a->na;
    run_spec spec = spec_from(*a);
    // Only the columns the run reads are converted (the others are still checked as text and
    // counted as fields); a column the spec names that the file lacks is reported by prepare.
    opt.columns = spec.pool_columns();
    opt.ignore_missing_columns = true;
    if (a->pool == "-") {
      // The report lists files with their checksums; standard input is not one.
      std::erase_if(spec.inputs, [](const run_input_file& f) { return f.role == "pool"; });
    }
    // The checksums of the inputs are for the report alone: without one, the run does not read
    // the pool again to compute them (a core-second at 10 million nominees). The outputs are
    // kept off the inputs by `inputs` above either way.
    if (a->report.empty()) spec.inputs.clear();
    prog.end("");
    prog.begin("reading " + (a->pool == "-" ? std::string("standard input") : a->pool));
    if (prog.enabled()) opt.progress = prog.callback();
    const pool p = read_pool_arg(a->pool, opt);
    const double t_read = seconds_since(t0);
    prog.end(std::to_string(p.size()) + " nominees");

    const auto t1 = std::chrono::steady_clock::now();
    prog.begin("scoring, rules, ranking and selecting");
    const auto run = prepared_run::prepare(spec, p);
    for (const auto& w : run.warnings()) std::cerr << "khuyenhoc: warning: " << w.message << '\n';
    const run_result result = run.execute(p);
    const double t_run = seconds_since(t1);
    prog.end(std::to_string(result.selected_count()) + " selected");

    const auto t2 = std::chrono::steady_clock::now();
    prog.begin("writing " + (to_stdout ? std::string("standard output") : a->out) +
               (a->report.empty() ? "" : " and " + a->report));
    // The result (CSV or JSON) is streamed to its temporary file while the report is rendered
    // (its inputs' checksums read) on one more thread, or to standard output once the files are
    // in place; the files are replaced together, or none is (a failure removes the temporaries).
    const bool json = a->format == "json";
    auto report_job = detail::on_another_thread(
        [&] { return a->report.empty() ? std::string() : result.report_html(); });
    const std::string summary_json =
        a->summary_json.empty() ? std::string() : result.summary_json();
    auto stream_result = [&](std::ostream& out) {
      if (json) {
        result.write_json(out);
      } else {
        result.write_csv(out);
      }
    };
    {
      output_set outputs(inputs);
      auto put = [&outputs](const std::string& path, const std::string& bytes) {
        if (path.empty() || path == "-") return;
        outputs.add(path).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      };
      if (!to_stdout) stream_result(outputs.add(a->out));
      put(a->report, report_job.get());
      put(a->summary_json, summary_json);
      outputs.commit();
    }
    if (to_stdout) {
      stream_result(std::cout);
      std::cout.flush();
      if (!std::cout) {
        throw io_error("cannot write the result to standard output", location{.file = "<stdout>"},
                       errno);
      }
    }
    if (a->summary_json == "-") write_stdout(summary_json, "the summary");
    const double t_write = seconds_since(t2);
    prog.end(std::to_string(p.size()) + " rows");
    prog.finish();

    // The summary goes where the result does not.
    std::ostream& human = (to_stdout || a->summary_json == "-") ? std::cerr : std::cout;
    human << "Pool " << a->pool << ": " << result.summary();
    human << "\nresult: " << a->out << " (" << result.size() << " rows = " << p.size()
          << " nominees); read " << t_read << " s, run " << t_run << " s, write " << t_write
          << " s\n";
  });
}

}  // namespace khuyenhoc::cli
