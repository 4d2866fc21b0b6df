"""Selection over partitions: a summary per shard, an exact merge, the order within tied totals,
and a finish per shard.

A selection depends on two kinds of data (docs/scale.md has the argument in full):

* row-local data: a nominee's score, eligibility, the reasons of the ineligible and of the
  unclassifiable, whether the total reaches the minimum. Each shard computes these itself, with
  the same C++ pipeline as :func:`khuyenhoc.select` (``seats=0``: nothing is selected there).
* the decision: seats per group, cut-offs, ties, levels. It depends only on the *ranked* rows
  (eligible, with a total at or above the minimum) that can still take a seat or decide a
  cut-off, and on the number of nominees (and ranked nominees) of every group, which weigh the
  apportionment and the caps.

So a shard reduces to the key material (id, group, total, the tie-breaker columns) of its ranked
rows that can still matter — per group at most the seats the group can get, plus every row
tied at that bound — its nominee and ranked counts per group, and a histogram of its ranked
totals per group. The merge runs the library's own selection on the kept rows of every shard,
with the group weights, cap bases and counts pinned to the whole pool's; every row it did not
see is outside the quota, below its group's last cut-off.

Ranks come from counts, not from one sort of the pool: a row's rank is the number of ranked
rows with a higher total (the merged histograms) plus the rows at its own total ordered before
it by the tie-breakers and the id. Only rows at a total held by more than one ranked row need
the second part: :func:`shard_ties` gives them, :func:`resolve_ties` orders them (split by
ranges of totals over several tasks: every row of one total in the same task), and
:func:`finish_shard` puts it all into the shard's result table.

The C++ library does the work (``include/khuyenhoc/shard.hpp``); here the pieces cross as Arrow
tables (pyarrow), so Spark's ``mapInArrow``, Ray or a job runner can move them; the formats are
versioned (schema metadata ``khuyenhoc.shard``; the summary's histogram is an Arrow IPC stream
under ``khuyenhoc.scores``).
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
FORMAT_VERSION = 2
_META = b"khuyenhoc.shard"
_SCORES = b"khuyenhoc.scores"
_SCORE = "__khuyenhoc_score"
_GROUP = "__khuyenhoc_group"
_SHARD = "__khuyenhoc_shard"
_ROW = "__khuyenhoc_row"
_TIE_COLUMNS = [_ROW, "__khuyenhoc_before", "__khuyenhoc_group_before"]
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


def _empty_keys(pool: _core.Pool, options: Mapping[str, Any]) -> "pa.Table":
    pa = _pa()
    cols = _key_columns(options, pool.columns, pool.id_column)
    keys = pa.table(pool).select(cols)
    keys = keys.append_column(_GROUP, pa.array([], type=pa.string()))
    return keys.append_column(_SCORE, pa.array([], type=pa.float64()))


def _histogram_table(h: tuple[list[str], Any, Any]) -> "pa.Table":
    pa = _pa()
    return pa.table({"group": pa.array(h[0], type=pa.string()),
                     "score": pa.array(np.asarray(h[1], dtype=np.float64)),
                     "count": pa.array(np.asarray(h[2], dtype=np.int64))})


def _histogram_tuple(t: "pa.Table") -> tuple[list[str], Any, Any]:
    return (t.column("group").to_pylist(),
            t.column("score").to_numpy().astype(np.float64, copy=False),
            t.column("count").to_numpy().astype(np.int64, copy=False))


def _ipc(table: "pa.Table") -> bytes:
    pa = _pa()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return bytes(sink.getvalue())


def _from_ipc(data: bytes) -> "pa.Table":
    pa = _pa()
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _compact(table: "pa.Table") -> "pa.Table":
    """``table`` with each unordered dictionary column holding only the values its rows use (a
    few rows taken from a partition would otherwise carry the partition's whole dictionary of
    names over the network). Ordered dictionaries keep theirs: their order is the values'."""
    pa = _pa()
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type) and not field.type.ordered and table.num_rows:
            plain = table.column(i).cast(field.type.value_type)
            encoded = pc.dictionary_encode(plain).cast(field.type)
            table = table.set_column(i, field, encoded)
    return table


def _summary_and_keys(
    pool: _core.Pool, run: Any, options: Mapping[str, Any], shard: int
) -> tuple["pa.Table", "pa.Table"]:
    """The Arrow summary of a shard from its row-local run (C++ ``summarize_shard``) and the key
    material of all its ranked rows (C++ ``shard_keys``: what the tie and finish steps read)."""
    pa = _pa()
    if run is None:  # an empty shard: no key material, no nominees
        keys = all_keys = _empty_keys(pool, options)
        nominees: dict[str, int] = {}
        ranked: dict[str, int] = {}
        rows = 0
        hist = _histogram_table(([], [], []))
    else:
        kept, nominees, rows, ranked, h, all_pool = _core._summarize_shard(
            run._result, dict(options), shard)
        keys, all_keys, hist = _compact(pa.table(kept)), pa.table(all_pool), _histogram_table(h)
    meta = {"version": FORMAT_VERSION, "shard": int(shard), "rows": int(rows),
            "id": pool.id_column, "per": options.get("per") or "", "nominees": nominees,
            "ranked": ranked}
    summary = keys.replace_schema_metadata(
        {_META: json.dumps(meta, ensure_ascii=False).encode(), _SCORES: _ipc(hist)})
    all_keys = all_keys.replace_schema_metadata(
        {_META: json.dumps({"version": FORMAT_VERSION, "id": pool.id_column}).encode()})
    return summary, all_keys


def _summary_of(
    pool: _core.Pool, run: Any, options: Mapping[str, Any], shard: int
) -> "pa.Table":
    return _summary_and_keys(pool, run, options, shard)[0]


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
    does (same arguments), then keeps the key material (the id, the ``per`` column, the
    tie-breaker columns of ``order``, the group and the total) of the ranked rows (eligible,
    with a total at or above ``min_score``) that can still matter to the decision: per group at
    most the seats the group can get, plus the rows tied at that bound. The schema metadata
    ``khuyenhoc.shard`` (JSON) holds the format version, the shard number and the number of
    nominees and of ranked nominees of every group; ``khuyenhoc.scores`` the ranked rows per
    group and total (an Arrow IPC stream: group, score, count). ``options`` are the selection
    options of :func:`khuyenhoc.select` (all shards and the merge get the same).
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
    """The decision of :func:`merge_shards`.

    ``rows`` (Arrow) has one row per kept row of every shard: ``__khuyenhoc_shard``, the id,
    selected, level, status, gap and reason (those of a single run; its rank and group_rank
    are among the kept rows only); :meth:`for_shard` the rows of one shard. ``outcomes``
    (pandas) has the seats and cut-off per level and group, as :attr:`Selection.outcomes` of a
    single run; ``selected_count`` and ``lottery_seed`` as well. ``scores`` (Arrow: group,
    score, count) counts the ranked rows of the pool per group and total, and ``cutoffs`` gives
    per group the cut-off its other ranked rows are compared with: with these a shard computes
    its rows' global ranks (:func:`finish_shard`).
    """

    def __init__(self, rows: "pa.Table", outcomes: "pd.DataFrame", lottery_seed: int,
                 scores: "pa.Table | None" = None,
                 cutoffs: Mapping[str, float] | None = None) -> None:
        self.rows = rows
        self.outcomes = outcomes
        self.lottery_seed = lottery_seed
        self.scores = scores if scores is not None else _histogram_table(([], [], []))
        self.cutoffs = dict(cutoffs or {})

    @property
    def selected_count(self) -> int:
        """Number of nominees selected in all shards."""
        import pyarrow.compute as pc

        return int(pc.sum(self.rows.column("selected")).as_py() or 0)

    def for_shard(self, shard: int) -> "pa.Table":
        """The merged (kept) rows of shard ``shard``."""
        import pyarrow.compute as pc

        mask = pc.equal(self.rows.column(_SHARD), shard)
        return self.rows.filter(mask)

    def tie_edges(self, ranges: int) -> list[float]:
        """Totals that split the rows at shared totals into ``ranges`` ranges of about equal
        size (ascending; a total equal to an edge belongs to the range above it): every row of
        one total falls in one range, so each range can be ordered by its own
        :func:`resolve_ties` task."""
        score = self.scores.column("score").to_numpy()
        count = self.scores.column("count").to_numpy()
        if len(score) == 0 or ranges <= 1:
            return []
        totals, inverse = np.unique(score, return_inverse=True)
        per_total = np.bincount(inverse, weights=count).astype(np.int64)
        tied = per_total > 1
        totals, per_total = totals[tied], per_total[tied]
        if len(totals) == 0:
            return []
        cum = np.cumsum(per_total)
        edges: list[float] = []
        for k in range(1, ranges):
            i = int(np.searchsorted(cum, cum[-1] * k / ranges, side="left"))
            if i + 1 < len(totals):
                edge = float(totals[i + 1])
                if not edges or edge > edges[-1]:
                    edges.append(edge)
        return edges

    def __repr__(self) -> str:
        return f"<MergedShards: {self.rows.num_rows} kept, {self.selected_count} selected>"


def merge_shards(
    summaries: Iterable["pa.Table"], *, threads: int = 0, **options: Any
) -> MergedShards:
    """The global decision from the summaries of every shard (:func:`shard_summary`).

    Exact: the selections, levels, statuses, gaps and reasons are those a single
    :func:`khuyenhoc.select` over the whole pool gives (C++ ``merge_shards``: the library's
    selection over the kept rows of every shard, with the group weights, cap bases and counts
    of the whole pool); ranks are computed per shard from the merged histograms
    (:func:`finish_shard`). ``options`` are the selection options the summaries were made with.
    Memory: the kept rows (per group about its possible seats per shard) and the histograms,
    not the pool. ``threads`` is accepted for symmetry (the merge is one sort of the kept rows).
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
        raw = (table.schema.metadata or {}).get(_SCORES)
        if raw is None:
            raise _core.SpecError(f"shard {m['shard']}'s summary has no khuyenhoc.scores")
        keys = _core.Pool.from_arrow(table.replace_schema_metadata(None), id=m["id"],
                                     infer_categories=False)
        items.append((int(m["shard"]), keys, {str(g): int(n) for g, n in m["nominees"].items()},
                      int(m["rows"]), {str(g): int(n) for g, n in m["ranked"].items()},
                      _histogram_tuple(_from_ipc(raw))))
    merged = _core._merge_shards(items, opts)
    table = pa.table(merged.table)
    rows = table.select([_SHARD, "id", *_MERGED]).replace_schema_metadata(
        {_META: json.dumps({"version": FORMAT_VERSION}).encode()}
    )
    import pandas as pd

    outcomes = pd.DataFrame(list(merged.outcomes), columns=_OUTCOME_COLUMNS)
    return MergedShards(rows, outcomes, int(merged.lottery_seed),
                        _histogram_table(merged.scores), merged.cutoffs)


def _id_of(table: "pa.Table") -> str:
    raw = (table.schema.metadata or {}).get(_META)
    return str(json.loads(raw)["id"]) if raw else "id"


def _keys_pool(table: "pa.Table") -> _core.Pool:
    return _core.Pool.from_arrow(table.replace_schema_metadata(None), id=_id_of(table),
                                 infer_categories=False)


def _tie_keys(keys: "pa.Table", merged: MergedShards) -> "pa.Table":
    pa = _pa()
    tied = pa.table(_core._tie_keys(_keys_pool(keys), _histogram_tuple(merged.scores)))
    return tied.replace_schema_metadata(keys.schema.metadata)


def _split_ties(tied: "pa.Table", edges: Sequence[float], ranges: int) -> list["pa.Table"]:
    """The rows of ``tied`` per range of totals (:meth:`MergedShards.tie_edges`)."""
    where = np.searchsorted(np.asarray(edges, dtype=np.float64),
                            tied.column(_SCORE).to_numpy(), side="right")
    return [_compact(tied.filter(where == k)) for k in range(ranges)]


def shard_ties(
    pool: _core.Pool,
    merged: MergedShards,
    criteria: Any = None,
    rules: Any = None,
    *,
    shard: int = 0,
    params: Mapping[str, Any] | None = None,
    threads: int = 0,
    **options: Any,
) -> "pa.Table":
    """The key material of the shard's ranked rows whose total other ranked rows of the pool
    have too (per :attr:`MergedShards.scores`), with their row number among the shard's ranked
    rows (``__khuyenhoc_row``): the rows whose place within their total needs the other shards'
    rows (:func:`resolve_ties`). The other arguments are those given to :func:`shard_summary`."""
    opts = _policy_options(**options)
    run = _row_local_run(pool, criteria, rules, opts, params, threads)
    _, keys = _summary_and_keys(pool, run, opts, shard)
    return _tie_keys(keys, merged)


def resolve_ties(parts: Iterable["pa.Table"], **options: Any) -> list["pa.Table"]:
    """The order within tied totals of the rows of ``parts`` (:func:`shard_ties` of every shard,
    or their rows in one range of totals: every row of one total must be in the same call).

    One Arrow table per part, row for row: ``__khuyenhoc_row`` (the row among the shard's
    ranked rows), ``__khuyenhoc_before`` (rows of the same total ordered before it by the
    tie-breakers, then the id) and ``__khuyenhoc_group_before`` (those of them in its group).
    Give each shard's tables to :func:`finish_shard` (``tie_order=``)."""
    pa = _pa()
    opts = _policy_options(**options)
    tables = list(parts)
    pools = [_keys_pool(t) for t in tables]
    out = []
    for row, before, group_before in _core._resolve_ties(pools, opts):
        out.append(pa.table(dict(zip(_TIE_COLUMNS, (row, before, group_before)))))
    return out


def _tie_tuples(ties: Any) -> list[tuple[Any, Any, Any]]:
    if ties is None:
        return []
    import pyarrow as pa

    tables = [ties] if isinstance(ties, pa.Table) else list(ties)
    return [tuple(t.column(c).to_numpy().astype(np.int64, copy=False) for c in _TIE_COLUMNS)
            for t in tables]


def _shard_rows(keys: "pa.Table", merged: MergedShards, shard: int, ties: Any,
                options: Mapping[str, Any]) -> "pa.Table":
    """Per ranked row of the shard: id, rank, group rank and the decision (C++ shard_ranks)."""
    pa = _pa()
    kept = merged.for_shard(shard)
    kept_pool = _core.Pool.from_arrow(kept.replace_schema_metadata(None), id="id",
                                      infer_categories=False)
    rows = _core._shard_ranks(_keys_pool(keys), kept_pool, _histogram_tuple(merged.scores),
                              merged.cutoffs, _tie_tuples(ties), dict(options))
    return pa.table(rows)


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
    pa = _pa()
    ids = pa.array(out["id"], type=pa.large_string(), from_pandas=True).take(pa.array(ranked))
    if not ids.equals(merged_rows.column("id").cast(pa.large_string()).combine_chunks()):
        raise _core.SpecError("the merged rows are not this shard's ranked nominees, in order")
    import pandas as pd

    merged = merged_rows.select(_MERGED).to_pandas()
    for c in _MERGED:
        column = out[c]
        values = merged[c]
        if isinstance(column.dtype, pd.CategoricalDtype):
            new = column.astype(object)
            new.iloc[ranked] = values.astype(object).to_numpy()
            out[c] = new.astype("category")
        elif c == "reason":
            # Text: one Arrow `take` over the shard's reasons followed by the merged ones
            # (assigning into an Arrow-backed column row by row, or through Python objects, is
            # several times slower).
            pa = _pa()
            before = pa.array(column, type=pa.large_string(), from_pandas=True)
            after = merged_rows.column(c).cast(pa.large_string()).combine_chunks()
            pick = np.arange(len(column), dtype=np.int64)
            pick[ranked] = len(column) + np.arange(len(ranked), dtype=np.int64)
            text = pa.concat_arrays([before, after]).take(pa.array(pick))
            out[c] = pd.Series(pd.array(text, dtype=column.dtype), index=out.index, name=c)
        else:
            new = column.copy()
            new.iloc[ranked] = values.to_numpy()
            out[c] = new.astype(column.dtype)
    return out


def finish_shard(
    pool: _core.Pool,
    merged: MergedShards,
    criteria: Any = None,
    rules: Any = None,
    *,
    shard: int = 0,
    tie_order: "pa.Table | Sequence[pa.Table] | None" = None,
    params: Mapping[str, Any] | None = None,
    threads: int = 0,
    **options: Any,
) -> "pd.DataFrame":
    """The per-nominee result table of one shard, with the merged (global) values.

    The same columns as :attr:`Selection.table` of :func:`khuyenhoc.select`, one row per row of
    ``pool`` in its order, equal row for row to the single run's rows of these nominees.
    ``merged`` is the :class:`MergedShards`, ``tie_order`` this shard's :func:`resolve_ties` tables
    (one, or one per range of totals; not needed when no row of the shard is at a total other
    ranked rows share: SpecError names resolve_ties otherwise); the other arguments are those
    given to :func:`shard_summary` for this shard.
    """
    if not isinstance(merged, MergedShards):
        raise TypeError(
            "finish_shard needs the MergedShards itself (format 2: the ranks come from its "
            f"histograms of totals), not a {type(merged).__name__}"
        )
    opts = _policy_options(**options)
    run = _row_local_run(pool, criteria, rules, opts, params, threads)
    table = _empty_table(opts.get("per")) if run is None else run.table
    _, keys = _summary_and_keys(pool, run, opts, shard)
    return _finish(table, _shard_rows(keys, merged, shard, tie_order, opts))
