// Maps khuyenhoc::error and its subclasses onto khuyenhoc.Error (a ValueError) and subclasses.
// std::bad_alloc needs nothing here: pybind11 turns it into MemoryError, and the library's
// worker threads hand it to the calling thread (detail/parallel.hpp) instead of terminating.
#include <khuyenhoc/error.hpp>

#include <exception>

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
  py::register_exception<limit_error>(m, "LimitError", base).attr("__doc__") =
      "A documented limit was reached: an input larger than max_bytes, a YAML alias expansion "
      "too large or too deep. The message names the limit and the option that raises it.";

  // IOError is both an Error and an OSError (so `except OSError` catches a full disk), which
  // register_exception cannot express: the type is made with two bases and translated here.
  // `errno` is set when the operating system gave a reason (ENOENT, ENOSPC, EACCES ...).
  py::object bases = py::make_tuple(base, py::handle(PyExc_OSError));
  static PyObject* io_type = PyErr_NewExceptionWithDoc(
      "khuyenhoc._core.IOError",
      "A file that cannot be read or written (missing, unreadable, disk full, an output that "
      "would overwrite an input). Subclasses Error and OSError; `errno` is the OS reason or None.",
      bases.ptr(), nullptr);
  if (io_type == nullptr) throw py::error_already_set();
  m.attr("IOError") = py::handle(io_type);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const io_error& e) {
      py::object exc = py::reinterpret_steal<py::object>(
          PyObject_CallFunction(io_type, "s", e.what()));
      if (!exc) return;  // the call set its own Python error
      if (e.os_errno() != 0) exc.attr("errno") = e.os_errno();
      PyErr_SetObject(io_type, exc.ptr());
    }
  });
}

}  // namespace khuyenhoc::python
