// khuyenhoc.rank and khuyenhoc.apportion: numpy in, numpy out. Arguments are converted and
// checked with the GIL held; the kernels then run without it.
#include <khuyenhoc/apportion.hpp>
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/ranking.hpp>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

using f64_array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using i64_array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

// A 1-D numpy array that owns the vector's buffer (no copy).
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
  auto* owned = new std::vector<T>(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(owned->size())}, {sizeof(T)}, owned->data(),
                        free_when_done);
}

void require_1d(const py::array& a, const char* what) {
  if (a.ndim() != 1) {
    throw spec_error(std::string(what) + " must be one-dimensional, got " +
                     std::to_string(a.ndim()) + " dimensions");
  }
}

// An integer array (or scalar, ndim 0) of any integer dtype as int64; floats are refused
// rather than silently truncated.
i64_array integer_array(const py::object& obj, const char* what) {
  py::array any = py::array::ensure(obj);
  if (!any) throw spec_error(std::string(what) + " must be an integer or an array of integers");
  const char kind = any.dtype().kind();
  if (kind != 'i' && kind != 'u') {
    throw spec_error(std::string(what) + " must be integers, got dtype " +
                     std::string(py::str(any.dtype())));
  }
  return i64_array::ensure(any);
}

// Group codes (any integer dtype) as int32, one per row; -1 is no group. int32 input is read
// in place: converting it to int64 first would hold 8 more bytes per row during the call.
std::vector<std::int32_t> group_codes(const py::object& groups, std::size_t n,
                                      std::int64_t& max_code, const char* unit) {
  std::vector<std::int32_t> codes(n);
  max_code = -1;
  const auto take = [&](const auto* gp) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<std::int64_t>(gp[i]);
      if (c < -1 || c > std::numeric_limits<std::int32_t>::max()) {
        throw spec_error("group code " + std::to_string(c) + " of row " + std::to_string(i) +
                         " is outside [-1, 2^31)");
      }
      codes[i] = static_cast<std::int32_t>(c);
      max_code = std::max(max_code, c);
    }
  };
  py::array any = py::array::ensure(groups);
  if (any && any.dtype().kind() == 'i' && any.itemsize() == 4 && any.ndim() == 1) {
    const auto g =
        py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>::ensure(any);
    if (static_cast<std::size_t>(g.shape(0)) != n) {
      throw spec_error("groups has " + std::to_string(g.shape(0)) + " entries for " +
                       std::to_string(n) + " " + unit);
    }
    take(g.data());
    return codes;
  }
  const i64_array g = integer_array(groups, "groups");
  require_1d(g, "groups");
  if (static_cast<std::size_t>(g.shape(0)) != n) {
    throw spec_error("groups has " + std::to_string(g.shape(0)) + " entries for " +
                     std::to_string(n) + " " + unit);
  }
  take(g.data());
  return codes;
}

py::array_t<double> py_rank(const f64_array& values, const std::string& method, bool ascending,
                            const std::string& na_option_name, const py::object& groups) {
  require_1d(values, "values");
  const rank_method m = parse_rank_method(method);
  const na_option na = parse_na_option(na_option_name);
  const auto n = static_cast<std::size_t>(values.shape(0));
  std::vector<std::int32_t> codes;
  if (!groups.is_none()) {
    std::int64_t max_code = -1;
    codes = group_codes(groups, n, max_code, "values");
  }
  // Output in the kernels' own uninitialised, huge-page-advised storage, handed to numpy:
  // for ten million rows, zeroing and faulting in a fresh array costs as much as the sort.
  detail::raw_buffer<double> buffer(n);
  const std::span<const double> in(values.data(), n);
  const std::span<double> dst(buffer.data(), n);
  {
    // Safe without the GIL: the kernel touches only these buffers, which belong to arrays
    // this frame holds references to (`values` may share memory with the caller's array; a
    // thread writing to it meanwhile is the caller's race, as with numpy's own GIL-free loops).
    py::gil_scoped_release release;
    if (groups.is_none()) {
      rank(in, dst, m, ascending, na);
    } else {
      rank_within_groups(in, codes, dst, m, ascending, na);
    }
  }
  if (n == 0) return py::array_t<double>(0);  // a capsule cannot hold a null pointer
  double* data = buffer.release();
  py::capsule free_when_done(data, [](void* p) { std::free(p); });
  return py::array_t<double>({static_cast<py::ssize_t>(n)}, {sizeof(double)}, data, free_when_done);
}

py::array_t<std::int64_t> py_apportion(const f64_array& weights, std::int64_t seats,
                                       const std::string& method, const py::object& minimum,
                                       const py::object& maximum) {
  require_1d(weights, "weights");
  const apportion_method m = parse_apportion_method(method);
  const auto n = static_cast<std::size_t>(weights.shape(0));
  // Bounds as per-group vectors (empty maximum: none).
  const auto bounds = [&](const py::object& obj, const char* what) {
    std::vector<std::int64_t> v;
    const i64_array a = integer_array(obj, what);
    if (a.ndim() == 0) {
      v.assign(n, *a.data());
    } else {
      require_1d(a, what);
      if (static_cast<std::size_t>(a.shape(0)) != n) {
        throw spec_error(std::string(what) + " has " + std::to_string(a.shape(0)) +
                         " entries for " + std::to_string(n) + " groups");
      }
      v.assign(a.data(), a.data() + n);
    }
    return v;
  };
  const std::vector<std::int64_t> lo = bounds(minimum, "minimum");
  const std::vector<std::int64_t> hi =
      maximum.is_none() ? std::vector<std::int64_t>{} : bounds(maximum, "maximum");
  const std::span<const double> w(weights.data(), n);
  std::vector<std::int64_t> result;
  {
    // Safe without the GIL: everything the kernel reads was copied into C++ vectors above,
    // except `weights`, an array this frame holds a reference to.
    py::gil_scoped_release release;
    result = apportion(w, seats, m, lo, hi);
  }
  return to_numpy(std::move(result));
}

// One sort key converted from Python, ready to be encoded without the GIL.
struct key_column {
  py::array array;                   // keeps numeric data alive
  char kind = 'f';                   // 'f' double, 'i' int64, 'u' uint64, 's' bytes
  std::vector<std::string> strings;  // text keys, UTF-8 (str) or raw (bytes)
  std::vector<std::string_view> views;
  bool descending = false;
};

// Converts the key arrays (numbers or strings) and the directions; checks lengths.
std::vector<key_column> key_columns(const py::args& keys, const py::object& descending) {
  if (keys.empty()) throw spec_error("at least one sort key is needed");
  std::vector<key_column> out(keys.size());
  std::vector<bool> desc(keys.size(), false);
  if (py::isinstance<py::bool_>(descending)) {
    desc.assign(keys.size(), descending.cast<bool>());
  } else {
    const auto list = descending.cast<std::vector<bool>>();
    if (list.size() != keys.size()) {
      throw spec_error("descending has " + std::to_string(list.size()) + " entries for " +
                       std::to_string(keys.size()) + " keys");
    }
    desc = list;
  }
  py::ssize_t n = -1;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    key_column& col = out[k];
    col.descending = desc[k];
    py::array a = py::array::ensure(keys[k]);
    if (!a) throw spec_error("sort key " + std::to_string(k) + " is not array-like");
    require_1d(a, "a sort key");
    if (n >= 0 && a.shape(0) != n) {
      throw spec_error("sort key " + std::to_string(k) + " has " + std::to_string(a.shape(0)) +
                       " rows, the first has " + std::to_string(n));
    }
    n = a.shape(0);
    const char kind = a.dtype().kind();
    if (kind == 'f') {
      col.kind = 'f';
      col.array = f64_array::ensure(a);
    } else if (kind == 'i' || kind == 'b') {
      col.kind = 'i';
      col.array = i64_array::ensure(a);
    } else if (kind == 'u') {
      col.kind = 'u';
      col.array = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    } else if (kind == 'U' || kind == 'S' || kind == 'O') {
      col.kind = 's';
      col.strings.reserve(static_cast<std::size_t>(n));
      for (const py::handle item : a) {
        if (py::isinstance<py::bytes>(item)) {
          col.strings.push_back(item.cast<std::string>());
        } else if (py::isinstance<py::str>(item)) {
          col.strings.push_back(item.cast<std::string>());  // UTF-8
        } else {
          throw spec_error("sort key " + std::to_string(k) + " mixes text with " +
                           std::string(py::str(py::type::of(item).attr("__name__"))));
        }
      }
      col.views.assign(col.strings.begin(), col.strings.end());
    } else {
      throw spec_error("sort key " + std::to_string(k) + " has unsupported dtype " +
                       std::string(py::str(a.dtype())));
    }
  }
  return out;
}

// Encodes converted keys. Needs no GIL: reads only buffers the key_columns own or keep alive.
sort_keys encode_keys(const std::vector<key_column>& cols, std::size_t n, na_option na) {
  sort_keys keys(n);
  for (const key_column& col : cols) {
    const auto dir = col.descending ? sort_direction::descending : sort_direction::ascending;
    switch (col.kind) {
      case 'f':
        keys.add(std::span<const double>(static_cast<const double*>(col.array.data()), n), dir, na);
        break;
      case 'i':
        keys.add(
            std::span<const std::int64_t>(static_cast<const std::int64_t*>(col.array.data()), n),
            dir);
        break;
      case 'u':
        keys.add(
            std::span<const std::uint64_t>(static_cast<const std::uint64_t*>(col.array.data()), n),
            dir);
        break;
      default:
        keys.add(std::span<const std::string_view>(col.views), dir);
        break;
    }
  }
  return keys;
}

std::size_t key_rows(const std::vector<key_column>& cols) {
  const key_column& c = cols.front();
  return c.kind == 's' ? c.views.size() : static_cast<std::size_t>(c.array.shape(0));
}

na_option key_na(const std::string& name) {
  const na_option na = parse_na_option(name);
  if (na == na_option::keep) throw spec_error("na_option for sort keys is \"bottom\" or \"top\"");
  return na;
}

py::array_t<std::int64_t> py_order(const py::args& keys, const py::object& descending,
                                   const std::string& na_name) {
  const na_option na = key_na(na_name);
  const std::vector<key_column> cols = key_columns(keys, descending);
  const std::size_t n = key_rows(cols);
  std::vector<std::int64_t> result;
  {
    // Safe without the GIL: encode_keys and order read only the converted columns above.
    py::gil_scoped_release release;
    const std::vector<std::uint32_t> rows = order(encode_keys(cols, n, na));
    result.assign(rows.begin(), rows.end());
  }
  return to_numpy(std::move(result));
}

py::tuple py_top_k_per_group(const py::args& keys, const py::object& groups, const py::object& k,
                             const py::object& descending, const std::string& na_name) {
  const na_option na = key_na(na_name);
  const std::vector<key_column> cols = key_columns(keys, descending);
  const std::size_t n = key_rows(cols);
  std::int64_t max_code = -1;
  const std::vector<std::int32_t> codes = group_codes(groups, n, max_code, "rows");
  const i64_array ka = integer_array(k, "k");
  std::vector<std::int64_t> ks;
  if (ka.ndim() == 0) {
    ks.assign(static_cast<std::size_t>(max_code + 1), *ka.data());
  } else {
    require_1d(ka, "k");
    ks.assign(ka.data(), ka.data() + ka.shape(0));
  }
  grouped_rows top;
  {
    // Safe without the GIL: the kernel reads only the converted columns and vectors above.
    py::gil_scoped_release release;
    top = top_k_per_group(encode_keys(cols, n, na), codes, ks);
  }
  return py::make_tuple(
      to_numpy(std::vector<std::int64_t>(top.rows.begin(), top.rows.end())),
      to_numpy(std::vector<std::int64_t>(top.offsets.begin(), top.offsets.end())));
}

}  // namespace

void register_ranking(py::module_& m) {
  m.def("rank", &py_rank, py::arg("values"), py::arg("method") = "average",
        py::arg("ascending") = true, py::arg("na_option") = "bottom", py::kw_only(),
        py::arg("groups") = py::none(),
        R"doc(Rank values exactly as pandas.Series.rank does, optionally within groups.

values: 1-D array-like of numbers (converted to float64); NaN is missing, ±inf are values.
method: "average", "min", "max", "first" (ties in input order) or "dense".
ascending: rank the smallest value 1 (True) or the largest (False).
na_option: "bottom" (missing ranked last), "top" (first) or "keep" (rank stays NaN).
groups: optional 1-D integer codes, one per value, -1 for no group (rank NaN); ranks are then
    computed within each group, as df.groupby(groups)[values].rank(...) does.
Returns a float64 array of 1-based ranks. O(n). Raises SpecError (a ValueError) for an unknown
method or na_option, or groups of the wrong length or with codes below -1.)doc");

  m.def("apportion", &py_apportion, py::arg("weights"), py::arg("seats"),
        py::arg("method") = "largest_remainder", py::arg("minimum") = 0,
        py::arg("maximum") = py::none(),
        R"doc(Apportion seats among groups in proportion to their weights, exactly.

weights: 1-D array-like of finite non-negative numbers (e.g. nominee counts per district).
seats: the whole number of seats to give out.
method: "largest_remainder" (Hamilton), "dhondt" (Jefferson) or "sainte_lague" (Webster).
minimum, maximum: an integer for every group, or one integer per group; maximum None = none.
    A group of weight 0 gets exactly its minimum.
Ties go to the larger weight, then the lower index. Returns an int64 array summing to seats.
Raises SpecError (a ValueError) naming the group for a negative or NaN weight, a maximum below
a minimum, or bounds that cannot be met.)doc");

  m.def("order", &py_order, py::kw_only(), py::arg("descending") = false,
        py::arg("na_option") = "bottom",
        R"doc(order(*keys, descending=False, na_option="bottom")

The total order of rows by several sort keys, most significant first: an int64 array of row
positions, first to last (like np.lexsort with the keys reversed, but with directions).

keys: 1-D arrays of equal length: floats (NaN placed by na_option, "bottom" or "top"),
    integers, or text (str compared by UTF-8 bytes; pass ICU collation keys as bytes for
    Vietnamese alphabetical order). End with a unique key (an id) so the order is total.
descending: one bool for all keys, or one per key.
O(n) per key (radix sort). Raises DataError if two rows are equal on every key.)doc");

  m.def("top_k_per_group", &py_top_k_per_group, py::kw_only(), py::arg("groups"), py::arg("k"),
        py::arg("descending") = false, py::arg("na_option") = "bottom",
        R"doc(top_k_per_group(*keys, groups, k, descending=False, na_option="bottom")

The first k rows of each group in the total order of the keys (as `order`), found by
selection rather than a full sort. groups: integer codes, -1 for no group. k: one int for all
groups (groups 0..max(groups)), or one per group. Returns (rows, offsets): the rows of group g
are rows[offsets[g]:offsets[g + 1]], in order. Raises DataError if the keys do not decide the
selection or its order (rows equal on every key).)doc");
}

}  // namespace khuyenhoc::python
