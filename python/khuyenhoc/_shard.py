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

Summaries and merged results are Arrow tables (pyarrow), so Spark's ``mapInArrow``, Ray or a
job runner can move them; the format is versioned (schema metadata ``khuyenhoc.shard``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from . import _core
from ._selection import _policy_options, select

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

#: Version of the summary and merge formats (schema metadata key ``khuyenhoc.shard``).
FORMAT_VERSION = 1
_META = b"khuyenhoc.shard"
_SCORE = "__khuyenhoc_score"
_SHARD = "__khuyenhoc_shard"
_MERGED = ["rank", "group_rank", "selected", "level", "status", "gap", "reason"]
_PLACEHOLDER = "~khuyenhoc-group-without-ranked-nominees~"
# The selection options that decide only the merge (the row-local run ignores them).
_LOCAL_OPTIONS = ("per", "min_score")


def _pa() -> Any:
    try:
        import pyarrow as pa
    except ImportError as e:  # pragma: no cover - pyarrow is in the arrow/dask extras
        raise ImportError(
            "shard summaries are Arrow tables: pip install 'khuyenhoc[arrow]'"
        ) from e
    return pa


def _key_columns(options: Mapping[str, Any], pool_columns: Sequence[str], id_name: str) -> list:
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


def _row_local(
    pool: _core.Pool,
    criteria: Any,
    rules: Any,
    options: Mapping[str, Any],
    params: Mapping[str, Any] | None,
    threads: int,
) -> "pd.DataFrame":
    """The shard's row-local table: the pipeline with no seats (scores, eligibility, reasons)."""
    local = {k: options[k] for k in _LOCAL_OPTIONS if options.get(k) is not None}
    if len(pool) == 0:
        # An empty shard has no types to check the sets against (an empty object column reads
        # as a category): nothing to score, an empty table.
        import pandas as pd

        per = options.get("per")
        columns = ["id", *([per] if per else []), "score", "rank", "group_rank", "selected",
                   "level", "status", "gap", "reason", "classification"]
        dtypes = {"score": "float64", "rank": "Int64", "group_rank": "Int64",
                  "selected": "boolean", "gap": "float64", "level": "category",
                  "status": "category", "classification": "category"}
        return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, object)) for c in columns})
    return select(pool, criteria, rules, seats=0, mode="global", params=params, threads=threads,
                  **local).table


def _summary_of(
    pool: _core.Pool, table: "pd.DataFrame", options: Mapping[str, Any], shard: int
) -> "pa.Table":
    pa = _pa()
    per = options.get("per")
    ranked = np.flatnonzero(table["rank"].fillna(0).to_numpy(dtype=np.int64) > 0)
    cols = _key_columns(options, pool.columns, pool.id_column)
    arrow = pa.table(pool).select(cols).take(pa.array(ranked, type=pa.int64()))
    arrow = arrow.append_column(
        _SCORE, pa.array(table["score"].to_numpy(dtype=np.float64)[ranked], type=pa.float64())
    )
    groups = table[per].astype(object).fillna("") if per else None
    if groups is None:
        nominees = {"": len(table)} if len(table) else {}
    else:
        counts = groups.value_counts(sort=False)
        nominees = {str(g): int(n) for g, n in counts.items()}
    meta = {"version": FORMAT_VERSION, "shard": int(shard), "rows": len(table),
            "id": pool.id_column, "per": per or "", "nominees": nominees}
    return arrow.replace_schema_metadata({_META: json.dumps(meta, ensure_ascii=False).encode()})


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
    table = _row_local(pool, criteria, rules, opts, params, threads)
    return _summary_of(pool, table, opts, shard)


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


def _pinned(options: dict[str, Any], nominees: Mapping[str, int], ranked: Mapping[str, int]) -> dict:
    """The policy with the group weights and cap bases a single run computes from all rows."""
    out = dict(options)
    mode = out.get("mode") or ("fixed" if out.get("fixed") else "apportion" if out.get("per")
                               else "global")
    out["mode"] = mode
    if mode == "apportion" and not out.get("weights"):
        source = ranked if out.get("weigh_eligible") else nominees
        out["weights"] = {g: float(source.get(g, 0)) for g in nominees}
    if out.get("cap_share") is not None:
        base = {g: float(n) for g, n in nominees.items()}
        base.update(out.get("cap_base") or {})
        out["cap_base"] = base
    return out


def merge_shards(
    summaries: Iterable["pa.Table"], *, threads: int = 0, **options: Any
) -> MergedShards:
    """The global decision from the summaries of every shard (:func:`shard_summary`).

    Exact: the ranks, group ranks, selections, levels, statuses, gaps and reasons are those a
    single :func:`khuyenhoc.select` over the whole pool gives. ``options`` are the selection
    options the summaries were made with. Memory: the key material of the ranked rows (id,
    group, total, tie-breaker columns), not the pool.
    """
    pa = _pa()
    opts = _policy_options(**options)
    parts = list(summaries)
    metas = [_meta(s) for s in parts]
    if not parts:
        raise _core.SpecError("merge_shards needs at least one shard summary")
    shards = [m["shard"] for m in metas]
    if len(set(shards)) != len(shards):
        raise _core.SpecError(f"shard numbers repeat: {sorted(shards)}")
    per = opts.get("per") or ""
    for m in metas:
        if m["per"] != per:
            raise _core.SpecError(
                f"shard {m['shard']} was summarised with per={m['per']!r}, the merge has {per!r}"
            )
    id_name = metas[0]["id"]
    nominees: dict[str, int] = {}
    for m in metas:
        for g, n in m["nominees"].items():
            nominees[g] = nominees.get(g, 0) + int(n)

    def plain(t: "pa.Table", shard: int) -> "pa.Table":
        cols = []
        for f in t.schema:
            c = t.column(f.name)
            if pa.types.is_dictionary(f.type):
                c = c.cast(f.type.value_type)
            cols.append(c)
        names = [f.name for f in t.schema]
        out = pa.table(cols, names=names)
        return out.append_column(_SHARD, pa.array(np.full(len(out), shard, dtype=np.int64)))

    material = pa.concat_tables([plain(t, m["shard"]) for t, m in zip(parts, metas)],
                                promote_options="permissive").combine_chunks()
    n_ranked = material.num_rows
    ranked: dict[str, int] = {}
    if per:
        for g, n in zip(*np.unique(np.asarray(material.column(per).to_pylist(), dtype=object),
                                   return_counts=True)) if n_ranked else ():
            ranked[str(g)] = int(n)
    elif n_ranked:
        ranked[""] = n_ranked
    # A placeholder (ineligible) row for every group with nominees but no ranked row: a single
    # run knows the group, so it is apportioned seats (and named in the outcomes).
    missing = [g for g in nominees if g not in ranked]
    if missing:
        ids = set(material.column(id_name).to_pylist())
        fill: dict[str, Any] = {}
        for f in material.schema:
            if f.name == id_name:
                names = []
                for i in range(len(missing)):
                    name = f"{_PLACEHOLDER}{i}"
                    while name in ids:
                        name += "~"
                    names.append(name)
                fill[f.name] = pa.array(names, type=f.type)
            elif per and f.name == per:
                fill[f.name] = pa.array(missing, type=f.type)
            elif f.name == _SHARD:
                fill[f.name] = pa.array([-1] * len(missing), type=f.type)
            else:
                fill[f.name] = pa.nulls(len(missing), type=f.type)
        material = pa.concat_tables([material, pa.table(fill, schema=material.schema)])
    total = material.num_rows
    eligible = np.zeros(total, dtype=bool)
    eligible[:n_ranked] = True
    scores = np.nan_to_num(material.column(_SCORE).to_numpy(zero_copy_only=False), nan=np.nan)
    scores = np.asarray(scores, dtype=np.float64)
    if total > n_ranked:
        scores[n_ranked:] = np.nan
    shard_col = material.column(_SHARD)
    pool = _core.Pool.from_arrow(material.drop_columns([_SCORE, _SHARD]), id=id_name,
                                 infer_categories=False)
    pinned = _pinned(opts, nominees, ranked)
    result = select(pool, scores, eligible, threads=threads, **pinned)
    table = result.table.iloc[:n_ranked]
    outcomes = result.outcomes.copy()
    outcomes["nominees"] = [nominees.get(g, 0) for g in outcomes["group"]]
    arrays = [shard_col.slice(0, n_ranked), material.column(id_name).slice(0, n_ranked)]
    names = [_SHARD, "id"]
    for c in _MERGED:
        arrays.append(pa.array(table[c], from_pandas=True))
        names.append(c)
    meta = {"version": FORMAT_VERSION, "nominees": sum(nominees.values())}
    rows = pa.table(arrays, names=names).replace_schema_metadata(
        {_META: json.dumps(meta).encode()}
    )
    return MergedShards(rows, outcomes, result.lottery_seed)


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
