"""Plots of plans (needs matplotlib, imported only when this module is): a Gantt chart with the
findings of Plan.check highlighted.

>>> import khuyenhoc as kh
>>> from khuyenhoc.plot import gantt
>>> plan = kh.Plan.from_csv("examples/plans/thang_khuyen_hoc_2024.csv", year=2024)  # doctest: +SKIP
>>> ax = gantt(plan, plan.check(window="5/9-5/10", year=2024))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ._core import Findings, Plan

_SEVERITY_COLOUR = {"error": "#d62728", "warning": "#ff7f0e", "info": "#1f77b4"}
_KIND_COLOUR = {"task": "#9ecae1", "event": "#a1d99b", "deadline": "#fdae6b"}


def gantt(
    plan: Plan,
    findings: Findings | None = None,
    *,
    ax: Any = None,
    window: tuple[_dt.date, _dt.date] | None = None,
    max_label: int = 48,
) -> Any:
    """Draws the plan's tasks as bars (one row per task, in plan order; colour by kind) and
    marks the tasks named by findings with an outline in the colour of their worst severity.
    Tasks without dates are listed with an "x". Returns the matplotlib Axes."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(12, 0.35 * max(len(plan), 4) + 1.5))
    worst: dict[str, str] = {}
    rank = {"error": 0, "warning": 1, "info": 2}
    for f in findings or []:
        for t in f.tasks:
            if t not in worst or rank[f.severity] < rank[worst[t]]:
                worst[t] = f.severity
    labels = []
    all_days = []
    for row, t in enumerate(plan.tasks):
        title = t.title if len(t.title) <= max_label else t.title[: max_label - 1] + "…"
        labels.append(f"{t.id}. {title}")
        start = t.start or t.end
        end = t.end or t.start
        edge = _SEVERITY_COLOUR.get(worst.get(t.id, ""), "none")
        if start is None or end is None:
            ax.plot([], [])
            ax.text(0.01, row, "x", transform=ax.get_yaxis_transform(), color=edge, va="center")
            continue
        all_days += [start, end]
        width = (end - start).days + 1
        ax.barh(
            row,
            width,
            left=mdates.date2num(start),
            color=_KIND_COLOUR.get(t.kind, "#cccccc"),
            edgecolor=edge,
            linewidth=2 if edge != "none" else 0,
            hatch="//" if t.time is not None and t.time.granularity != "day" else None,
        )
    if window is not None:
        a, b = window
        ax.axvspan(mdates.date2num(a), mdates.date2num(b) + 1, color="#eeeeee", zorder=-1)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Kế hoạch: công việc và phát hiện")
    return ax


__all__ = ["gantt"]
