"""khuyenhoc.select: the Python door on the library's selection pipeline (C++ ``run.hpp``).

Arguments are handed to the C++ pipeline as they are; scoring, rules, ranking, seats, reasons,
the result CSV and the report are all made there, so the CLI, Python and C++ give the same bytes.
The keyword arguments have the names of the C++ ``selection_policy`` fields and of the CLI flags
(``group_min`` ↔ ``--group-min``); docs/selection.md has the table.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from . import _core
from ._progress import ProgressArg, reporter

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_OUTCOME_COLUMNS = ["level", "group", "nominees", "eligible", "quota", "selected", "cutoff"]


class Selection:
    """The result of :func:`select`: wraps the C++ run result.

    ``table`` (pandas) has one row per nominee (id, group, score, rank, group_rank, selected,
    level, status, gap, reason, classification); ``outcomes`` (pandas) the seats and cut-off per
    level and group; ``to_csv`` / ``write_report`` write exactly the bytes of the CLI's
    ``--out`` / ``--report``.
    """

    def __init__(self, result: _core._RunResult) -> None:
        self._result = result
        self._table: "pd.DataFrame | None" = None
        self._outcomes: "pd.DataFrame | None" = None

    @property
    def table(self) -> "pd.DataFrame":
        """One row per nominee in pool order (pandas; needs pandas)."""
        if self._table is None:
            self._table = self._result.table.to_pandas()
        return self._table

    @property
    def outcomes(self) -> "pd.DataFrame":
        """Seats and cut-off per level and group (pandas; needs pandas)."""
        if self._outcomes is None:
            import pandas as pd

            self._outcomes = pd.DataFrame(list(self._result.outcomes), columns=_OUTCOME_COLUMNS)
        return self._outcomes

    @property
    def lottery_seed(self) -> int:
        """The seed of the lottery tie-breaker (recorded even when no lottery key is used)."""
        return int(self._result.lottery_seed)

    @property
    def selected_count(self) -> int:
        """Number of nominees selected."""
        return int(self._result.selected_count)

    def summary_json(self) -> str:
        """The summary for machines: one line of JSON, the bytes of the CLI's ``--summary-json``
        and of the C ABI's ``kh_result_summary_json``.

        Keys, in this order: ``nominees``, ``selected``, ``seats`` (seats given, after caps),
        ``levels`` (names), ``funnel`` (per rule in order: ``rule``, ``warn_only``, ``failed``,
        ``unknown``, ``remaining``; ``null`` without a rule set), ``groups`` (per level and
        group: ``group``, ``level``, ``nominees``, ``eligible``, ``quota``, ``selected``,
        ``cap`` and ``cutoff``, ``null`` when none) and ``lottery_seed`` (``null`` without a
        lottery tie-breaker). Read it with ``json.loads``.
        """
        return str(self._result.summary_json())

    def __len__(self) -> int:
        return len(self._result)

    def __str__(self) -> str:
        return str(self._result.summary())

    def __repr__(self) -> str:
        return (
            f"<khuyenhoc.Selection: {self.selected_count} selected of {len(self)} nominees>"
        )

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The per-nominee table as an Arrow C stream (PyCapsule protocol): ``pyarrow.table(sel)``,
        ``polars.DataFrame(sel)``, DuckDB take it without copying numeric columns."""
        return self._result.table.__arrow_c_stream__(requested_schema)

    def to_pool(self) -> _core.Pool:
        """The per-nominee table as a :class:`Pool` (no copy)."""
        return self._result.table

    def to_pandas(self) -> "pd.DataFrame":
        """The result table: one row per nominee (``table``)."""
        return self.table

    def to_csv(self, path: "str | os.PathLike[str] | None" = None) -> "str | None":
        """Writes the result CSV to ``path`` atomically (exactly the bytes of the CLI's ``--out``)
        or, without a path, returns it as text."""
        if path is None:
            return bytes(self._result.csv()).decode("utf-8")
        self._result.write(os.fspath(path), "")
        return None

    def report_html(self) -> str:
        """The selection report: one self-contained HTML5 document for the review council
        (exactly the bytes of the CLI's ``--report``). Report options (title, organisation,
        place, date, ...) are given to :func:`select`."""
        return str(self._result.report_html())

    def write_report(self, path: "str | os.PathLike[str]") -> None:
        """Writes :meth:`report_html` to ``path`` atomically."""
        self._result.write("", os.fspath(path))

    def write(
        self, out: "str | os.PathLike[str]", report: "str | os.PathLike[str] | None" = None
    ) -> None:
        """Writes the result CSV and the report together: both or neither replace the old
        files; an output that is one of the run's input files is refused."""
        self._result.write(os.fspath(out), "" if report is None else os.fspath(report))

    def reselect(self, **options: Any) -> "Selection":
        """The same scores and eligibility selected with other options (same names as
        :func:`select`'s selection options); scoring and rules are not run again."""
        return Selection(self._result.reselect(_policy_options(**options)))

    def _repr_html_(self) -> str:
        from ._display import selection_repr_html

        return selection_repr_html(self)


def _param_text(value: Any) -> str:
    """A parameter value as the CLI would write it (dates dd/mm/yyyy)."""
    import datetime as _dt

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _policy_options(
    *,
    seats: int = 0,
    per: str | None = None,
    mode: str | None = None,
    method: str = "largest_remainder",
    min_score: float | None = None,
    ties: str = "break",
    order: Sequence[str] | str = (),
    levels: Sequence[tuple[str, int] | tuple[str, int, float]] | None = None,
    fixed: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    weigh_eligible: bool = False,
    group_min: int = 0,
    group_max: int | None = None,
    cap_share: float | None = None,
    cap_base: Mapping[str, float] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    return {
        "seats": seats,
        "per": per,
        "mode": mode,
        "method": method,
        "min_score": min_score,
        "ties": ties,
        "order": [order] if isinstance(order, str) else list(order),
        "levels": [tuple(level) for level in levels] if levels else None,
        "fixed": dict(fixed) if fixed else None,
        "weights": dict(weights) if weights else None,
        "weigh_eligible": weigh_eligible,
        "group_min": group_min,
        "group_max": group_max,
        "cap_share": cap_share,
        "cap_base": dict(cap_base) if cap_base else None,
        "seed": seed,
    }


def select(
    pool: "_core.Pool | str | os.PathLike[str]",
    criteria: Any = None,
    rules: Any = None,
    *,
    seats: int = 0,
    per: str | None = None,
    mode: str | None = None,
    method: str = "largest_remainder",
    min_score: float | None = None,
    ties: str = "break",
    order: Sequence[str] | str = (),
    levels: Sequence[tuple[str, int] | tuple[str, int, float]] | None = None,
    fixed: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    weigh_eligible: bool = False,
    group_min: int = 0,
    group_max: int | None = None,
    cap_share: float | None = None,
    cap_base: Mapping[str, float] | None = None,
    seed: int = 0,
    id: str = "id",
    threads: int = 0,
    title: str | None = None,
    organisation: str | None = None,
    governing_body: str | None = None,
    place: str | None = None,
    date: str | None = None,
    name_column: str = "full_name",
    signatures: Sequence[str] | None = None,
    report_time: bool = False,
    inputs: Mapping[str, "str | os.PathLike[str]"] | None = None,
    params: Mapping[str, Any] | None = None,
    progress: ProgressArg = False,
) -> Selection:
    """Scores, checks the rules, ranks and selects: the library's whole pipeline in one call.

    ``pool`` is a :class:`Pool` or a CSV path (read with id column ``id``). ``criteria`` is a
    :class:`CriteriaSet` or a path to one, or precomputed scores (a :class:`ScoreTable`, or an
    array of totals with NaN for "no score"). ``rules`` is a :class:`Rules` or a path to one,
    precomputed :class:`Verdicts`, a boolean array, or None (everyone eligible).

    Selection options (the names of the C++ ``selection_policy`` fields and of the CLI flags):
    ``seats``; ``per`` (group column); ``mode`` ("global", "apportion" or "fixed"; default
    "fixed" with ``fixed``, "apportion" with ``per``, else "global"); ``method``
    ("largest_remainder", "dhondt", "sainte_lague"); ``min_score``; ``ties`` ("break",
    "include", "exclude"); ``order`` (tie-breakers: "gpa desc", "name:full_name", "lottery");
    ``levels`` ([("Giải Nhất", 10), ("Giải Nhì", 30, 80.0)]); ``fixed`` ({group: seats});
    ``weights``; ``weigh_eligible``; ``group_min``; ``group_max``; ``cap_share`` (0–1);
    ``cap_base``; ``seed``. Report options: ``title``, ``organisation``, ``governing_body``,
    ``place``, ``date``, ``name_column``, ``signatures``, ``report_time``; ``inputs`` maps a role
    to a file listed with its SHA-256 in the report (paths given for ``pool``, ``criteria`` and
    ``rules`` are listed by themselves). ``params`` gives values to parameters the criteria or
    rule set declare (``{"window_end": "31/08/2025"}``; dates also as ``datetime.date``), as the
    CLI's ``--param``. ``progress``: see :mod:`khuyenhoc` (phases "reading" and "selecting").

    A ``pool`` given as a file is read with only the columns the run uses (the criteria's and
    rules' columns, ``per``, ``order``, ``name_column`` and the id), as the CLI reads it: the
    result's ``input`` pool has those columns; read the file with :func:`read_csv` and pass the
    Pool to keep them all.

    Raises :class:`khuyenhoc.SpecError` listing every problem of the options at once.
    """
    report = reporter(progress, "select")
    files: dict[str, str] = {}
    pool_path = None
    if isinstance(pool, (str, os.PathLike)):
        files["pool"] = pool_path = os.fspath(pool)
    if isinstance(criteria, (str, os.PathLike)):
        files["criteria"] = os.fspath(criteria)
        criteria = _core.CriteriaSet.from_file(files["criteria"])
    if isinstance(rules, (str, os.PathLike)):
        files["rules"] = os.fspath(rules)
        rules = _core.Rules.from_file(files["rules"])
    for role, path in (inputs or {}).items():
        files[str(role)] = os.fspath(path)
    options = _policy_options(
        seats=seats, per=per, mode=mode, method=method, min_score=min_score, ties=ties,
        order=order, levels=levels, fixed=fixed, weights=weights, weigh_eligible=weigh_eligible,
        group_min=group_min, group_max=group_max, cap_share=cap_share, cap_base=cap_base,
        seed=seed,
    )
    report_options = {
        "title": title,
        "organisation": organisation,
        "governing_body": governing_body,
        "place": place,
        "date": date,
        "name_column": name_column,
        "signatures": list(signatures) if signatures is not None else None,
        "report_time": report_time,
    }
    if pool_path is not None:
        # Only the columns the run reads, as the CLI does (run_spec::pool_columns); a column
        # the run names that the file lacks is then reported by the run itself.
        from ._pool import _read_csv

        columns = _core._run_columns(criteria, rules, options, report_options)
        pool = _read_csv(pool_path, progress, id=id, columns=columns, ignore_missing_columns=True)
    n = len(pool)
    if report is not None:
        report("selecting", 0, n)
    result = _core._run_select(
        pool, criteria, rules, options, report_options, list(files.items()), threads,
        [(str(k), _param_text(v)) for k, v in (params or {}).items()],
    )
    if report is not None:
        report("selecting", n, n)
    return Selection(result)
