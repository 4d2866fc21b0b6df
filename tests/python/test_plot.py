"""khuyenhoc.plot helpers, drawn with the Agg backend; the artists are checked (bars, labels)."""

from __future__ import annotations

from pathlib import Path

import khuyenhoc as kh
import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from khuyenhoc import plot as khplot  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def job() -> tuple[kh.Pool, kh.ScoreTable, kh.Verdicts, kh.Selection]:
    pool = kh.generate_pool(3000, seed=7)
    scores = kh.CriteriaSet.from_yaml(EXAMPLES / "criteria" / "honour_pupils.yaml").score(pool)
    verdicts = kh.Rules.from_yaml(str(EXAMPLES / "rules" / "honour_pupils.yaml")).evaluate(pool)
    sel = kh.select(pool, scores, verdicts, seats=60, per="district")
    return pool, scores, verdicts, sel


def _bars(ax: object) -> list[object]:
    from matplotlib.patches import Rectangle

    return [p for p in ax.patches if isinstance(p, Rectangle)]  # type: ignore[attr-defined]


def test_score_distribution_counts_every_total(job) -> None:  # type: ignore[no-untyped-def]
    _, scores, _, _ = job
    fig, ax = plt.subplots()
    out = khplot.score_distribution(scores, ax=ax, bins=12, marks={"sàn": 50})
    assert out is ax
    bars = _bars(ax)
    assert len(bars) == 12
    total = np.asarray(scores.total)
    assert sum(b.get_height() for b in bars) == int((~np.isnan(total)).sum())
    assert ax.get_xlabel().startswith("Tổng điểm")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "sàn: 50" in labels
    missing = int(np.isnan(total).sum())
    assert (f"{missing:,} without a total" in labels) == (missing > 0)
    plt.close(fig)


def test_score_distribution_by_level_stacks_levels(job) -> None:  # type: ignore[no-untyped-def]
    _, scores, _, _ = job
    ax = khplot.score_distribution(scores, bins=10, by_level=True)
    index = np.asarray(scores.level_index)
    present = ~np.isnan(np.asarray(scores.total))
    levels = [n for k, n in enumerate(scores.level_names) if (present & (index == k)).any()]
    if (present & (index < 0)).any():
        levels.append("không xếp loại (no level)")
    assert len(_bars(ax)) == 10 * len(levels)
    assert [t.get_text() for t in ax.get_legend().get_texts()][: len(levels)] == levels
    plt.close(ax.figure)


def test_score_distribution_of_array_and_selection(job) -> None:  # type: ignore[no-untyped-def]
    _, _, _, sel = job
    ax = khplot.score_distribution(np.array([1.0, 2.0, np.nan, 2.5]), bins=3)
    assert [b.get_height() for b in _bars(ax)] == [1, 0, 2]
    plt.close(ax.figure)
    ax = khplot.score_distribution(sel, bins=5)
    assert sum(b.get_height() for b in _bars(ax)) == int(sel.table["score"].notna().sum())
    plt.close(ax.figure)


def test_seats_and_cutoffs_one_bar_pair_per_group(job) -> None:  # type: ignore[no-untyped-def]
    _, _, _, sel = job
    out = sel.outcomes
    fig, ax = plt.subplots()
    assert khplot.seats_and_cutoffs(sel, ax=ax) is ax
    groups = list(out["group"])
    bars = _bars(ax)
    assert len(bars) == 2 * len(groups)
    assert [t.get_text() for t in ax.get_xticklabels()] == groups
    assert [b.get_height() for b in bars[: len(groups)]] == list(out["quota"])
    assert [b.get_height() for b in bars[len(groups) :]] == list(out["selected"])
    (line,) = ax.cutoff_axes.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), out["cutoff"].to_numpy(dtype=float))
    plt.close(fig)


def test_seats_and_cutoffs_sorted_and_levels(job) -> None:  # type: ignore[no-untyped-def]
    pool, scores, verdicts, _ = job
    sel = kh.select(
        pool, scores, verdicts, per="district", levels=[("Giải Nhất", 10), ("Giải Nhì", 20)]
    )
    ax = khplot.seats_and_cutoffs(sel, sort="cutoff")
    (line,) = ax.cutoff_axes.get_lines()
    cut = np.asarray(line.get_ydata(), dtype=float)
    finite = cut[~np.isnan(cut)]
    assert list(finite) == sorted(finite, reverse=True)
    quota = sel.outcomes.groupby("group", sort=False)["quota"].sum()
    assert sum(b.get_height() for b in _bars(ax)[: len(quota)]) == quota.sum() == 30
    plt.close(ax.figure)
    ax = khplot.seats_and_cutoffs(sel, level="Giải Nhất")
    assert sum(b.get_height() for b in _bars(ax)[: len(quota)]) == 10
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="no level"):
        khplot.seats_and_cutoffs(sel, level="Giải Ba")
    with pytest.raises(ValueError, match="sort"):
        khplot.seats_and_cutoffs(sel, sort="size")


def test_rejection_reasons_total_and_funnel(job) -> None:  # type: ignore[no-untyped-def]
    _, _, verdicts, _ = job
    status = np.asarray(verdicts.status)
    fig, (a, b) = plt.subplots(1, 2)
    assert khplot.rejection_reasons(verdicts, ax=a) is a
    rules = list(verdicts.rule_ids)
    bars = _bars(a)
    assert len(bars) == 2 * len(rules)
    assert [t.get_text() for t in a.get_yticklabels()] == rules
    assert [r.get_width() for r in bars[: len(rules)]] == list((status == 1).sum(axis=0))
    assert [r.get_width() for r in bars[len(rules) :]] == list((status == 2).sum(axis=0))
    khplot.rejection_reasons(verdicts.funnel, ax=b, mode="funnel", rule_labels={rules[0]: "R1"})
    assert [r.get_width() for r in _bars(b)[: len(rules)]] == [f["failed"] for f in verdicts.funnel]
    assert b.get_yticklabels()[0].get_text() == "R1"
    plt.close(fig)
    with pytest.raises(TypeError, match="needs a Verdicts"):
        khplot.rejection_reasons(verdicts.funnel)
    with pytest.raises(ValueError, match="mode"):
        khplot.rejection_reasons(verdicts, mode="sum")
