"""Criteria scoring, panel aggregation and MCDA from Python: examples, zero-copy views, located
errors, and differential tests against a simple numpy reference (Hypothesis) and against
pymcdm / scikit-criteria when they are installed."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import khuyenhoc as kh

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "criteria"
SETS = ["honour_pupils", "hoc_bong_vuot_kho", "cong_dan_hoc_tap"]


@pytest.fixture(scope="module")
def generated() -> kh.Pool:
    return kh.generate_pool(20000, seed=2024)


@pytest.fixture(scope="module")
def bundled() -> kh.Pool:
    return kh.read_csv(str(ROOT / "examples" / "pool.csv"))


# --------------------------------------------------------------------------------------------
# A simple numpy reference of the scoring semantics (docs/criteria.md)
# --------------------------------------------------------------------------------------------


def _column(pool: kh.Pool, name: str):
    kind = pool.column_type(name)
    values = pool[name]
    if kind in ("number", "integer"):
        return kind, np.asarray(values, dtype=np.float64)
    return kind, values


def ref_indicator(ind: dict, pool: kh.Pool):
    """(points, missing) of one indicator, row by row in numpy."""
    _, x = _column(pool, ind["column"])
    n = len(pool)
    cap = ind.get("max_points", math.inf)
    weight = ind.get("weight", 1.0)
    if "bands" in ind:
        missing = np.isnan(x)
        raw = np.full(n, float(ind.get("otherwise", 0.0)))
        bands = ind["bands"]
        if "at_least" in bands[0]:
            done = np.zeros(n, dtype=bool)
            for b in bands:  # best first
                hit = ~done & (x >= b["at_least"])
                raw[hit] = b["points"]
                done |= hit
        elif "at_most" in bands[0]:
            done = np.zeros(n, dtype=bool)
            for b in bands:
                hit = ~done & (x <= b["at_most"])
                raw[hit] = b["points"]
                done |= hit
        else:
            for b in bands:
                hit = np.ones(n, dtype=bool)
                if "from" in b:
                    hit &= x >= b["from"]
                if "above" in b:
                    hit &= x > b["above"]
                if "to" in b:
                    hit &= x <= b["to"]
                if "below" in b:
                    hit &= x < b["below"]
                raw[hit] = b["points"]
    elif "linear" in ind:
        lin = ind["linear"]
        missing = np.isnan(x)
        with np.errstate(invalid="ignore"):
            raw = lin["points"] * np.clip((x - lin["min"]) / (lin["max"] - lin["min"]), 0.0, 1.0)
    elif "map" in ind:
        missing = np.array([v is None for v in x])
        table = ind["map"]
        other = ind.get("other", 0.0)
        raw = np.array([0.0 if v is None else float(table.get(v, other)) for v in x])
    elif "per_item" in ind:
        spec = ind["per_item"]
        if not isinstance(spec, dict):
            spec = {"points": spec}
        kinds = spec.get("kinds", [])
        default = spec.get("points", 0.0)

        def item_points(item: str) -> float:
            for k in kinds:
                if item.startswith(k["prefix"]):
                    return k["points"]
            return default

        missing = np.array([v is None for v in x])
        raw = np.array([0.0 if v is None else float(sum(item_points(i) for i in v)) for v in x])
    else:
        spec = ind["boolean"]
        if not isinstance(spec, dict):
            spec = {"points": spec}
        when = spec.get("when", True)
        missing = np.array([v is None for v in x])
        raw = np.array([spec["points"] if (v is not None and bool(v) == when) else 0.0 for v in x])
    points = _round6(weight * np.minimum(cap, raw))
    points[missing] = 0.0
    return points, missing


def _round6(x):
    """Points, subtotals and totals leave the scorer rounded half up to the set's precision
    (6 decimals by default; docs/criteria.md)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.sign(x) * np.floor(np.abs(x) * 1e6 + 0.5 + 1e-6) / 1e6 + 0.0


def _passes(points, node) -> np.ndarray:
    if "pass" in node:
        return points >= node["pass"] - 1e-9
    return points > 0


def ref_score(spec: dict, pool: kh.Pool):
    """total, level index, unclassifiable, indicator points in document order."""
    n = len(pool)
    columns = []
    unclassifiable = np.zeros(n, dtype=bool)
    mandatory = np.ones(n, dtype=bool)

    def indicator(ind):
        nonlocal unclassifiable, mandatory
        pts, miss = ref_indicator(ind, pool)
        policy = ind.get("missing", "fail")
        if policy == "fail":
            unclassifiable |= miss
        elif policy == "error" and miss.any():
            raise AssertionError("missing under error")
        if ind.get("mandatory"):
            mandatory &= _passes(pts, ind)
        columns.append(pts)
        return pts

    def criterion(c):
        nonlocal mandatory
        s = np.zeros(n)
        for ind in c.get("indicators", []):
            s = s + indicator(ind)
        for sub in c.get("criteria", []):
            s = s + criterion(sub)
        s = _round6(c.get("weight", 1.0) * np.minimum(c.get("max_points", math.inf), s))
        if c.get("mandatory"):
            mandatory &= _passes(s, c)
        return s

    total = np.zeros(n)
    for ind in spec.get("indicators", []):
        total = total + indicator(ind)
    for c in spec.get("criteria", []):
        total = total + criterion(c)
    total = _round6(np.minimum(spec.get("max_points", math.inf), total))
    levels = spec.get("levels", [])
    level = np.full(n, -1, dtype=np.int16)
    if levels:
        level[:] = len(levels) - 1
        for i in reversed(range(len(levels) - 1)):
            ok = mandatory & (total >= levels[i]["min"] - 1e-9)
            level[ok] = i
        level[unclassifiable] = -1
    return total, level, unclassifiable, columns


# --------------------------------------------------------------------------------------------
# Examples and the API
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SETS)
def test_example_sets_score_generated_and_bundled_pools(name, generated, bundled):
    cs = kh.CriteriaSet.from_yaml(EXAMPLES / f"{name}.yaml")
    assert cs.source
    for pool in (generated, bundled):
        t = cs.score(pool)
        assert len(t) == len(pool)
        assert np.isfinite(t.total).all()
        assert (t.total <= 100).all()
        df = t.to_pandas()
        assert list(df.columns[:3]) == ["id", "total", "level"]
        assert len(df) == len(pool)
    # every level is reached in a province-sized pool
    t = cs.score(generated)
    assert set(cs.level_codes) <= set(x for x in t.level if x is not None)


def test_honour_set_matches_numpy_reference(generated):
    yaml = pytest.importorskip("yaml")  # PyYAML: scripts/requirements-dev.txt

    spec = yaml.safe_load((EXAMPLES / "honour_pupils.yaml").read_text(encoding="utf-8"))
    t = kh.CriteriaSet.from_yaml(EXAMPLES / "honour_pupils.yaml").score(generated)
    total, level, unclassifiable, columns = ref_score(spec, generated)
    np.testing.assert_allclose(t.points, np.column_stack(columns), rtol=0, atol=1e-12)
    np.testing.assert_allclose(t.total, total, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(t.unclassifiable, unclassifiable)
    np.testing.assert_array_equal(t.level_index, level)


def test_arrays_are_read_only_views(generated):
    t = kh.CriteriaSet.from_yaml(EXAMPLES / "honour_pupils.yaml").score(generated)
    p = t.points
    assert p.shape == (len(generated), len(t.indicator_ids))
    assert p.flags["F_CONTIGUOUS"] and not p.flags["OWNDATA"] and not p.flags["WRITEABLE"]
    assert np.shares_memory(p, t.points)  # the same C++ buffer every time
    assert np.shares_memory(t.total, t.total)
    del t
    assert np.isfinite(p).all()  # the view keeps the table alive


def test_explain_by_id_and_row(generated):
    t = kh.CriteriaSet.from_yaml(EXAMPLES / "honour_pupils.yaml").score(generated)
    best = int(np.argmax(t.total))
    e = t.explain(t.ids[best])
    assert e.row == best and e.total == t.total[best]
    assert e.level == t.level[best]
    assert [i["id"] for i in e.indicators] == t.indicator_ids
    assert sum(i["points"] for i in e.indicators) >= e.total - 1e-9  # caps only lower it
    assert "indicator diem_tb" in str(e)
    assert t.explain(best).id == e.id
    missing = int(np.flatnonzero(t.unclassifiable)[0])
    m = t.explain(missing)
    assert m.unclassifiable and m.level is None and "gpa" in m.reason
    with pytest.raises(kh.DataError):
        t.explain("no such id")


def test_thread_count_does_not_change_results(generated):
    cs = kh.CriteriaSet.from_yaml(EXAMPLES / "hoc_bong_vuot_kho.yaml")
    a, b = cs.score(generated, threads=1), cs.score(generated, threads=4)
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.total, b.total)
    np.testing.assert_array_equal(a.level_index, b.level_index)


def _spec(**indicator):
    return {"indicators": [{"id": "x", **indicator}]}


def test_located_errors(bundled):
    with pytest.raises(kh.SpecError, match=r'<dict>:\d+:\d+: unknown key "pointz"'):
        kh.CriteriaSet.from_dict(_spec(column="gpa", boolean={"pointz": 1}))
    with pytest.raises(kh.SchemaError, match=r'did you mean "gpa"'):
        kh.CriteriaSet.from_dict(_spec(column="gpaa", linear={"min": 0, "max": 10, "points": 1})).score(bundled)
    with pytest.raises(kh.SchemaError, match="needs a category column"):
        kh.CriteriaSet.from_dict(_spec(column="gpa", map={"a": 1})).score(bundled)
    with pytest.raises(kh.SpecError, match="overlaps"):
        kh.CriteriaSet.from_dict(
            _spec(column="gpa", bands=[{"from": 8, "to": 9, "points": 1}, {"from": 8.5, "points": 2}])
        )
    with pytest.raises(kh.SpecError, match="≥ 0"):
        kh.CriteriaSet.from_dict(_spec(column="gpa", linear={"min": 0, "max": 10, "points": -1}))
    with pytest.raises(kh.SpecError, match="weight"):
        kh.CriteriaSet.from_dict(_spec(column="gpa", weight=float("nan"), linear={"min": 0, "max": 1, "points": 1}))
    with pytest.raises(kh.SpecError, match="weight"):
        kh.CriteriaSet.from_dict(_spec(column="gpa", weight=-2, linear={"min": 0, "max": 1, "points": 1}))
    path = EXAMPLES / "honour_pupils.yaml"
    with pytest.raises(kh.Error):
        kh.CriteriaSet.from_yaml(path.with_name("does_not_exist.yaml"))


def test_missing_policies(bundled):
    lin = {"min": 0, "max": 10, "points": 10}
    zero = kh.CriteriaSet.from_dict(_spec(column="gpa", missing="zero", linear=lin)).score(bundled)
    fail = kh.CriteriaSet.from_dict(_spec(column="gpa", linear=lin)).score(bundled)
    gpa = bundled["gpa"]
    assert np.isnan(gpa).any()
    np.testing.assert_array_equal(zero.total, fail.total)
    assert not zero.unclassifiable.any()
    np.testing.assert_array_equal(fail.unclassifiable, np.isnan(gpa))
    assert fail.fired[np.isnan(gpa), 0].tolist() == [-32768] * int(np.isnan(gpa).sum())
    with pytest.raises(kh.DataError, match='column "gpa"'):
        kh.CriteriaSet.from_dict(_spec(column="gpa", missing="error", linear=lin)).score(bundled)


# --------------------------------------------------------------------------------------------
# Differential: random criteria sets and data against the numpy reference
# --------------------------------------------------------------------------------------------

points_st = st.floats(0, 20, allow_nan=False).map(lambda v: round(v, 2))
threshold_st = st.floats(0, 10, allow_nan=False).map(lambda v: round(v, 1))


@st.composite
def bands_st(draw):
    ts = sorted(set(draw(st.lists(threshold_st, min_size=1, max_size=5))))
    form = draw(st.sampled_from(["at_least", "at_most", "range"]))
    pts = [draw(points_st) for _ in ts]
    if form == "at_least":
        return [{"at_least": t, "points": p} for t, p in zip(reversed(ts), pts)]
    if form == "at_most":
        return [{"at_most": t, "points": p} for t, p in zip(ts, pts)]
    bands = []
    for i, t in enumerate(ts):
        b = {"from": t, "points": pts[i]}
        if i + 1 < len(ts):
            b["below"] = ts[i + 1]
        bands.append(b)
    return bands


@st.composite
def indicator_st(draw, i):
    kind = draw(st.sampled_from(["bands", "linear", "map", "per_item", "boolean"]))
    ind = {"id": f"i{i}", "missing": draw(st.sampled_from(["zero", "fail"]))}
    if draw(st.booleans()):
        ind["max_points"] = draw(st.floats(1, 30).map(lambda v: round(v, 1)))
    if draw(st.booleans()):
        ind["weight"] = draw(st.floats(0, 3).map(lambda v: round(v, 2)))
    if draw(st.booleans()):
        ind["mandatory"] = True
    if kind == "bands":
        ind["column"] = "x"
        ind["bands"] = draw(bands_st())
        ind["otherwise"] = draw(points_st)
    elif kind == "linear":
        lo, hi = draw(threshold_st), draw(threshold_st)
        if lo == hi:
            hi = lo + 1
        ind["column"] = "x"
        ind["linear"] = {"min": lo, "max": hi, "points": draw(points_st)}
    elif kind == "map":
        ind["column"] = "cat"
        keys = draw(st.lists(st.sampled_from(["Tốt", "Khá", "Đạt", "Chưa đạt", "Khác"]), unique=True, min_size=1))
        ind["map"] = {k: draw(points_st) for k in keys}
        ind["other"] = draw(points_st)
    elif kind == "per_item":
        ind["column"] = "items"
        ind["per_item"] = {
            "points": draw(points_st),
            "kinds": [
                {"prefix": p, "points": draw(points_st)}
                for p in draw(st.lists(st.sampled_from(["Quốc gia", "Tỉnh", "Quốc gia - Giải Nhất"]), unique=True))
            ],
        }
    else:
        ind["column"] = "flag"
        ind["boolean"] = {"points": draw(points_st), "when": draw(st.booleans())}
    return ind


@st.composite
def case_st(draw):
    n = draw(st.integers(1, 40))
    xs = draw(st.lists(st.one_of(st.none(), st.floats(-2, 12).map(lambda v: round(v, 1))), min_size=n, max_size=n))
    cats = draw(st.lists(st.one_of(st.none(), st.sampled_from(["Tốt", "Khá", "Đạt", "Chưa đạt"])), min_size=n, max_size=n))
    item = st.sampled_from(["Quốc gia - Giải Nhất", "Quốc gia - Giải Ba", "Tỉnh - Giải Nhì", "Huyện - Giải Ba"])
    items = draw(st.lists(st.one_of(st.none(), st.lists(item, max_size=4)), min_size=n, max_size=n))
    flags = draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n))
    k = draw(st.integers(1, 6))
    inds = [draw(indicator_st(i)) for i in range(k)]
    split = draw(st.integers(0, k))
    spec = {
        "indicators": inds[:split],
        "criteria": [
            {
                "id": "c1",
                "weight": draw(st.floats(0, 2).map(lambda v: round(v, 2))),
                "max_points": draw(st.floats(1, 50).map(lambda v: round(v, 1))),
                "indicators": inds[split:],
            }
        ]
        if split < k
        else [],
        "levels": [{"code": "a", "min": 30}, {"code": "b", "min": 10}, {"code": "c"}],
    }
    return spec, xs, cats, items, flags


@settings(max_examples=150, deadline=None)
@given(case_st())
def test_random_sets_match_numpy_reference(case):
    import pandas as pd

    spec, xs, cats, items, flags = case
    n = len(xs)
    pool = kh.Pool.from_dict(
        {
            "id": [f"N{i}" for i in range(n)],
            "x": np.array([np.nan if v is None else v for v in xs], dtype=np.float64),
            "cat": pd.Categorical(cats, categories=["Tốt", "Khá", "Đạt", "Chưa đạt"]),
            "items": pd.Series(items, dtype=object) if any(v is not None for v in items) else pd.Series([[]] * n),
            "flag": pd.array(flags, dtype="boolean"),
        }
    )
    if pool.column_type("items") != "list":
        return  # pandas could not tell it is a list column (all empty): nothing to check
    t = kh.CriteriaSet.from_dict(spec).score(pool)
    total, level, unclassifiable, columns = ref_score(spec, pool)
    np.testing.assert_allclose(t.points, np.column_stack(columns), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.total, total, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(t.unclassifiable, unclassifiable)
    # levels: compare where the total is not within rounding of a threshold
    near = np.isclose(total[:, None], [30, 10], atol=1e-9).any(axis=1)
    np.testing.assert_array_equal(t.level_index[~near], level[~near])


# --------------------------------------------------------------------------------------------
# Panel aggregation
# --------------------------------------------------------------------------------------------


def test_panel_aggregation_against_pandas():
    import pandas as pd

    rng = np.random.default_rng(3)
    rows = []
    for nominee in range(30):
        for ind in ("hoc_tap", "thanh_tich"):
            for judge in rng.choice(7, size=rng.integers(1, 7), replace=False):
                rows.append((f"J{judge}", f"HS{nominee:03d}", ind, float(rng.integers(0, 41)) / 4))
    df = pd.DataFrame(rows, columns=["judge", "nominee", "indicator", "score"])
    g = df.groupby(["nominee", "indicator"])["score"]
    for method, expected in (("mean", g.mean()), ("median", g.median())):
        out = kh.aggregate_panel(df, method=method, min_judges=1)
        np.testing.assert_allclose(out["score"].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)

    def trimmed(s):
        v = np.sort(s.to_numpy())
        return v.mean() if len(v) < 3 else v[1:-1].mean()

    out = kh.aggregate_panel(df, method="trimmed", min_judges=3, threshold=5)
    exp = g.apply(trimmed).to_numpy()
    counts = g.count().to_numpy()
    got = out["score"].to_numpy()
    np.testing.assert_allclose(got[counts >= 3], exp[counts >= 3], atol=1e-12)
    assert np.isnan(got[counts < 3]).all()
    np.testing.assert_array_equal(out["judges"].to_numpy(), counts)
    spread = (g.max() - g.min()).to_numpy()
    np.testing.assert_array_equal(out["disagree"].to_numpy(), spread > 5)
    # order of the input rows does not matter, with calibration too
    shuffled = df.sample(frac=1, random_state=1)
    for cal in ("zscore", "median_mad"):
        a = kh.aggregate_panel(df, calibration=cal)
        b = kh.aggregate_panel(shuffled, calibration=cal)
        np.testing.assert_array_equal(a["score"].to_numpy(), b["score"].to_numpy())
        assert np.isfinite(a["score"]).all()


def test_panel_errors():
    with pytest.raises(kh.DataError, match="twice"):
        kh.aggregate_panel(judge=["a", "a"], nominee=["n", "n"], indicator=["x", "x"], score=[1, 2])
    with pytest.raises(kh.SpecError):
        kh.aggregate_panel(judge=["a"], nominee=["n"], indicator=["x"], score=[1], method="mode")


# --------------------------------------------------------------------------------------------
# MCDA
# --------------------------------------------------------------------------------------------


def _mcda_data(seed=0, n=200, k=5):
    rng = np.random.default_rng(seed)
    m = rng.uniform(1, 100, size=(n, k))
    types = np.array([1, -1, 1, 1, -1][:k])
    w = rng.uniform(0.1, 1, size=k)
    return m, types, w / w.sum()


def _ref_normalize(m, types, how):
    out = np.empty_like(m)
    for j in range(m.shape[1]):
        x, cost = m[:, j], types[j] < 0
        if how == "minmax":
            lo, hi = x.min(), x.max()
            out[:, j] = 1.0 if hi == lo else ((hi - x) if cost else (x - lo)) / (hi - lo)
        elif how == "zscore":
            sd = x.std()
            out[:, j] = 0.0 if sd == 0 else ((x.mean() - x) if cost else (x - x.mean())) / sd
        else:
            r = x / np.sqrt(np.sum(x**2))
            out[:, j] = 1 - r if cost else r
    return out


@pytest.mark.parametrize("how", ["minmax", "zscore", "vector"])
def test_mcda_matches_numpy_definitions(how):
    m, types, w = _mcda_data()
    r = _ref_normalize(m, types, how)
    np.testing.assert_allclose(kh.mcda.normalize(m, types, how), r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(kh.mcda.weighted_sum(m, w, types, how), r @ w, rtol=0, atol=1e-12)
    v = r * w
    dp = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    np.testing.assert_allclose(kh.mcda.topsis(m, w, types, how), dm / (dp + dm), rtol=0, atol=1e-12)


def test_mcda_on_pool_columns_and_degenerate_data(bundled):
    cols = ["community_hours", "grade"]
    s = kh.mcda.topsis(bundled, [0.5, 0.5], ["benefit", "benefit"], "vector", columns=cols)
    assert s.shape == (len(bundled),) and np.isfinite(s).all()
    with pytest.raises(kh.DataError):
        kh.mcda.weighted_sum(bundled, [1], columns=["gpa"])  # gpa has missing values
    const = np.full((5, 2), 3.0)
    for how in ("minmax", "zscore", "vector"):
        assert np.isfinite(kh.mcda.weighted_sum(const, [0.5, 0.5], [1, -1], how)).all()
        np.testing.assert_array_equal(kh.mcda.topsis(const, [0.5, 0.5], [1, -1], how), 0.5)
    np.testing.assert_array_equal(kh.mcda.normalize(const, None, "minmax"), 1.0)
    for bad in ([float("nan"), 1], [-1, 1], [0, 0], [1]):
        with pytest.raises(kh.SpecError):
            kh.mcda.weighted_sum(const, bad)


@pytest.mark.parametrize("how", ["minmax", "vector"])
def test_mcda_matches_pymcdm(how):
    pymcdm = pytest.importorskip("pymcdm")
    from pymcdm import methods, normalizations

    m, types, w = _mcda_data(seed=5)
    fn = getattr(normalizations, f"{how}_normalization")
    np.testing.assert_allclose(
        kh.mcda.topsis(m, w, types, how), methods.TOPSIS(fn)(m, w, types), rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        kh.mcda.weighted_sum(m, w, types, how), methods.WSM(fn)(m, w, types), rtol=0, atol=1e-9
    )
    const = m.copy()
    const[:, 2] = 7.0  # constant column: pymcdm's minmax gives 1, as ours
    np.testing.assert_allclose(
        kh.mcda.weighted_sum(const, w, types, how), methods.WSM(fn)(const, w, types), atol=1e-9
    )
    assert pymcdm


@pytest.mark.filterwarnings("ignore:Although TOPSIS can operate with minimization:UserWarning")
def test_mcda_matches_scikit_criteria():
    skc = pytest.importorskip("skcriteria")
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.preprocessing.invert_objectives import NegateMinimize
    from skcriteria.preprocessing.scalers import MinMaxScaler, StandarScaler, VectorScaler

    m, types, w = _mcda_data(seed=9)
    dm = skc.mkdm(m, objectives=[max if t > 0 else min for t in types], weights=w)
    # TOPSIS over vector-scaled values, the ideal per objective
    res = TOPSIS().evaluate(VectorScaler(target="matrix").transform(dm))
    np.testing.assert_allclose(kh.mcda.topsis(m, w, types, "vector"), res.e_.similarity, atol=1e-9)
    # weighted sum over min-max and z-scores (costs negated first, as scikit-criteria needs)
    for how, scaler in (("minmax", MinMaxScaler(target="matrix")), ("zscore", StandarScaler(target="matrix"))):
        scaled = scaler.transform(NegateMinimize().transform(dm))
        if how == "zscore":
            got = kh.mcda.normalize(m, types, "zscore") @ w
            np.testing.assert_allclose(got, scaled.matrix.to_numpy() @ w, atol=1e-9)
            continue
        res = WeightedSumModel().evaluate(scaled)
        np.testing.assert_allclose(kh.mcda.weighted_sum(m, w, types, how), res.e_.score, atol=1e-9)


def test_to_pandas_and_nested_dict_sets(bundled):
    spec = {
        "max_points": 30,
        "criteria": [
            {
                "id": "outer",
                "weight": 0.5,
                "criteria": [
                    {
                        "id": "inner",
                        "max_points": 8,
                        "mandatory": True,
                        "indicators": [{"id": "c", "column": "conduct", "map": {"Tốt": 10, "Khá": 4}}],
                    }
                ],
                "indicators": [{"id": "o", "column": "orphan", "missing": "zero", "boolean": 2}],
            }
        ],
        "levels": [{"code": "a", "name": "Loại A", "min": 4}, {"code": "b", "name": "Loại B"}],
    }
    t = kh.CriteriaSet.from_dict(spec).score(bundled)
    assert t.criterion_ids == ["inner", "outer"]
    df = t.to_pandas()
    assert {"subtotal.inner", "subtotal.outer", "points.c", "points.o"} <= set(df.columns)
    conduct = bundled["conduct"]
    inner = np.where(conduct == "Tốt", 8.0, np.where(conduct == "Khá", 4.0, 0.0))
    np.testing.assert_array_equal(df["subtotal.inner"].to_numpy(), inner)
    orphan = np.asarray(bundled["orphan"], dtype=bool)
    np.testing.assert_array_equal(t.total, 0.5 * (inner + 2.0 * orphan))
    assert set(df["level_name"]) <= {"Loại A", "Loại B"}
    e = t.explain(0)
    assert {"input", "rule", "raw_points", "cap", "capped", "points", "passed"} <= set(e.indicators[0])
    assert e.criteria[0]["parent"] == "outer"
