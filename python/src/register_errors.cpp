// Maps khuyenhoc::error and its subclasses onto khuyenhoc.Error (a ValueError) and subclasses.
#include <khuyenhoc/error.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

void register_errors(py::module_& m) {
  // Registered base first: pybind11 tries the most recently registered translator first,
  // so each subclass is matched before its base.
  auto base = py::register_exception<error>(m, "Error", PyExc_ValueError);
  py::register_exception<parse_error>(m, "ParseError", base);
  py::register_exception<schema_error>(m, "SchemaError", base);
  py::register_exception<spec_error>(m, "SpecError", base);
  py::register_exception<data_error>(m, "DataError", base);
}

}  // namespace khuyenhoc::python
