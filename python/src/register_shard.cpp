// khuyenhoc.shard_summary / merge_shards / finish_shard: the Python doors on shard.hpp. The
// summary's key material and the merged rows cross as Pools (Arrow in _shard.py); the options
// are khuyenhoc.select's keyword arguments. No selection logic here.
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

// The merged rows as a table: the shard number, then the selection's per-row columns.
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
        {
          py::gil_scoped_release release;
          s.emplace(summarize_shard(local, policy, shard));
        }
        return py::make_tuple(s->keys, counts_dict(s->nominees), s->rows);
      },
      py::arg("local"), py::arg("options"), py::arg("shard"),
      "(key material Pool, nominees per group, rows) of a shard's row-local run "
      "(khuyenhoc::summarize_shard).");

  py::class_<merged_shards>(m, "_MergedShards", "The merged decision (C++ merged_shards).")
      .def_property_readonly("table", &merged_table,
                             "Per ranked row: __khuyenhoc_shard, id, group, score, rank, "
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
          summaries.push_back(std::move(s));
        }
        py::gil_scoped_release release;
        return merge_shards(summaries, policy);
      },
      py::arg("parts"), py::arg("options"),
      "The merge of (shard, key material Pool, nominees per group, rows) tuples "
      "(khuyenhoc::merge_shards).");
}

}  // namespace khuyenhoc::python
