// khuyenhoc.CriteriaSet, CompiledCriteria, ScoreTable, Explanation, aggregate_panel and the MCDA
// kernels. Score arrays are numpy views of the C++ storage (no copies), kept alive by a capsule
// holding the table's shared storage. Arguments are converted with the GIL held; kernels run
// without it (they touch no Python object).

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <khuyenhoc/criteria.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"

namespace khuyenhoc::python {

// From register_rules.cpp: parameters between Python dicts and the C++ library.
py::dict params_dict(const std::vector<parameter>& ps);
std::vector<parameter> params_from_object(const py::object& params);

namespace {

// A set with the text it was read from (and the name of its origin), for pickling.
py::object with_text(criteria_set s, const py::object& text) {
  py::object o = py::cast(std::move(s));
  if (!text.is_none()) o.attr("_khuyenhoc_text") = text;
  return o;
}

// Criteria sets parsed in this process, by (text, origin name): unpickling the same set in
// every task of a worker parses it once.
criteria_spec cached_criteria(const std::string& text, const std::string& name) {
  static std::mutex lock;
  static std::map<std::pair<std::string, std::string>, criteria_spec> parsed;
  const std::lock_guard guard(lock);
  auto key = std::make_pair(text, name);
  auto it = parsed.find(key);
  if (it == parsed.end())
    it = parsed.emplace(std::move(key), parse_criteria_yaml(text, name)).first;
  return it->second;
}

// A read-only numpy view of `data` with `shape`/`strides` (in items), keeping `owner` alive.
template <class T>
py::array view(const T* data, std::vector<py::ssize_t> shape, std::vector<py::ssize_t> strides,
               const std::shared_ptr<const void>& owner, py::dtype dtype = py::dtype::of<T>()) {
  for (auto& s : strides) s *= static_cast<py::ssize_t>(sizeof(T));
  auto* keep = new std::shared_ptr<const void>(owner);
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  py::array out(dtype, shape, strides, data, base);
  out.attr("setflags")(py::arg("write") = false);  // score tables are immutable
  return out;
}

// An N×K column-major matrix as a Fortran-ordered view.
py::array matrix_view(const Eigen::Map<const Eigen::MatrixXd>& m,
                      const std::shared_ptr<const void>& owner) {
  return view(m.data(), {m.rows(), m.cols()}, {1, m.rows()}, owner);
}

// A numpy array owning a moved-in Eigen matrix (column-major, no copy).
py::array own_matrix(Eigen::MatrixXd&& m) {
  auto* owned = new Eigen::MatrixXd(std::move(m));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<Eigen::MatrixXd*>(p); });
  const auto rows = owned->rows(), cols = owned->cols();
  return py::array(
      py::dtype::of<double>(), {rows, cols},
      {static_cast<py::ssize_t>(sizeof(double)), static_cast<py::ssize_t>(sizeof(double)) * rows},
      owned->data(), free_when_done);
}

py::array own_vector(Eigen::VectorXd&& v) {
  auto* owned = new Eigen::VectorXd(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<Eigen::VectorXd*>(p); });
  return py::array(py::dtype::of<double>(), {owned->size()}, {sizeof(double)}, owned->data(),
                   free_when_done);
}

template <class T>
py::array own(std::vector<T>&& v, py::dtype dtype = py::dtype::of<T>()) {
  auto* owned = new std::vector<T>(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array(dtype, {static_cast<py::ssize_t>(owned->size())},
                   {static_cast<py::ssize_t>(sizeof(T))}, owned->data(), free_when_done);
}

using f_matrix = py::array_t<double, py::array::f_style | py::array::forcecast>;

Eigen::Map<const Eigen::MatrixXd> as_matrix(const f_matrix& a) {
  if (a.ndim() != 2)
    throw spec_error("MCDA: the decision matrix must be two-dimensional (rows × criteria)");
  return {a.data(), static_cast<Eigen::Index>(a.shape(0)), static_cast<Eigen::Index>(a.shape(1))};
}

std::vector<objective> parse_types(const std::vector<std::string>& types) {
  std::vector<objective> out;
  out.reserve(types.size());
  for (const auto& t : types) {
    if (t == "benefit" || t == "max" || t == "1") {
      out.push_back(objective::benefit);
    } else if (t == "cost" || t == "min" || t == "-1") {
      out.push_back(objective::cost);
    } else {
      throw spec_error("MCDA: criterion type \"" + t + "\" is not benefit or cost");
    }
  }
  return out;
}

py::dict indicator_dict(const indicator_explanation& i) {
  py::dict d;
  d["id"] = i.id;
  d["name"] = i.name;
  d["column"] = i.column;
  d["criterion"] = i.criterion;
  d["kind"] = std::string(to_string(i.kind));
  d["input"] = i.missing ? py::object(py::none()) : py::object(py::str(i.input));
  d["missing"] = i.missing;
  d["fired"] =
      i.fired == detail::fired_missing ? py::object(py::none()) : py::object(py::int_(i.fired));
  d["rule"] = i.rule;
  d["raw_points"] = i.raw_points;
  d["cap"] = i.cap ? py::object(py::float_(*i.cap)) : py::object(py::none());
  d["capped"] = i.capped;
  d["weight"] = i.weight;
  d["points"] = i.points;
  d["mandatory"] = i.mandatory;
  d["passed"] = i.passed;
  return d;
}

py::dict criterion_dict(const criterion_explanation& c) {
  py::dict d;
  d["id"] = c.id;
  d["name"] = c.name;
  d["parent"] = c.parent;
  d["sum"] = c.sum;
  d["cap"] = c.cap ? py::object(py::float_(*c.cap)) : py::object(py::none());
  d["capped"] = c.capped;
  d["weight"] = c.weight;
  d["points"] = c.points;
  d["mandatory"] = c.mandatory;
  d["passed"] = c.passed;
  return d;
}

}  // namespace

void register_criteria(py::module_& m) {
  py::class_<explanation>(m, "Explanation",
                          "Why one nominee got its score (see ScoreTable.explain).")
      .def_readonly("id", &explanation::id, "The nominee's id.")
      .def_readonly("row", &explanation::row, "The nominee's row in the pool.")
      .def_readonly("total", &explanation::total, "Total score after the set's cap.")
      .def_readonly("uncapped_total", &explanation::uncapped_total,
                    "Total score before the set's cap.")
      .def_readonly("total_capped", &explanation::total_capped,
                    "True when the set's cap lowered the total.")
      .def_property_readonly(
          "level",
          [](const explanation& e) {
            return e.level < 0 ? py::object(py::none()) : py::object(py::str(e.level_code));
          },
          "Level code, or None when unclassifiable.")
      .def_property_readonly(
          "level_name",
          [](const explanation& e) {
            return e.level < 0 ? py::object(py::none()) : py::object(py::str(e.level_name));
          },
          "Level display name, or None when unclassifiable.")
      .def_readonly("unclassifiable", &explanation::unclassifiable,
                    "True when a `missing: fail` input is missing, so no level is given.")
      .def_readonly("reason", &explanation::reason,
                    "Why the nominee is unclassifiable or at a lower level (\"\" when not).")
      .def_readonly("mandatory_met", &explanation::mandatory_met,
                    "True when every mandatory indicator and criterion passes.")
      .def_property_readonly(
          "indicators",
          [](const explanation& e) {
            py::list out;
            for (const auto& i : e.indicators) out.append(indicator_dict(i));
            return out;
          },
          "One dict per indicator: input, rule, raw_points, cap, points ...")
      .def_property_readonly(
          "criteria",
          [](const explanation& e) {
            py::list out;
            for (const auto& c : e.criteria) out.append(criterion_dict(c));
            return out;
          },
          "One dict per criterion: sum, cap, capped, points ...")
      .def("__str__", &explanation::str)
      .def("__repr__", [](const explanation& e) {
        return "<khuyenhoc.Explanation " + e.id + ": total " + std::to_string(e.total) + ">";
      });

  py::class_<score_table>(m, "ScoreTable", R"doc(
Scores of every nominee of a pool: points per indicator (N×K), subtotals per criterion (N×C),
totals, levels, unclassifiable flags and reasons. Numeric arrays are read-only numpy views of the
C++ storage (no copies).)doc")
      .def("__len__", &score_table::size)
      .def_property_readonly(
          "points", [](const score_table& t) { return matrix_view(t.points(), t.owner()); },
          "Points per indicator: float64 (N, K), Fortran order, no copy.")
      .def_property_readonly(
          "subtotals", [](const score_table& t) { return matrix_view(t.subtotals(), t.owner()); },
          "Points per criterion after caps and weights: float64 (N, C), columns as criterion_ids.")
      .def_property_readonly(
          "total",
          [](const score_table& t) {
            return view(t.total().data(), {t.total().size()}, {1}, t.owner());
          },
          "Total per nominee (float64, no copy).")
      .def_property_readonly(
          "fired",
          [](const score_table& t) {
            const auto n = static_cast<py::ssize_t>(t.size());
            return view(t.fired().data(), {n, static_cast<py::ssize_t>(t.indicator_count())},
                        {1, n}, t.owner());
          },
          "What fired per nominee and indicator (int16 (N, K)); -32768 marks a missing input.")
      .def_property_readonly(
          "level_index",
          [](const score_table& t) {
            return view(t.level().data(), {static_cast<py::ssize_t>(t.size())}, {1}, t.owner());
          },
          "Level index per nominee (int16; 0 = highest, -1 = unclassifiable or no levels).")
      .def_property_readonly(
          "unclassifiable",
          [](const score_table& t) {
            return view(t.unclassifiable().data(), {static_cast<py::ssize_t>(t.size())}, {1},
                        t.owner(), py::dtype("bool"));
          },
          "True where a `missing: fail` input is missing.")
      .def_property_readonly(
          "mandatory_met",
          [](const score_table& t) {
            return view(t.mandatory_met().data(), {static_cast<py::ssize_t>(t.size())}, {1},
                        t.owner(), py::dtype("bool"));
          },
          "True where every mandatory indicator and criterion passes.")
      .def_property_readonly(
          "level",
          [](const score_table& t) {
            const auto& codes = t.criteria().level_codes();
            py::list names;
            for (const auto& c : codes) names.append(py::str(c));
            names.append(py::none());
            py::array idx =
                view(t.level().data(), {static_cast<py::ssize_t>(t.size())}, {1}, t.owner());
            py::module_ np = py::module_::import("numpy");
            py::array table = np.attr("array")(names, py::arg("dtype") = "object");
            return table.attr("__getitem__")(idx);  // -1 picks the trailing None
          },
          "Level code per nominee (object array; None when unclassifiable).")
      .def_property_readonly(
          "level_name",
          [](const score_table& t) {
            py::list names;
            for (const auto& c : t.criteria().level_names()) names.append(py::str(c));
            names.append(py::none());
            py::array idx =
                view(t.level().data(), {static_cast<py::ssize_t>(t.size())}, {1}, t.owner());
            py::module_ np = py::module_::import("numpy");
            py::array table = np.attr("array")(names, py::arg("dtype") = "object");
            return table.attr("__getitem__")(idx);
          },
          "Level name per nominee (object array; None when unclassifiable).")
      .def_property_readonly(
          "reasons",
          [](const score_table& t) {
            py::list out(t.size());
            for (std::size_t r = 0; r < t.size(); ++r) {
              if (t.reason_indicator()[r] < 0) {
                out[r] = py::none();
              } else {
                out[r] = py::str(t.reason(r));
              }
            }
            return out;
          },
          "Why each nominee is unclassifiable (None when classifiable).")
      .def_property_readonly(
          "ids",
          [](const score_table& t) {
            py::list out(t.size());
            for (std::size_t r = 0; r < t.size(); ++r) {
              const auto id = t.scored_pool().id(r);
              out[r] = py::str(id.data(), id.size());
            }
            return out;
          },
          "The nominees' ids, in pool order.")
      .def_property_readonly(
          "id_column", [](const score_table& t) { return t.scored_pool().id_name(); },
          "Name of the pool's id column.")
      .def_property_readonly(
          "indicator_ids", [](const score_table& t) { return t.criteria().indicator_ids(); },
          "Indicator ids (the columns of points).")
      .def_property_readonly(
          "indicator_names", [](const score_table& t) { return t.criteria().indicator_names(); },
          "Indicator display names (the columns of points).")
      .def_property_readonly(
          "criterion_ids", [](const score_table& t) { return t.criteria().criterion_ids(); },
          "Criterion ids (the columns of subtotals).")
      .def_property_readonly(
          "criterion_names", [](const score_table& t) { return t.criteria().criterion_names(); },
          "Criterion display names (the columns of subtotals).")
      .def_property_readonly(
          "level_codes", [](const score_table& t) { return t.criteria().level_codes(); },
          "Level codes from the highest (level_index values index into it).")
      .def_property_readonly(
          "level_names", [](const score_table& t) { return t.criteria().level_names(); },
          "Level display names from the highest.")
      .def(
          "explain",
          [](const score_table& t, const py::object& which) {
            if (py::isinstance<py::int_>(which)) {
              const auto row = which.cast<long long>();
              if (row < 0 || static_cast<std::size_t>(row) >= t.size())
                throw py::index_error("row out of range");
              return t.explain(static_cast<std::size_t>(row));
            }
            const auto id = which.cast<std::string>();
            return t.explain(std::string_view(id));
          },
          py::arg("nominee"),
          "Explanation of a nominee, by id (str) or row position (int). Raises DataError for an "
          "unknown id.");

  py::class_<compiled_criteria>(m, "CompiledCriteria",
                                "A criteria set bound to a pool schema; immutable and thread-safe.")
      .def(
          "score",
          [](const compiled_criteria& c, const pool& p, unsigned threads) {
            py::gil_scoped_release release;  // reads only immutable C++ objects
            return c.score(p, {.threads = threads});
          },
          py::arg("pool"), py::kw_only(), py::arg("threads") = 0U,
          "Scores every nominee (same results at any thread count).")
      .def_property_readonly("indicator_ids", &compiled_criteria::indicator_ids,
                             "Indicator ids, the columns of ScoreTable.points.")
      .def_property_readonly("criterion_ids", &compiled_criteria::criterion_ids,
                             "Criterion ids, the columns of ScoreTable.subtotals.")
      .def_property_readonly("level_codes", &compiled_criteria::level_codes,
                             "Level codes from the highest.");

  // The loaders, under the names every door uses (from_file/from_text) and the earlier ones.
  // Each set remembers its text and origin name (attribute `_khuyenhoc_text`) so that it
  // pickles as text; unpickling parses a text once per process (the cache below).
  const auto from_file = [](const py::object& path, const py::object& params) {
    const auto s = py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
    auto spec = load_criteria_yaml(s);
    override_parameters(spec.params, params_from_object(params));
    std::ifstream in(s, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return with_text(criteria_set(std::move(spec)), py::make_tuple(text.str(), s));
  };
  const auto from_text = [](const std::string& text, const std::string& name,
                            const py::object& params) {
    auto spec = parse_criteria_yaml(text, name);
    override_parameters(spec.params, params_from_object(params));
    return with_text(criteria_set(std::move(spec)), py::make_tuple(text, name));
  };
  py::class_<criteria_set>(m, "CriteriaSet", py::dynamic_attr(), R"doc(
A validated criteria set (bộ tiêu chí): criteria holding indicators (bands, linear, map,
per_item, boolean), caps, weights, mandatory nodes, missing-value policies and levels.
Load with CriteriaSet.from_file(path), .from_text(text) or .from_dict(d) (the same names as in
C++ and for Rules; from_yaml(path) and from_yaml_text(text) are the earlier names); see
docs/criteria.md for the format.)doc")
      .def_static(
          "from_file", from_file, py::arg("path"), py::kw_only(), py::arg("params") = py::none(),
          "Reads a YAML or JSON file. Errors name file, line, column and key. ``params`` (a dict) "
          "replaces values of the parameters the file declares.")
      .def_static("from_text", from_text, py::arg("text"), py::arg("name") = "<string>",
                  py::kw_only(), py::arg("params") = py::none(),
                  "Parses YAML or JSON text; ``params`` as in from_file.")
      .def_static("from_yaml", from_file, py::arg("path"), py::kw_only(),
                  py::arg("params") = py::none(), "The earlier name of from_file.")
      .def_static("from_yaml_text", from_text, py::arg("text"), py::arg("name") = "<string>",
                  py::kw_only(), py::arg("params") = py::none(), "The earlier name of from_text.")
      .def(
          "with_params",
          [](const py::object& self, const py::object& params) {
            auto spec = self.cast<const criteria_set&>().spec();
            override_parameters(spec.params, params_from_object(params));
            return with_text(criteria_set(std::move(spec)),
                             py::getattr(self, "_khuyenhoc_text", py::none()));
          },
          py::arg("params"),
          "A copy with the values of some declared parameters replaced (dict name: value).")
      .def(py::pickle(
          [](const py::object& self) {
            const py::object text = py::getattr(self, "_khuyenhoc_text", py::none());
            if (text.is_none()) {
              throw py::type_error(
                  "this CriteriaSet was not read from a file or text: it cannot "
                  "be pickled (build it with from_file, from_text or from_dict)");
            }
            const auto& c = self.cast<const criteria_set&>();
            return py::make_tuple(text, params_dict(c.spec().params));
          },
          [](const py::tuple& state) {
            if (state.size() != 2) throw std::runtime_error("CriteriaSet: bad pickle state");
            const auto t = state[0].cast<py::tuple>();
            auto spec = cached_criteria(t[0].cast<std::string>(), t[1].cast<std::string>());
            override_parameters(spec.params, params_from_object(state[1]));
            py::dict d;
            d["_khuyenhoc_text"] = t;
            return std::make_pair(criteria_set(std::move(spec)), d);
          }))
      .def_property_readonly(
          "params", [](const criteria_set& c) { return params_dict(c.spec().params); },
          "The declared parameters and their values (float, datetime.date, bool or str).")
      .def_property_readonly(
          "precision", [](const criteria_set& c) { return c.spec().precision; },
          "Decimal places at which points, subtotals and totals are rounded half up (key "
          "\"precision\", default 6).")
      .def_property_readonly(
          "id", [](const criteria_set& s) { return s.spec().id; }, "The set's id (key \"id\").")
      .def_property_readonly(
          "name", [](const criteria_set& s) { return s.spec().name; },
          "The set's display name (key \"name\").")
      .def_property_readonly(
          "source", [](const criteria_set& s) { return s.spec().source; },
          "The kind of document it follows (key \"source\").")
      .def_property_readonly(
          "version", [](const criteria_set& s) { return s.spec().version; },
          "The set's own version (key \"version\"), \"\" if it has none.")
      .def_property_readonly(
          "level_codes",
          [](const criteria_set& s) {
            std::vector<std::string> out;
            for (const auto& l : s.spec().levels) out.push_back(l.code);
            return out;
          },
          "Level codes from the highest.")
      .def("compile", &criteria_set::compile, py::arg("pool"),
           "Binds the set to the pool's columns. Raises SchemaError (unknown column, wrong type).")
      .def(
          "score",
          [](const criteria_set& s, const pool& p, unsigned threads) {
            py::gil_scoped_release release;  // reads only immutable C++ objects
            return s.score(p, {.threads = threads});
          },
          py::arg("pool"), py::kw_only(), py::arg("threads") = 0U,
          "compile(pool) then score: a ScoreTable.")
      .def("__repr__", [](const criteria_set& s) {
        return "<khuyenhoc.CriteriaSet " + s.spec().id + ": " + s.spec().name + ">";
      });

  m.def(
      "_aggregate_panel",
      [](std::vector<std::string> judge, std::vector<std::string> nominee,
         std::vector<std::string> indicator, std::vector<double> score, const std::string& method,
         std::size_t min_judges, const std::string& calibration, const std::string& measure,
         double threshold) {
        panel_options o{.method = parse_panel_method(method),
                        .min_judges = min_judges,
                        .calibration = parse_panel_calibration(calibration),
                        .measure = parse_disagreement_measure(measure),
                        .threshold = threshold};
        panel_scores s{.judge = std::move(judge),
                       .nominee = std::move(nominee),
                       .indicator = std::move(indicator),
                       .score = std::move(score)};
        panel_result r;
        {
          py::gil_scoped_release release;  // plain C++ data
          r = aggregate_panel(s, o);
        }
        py::dict out;
        out["nominee"] = py::cast(r.nominee);
        out["indicator"] = py::cast(r.indicator);
        out["score"] = own(std::move(r.score));
        out["judges"] = own(std::move(r.judges));
        out["spread"] = own(std::move(r.spread));
        out["enough"] = own(std::move(r.enough), py::dtype("bool"));
        out["disagree"] = own(std::move(r.disagree), py::dtype("bool"));
        return out;
      },
      py::arg("judge"), py::arg("nominee"), py::arg("indicator"), py::arg("score"),
      py::arg("method"), py::arg("min_judges"), py::arg("calibration"), py::arg("measure"),
      py::arg("threshold"));

  m.def(
      "_mcda_matrix",
      [](const pool& p, const std::vector<std::string>& columns) {
        Eigen::MatrixXd out;
        {
          py::gil_scoped_release release;
          out = mcda_matrix(p, columns);
        }
        return own_matrix(std::move(out));
      },
      py::arg("pool"), py::arg("columns"));
  m.def(
      "_mcda_normalize",
      [](const f_matrix& a, const std::vector<std::string>& types, const std::string& how) {
        const auto mat = as_matrix(a);
        const auto t = parse_types(types);
        const auto h = parse_normalization(how);
        Eigen::MatrixXd out;
        {
          py::gil_scoped_release release;  // `a` is kept alive by the caller's reference
          out = normalize(mat, t, h);
        }
        return own_matrix(std::move(out));
      },
      py::arg("matrix"), py::arg("types"), py::arg("normalization"));
  // weighted_sum and topsis take the same arguments: one binding shape for both.
  const auto bind_aggregation = [&m](const char* name, auto aggregate) {
    m.def(
        name,
        [aggregate](const f_matrix& a, const std::vector<double>& w,
                    const std::vector<std::string>& types, const std::string& how) {
          const auto mat = as_matrix(a);
          const auto t = parse_types(types);
          const auto h = parse_normalization(how);
          Eigen::VectorXd out;
          {
            py::gil_scoped_release release;  // arguments converted; the caller holds the array
            out = aggregate(mat, w, t, h);
          }
          return own_vector(std::move(out));
        },
        py::arg("matrix"), py::arg("weights"), py::arg("types"), py::arg("normalization"));
  };
  bind_aggregation("_mcda_weighted_sum", [](const auto& mat, const auto& w, const auto& t, auto h) {
    return weighted_sum(mat, w, t, h);
  });
  bind_aggregation("_mcda_topsis", [](const auto& mat, const auto& w, const auto& t, auto h) {
    return topsis(mat, w, t, h);
  });
}

}  // namespace khuyenhoc::python
