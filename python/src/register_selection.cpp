// khuyenhoc.select: ranking and selection with quotas, apportionment, ties and cascades.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <khuyenhoc/report.hpp>
#include <khuyenhoc/selection.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

selection_policy policy_from(const py::dict& d) {
  selection_policy p;
  for (const auto& [key_obj, value] : d) {
    const auto key = key_obj.cast<std::string>();
    if (value.is_none()) continue;
    if (key == "per") {
      p.group_column = value.cast<std::string>();
    } else if (key == "quota") {
      const auto q = value.cast<std::string>();
      if (q == "global") {
        p.mode = quota_mode::global;
      } else if (q == "fixed") {
        p.mode = quota_mode::fixed;
      } else if (q == "apportion") {
        p.mode = quota_mode::apportion;
      } else {
        throw spec_error("quota must be \"global\", \"fixed\" or \"apportion\", not \"" + q + "\"");
      }
    } else if (key == "seats") {
      p.seats = value.cast<std::int64_t>();
    } else if (key == "method") {
      p.method = parse_apportion_method(value.cast<std::string>());
    } else if (key == "min_score") {
      p.min_score = value.cast<double>();
    } else if (key == "ties") {
      p.ties = parse_tie_policy(value.cast<std::string>());
    } else if (key == "order") {
      for (const auto& k : value.cast<std::vector<std::string>>()) {
        p.tie_breakers.push_back(parse_order_key(k));
      }
    } else if (key == "fixed_quotas") {
      p.fixed_quotas = value.cast<std::map<std::string, std::int64_t>>();
    } else if (key == "group_weights") {
      p.group_weights = value.cast<std::map<std::string, double>>();
    } else if (key == "weight_eligible_only") {
      p.weight_eligible_only = value.cast<bool>();
    } else if (key == "minimum") {
      p.group_minimum = value.cast<std::int64_t>();
    } else if (key == "maximum") {
      p.group_maximum = value.cast<std::int64_t>();
    } else if (key == "cap_share") {
      p.cap_share = value.cast<double>();
    } else if (key == "cap_base") {
      p.cap_base = value.cast<std::map<std::string, double>>();
    } else if (key == "levels") {
      for (const auto& item : value.cast<py::list>()) {
        const auto t = item.cast<py::tuple>();
        award_level l;
        l.name = t[0].cast<std::string>();
        l.seats = t[1].cast<std::int64_t>();
        if (t.size() > 2 && !t[2].is_none()) l.min_score = t[2].cast<double>();
        p.levels.push_back(std::move(l));
      }
    } else if (key == "seed") {
      p.lottery_seed = value.cast<std::uint64_t>();
    } else {
      throw spec_error("unknown selection option \"" + key + "\"");
    }
  }
  return p;
}

// A selection with the policy that made it, kept by khuyenhoc.Selection for its report.
struct selection_result {
  selection s;
  selection_policy policy;
};

template <class T>
T get_or(const py::dict& d, const char* key, T fallback) {
  if (!d.contains(key) || d[key].is_none()) return fallback;
  return d[key].cast<T>();
}

report_metadata metadata_from(const py::dict& d) {
  report_metadata m;
  m.title = get_or<std::string>(d, "title", m.title);
  m.organisation = get_or<std::string>(d, "organisation", "");
  m.group_label = get_or<std::string>(d, "group_label", "");
  m.generated_at = get_or<std::string>(d, "generated_at", "");
  m.signatures = get_or<std::vector<std::string>>(d, "signatures", {});
  m.names = get_or<std::vector<std::string>>(d, "names", {});
  m.classification = get_or<std::vector<std::string>>(d, "classification", {});
  for (const auto& t : get_or<py::list>(d, "inputs", py::list())) {
    const auto item = t.cast<py::tuple>();
    m.inputs.push_back({.role = item[0].cast<std::string>(),
                        .name = item[1].cast<std::string>(),
                        .sha256 = item[2].cast<std::string>(),
                        .bytes = item[3].cast<std::uint64_t>()});
  }
  for (const auto& t : get_or<py::list>(d, "specs", py::list())) {
    const auto item = t.cast<py::tuple>();
    m.specs.push_back({.kind = item[0].cast<std::string>(),
                       .id = item[1].cast<std::string>(),
                       .name = item[2].cast<std::string>(),
                       .version = item[3].cast<std::string>()});
  }
  for (const auto& f : get_or<py::list>(d, "funnel", py::list())) {
    const auto step = f.cast<py::dict>();
    m.funnel.push_back({.id = step["rule"].cast<std::string>(),
                        .description = get_or<std::string>(step, "description", ""),
                        .warn_only = get_or<std::string>(step, "severity", "reject") == "warn",
                        .failed = step["failed"].cast<std::uint64_t>(),
                        .unknown = step["unknown"].cast<std::uint64_t>(),
                        .remaining = step["remaining"].cast<std::uint64_t>()});
  }
  return m;
}

}  // namespace

void register_selection(py::module_& m) {
  py::class_<selection_result>(m, "_SelectionResult",
                               "The C++ selection and its policy (kept for the report).")
      .def("__len__", [](const selection_result& r) { return r.s.size(); });

  m.def(
      "_selection_report_html",
      [](const selection_result& r, const py::dict& meta) {
        const report_metadata md = metadata_from(meta);
        py::gil_scoped_release release;
        return selection_report_html(r.s, r.policy, md);
      },
      py::arg("result"), py::arg("meta"),
      "The selection report as one HTML5 document (see khuyenhoc.Selection.report_html).");

  m.def(
      "_select",
      [](const pool& p, const py::array_t<double, py::array::c_style | py::array::forcecast>& score,
         const py::object& eligible, const py::object& reasons, const py::object& score_notes,
         const py::dict& options) {
        const selection_policy policy = policy_from(options);
        std::vector<std::uint8_t> elig;
        if (!eligible.is_none()) {
          auto arr = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(
              py::array::ensure(eligible).attr("astype")("uint8"));
          elig.assign(arr.data(), arr.data() + arr.size());
        }
        std::vector<std::string> why;
        if (!reasons.is_none()) why = reasons.cast<std::vector<std::string>>();
        std::vector<std::string> notes;
        if (!score_notes.is_none()) notes = score_notes.cast<std::vector<std::string>>();
        const std::span<const double> scores(score.data(), static_cast<std::size_t>(score.size()));
        selection s;
        {
          py::gil_scoped_release release;  // arguments converted; pure C++ from here
          s = select(make_selection_input(p, scores, elig, why, policy, notes), policy);
        }
        py::list outcomes;
        for (const auto& o : s.outcomes) {
          outcomes.append(py::make_tuple(o.level, o.group, o.nominees, o.eligible, o.quota,
                                         o.selected, o.cutoff));
        }
        const std::string group = policy.group_column.empty() ? "group" : policy.group_column;
        auto table = to_pool(s, group);
        const auto seed = s.lottery_seed;
        auto text = format_outcomes(s);
        return py::make_tuple(std::move(table), outcomes, seed, std::move(text),
                              selection_result{std::move(s), policy});
      },
      py::arg("pool"), py::arg("score"), py::arg("eligible"), py::arg("reasons"),
      py::arg("score_notes"), py::arg("options"));
}

}  // namespace khuyenhoc::python
