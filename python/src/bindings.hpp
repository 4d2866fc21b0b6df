#pragma once
// Shared declarations of the binding layer: one register_<area> per file, called by module.cpp.

#include <pybind11/pybind11.h>

#include <khuyenhoc/pool.hpp>
#include <khuyenhoc/rules.hpp>

namespace khuyenhoc::python {

namespace py = pybind11;

/// khuyenhoc.Verdicts: rule verdicts with the pool they were evaluated on (shared by the rules
/// and the selection bindings).
struct py_verdicts {
  verdicts v;
  pool nominees;
};

void register_calendar(py::module_& m);
void register_criteria(py::module_& m);
void register_errors(py::module_& m);
void register_plan(py::module_& m);
void register_pool(py::module_& m);
void register_selection(py::module_& m);
void register_ranking(py::module_& m);
void register_rules(py::module_& m);

}  // namespace khuyenhoc::python
