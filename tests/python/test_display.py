"""Notebook display of the result objects: __repr__, _repr_html_ (escaped, truncated) and
to_pandas on each."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import khuyenhoc as kh
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EVIL = "<script>alert(1)</script>"
CRITERIA = {
    "id": "t",
    "name": "Test " + EVIL,
    "criteria": [
        {
            "id": "hoc_tap",
            "name": "Học tập",
            "indicators": [{"id": "gpa", "column": "gpa", "bands": [{"at_least": 8, "points": 10}]}],
        }
    ],
    "levels": [{"code": "A", "name": "Xuất sắc " + EVIL, "min": 10}, {"code": "B", "name": "Khác"}],
}
RULES = {
    "name": "r",
    "rules": [{"id": "gpa_ok", "when": "gpa >= 8", "reason": "gpa {gpa} of {name} too low"}],
}


def _pool(n: int = 30) -> kh.Pool:
    rng = np.random.default_rng(1)
    gpa = np.round(rng.uniform(6, 10, n), 1)
    gpa[0] = 6.0  # HS000, named <script>, fails the rule: its reason shows the name
    return kh.Pool.from_dict(
        {
            "id": [f"HS{i:03d}" for i in range(n)],
            "name": [EVIL if i == 0 else f"Nguyễn Văn {i}" for i in range(n)],
            "district": ["Lê Chân" if i % 3 else EVIL for i in range(n)],
            "gpa": gpa,
        }
    )


def _rows(html_text: str) -> int:
    return html_text.count("<tr")


def _assert_escaped(text: str) -> None:
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


def test_pool_html_head_schema_escaped_truncated() -> None:
    pool = _pool(30)
    text = pool._repr_html_()
    _assert_escaped(text)
    assert "30 nominees × 4 columns" in text
    assert "gpa (number)" in text and "district (category)" in text
    assert "20 more rows not shown" in text
    # the head table: header + 10 rows; the schema table: header + 4 rows
    assert _rows(text) == 1 + 10 + 1 + 4
    assert len(pool.to_pandas()) == 30


def test_score_table_repr_and_html() -> None:
    pool = _pool(30)
    table = kh.CriteriaSet.from_dict(CRITERIA).score(pool)
    total = np.asarray(table.total)
    assert repr(table).startswith("<khuyenhoc.ScoreTable: 30 nominees, 1 criteria, 1 indicators")
    assert f"max {total.max():g}" in repr(table)
    text = table._repr_html_()
    _assert_escaped(text)
    n_a = int((np.asarray(table.level_index) == 0).sum())
    assert re.search(rf"<td[^>]*>A</td><td[^>]*>Xuất sắc &lt;script&gt;[^<]*</td><td>{n_a}</td>", text)
    assert "20 more rows not shown" in text
    assert list(table.to_pandas()["id"])[:2] == ["HS000", "HS001"]


def test_verdicts_html_funnel_and_rejected_escaped() -> None:
    pool = _pool(40)
    v = kh.Rules.from_dict(RULES).evaluate(pool)
    eligible = int(np.asarray(v.eligible).sum())
    text = v._repr_html_()
    _assert_escaped(text)  # the reason renders the <script> name of HS000
    assert f"{eligible:,} eligible" in text
    assert re.search(rf"<td[^>]*>gpa_ok</td><td[^>]*>reject</td><td>{40 - eligible}</td>", text)
    rejected = 40 - eligible
    shown = min(rejected, 10)
    if rejected > 10:
        assert f"{rejected - 10} more rows not shown" in text
    assert text.count("too low") == shown
    assert len(v.to_pandas()) == 40


def test_selection_html_summary_groups_head() -> None:
    pool = _pool(60)
    table = kh.CriteriaSet.from_dict(CRITERIA).score(pool)
    sel = kh.select(pool, np.asarray(pool["gpa"]), seats=6, per="district")
    text = sel._repr_html_()
    _assert_escaped(text)
    selected = int(sel.table["selected"].sum())
    assert f"Selection: {selected} selected of 60 nominees" in text
    assert "in 2 groups" in text
    assert "cutoff" in text and "Lê Chân" in text
    head = text.split("Danh sách được chọn")[1]
    assert _rows(head) == 1 + min(selected, 10)
    assert repr(sel).startswith("<khuyenhoc.Selection:")
    assert sel.to_pandas() is sel.table
    del table


def test_plan_and_findings_repr_html() -> None:
    plan = kh.Plan.from_csv(str(ROOT / "examples" / "plans" / "thang_khuyen_hoc_2024.csv"), year=2024)
    assert repr(plan).startswith(f"<khuyenhoc.Plan: {len(plan)} tasks")
    text = plan._repr_html_()
    assert _rows(text) == 1 + min(len(plan), 60)
    assert plan.tasks[0].title.split(",")[0] in text
    evil = kh.Plan.from_table(f"TT | Thời gian | Nội dung | Phân công\n1 | 05/9 | {EVIL} | {EVIL}", 2024)
    _assert_escaped(evil._repr_html_())
    findings = evil.check(window=(dt.date(2024, 9, 10), dt.date(2024, 9, 20)))
    assert len(findings) > 0
    assert "<script>" not in findings._repr_html_()
    many = plan.check(window="5/9-5/10", year=2024)
    assert len(many) > 2
    text = many._repr_html_(max_rows=2)
    assert _rows(text) == 1 + 2
    assert f"{len(many) - 2:,} more rows not shown" in text
    assert _rows(many._repr_html_()) == 1 + min(len(many), 60)
    assert len(plan.to_pandas()) == len(plan) and len(findings.to_pandas()) == len(findings)


def test_reprs_do_not_import_pandas() -> None:
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, khuyenhoc as kh\n"
        "p = kh.generate_pool(50, seed=1)\n"
        f"t = kh.CriteriaSet.from_yaml({str(ROOT / 'examples/criteria/honour_pupils.yaml')!r}).score(p)\n"
        f"v = kh.Rules.from_yaml({str(ROOT / 'examples/rules/honour_pupils.yaml')!r}).evaluate(p)\n"
        "for o in (p, t, v): o._repr_html_(); repr(o)\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
