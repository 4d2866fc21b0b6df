// `khuyenhoc select`: the main job. Scores a pool with a criteria set, checks eligibility with a
// rule set, ranks, selects with quotas, writes the full result and prints a summary.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>

#include "commands.hpp"
#include "khuyenhoc/criteria.hpp"
#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/rules.hpp"
#include "khuyenhoc/selection.hpp"
#include "progress.hpp"

namespace khuyenhoc::cli {

namespace {

// "A=3,B=4" → {("A",3),("B",4)} in the order written; the value after the last '=' of each item.
template <class T>
std::vector<std::pair<std::string, T>> parse_assignments(const std::string& text,
                                                         const char* what) {
  std::vector<std::pair<std::string, T>> out;
  std::size_t b = 0;
  while (b < text.size()) {
    auto e = text.find(',', b);
    if (e == std::string::npos) e = text.size();
    const auto item = text.substr(b, e - b);
    const auto eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      throw spec_error(std::string(what) + ": \"" + item + "\" is not NAME=VALUE");
    }
    std::size_t used = 0;
    const auto value = item.substr(eq + 1);
    try {
      if constexpr (std::is_integral_v<T>) {
        out.emplace_back(item.substr(0, eq), static_cast<T>(std::stoll(value, &used)));
      } else {
        out.emplace_back(item.substr(0, eq), static_cast<T>(std::stod(value, &used)));
      }
    } catch (const std::logic_error&) {
      used = 0;
    }
    if (used == 0 || used != value.size()) {
      throw spec_error(std::string(what) + ": \"" + item + "\" has no number after '='");
    }
    b = e + 1;
  }
  return out;
}

template <class T>
std::map<std::string, T> as_map(const std::vector<std::pair<std::string, T>>& pairs) {
  return {pairs.begin(), pairs.end()};
}

// What the report says besides the selection: input checksums, set names and versions, the
// funnel with the rules' descriptions, names and classifications per row.
template <class Args>
report_metadata report_meta(const Args& a, const pool& p, const criteria_set& criteria,
                            const score_table& scores, const std::optional<rule_set_spec>& rules,
                            const std::optional<verdicts>& v) {
  report_metadata meta;
  if (!a.report_title.empty()) meta.title = a.report_title;
  meta.organisation = a.report_org;
  meta.group_label = a.per;
  meta.inputs.push_back(describe_input("pool", a.pool));
  meta.inputs.push_back(describe_input("criteria", a.criteria));
  const auto& cs = criteria.spec();
  meta.specs.push_back({.kind = "criteria", .id = cs.id, .name = cs.name, .version = cs.version});
  if (rules) {
    meta.inputs.push_back(describe_input("rules", a.rules));
    meta.specs.push_back(
        {.kind = "rules", .id = {}, .name = rules->name, .version = rules->version});
    std::map<std::string, std::string> descriptions;
    for (const auto& r : rules->rules) descriptions[r.id] = r.description;
    for (const auto& step : v->funnel()) {
      meta.funnel.push_back({.id = step.rule_id,
                             .description = descriptions[step.rule_id],
                             .warn_only = step.level == rule_severity::warn,
                             .failed = step.failed,
                             .unknown = step.unknown,
                             .remaining = step.remaining});
    }
  }
  const column* names = a.name_column.empty() ? nullptr : p.find(a.name_column);
  if (names && (names->type() == column_type::text || names->type() == column_type::category)) {
    const bool text = names->type() == column_type::text;
    meta.names.resize(p.size());
    for (std::size_t r = 0; r < p.size(); ++r)
      meta.names[r] = std::string(text ? names->text_at(r) : names->category_at(r));
  }
  const auto& level_names = scores.criteria().level_names();
  const auto lv = scores.level();
  meta.classification.resize(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) {
    if (lv[r] >= 0 && static_cast<std::size_t>(lv[r]) < level_names.size())
      meta.classification[r] = level_names[static_cast<std::size_t>(lv[r])];
  }
  if (a.report_time) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::array<char, 32> buf{};
    const auto len = std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S UTC", &utc);
    meta.generated_at.assign(buf.data(), len);
  }
  return meta;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void add_select(CLI::App& app) {
  struct args_t {
    std::string pool, criteria, rules, out, id = "id", per, method = "largest_remainder";
    std::string ties = "break", levels, fixed, weights;
    std::string report, report_title, report_org, name_column = "full_name";
    bool report_time = false;
    std::vector<std::string> order;
    std::int64_t quota = 0, group_min = 0, group_max = -1;
    double min_score = -std::numeric_limits<double>::infinity();
    double cap_share = -1;
    std::uint64_t seed = 0;
    bool eligible_weights = false, progress = false, fixed_mode = false;
  };
  auto a = std::make_shared<args_t>();
  auto* cmd = app.add_subcommand(
      "select",
      "Score a pool with a criteria set, check eligibility with a rule set, rank, select with "
      "quotas, write one result row per nominee and print seats and cut-offs per group");
  cmd->add_option("--pool,-p", a->pool, "Pool CSV file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--criteria,-c", a->criteria, "Criteria set (YAML/JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--rules,-r", a->rules, "Rule set (YAML/JSON); without it everyone is eligible")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out,-o", a->out, "Result CSV (one row per nominee)")->required();
  cmd->add_option("--id", a->id, "Id column of the pool")->capture_default_str();
  cmd->add_option("--quota,-q", a->quota, "Seats in all (ignored with --levels or --fixed)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--per", a->per, "Category column whose groups get seats (e.g. district)");
  cmd->add_option("--apportion", a->method,
                  "How seats are shared across groups: largest_remainder (Hamilton), dhondt, "
                  "sainte_lague")
      ->capture_default_str();
  cmd->add_option("--weights", a->weights,
                  "Apportionment weights GROUP=W,... (default: each group's number of nominees)");
  cmd->add_flag("--eligible-weights", a->eligible_weights,
                "Weigh groups by their eligible nominees instead of all nominees");
  cmd->add_option("--fixed", a->fixed, "Fixed seats per group GROUP=N,... instead of --quota");
  cmd->add_option("--group-min", a->group_min, "Minimum seats of every group")
      ->capture_default_str();
  cmd->add_option("--group-max", a->group_max, "Maximum seats of every group (-1: none)")
      ->capture_default_str();
  cmd->add_option("--cap-share", a->cap_share,
                  "At most this share of a group's nominees selected (e.g. 0.15)");
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
  a->progress = stderr_is_terminal();
  cmd->add_flag("--progress,!--no-progress", a->progress,
                "Show each phase (reading, scoring, rules, selecting, writing) with its percent, "
                "counts and time on stderr (default: on when stderr is a terminal)");
  cmd->add_option("--report", a->report,
                  "Also write the selection report (one self-contained HTML file: input "
                  "checksums, parameters, funnel, seats and cut-offs, the selected list)");
  cmd->add_option("--report-title", a->report_title, "Title of the report");
  cmd->add_option("--report-org", a->report_org, "Organisation line above the report's title");
  cmd->add_option("--name-column", a->name_column,
                  "Pool column with the nominees' names shown in the report (if present)")
      ->capture_default_str();
  cmd->add_flag("--report-time", a->report_time,
                "Put the generation time (UTC) in the report (default: none, so the same "
                "inputs give byte-identical reports)");

  cmd->callback([a] {
    const auto t0 = std::chrono::steady_clock::now();
    csv_options opt;
    opt.id_column = a->id;
    phase_progress prog(a->progress, stderr_is_terminal());
    prog.begin("reading " + a->pool);
    if (prog.enabled()) opt.progress = prog.callback();
    const pool p = read_csv(a->pool, opt);
    const double t_read = seconds_since(t0);
    prog.end(std::to_string(p.size()) + " nominees");

    // Scores.
    const auto t1 = std::chrono::steady_clock::now();
    prog.begin("scoring with " + a->criteria);
    const auto criteria = criteria_set::from_file(a->criteria);
    const score_table scores = criteria.score(p);
    std::vector<double> total(scores.total().data(), scores.total().data() + p.size());
    std::vector<std::string> score_note(p.size());
    const auto unclassifiable = scores.unclassifiable();
    for (std::size_t r = 0; r < p.size(); ++r) {
      if (unclassifiable[r]) {
        total[r] = std::numeric_limits<double>::quiet_NaN();
        score_note[r] = scores.reason(r);
      }
    }
    const double t_score = seconds_since(t1);
    const auto n_unclassifiable =
        std::count(unclassifiable.begin(), unclassifiable.end(), std::uint8_t{1});
    prog.end(std::to_string(p.size()) + " scored, " + std::to_string(n_unclassifiable) +
             " unclassifiable");

    // Eligibility.
    const auto t2 = std::chrono::steady_clock::now();
    std::vector<std::uint8_t> eligible;
    std::vector<std::string> why;
    std::optional<verdicts> v;
    std::optional<rule_set_spec> rules_spec;
    if (!a->rules.empty()) {
      prog.begin("rules " + a->rules);
      rules_spec = load_rule_set(a->rules);
      const auto rules = rule_set::compile(*rules_spec, p);
      for (const auto& w : rules.warnings())
        std::cerr << "khuyenhoc: warning: " << w.message << '\n';
      v = rules.evaluate(p);
      eligible.assign(v->eligible().begin(), v->eligible().end());
      why.resize(p.size());
      for (std::size_t r = 0; r < p.size(); ++r) {
        if (eligible[r]) continue;
        for (const auto& reason : v->reasons(r)) why[r] += (why[r].empty() ? "" : "; ") + reason;
      }
    }
    const double t_rules = seconds_since(t2);
    if (v) {
      const auto n_eligible = std::count(eligible.begin(), eligible.end(), std::uint8_t{1});
      prog.end(std::to_string(n_eligible) + " of " + std::to_string(p.size()) + " eligible");
    }

    // Selection.
    const auto t3 = std::chrono::steady_clock::now();
    prog.begin("ranking and selecting");
    selection_policy pol;
    pol.group_column = a->per;
    pol.seats = a->quota;
    pol.min_score = a->min_score;
    pol.method = parse_apportion_method(a->method);
    pol.ties = parse_tie_policy(a->ties);
    pol.lottery_seed = a->seed;
    pol.group_minimum = a->group_min;
    if (a->group_max >= 0) pol.group_maximum = a->group_max;
    if (a->cap_share >= 0) pol.cap_share = a->cap_share;
    pol.weight_eligible_only = a->eligible_weights;
    for (const auto& k : a->order) pol.tie_breakers.push_back(parse_order_key(k));
    if (!a->weights.empty())
      pol.group_weights = as_map(parse_assignments<double>(a->weights, "--weights"));
    for (const auto& [name, seats] : parse_assignments<std::int64_t>(a->levels, "--levels")) {
      pol.levels.push_back({.name = name, .seats = seats});
    }
    if (!a->fixed.empty()) {
      pol.mode = quota_mode::fixed;
      pol.fixed_quotas = as_map(parse_assignments<std::int64_t>(a->fixed, "--fixed"));
    } else {
      pol.mode = a->per.empty() ? quota_mode::global : quota_mode::apportion;
    }
    const auto result = select(make_selection_input(p, total, eligible, why, pol, score_note), pol);
    const double t_select = seconds_since(t3);
    prog.end(std::to_string(result.selected_count()) + " selected");

    // Result: the selection plus the criteria classification of each nominee.
    pool out = to_pool(result, a->per.empty() ? "group" : a->per);
    {
      const auto lv = scores.level();
      std::vector<std::int32_t> codes(lv.begin(), lv.end());
      out = out.with_column(
          column::category("classification", std::move(codes), scores.criteria().level_names()));
    }
    prog.begin("writing " + a->out);
    write_csv(out, a->out);
    prog.end(std::to_string(out.size()) + " rows");
    if (!a->report.empty()) {
      write_selection_report(a->report, result, pol,
                             report_meta(*a, p, criteria, scores, rules_spec, v));
    }

    prog.finish();
    std::cout << "Pool " << a->pool << ": " << p.size() << " nominees; criteria "
              << criteria.spec().id << "; " << result.selected_count() << " selected\n\n";
    if (v) {
      std::cout << "Eligibility funnel (rules in order):\n";
      for (const auto& step : v->funnel()) {
        std::cout << "  " << step.rule_id << ": " << step.failed << " fail, " << step.unknown
                  << " unknown, " << step.remaining << " remain\n";
      }
      std::cout << '\n';
    }
    std::cout << format_outcomes(result);
    std::cout << "\nresult: " << a->out << " (" << out.size() << " rows = " << p.size()
              << " nominees); read " << t_read << " s, score " << t_score << " s, rules " << t_rules
              << " s, select " << t_select << " s\n";
    if (pol.tie_breakers.end() !=
        std::find_if(pol.tie_breakers.begin(), pol.tie_breakers.end(),
                     [](const order_key& k) { return k.how == order_key::kind::lottery; })) {
      std::cout << "lottery seed: " << result.lottery_seed << '\n';
    }
  });
}

}  // namespace khuyenhoc::cli
