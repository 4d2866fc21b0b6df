// Bindings of plan.hpp: Plan (readers, check, iCalendar), Task, Finding, Findings, and the raw
// sweep kernel used by the benchmarks and the differential tests.
#include <khuyenhoc/arrow.hpp>
#include <khuyenhoc/calendar.hpp>
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/io.hpp>
#include <khuyenhoc/plan.hpp>
#include <khuyenhoc/time_expr.hpp>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "date_caster.hpp"

namespace khuyenhoc::python {

namespace {

namespace bg = boost::gregorian;

std::optional<bg::date_period> to_window(const py::object& w, std::optional<int> year) {
  if (w.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(w)) {
    const auto text = w.cast<std::string>();
    const auto t = year ? parse_time(text, *year) : parse_time(text);
    if (!t.bounded()) throw spec_error("the window \"" + text + "\" needs a start and an end");
    return t.period();
  }
  if (py::isinstance<time_expr>(w)) {
    const auto& t = w.cast<const time_expr&>();
    if (!t.bounded()) throw spec_error("the window needs a start and an end");
    return t.period();
  }
  const auto seq = w.cast<py::sequence>();
  if (seq.size() != 2) throw spec_error("window must be (first, last) dates, inclusive");
  const auto a = seq[0].cast<bg::date>();
  const auto b = seq[1].cast<bg::date>();
  if (b < a) throw spec_error("window: last day before first day");
  return bg::date_period(a, b + bg::days(1));
}

calendar to_calendar(const py::object& holidays) {
  if (holidays.is_none()) return calendar();
  if (py::isinstance<calendar>(holidays)) return holidays.cast<calendar>();
  calendar cal;
  for (const py::handle item : holidays.cast<py::iterable>()) {
    if (py::isinstance<py::tuple>(item)) {
      const auto t = item.cast<py::tuple>();
      cal.add_holiday(t[0].cast<bg::date>(), t.size() > 1 ? t[1].cast<std::string>() : "Ngày nghỉ",
                      t.size() > 2 ? t[2].cast<std::string>() : "Day off");
    } else {
      cal.add_holiday(item.cast<bg::date>(), "Ngày nghỉ", "Day off");
    }
  }
  return cal;
}

py::dict findings_columns(const std::vector<finding>& fs) {
  py::list severity_, kind, first, last, tasks, subject, load, vi, en, file, line;
  for (const auto& f : fs) {
    severity_.append(std::string(to_string(f.level)));
    kind.append(std::string(to_string(f.kind)));
    first.append(f.first ? py::cast(*f.first) : py::none());
    last.append(f.last ? py::cast(*f.last) : py::none());
    tasks.append(py::cast(f.tasks));
    subject.append(f.subject);
    load.append(f.load);
    vi.append(f.message_vi);
    en.append(f.message_en);
    file.append(f.where.file);
    line.append(f.where.line);
  }
  py::dict d;
  d["severity"] = severity_;
  d["kind"] = kind;
  d["first"] = first;
  d["last"] = last;
  d["tasks"] = tasks;
  d["subject"] = subject;
  d["load"] = load;
  d["message_vi"] = vi;
  d["message_en"] = en;
  d["file"] = file;
  d["line"] = line;
  return d;
}

std::string fspath(const py::object& path) {
  return py::str(py::module_::import("os").attr("fspath")(path));
}

unit_aliases to_aliases(const py::object& aliases) {
  if (py::isinstance<py::str>(aliases) || py::hasattr(aliases, "__fspath__")) {
    return unit_aliases::from_yaml_file(fspath(aliases));
  }
  unit_aliases out;
  auto names_of = [](const py::handle& v, std::vector<std::string>& names) {
    if (py::isinstance<py::str>(v)) {
      names.push_back(v.cast<std::string>());
    } else {
      for (const py::handle x : v.cast<py::iterable>()) names.push_back(x.cast<std::string>());
    }
  };
  if (py::isinstance<py::dict>(aliases)) {
    for (const auto& [k, v] : aliases.cast<py::dict>()) {
      std::vector<std::string> names{k.cast<std::string>()};
      names_of(v, names);
      out.add(names);
    }
  } else {
    for (const py::handle g : aliases.cast<py::iterable>()) {
      std::vector<std::string> names;
      names_of(g, names);
      out.add(names);
    }
  }
  return out;
}

struct findings_list {
  std::vector<finding> items;
};

}  // namespace

void register_plan(py::module_& m) {
  py::class_<plan_task>(m, "Task", "One task of a plan.")
      .def_readonly("id", &plan_task::id, "The task's id (TT).")
      .def_readonly("title", &plan_task::title, "What is to be done (Nội dung công việc).")
      .def_readonly("time_text", &plan_task::time_text, "The \"Thời gian\" text as written.")
      .def_readonly("time", &plan_task::time,
                    "The parsed time (TimeExpr), or None when it did not parse.")
      .def_readonly("time_error", &plan_task::time_error,
                    "The parse error when time is None, else \"\".")
      .def_readonly("leads", &plan_task::leads, "Lead units (chủ trì), normalised names.")
      .def_readonly("supports", &plan_task::supports,
                    "Supporting units (phối hợp), normalised names.")
      .def_readonly("resources", &plan_task::resources, "Exclusive resources (a leader, a hall).")
      .def_property_readonly(
          "kind", [](const plan_task& t) { return std::string(to_string(t.kind)); },
          "\"task\", \"event\" or \"deadline\" (given or inferred).")
      .def_readonly("kind_inferred", &plan_task::kind_inferred,
                    "True when no kind was given and it was inferred.")
      .def_readonly("kind_hint", &plan_task::kind_hint,
                    "The title word an inferred kind was guessed from (\"Họp\", \"Lễ\" …), or \"\" "
                    "when the time decided it.")
      .def_readonly("assigned_text", &plan_task::assigned_text,
                    "The assignee cell as written (\"\" if the task had none).")
      .def_readonly("unclear_assignees", &plan_task::unclear_assignees,
                    "Parts of the assignee cell that could not be split with confidence, each "
                    "with the reason (reported as unclear_assignees findings).")
      .def_property_readonly(
          "depends_on",
          [](const plan_task& t) {
            std::vector<std::pair<std::string, int>> out;
            for (const auto& d : t.depends_on) out.emplace_back(d.task, d.lag_days);
            return out;
          },
          "Finish-to-start predecessors as [(task id, lag days)].")
      .def_property_readonly(
          "start",
          [](const plan_task& t) -> std::optional<bg::date> {
            return t.time ? t.time->start : std::nullopt;
          },
          "First day (datetime.date), or None.")
      .def_property_readonly(
          "end",
          [](const plan_task& t) -> std::optional<bg::date> {
            return t.time ? t.time->end : std::nullopt;
          },
          "Last day included (datetime.date), or None.")
      .def_property_readonly(
          "file", [](const plan_task& t) { return t.where.file; }, "Source file of the task.")
      .def_property_readonly(
          "line", [](const plan_task& t) { return t.where.line; },
          "Source line (or row) of the task.")
      .def("__repr__", [](const plan_task& t) {
        return "Task(" + std::string(py::repr(py::str(t.id))) + ", " +
               std::string(py::repr(py::str(t.time_text))) + ", " +
               std::string(py::repr(py::str(t.title))) + ")";
      });

  py::class_<finding>(m, "Finding", "One finding of Plan.check: kind, severity, tasks, dates.")
      .def_property_readonly(
          "kind", [](const finding& f) { return std::string(to_string(f.kind)); },
          "What was found: \"invalid_time\", \"overload\", \"dependency_order\", … "
          "(docs/plans.md).")
      .def_property_readonly(
          "severity", [](const finding& f) { return std::string(to_string(f.level)); },
          "\"error\", \"warning\" or \"info\".")
      .def_readonly("tasks", &finding::tasks, "Ids of the tasks involved, in plan order.")
      .def_readonly("first", &finding::first,
                    "First day concerned (datetime.date, inclusive), or None.")
      .def_readonly("last", &finding::last,
                    "Last day concerned (datetime.date, inclusive), or None.")
      .def_readonly("subject", &finding::subject, "The unit or resource concerned (\"\" if none).")
      .def_readonly("load", &finding::load,
                    "Peak load (overload, resource_conflict, coarse_overlap); 0 otherwise.")
      .def_readonly("message_vi", &finding::message_vi, "The finding in Vietnamese.")
      .def_readonly("message_en", &finding::message_en, "The finding in English.")
      .def_property_readonly(
          "file", [](const finding& f) { return f.where.file; },
          "Source file of the first task involved.")
      .def_property_readonly(
          "line", [](const finding& f) { return f.where.line; },
          "Source line (or row) of the first task involved.")
      .def("__repr__", [](const finding& f) {
        return "Finding(" + std::string(to_string(f.level)) + ", " +
               std::string(to_string(f.kind)) + ", " +
               std::string(py::repr(py::str(f.message_en))) + ")";
      });

  py::class_<findings_list>(m, "Findings",
                            "The findings of Plan.check, sorted by severity, first day, kind.")
      .def("__len__", [](const findings_list& f) { return f.items.size(); })
      .def("__getitem__",
           [](const findings_list& f, long i) {
             const long n = static_cast<long>(f.items.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw py::index_error("finding index out of range");
             return f.items[static_cast<std::size_t>(i)];
           })
      .def(
          "__iter__",
          [](const findings_list& f) { return py::make_iterator(f.items.begin(), f.items.end()); },
          py::keep_alive<0, 1>())
      .def(
          "to_table",
          [](const findings_list& f, const std::string& lang) {
            return findings_table(f.items, lang);
          },
          py::arg("lang") = "en", "The findings as an aligned text table.")
      .def(
          "to_csv", [](const findings_list& f) { return findings_csv(f.items); },
          "The findings as CSV text.")
      .def("_columns", [](const findings_list& f) { return findings_columns(f.items); })
      .def("__repr__", [](const findings_list& f) {
        return "<Findings: " + std::to_string(f.items.size()) + ">";
      });

  py::class_<plan>(m, "Plan", "A plan (kế hoạch): tasks, units, resources, dependencies.")
      .def(py::init<>())
      .def_static("from_yaml", &plan::from_yaml_file, py::arg("path"), py::kw_only(),
                  py::arg("year") = std::nullopt, "Reads a plan from a YAML file.")
      .def_static("from_yaml_text", &plan::from_yaml, py::arg("text"),
                  py::arg("source") = "<string>", py::kw_only(), py::arg("year") = std::nullopt,
                  "Reads a plan from YAML text; source names it in messages; year: the plan's year "
                  "for dates without one.")
      .def_static(
          "from_csv",
          [](const py::object& path, std::optional<int> year) {
            return plan::from_csv_file(fspath(path), year.value_or(0));
          },
          py::arg("path"), py::kw_only(), py::arg("year") = py::none(),
          "Reads a plan from a CSV file with named columns (UTF-8, or UTF-16 with a BOM); year: "
          "the plan's year for dates without one (None: every date carries its year).")
      .def_static(
          "from_csv_text",
          [](const std::string& text, std::optional<int> year, const std::string& source) {
            return plan::from_csv(text, year.value_or(0), source);
          },
          py::arg("text"), py::kw_only(), py::arg("year") = py::none(),
          py::arg("source") = "<string>",
          "Reads a plan from CSV text with named columns; year: the plan's year for dates "
          "without one (None: every date carries its year).")
      .def_static(
          "from_table_file",
          [](const py::object& path, std::optional<int> year) {
            return plan::from_table_file(fspath(path), year.value_or(0));
          },
          py::arg("path"), py::kw_only(), py::arg("year") = py::none(),
          "Reads the 4-column task table (TT | Thời gian | Nội dung | Phân công) from a text file "
          "copied out of a document (tab- or pipe-separated, markdown; UTF-8, or UTF-16 with a "
          "BOM).")
      .def(
          "with_aliases",
          [](const plan& p, const py::object& aliases) {
            return p.with_aliases(to_aliases(aliases));
          },
          py::arg("aliases"),
          "This plan with more unit spellings merged: aliases is {name: [other spellings]} (or "
          "{name: spelling}), a list of lists of spellings, or the path of a YAML file of either "
          "shape. Units that become one keep the first spelling seen.")
      .def_property_readonly(
          "aliases", [](const plan& p) { return p.aliases().groups(); },
          "The unit alias groups the plan merges by (built-in ones first).")
      .def_static(
          "_from_table_text",
          [](const std::string& text, std::optional<int> year, const std::string& source) {
            return plan::from_table(text, year.value_or(0), source);
          },
          py::arg("text"), py::arg("year"), py::arg("source") = "<string>")
      .def_static(
          "_from_rows",
          [](const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows, std::optional<int> year,
             const std::string& source, const std::vector<std::size_t>& lines) {
            return plan::from_rows(header, rows, year.value_or(0), source, lines);
          },
          py::arg("header"), py::arg("rows"), py::arg("year"), py::arg("source") = "<table>",
          py::arg("lines") = std::vector<std::size_t>{})
      .def("__len__", &plan::size)
      .def_property_readonly("tasks", &plan::tasks, "The tasks, in plan order.")
      .def_property_readonly(
          "units", &plan::units,
          "The units (đơn vị) named as leads or supports, normalised, in first-seen order.")
      .def("__getitem__",
           [](const plan& p, const py::object& key) -> plan_task {
             if (py::isinstance<py::str>(key)) {
               const auto i = p.find(key.cast<std::string>());
               if (!i) throw py::key_error(key.cast<std::string>());
               return p[*i];
             }
             long i = key.cast<long>();
             const long n = static_cast<long>(p.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw py::index_error("task index out of range");
             return p[static_cast<std::size_t>(i)];
           })
      .def(
          "check",
          [](const plan& p, const py::object& window, const py::object& capacity,
             const py::object& holidays, double support_weight, bool info,
             std::optional<int> year) {
            check_options o;
            o.window = to_window(window, year);
            if (py::isinstance<py::dict>(capacity)) {
              for (const auto& [k, v] : capacity.cast<py::dict>()) {
                const auto key = k.cast<std::string>();
                if (key == "*") {
                  o.capacity = v.cast<double>();
                } else {
                  o.unit_capacity[key] = v.cast<double>();
                }
              }
            } else if (!capacity.is_none()) {
              o.capacity = capacity.cast<double>();
            }
            o.support_weight = support_weight;
            o.info = info;
            const calendar cal = to_calendar(holidays);
            findings_list out;
            {
              // The plan and calendar are only read; check() is const and thread-safe.
              py::gil_scoped_release release;
              out.items = p.check(o, cal);
            }
            return out;
          },
          py::kw_only(), py::arg("window") = py::none(), py::arg("capacity") = py::none(),
          py::arg("holidays") = py::none(), py::arg("support_weight") = 0.5, py::arg("info") = true,
          py::arg("year") = std::nullopt,
          "Checks the schedule. window: (first, last) dates, a TimeExpr or text (with year=); "
          "capacity: a number or {unit: number, '*': default}; holidays: a Calendar or extra "
          "dates.")
      .def(
          "to_ical",
          [](const plan& p, const std::optional<std::string>& path,
             const std::optional<std::string>& dtstamp, const std::string& name) -> py::object {
            ical_options o;
            if (dtstamp) o.dtstamp = *dtstamp;
            o.name = name;
            const auto text = p.to_ical(o);
            if (!path) return py::str(text);
            write_file_atomic(*path, text);  // io.hpp: the old file stays whole on failure
            return py::none();
          },
          py::arg("path") = std::nullopt, py::kw_only(), py::arg("dtstamp") = std::nullopt,
          py::arg("name") = "",
          "Writes the plan as iCalendar (.ics) to path, or returns the text when path is None.");

  m.def(
      "_find_overloads",
      [](const py::array& units,
         const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& starts,
         const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& ends,
         const std::optional<py::array_t<double, py::array::c_style | py::array::forcecast>>&
             weights,
         double capacity, unsigned threads) {
        // uint32 codes are read in place; other integer codes go through int64 (no copy when
        // they are int64 already). The mask is written straight into the returned array.
        const bool u32 = units.dtype().is(py::dtype::of<std::uint32_t>());
        py::array_t<std::uint32_t, py::array::c_style> units32;
        py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> units64;
        std::size_t n = 0;
        if (u32) {
          units32 = py::array_t<std::uint32_t, py::array::c_style>::ensure(units);
          n = static_cast<std::size_t>(units32.size());
        } else {
          units64 =
              py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(units);
          if (!units64) throw spec_error("units must be an array of integer codes");
          n = static_cast<std::size_t>(units64.size());
        }
        std::span<const double> w;
        if (weights) w = {weights->data(), static_cast<std::size_t>(weights->size())};
        const std::span<const std::int64_t> s(starts.data(),
                                              static_cast<std::size_t>(starts.size()));
        const std::span<const std::int64_t> e(ends.data(), static_cast<std::size_t>(ends.size()));
        py::array_t<bool> mask(static_cast<py::ssize_t>(n));
        const std::span<std::uint8_t> out(reinterpret_cast<std::uint8_t*>(mask.mutable_data()), n);
        const overload_options o{.capacity = capacity, .threads = threads};
        {
          py::gil_scoped_release release;  // only the arrays' buffers are touched below
          if (u32) {
            find_overloads(std::span<const std::uint32_t>(units32.data(), n), s, e, w, out, o);
          } else {
            find_overloads(std::span<const std::int64_t>(units64.data(), n), s, e, w, out, o);
          }
        }
        return mask;
      },
      py::arg("units"), py::arg("starts"), py::arg("ends"), py::arg("weights"), py::arg("capacity"),
      py::arg("threads"),
      "find_overloads on arrays already checked by khuyenhoc.find_overloads (see there).");

  // The Arrow door (register_arrow.cpp's helper): pa.table(findings), pl.DataFrame(findings).
  auto findings_class = py::reinterpret_borrow<py::class_<findings_list>>(m.attr("Findings"));
  def_arrow_stream(findings_class, [](const findings_list& f) { return to_pool(f.items); });
}

}  // namespace khuyenhoc::python
