// khuyenhoc._core: the compiled half of the Python package. Each area registers itself.
#include <khuyenhoc/version.hpp>

#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "khuyenhoc's C++ engine (use the khuyenhoc package, not this module directly)";
  m.attr("__version__") = khuyenhoc::version_string;
  khuyenhoc::python::register_errors(m);
  khuyenhoc::python::register_pool(m);
  khuyenhoc::python::register_selection(m);
  khuyenhoc::python::register_shard(m);
  khuyenhoc::python::register_ranking(m);
  khuyenhoc::python::register_calendar(m);
  khuyenhoc::python::register_plan(m);
  khuyenhoc::python::register_rules(m);
  khuyenhoc::python::register_criteria(m);
  khuyenhoc::python::register_arrow(m);           // after the classes it extends
  khuyenhoc::python::register_python_methods(m);  // last: every class is registered
}
