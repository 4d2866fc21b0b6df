"""Criteria scoring conveniences written in Python over the C++ core: CriteriaSet.from_dict,
ScoreTable.to_pandas, and aggregate_panel over pandas / sequences. No scoring logic lives here."""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def criteria_from_dict(
    spec: Mapping[str, Any], params: Mapping[str, Any] | None = None
) -> _core.CriteriaSet:
    """A CriteriaSet from a dict shaped like the YAML format (docs/criteria.md); ``params``
    replaces values of the parameters it declares.

    The dict is written as JSON (which the YAML reader accepts), so errors name the key and the
    line of that JSON text.
    """
    if not isinstance(spec, Mapping):
        raise TypeError("CriteriaSet.from_dict expects a mapping")
    text = json.dumps(spec, ensure_ascii=False, indent=1, allow_nan=True, default=_plain)
    return _core.CriteriaSet.from_yaml_text(
        text, "<dict>", params=None if params is None else dict(params)
    )


def _plain(value: Any) -> Any:
    # numpy scalars and arrays in a spec dict; dates (parameters) as dd/mm/yyyy
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, _dt.date):
        return value.strftime("%d/%m/%Y")
    raise TypeError(f"cannot use {type(value).__name__} in a criteria set")


def score_table_to_pandas(table: _core.ScoreTable) -> "pd.DataFrame":
    """One row per nominee: id, total, level (code), level_name, unclassifiable, reason,
    mandatory_met, then `subtotal.<criterion id>` and `points.<indicator id>` columns.

    Numeric columns are built from the table's arrays (pandas may copy them into its blocks).
    """
    import pandas as pd

    data: dict[str, Any] = {
        table.id_column: table.ids,
        "total": np.asarray(table.total),
        "level": pd.Categorical(table.level, categories=table.level_codes, ordered=True),
        "level_name": table.level_name,
        "unclassifiable": np.asarray(table.unclassifiable),
        "reason": table.reasons,
        "mandatory_met": np.asarray(table.mandatory_met),
    }
    subtotals = table.subtotals
    for j, cid in enumerate(table.criterion_ids):
        data[f"subtotal.{cid}"] = subtotals[:, j]
    points = table.points
    for k, iid in enumerate(table.indicator_ids):
        data[f"points.{iid}"] = points[:, k]
    return pd.DataFrame(data)


def aggregate_panel(
    scores: Any = None,
    *,
    judge: Sequence[Any] | None = None,
    nominee: Sequence[Any] | None = None,
    indicator: Sequence[Any] | None = None,
    score: Sequence[float] | None = None,
    method: str = "mean",
    min_judges: int = 1,
    calibration: str = "none",
    measure: str = "range",
    threshold: float = math.inf,
) -> Any:
    """Aggregates a review council's scores (long form: judge, nominee, indicator, score).

    Pass a DataFrame (or mapping) with those four columns as `scores`, or the four sequences as
    keywords. Returns a DataFrame when pandas is installed (else a dict of arrays) with one row
    per (nominee, indicator), sorted: nominee, indicator, score (NaN when fewer than
    `min_judges`), judges, spread, enough, disagree. See docs/criteria.md.
    """
    if scores is not None:
        judge, nominee, indicator, score = (
            scores["judge"],
            scores["nominee"],
            scores["indicator"],
            scores["score"],
        )
    if judge is None or nominee is None or indicator is None or score is None:
        raise TypeError("aggregate_panel needs judge, nominee, indicator and score")
    out = _core._aggregate_panel(
        [str(x) for x in judge],
        [str(x) for x in nominee],
        [str(x) for x in indicator],
        np.asarray(score, dtype=np.float64).tolist(),
        method,
        int(min_judges),
        calibration,
        measure,
        float(threshold),
    )
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        return out
    return pd.DataFrame(out)
