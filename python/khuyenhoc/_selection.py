"""khuyenhoc.select: the Python face of the C++ selection engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class Selection:
    """A selection: one row per nominee (``table``), seats and cut-offs per group (``outcomes``)."""

    def __init__(self, table: "pd.DataFrame", outcomes: "pd.DataFrame", seed: int, text: str) -> None:
        self.table = table
        self.outcomes = outcomes
        self.lottery_seed = seed
        self._text = text

    def __len__(self) -> int:
        return len(self.table)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        selected = int(self.table["selected"].sum())
        return f"<khuyenhoc.Selection: {selected} selected of {len(self.table)} nominees>"

    def to_pandas(self) -> "pd.DataFrame":
        return self.table

    def _repr_html_(self) -> str:
        return self.outcomes.to_html(index=False)


def select(
    pool: _core.Pool,
    scores: Any,
    eligibility: Any = None,
    *,
    seats: int = 0,
    per: str | None = None,
    quota: str | None = None,
    method: str = "largest_remainder",
    min_score: float | None = None,
    ties: str = "break",
    order: Sequence[str] = (),
    levels: Sequence[tuple[str, int] | tuple[str, int, float]] | None = None,
    fixed_quotas: Mapping[str, int] | None = None,
    group_weights: Mapping[str, float] | None = None,
    weight_eligible_only: bool = False,
    minimum: int = 0,
    maximum: int | None = None,
    cap_share: float | None = None,
    cap_base: Mapping[str, float] | None = None,
    seed: int = 0,
    reasons: Sequence[str] | None = None,
) -> Selection:
    """Ranks and selects nominees; every nominee appears in the result.

    ``scores`` is a numpy array of totals (NaN: no score) or a score table with ``.total``;
    ``eligibility`` a boolean array or a rule evaluation with ``.eligible`` (its rendered reasons
    are used), or None (everyone eligible). ``per`` names the group column; ``quota`` is
    "global" (default without ``per``), "apportion" (default with ``per``: ``seats`` shared by
    ``method`` in proportion to group sizes or ``group_weights``) or "fixed" (``fixed_quotas``).
    ``order`` lists tie-breakers after the score ("gpa desc", "date_of_birth", "name:full_name",
    "lottery"); the id always ends the order. ``ties`` is "break", "include" or "exclude".
    ``levels`` fills award levels in cascade: [("Giải Nhất", 10), ("Giải Nhì", 30)].
    """
    import pandas as pd

    score_arr = np.array(getattr(scores, "total", scores), dtype=np.float64)
    notes = None
    score_reasons = getattr(scores, "reasons", None)
    if score_reasons is not None and not callable(score_reasons):
        # A score table: unclassifiable nominees have no total; their reason explains why.
        notes = ["" if r is None else str(r) for r in score_reasons]
        score_arr[np.array([r is not None for r in score_reasons], dtype=bool)] = np.nan
    elig = None
    why = list(reasons) if reasons is not None else None
    if eligibility is not None:
        elig = np.asarray(getattr(eligibility, "eligible", eligibility), dtype=bool)
        rule_ids = getattr(eligibility, "rule_ids", None)
        if why is None and rule_ids is not None and hasattr(eligibility, "reasons_of"):
            # Rendered reasons of every rule (vectorised per rule), joined for the rejected.
            per_rule = [eligibility.reasons_of(rule) for rule in rule_ids]
            why = [
                "" if elig[i] else "; ".join(r[i] for r in per_rule if r[i])
                for i in range(len(elig))
            ]
    if quota is None:
        quota = "apportion" if per else "global"
    options: dict[str, Any] = {
        "per": per,
        "quota": quota,
        "seats": int(seats),
        "method": method,
        "min_score": min_score,
        "ties": ties,
        "order": list(order),
        "fixed_quotas": dict(fixed_quotas) if fixed_quotas else None,
        "group_weights": dict(group_weights) if group_weights else None,
        "weight_eligible_only": weight_eligible_only,
        "minimum": minimum,
        "maximum": maximum,
        "cap_share": cap_share,
        "cap_base": dict(cap_base) if cap_base else None,
        "levels": [tuple(level) for level in levels] if levels else None,
        "seed": seed,
    }
    result, outcomes, used_seed, text = _core._select(pool, score_arr, elig, why, notes, options)
    table = result.to_pandas()
    out = pd.DataFrame(
        outcomes,
        columns=["level", "group", "nominees", "eligible", "quota", "selected", "cutoff"],
    )
    return Selection(table, out, used_seed, text)
