// khuyenhoc.Pool, read_csv, generate_pool. Numeric columns cross the boundary without copies in
// both directions where numpy's layout allows: numpy views keep the C++ buffer alive through a
// capsule, and C++ columns built from float64 arrays borrow the array, holding a reference to it.

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include <khuyenhoc/csv.hpp>
#include <khuyenhoc/generate.hpp>
#include <khuyenhoc/pool.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

// A numpy array viewing `size` items at `data`, keeping `owner` alive.
template <class T>
py::array view(const T* data, std::size_t size, const std::shared_ptr<const void>& owner,
               py::dtype dtype = py::dtype::of<T>()) {
  auto* keep = new std::shared_ptr<const void>(owner);
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  py::array out(dtype, {static_cast<py::ssize_t>(size)}, {static_cast<py::ssize_t>(sizeof(T))},
                data, base);
  // Pools are immutable: the views are read-only.
  out.attr("setflags")(py::arg("write") = false);
  return out;
}

py::array validity(const column& c) {
  // The validity buffer is owned by the column; keep the column's storage alive via a copy.
  auto holder = std::make_shared<column>(c);
  const auto v = holder->validity();
  return view(v.data(), v.size(), std::static_pointer_cast<const void>(holder), py::dtype("bool"));
}

// Raw storage of a column as numpy views (no copies).
py::object values(const column& c) {
  auto holder = std::static_pointer_cast<const void>(std::make_shared<column>(c));
  const column& h = *static_cast<const column*>(holder.get());
  switch (c.type()) {
    case column_type::number:
      return view(h.numbers().data(), h.size(), holder);
    case column_type::integer:
      return view(h.integers().data(), h.size(), holder);
    case column_type::boolean:
      return view(h.booleans().data(), h.size(), holder, py::dtype("bool"));
    case column_type::date:
      return view(h.dates().data(), h.size(), holder);
    case column_type::category:
      return view(h.codes().data(), h.size(), holder);
    case column_type::category_list:
      return py::make_tuple(view(h.list_offsets().data(), h.size() + 1, holder),
                            view(h.codes().data(), h.codes().size(), holder));
    case column_type::text: {
      py::list out(h.size());
      for (std::size_t r = 0; r < h.size(); ++r) {
        if (h.is_valid(r)) {
          const auto s = h.text_at(r);
          out[r] = py::str(s.data(), s.size());
        } else {
          out[r] = py::none();
        }
      }
      return py::object(std::move(out));
    }
  }
  return py::none();
}

// A list column as Python objects: a list of str per row (None where missing). Each dictionary
// entry becomes one str object, shared by every row that holds it. The CPython list API is used
// directly (PyList_SET_ITEM steals a reference) as this runs once per row and item.
py::list python_lists(const column& c) {
  const auto& dictionary = c.dictionary();
  std::vector<py::str> items;
  items.reserve(dictionary.size());
  for (const auto& s : dictionary) items.emplace_back(s.data(), s.size());
  // Millions of new lists would trigger the cyclic garbage collector again and again (5-10x
  // the cost of building them); none can form a cycle, so it is paused meanwhile.
  const py::module_ gc = py::module_::import("gc");
  const bool was_enabled = gc.attr("isenabled")().cast<bool>();
  if (was_enabled) gc.attr("disable")();
  struct restore_gc {
    const py::module_& gc;
    bool enable;
    ~restore_gc() {
      if (enable) gc.attr("enable")();
    }
  } restore{gc, was_enabled};
  auto out = py::reinterpret_steal<py::list>(PyList_New(static_cast<py::ssize_t>(c.size())));
  if (!out) throw py::error_already_set();
  for (std::size_t r = 0; r < c.size(); ++r) {
    PyObject* row = Py_None;
    if (c.is_valid(r)) {
      const auto codes = c.list_at(r);
      row = PyList_New(static_cast<py::ssize_t>(codes.size()));
      if (row == nullptr) throw py::error_already_set();
      for (std::size_t k = 0; k < codes.size(); ++k) {
        PyObject* item = items[static_cast<std::size_t>(codes[k])].ptr();
        Py_INCREF(item);
        PyList_SET_ITEM(row, static_cast<py::ssize_t>(k), item);
      }
    } else {
      Py_INCREF(Py_None);
    }
    PyList_SET_ITEM(out.ptr(), static_cast<py::ssize_t>(r), row);
  }
  return out;
}

std::vector<std::uint8_t> valid_from(const py::object& obj, std::size_t n,
                                     const std::string& name) {
  if (obj.is_none()) return {};
  auto arr = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(
      py::array::ensure(obj).attr("astype")("uint8"));
  if (!arr || static_cast<std::size_t>(arr.size()) != n) {
    throw data_error("validity mask must have one item per row", location{.field = name});
  }
  return {arr.data(), arr.data() + n};
}

// A list column from a numpy object array of Python lists (or tuples) of str, with the rows'
// validity: what Pool.to_pandas gives and what pandas users build. One pass over the objects
// without a Python call per item: an item is looked up by identity first (to_pandas gives every
// row the same str object for the same dictionary entry), then by its UTF-8 text; dictionary
// entries in order of first appearance, as the other list doors. Items that are not str are
// taken as str(item). Other row objects (sets, arrays) go through the iteration protocol.
column list_column_from_objects(const std::string& name, const py::object& data,
                                const py::object& valid_obj) {
  const auto arr = py::array::ensure(data);
  if (!arr || arr.ndim() != 1 || arr.dtype().kind() != 'O') {
    throw data_error("list rows must be a one-dimensional object array", location{.field = name});
  }
  const auto n = static_cast<std::size_t>(arr.size());
  std::vector<std::uint8_t> valid = valid_from(valid_obj, n, name);
  if (valid.empty()) valid.assign(n, 1);
  // A contiguous copy when the array is strided (object arrays hold references: no deep copy).
  const auto rows = py::array::ensure(arr, py::array::c_style);
  auto* const* objects = static_cast<PyObject* const*>(rows.data());
  std::vector<std::uint32_t> offsets;
  offsets.reserve(n + 1);
  offsets.push_back(0);
  std::vector<std::int32_t> codes;
  std::vector<std::string> dictionary;
  std::unordered_map<std::string, std::int32_t> by_text;
  std::unordered_map<PyObject*, std::int32_t> by_object;  // items kept alive by `rows`
  auto code_of_text = [&](std::string text) {
    auto [it, inserted] = by_text.try_emplace(std::move(text), 0);
    if (inserted) {
      it->second = static_cast<std::int32_t>(dictionary.size());
      dictionary.push_back(it->first);
    }
    return it->second;
  };
  // by_object only for items held by the rows' lists and tuples: an item an iterator makes may
  // be freed, and its address reused, before the next one.
  auto add_item = [&](PyObject* item, bool held) {
    if (held && PyUnicode_CheckExact(item)) {
      const auto found = by_object.find(item);
      if (found != by_object.end()) {
        codes.push_back(found->second);
        return;
      }
      Py_ssize_t size = 0;
      const char* utf8 = PyUnicode_AsUTF8AndSize(item, &size);
      if (utf8 == nullptr) throw py::error_already_set();
      const auto code = code_of_text(std::string(utf8, static_cast<std::size_t>(size)));
      by_object.emplace(item, code);
      codes.push_back(code);
      return;
    }
    codes.push_back(code_of_text(py::str(py::handle(item)).cast<std::string>()));
    by_object.clear();  // str(item) ran Python code, which may have changed the rows
  };
  for (std::size_t r = 0; r < n; ++r) {
    if (valid[r] != 0) {
      PyObject* row = objects[r];
      if (PyList_Check(row) || PyTuple_Check(row)) {
        const bool is_list = PyList_Check(row);
        const Py_ssize_t size = is_list ? PyList_GET_SIZE(row) : PyTuple_GET_SIZE(row);
        for (Py_ssize_t k = 0; k < size; ++k) {
          add_item(is_list ? PyList_GET_ITEM(row, k) : PyTuple_GET_ITEM(row, k), true);
        }
      } else {
        PyObject* iter =
            PyUnicode_Check(row) || PyBytes_Check(row) ? nullptr : PyObject_GetIter(row);
        if (iter == nullptr) {
          PyErr_Clear();
          const std::string row_name = "row " + std::to_string(r + 1);
          throw data_error("a list column holds a " + std::string(Py_TYPE(row)->tp_name) + " at " +
                               row_name + "; its cells must be lists of strings, or missing",
                           location{.row_id = row_name, .field = name});
        }
        for (const auto item : py::reinterpret_steal<py::iterator>(iter)) {
          add_item(item.ptr(), false);
        }
      }
      if (codes.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw data_error("more than 2^32 list items", location{.field = name});
      }
    }
    offsets.push_back(static_cast<std::uint32_t>(codes.size()));
  }
  return column::category_list(name, std::move(offsets), std::move(codes), std::move(dictionary),
                               std::move(valid));
}

// Builds a column from one (name, type, data, extra) spec made by khuyenhoc's Python side.
column column_from_spec(const py::tuple& spec) {
  const auto name = spec[0].cast<std::string>();
  if (spec[1].cast<std::string>() == "arrow") {
    // (name, "arrow", object with __arrow_c_stream__, infer_categories): the Arrow door.
    return column_from_arrow(spec[2], name, spec.size() > 3 && spec[3].cast<bool>());
  }
  if (spec[1].cast<std::string>() == "object_lists") {
    // (name, "object_lists", numpy object array of lists, validity): see above.
    return list_column_from_objects(name, spec[2],
                                    spec.size() > 3 ? py::object(spec[3]) : py::object(py::none()));
  }
  const auto type = parse_column_type(spec[1].cast<std::string>());
  const py::object data = spec[2];
  const py::object extra = spec.size() > 3 ? py::object(spec[3]) : py::object(py::none());
  switch (type) {
    case column_type::number: {
      auto arr = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(data);
      if (!arr) throw data_error("cannot read the values as float64", location{.field = name});
      // Borrow the array (no copy): the shared_ptr holds a reference, released under the GIL.
      auto* ref = new py::object(arr);
      std::shared_ptr<const void> owner(ref, [](const py::object* p) {
        py::gil_scoped_acquire gil;
        delete p;
      });
      return column::number(
          name, buffer<double>(arr.data(), static_cast<std::size_t>(arr.size()), std::move(owner)));
    }
    case column_type::integer: {
      auto arr = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(data);
      if (!arr) throw data_error("cannot read the values as int64", location{.field = name});
      auto* ref = new py::object(arr);
      std::shared_ptr<const void> owner(ref, [](const py::object* p) {
        py::gil_scoped_acquire gil;
        delete p;
      });
      const auto n = static_cast<std::size_t>(arr.size());
      return column::integer(name, buffer<std::int64_t>(arr.data(), n, std::move(owner)),
                             valid_from(extra, n, name));
    }
    case column_type::boolean: {
      auto arr = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(
          py::array::ensure(data).attr("astype")("uint8"));
      const auto n = static_cast<std::size_t>(arr.size());
      return column::boolean(name, {arr.data(), arr.data() + n}, valid_from(extra, n, name));
    }
    case column_type::date: {
      auto arr = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(data);
      const auto n = static_cast<std::size_t>(arr.size());
      std::vector<day_number> days(n);
      for (std::size_t i = 0; i < n; ++i) days[i] = static_cast<day_number>(arr.data()[i]);
      // (name, "date", days, valid[, seconds of day]): a datetime column keeps its times.
      std::vector<std::int32_t> seconds;
      if (spec.size() > 4 && !spec[4].is_none()) {
        auto secs =
            py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>::ensure(spec[4]);
        seconds.assign(secs.data(), secs.data() + secs.size());
      }
      return column::date(name, std::move(days), valid_from(extra, n, name), std::move(seconds));
    }
    case column_type::category: {
      auto arr = py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>::ensure(data);
      const auto n = static_cast<std::size_t>(arr.size());
      // (name, "category", codes, dictionary[, ordered]): ordered = pandas' ordered flag.
      return column::category(name, {arr.data(), arr.data() + n},
                              extra.cast<std::vector<std::string>>(),
                              spec.size() > 4 && spec[4].cast<bool>());
    }
    case column_type::text: {
      const auto items = data.cast<py::sequence>();
      std::vector<std::string> values(items.size());
      std::vector<std::uint8_t> valid(items.size(), 1);
      for (std::size_t i = 0; i < items.size(); ++i) {
        const py::object v = items[i];
        if (v.is_none()) {
          valid[i] = 0;
        } else {
          values[i] = py::str(v).cast<std::string>();
        }
      }
      return column::text(name, values, std::move(valid));
    }
    case column_type::category_list: {
      if (py::isinstance<py::tuple>(data)) {
        // Already encoded by khuyenhoc's Python side: (offsets uint32, codes int32, dictionary).
        const auto parts = data.cast<py::tuple>();
        auto offsets =
            py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>::ensure(parts[0]);
        auto codes =
            py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>::ensure(parts[1]);
        if (!offsets || !codes) {
          throw data_error("list offsets and codes must be integer arrays",
                           location{.field = name});
        }
        const auto rows = static_cast<std::size_t>(offsets.size()) - 1;
        return column::category_list(name, {offsets.data(), offsets.data() + offsets.size()},
                                     {codes.data(), codes.data() + codes.size()},
                                     parts[2].cast<std::vector<std::string>>(),
                                     valid_from(extra, rows, name));
      }
      const auto rows = data.cast<py::sequence>();
      std::vector<std::uint32_t> offsets{0};
      std::vector<std::int32_t> codes;
      std::vector<std::string> dictionary;
      std::unordered_map<std::string, std::int32_t> index;
      std::vector<std::uint8_t> valid(rows.size(), 1);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const py::object row = rows[i];
        if (row.is_none()) {
          valid[i] = 0;
        } else {
          for (const auto item : row.cast<py::iterable>()) {
            auto s = py::str(item).cast<std::string>();
            auto [it, inserted] =
                index.try_emplace(s, static_cast<std::int32_t>(dictionary.size()));
            if (inserted) dictionary.push_back(std::move(s));
            codes.push_back(it->second);
          }
        }
        offsets.push_back(static_cast<std::uint32_t>(codes.size()));
      }
      return column::category_list(name, std::move(offsets), std::move(codes),
                                   std::move(dictionary), std::move(valid));
    }
  }
  throw spec_error("unknown column type", location{.field = name});
}

}  // namespace

void register_pool(py::module_& m) {
  py::class_<pool>(m, "Pool", R"doc(
An immutable columnar table of nominees: typed columns (number, integer, boolean, date, category,
text, list) each with a missing-value mask, and an id column with unique, non-empty values.
Build one with read_csv, Pool.from_pandas, Pool.from_dict or generate_pool.)doc")
      .def("__len__", &pool::size)
      .def_property_readonly("columns", &pool::column_names, "Column names, in order.")
      .def_property_readonly("id_column", &pool::id_name, "Name of the id column.")
      .def_property_readonly(
          "schema",
          [](const pool& p) {
            py::dict out;
            for (const auto& c : p.columns())
              out[py::str(c.name())] = std::string(to_string(c.type()));
            return out;
          },
          "Column name -> type name (number, integer, boolean, date, category, text, list).")
      .def(
          "column_type",
          [](const pool& p, const std::string& name) {
            return std::string(to_string(p[name].type()));
          },
          py::arg("name"),
          "The type of a column: \"number\", \"integer\", \"boolean\", \"date\", \"category\", "
          "\"text\" or \"category_list\". Raises SchemaError for an unknown column.")
      .def(
          "is_ordered", [](const pool& p, const std::string& name) { return p[name].ordered(); },
          py::arg("name"),
          "True for a category column whose categories are in order, worst first (an ordered "
          "pandas Categorical or Arrow dictionary, or Pool.with_order): rules may compare it "
          "with <, <=, >, >=. Raises SchemaError for an unknown column.")
      .def("with_order", &pool::with_order, py::arg("name"), py::arg("order"),
           R"doc(A new pool whose category column `name` is ordered by `order`, worst first
(``pool.with_order("conduct", ["Chưa đạt", "Đạt", "Khá", "Tốt"])``), so that rules compare it
with <, <=, >, >=. Values of the
order that no row holds are kept. Raises SchemaError for an unknown or non-category column,
SpecError for an empty order or a value written twice, DataError naming each value of the
column the order lacks with the id of the first row holding it.)doc")
      .def("row_of", &pool::row_of, py::arg("id"), "Row position of a nominee id, or None.")
      .def(
          "take",
          [](const pool& p, const std::vector<std::uint32_t>& rows) { return p.take(rows); },
          py::arg("rows"), "The given rows, in that order, as a new pool.")
      .def(
          "to_csv",
          [](const pool& p, const std::string& path, char sep, char decimal, bool vietnamese_dates,
             bool bom) {
            py::gil_scoped_release release;  // reads only the immutable pool
            write_csv(p, path,
                      {.separator = sep,
                       .decimal = decimal,
                       .vietnamese_dates = vietnamese_dates,
                       .bom = bom});
          },
          py::arg("path"), py::kw_only(), py::arg("sep") = ',', py::arg("decimal") = '.',
          py::arg("vietnamese_dates") = false, py::arg("bom") = false,
          "Writes the pool as CSV (RFC 4180).")
      .def("_values", [](const pool& p, const std::string& name) { return values(p[name]); })
      .def("_valid", [](const pool& p, const std::string& name) { return validity(p[name]); })
      .def("_lists", [](const pool& p, const std::string& name) { return python_lists(p[name]); })
      .def("_seconds",
           [](const pool& p, const std::string& name) -> py::object {
             const column& c = p[name];
             if (c.type() != column_type::date || !c.has_times()) return py::none();
             const auto s = c.seconds_of_day();
             return py::array_t<std::int32_t>(static_cast<py::ssize_t>(s.size()), s.data());
           })
      .def("_dictionary",
           [](const pool& p, const std::string& name) { return p[name].dictionary(); })
      .def("__repr__",
           [](const pool& p) {
             return "<khuyenhoc.Pool: " + std::to_string(p.size()) + " nominees x " +
                    std::to_string(p.column_count()) + " columns, id \"" + p.id_name() + "\">";
           })
      .def_static(
          "_from_columns",
          [](const py::list& specs, const std::string& id) {
            std::vector<column> cols;
            cols.reserve(specs.size());
            for (const auto spec : specs) cols.push_back(column_from_spec(spec.cast<py::tuple>()));
            return pool(std::move(cols), id);
          },
          py::arg("specs"), py::arg("id"));

  m.def(
      "read_csv",
      [](const std::string& path, const std::string& id, const py::object& schema,
         const py::object& sep, const py::object& decimal, const py::object& na_values,
         unsigned threads, const py::object& progress, std::uint64_t max_bytes,
         std::size_t max_field_lines, const std::string& mixed_columns, const py::object& columns,
         bool ignore_missing_columns) {
        csv_options opt;
        if (!columns.is_none()) {
          if (py::isinstance<py::str>(columns)) {
            throw spec_error("columns must be a list of column names, not one string");
          }
          opt.columns = columns.cast<std::vector<std::string>>();
          if (opt.columns.empty()) throw spec_error("columns is empty: name at least one column");
        }
        opt.ignore_missing_columns = ignore_missing_columns;
        opt.max_bytes = max_bytes;
        opt.max_field_lines = max_field_lines;
        if (mixed_columns == "text") {
          opt.mixed_columns = csv_options::mixed_policy::text;
        } else if (mixed_columns != "error") {
          throw spec_error("mixed_columns must be \"error\" or \"text\", not \"" + mixed_columns +
                           "\"");
        }
        // Collected on the calling thread, issued as Python warnings once the GIL is back.
        std::vector<std::string> warnings;
        opt.warning = [&warnings](const std::string& w) { warnings.push_back(w); };
        opt.id_column = id;
        if (!schema.is_none()) {
          for (const auto& [k, v] : schema.cast<py::dict>()) {
            opt.schema.emplace_back(k.cast<std::string>(),
                                    parse_column_type(v.cast<std::string>()));
          }
        }
        if (!sep.is_none()) opt.separator = sep.cast<char>();
        if (!decimal.is_none()) opt.decimal = decimal.cast<char>();
        if (!na_values.is_none()) opt.na_values = na_values.cast<std::vector<std::string>>();
        opt.threads = threads;
        if (!progress.is_none()) {
          // The reader calls this on the calling thread (about once per MB) with the GIL
          // released: take the GIL for the Python call. A Python exception propagates as
          // error_already_set and stops the read.
          opt.progress = [&progress](std::size_t done, std::size_t total) {
            py::gil_scoped_acquire gil;
            progress(done, total);
          };
        }
        pool p = [&] {
          py::gil_scoped_release release;  // arguments converted; the reader touches no Python
          return read_csv(path, opt);
        }();
        for (const auto& w : warnings) {
          if (PyErr_WarnEx(PyExc_UserWarning, w.c_str(), 2) != 0) throw py::error_already_set();
        }
        return p;
      },
      py::arg("path"), py::kw_only(), py::arg("id") = "id", py::arg("schema") = py::none(),
      py::arg("sep") = py::none(), py::arg("decimal") = py::none(),
      py::arg("na_values") = py::none(), py::arg("threads") = 0U, py::arg("progress") = py::none(),
      py::arg("max_bytes") = 0U, py::arg("max_field_lines") = 4U,
      py::arg("mixed_columns") = "error", py::arg("columns") = py::none(),
      py::arg("ignore_missing_columns") = false,
      R"doc(Reads a CSV file into a Pool.

UTF-8 with or without BOM; ',' or ';' separated (detected); with ';', decimal commas ("9,1");
NFC or NFD text (normalised to NFC); dates dd/mm/yyyy or yyyy-mm-dd; list cells split on '|'
(or ';' for columns the schema declares as "list"). `schema` maps column names to types
(number, integer, boolean, date, category, text, list); other columns are inferred.
Raises khuyenhoc.Error subclasses whose message names file, line, column and value.
`progress`: None or a callable f(bytes_done, bytes_total) called with the GIL held while the
file is tokenized (khuyenhoc.read_csv wraps this with progress=True / f(phase, done, total)).
`max_bytes` (0: none), `max_field_lines` and `mixed_columns` ("error" or "text", then a
UserWarning names the first offending cell) and `columns` (only these columns and the id; a
name the file lacks is a SchemaError unless `ignore_missing_columns`) as in
khuyenhoc.read_csv.)doc");

  m.def(
      "generate_pool",
      [](std::size_t size, std::uint64_t seed, int districts) {
        py::gil_scoped_release release;  // pure C++ work
        return generate_pool(size, {.seed = seed, .districts = districts});
      },
      py::arg("size"), py::kw_only(), py::arg("seed") = 0, py::arg("districts") = 0,
      "A synthetic province-wide pool, deterministic by seed (columns: see docs/pool.md).");
}

}  // namespace khuyenhoc::python
