"""Notebook display of khuyenhoc's result objects: ``__repr__`` and ``_repr_html_`` of Pool,
ScoreTable, Verdicts, Plan (and the HTML builder used by Selection and Findings).

Every value is HTML-escaped; large tables are truncated to their head with a note of how many
rows were left out. Nothing here imports pandas: the tables are built from the objects' own
arrays, so displaying a result is cheap even for a million nominees.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import _core

#: Rows shown in the head of a large table.
HEAD_ROWS = 10

_STYLE = (
    "<style>.khuyenhoc-repr table{border-collapse:collapse;margin:0.3em 0}"
    ".khuyenhoc-repr th,.khuyenhoc-repr td{padding:2px 8px;text-align:right;"
    "border-bottom:1px solid #ddd}.khuyenhoc-repr td.t,.khuyenhoc-repr th.t{text-align:left}"
    ".khuyenhoc-repr .note{color:#666;font-size:90%}</style>"
)


def cell_text(value: Any) -> str:
    """The text of one table cell: numbers with at most 4 decimals, missing values as "—",
    lists joined by ", ". Not escaped."""
    if value is None:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "✓" if value else "✗"
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            return "—"
        if math.isinf(x) or abs(x) >= 1e15:
            return str(x)
        return str(int(x)) if x == int(x) else f"{x:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, tuple)):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, np.datetime64):
        return "—" if np.isnat(value) else str(value)
    return str(value)


def _is_text(value: Any) -> bool:
    return not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(
        value, (bool, np.bool_)
    )


def html_table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    total_rows: int | None = None,
    row_styles: Sequence[str] | None = None,
) -> str:
    """An HTML table with escaped header and cells. When ``total_rows`` exceeds the rows given,
    a note says how many were left out."""
    head = "".join(f'<th class="t">{html.escape(str(h))}</th>' for h in header)
    body = []
    shown = 0
    for i, row in enumerate(rows):
        tds = "".join(
            f'<td class="t">{html.escape(cell_text(v))}</td>'
            if _is_text(v)
            else f"<td>{html.escape(cell_text(v))}</td>"
            for v in row
        )
        style = f' style="{html.escape(row_styles[i])}"' if row_styles and row_styles[i] else ""
        body.append(f"<tr{style}>{tds}</tr>")
        shown += 1
    note = ""
    if total_rows is not None and total_rows > shown:
        note = (
            f'<div class="note">… {total_rows - shown:,} more rows not shown '
            f"({shown:,} of {total_rows:,}; use .to_pandas() for all)</div>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


def html_block(title: str, *parts: str) -> str:
    """A titled block: the escaped summary line in bold, then already-built HTML parts."""
    return (
        f'<div class="khuyenhoc-repr">{_STYLE}<p><b>{html.escape(title)}</b></p>'
        + "".join(parts)
        + "</div>"
    )


def html_heading(text: str) -> str:
    """A small escaped sub-heading inside a block."""
    return f'<p style="margin:0.6em 0 0.1em"><i>{html.escape(text)}</i></p>'


# --- Pool -------------------------------------------------------------------------------------


def pool_repr_html(pool: _core.Pool) -> str:
    """Summary line, the schema (column: type) and the first rows."""
    n = len(pool)
    cols = pool.columns
    head = pool.take(list(range(min(n, HEAD_ROWS))))
    from ._pool import column_array

    arrays = [column_array(head, c) for c in cols]
    rows = [[a[i] for a in arrays] for i in range(len(head))]
    schema = html_table(["column", "type"], [[c, pool.column_type(c)] for c in cols])
    header = [f"{c} ({pool.column_type(c)})" for c in cols]
    return html_block(
        f"Pool: {n:,} nominees × {len(cols)} columns, id column “{pool.id_column}”",
        html_heading("Đầu danh sách (first rows)"),
        html_table(header, rows, total_rows=n),
        "<details><summary>Schema</summary>" + schema + "</details>",
    )


# --- ScoreTable -------------------------------------------------------------------------------


def _score_summary(table: _core.ScoreTable) -> str:
    total = np.asarray(table.total)
    n = len(total)
    uncl = int(np.asarray(table.unclassifiable).sum())
    scored = total[~np.isnan(total)]
    if len(scored):
        stats = (
            f"total min {cell_text(scored.min())}, median {cell_text(np.median(scored))}, "
            f"max {cell_text(scored.max())}"
        )
    else:
        stats = "no totals"
    return (
        f"ScoreTable: {n:,} nominees, {len(table.criterion_ids)} criteria, "
        f"{len(table.indicator_ids)} indicators; {stats}; {uncl:,} unclassifiable"
    )


def score_table_repr(table: _core.ScoreTable) -> str:
    """``<khuyenhoc.ScoreTable: …>`` with the counts and the range of totals."""
    return f"<khuyenhoc.{_score_summary(table)}>"


def score_table_repr_html(table: _core.ScoreTable) -> str:
    """Summary line, nominees per level (xếp loại) and the head of the table."""
    level = np.asarray(table.level_index)
    counts = [(code, name, int((level == k).sum())) for k, (code, name) in
              enumerate(zip(table.level_codes, table.level_names))]
    unassigned = int((level < 0).sum())
    level_rows: list[list[Any]] = [[c, nm, k] for c, nm, k in counts]
    if unassigned:
        level_rows.append(["—", "không xếp loại (no level)", unassigned])
    n = len(table)
    k = min(n, HEAD_ROWS)
    ids = table.ids[:k]
    total = np.asarray(table.total)[:k]
    names = np.asarray(table.level_name)[:k]
    reasons = table.reasons[:k]
    subtotals = np.asarray(table.subtotals)[:k]
    header = [table.id_column, "total", "level", *table.criterion_ids, "reason"]
    rows = [
        [ids[i], total[i], names[i], *subtotals[i].tolist(), reasons[i] or ""] for i in range(k)
    ]
    return html_block(
        _score_summary(table),
        html_heading("Xếp loại (levels)"),
        html_table(["level", "name", "nominees"], level_rows),
        html_heading("Đầu bảng điểm (first rows)"),
        html_table(header, rows, total_rows=n),
    )


# --- Verdicts ---------------------------------------------------------------------------------


def funnel_rows(verdicts: Any) -> list[dict[str, Any]]:
    """The funnel of a Verdicts (or the funnel list itself) as a list of dicts."""
    funnel = getattr(verdicts, "funnel", verdicts)
    return [dict(step) for step in funnel]


def verdicts_repr_html(verdicts: _core.Verdicts) -> str:
    """Summary line, the eligibility funnel (phễu xét duyệt) and the first rejected nominees with
    their reasons."""
    elig = np.asarray(verdicts.eligible)
    n = len(elig)
    ok = int(elig.sum())
    share = f" ({100.0 * ok / n:.1f}%)" if n else ""
    funnel = funnel_rows(verdicts)
    frows = [[f["rule"], f["severity"], f["failed"], f["unknown"], f["remaining"]] for f in funnel]
    rejected = np.flatnonzero(~elig)
    ids = verdicts.ids if len(rejected) else []
    rej_rows = [
        [ids[r], "; ".join(verdicts.reasons(int(r)))] for r in rejected[:HEAD_ROWS].tolist()
    ]
    return html_block(
        f"Verdicts: {n:,} nominees × {len(verdicts.rule_ids)} rules; {ok:,} eligible{share}, "
        f"{n - ok:,} not eligible",
        html_heading("Phễu xét duyệt (funnel: rules in order)"),
        html_table(["rule", "severity", "failed", "unknown", "remaining"], frows),
        html_heading("Không đủ điều kiện (first rejected, with reasons)"),
        html_table(["id", "reasons"], rej_rows, total_rows=len(rejected)),
    )


# --- Plan -------------------------------------------------------------------------------------


def _plan_summary(plan: _core.Plan) -> str:
    tasks = plan.tasks
    days = [d for t in tasks for d in (t.start, t.end) if d is not None]
    span = f", {min(days):%d/%m/%Y} – {max(days):%d/%m/%Y}" if days else ""
    undated = sum(1 for t in tasks if t.start is None and t.end is None)
    return (
        f"Plan: {len(tasks)} tasks, {len(plan.units)} units{span}"
        + (f"; {undated} without dates" if undated else "")
    )


def plan_repr(plan: _core.Plan) -> str:
    """``<khuyenhoc.Plan: …>`` with the counts and the date span."""
    return f"<khuyenhoc.{_plan_summary(plan)}>"


def plan_repr_html(plan: _core.Plan, max_rows: int = 60) -> str:
    """Summary line and the tasks (TT, nội dung, thời gian, dates, kind, units)."""
    tasks = plan.tasks
    rows = [
        [t.id, t.title, t.time_text, t.start, t.end, t.kind, ", ".join(t.leads)]
        for t in tasks[:max_rows]
    ]
    return html_block(
        _plan_summary(plan),
        html_table(
            ["TT", "nội dung (task)", "thời gian (time)", "start", "end", "kind", "leads"],
            rows,
            total_rows=len(tasks),
        ),
    )


# --- Selection --------------------------------------------------------------------------------


def selection_repr_html(sel: Any, max_groups: int = 40) -> str:
    """Summary line, seats and cut-offs per group (chỉ tiêu, điểm chuẩn) and the head of the
    selected list in rank order."""
    table = sel.table
    out = sel.outcomes
    n = len(table)
    chosen = table[table["selected"].astype(bool)]
    if "rank" in chosen.columns:
        chosen = chosen.sort_values("rank", kind="stable")
    groups = out["group"].nunique() if len(out) else 0
    ranked = int(out["eligible"].sum()) if len(out) else 0
    # Without award levels the engine names its one level "selected".
    levels = [lv for lv in out["level"].unique().tolist() if lv and lv != "selected"]
    title = (
        f"Selection: {len(chosen):,} selected of {n:,} nominees ({ranked:,} ranked) in "
        f"{groups} groups" + (f", {len(levels)} levels" if levels else "")
    )
    cols = list(out.columns) if levels else [c for c in out.columns if c != "level"]
    outcome_rows = out[cols].head(max_groups).itertuples(index=False)
    head_cols = [c for c in chosen.columns if c not in ("selected", "reason")]
    head_rows = chosen[head_cols].head(HEAD_ROWS).itertuples(index=False)
    return html_block(
        title,
        html_heading("Chỉ tiêu và điểm chuẩn theo nhóm (seats and cut-off per group)"),
        html_table(cols, [list(r) for r in outcome_rows], total_rows=len(out)),
        html_heading("Danh sách được chọn (selected, in rank order)"),
        html_table(head_cols, [list(r) for r in head_rows], total_rows=len(chosen)),
    )
