// khuyenhoc.Rules, CompiledRules, Verdicts and khuyenhoc.evaluate. Arguments are converted with
// the GIL held; compiling and evaluating then run without it. Results are numpy views of the C++
// storage (kept alive by a capsule), not copies.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <khuyenhoc/arrow.hpp>
#include <khuyenhoc/pool.hpp>
#include <khuyenhoc/rules.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

// A read-only numpy view of `data` with `shape`/`strides`, keeping `owner` alive.
py::array view(py::dtype dtype, std::vector<py::ssize_t> shape, std::vector<py::ssize_t> strides,
               const void* data, std::shared_ptr<const void> owner) {
  auto* keep = new std::shared_ptr<const void>(std::move(owner));
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  py::array out(std::move(dtype), std::move(shape), std::move(strides), data, base);
  out.attr("setflags")(py::arg("write") = false);
  return out;
}

template <class T>
py::array owned(std::vector<T>&& v, py::dtype dtype = py::dtype::of<T>()) {
  auto holder = std::make_shared<std::vector<T>>(std::move(v));
  const auto n = static_cast<py::ssize_t>(holder->size());
  const void* data = holder->data();
  return view(std::move(dtype), {n}, {static_cast<py::ssize_t>(sizeof(T))}, data,
              std::static_pointer_cast<const void>(holder));
}

// Parameters from a Python dict (None: none): values are passed as text and read by the C++
// library as the declared type (date objects as yyyy-mm-dd, booleans as true/false).
std::vector<parameter> params_from(const py::object& params) {
  std::vector<parameter> out;
  if (params.is_none()) return out;
  if (!py::isinstance<py::dict>(params))
    throw py::type_error("params must be a dict of name: value");
  const py::object date_type = py::module_::import("datetime").attr("date");
  for (const auto item : params.cast<py::dict>()) {
    const std::string name = py::str(item.first).cast<std::string>();
    const py::handle v = item.second;
    std::string text;
    if (py::isinstance<py::bool_>(v)) {
      text = v.cast<bool>() ? "true" : "false";
    } else if (py::isinstance(v, date_type)) {
      text = py::str(v.attr("strftime")("%Y-%m-%d")).cast<std::string>();
    } else {
      text = py::str(v).cast<std::string>();
    }
    out.push_back(parse_parameter(name, text));
  }
  return out;
}

}  // namespace

py::object param_value(const parameter& p) {
  switch (p.type) {
    case value_type::number:
      return py::float_(p.number);
    case value_type::boolean:
      return py::bool_(p.number != 0);
    case value_type::date: {
      const auto d = py::module_::import("datetime").attr("date");
      return d.attr("fromordinal")(static_cast<long long>(p.number) + 719163);  // 1970-01-01
    }
    default:
      return py::str(p.text);
  }
}

py::dict params_dict(const std::vector<parameter>& ps) {
  py::dict out;
  for (const auto& p : ps) out[py::str(p.name)] = param_value(p);
  return out;
}

std::vector<parameter> params_from_object(const py::object& params) {
  return params_from(params);
}

namespace {

// A rule set with the text it was read from (and the name of its origin), for pickling.
py::object rules_with_text(rule_set_spec s, const py::object& text) {
  py::object o = py::cast(std::move(s));
  if (!text.is_none()) o.attr("_khuyenhoc_text") = text;
  return o;
}

// Rule sets parsed in this process, by (text, origin name): unpickling the same set in every
// task of a worker parses it once.
rule_set_spec cached_rules(const std::string& text, const std::string& file) {
  static std::mutex lock;
  static std::map<std::pair<std::string, std::string>, rule_set_spec> parsed;
  const std::lock_guard guard(lock);
  auto key = std::make_pair(text, file);
  auto it = parsed.find(key);
  if (it == parsed.end()) it = parsed.emplace(std::move(key), parse_rule_set(text, file)).first;
  return it->second;
}

py::list diagnostics(const std::vector<diagnostic>& ws) {
  py::list out;
  for (const auto& w : ws) {
    const std::string loc = w.where.str();
    out.append(loc.empty() ? w.message : loc + ": " + w.message);
  }
  return out;
}

// The values of an expression as numpy: float64 (NaN missing), datetime64[D] (NaT), bool when
// nothing is missing else object (True/False/None), object str/None for strings.
py::array to_numpy(expression_values&& v) {
  const std::size_t n = v.valid.size();
  switch (v.type) {
    case value_type::number:
      return owned(std::move(v.numbers));
    case value_type::date: {
      std::vector<std::int64_t> days(n);
      for (std::size_t i = 0; i < n; ++i)
        days[i] = v.valid[i] != 0 ? static_cast<std::int64_t>(v.numbers[i])
                                  : std::numeric_limits<std::int64_t>::min();  // NaT
      return owned(std::move(days), py::dtype("datetime64[D]"));
    }
    case value_type::boolean: {
      bool all_valid = true;
      for (const auto x : v.valid) all_valid = all_valid && x != 0;
      if (all_valid) return owned(std::move(v.booleans), py::dtype("bool"));
      py::array_t<py::object> out(static_cast<py::ssize_t>(n));
      py::object* p = out.mutable_data();
      for (std::size_t i = 0; i < n; ++i)
        p[i] = v.valid[i] == 0 ? py::object(py::none()) : py::object(py::bool_(v.booleans[i] != 0));
      return out;
    }
    default: {
      py::array_t<py::object> out(static_cast<py::ssize_t>(n));
      py::object* p = out.mutable_data();
      for (std::size_t i = 0; i < n; ++i)
        p[i] = v.valid[i] == 0 ? py::object(py::none()) : py::object(py::str(v.strings[i]));
      return out;
    }
  }
}

std::string_view policy_name(hit_policy p) {
  switch (p) {
    case hit_policy::first:
      return "first";
    case hit_policy::unique:
      return "unique";
    case hit_policy::collect:
      return "collect";
  }
  return "?";
}

std::size_t row_index(const verdicts& v, const pool& p, const py::object& which) {
  if (py::isinstance<py::str>(which)) {
    const auto id = which.cast<std::string>();
    const auto row = p.row_of(id);
    if (!row) throw data_error("no nominee with this id", location{.row_id = id});
    return *row;
  }
  const auto r = which.cast<std::int64_t>();
  if (r < 0 || static_cast<std::size_t>(r) >= v.rows())
    throw py::index_error("row " + std::to_string(r) + " out of range");
  return static_cast<std::size_t>(r);
}

// Verdicts with the pool they were computed on (for ids).
}  // namespace

void register_rules(py::module_& m) {
  // The loader under the name every door uses (from_file) and the earlier one (from_yaml).
  // Each rule set remembers its text and origin name (attribute `_khuyenhoc_text`) so that it
  // pickles as text; unpickling parses a text once per process (cached_rules).
  const auto from_file = [](const py::object& path, const py::object& params) {
    const auto file = py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
    auto spec = load_rule_set(file);
    override_parameters(spec.params, params_from(params));
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return rules_with_text(std::move(spec), py::make_tuple(text.str(), file));
  };
  py::class_<rule_set_spec>(m, "Rules", py::dynamic_attr(), R"doc(
A rule set as written: rules (id, description, when, reason, severity, applies_to) and
decision tables. Build one with Rules.from_file(path), Rules.from_text(text) or
Rules.from_dict(d) (the same names as in C++ and for CriteriaSet; from_yaml(path) is the
earlier name); compile it against a pool with .compile(pool) or run it with
.evaluate(pool). See docs/rules.md.)doc")
      .def_static(
          "from_file", from_file, py::arg("path"), py::kw_only(), py::arg("params") = py::none(),
          "Reads a rule set from a YAML or JSON file; ``params`` (a dict) replaces values of the "
          "parameters it declares (unknown names raise SpecError with a suggestion).")
      .def_static("from_yaml", from_file, py::arg("path"), py::kw_only(),
                  py::arg("params") = py::none(), "The earlier name of from_file.")
      .def_static(
          "from_text",
          [](const std::string& text, const std::string& file, const py::object& params) {
            auto spec = parse_rule_set(text, file);
            override_parameters(spec.params, params_from(params));
            return rules_with_text(std::move(spec), py::make_tuple(text, file));
          },
          py::arg("text"), py::arg("file") = "<string>", py::kw_only(),
          py::arg("params") = py::none(),
          "Reads a rule set from YAML/JSON text; ``params`` as in from_yaml.")
      .def(
          "with_params",
          [](const py::object& self, const py::object& params) {
            auto spec = self.cast<const rule_set_spec&>();
            override_parameters(spec.params, params_from(params));
            return rules_with_text(std::move(spec),
                                   py::getattr(self, "_khuyenhoc_text", py::none()));
          },
          py::arg("params"),
          "A copy with the values of some declared parameters replaced (dict name: value; "
          "dates as datetime.date or text such as \"31/08/2025\").")
      .def(py::pickle(
          [](const py::object& self) {
            const py::object text = py::getattr(self, "_khuyenhoc_text", py::none());
            if (text.is_none()) {
              throw py::type_error(
                  "these Rules were not read from a file or text: they cannot "
                  "be pickled (build them with from_file, from_text or from_dict)");
            }
            return py::make_tuple(text, params_dict(self.cast<const rule_set_spec&>().params));
          },
          [](const py::tuple& state) {
            if (state.size() != 2) throw std::runtime_error("Rules: bad pickle state");
            const auto t = state[0].cast<py::tuple>();
            auto spec = cached_rules(t[0].cast<std::string>(), t[1].cast<std::string>());
            override_parameters(spec.params, params_from(state[1]));
            py::dict d;
            d["_khuyenhoc_text"] = t;
            return std::make_pair(std::move(spec), d);
          }))
      .def_property_readonly(
          "params", [](const rule_set_spec& s) { return params_dict(s.params); },
          "The declared parameters and their values (float, datetime.date, bool or str).")
      .def_property_readonly(
          "name", [](const rule_set_spec& s) { return s.name; },
          "The rule set's name (key \"name\").")
      .def_property_readonly(
          "version", [](const rule_set_spec& s) { return s.version; },
          "The set's own version (key \"version\"), \"\" if it has none.")
      .def_property_readonly(
          "descriptions",
          [](const rule_set_spec& s) {
            std::vector<std::string> out;
            for (const auto& r : s.rules) out.push_back(r.description);
            return out;
          },
          "The rules' descriptions, in the order of ``ids``.")
      .def_property_readonly(
          "ids",
          [](const rule_set_spec& s) {
            std::vector<std::string> out;
            for (const auto& r : s.rules) out.push_back(r.id);
            return out;
          },
          "The rules' ids, in order.")
      .def_property_readonly(
          "table_ids",
          [](const rule_set_spec& s) {
            std::vector<std::string> out;
            for (const auto& t : s.tables) out.push_back(t.id);
            return out;
          },
          "The decision tables' ids, in order.")
      .def(
          "compile",
          [](const rule_set_spec& s, const pool& p) {
            // Compiling reads only the spec and the immutable pool: no Python objects.
            py::gil_scoped_release release;
            return rule_set::compile(s, p);
          },
          py::arg("pool"), "Compiles against the pool's schema (raises located errors).")
      .def(
          "evaluate",
          [](const rule_set_spec& s, const pool& p, unsigned threads) {
            py_verdicts out{{}, p};
            {
              // Safe without the GIL: the spec and pool are immutable C++ objects kept alive by
              // the caller's references; borrowed numpy buffers are only read.
              py::gil_scoped_release release;
              out.v = rule_set::compile(s, p).evaluate(p, threads);
            }
            return out;
          },
          py::arg("pool"), py::kw_only(), py::arg("threads") = 0,
          "Compiles and evaluates over every nominee; returns Verdicts.")
      .def("__repr__", [](const rule_set_spec& s) {
        return "<khuyenhoc.Rules \"" + s.name + "\": " + std::to_string(s.rules.size()) +
               " rules, " + std::to_string(s.tables.size()) + " tables>";
      });

  py::class_<rule_set>(m, "CompiledRules",
                       "A rule set compiled against a pool's schema; immutable, thread-safe.")
      .def_property_readonly(
          "warnings", [](const rule_set& r) { return diagnostics(r.warnings()); },
          "Compile-time warnings (e.g. a category value no row has), as messages.")
      .def(
          "evaluate",
          [](const rule_set& r, const pool& p, unsigned threads) {
            py_verdicts out{{}, p};
            {
              py::gil_scoped_release release;  // see Rules.evaluate
              out.v = r.evaluate(p, threads);
            }
            return out;
          },
          py::arg("pool"), py::kw_only(), py::arg("threads") = 0,
          "Evaluates the compiled rule set over a pool with the same schema; returns Verdicts. GIL "
          "released; parallel over row chunks.")
      .def(
          "eligible",
          [](const rule_set& r, const pool& p, unsigned threads) {
            std::vector<std::uint8_t> out;
            {
              py::gil_scoped_release release;  // see Rules.evaluate
              out = r.eligible(p, threads);
            }
            return owned(std::move(out), py::dtype("bool"));
          },
          py::arg("pool"), py::kw_only(), py::arg("threads") = 0,
          "Eligibility only: a bool per nominee, equal to evaluate(pool).eligible, without the "
          "status matrix, funnel, reasons or tables (warn rules and tables are skipped).");

  py::class_<py_verdicts>(m, "Verdicts", R"doc(
Per nominee × rule results: status (int8: 0 pass, 1 fail, 2 unknown, 3 not applicable),
eligible, reasons, the funnel and decision-table outputs. Every input row appears.)doc")
      .def("__len__", [](const py_verdicts& v) { return v.v.rows(); })
      .def_property_readonly(
          "rule_ids", [](const py_verdicts& v) { return v.v.rule_ids(); },
          "The rules' ids: the columns of status.")
      .def_property_readonly(
          "status",
          [](const py_verdicts& v) {
            const auto s = v.v.status();
            const auto r = static_cast<py::ssize_t>(v.v.rule_count());
            const auto n = static_cast<py::ssize_t>(v.v.rows());
            // Rule-major storage: a Fortran-ordered view, each rule's column contiguous.
            return view(py::dtype::of<std::int8_t>(), {n, r}, {1, n}, s.data(), v.v.owner());
          },
          "rows × rules int8 matrix (a view, no copy).")
      .def_property_readonly(
          "eligible",
          [](const py_verdicts& v) {
            const auto e = v.v.eligible();
            return view(py::dtype("bool"), {static_cast<py::ssize_t>(e.size())}, {1}, e.data(),
                        v.v.owner());
          },
          "Boolean per nominee (a view, no copy).")
      .def_property_readonly(
          "funnel",
          [](const py_verdicts& v) {
            py::list out;
            for (const auto& f : v.v.funnel()) {
              py::dict d;
              d["rule"] = f.rule_id;
              d["severity"] = f.level == rule_severity::reject ? "reject" : "warn";
              d["failed"] = f.failed;
              d["unknown"] = f.unknown;
              d["remaining"] = f.remaining;
              out.append(d);
            }
            return out;
          },
          "One dict per rule, in order: rule, severity, failed, unknown, remaining.")
      .def(
          "reasons",
          [](const py_verdicts& v, const py::object& which) {
            return v.v.reasons(row_index(v.v, v.nominees, which));
          },
          py::arg("nominee"), "Reasons for one nominee (id or row position).")
      .def(
          "reasons_of",
          [](const py_verdicts& v, const std::string& rule) {
            const auto& ids = v.v.rule_ids();
            const auto it = std::find(ids.begin(), ids.end(), rule);
            if (it == ids.end()) throw spec_error("no rule with id \"" + rule + "\"");
            std::vector<std::string> out;
            {
              py::gil_scoped_release release;  // reads immutable verdicts only
              out = v.v.reasons_of_rule(static_cast<std::size_t>(it - ids.begin()));
            }
            return out;
          },
          py::arg("rule"), "The reason of one rule for every nominee (\"\" where it passed).")
      .def_property_readonly(
          "tables",
          [](const py_verdicts& v) {
            py::dict out;
            for (const auto& t : v.v.tables()) {
              py::dict d;
              d["output"] = t.output;
              d["hit_policy"] = std::string(policy_name(t.policy));
              d["matched"] = owned(std::vector<std::int32_t>(t.matched));
              if (t.policy == hit_policy::collect) {
                py::list lists;
                for (std::size_t r = 0; r + 1 < t.offsets.size(); ++r) {
                  py::list items;
                  for (auto k = t.offsets[r]; k < t.offsets[r + 1]; ++k) {
                    const auto j = static_cast<std::size_t>(t.matches[k]);
                    items.append(j);
                  }
                  lists.append(items);
                }
                d["matches"] = lists;
              }
              if (t.numeric) {
                d["value"] = owned(std::vector<double>(t.numbers));
              } else {
                py::array_t<py::object> vals(static_cast<py::ssize_t>(t.codes.size()));
                py::object* p = vals.mutable_data();
                std::vector<py::object> labels;
                for (const auto& l : t.labels) labels.push_back(py::str(l));
                for (std::size_t r = 0; r < t.codes.size(); ++r)
                  p[r] = t.codes[r] < 0 ? py::object(py::none())
                                        : labels[static_cast<std::size_t>(t.codes[r])];
                d["value"] = vals;
              }
              out[py::str(t.id)] = d;
            }
            return out;
          },
          "Decision table outputs: id -> {output, hit_policy, value, matched[, matches]}.")
      .def_property_readonly(
          "ids",
          [](const py_verdicts& v) {
            const auto& c = v.nominees.id_column();
            std::vector<std::string> out(v.v.rows());
            for (std::size_t r = 0; r < out.size(); ++r) out[r] = std::string(c.text_at(r));
            return out;
          },
          "The nominees' ids, in pool order.")
      .def("__repr__", [](const py_verdicts& v) {
        std::size_t n = 0;
        for (const auto e : v.v.eligible()) n += e;
        return "<khuyenhoc.Verdicts: " + std::to_string(v.v.rows()) + " nominees x " +
               std::to_string(v.v.rule_count()) + " rules, " + std::to_string(n) + " eligible>";
      });

  m.def(
      "evaluate",
      [](const std::string& text, const pool& p, unsigned threads, const py::object& params) {
        expression_values values;
        rules_options opt;
        opt.params = params_from(params);
        {
          // The expression text is copied into C++ and the pool is immutable: safe without
          // the GIL.
          py::gil_scoped_release release;
          values = expression::compile(text, p, opt).evaluate(p, threads);
        }
        return to_numpy(std::move(values));
      },
      py::arg("expression"), py::arg("pool"), py::kw_only(), py::arg("threads") = 0,
      py::arg("params") = py::none(),
      R"doc(Evaluates a rule-language expression over every nominee: float64 (NaN missing),
datetime64[D] (NaT), bool (object with None when some are missing) or object str/None.
``params`` (a dict) names constants the expression may use, e.g. {"window_end": "31/08/2024"}.)doc");

  m.def(
      "parse_param_assignment",
      [](const std::string& text) {
        const auto p = parse_param_assignment(text);
        return py::make_tuple(p.name, param_value(p));
      },
      py::arg("text"),
      "Reads \"name=value\" as the CLI's --param does: (name, value) with the value read as a "
      "date, number (8.5 or 8,5), boolean or text.");

  m.def(
      "_with_achievements",
      [](const pool& p, std::vector<std::string> ids, std::vector<std::string> levels,
         std::vector<std::string> prizes, std::vector<std::string> dates, std::string file,
         std::size_t first_line, const std::string& column) {
        achievements_table t;
        t.ids = std::move(ids);
        t.levels = std::move(levels);
        t.prizes = std::move(prizes);
        t.dates = std::move(dates);
        t.file = std::move(file);
        t.first_line = first_line;
        py::gil_scoped_release release;
        return with_achievements(p, t, column);
      },
      py::arg("pool"), py::arg("ids"), py::arg("levels"), py::arg("prizes"), py::arg("dates"),
      py::arg("file"), py::arg("first_line"), py::arg("column"),
      "Internal: Pool.with_achievements after the table's columns are read.");

  m.def(
      "_with_achievements_csv",
      [](const pool& p, const std::string& path, const std::string& id, const std::string& level,
         const std::string& prize, const std::string& date, const std::string& column) {
        py::gil_scoped_release release;
        const auto t = read_achievements_csv(path, {id, level, prize, date});
        return with_achievements(p, t, column);
      },
      py::arg("pool"), py::arg("path"), py::arg("id"), py::arg("level"), py::arg("prize"),
      py::arg("date"), py::arg("column"),
      "Internal: Pool.with_achievements of a CSV file (read by the C++ library).");

  m.def(
      "check_expression",
      [](const std::string& text, const pool& p, const py::object& params) {
        expression e;
        rules_options opt;
        opt.params = params_from(params);
        {
          py::gil_scoped_release release;
          e = expression::compile(text, p, opt);
        }
        py::dict out;
        out["type"] = std::string(to_string(e.type()));
        out["columns"] = e.columns();
        out["warnings"] = diagnostics(e.warnings());
        return out;
      },
      py::arg("expression"), py::arg("pool"), py::kw_only(), py::arg("params") = py::none(),
      "Compiles an expression: its type, the columns it reads and warnings (raises on errors).");

  // The Arrow door (register_arrow.cpp's helper): pa.table(verdicts), pl.DataFrame(verdicts).
  auto verdicts_class = py::reinterpret_borrow<py::class_<py_verdicts>>(m.attr("Verdicts"));
  def_arrow_stream(verdicts_class, [](const py_verdicts& v) { return to_pool(v.v, v.nominees); });
}

}  // namespace khuyenhoc::python
