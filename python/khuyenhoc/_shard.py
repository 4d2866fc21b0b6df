"""Selection over partitions: a summary per shard, an exact merge, and a finish per shard.

A selection depends on two kinds of data (docs/scale.md has the argument in full):

* row-local data: a nominee's score, eligibility, the reasons of the ineligible and of the
  unclassifiable, whether the total reaches the minimum. Each shard computes these itself, with
  the same C++ pipeline as :func:`khuyenhoc.select` (``seats=0``: nothing is selected there).
* the decision: ranks, seats per group, cut-offs, ties, levels. It depends only on the *ranked*
  rows (eligible, with a total at or above the minimum): their id, group, total and tie-breaker
  columns, and on the number of nominees (and ranked nominees) of every group, which weigh the
  apportionment and the caps.

So a shard reduces to its ranked rows' key material (id, group, total, the tie-breaker columns
— not the indicators, not the rules' columns) and its nominee count per group. The merge runs
the library's own selection on the key material of every shard, with the group weights and cap
bases pinned to the counts of the whole pool (the numbers a single run would have computed), and
a placeholder row for every group that has nominees but no ranked row (so that it is still
apportioned its seats, as in a single run). Every per-nominee value it gives — rank, group
rank, selected, level, status, gap and reason, quoting the tie-breaker values of the last
selected nominee — is the value of a single run, because the selection is a function of the
ranked rows and those counts only. The finish puts the merged values of a shard's ranked rows
into its row-local table.

The summary and the merge are the C++ library's (``include/khuyenhoc/shard.hpp``:
``summarize_shard``, ``merge_shards``); here they cross as Arrow tables (pyarrow), so Spark's
``mapInArrow``, Ray or a job runner can move them; the format is versioned (schema metadata
``khuyenhoc.shard``). The finish writes the merged values (which travelled as Arrow) into the
shard's pandas table, as C++ ``finish_shard`` does into its pool.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from . import _core
from ._selection import _OUTCOME_COLUMNS, _policy_options, select

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

#: Version of the summary and merge formats (schema metadata key ``khuyenhoc.shard``).
FORMAT_VERSION = 1
_META = b"khuyenhoc.shard"
_SCORE = "__khuyenhoc_score"
_SHARD = "__khuyenhoc_shard"
_MERGED = ["rank", "group_rank", "selected", "level", "status", "gap", "reason"]
# The selection options the row-local run of a shard uses (the others decide only the merge).
_LOCAL_OPTIONS = ("per", "min_score")


def _pa() -> Any:
    try:
        import pyarrow as pa
    except ImportError as e:  # pragma: no cover - pyarrow is in the arrow/dask extras
        raise ImportError(
            "shard summaries are Arrow tables: pip install 'khuyenhoc[arrow]'"
        ) from e
    return pa


def _key_columns(
    options: Mapping[str, Any], pool_columns: Sequence[str], id_name: str
) -> list[str]:
    """The pool columns the decision reads: the id, the group column, the tie-breaker columns."""
    cols = [id_name]
    per = options.get("per")
    if per:
        cols.append(per)
    order = options.get("order") or []
    for spec in [order] if isinstance(order, str) else order:
        column = str(spec).strip()
        if column == "lottery":
            continue
        if ":" in column:
            column = column.split(":", 1)[1]
        column = column.rsplit(" ", 1)[0] if column.endswith((" asc", " desc")) else column
        column = column.strip()
        if column in pool_columns and column not in cols:
            cols.append(column)
    return cols


def _empty_table(per: str | None) -> "pd.DataFrame":
    """The result table of an empty shard (no types to check the sets against: an empty
    object column reads as a category; nothing to score)."""
    import pandas as pd

    columns = ["id", *([per] if per else []), "score", "rank", "group_rank", "selected",
               "level", "status", "gap", "reason", "classification"]
    dtypes = {"id": "str", "score": "float64", "rank": "Int64", "group_rank": "Int64",
              "selected": "boolean", "gap": "float64", "level": "category",
              "status": "category", "reason": "str", "classification": "category"}
    return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, "category")) for c in columns})


def _row_local_run(
    pool: _core.Pool,
    criteria: Any,
    rules: Any,
    options: Mapping[str, Any],
    params: Mapping[str, Any] | None,
    threads: int,
) -> Any:
    """The shard's row-local run (C++ ``row_local_spec``): the pipeline with the group column
    and the minimum, no seats: scores, eligibility, the reasons of the unranked. None when the
    shard is empty."""
    if len(pool) == 0:
        return None
    local = {k: options[k] for k in _LOCAL_OPTIONS if options.get(k) is not None}
    return select(pool, criteria, rules, seats=0, mode="global", params=params, threads=threads,
                  **local)


def _row_local(
    pool: _core.Pool,
    criteria: Any,
    rules: Any,
    options: Mapping[str, Any],
    params: Mapping[str, Any] | None,
    threads: int,
) -> "pd.DataFrame":
    run = _row_local_run(pool, criteria, rules, options, params, threads)
    return _empty_table(options.get("per")) if run is None else run.table


def _summary_of(
    pool: _core.Pool, run: Any, options: Mapping[str, Any], shard: int
) -> "pa.Table":
    """The Arrow summary of a shard from its row-local run (C++ ``summarize_shard``)."""
    pa = _pa()
    if run is None:  # an empty shard: no key material, no nominees
        cols = _key_columns(options, pool.columns, pool.id_column)
        keys = pa.table(pool).select(cols)
        keys = keys.append_column(_SCORE, pa.array([], type=pa.float64()))
        nominees: dict[str, int] = {}
        rows = 0
    else:
        key_pool, nominees, rows = _core._summarize_shard(run._result, dict(options), shard)
        keys = pa.table(key_pool)
    meta = {"version": FORMAT_VERSION, "shard": int(shard), "rows": int(rows),
            "id": pool.id_column, "per": options.get("per") or "", "nominees": nominees}
    return keys.replace_schema_metadata({_META: json.dumps(meta, ensure_ascii=False).encode()})


def shard_summary(
    pool: _core.Pool,
    criteria: Any = None,
    rules: Any = None,
    *,
    shard: int = 0,
    params: Mapping[str, Any] | None = None,
    threads: int = 0,
    **options: Any,
) -> "pa.Table":
    """What the exact merge needs from one shard of a pool, as an Arrow table.

    Scores ``pool`` with ``criteria`` and checks ``rules`` exactly as :func:`khuyenhoc.select`
    does (same arguments), then keeps the key material of its ranked rows (eligible, with a
    total at or above ``min_score``): the id, the ``per`` column, the tie-breaker columns of
    ``order`` and the total. The schema metadata ``khuyenhoc.shard`` (JSON) holds the format
    version, the shard number and the number of nominees of every group. ``options`` are the
    selection options of :func:`khuyenhoc.select` (all shards and the merge get the same).
    """
    opts = _policy_options(**options)
    run = _row_local_run(pool, criteria, rules, opts, params, threads)
    return _summary_of(pool, run, opts, shard)


def _meta(summary: "pa.Table") -> dict[str, Any]:
    raw = (summary.schema.metadata or {}).get(_META)
    if raw is None:
        raise _core.SpecError("not a shard summary (no khuyenhoc.shard metadata)")
    meta: dict[str, Any] = json.loads(raw)
    if meta.get("version") != FORMAT_VERSION:
        raise _core.SpecError(
            f"shard summary format {meta.get('version')}, this khuyenhoc reads {FORMAT_VERSION}"
        )
    return meta


class MergedShards:
    """The decision of :func:`merge_shards`: the merged values of every ranked row.

    ``rows`` (Arrow) has one row per ranked nominee of all shards: ``__khuyenhoc_shard``, the
    id, rank, group_rank, selected, level, status, gap and reason; :meth:`for_shard` the rows of
    one shard. ``outcomes`` (pandas) has the seats and cut-off per level and group, as
    :attr:`Selection.outcomes` of a single run; ``selected_count`` and ``lottery_seed`` as well.
    """

    def __init__(self, rows: "pa.Table", outcomes: "pd.DataFrame", lottery_seed: int) -> None:
        self.rows = rows
        self.outcomes = outcomes
        self.lottery_seed = lottery_seed

    @property
    def selected_count(self) -> int:
        """Number of nominees selected in all shards."""
        import pyarrow.compute as pc

        return int(pc.sum(self.rows.column("selected")).as_py() or 0)

    def for_shard(self, shard: int) -> "pa.Table":
        """The merged rows of shard ``shard`` (what :func:`finish_shard` needs)."""
        import pyarrow.compute as pc

        mask = pc.equal(self.rows.column(_SHARD), shard)
        return self.rows.filter(mask)

    def __repr__(self) -> str:
        return f"<MergedShards: {self.rows.num_rows} ranked, {self.selected_count} selected>"


def merge_shards(
    summaries: Iterable["pa.Table"], *, threads: int = 0, **options: Any
) -> MergedShards:
    """The global decision from the summaries of every shard (:func:`shard_summary`).

    Exact: the ranks, group ranks, selections, levels, statuses, gaps and reasons are those a
    single :func:`khuyenhoc.select` over the whole pool gives (C++ ``merge_shards``: the
    library's selection over the key material of every shard, with the group weights and cap
    bases of the whole pool). ``options`` are the selection options the summaries were made
    with. Memory: the key material of the ranked rows (id, group, total, tie-breaker columns),
    not the pool. ``threads`` is accepted for symmetry (the merge is one sort).
    """
    pa = _pa()
    del threads
    opts = _policy_options(**options)
    parts = list(summaries)
    if not parts:
        raise _core.SpecError("merge_shards needs at least one shard summary")
    metas = [_meta(s) for s in parts]
    per = opts.get("per") or ""
    for m in metas:
        if m["per"] != per:
            raise _core.SpecError(
                f"shard {m['shard']} was summarised with per={m['per']!r}, the merge has {per!r}"
            )
    items = []
    for table, m in zip(parts, metas):
        keys = _core.Pool.from_arrow(table.replace_schema_metadata(None), id=m["id"],
                                     infer_categories=False)
        items.append((int(m["shard"]), keys, {str(g): int(n) for g, n in m["nominees"].items()},
                      int(m["rows"])))
    merged = _core._merge_shards(items, opts)
    table = pa.table(merged.table)
    rows = table.select([_SHARD, "id", *_MERGED]).replace_schema_metadata(
        {_META: json.dumps({"version": FORMAT_VERSION}).encode()}
    )
    import pandas as pd

    outcomes = pd.DataFrame(list(merged.outcomes), columns=_OUTCOME_COLUMNS)
    return MergedShards(rows, outcomes, int(merged.lottery_seed))


def _finish(table: "pd.DataFrame", merged_rows: "pa.Table") -> "pd.DataFrame":
    ranked = np.flatnonzero(table["rank"].fillna(0).to_numpy(dtype=np.int64) > 0)
    if len(ranked) != merged_rows.num_rows:
        raise _core.SpecError(
            f"the shard has {len(ranked)} ranked nominees, the merged rows {merged_rows.num_rows}:"
            " the merge was made from another summary of this shard"
        )
    out = table.copy()
    if len(ranked) == 0:
        return out
    ids = merged_rows.column("id").to_pylist()
    if list(out["id"].iloc[ranked].astype(str)) != ids:
        raise _core.SpecError("the merged rows are not this shard's ranked nominees, in order")
    merged = merged_rows.select(_MERGED).to_pandas()
    for c in _MERGED:
        column = out[c]
        values = merged[c]
        if isinstance(column.dtype, __import__("pandas").CategoricalDtype):
            new = column.astype(object)
            new.iloc[ranked] = values.astype(object).to_numpy()
            out[c] = new.astype("category")
        else:
            new = column.copy()
            new.iloc[ranked] = values.to_numpy()
            out[c] = new.astype(column.dtype)
    return out


def finish_shard(
    pool: _core.Pool,
    merged: "MergedShards | pa.Table",
    criteria: Any = None,
    rules: Any = None,
    *,
    shard: int = 0,
    params: Mapping[str, Any] | None = None,
    threads: int = 0,
    **options: Any,
) -> "pd.DataFrame":
    """The per-nominee result table of one shard, with the merged (global) values.

    The same columns as :attr:`Selection.table` of :func:`khuyenhoc.select`, one row per row of
    ``pool`` in its order, equal row for row to the single run's rows of these nominees.
    ``merged`` is the :class:`MergedShards` (or its :meth:`~MergedShards.for_shard` table) and
    the other arguments are those given to :func:`shard_summary` for this shard.
    """
    opts = _policy_options(**options)
    rows = merged.for_shard(shard) if isinstance(merged, MergedShards) else merged
    table = _row_local(pool, criteria, rules, opts, params, threads)
    return _finish(table, rows)
