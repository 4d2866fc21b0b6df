"""khuyenhoc.select: the Python face of the C++ selection engine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from . import _core
from ._report import ReportContext, report_html
from ._progress import ProgressArg, reporter

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
        """The result table: one row per nominee (``table``)."""
        return self.table

    _report_context: "ReportContext | None" = None

    def report_html(
        self,
        *,
        inputs: "Mapping[str, str | os.PathLike[str]] | None" = None,
        criteria: "_core.CriteriaSet | None" = None,
        rules: "_core.Rules | None" = None,
        title: str | None = None,
        organisation: str = "",
        signatures: Sequence[str] | None = None,
        name_column: str | None = "full_name",
        generated_at: str | bool | None = None,
    ) -> str:
        """The selection report: one self-contained HTML5 document for the review council.

        Lists the inputs with their SHA-256 checksums, the criteria and rule sets (name,
        version), the parameters, the eligibility funnel, seats and cut-offs per group, the
        row-conservation counts, the selected list and signature boxes. The same inputs give
        the same bytes. Options (all keyword, all optional): ``inputs`` maps a role ("pool",
        "criteria", "rules" or any label) to a file path, hashed with :mod:`hashlib`;
        ``criteria`` (:class:`CriteriaSet`) and ``rules`` (:class:`Rules`) give set names,
        versions and rule descriptions; ``title``, ``organisation``, ``signatures`` (roles);
        ``name_column`` (default "full_name", used when the pool has it); ``generated_at``
        (a string, or True for the current UTC time; default: none).
        """
        return report_html(
            self,
            inputs=inputs,
            criteria=criteria,
            rules=rules,
            title=title,
            organisation=organisation,
            signatures=signatures,
            name_column=name_column,
            generated_at=generated_at,
        )

    def write_report(self, path: "str | os.PathLike[str]", **options: Any) -> None:
        """Writes :meth:`report_html` to ``path`` (UTF-8); options as for :meth:`report_html`."""
        Path(path).write_bytes(self.report_html(**options).encode("utf-8"))

    def _repr_html_(self) -> str:
        from ._display import selection_repr_html

        return selection_repr_html(self)


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
    progress: ProgressArg = False,
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
    ``progress`` (off by default): True shows a bar (tqdm) or a stderr line; a callable
    ``f(phase, done, total)`` gets phases "reasons" (joining the rule reasons of the rejected),
    "selecting" (ranking and seats) and "result" (the result table), each counted in nominees
    and ending with done == total == len(pool).
    """
    import pandas as pd

    report = reporter(progress, "select")
    n = len(pool)

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
            if report is not None:
                report("reasons", 0, len(elig))
            per_rule = [eligibility.reasons_of(rule) for rule in rule_ids]
            why = []
            step = max(len(elig) // 20, 1)
            for i in range(len(elig)):
                why.append("" if elig[i] else "; ".join(r[i] for r in per_rule if r[i]))
                if report is not None and (i + 1) % step == 0:
                    report("reasons", i + 1, len(elig))
            if report is not None and len(elig) % step != 0:
                report("reasons", len(elig), len(elig))
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
    if report is not None:
        report("selecting", 0, n)
    result, outcomes, used_seed, text, core = _core._select(
        pool, score_arr, elig, why, notes, options
    )
    if report is not None:
        report("selecting", n, n)
        report("result", 0, n)
    table = result.to_pandas()
    out = pd.DataFrame(
        outcomes,
        columns=["level", "group", "nominees", "eligible", "quota", "selected", "cutoff"],
    )
    if report is not None:
        report("result", n, n)
    selection = Selection(table, out, used_seed, text)
    selection._report_context = ReportContext(core, pool, scores, eligibility, per)
    return selection
