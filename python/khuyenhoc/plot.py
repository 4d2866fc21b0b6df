"""Plots for notebooks (needs matplotlib, imported only when this module is; ``import khuyenhoc``
alone needs only numpy). Every function draws on ``ax=`` (or a new figure) and returns the
matplotlib Axes.

- ``gantt(plan, findings)``: a Gantt chart of a plan with the findings of Plan.check highlighted;
- ``score_distribution(scores)``: histogram of the total scores (phân bố điểm);
- ``seats_and_cutoffs(selection)``: seats per group and the cut-off score (điểm chuẩn);
- ``rejection_reasons(verdicts)``: nominees failing each eligibility rule (lý do không đạt).

>>> import khuyenhoc as kh
>>> from khuyenhoc.plot import gantt
>>> plan = kh.Plan.from_csv("examples/plans/thang_khuyen_hoc_2024.csv", year=2024)  # doctest: +SKIP
>>> ax = gantt(plan, plan.check(window="5/9-5/10", year=2024))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import Findings, Plan

_SEVERITY_COLOUR = {"error": "#d62728", "warning": "#ff7f0e", "info": "#1f77b4"}
_KIND_COLOUR = {"task": "#9ecae1", "event": "#a1d99b", "deadline": "#fdae6b"}
_KIND_LABEL = {"task": "công việc / task", "event": "sự kiện / event", "deadline": "hạn / deadline"}
# One marker per finding kind, so a task's marks say what was found without reading the table.
_FINDING_MARKER = {
    "invalid_time": "X",
    "no_lead": "P",
    "unclear_assignees": "p",
    "unknown_dependency": "<",
    "dependency_cycle": "8",
    "dependency_order": ">",
    "tentative_dependency": "4",
    "overload": "o",
    "resource_conflict": "s",
    "coarse_overlap": "h",
    "duplicate_task": "D",
    "outside_window": "|",
    "day_off": "v",
    "open_ended": "3",
    "non_working_day": "1",
    "spans_holiday": "2",
}
_WEEKEND_SHADE = "#f0f0f0"
_HOLIDAY_SHADE = "#fde0dd"
_RANK = {"error": 0, "warning": 1, "info": 2}


def gantt(
    plan: Plan,
    findings: Findings | None = None,
    *,
    ax: Any = None,
    window: tuple[_dt.date, _dt.date] | None = None,
    calendar: Any = None,
    max_label: int = 48,
    legend: bool = True,
) -> Any:
    """Draws the plan's tasks as bars, one row per task in plan order, and the findings on them.

    - Bar colour: the task's kind (task, event, deadline); hatching: a time not known to the day
      (a week, month, quarter, semester …); a deadline without a start is a diamond on its day.
    - Open-ended tasks ("Từ 15/10") are open bars: dashed, without a right edge, running to the
      window's end (or the chart's) with an arrow.
    - Tasks named by findings are outlined in the colour of their worst severity, and each finding
      is marked on each of its tasks at its first day (the task's start when it has none) with the
      marker of its kind, coloured by severity.
    - Weekend days are shaded grey and holidays (of ``calendar``, Vietnam's by default) pink;
      ``window`` (first, last) is drawn as a frame. Tasks without dates ("Thường xuyên",
      "hàng năm") are listed with their time text.
    - ``legend=True`` adds a legend of the colours, hatching, open bars, shading and the finding
      kinds present.

    Returns the matplotlib Axes."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ._core import Calendar

    cal = calendar if calendar is not None else Calendar()
    tasks = list(plan.tasks)
    if ax is None:
        _, ax = plt.subplots(figsize=(13, 0.38 * max(len(tasks), 4) + 2.5))
    row_of = {t.id: row for row, t in enumerate(tasks)}
    worst: dict[str, str] = {}
    for f in findings or []:
        for tid in f.tasks:
            if tid not in worst or _RANK[f.severity] < _RANK[worst[tid]]:
                worst[tid] = f.severity

    # The days the chart covers: every known day, and the window.
    days: list[_dt.date] = []
    for t in tasks:
        days += [d for d in (t.start, t.end) if d is not None]
    if window is not None:
        days += list(window)
    first_day = min(days) if days else None
    last_day = max(days) if days else None

    labels = []
    for row, t in enumerate(tasks):
        title = t.title if len(t.title) <= max_label else t.title[: max_label - 1] + "…"
        labels.append(f"{t.id}. {title}")
        edge = _SEVERITY_COLOUR.get(worst.get(t.id, ""), "none")
        colour = _KIND_COLOUR.get(t.kind, "#cccccc")
        time = t.time
        coarse = time is not None and time.granularity != "day"
        if t.start is None and t.end is None:
            # No dates: an invalid time, "Thường xuyên", "hàng năm" — say so on the row.
            note = t.time_text if time is not None else f"✗ {t.time_text}"
            x = mdates.date2num(first_day) if first_day is not None else 0
            ax.text(x, row, note, color=edge if edge != "none" else "#555555", va="center",
                    fontsize=8, style="italic")
            continue
        if t.start is None:  # a deadline ("trước ngày 30/11"): its day
            ax.plot(mdates.date2num(t.end) + 0.5, row, marker="D", markersize=8, color=colour,
                    markeredgecolor=edge if edge != "none" else "#555555", linestyle="none")
            continue
        if t.end is None or (time is not None and time.open_ended):
            # Open-ended: an open bar to the window's end (or the chart's) with an arrow.
            stop = window[1] if window is not None and window[1] > t.start else last_day
            stop = stop if stop is not None and stop > t.start else t.start
            width = (stop - t.start).days + 1
            left = mdates.date2num(t.start)
            ax.barh(row, width, left=left, color=colour, alpha=0.55, edgecolor="none")
            ax.plot([left, left + width], [row - 0.4, row - 0.4], linestyle="--", color="#555555",
                    linewidth=1)
            ax.plot([left, left + width], [row + 0.4, row + 0.4], linestyle="--", color="#555555",
                    linewidth=1)
            ax.plot([left, left], [row - 0.4, row + 0.4], color=edge if edge != "none" else "#555555",
                    linewidth=2 if edge != "none" else 1)
            ax.annotate("", xy=(left + width + 1.5, row), xytext=(left + width - 0.5, row),
                        arrowprops={"arrowstyle": "->", "color": "#555555"})
            continue
        ax.barh(
            row,
            (t.end - t.start).days + 1,
            left=mdates.date2num(t.start),
            color=colour,
            edgecolor=edge,
            linewidth=2 if edge != "none" else 0,
            hatch="//" if coarse else None,
        )

    # Finding marks, on each task the finding names, at its first day.
    kinds_present: dict[str, str] = {}
    for f in findings or []:
        for tid in f.tasks:
            row = row_of.get(tid)
            if row is None:
                continue
            t = tasks[row]
            day = f.first or t.start or t.end
            if day is None:
                day = first_day
            if day is None:
                continue
            ax.plot(
                mdates.date2num(day) + 0.5,
                row,
                marker=_FINDING_MARKER.get(f.kind, "*"),
                color=_SEVERITY_COLOUR[f.severity],
                markersize=7,
                markeredgewidth=1.5,
                linestyle="none",
                zorder=5,
            )
            if f.kind not in kinds_present or _RANK[f.severity] < _RANK[kinds_present[f.kind]]:
                kinds_present[f.kind] = f.severity

    # Weekends and holidays behind the bars.
    if first_day is not None and last_day is not None:
        n_days = (last_day - first_day).days + 1
        for k in range(-1, n_days + 2):
            day = first_day + _dt.timedelta(days=k)
            if day in cal:
                shade = _HOLIDAY_SHADE
            elif cal.is_weekend(day) and n_days <= 400 and cal.classify(day) == "weekend":
                shade = _WEEKEND_SHADE
            else:
                continue
            x = mdates.date2num(day)
            ax.axvspan(x, x + 1, color=shade, zorder=-2, linewidth=0)
    if window is not None:
        a, b = window
        ax.axvspan(mdates.date2num(a), mdates.date2num(b) + 1, fill=False, edgecolor="#777777",
                   linestyle=":", zorder=-1)

    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Kế hoạch: công việc và phát hiện / plan: tasks and findings")
    if legend:
        handles: list[Any] = [
            Patch(facecolor=c, label=_KIND_LABEL[k]) for k, c in _KIND_COLOUR.items()
        ]
        handles.append(Patch(facecolor="white", edgecolor="#555555", hatch="//",
                             label="thời gian theo tuần/tháng/quý / not known to the day"))
        handles.append(Line2D([], [], linestyle="--", color="#555555",
                              label="chưa có ngày kết thúc / open-ended"))
        handles += [
            Patch(facecolor="white", edgecolor=c, linewidth=2, label=f"{sev}")
            for sev, c in _SEVERITY_COLOUR.items()
        ]
        handles.append(Patch(facecolor=_WEEKEND_SHADE, label="cuối tuần / weekend"))
        handles.append(Patch(facecolor=_HOLIDAY_SHADE, label="ngày nghỉ lễ / holiday"))
        if window is not None:
            handles.append(Patch(facecolor="white", edgecolor="#777777", linestyle=":",
                                 label="thời gian đợt / window"))
        for kind, sev in sorted(kinds_present.items()):
            handles.append(Line2D([], [], marker=_FINDING_MARKER.get(kind, "*"), linestyle="none",
                                  color=_SEVERITY_COLOUR[sev], label=kind))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                  frameon=False)
    return ax


def _new_axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size)
    return ax


def score_distribution(
    scores: Any,
    *,
    ax: Any = None,
    bins: int = 30,
    by_level: bool = False,
    marks: Mapping[str, float] | None = None,
    title: str = "Phân bố tổng điểm (score distribution)",
) -> Any:
    """Histogram of total scores: the ``total`` of a ScoreTable, the ``score`` column of a
    Selection, or any array / Series of numbers. Missing totals (NaN: unclassifiable) are left
    out and counted in the legend.

    ``bins`` equal-width bins over the range of the scores. With ``by_level=True`` and a
    ScoreTable, the bars are stacked by level (xếp loại), one colour per level that has
    nominees. ``marks`` draws labelled vertical lines, e.g. ``{"điểm sàn": 60}``.
    Returns the Axes.
    """
    table = getattr(scores, "table", None)
    if table is not None and hasattr(table, "columns") and "score" in table.columns:
        values = np.asarray(table["score"], dtype=np.float64)  # a Selection
    else:
        values = np.asarray(getattr(scores, "total", scores), dtype=np.float64)
    ax = _new_axes(ax, (8, 4))
    present = ~np.isnan(values)
    missing = int((~present).sum())
    finite = values[present]
    edges = np.histogram_bin_edges(finite if len(finite) else np.zeros(1), bins=bins)
    if by_level and hasattr(scores, "level_index") and hasattr(scores, "level_names"):
        index = np.asarray(scores.level_index)
        groups = [
            (name, present & (index == k)) for k, name in enumerate(scores.level_names)
        ] + [("không xếp loại (no level)", present & (index < 0))]
        groups = [(name, mask) for name, mask in groups if mask.any()]
        ax.hist(
            [values[mask] for _, mask in groups],
            bins=edges,
            stacked=True,
            label=[name for name, _ in groups],
        )
    else:
        ax.hist(finite, bins=edges, color="#4c72b0", label=f"{len(finite):,} nominees")
    for label, x in (marks or {}).items():
        ax.axvline(x, color="#d62728", linestyle="--", linewidth=1.2, label=f"{label}: {x:g}")
    if missing:
        ax.plot([], [], " ", label=f"{missing:,} without a total")
    ax.set_xlabel("Tổng điểm (total score)")
    ax.set_ylabel("Số hồ sơ (nominees)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def _outcomes(selection: Any) -> Any:
    out = getattr(selection, "outcomes", selection)
    if not hasattr(out, "columns"):
        import pandas as pd

        out = pd.DataFrame(
            out, columns=["level", "group", "nominees", "eligible", "quota", "selected", "cutoff"]
        )
    return out


def seats_and_cutoffs(
    selection: Any,
    *,
    ax: Any = None,
    level: str | None = None,
    sort: str = "group",
    title: str = "Chỉ tiêu và điểm chuẩn theo nhóm (seats and cut-off per group)",
) -> Any:
    """Per group: bars of seats (chỉ tiêu: the quota, light) and selected nominees (dark), and
    the cut-off score (điểm chuẩn: the lowest selected score) as markers on a second y axis.

    ``selection`` is a Selection (or its ``outcomes`` DataFrame). With award levels, ``level``
    picks one; by default the levels are added up and the cut-off is the lowest over the
    levels. ``sort``: "group" (as in the outcomes), "seats" or "cutoff" (descending). Returns
    the Axes of the bars; the cut-off axis is ``ax.cutoff_axes``.
    """
    out = _outcomes(selection)
    if level is not None:
        if level not in set(out["level"]):
            raise ValueError(f"no level {level!r} in the selection (levels: {sorted(set(out['level']))})")
        out = out[out["level"] == level]
    groups: list[str] = []
    quota: dict[str, float] = {}
    chosen: dict[str, float] = {}
    cutoff: dict[str, float] = {}
    for row in out.itertuples(index=False):
        g = str(row.group)
        if g not in quota:
            groups.append(g)
            quota[g] = chosen[g] = 0.0
            cutoff[g] = np.nan
        quota[g] += float(row.quota)
        chosen[g] += float(row.selected)
        c = float(row.cutoff)
        if not np.isnan(c):
            cutoff[g] = c if np.isnan(cutoff[g]) else min(cutoff[g], c)
    if sort == "seats":
        groups.sort(key=lambda g: -quota[g])
    elif sort == "cutoff":
        groups.sort(key=lambda g: -np.nan_to_num(cutoff[g], nan=-np.inf))
    elif sort != "group":
        raise ValueError(f'sort must be "group", "seats" or "cutoff", not {sort!r}')
    ax = _new_axes(ax, (max(6.0, 0.45 * len(groups) + 2), 4.5))
    x = np.arange(len(groups))
    ax.bar(x, [quota[g] for g in groups], width=0.8, color="#c6dbef", label="chỉ tiêu (seats)")
    ax.bar(x, [chosen[g] for g in groups], width=0.5, color="#2171b5", label="được chọn (selected)")
    ax.set_xticks(x)
    ax.set_xticklabels(groups, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("Số suất (seats)")
    ax.set_title(title)
    twin = ax.twinx()
    twin.plot(
        x, [cutoff[g] for g in groups], "D", color="#d62728", label="điểm chuẩn (cut-off)"
    )
    twin.set_ylabel("Điểm chuẩn (cut-off score)")
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, fontsize=8, loc="upper right")
    ax.cutoff_axes = twin
    return ax


def rejection_reasons(
    verdicts: Any,
    *,
    ax: Any = None,
    mode: str = "total",
    rule_labels: Mapping[str, str] | None = None,
    title: str = "Lý do không đạt (nominees failing each rule)",
) -> Any:
    """Horizontal bars per eligibility rule, in rule order: nominees who fail it (dark) and whose
    result is unknown (light, e.g. a missing value).

    ``verdicts`` is a Verdicts, its ``funnel`` (a list of dicts) or a DataFrame with columns
    rule, failed, unknown. ``mode``: "total" counts every nominee failing each rule (needs a
    Verdicts: one nominee can fail several rules); "funnel" counts, rule after rule, only those
    still in the running (the funnel: each rejected nominee once). ``rule_labels`` renames the
    rules on the axis (e.g. to their descriptions). Returns the Axes.
    """
    if mode not in ("total", "funnel"):
        raise ValueError(f'mode must be "total" or "funnel", not {mode!r}')
    rules: list[str]
    failed: list[int]
    unknown: list[int]
    if mode == "total":
        if not hasattr(verdicts, "status"):
            raise TypeError('mode="total" needs a Verdicts; pass mode="funnel" for a funnel')
        status = np.asarray(verdicts.status)
        rules = list(verdicts.rule_ids)
        failed = [int(x) for x in (status == 1).sum(axis=0)]
        unknown = [int(x) for x in (status == 2).sum(axis=0)]
    else:
        funnel = getattr(verdicts, "funnel", verdicts)
        if hasattr(funnel, "to_dict"):
            funnel = funnel.to_dict("records")
        steps: Sequence[Mapping[str, Any]] = list(funnel)
        rules = [str(s["rule"]) for s in steps]
        failed = [int(s["failed"]) for s in steps]
        unknown = [int(s["unknown"]) for s in steps]
    labels = [(rule_labels or {}).get(r, r) for r in rules]
    ax = _new_axes(ax, (8, 0.45 * max(len(rules), 3) + 1.5))
    y = np.arange(len(rules))
    ax.barh(y, failed, color="#cb181d", label="không đạt (fail)")
    ax.barh(y, unknown, left=failed, color="#fcae91", label="chưa xác định (unknown)")
    for yi, (f, u) in enumerate(zip(failed, unknown)):
        ax.text(f + u, yi, f" {f + u:,}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("Số hồ sơ (nominees)")
    ax.set_title(title + (" — funnel" if mode == "funnel" else ""))
    ax.legend(fontsize=8, loc="lower right")
    return ax


__all__ = ["gantt", "rejection_reasons", "score_distribution", "seats_and_cutoffs"]
