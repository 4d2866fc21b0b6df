"""khuyenhoc.Rules / Verdicts / evaluate: the Python face of the rule language (rules.hpp)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import khuyenhoc as kh

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "rules"


@pytest.fixture(scope="module")
def pool() -> kh.Pool:
    return kh.generate_pool(5000, seed=11)


def test_evaluate_types(pool: kh.Pool) -> None:
    gpa = np.asarray(pool["gpa"], dtype=float)
    x = kh.evaluate("gpa * 2", pool)
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x, gpa * 2)
    b = kh.evaluate("gpa >= 8", pool)
    assert b.dtype == object  # some GPAs are missing: True/False/None
    assert all(v is None for v in b[np.isnan(gpa)])
    assert list(b[~np.isnan(gpa)]) == list(gpa[~np.isnan(gpa)] >= 8)
    assert kh.evaluate("len(prizes) >= 0", pool).dtype == np.bool_
    d = kh.evaluate("submitted_on + 1", pool)
    assert d.dtype == np.dtype("datetime64[D]")
    s = kh.evaluate("conduct", pool)
    assert s.dtype == object and set(s) <= {"Tốt", "Khá", "Đạt", "Chưa đạt", None}


def test_check_expression_reports_warnings(pool: kh.Pool) -> None:
    info = kh.check_expression('conduct == "Tôt"', pool)
    assert info["type"] == "boolean"
    assert info["columns"] == ["conduct"]
    assert len(info["warnings"]) == 1 and 'did you mean "Tốt"' in info["warnings"][0]


def test_errors_are_located(pool: kh.Pool) -> None:
    with pytest.raises(kh.SchemaError, match=r'1:1: unknown column "gpaa"; did you mean "gpa"\?') as e:
        kh.evaluate("gpaa >= 8", pool)
    assert "\n  gpaa >= 8\n  ^~~~" in str(e.value)
    with pytest.raises(kh.ParseError, match="1:8: expected a value"):
        kh.evaluate("gpa >= ", pool)
    with pytest.raises(ValueError):  # every error is a ValueError
        kh.evaluate("gpa between 1", pool)


def test_honour_rules(pool: kh.Pool) -> None:
    rules = kh.Rules.from_yaml(str(EXAMPLES / "honour_pupils.yaml"))
    assert rules.ids == ["hanh_kiem", "diem_tb", "ho_so", "han_nop", "giay_chung_nhan"]
    assert rules.compile(pool).warnings == []
    v = rules.evaluate(pool)
    assert len(v) == len(pool)
    status = v.status
    assert status.dtype == np.int8 and status.shape == (len(pool), 5)
    assert not status.flags.writeable and not status.flags.owndata  # a view of C++ storage
    eligible = v.eligible
    assert eligible.dtype == np.bool_ and eligible.shape == (len(pool),)
    # eligible = no reject rule failed or unknown (the warning rule does not count)
    expected = np.all((status[:, :4] == 0) | (status[:, :4] == 3), axis=1)
    np.testing.assert_array_equal(eligible, expected)
    funnel = v.funnel
    assert [f["rule"] for f in funnel] == rules.ids
    assert funnel[-1]["remaining"] == int(eligible.sum())
    assert funnel[0]["failed"] == int((status[:, 0] == 1).sum())
    # the same verdicts as computed with numpy from the columns
    conduct = kh.evaluate('conduct == "Tốt"', pool)
    np.testing.assert_array_equal(status[:, 0] == 0, conduct == True)  # noqa: E712
    # reasons, by id or row
    bad = int(np.flatnonzero(status[:, 1] == 1)[0])
    nominee = v.ids[bad]
    reasons = v.reasons(nominee)
    assert reasons == v.reasons(bad)
    gpa = pool["gpa"][bad]
    written = f"{gpa:g}".replace(".", ",")  # numbers in reasons as written: decimal comma
    assert any(r.startswith(f"Điểm trung bình {written} thấp hơn 8,0") for r in reasons)
    tables = v.tables
    assert set(tables) == {"muc_bieu_duong", "tien_thuong"}
    assert tables["tien_thuong"]["value"].dtype == np.float64
    assert set(tables["muc_bieu_duong"]["value"]) <= {
        "Đặc biệt xuất sắc", "Xuất sắc - giải quốc gia", "Xuất sắc - học lực", "Tiêu biểu", None}
    df = v.to_pandas()
    assert list(df.columns[:2]) == ["id", "eligible"]
    assert len(df) == len(pool)
    assert (df["hanh_kiem"] == "fail").sum() == (status[:, 0] == 1).sum()
    assert df.loc[bad, "reasons"].startswith("Điểm") or "Điểm trung bình" in df.loc[bad, "reasons"]
    assert "muc" in df.columns and "tien_thuong" in df.columns


def test_examples_all_run(pool: kh.Pool) -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        rules = kh.Rules.from_yaml(str(path))
        assert rules.compile(pool).warnings == [], path
        v = rules.evaluate(pool)
        assert 0 < v.eligible.sum() < len(pool), path


def test_from_dict_matches_yaml(pool: kh.Pool) -> None:
    d = {
        "name": "học bổng",
        "rules": [
            {"id": "gpa", "when": "gpa >= 7.0", "reason": "Điểm {gpa}"},
            {"id": "hk", "when": 'conduct in ["Tốt", "Khá"]', "severity": "warn"},
        ],
        "tables": [
            {"id": "value", "hit_policy": "first",
             "rows": [{"when": "gpa >= 9", "value": 2000000}, {"when": "gpa >= 7", "value": 1000000}]},
            {"id": "label", "rows": [{"when": "gpa >= 9", "value": "9"}], "default": "khác"},
        ],
    }
    a = kh.Rules.from_dict(d).evaluate(pool)
    text = """name: học bổng
rules:
  - {id: gpa, when: gpa >= 7.0, reason: "Điểm {gpa}"}
  - {id: hk, when: 'conduct in ["Tốt", "Khá"]', severity: warn}
tables:
  - id: value
    rows:
      - {when: gpa >= 9, value: 2000000}
      - {when: gpa >= 7, value: 1000000}
  - id: label
    rows: [{when: gpa >= 9, value: "9"}]
    default: khác
"""
    b = kh.Rules.from_text(text).evaluate(pool)
    np.testing.assert_array_equal(a.status, b.status)
    np.testing.assert_array_equal(a.eligible, b.eligible)
    np.testing.assert_array_equal(a.tables["value"]["value"], b.tables["value"]["value"])
    assert a.tables["label"]["value"].tolist() == b.tables["label"]["value"].tolist()
    assert set(a.tables["label"]["value"]) <= {"9", "khác", None}
    with pytest.raises(kh.SpecError, match='unknown key "wen" in a rule; did you mean "when"'):
        kh.Rules.from_dict({"rules": [{"id": "x", "wen": "gpa > 1"}]})


def test_eligible_only_matches_full_verdicts(pool: kh.Pool) -> None:
    for name in ("honour_pupils", "hardship_scholarship", "emulation_award"):
        compiled = kh.Rules.from_yaml(str(EXAMPLES / f"{name}.yaml")).compile(pool)
        v = compiled.evaluate(pool)
        for threads in (1, 2):
            e = compiled.eligible(pool, threads=threads)
            assert e.dtype == np.bool_ and e.shape == (len(pool),)
            np.testing.assert_array_equal(e, v.eligible, err_msg=name)
        # The status matrix is stored rule by rule: each rule's column is contiguous.
        assert v.status.flags.f_contiguous
        for k in range(len(v.rule_ids)):
            assert v.status[:, k].flags.c_contiguous


def test_threads_do_not_change_results(pool: kh.Pool) -> None:
    rules = kh.Rules.from_yaml(str(EXAMPLES / "emulation_award.yaml"))
    one = rules.evaluate(pool, threads=1)
    two = rules.evaluate(pool, threads=2)
    np.testing.assert_array_equal(one.status, two.status)
    assert one.funnel == two.funnel
    np.testing.assert_array_equal(one.tables["hinh_thuc"]["matched"], two.tables["hinh_thuc"]["matched"])


# ----------------------------------------------------------------------------------------------
# Differential property test: random expressions over random pools with missing values,
# against a numpy reference implementing the documented semantics (Kleene logic, missing
# propagation, x / 0 missing).

Ref = Callable[[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]  # (values, known)
CATS = ["Tốt", "Khá", "Đạt"]


def num_leaf() -> st.SearchStrategy[tuple[str, Ref]]:
    def col(name: str) -> tuple[str, Ref]:
        return name, lambda d: (d[name], ~np.isnan(d[name]))

    def lit(x: int) -> tuple[str, Ref]:
        return str(x), lambda d: (np.full(len(d["a"]), float(x)), np.ones(len(d["a"]), bool))

    return st.one_of(st.sampled_from(["a", "b"]).map(col), st.integers(-5, 12).map(lit))


def num_expr() -> st.SearchStrategy[tuple[str, Ref]]:
    def extend(inner: st.SearchStrategy[tuple[str, Ref]]) -> st.SearchStrategy[tuple[str, Ref]]:
        def binop(t: tuple[str, tuple[str, Ref], tuple[str, Ref]]) -> tuple[str, Ref]:
            op, (ta, fa), (tb, fb) = t

            def f(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
                (x, kx), (y, ky) = fa(d), fb(d)
                with np.errstate(all="ignore"):
                    if op == "+":
                        r = x + y
                    elif op == "-":
                        r = x - y
                    elif op == "*":
                        r = x * y
                    else:
                        r = np.where(y != 0, x / np.where(y != 0, y, 1), 0.0)
                known = kx & ky & ~np.isnan(r)
                if op == "/":
                    known &= y != 0
                return r, known

            return f"({ta} {op} {tb})", f

        def fn(t: tuple[str, tuple[str, Ref], tuple[str, Ref]]) -> tuple[str, Ref]:
            name, (ta, fa), (tb, fb) = t

            def f(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
                (x, kx), (y, ky) = fa(d), fb(d)
                if name == "abs":
                    return np.abs(x), kx
                with np.errstate(all="ignore"):
                    r = np.minimum(x, y) if name == "min" else np.maximum(x, y)
                return r, kx & ky

            text = f"abs({ta})" if name == "abs" else f"{name}({ta}, {tb})"
            return text, f

        return st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*", "/"]), inner, inner).map(binop),
            st.tuples(st.sampled_from(["abs", "min", "max"]), inner, inner).map(fn),
        )

    return st.recursive(num_leaf(), extend, max_leaves=6)


def bool_expr() -> st.SearchStrategy[tuple[str, Ref]]:
    def cmp(t: tuple[str, tuple[str, Ref], tuple[str, Ref]]) -> tuple[str, Ref]:
        op, (ta, fa), (tb, fb) = t
        ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
               "==": np.equal, "!=": np.not_equal}

        def f(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            (x, kx), (y, ky) = fa(d), fb(d)
            known = kx & ky
            with np.errstate(all="ignore"):
                return ops[op](x, y) & known, known

        return f"{ta} {op} {tb}", f

    def between(t: tuple[tuple[str, Ref], int, int]) -> tuple[str, Ref]:
        (ta, fa), lo, hi = t

        def f(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            x, kx = fa(d)
            return (x >= lo) & (x <= hi) & kx, kx

        return f"{ta} between {lo} and {hi}", f

    def missing(t: tuple[tuple[str, Ref], bool]) -> tuple[str, Ref]:
        (ta, fa), negate = t

        def f(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            _, kx = fa(d)
            return (kx if negate else ~kx), np.ones_like(kx)

        return f"({ta}) is {'not ' if negate else ''}missing", f

    def cat(t: tuple[str, list[str]]) -> tuple[str, Ref]:
        kind, values = t

        def f(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            c = d["c"]
            known = np.array([v is not None for v in c])
            hit = np.array([v in values for v in c])
            if kind == "!=":
                hit = ~hit
            return hit & known, known

        if kind == "in":
            return "c in [" + ", ".join(f'"{v}"' for v in values) + "]", f
        return f'c {kind} "{values[0]}"', f

    def flag() -> tuple[str, Ref]:
        return "flag", lambda d: (d["flag_v"] & d["flag_k"], d["flag_k"])

    leaf = st.one_of(
        st.tuples(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), num_expr(), num_expr()).map(cmp),
        st.tuples(num_expr(), st.integers(-3, 5), st.integers(0, 12)).map(between),
        st.tuples(num_expr(), st.booleans()).map(missing),
        st.one_of(
            st.tuples(st.sampled_from(["==", "!="]), st.sampled_from(CATS).map(lambda v: [v])),
            st.tuples(st.just("in"), st.lists(st.sampled_from(CATS), min_size=1, max_size=3)),
        ).map(cat),
        st.just(flag()),
    )

    def extend(inner: st.SearchStrategy[tuple[str, Ref]]) -> st.SearchStrategy[tuple[str, Ref]]:
        def logic(t: tuple[str, tuple[str, Ref], tuple[str, Ref]]) -> tuple[str, Ref]:
            op, (ta, fa), (tb, fb) = t

            def f(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
                (x, kx), (y, ky) = fa(d), fb(d)
                tx, ty, fx, fy = x & kx, y & ky, ~x & kx, ~y & ky
                if op == "and":
                    return tx & ty, fx | fy | (tx & ty)
                return tx | ty, tx | ty | (fx & fy)

            return f"({ta}) {op} ({tb})", f

        def negate(t: tuple[str, Ref]) -> tuple[str, Ref]:
            ta, fa = t

            def f(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
                x, kx = fa(d)
                return ~x & kx, kx

            return f"not ({ta})", f

        return st.one_of(st.tuples(st.sampled_from(["and", "or"]), inner, inner).map(logic),
                         inner.map(negate))

    return st.recursive(leaf, extend, max_leaves=5)


@st.composite
def random_pool(draw: st.DrawFn) -> tuple[kh.Pool, dict[str, np.ndarray]]:
    n = draw(st.integers(1, 40))
    num = st.one_of(st.none(), st.integers(-10, 20).map(float), st.sampled_from([0.5, 2.5, 7.25]))
    a = np.array([np.nan if v is None else v for v in draw(st.lists(num, min_size=n, max_size=n))])
    b = np.array([np.nan if v is None else v for v in draw(st.lists(num, min_size=n, max_size=n))])
    c = draw(st.lists(st.one_of(st.none(), st.sampled_from(CATS)), min_size=n, max_size=n))
    flag = draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n))
    df = pd.DataFrame({
        "id": [f"HS{i}" for i in range(n)],
        "a": a,
        "b": b,
        # every category value present in the dictionary, so literals compile without warnings
        "c": pd.Categorical(c, categories=CATS),
        "flag": pd.array(flag, dtype="boolean"),
    })
    pool = kh.Pool.from_pandas(df, id="id")
    data = {
        "a": a, "b": b, "c": np.array(c, dtype=object),
        "flag_v": np.array([bool(v) for v in flag]), "flag_k": np.array([v is not None for v in flag]),
    }
    return pool, data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_pool(), bool_expr())
def test_differential_boolean(pool_data: tuple[kh.Pool, dict[str, np.ndarray]],
                              expr: tuple[str, Ref]) -> None:
    pool, data = pool_data
    text, ref = expr
    values, known = ref(data)
    got = kh.evaluate(text, pool)
    expected = [bool(v) if k else None for v, k in zip(values, known)]
    assert [None if g is None else bool(g) for g in got] == expected, text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_pool(), num_expr())
def test_differential_number(pool_data: tuple[kh.Pool, dict[str, np.ndarray]],
                             expr: tuple[str, Ref]) -> None:
    pool, data = pool_data
    text, ref = expr
    values, known = ref(data)
    got = kh.evaluate(text, pool)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(got), ~known, err_msg=text)
    np.testing.assert_array_equal(got[known], values[known], err_msg=text)


def test_date_functions_against_python(pool: kh.Pool) -> None:
    dob = pool["date_of_birth"]
    ages = kh.evaluate("age(date_of_birth, 2024-09-30)", pool)
    on = dt.date(2024, 9, 30)
    for i in range(0, len(pool), 97):
        if np.isnat(dob[i]):
            assert math.isnan(ages[i])
            continue
        b = dob[i].astype(object)
        expected = on.year - b.year - ((on.month, on.day) < (b.month, b.day))
        assert ages[i] == expected
    years = kh.evaluate("year(date_of_birth)", pool)
    ok = ~np.isnat(dob)
    np.testing.assert_array_equal(years[ok], dob[ok].astype("datetime64[Y]").astype(int) + 1970)
