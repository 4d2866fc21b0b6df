// Maps khuyenhoc::error and its subclasses onto khuyenhoc.Error (a ValueError) and subclasses.
#include <khuyenhoc/error.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

void register_errors(py::module_& m) {
  // Registered base first: pybind11 tries the most recently registered translator first,
  // so each subclass is matched before its base.
  auto base = py::register_exception<error>(m, "Error", PyExc_ValueError);
  base.attr("__doc__") =
      "Base of every khuyenhoc error (a ValueError). The message starts with where it happened: "
      "the file, line and column for text inputs, the row id and column for data.";
  py::register_exception<parse_error>(m, "ParseError", base).attr("__doc__") =
      "Malformed text: CSV, YAML, a rule expression, a time expression.";
  py::register_exception<schema_error>(m, "SchemaError", base).attr("__doc__") =
      "A column that does not exist or has the wrong type for its use.";
  py::register_exception<spec_error>(m, "SpecError", base).attr("__doc__") =
      "An invalid criteria set, rule set, selection policy or option.";
  py::register_exception<data_error>(m, "DataError", base).attr("__doc__") =
      "Invalid data values: duplicate or empty ids, a value of the wrong kind in a row.";
}

}  // namespace khuyenhoc::python
