// Maps khuyenhoc::error and its subclasses onto khuyenhoc.Error (a ValueError) and subclasses.
// Each raised exception carries its location as attributes: file, line, column, row_id, field
// (None when unknown), so callers need not parse the message.
#include <khuyenhoc/error.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

// The Python exception types, created once at import and kept for the process's life (the
// module holds them too); plain handles so that no destructor runs at interpreter shutdown.
py::handle error_type, parse_type, schema_type, spec_type, data_type;

void raise_located(py::handle type, const error& e) {
  const location& w = e.where();
  py::object inst = py::reinterpret_borrow<py::object>(type)(e.what());
  auto text_or_none = [](const std::string& s) -> py::object {
    return s.empty() ? py::none() : py::object(py::str(s));
  };
  auto number_or_none = [](std::size_t v) -> py::object {
    return v == 0 ? py::none() : py::object(py::int_(v));
  };
  inst.attr("file") = text_or_none(w.file);
  inst.attr("line") = number_or_none(w.line);
  inst.attr("column") = number_or_none(w.column);
  inst.attr("row_id") = text_or_none(w.row_id);
  inst.attr("field") = text_or_none(w.field);
  inst.attr("message") = py::str(e.message());
  PyErr_SetObject(type.ptr(), inst.ptr());
}

}  // namespace

void register_errors(py::module_& m) {
  auto make = [&](const char* name, py::handle base, const char* doc) {
    py::object t = py::reinterpret_steal<py::object>(
        PyErr_NewException((std::string("khuyenhoc._core.") + name).c_str(), base.ptr(), nullptr));
    if (!t) throw py::error_already_set();
    t.attr("__doc__") = doc;
    m.attr(name) = t;
    return t.release();  // owned by the module and by this handle for the process's life
  };
  error_type =
      make("Error", PyExc_ValueError,
           "Base of every khuyenhoc error (a ValueError). The message starts with where it "
           "happened; the attributes file, line, column (1-based), row_id and field give the "
           "same location (None when unknown), message the text without it.");
  parse_type = make("ParseError", error_type,
                    "Malformed text: CSV, YAML, a rule expression, a time expression. line and "
                    "column point at the offending character.");
  schema_type = make("SchemaError", error_type,
                     "A column that does not exist or has the wrong type for its use.");
  spec_type = make("SpecError", error_type,
                   "An invalid criteria set, rule set, selection policy or option.");
  data_type = make("DataError", error_type,
                   "Invalid data values: duplicate or empty ids, a value of the wrong kind in a "
                   "row.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const parse_error& e) {
      raise_located(parse_type, e);
    } catch (const schema_error& e) {
      raise_located(schema_type, e);
    } catch (const spec_error& e) {
      raise_located(spec_type, e);
    } catch (const data_error& e) {
      raise_located(data_type, e);
    } catch (const error& e) {
      raise_located(error_type, e);
    }
  });
}

}  // namespace khuyenhoc::python
