// Maps khuyenhoc::error and its subclasses onto khuyenhoc.Error (a ValueError) and subclasses.
// Each raised exception carries its location as attributes: file, line, column, row_id, field
// (None when unknown) and message (the text without the location), so callers need not parse
// the message.
// std::bad_alloc needs nothing here: pybind11 turns it into MemoryError, and the library's
// worker threads hand it to the calling thread (detail/parallel.hpp) instead of terminating.
#include <khuyenhoc/error.hpp>

#include <exception>
#include <string>
#include <type_traits>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

PyObject* error_type = nullptr;
PyObject* parse_type = nullptr;
PyObject* schema_type = nullptr;
PyObject* spec_type = nullptr;
PyObject* data_type = nullptr;
PyObject* limit_type = nullptr;
PyObject* io_type = nullptr;

// Raises `type` with the message decoded leniently: a message quoting a user's bytes must come
// out as the library's error, never as a UnicodeDecodeError about the message itself.
void raise(PyObject* type, const error& e, int os_errno = 0) {
  const std::string what = e.what();
  py::object text = py::reinterpret_steal<py::object>(
      PyUnicode_DecodeUTF8(what.data(), static_cast<Py_ssize_t>(what.size()), "replace"));
  if (!text) return;
  py::object exc = py::reinterpret_steal<py::object>(PyObject_CallOneArg(type, text.ptr()));
  if (!exc) return;  // the call set its own Python error
  if (os_errno != 0) exc.attr("errno") = os_errno;
  auto text_or_none = [](const std::string& v) -> py::object {
    if (v.empty()) return py::none();
    return py::reinterpret_steal<py::object>(
        PyUnicode_DecodeUTF8(v.data(), static_cast<Py_ssize_t>(v.size()), "replace"));
  };
  auto number_or_none = [](std::size_t v) -> py::object {
    return v == 0 ? py::none() : py::object(py::int_(v));
  };
  const location& w = e.where();
  exc.attr("file") = text_or_none(w.file);
  exc.attr("line") = number_or_none(w.line);
  exc.attr("column") = number_or_none(w.column);
  exc.attr("row_id") = text_or_none(w.row_id);
  exc.attr("field") = text_or_none(w.field);
  exc.attr("message") = text_or_none(e.message());
  PyErr_SetObject(type, exc.ptr());
}

}  // namespace

void register_errors(py::module_& m) {
  auto base = py::register_exception<error>(m, "Error", PyExc_ValueError);
  base.attr("__doc__") =
      "Base of every khuyenhoc error (a ValueError). The message starts with where it happened; "
      "the attributes file, line, column (1-based), row_id and field give the same location "
      "(None when unknown), message the text without it.";
  error_type = base.ptr();
  auto make = [&](auto tag, const char* name, const char* doc) {
    using T = typename decltype(tag)::type;
    auto& t = py::register_exception<T>(m, name, base);
    t.attr("__doc__") = doc;
    return t.ptr();
  };
  parse_type = make(std::type_identity<parse_error>{}, "ParseError",
                    "Malformed text: CSV, YAML, a rule expression, a time expression.");
  schema_type = make(std::type_identity<schema_error>{}, "SchemaError",
                     "A column that does not exist or has the wrong type for its use.");
  spec_type = make(std::type_identity<spec_error>{}, "SpecError",
                   "An invalid criteria set, rule set, selection policy or option.");
  data_type = make(std::type_identity<data_error>{}, "DataError",
                   "Invalid data values: duplicate or empty ids, a value of the wrong kind in a "
                   "row.");
  limit_type = make(std::type_identity<limit_error>{}, "LimitError",
                    "A documented limit was reached: an input larger than max_bytes, a YAML alias "
                    "expansion too large or too deep. The message names the limit.");

  // IOError is both an Error and an OSError (so `except OSError` catches a full disk), which
  // register_exception cannot express: the type is made with two bases.
  py::object bases = py::make_tuple(base, py::handle(PyExc_OSError));
  io_type = PyErr_NewExceptionWithDoc(
      "khuyenhoc._core.IOError",
      "A file that cannot be read or written (missing, unreadable, disk full, an output that "
      "would overwrite an input). Subclasses Error and OSError; `errno` is the OS reason or None.",
      bases.ptr(), nullptr);
  if (io_type == nullptr) throw py::error_already_set();
  m.attr("IOError") = py::handle(io_type);

  // Registered last, so tried first: one translator for the whole hierarchy, most derived first.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const io_error& e) {
      raise(io_type, e, e.os_errno());
    } catch (const limit_error& e) {
      raise(limit_type, e);
    } catch (const parse_error& e) {
      raise(parse_type, e);
    } catch (const schema_error& e) {
      raise(schema_type, e);
    } catch (const spec_error& e) {
      raise(spec_type, e);
    } catch (const data_error& e) {
      raise(data_type, e);
    } catch (const error& e) {
      raise(error_type, e);
    }
  });
}

}  // namespace khuyenhoc::python
