// khuyenhoc.shard_summary / merge_shards / shard_ties / resolve_ties / finish_shard: the Python
// doors on shard.hpp. Key material, kept rows and per-shard results cross as Pools (Arrow in
// _shard.py), histograms and tie orders as numpy arrays; the options are khuyenhoc.select's
// keyword arguments. No selection logic here.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <khuyenhoc/shard.hpp>

#include "bindings.hpp"

namespace khuyenhoc::python {

namespace {

py::dict counts_dict(const std::map<std::string, std::int64_t>& m) {
  py::dict d;
  for (const auto& [k, v] : m) d[py::str(k)] = v;
  return d;
}

template <typename T>
py::array_t<T> to_array(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

template <typename T>
std::vector<T> from_array(const py::handle& h) {
  const auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(h);
  if (!a) throw py::type_error("expected a one-dimensional array");
  return std::vector<T>(a.data(), a.data() + a.size());
}

// A histogram as (groups: list[str], scores: float64 array, counts: int64 array).
py::tuple histogram_tuple(const score_counts& s) {
  return py::make_tuple(s.group, to_array(s.score), to_array(s.count));
}

score_counts histogram_from(const py::handle& h) {
  const auto t = h.cast<py::tuple>();
  score_counts s;
  s.group = t[0].cast<std::vector<std::string>>();
  s.score = from_array<double>(t[1]);
  s.count = from_array<std::int64_t>(t[2]);
  return s;
}

// The kept rows as a table: the shard number, then the selection's per-row columns.
pool merged_table(const merged_shards& m) {
  pool t = to_pool(m.result, "group");
  std::vector<std::int64_t> shard(m.result.size());
  for (std::size_t k = 0; k < m.shards.size(); ++k) {
    for (std::size_t r = m.offsets[k]; r < m.offsets[k + 1]; ++r) shard[r] = m.shards[k];
  }
  return t.with_column(
      column::integer("__khuyenhoc_shard", buffer<std::int64_t>(std::move(shard))));
}

}  // namespace

void register_shard(py::module_& m) {
  m.def(
      "_summarize_shard",
      [](const run_result& local, const py::dict& options, std::uint32_t shard) {
        const selection_policy policy = policy_from(options);
        std::optional<shard_summary> s;
        std::optional<pool> keys;
        {
          py::gil_scoped_release release;
          keys.emplace(shard_keys(local, policy));
          s.emplace(summarize_shard(local, policy, shard, *keys));
        }
        return py::make_tuple(s->keys, counts_dict(s->nominees), s->rows, counts_dict(s->ranked),
                              histogram_tuple(s->scores), *keys);
      },
      py::arg("local"), py::arg("options"), py::arg("shard"),
      "(kept key material Pool, nominees per group, rows, ranked per group, histogram "
      "(groups, totals, counts), all ranked rows' key material Pool) of a shard's row-local run "
      "(khuyenhoc::summarize_shard, shard_keys).");

  py::class_<merged_shards>(m, "_MergedShards", "The merged decision (C++ merged_shards).")
      .def_property_readonly("table", &merged_table,
                             "Per kept row: __khuyenhoc_shard, id, group, score, rank, "
                             "group_rank, selected, level, status, gap, reason (a Pool).")
      .def_property_readonly("outcomes",
                             [](const merged_shards& ms) {
                               py::list out;
                               for (const auto& o : ms.result.outcomes) {
                                 out.append(py::make_tuple(o.level, o.group, o.nominees, o.eligible,
                                                           o.quota, o.selected, o.cutoff));
                               }
                               return out;
                             })
      .def_property_readonly(
          "scores", [](const merged_shards& ms) { return histogram_tuple(ms.scores); },
          "Ranked rows of the pool per group and total: (groups, totals, counts).")
      .def_property_readonly(
          "cutoffs", [](const merged_shards& ms) { return ms.cutoffs; },
          "Per group, the cut-off its unkept ranked rows are compared with (NaN: none).")
      .def_property_readonly("lottery_seed",
                             [](const merged_shards& ms) { return ms.result.lottery_seed; });

  m.def(
      "_merge_shards",
      [](const py::list& parts, const py::dict& options) {
        const selection_policy policy = policy_from(options);
        std::vector<shard_summary> summaries;
        for (const auto& item : parts) {
          const auto t = item.cast<py::tuple>();
          shard_summary s;
          s.shard = t[0].cast<std::uint32_t>();
          s.keys = t[1].cast<pool>();
          s.nominees = t[2].cast<std::map<std::string, std::int64_t>>();
          s.rows = t[3].cast<std::int64_t>();
          s.ranked = t[4].cast<std::map<std::string, std::int64_t>>();
          s.scores = histogram_from(t[5]);
          summaries.push_back(std::move(s));
        }
        py::gil_scoped_release release;
        return merge_shards(summaries, policy);
      },
      py::arg("parts"), py::arg("options"),
      "The merge of (shard, kept key material Pool, nominees per group, rows, ranked per group, "
      "histogram) tuples (khuyenhoc::merge_shards).");

  m.def(
      "_tie_keys",
      [](const pool& keys, const py::tuple& scores) {
        merged_shards merged;
        merged.scores = histogram_from(scores);
        py::gil_scoped_release release;
        return tie_keys(keys, merged);
      },
      py::arg("keys"), py::arg("scores"),
      "The rows of a shard's key material at totals shared with other rows "
      "(khuyenhoc::tie_keys).");

  m.def(
      "_resolve_ties",
      [](const std::vector<pool>& parts, const py::dict& options) {
        const selection_policy policy = policy_from(options);
        std::vector<tie_order> out;
        {
          py::gil_scoped_release release;
          out = resolve_ties(parts, policy);
        }
        py::list result;
        for (const auto& t : out) {
          result.append(
              py::make_tuple(to_array(t.row), to_array(t.before), to_array(t.group_before)));
        }
        return result;
      },
      py::arg("parts"), py::arg("options"),
      "Per part, (row, before, group_before) arrays: the order within tied totals "
      "(khuyenhoc::resolve_ties).");

  m.def(
      "_shard_ranks",
      [](const pool& keys, const pool& kept, const py::tuple& scores,
         const std::map<std::string, double>& cutoffs, const py::list& ties,
         const py::dict& options) {
        const selection_policy policy = policy_from(options);
        const score_counts h = histogram_from(scores);
        std::vector<tie_order> orders;
        for (const auto& item : ties) {
          const auto t = item.cast<py::tuple>();
          tie_order o;
          o.row = from_array<std::int64_t>(t[0]);
          o.before = from_array<std::int64_t>(t[1]);
          o.group_before = from_array<std::int64_t>(t[2]);
          if (o.before.size() != o.row.size() || o.group_before.size() != o.row.size()) {
            throw spec_error("a resolved tie order has columns of different lengths");
          }
          orders.push_back(std::move(o));
        }
        py::gil_scoped_release release;
        return shard_ranks(keys, kept, h, cutoffs, orders, policy);
      },
      py::arg("keys"), py::arg("kept"), py::arg("scores"), py::arg("cutoffs"), py::arg("ties"),
      py::arg("options"),
      "Per ranked row of a shard: id, group, score, rank, group_rank, selected, level, status, "
      "gap, reason (khuyenhoc::shard_ranks).");
}

}  // namespace khuyenhoc::python
