#pragma once
// Shared declarations of the binding layer: one register_<area> per file, called by module.cpp.

#include <pybind11/pybind11.h>

#include <optional>
#include <utility>

#include <khuyenhoc/pool.hpp>
#include <khuyenhoc/rules.hpp>
#include <khuyenhoc/selection.hpp>

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
/// Declares the classes' methods written in Python (pandas, dict, HTML): after every class.
void register_python_methods(py::module_& m);
void register_arrow(py::module_& m);
void register_shard(py::module_& m);

/// A selection policy from khuyenhoc.select's keyword arguments (register_selection.cpp).
selection_policy policy_from(const py::dict& d);

/// A pool column from an object with `__arrow_c_stream__` (e.g. a pyarrow ChunkedArray) whose
/// type is the column's (register_arrow.cpp; used by Pool._from_columns for "arrow" specs).
column column_from_arrow(const py::object& data, const std::string& name, bool infer_categories);

/// A PyCapsule named "arrow_array_stream" holding an ArrowArrayStream over `p` (one batch,
/// buffers shared); the capsule's destructor releases the stream if no consumer took it.
py::capsule arrow_stream_capsule(const pool& p);

/// Gives a result class the Arrow PyCapsule protocol: `__arrow_c_stream__(requested_schema=None)`
/// exports `to_pool(self)` (a function returning a `khuyenhoc::pool`). `pyarrow.table(x)`,
/// `polars.DataFrame(x)`, DuckDB and pandas then take the result without copying its numeric
/// columns. `requested_schema` is accepted and ignored (the protocol allows it): the
/// consumer casts if it wants other types.
template <class T, class ToPool>
void def_arrow_stream(py::class_<T>& cls, ToPool to_pool) {
  cls.def(
      "__arrow_c_stream__",
      [to_pool = std::move(to_pool)](const T& self, const py::object& requested_schema) {
        static_cast<void>(requested_schema);
        std::optional<pool> table;
        {
          py::gil_scoped_release release;  // to_pool reads the immutable C++ result only
          table.emplace(to_pool(self));
        }
        return arrow_stream_capsule(*table);
      },
      py::arg("requested_schema") = py::none(),
      "The Arrow PyCapsule stream protocol: a capsule holding an ArrowArrayStream of this "
      "table (numeric buffers shared, not copied).");
}

}  // namespace khuyenhoc::python
