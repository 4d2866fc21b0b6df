"""Python conveniences of Plan and Findings: DataFrame input and output, HTML display."""

from __future__ import annotations

from typing import Any

from . import _core
from ._core import Findings, Plan


def _from_table(data: Any, year: int, source: str = "<table>") -> Plan:
    """A plan from the 4-column task table (TT | Thời gian | Nội dung | Phân công): text copied
    out of a document (tab- or pipe-separated, markdown), or a pandas DataFrame whose columns are
    named as in a CSV plan (or are taken positionally when they are not)."""
    if isinstance(data, str):
        return Plan._from_table_text(data, year, source)
    if hasattr(data, "columns") and hasattr(data, "itertuples"):
        header = [str(c) for c in data.columns]
        rows = []
        for row in data.itertuples(index=False):
            cells = []
            for v in row:
                if v is None or (isinstance(v, float) and v != v):
                    cells.append("")
                elif isinstance(v, float) and v.is_integer():
                    cells.append(str(int(v)))
                else:
                    cells.append(str(v))
            rows.append(cells)
        named = Plan._from_rows  # the header decides: named columns, else positional
        try:
            return named(header, rows, year, source)
        except Exception:
            if len(header) >= 4:
                return named([], rows, year, source)
            raise
    raise TypeError(f"from_table takes text or a pandas DataFrame, not {type(data).__name__}")


def _findings_to_pandas(self: Findings) -> Any:
    """The findings as a pandas DataFrame (one row per finding; dates as datetime.date)."""
    import pandas as pd

    return pd.DataFrame(self._columns())


_COLOURS = {"error": "#f8d7da", "warning": "#fff3cd", "info": "#e7f1ff"}


def _findings_repr_html(self: Findings, max_rows: int = 60) -> str:
    """Summary line (counts by severity) and the first ``max_rows`` findings, coloured by
    severity, escaped; the rest are counted in a note (all of them: ``to_pandas()``)."""
    from ._display import html_block, html_table

    cols = self._columns()
    n = len(self)
    counts = {sev: 0 for sev in _COLOURS}
    for sev in cols["severity"]:
        counts[sev] = counts.get(sev, 0) + 1
    summary = f"Findings: {n} (" + ", ".join(f"{c} {s}" for s, c in counts.items()) + ")"
    shown = range(min(n, max_rows))
    rows = [
        [
            cols["severity"][i],
            cols["kind"][i],
            cols["first"][i] or "",
            cols["last"][i] or "",
            ", ".join(cols["tasks"][i]),
            cols["subject"][i],
            cols["message_vi"][i],
            cols["message_en"][i],
        ]
        for i in shown
    ]
    styles = [f"background:{_COLOURS.get(cols['severity'][i], '')}" for i in shown]
    header = ["severity", "kind", "first", "last", "tasks", "subject", "thông báo", "message"]
    return html_block(summary, html_table(header, rows, total_rows=n, row_styles=styles))


def _plan_to_pandas(self: Plan) -> Any:
    """The tasks as a pandas DataFrame: id, title, time (as written), start, end, kind,
    kind_hint (the title word an inferred kind was guessed from), assigned (the assignee cell as
    written), leads, supports, resources, depends_on, time_error."""
    import pandas as pd

    return pd.DataFrame(
        {
            "id": [t.id for t in self.tasks],
            "title": [t.title for t in self.tasks],
            "time": [t.time_text for t in self.tasks],
            "start": [t.start for t in self.tasks],
            "end": [t.end for t in self.tasks],
            "kind": [t.kind for t in self.tasks],
            "kind_hint": [t.kind_hint for t in self.tasks],
            "assigned": [t.assigned_text for t in self.tasks],
            "leads": [list(t.leads) for t in self.tasks],
            "supports": [list(t.supports) for t in self.tasks],
            "resources": [list(t.resources) for t in self.tasks],
            "depends_on": [list(t.depends_on) for t in self.tasks],
            "time_error": [t.time_error for t in self.tasks],
        }
    )


def _day_numbers(values: Any, name: str) -> Any:
    import numpy as np

    a = np.asarray(values)
    if a.dtype == object:  # datetime.date objects
        a = np.asarray(values, dtype="datetime64[D]")
    if a.dtype.kind == "M":
        return a.astype("datetime64[D]").view(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer day numbers or dates, not {a.dtype}")
    return a


def find_overloads(
    units: Any,
    starts: Any,
    ends: Any,
    weights: Any = None,
    capacity: float = 1.0,
    *,
    threads: int = 0,
) -> Any:
    """Which tasks are in an overload: a boolean numpy array, True for task i when on some day of
    its half-open period [starts[i], ends[i]) the total weight of the active tasks of its unit
    exceeds `capacity` (at capacity 1 with unit weights: the tasks that overlap another task of
    their unit).

    units: integer unit codes >= 0 (e.g. from pandas.factorize). starts, ends: integer day
    numbers or dates (numpy datetime64, datetime.date); ends are exclusive, so a task ending on
    day d and one starting on d do not overlap. weights: the load of each task (default 1;
    supporting roles weigh less); weights and capacity are rounded to thousandths. Zero-length
    tasks carry no load and are never marked. threads: 0 for the hardware's; the answer does not
    depend on it. Same kernel as Plan.check's overload finding: O(n) (docs/plans.md).

    Raises khuyenhoc.DataError naming the task for arrays of different lengths, an end before
    its start, a negative unit or weight; SpecError for a negative capacity; TypeError for
    non-integer units or days.
    """
    import numpy as np

    u = np.asarray(units)
    if u.dtype.kind not in "iub":
        raise TypeError(f"units must be integer codes, not {u.dtype}")
    s = _day_numbers(starts, "starts")
    e = _day_numbers(ends, "ends")
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    for name, a in (("units", u), ("starts", s), ("ends", e), ("weights", w)):
        if a is not None and a.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional")
    return _core._find_overloads(u, s, e, w, float(capacity), int(threads))
