// khuyenhoc.select: ranking and selection with quotas, apportionment, ties and cascades.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

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

}  // namespace

void register_selection(py::module_& m) {
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
        return py::make_tuple(to_pool(s, group), outcomes, s.lottery_seed, format_outcomes(s));
      },
      py::arg("pool"), py::arg("score"), py::arg("eligible"), py::arg("reasons"),
      py::arg("score_notes"), py::arg("options"));
}

}  // namespace khuyenhoc::python
