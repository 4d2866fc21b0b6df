// khuyenhoc.select: the Python door on the library's pipeline (run.hpp). Arguments are
// converted to a run_spec (the option names are selection_policy's field names), then the
// run is prepared and executed by the library with the GIL released. No selection logic here.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <khuyenhoc/run.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

selection_policy policy_from(const py::dict& d) {
  selection_policy p;
  bool mode_given = false;
  for (const auto& [key_obj, value] : d) {
    const auto key = key_obj.cast<std::string>();
    if (value.is_none()) continue;
    if (key == "per") {
      p.per = value.cast<std::string>();
    } else if (key == "mode") {
      p.mode = parse_quota_mode(value.cast<std::string>());
      mode_given = true;
    } else if (key == "seats") {
      p.seats = value.cast<std::int64_t>();
    } else if (key == "method") {
      p.method = parse_apportion_method(value.cast<std::string>());
    } else if (key == "min_score") {
      p.min_score = value.cast<double>();
    } else if (key == "ties") {
      p.ties = parse_tie_policy(value.cast<std::string>());
    } else if (key == "order") {
      if (py::isinstance<py::str>(value)) {
        p.order.push_back(parse_order_key(value.cast<std::string>()));
      } else {
        for (const auto& k : value.cast<std::vector<std::string>>()) {
          p.order.push_back(parse_order_key(k));
        }
      }
    } else if (key == "fixed") {
      p.fixed = value.cast<std::map<std::string, std::int64_t>>();
    } else if (key == "weights") {
      p.weights = value.cast<std::map<std::string, double>>();
    } else if (key == "weigh_eligible") {
      p.weigh_eligible = value.cast<bool>();
    } else if (key == "group_min") {
      p.group_min = value.cast<std::int64_t>();
    } else if (key == "group_max") {
      p.group_max = value.cast<std::int64_t>();
    } else if (key == "cap_share") {
      p.cap_share = value.cast<double>();
    } else if (key == "cap_base") {
      p.cap_base = value.cast<std::map<std::string, double>>();
    } else if (key == "levels") {
      for (const auto& item : value.cast<py::list>()) {
        const auto t = item.cast<py::tuple>();
        if (t.size() < 2 || t.size() > 3) {
          throw spec_error("levels: each level is (name, seats) or (name, seats, min_score)",
                           location{.field = "levels"});
        }
        award_level l;
        l.name = t[0].cast<std::string>();
        l.seats = t[1].cast<std::int64_t>();
        if (t.size() > 2 && !t[2].is_none()) l.min_score = t[2].cast<double>();
        p.levels.push_back(std::move(l));
      }
    } else if (key == "seed") {
      p.seed = value.cast<std::uint64_t>();
    } else {
      throw spec_error("unknown selection option \"" + key + "\"", location{.field = key});
    }
  }
  if (!mode_given) p.mode = default_quota_mode(p);
  return p;
}

namespace {

report_options report_from(const py::dict& d) {
  report_options r;
  for (const auto& [key_obj, value] : d) {
    const auto key = key_obj.cast<std::string>();
    if (value.is_none()) continue;
    if (key == "title") {
      r.title = value.cast<std::string>();
    } else if (key == "organisation") {
      r.organisation = value.cast<std::string>();
    } else if (key == "governing_body") {
      r.governing_body = value.cast<std::string>();
    } else if (key == "place") {
      r.place = value.cast<std::string>();
    } else if (key == "date") {
      r.date = value.cast<std::string>();
    } else if (key == "name_column") {
      r.name_column = value.cast<std::string>();
    } else if (key == "signatures") {
      r.signatures = value.cast<std::vector<std::string>>();
    } else if (key == "report_time") {
      if (value.cast<bool>()) r.generated_at = utc_timestamp();
    } else if (key == "generated_at") {
      r.generated_at = value.cast<std::string>();
    } else {
      throw spec_error("unknown report option \"" + key + "\"", location{.field = key});
    }
  }
  return r;
}

// Eligibility handed in as an array: booleans, or integers that are all 0 or 1.
std::vector<std::uint8_t> eligibility_from(const py::object& obj, std::size_t n) {
  const auto arr = py::array::ensure(obj);
  if (!arr) throw spec_error("eligibility must be a boolean array", location{.field = "rules"});
  const char kind = arr.dtype().kind();
  if (kind != 'b' && kind != 'i' && kind != 'u') {
    throw spec_error("eligibility must be a boolean array (got dtype " +
                         py::str(arr.dtype()).cast<std::string>() + ")",
                     location{.field = "rules"});
  }
  if (arr.ndim() != 1 || static_cast<std::size_t>(arr.size()) != n) {
    throw spec_error("eligibility has " + std::to_string(arr.size()) + " items, the pool has " +
                         std::to_string(n) + " rows",
                     location{.field = "rules"});
  }
  const auto as_i64 =
      py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(arr);
  std::vector<std::uint8_t> out(n);
  for (std::size_t r = 0; r < n; ++r) {
    const auto v = as_i64.data()[r];
    if (v != 0 && v != 1) {
      throw spec_error("eligibility must be 0/1 or boolean (item " + std::to_string(r) + " is " +
                           std::to_string(v) + ")",
                       location{.field = "rules"});
    }
    out[r] = static_cast<std::uint8_t>(v);
  }
  return out;
}

/// The columns a run of these criteria, rules and options reads (run_spec::pool_columns), for
/// select() given a file: the same projection as the CLI's.
std::vector<std::string> run_columns(const py::object& criteria, const py::object& rules,
                                     const py::dict& options, const py::dict& report) {
  run_spec spec;
  spec.policy = policy_from(options);
  spec.report = report_from(report);
  if (py::isinstance<criteria_set>(criteria)) spec.criteria = criteria.cast<criteria_set>();
  if (py::isinstance<rule_set_spec>(rules)) spec.rules = rules.cast<rule_set_spec>();
  return spec.pool_columns();
}

run_result run_select(const pool& p, const py::object& criteria, const py::object& rules,
                      const py::dict& options, const py::dict& report,
                      const std::vector<std::pair<std::string, std::string>>& inputs,
                      unsigned threads,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  run_spec spec;
  spec.policy = policy_from(options);
  spec.report = report_from(report);
  spec.threads = threads;
  for (const auto& [role, path] : inputs) spec.inputs.push_back({.role = role, .path = path});
  for (const auto& [name, value] : params) spec.params.push_back(parse_parameter(name, value));
  run_overrides over;
  score_table scores;
  std::vector<double> totals;
  py_verdicts given_verdicts;
  std::vector<std::uint8_t> eligible;
  if (py::isinstance<criteria_set>(criteria)) {
    spec.criteria = criteria.cast<criteria_set>();
  } else if (py::isinstance<score_table>(criteria)) {
    scores = criteria.cast<score_table>();
    over.scores = &scores;
  } else if (!criteria.is_none()) {
    const auto arr =
        py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(criteria);
    if (!arr || arr.ndim() != 1) {
      throw spec_error("criteria must be a CriteriaSet, a ScoreTable or a 1-d array of totals",
                       location{.field = "criteria"});
    }
    totals.assign(arr.data(), arr.data() + arr.size());
    if (totals.empty() && p.size() != 0) {
      throw spec_error("the totals are empty", location{.field = "criteria"});
    }
    over.totals = totals;
  }
  if (py::isinstance<rule_set_spec>(rules)) {
    spec.rules = rules.cast<rule_set_spec>();
  } else if (py::isinstance<py_verdicts>(rules)) {
    given_verdicts = rules.cast<py_verdicts>();
    over.rule_verdicts = &given_verdicts.v;
  } else if (!rules.is_none()) {
    eligible = eligibility_from(rules, p.size());
    over.eligible = eligible;
  }
  py::gil_scoped_release release;  // every argument converted; pure C++ from here
  const auto run = prepared_run::prepare(std::move(spec), p);
  return run.execute(p, over);
}

py::list outcomes_of(const run_result& r) {
  py::list out;
  for (const auto& o : r.outcomes()) {
    out.append(
        py::make_tuple(o.level, o.group, o.nominees, o.eligible, o.quota, o.selected, o.cutoff));
  }
  return out;
}

}  // namespace

void register_selection(py::module_& m) {
  py::class_<run_result>(m, "_RunResult",
                         "The result of one run of the selection pipeline (C++ run_result).")
      .def("__len__", [](const run_result& r) { return r.size(); })
      .def_property_readonly("table", &run_result::table, "One row per nominee (a Pool).")
      .def_property_readonly("outcomes", &outcomes_of,
                             "(level, group, nominees, eligible, quota, selected, cutoff) per "
                             "level and group.")
      .def_property_readonly("lottery_seed", [](const run_result& r) { return r.policy().seed; })
      .def_property_readonly("selected_count",
                             [](const run_result& r) { return r.selected_count(); })
      .def("summary", &run_result::summary, py::call_guard<py::gil_scoped_release>())
      .def("summary_json", &run_result::summary_json, py::call_guard<py::gil_scoped_release>(),
           "The summary for machines as one line of JSON (run_result::summary_json).")
      .def(
          "csv",
          [](const run_result& r) {
            std::string text;
            {
              py::gil_scoped_release release;
              text = r.csv();
            }
            return py::bytes(text);
          },
          "The result CSV as bytes.")
      .def("report_html", &run_result::report_html, py::call_guard<py::gil_scoped_release>())
      .def("write", &run_result::write, py::arg("csv_path"), py::arg("report_path") = "",
           py::arg("protect") = std::vector<std::string>{},
           py::call_guard<py::gil_scoped_release>())
      .def(
          "reselect",
          [](const run_result& r, const py::dict& options) {
            const selection_policy policy = policy_from(options);
            py::gil_scoped_release release;
            return r.reselect(policy);
          },
          py::arg("options"));

  m.def("_run_select", &run_select, py::arg("pool"), py::arg("criteria"), py::arg("rules"),
        py::arg("options"), py::arg("report"), py::arg("inputs"), py::arg("threads") = 0,
        py::arg("params") = std::vector<std::pair<std::string, std::string>>{},
        "Prepares and executes the selection pipeline (see khuyenhoc.select).");
  m.def("_run_columns", &run_columns, py::arg("criteria"), py::arg("rules"), py::arg("options"),
        py::arg("report"),
        "The pool columns a run reads (run_spec::pool_columns), for select() given a file.");
}

}  // namespace khuyenhoc::python
