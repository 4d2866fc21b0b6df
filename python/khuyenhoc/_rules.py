"""Convenience methods of Rules and Verdicts written in Python (dict input, pandas output).
The logic lives in C++: these only convert."""

from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any

import numpy as np

from . import _core
from ._core import Pool, Rules, Verdicts

STATUS_NAMES = ("pass", "fail", "unknown", "not_applicable")


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.date):  # parameters: dates as dd/mm/yyyy
        return value.strftime("%d/%m/%Y")
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot use {type(value).__name__} in a rule set")


def rules_from_dict(d: dict[str, Any], params: dict[str, Any] | None = None) -> Rules:
    """A rule set from a Python dict shaped like the YAML format (see docs/rules.md); ``params``
    replaces values of the parameters it declares."""
    # JSON is YAML: the one C++ reader checks keys and values. Numbers stay numbers; strings
    # are quoted, so decision-table labels stay labels.
    return Rules.from_text(
        json.dumps(d, ensure_ascii=False, default=_json_default), "<dict>", params=params
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value != value:  # NaN, NaT
        return ""
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, _dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value.astype("datetime64[D]"))
    text = str(value)
    return "" if text in ("NaT", "nan", "None") else text


def with_achievements(
    pool: Pool,
    table: Any,
    *,
    id: str = "id",
    level: str = "level",
    prize: str | None = "prize",
    date: str | None = "date",
    name: str = "achievements",
) -> Pool:
    """The pool with a list column ``name`` of each nominee's achievements from a long table
    (one row per achievement: a pandas DataFrame, a dict of columns, or a CSV path with a
    header). Items read ``"Tỉnh - Giải Nhì@15/03/2024"`` (level, prize, date), so rules and
    criteria filter them with ``date_of(it)``, ``level_of(it)`` and ``prize_of(it)``.
    ``prize``/``date`` name optional columns (None: absent; a default name that the table does
    not have is skipped). Ids not in the pool, empty levels and malformed dates raise DataError
    with the table's line (see docs/rules.md)."""
    if isinstance(table, (str, os.PathLike)):
        # Read by the C++ library (separator, quotes, BOM; errors name the file and line).
        return _core._with_achievements_csv(
            pool, os.fspath(table), id, level, prize or "", date or "", name
        )
    file, first_line = "<DataFrame>", 1  # line = 1-based row of the table
    if isinstance(table, dict):
        file = "<dict>"
        columns = {k: list(v) for k, v in table.items()}
    else:  # a DataFrame
        columns = {str(k): table[k].tolist() for k in table.columns}

    def column(key: str | None, default: str | None, required: bool) -> list[str]:
        if key is None:
            return []
        if key not in columns:
            if not required and key == default:
                return []
            known = ", ".join(columns)
            raise KeyError(f"{file}: the achievements table has no column {key!r} (columns: {known})")
        return [_cell(v) for v in columns[key]]

    ids = column(id, "id", True)
    return _core._with_achievements(
        pool,
        ids,
        column(level, "level", True),
        column(prize, "prize", False),
        column(date, "date", False),
        file,
        first_line,
        name,
    )


def verdicts_to_pandas(self: Verdicts, reasons: bool = True) -> Any:
    """One row per nominee: id, eligible, one status column per rule (categorical pass / fail /
    unknown / not_applicable), the rendered reasons joined by "; ", and table outputs."""
    import pandas as pd

    out: dict[str, Any] = {"id": self.ids, "eligible": np.asarray(self.eligible)}
    status = np.asarray(self.status)
    cats = pd.CategoricalDtype(list(STATUS_NAMES))
    for k, rule in enumerate(self.rule_ids):
        out[rule] = pd.Categorical.from_codes(status[:, k].astype(np.int64), dtype=cats)
    for table_id, t in self.tables.items():
        out[t["output"]] = t["value"]
    if reasons:
        per_rule = [self.reasons_of(rule) for rule in self.rule_ids]
        joined = []
        for row in range(len(self)):
            texts = [r[row] for r in per_rule if r[row]]
            joined.append("; ".join(texts))
        out["reasons"] = joined
    return pd.DataFrame(out)
