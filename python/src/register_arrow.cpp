// The Arrow PyCapsule protocol for pools (and, through def_arrow_stream, for result tables):
// Pool.__arrow_c_stream__ / __arrow_c_schema__ export, Pool.from_arrow imports any object with
// __arrow_c_stream__ or __arrow_c_array__ (pyarrow, polars, DuckDB, pandas >= 2.2 ...).
// The conversions themselves are khuyenhoc/arrow.hpp's; this file only moves capsules.

#include <khuyenhoc/arrow.hpp>
#include <khuyenhoc/criteria.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

template <class T>
T* capsule_pointer(const py::object& capsule, const char* name) {
  if (!PyCapsule_IsValid(capsule.ptr(), name)) {
    throw py::type_error(std::string("expected a PyCapsule named \"") + name + "\"");
  }
  return static_cast<T*>(PyCapsule_GetPointer(capsule.ptr(), name));
}

void release_stream_capsule(PyObject* capsule) {
  auto* s = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule, "arrow_array_stream"));
  if (s == nullptr) return;
  if (s->release != nullptr) s->release(s);
  delete s;
}

void release_schema_capsule(PyObject* capsule) {
  auto* s = static_cast<ArrowSchema*>(PyCapsule_GetPointer(capsule, "arrow_schema"));
  if (s == nullptr) return;
  if (s->release != nullptr) s->release(s);
  delete s;
}

pool from_arrow(const py::object& obj, const std::string& id, bool infer_categories) {
  const arrow_import_options options{.id_column = id, .infer_categories = infer_categories};
  if (py::hasattr(obj, "__arrow_c_stream__")) {
    const py::object capsule = obj.attr("__arrow_c_stream__")();
    auto* src = capsule_pointer<ArrowArrayStream>(capsule, "arrow_array_stream");
    ArrowArrayStream stream = *src;
    src->release = nullptr;  // moved out: the capsule's destructor leaves it alone
    // The stream's callbacks are the producer's C code (pyarrow, polars and DuckDB take the GIL
    // themselves where they need Python); the import touches no Python object.
    py::gil_scoped_release release;
    return import_arrow_stream(&stream, options);
  }
  if (py::hasattr(obj, "__arrow_c_array__")) {
    const auto pair = obj.attr("__arrow_c_array__")().cast<py::tuple>();
    if (pair.size() != 2) throw py::type_error("__arrow_c_array__ must return two capsules");
    const auto* schema = capsule_pointer<ArrowSchema>(pair[0], "arrow_schema");
    auto* src = capsule_pointer<ArrowArray>(pair[1], "arrow_array");
    ArrowArray array = *src;
    src->release = nullptr;
    py::gil_scoped_release release;  // as above; the schema capsule outlives this call
    return import_arrow_array(schema, &array, options);
  }
  throw py::type_error(
      "Pool.from_arrow needs an object with __arrow_c_stream__ or "
      "__arrow_c_array__ (a pyarrow Table or RecordBatchReader, a polars "
      "DataFrame, a DuckDB relation ...), not " +
      std::string(py::str(py::type::of(obj).attr("__name__"))));
}

}  // namespace

column column_from_arrow(const py::object& data, const std::string& name, bool infer_categories) {
  if (!py::hasattr(data, "__arrow_c_stream__")) {
    throw py::type_error("an \"arrow\" column spec needs an object with __arrow_c_stream__");
  }
  const py::object capsule = data.attr("__arrow_c_stream__")();
  auto* src = capsule_pointer<ArrowArrayStream>(capsule, "arrow_array_stream");
  ArrowArrayStream stream = *src;
  src->release = nullptr;  // moved out, as in from_arrow
  const arrow_import_options options{.id_column = {}, .infer_categories = infer_categories};
  py::gil_scoped_release release;  // as in from_arrow: the import touches no Python object
  return import_arrow_column(&stream, name, options);
}

py::capsule arrow_stream_capsule(const pool& p) {
  auto* stream = new ArrowArrayStream{};
  export_arrow_stream(p, stream);
  return py::capsule(stream, "arrow_array_stream", &release_stream_capsule);
}

void register_arrow(py::module_& m) {
  m.attr("_date_range") = py::make_tuple(min_supported_day, max_supported_day);
  auto pool_class = py::reinterpret_borrow<py::class_<pool>>(m.attr("Pool"));
  def_arrow_stream(pool_class, [](const pool& p) { return p; });
  pool_class.def(
      "__arrow_c_schema__",
      [](const pool& p) {
        auto* schema = new ArrowSchema{};
        export_arrow_schema(p, schema);
        return py::capsule(schema, "arrow_schema", &release_schema_capsule);
      },
      "The Arrow PyCapsule schema protocol: a capsule holding the pool's ArrowSchema.");
  pool_class.def_static("from_arrow", &from_arrow, py::arg("data"), py::kw_only(),
                        py::arg("id") = "id", py::arg("infer_categories") = true,
                        R"doc(A Pool from any Arrow table-like object.

`data` has `__arrow_c_stream__` (pyarrow Table or RecordBatchReader, polars DataFrame, DuckDB
relation, pandas >= 2.2 DataFrame ...) or `__arrow_c_array__` (a pyarrow RecordBatch).
float64 → number (a single batch is shared, not copied, when its null slots hold NaN), integers → integer,
bool → boolean, date32/date64 → date, timestamps → date (with a time zone: the date in Vietnam,
Asia/Ho_Chi_Minh; without: the wall-clock date), dictionary-encoded strings → category
(dictionaries of several batches are unified), strings → category when values repeat (at most 16
distinct or at most half the values; `infer_categories=False` keeps them text) or text, lists of
strings → list. The id column (`id`) becomes text. Durations, decimals and binary columns raise
SchemaError naming the column; dates outside 1400–9999 raise DataError naming the row.)doc");

  auto score_class = py::reinterpret_borrow<py::class_<score_table>>(m.attr("ScoreTable"));
  def_arrow_stream(score_class, [](const score_table& t) { return to_pool(t); });
}

}  // namespace khuyenhoc::python
