// Methods of the C++ classes that are written in Python (pandas, dict and HTML conversions):
// declared here, with the classes' other methods, when _core is loaded — not attached to the
// classes by the package's __init__. Each calls a function of a package module, imported on
// first use, so `import khuyenhoc` needs only numpy and the module's own imports stay lazy.
#include <array>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

struct python_method {
  const char* cls;       // class in khuyenhoc._core
  const char* name;      // method name
  const char* module;    // package module holding the implementation
  const char* function;  // its function (self first for instance methods)
  bool is_static;
  const char* doc;
};

constexpr std::array<python_method, 20> methods{{
    {"Pool", "to_pandas", "khuyenhoc._pool", "to_pandas", false,
     "The pool as a pandas DataFrame, one column per pool column, the id column first. Number "
     "columns (and integer/boolean columns without missing values) share the pool's memory; "
     "categories become Categoricals, dates datetime64, text str/None, lists lists "
     "(lists='arrow': pd.ArrowDtype lists sharing the pool's Arrow export)."},
    {"Pool", "from_pandas", "khuyenhoc._pool", "from_pandas", true,
     "from_pandas(df, id='id') -> Pool: a pool from a DataFrame (float64 shared, missing values "
     "kept, Categoricals stay categories, strings become category or text; pyarrow-backed "
     "strings and lists go to the Arrow importer as they are)."},
    {"Pool", "from_dict", "khuyenhoc._pool", "from_dict", true,
     "from_dict(columns, id='id') -> Pool: a pool from a mapping of column name to numpy array "
     "or sequence (as from_pandas)."},
    {"Pool", "__getitem__", "khuyenhoc._pool", "column_array", false,
     "pool[name]: the column as one numpy array, missing values as NaN / NaT / None (number "
     "columns are read-only views of the pool's memory)."},
    {"Pool", "to_parquet", "khuyenhoc._arrow", "to_parquet", false,
     "to_parquet(path): writes the pool as a Parquet file (needs pyarrow: pip install "
     "khuyenhoc[arrow])."},
    {"Pool", "with_achievements", "khuyenhoc._rules", "with_achievements", false,
     "with_achievements(table, id=..., date=..., level=...) -> Pool: the pool with a long table "
     "of dated achievements joined by nominee id as dated list items (see docs/rules.md)."},
    {"Pool", "_repr_html_", "khuyenhoc._display", "pool_repr_html", false,
     "HTML view for notebooks: the columns with their types and the first rows."},
    {"CriteriaSet", "from_dict", "khuyenhoc._criteria", "criteria_from_dict", true,
     "from_dict(d) -> CriteriaSet: a criteria set from a dict shaped like the YAML format "
     "(docs/criteria.md); errors name the key."},
    {"ScoreTable", "to_pandas", "khuyenhoc._criteria", "score_table_to_pandas", false,
     "One row per nominee: id, total, level, level_name, unclassifiable, reason, mandatory_met, "
     "then subtotal.<criterion> and points.<indicator> columns."},
    {"ScoreTable", "__repr__", "khuyenhoc._display", "score_table_repr", false,
     "A one-line summary: nominees, indicators, totals and levels."},
    {"ScoreTable", "_repr_html_", "khuyenhoc._display", "score_table_repr_html", false,
     "HTML view for notebooks: the distribution of totals and levels and the first rows."},
    {"Rules", "from_dict", "khuyenhoc._rules", "rules_from_dict", true,
     "from_dict(d) -> Rules: a rule set from a dict shaped like the YAML format (docs/rules.md)."},
    {"Verdicts", "to_pandas", "khuyenhoc._rules", "verdicts_to_pandas", false,
     "One row per nominee: id, eligible, one status column per rule, the rendered reasons "
     "joined by '; ', and decision-table outputs."},
    {"Verdicts", "_repr_html_", "khuyenhoc._display", "verdicts_repr_html", false,
     "HTML view for notebooks: the funnel of the rules and the first rows."},
    {"Plan", "from_table", "khuyenhoc._plan", "_from_table", true,
     "from_table(data, year=None, ...) -> Plan: a plan from the 4-column task table (TT | Thời "
     "gian | Nội dung | Phân công) copied out of a document, or from a DataFrame."},
    {"Plan", "to_pandas", "khuyenhoc._plan", "_plan_to_pandas", false,
     "The tasks as a pandas DataFrame."},
    {"Plan", "__repr__", "khuyenhoc._display", "plan_repr", false,
     "A one-line summary: tasks, units and the span of dates."},
    {"Plan", "_repr_html_", "khuyenhoc._display", "plan_repr_html", false,
     "HTML view for notebooks: the tasks with their dates and units."},
    {"Findings", "to_pandas", "khuyenhoc._plan", "_findings_to_pandas", false,
     "The findings as a pandas DataFrame (one row per finding; dates as datetime.date)."},
    {"Findings", "_repr_html_", "khuyenhoc._plan", "_findings_repr_html", false,
     "HTML view for notebooks: counts by severity and the first findings, coloured by "
     "severity."},
}};

}  // namespace

void register_python_methods(py::module_& m) {
  for (const auto& pm : methods) {
    py::object cls = m.attr(pm.cls);
    const char* module = pm.module;
    const char* function = pm.function;
    if (pm.is_static) {
      py::cpp_function f(
          [module, function](const py::args& args, const py::kwargs& kwargs) {
            return py::module_::import(module).attr(function)(*args, **kwargs);
          },
          py::name(pm.name), py::doc(pm.doc));
      py::setattr(cls, pm.name, py::staticmethod(f));
    } else {
      py::cpp_function f(
          [module, function](const py::object& self, const py::args& args,
                             const py::kwargs& kwargs) {
            return py::module_::import(module).attr(function)(self, *args, **kwargs);
          },
          py::name(pm.name), py::is_method(cls), py::doc(pm.doc));
      py::setattr(cls, pm.name, f);
    }
  }
}

}  // namespace khuyenhoc::python
