"""khuyenhoc on Dask: the selection of a pool held as a ``dask.dataframe`` (``pip install
'khuyenhoc[dask]'``), equal row for row to :func:`khuyenhoc.select` on the whole pool.

>>> import khuyenhoc.dask  # doctest: +SKIP
>>> result = khuyenhoc.dask.select(ddf, "criteria.yaml", "rules.yaml", seats=300,
...                                per="district")  # doctest: +SKIP
>>> result.to_parquet("result/")  # doctest: +SKIP

Each partition is scored and checked where it lives (:func:`khuyenhoc.shard_summary`); the
criteria and rule sets travel once, as their text, and are parsed once per worker process; the
summaries (per group the rows that can still take a seat, the group counts and a histogram of
the totals: Arrow tables) go to one task that merges them exactly
(:func:`khuyenhoc.merge_shards`); the rows at totals shared with other rows are ordered by
``tie_tasks`` tasks, one per range of totals (:func:`khuyenhoc.resolve_ties`); each partition
then computes its rows' global ranks from the merged counts and writes its result rows
(:func:`khuyenhoc.finish_shard`). No task holds the whole pool. docs/scale.md has the design,
the exactness argument and what crosses the network.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import TYPE_CHECKING, Any, Mapping

from . import _core
from ._pool import from_pandas
from ._selection import _policy_options
from ._shard import (
    MergedShards,
    _finish,
    _row_local,
    _row_local_run,
    _shard_rows,
    _split_ties,
    _summary_and_keys,
    _tie_keys,
    merge_shards,
    resolve_ties,
)

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd
    import pandas as pd
    import pyarrow as pa

__all__ = ["select", "select_merged"]

# Parsed criteria and rule sets, per worker process, by (kind, sha256 of text, name, params).
_parsed: dict[tuple[str, str, str, str], Any] = {}
_parsed_lock = threading.Lock()


class _SetText:
    """A criteria or rule set as it travels to workers: its text, parsed once per process."""

    def __init__(self, kind: str, text: str, name: str) -> None:
        self.kind = kind
        self.text = text
        self.name = name
        self.digest = hashlib.sha256(text.encode()).hexdigest()

    def load(self) -> Any:
        key = (self.kind, self.digest, self.name, "")
        with _parsed_lock:
            found = _parsed.get(key)
            if found is None:
                if self.kind == "criteria":
                    found = _core.CriteriaSet.from_text(self.text, self.name)
                else:
                    found = _core.Rules.from_text(self.text, self.name)
                _parsed[key] = found
            return found


def _shippable(kind: str, value: Any) -> Any:
    """A path becomes its text (read here, parsed once per worker); anything else must pickle."""
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # Parse here too, so that a broken set fails before any task runs.
        _SetText(kind, text, path).load()
        return _SetText(kind, text, path)
    if value is None:
        return None
    import pickle

    try:
        pickle.dumps(value)
    except Exception as e:  # pybind11 classes without pickle support
        raise TypeError(
            f"khuyenhoc.dask.select ships the {kind} set to the workers as its text: give its "
            f"file path (got a {type(value).__name__} that cannot be pickled)"
        ) from e
    return value


def _resolve(value: Any) -> Any:
    return value.load() if isinstance(value, _SetText) else value


def _pool_of(part: "pd.DataFrame", id: str) -> _core.Pool:
    """A partition as a Pool: through Arrow (C++ conversions of list, category and date columns,
    about ten times faster than khuyenhoc.from_pandas's checks); from_pandas for what Arrow
    cannot type (mixed objects), with its located errors."""
    if len(part):
        try:
            import pyarrow as pa

            return _core.Pool.from_arrow(pa.Table.from_pandas(part, preserve_index=False), id=id)
        except Exception:  # noqa: BLE001 - from_pandas gives the located error if any
            pass
    return from_pandas(part.reset_index(drop=True), id=id)


def _local(
    part: "pd.DataFrame", shard: int, criteria: Any, rules: Any, options: dict[str, Any],
    id: str, params: Mapping[str, Any] | None, threads: int, meta: "pd.DataFrame",
) -> tuple["pa.Table", "pa.Table", "pa.Table"]:
    pool = _pool_of(part, id)
    run = _row_local_run(pool, _resolve(criteria), _resolve(rules), options, params, threads)
    table = meta.iloc[:0].copy() if run is None else run.table
    table.index = part.index
    summary, keys = _summary_and_keys(pool, run, options, shard)
    # The table and the ranked rows' key material wait on this worker for the merge; as Arrow
    # (pandas dtypes and index kept in its metadata) they are serialised as buffers, not as
    # Python objects, if Dask moves them.
    import pyarrow as pa

    return pa.Table.from_pandas(table, preserve_index=True), summary, keys


def _merge(summaries: list["pa.Table"], options: dict[str, Any], threads: int) -> MergedShards:
    return merge_shards(summaries, threads=threads, **options)


def _tie_edges(merged: MergedShards, ranges: int) -> list[float]:
    return merged.tie_edges(ranges)


def _ties_of(keys: "pa.Table", merged: MergedShards, edges: list[float],
             ranges: int) -> tuple["pa.Table", ...]:
    return tuple(_split_ties(_tie_keys(keys, merged), edges, ranges))


def _order_ties(parts: list["pa.Table"], options: dict[str, Any]) -> list["pa.Table"]:
    return resolve_ties(parts, **options)


def _plain_categories(df: "pd.DataFrame") -> "pd.DataFrame":
    """Categorical columns with object categories, so that partitions concatenate (an empty
    level column's categories are object, a filled one's str)."""
    import pandas as pd

    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].cat.set_categories(df[c].cat.categories.astype(object))
    return df


def _finish_part(arrow: "pa.Table", keys: "pa.Table", merged: MergedShards, shard: int,
                 ties: list["pa.Table"], options: dict[str, Any]) -> "pd.DataFrame":
    table = arrow.to_pandas()
    out = _finish(table.reset_index(drop=True), _shard_rows(keys, merged, shard, ties, options))
    out.index = table.index
    return _plain_categories(out)


def _meta(ddf: "dd.DataFrame", criteria: Any, rules: Any, options: dict[str, Any], id: str,
          params: Mapping[str, Any] | None) -> "pd.DataFrame":
    """The result's columns and types, from a row-local run on a few rows of the first partition."""
    frame: Any = ddf  # dask's collections are untyped
    sample = frame.get_partition(0).head(5, compute=True) if frame.npartitions else frame._meta
    if len(sample) == 0:
        sample = frame.head(5, npartitions=-1, compute=True)
    pool = from_pandas(sample.reset_index(drop=True), id=id)
    table = _row_local(pool, _resolve(criteria), _resolve(rules), options, params, 1)
    return _plain_categories(table.iloc[:0].copy())


def select_merged(
    ddf: "dd.DataFrame",
    criteria: Any = None,
    rules: Any = None,
    *,
    id: str = "id",
    params: Mapping[str, Any] | None = None,
    threads: int = 1,
    tie_tasks: int | None = None,
    **options: Any,
) -> tuple["dd.DataFrame", Any]:
    """As :func:`select`, also returning the merge (a dask ``Delayed`` of
    :class:`khuyenhoc.MergedShards`: outcomes per group and level, selected count)."""
    import dask.dataframe as dd
    from dask.delayed import delayed

    opts = _policy_options(**options)
    crit = _shippable("criteria", criteria)
    rule = _shippable("rules", rules)
    # One copy of each set in the graph, referenced by every partition's task.
    crit_d = delayed(crit, pure=True, traverse=False)
    rule_d = delayed(rule, pure=True, traverse=False)
    opts_d = delayed(opts, pure=True)
    meta = _meta(ddf, crit, rule, opts, id, params)
    meta_d = delayed(meta, pure=True)
    frame: Any = ddf  # dask's collections are untyped
    parts = frame.to_delayed()
    tables, summaries, keys = [], [], []
    local = delayed(_local, nout=3, pure=True)
    for i, part in enumerate(parts):
        table, summary, key = local(part, i, crit_d, rule_d, opts_d, id, params, threads, meta_d)
        tables.append(table)
        summaries.append(summary)
        keys.append(key)
    merged = delayed(_merge, pure=True)(summaries, opts_d, threads)
    # The rows at shared totals, ordered by `ranges` tasks (one per range of totals).
    ranges = max(1, min(len(parts), tie_tasks if tie_tasks is not None else 8))
    edges = delayed(_tie_edges, pure=True)(merged, ranges)
    ties_of = delayed(_ties_of, nout=ranges, pure=True)
    pieces = [ties_of(k, merged, edges, ranges) for k in keys]
    order = delayed(_order_ties, pure=True)
    ordered = [order([p[b] for p in pieces], opts_d) for b in range(ranges)]
    finish = delayed(_finish_part, pure=True)
    done = [finish(t, keys[i], merged, i, [ordered[b][i] for b in range(ranges)], opts_d)
            for i, t in enumerate(tables)]
    divisions = frame.divisions if frame.known_divisions else None
    result = dd.from_delayed(done, meta=meta, divisions=divisions, verify_meta=False)
    return result, merged


def select(
    ddf: "dd.DataFrame",
    criteria: Any = None,
    rules: Any = None,
    *,
    id: str = "id",
    params: Mapping[str, Any] | None = None,
    threads: int = 1,
    tie_tasks: int | None = None,
    **options: Any,
) -> "dd.DataFrame":
    """The selection of the pool ``ddf`` (a ``dask.dataframe.DataFrame``, e.g. one partition per
    province), equal row for row to ``khuyenhoc.select(whole_pool, ...).table``.

    ``criteria`` and ``rules`` are file paths or :class:`CriteriaSet` / :class:`Rules` objects
    (both travel as their text and are parsed once per worker process; totals cannot be given:
    scores are computed where the partitions live). ``options`` are :func:`khuyenhoc.select`'s
    selection options (``seats``, ``per``, ``mode``, ``levels``, ``ties``, ``order``,
    ``seed``...). ``id`` names the id column, ``params`` the sets' parameters, ``threads`` the
    kernels' threads per task, ``tie_tasks`` the tasks that order the rows at shared totals
    (one per range of totals; default: the partitions, at most 8).

    Returns a lazy dask DataFrame with the columns of :attr:`Selection.table` (id, group, score,
    rank, group_rank, selected, level, status, gap, reason, classification), one partition per
    input partition with its index; ``.compute()``, ``.to_parquet(path)`` as any dask frame.
    Nothing is computed until then; one task merges the partitions' summaries.
    """
    result, _ = select_merged(ddf, criteria, rules, id=id, params=params, threads=threads,
                              tie_tasks=tie_tasks, **options)
    return result
