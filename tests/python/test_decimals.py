"""Grades as schools write them: decimals compare, round and add up as on paper; parameters;
dated achievements (docs/rules.md "Decimals", docs/criteria.md "Precision")."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import khuyenhoc as kh

ROOT = Path(__file__).resolve().parents[2]

# A grade with one or two decimals, 0.00 .. 10.00, as hundredths.
hundredths = st.integers(min_value=0, max_value=1000)
tenths = st.integers(min_value=0, max_value=100).map(lambda t: t * 10)


def grades_pool(rows: list[list[int]]) -> kh.Pool:
    k = len(rows[0])
    cols: dict[str, object] = {"id": [f"N{i}" for i in range(len(rows))]}
    for j in range(k):
        cols[f"g{j}"] = [r[j] / 100 for r in rows]
    return kh.Pool.from_dict(cols)


def test_average_exactly_at_the_threshold() -> None:
    pool = kh.Pool.from_dict(
        {"id": ["A", "B"], "toan": [8.7, 8.6], "van": [8.1, 8.1], "anh": [8.7, 8.7]}
    )
    assert (8.7 + 8.1 + 8.7) / 3 < 8.5  # the doubles
    assert kh.evaluate("(toan + van + anh) / 3 >= 8.5", pool).tolist() == [True, False]
    assert kh.evaluate("avg(toan, van, anh) == 8.5", pool).tolist() == [True, False]
    assert kh.evaluate("toan + van + anh == 25.5", pool).tolist() == [True, False]
    rules = kh.Rules.from_dict(
        {
            "params": {"nguong": 8.5},
            "rules": [
                {
                    "id": "tb",
                    "when": "avg(toan, van, anh) >= nguong",
                    "reason": "Trung bình {avg(toan, van, anh)} dưới {nguong}",
                }
            ],
        }
    )
    v = rules.evaluate(pool)
    assert v.eligible.tolist() == [True, False]
    assert v.reasons("B") == ["Trung bình 8,466667 dưới 8,5"]
    # The same average in a criteria band.
    crit = kh.CriteriaSet.from_dict(
        {
            "indicators": [
                {
                    "id": "tb",
                    "value": "avg(toan, van, anh)",
                    "bands": [{"at_least": 8.5, "points": 10}, {"at_least": 8, "points": 5}],
                }
            ]
        }
    )
    assert np.asarray(crit.score(pool).total).tolist() == [10.0, 5.0]


@settings(max_examples=150, deadline=None)
@given(
    k=st.integers(min_value=1, max_value=8),
    data=st.data(),
    threshold=tenths,
)
def test_sums_and_averages_compare_as_fractions(k: int, data: st.DataObject, threshold: int) -> None:
    grade = data.draw(st.sampled_from([hundredths, tenths]))
    rows = data.draw(st.lists(st.lists(grade, min_size=k, max_size=k), min_size=1, max_size=30))
    pool = grades_pool(rows)
    names = [f"g{j}" for j in range(k)]
    t = Fraction(threshold, 100)
    total = " + ".join(names)
    ge = kh.evaluate(f"({total}) / {k} >= {threshold / 100}", pool).tolist()
    eq = kh.evaluate(f"avg({', '.join(names)}) == {threshold / 100}", pool).tolist()
    lt = kh.evaluate(f"{total} < {k} * {threshold / 100}", pool).tolist()
    rounded = kh.evaluate(f"round(avg({', '.join(names)}), 1)", pool)
    for r, row in enumerate(rows):
        exact = Fraction(sum(row), 100 * k)
        assert ge[r] == (exact >= t), (row, threshold)
        assert eq[r] == (exact == t), (row, threshold)
        assert lt[r] == (exact * k < t * k), (row, threshold)
        with localcontext() as ctx:
            ctx.prec = 50
            want = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
        assert rounded[r] == float(want), (row, rounded[r], want)


@settings(max_examples=100, deadline=None)
@given(
    points=st.lists(st.lists(hundredths, min_size=3, max_size=3), min_size=2, max_size=20),
    precision=st.integers(min_value=2, max_value=6),
)
def test_criteria_totals_are_the_doubles_of_their_decimals(
    points: list[list[int]], precision: int
) -> None:
    # Each indicator passes its value through as points (a one-value band per value would be
    # long; linear 0..1000 → 0..10 is exact for hundredths).
    pool = grades_pool(points)
    crit = kh.CriteriaSet.from_dict(
        {
            "precision": precision,
            "indicators": [
                {"id": f"i{j}", "column": f"g{j}", "linear": {"min": 0, "max": 10, "points": 10}}
                for j in range(3)
            ],
        }
    )
    total = np.asarray(crit.score(pool).total)
    for r, row in enumerate(points):
        exact = Decimal(sum(row)) / 100
        assert total[r] == float(exact), (row, total[r])  # bit-identical
    # Totals equal on paper are equal doubles, whatever the order of the addends.
    swapped = grades_pool([[r[2], r[0], r[1]] for r in points])
    assert np.array_equal(np.asarray(crit.score(swapped).total), total)


def test_bundled_example_totals_add_up_as_decimals() -> None:
    pool = kh.read_csv(str(ROOT / "examples" / "pool.csv"))
    crit = kh.CriteriaSet.from_yaml(ROOT / "examples" / "criteria" / "honour_pupils.yaml")
    assert crit.precision == 6
    table = crit.score(pool)
    total = np.asarray(table.total)
    for row in range(len(pool)):
        e = table.explain(row)
        # Every number that leaves the scorer is the double of a decimal with <= 6 places.
        assert Decimal(repr(float(total[row]))).as_tuple().exponent >= -6
        children: dict[str, Decimal] = {}
        for ind in e.indicators:
            children.setdefault(ind["criterion"], Decimal(0))
            children[ind["criterion"]] += Decimal(repr(ind["points"]))
        for c in e.criteria:  # post-order: children first
            s = children.get(c["id"], Decimal(0))
            # Sums of 6-decimal values are exact at 6 decimals: no rounding noise is left.
            assert Decimal(repr(c["sum"])) == s, (e.id, c)
            if not c["capped"]:
                assert Decimal(repr(c["points"])) == s * Decimal(repr(c["weight"])), (e.id, c)
            children.setdefault(c["parent"], Decimal(0))
            children[c["parent"]] += Decimal(repr(c["points"]))
        top = children.get("", Decimal(0))
        assert Decimal(repr(float(total[row]))) == min(top, Decimal(100)), e.id


def test_params_from_yaml_python_and_assignments(tmp_path: Path) -> None:
    rules_file = tmp_path / "r.yaml"
    rules_file.write_text(
        "params:\n  window_start: 01/09/2023\n  window_end: 31/08/2024\n  threshold: 8.5\n"
        "rules:\n  - id: han\n    when: submitted_on between window_start and window_end\n",
        encoding="utf-8",
    )
    pool = kh.Pool.from_dict(
        {"id": ["A", "B"], "submitted_on": [dt.date(2024, 3, 1), dt.date(2024, 10, 1)]}
    )
    rules = kh.Rules.from_yaml(rules_file)
    assert rules.params == {
        "window_start": dt.date(2023, 9, 1),
        "window_end": dt.date(2024, 8, 31),
        "threshold": 8.5,
    }
    assert rules.evaluate(pool).eligible.tolist() == [True, False]
    later = kh.Rules.from_yaml(rules_file, params={"window_end": dt.date(2025, 8, 31)})
    assert later.evaluate(pool).eligible.tolist() == [True, True]
    assert rules.with_params({"window_end": "31/08/2025"}).params["window_end"] == dt.date(
        2025, 8, 31
    )
    with pytest.raises(kh.SpecError, match='unknown parameter "window_en"; did you mean "window_end"'):
        kh.Rules.from_yaml(rules_file, params={"window_en": "31/08/2025"})
    with pytest.raises(kh.SpecError, match='parameter "window_end" is a date'):
        rules.with_params({"window_end": 3})
    assert kh.parse_param_assignment("window_end=31/08/2025") == ("window_end", dt.date(2025, 8, 31))
    assert kh.parse_param_assignment("threshold=8,5") == ("threshold", 8.5)
    assert kh.parse_param_assignment("level=Tỉnh") == ("level", "Tỉnh")
    with pytest.raises(kh.SpecError, match="name=value"):
        kh.parse_param_assignment("window_end")


def test_achievements_table_filtered_by_window_and_level(tmp_path: Path) -> None:
    table = tmp_path / "giai.csv"
    table.write_text(
        "ma_hs;cap;giai;ngay\n"
        "A;Tỉnh;Giải Nhì;15/03/2024\n"
        "A;Quốc gia;Giải Ba;02/10/2022\n"
        "B;Huyện;Giải Nhất;01/12/2023\n"
        "C;Quốc gia;Khuyến khích;01/01/2024\n",
        encoding="utf-8",
    )
    pool = kh.Pool.from_dict({"id": ["A", "B", "C", "D"], "gpa": [9.0, 9.1, 8.8, 9.5]})
    with_prizes = pool.with_achievements(table, id="ma_hs", level="cap", prize="giai", date="ngay")
    assert with_prizes["achievements"][0] == [
        "Tỉnh - Giải Nhì@15/03/2024",
        "Quốc gia - Giải Ba@02/10/2022",
    ]
    assert with_prizes["achievements"][3] == []
    rules = kh.Rules.from_dict(
        {
            "params": {"window_start": "01/09/2023", "window_end": "31/08/2024"},
            "rules": [
                {
                    "id": "giai",
                    "when": 'any(achievements, date_of(it) between window_start and window_end'
                    ' and level_of(it) in ["Tỉnh", "Quốc gia", "Quốc tế"]'
                    ' and prize_of(it) in ["Giải Nhất", "Giải Nhì", "Giải Ba"])',
                }
            ],
        }
    )
    assert rules.evaluate(with_prizes).eligible.tolist() == [True, False, False, False]
    earlier = rules.with_params({"window_start": "01/09/2022", "window_end": "31/08/2023"})
    assert earlier.evaluate(with_prizes).eligible.tolist() == [True, False, False, False]
    count = kh.evaluate(
        "count(achievements, date_of(it) >= 2023-09-01)", with_prizes
    ).tolist()
    assert count == [1.0, 1.0, 1.0, 0.0]
    # A DataFrame works the same; unknown ids are located errors.
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {"id": ["D", "Z"], "level": ["Tỉnh", "Tỉnh"], "date": pd.to_datetime(["2024-01-02", None])}
    )
    with pytest.raises(kh.DataError, match='<DataFrame>:2: .*"Z", who is not in the pool'):
        pool.with_achievements(df, prize=None)
    ok = pool.with_achievements(df.iloc[:1], prize=None)
    assert ok["achievements"][3] == ["Tỉnh@02/01/2024"]


def award_pool() -> kh.Pool:
    award = ROOT / "examples" / "award"
    pool = kh.read_csv(str(award / "pool.csv"), id="ma_hs")
    for table, name in (("giai_hoc_tap.csv", "giai_hoc_tap"), ("hoat_dong.csv", "hoat_dong")):
        pool = pool.with_achievements(
            award / table, id="ma_hs", level="cap", prize="giai", date="ngay", name=name
        )
    return pool


def test_worked_award_example_three_standards_with_alternatives() -> None:
    pool = award_pool()
    rules = kh.Rules.from_yaml(ROOT / "examples" / "award" / "rules.yaml")
    assert rules.compile(pool).warnings == []
    v = rules.evaluate(pool)
    df = v.to_pandas().set_index("id")
    # HS001: Toán 8,7, Ngữ văn 8,1, Ngoại ngữ 8,7 — average 8,5 on paper — and a provincial
    # Giải Nhì dated 15/03/2024: the study standard is met.
    assert df.loc["HS001", "hoc_tap"] == "pass" and bool(df.loc["HS001", "eligible"])
    # HS002: 8,47 (just below), though with a provincial Giải Nhất.
    assert df.loc["HS002", "hoc_tap"] == "fail"
    assert v.reasons("HS002")[0].startswith("Học tập: kết quả Tốt, trung bình 3 môn 8,47 (cần từ 8,5)")
    # HS003: no prize but the "average from 9,0" alternative; two volunteering activities.
    assert bool(df.loc["HS003", "eligible"])
    # HS004: Rèn luyện Khá a year ago breaks the three-year streak.
    assert df.loc["HS004", "ren_luyen"] == "fail"
    # HS006: no Ngữ văn grade: undecidable, not silently failed.
    assert df.loc["HS006", "hoc_tap"] == "unknown"
    # HS007's Giải Nhì is dated 20/09/2024, after the window.
    assert df.loc["HS007", "hoc_tap"] == "fail"
    # The next award year: the same file, other parameters.
    next_year = kh.Rules.from_yaml(
        ROOT / "examples" / "award" / "rules.yaml",
        params={"window_start": "01/09/2024", "window_end": "31/08/2025"},
    )
    later = next_year.evaluate(pool).to_pandas().set_index("id")
    assert later.loc["HS001", "hoc_tap"] == "fail"  # 15/03/2024 is outside; 8,5 < 9,0
    assert later.loc["HS007", "hoc_tap"] == "fail"  # average 8,03

    crit = kh.CriteriaSet.from_yaml(ROOT / "examples" / "award" / "criteria.yaml")
    assert crit.precision == 2
    table = crit.score(pool)
    scores = table.to_pandas().set_index("ma_hs")
    # 20 (average 8,5) + 10 (one prize of three) + 11,25 (45 of 80 hours) + 20 (a medal)
    assert scores.loc["HS001", "total"] == 61.25
    assert scores.loc["HS001", "level"] == "tieu_bieu"
    assert bool(scores.loc["HS006", "unclassifiable"])
    for total in np.asarray(table.total):
        assert Decimal(repr(float(total))).as_tuple().exponent >= -2


def test_criteria_params_from_python() -> None:
    pool = award_pool()
    path = ROOT / "examples" / "award" / "criteria.yaml"
    scale = kh.CriteriaSet.from_yaml(path)
    assert scale.params == {"window_start": dt.date(2023, 9, 1), "window_end": dt.date(2024, 8, 31)}
    k = scale.compile(pool).indicator_ids.index("giai_trong_ky")
    row = pool.to_pandas().index[pool.to_pandas()["ma_hs"] == "HS007"][0]
    assert scale.score(pool).points[row, k] == 0  # Giải Nhì of 20/09/2024: after the window
    wider = kh.CriteriaSet.from_yaml(path, params={"window_end": dt.date(2024, 12, 31)})
    assert wider.score(pool).points[row, k] == 10
    assert scale.with_params({"window_end": "31/12/2024"}).score(pool).points[row, k] == 10
    with pytest.raises(kh.SpecError, match="unknown parameter \"window_ends\"; did you mean \"window_end\""):
        scale.with_params({"window_ends": "31/12/2024"})
