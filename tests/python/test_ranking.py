"""khuyenhoc.rank against pandas.Series.rank and DataFrame.groupby(...).rank, bit for bit."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import khuyenhoc

METHODS = ["average", "min", "max", "first", "dense"]
NA_OPTIONS = ["keep", "top", "bottom"]
COMBOS = list(itertools.product(METHODS, [True, False], NA_OPTIONS))

# A small pool of values makes ties likely; NaN, ±inf and ±0 are the edge cases.
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, 2.5, -3.0, 1e300, -5e-324]
values_strategy = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True)),
    max_size=120,
)


def assert_same_bits(got: np.ndarray, want: np.ndarray) -> None:
    """Equal as float64 bit patterns, with every NaN equal to every NaN."""
    assert got.dtype == np.float64
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    got_nan, want_nan = np.isnan(got), np.isnan(want)
    np.testing.assert_array_equal(got_nan, want_nan)
    np.testing.assert_array_equal(got[~got_nan].view(np.int64), want[~want_nan].view(np.int64))


@settings(max_examples=150, deadline=None)
@given(values=values_strategy)
def test_rank_matches_pandas_for_every_method_direction_and_na_option(values):
    v = np.array(values, dtype=np.float64)
    for method, ascending, na in COMBOS:
        want = pd.Series(v).rank(method=method, ascending=ascending, na_option=na).to_numpy()
        assert_same_bits(khuyenhoc.rank(v, method, ascending, na), want)


@pytest.mark.parametrize(("method", "ascending", "na"), COMBOS)
def test_rank_matches_pandas_on_large_tie_heavy_data(method, ascending, na):
    rng = np.random.default_rng(20241002)
    n = 50_000
    v = rng.integers(0, 500, n).astype(np.float64) / 4
    v[rng.random(n) < 0.05] = np.nan
    v[rng.random(n) < 0.01] = np.inf
    v[rng.random(n) < 0.01] = -0.0
    v[::7] = rng.normal(size=v[::7].size)  # also many distinct values
    want = pd.Series(v).rank(method=method, ascending=ascending, na_option=na).to_numpy()
    assert_same_bits(khuyenhoc.rank(v, method=method, ascending=ascending, na_option=na), want)


def test_rank_defaults_and_the_issue_examples():
    v = [10, 20, 20, 30]
    assert khuyenhoc.rank(v).tolist() == [1, 2.5, 2.5, 4]
    assert khuyenhoc.rank(v, "min").tolist() == [1, 2, 2, 4]
    assert khuyenhoc.rank(v, "dense").tolist() == [1, 2, 2, 3]
    assert khuyenhoc.rank(v, "first").tolist() == [1, 2, 3, 4]
    assert khuyenhoc.rank(v, "max", ascending=False).tolist() == [4, 3, 3, 1]
    # Default na_option is "bottom", as the issue asks.
    assert khuyenhoc.rank([np.nan, 1.0]).tolist() == [2, 1]


def test_rank_accepts_array_likes():
    s = pd.Series([3, 1, 2], dtype=np.int64)
    assert khuyenhoc.rank(s).tolist() == [3, 1, 2]
    assert khuyenhoc.rank(np.array([3, 1, 2], dtype=np.float32)).tolist() == [3, 1, 2]
    assert khuyenhoc.rank(np.array([5.0, 4.0, 3.0])[::-1]).tolist() == [1, 2, 3]
    assert khuyenhoc.rank([]).shape == (0,)


def reference_grouped(v: np.ndarray, g: np.ndarray, method: str, ascending: bool, na: str):
    key = pd.Series(g).where(g >= 0)  # -1: no group, which pandas drops (rank NaN)
    df = pd.DataFrame({"g": key, "v": v})
    return df.groupby("g")["v"].rank(method=method, ascending=ascending, na_option=na).to_numpy()


@settings(max_examples=100, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.sampled_from(SPECIAL), st.integers(min_value=-1, max_value=5)), max_size=80
    )
)
def test_grouped_rank_matches_pandas_groupby(data):
    v = np.array([x for x, _ in data], dtype=np.float64)
    g = np.array([c for _, c in data], dtype=np.int64)
    for method, ascending, na in COMBOS:
        want = reference_grouped(v, g, method, ascending, na)
        got = khuyenhoc.rank(v, method, ascending, na, groups=g)
        assert_same_bits(got, want)


@pytest.mark.parametrize(("method", "ascending", "na"), COMBOS[::2])
def test_grouped_rank_matches_pandas_on_30_districts(method, ascending, na):
    rng = np.random.default_rng(7)
    n = 30_000
    v = np.round(rng.normal(70, 10, n), 1)
    v[rng.random(n) < 0.03] = np.nan
    g = rng.integers(-1, 30, n)
    got = khuyenhoc.rank(v, method, ascending, na, groups=g.astype(np.int32))
    assert_same_bits(got, reference_grouped(v, g, method, ascending, na))


def test_rank_errors_are_value_errors():
    with pytest.raises(khuyenhoc.SpecError, match="unknown rank method"):
        khuyenhoc.rank([1.0], "ordinal")
    with pytest.raises(ValueError, match="na_option"):
        khuyenhoc.rank([1.0], na_option="last")
    with pytest.raises(khuyenhoc.SpecError, match="entries for 2 values"):
        khuyenhoc.rank([1.0, 2.0], groups=[0])
    with pytest.raises(khuyenhoc.SpecError, match="outside"):
        khuyenhoc.rank([1.0], groups=[-2])
    with pytest.raises(khuyenhoc.SpecError, match="integers"):
        khuyenhoc.rank([1.0], groups=[0.5])
    # int32 codes are read in place: the same checks apply.
    with pytest.raises(khuyenhoc.SpecError, match="entries for 2 values"):
        khuyenhoc.rank([1.0, 2.0], groups=np.array([0], dtype=np.int32))
    with pytest.raises(khuyenhoc.SpecError, match="-2 of row 1 is outside"):
        khuyenhoc.rank([1.0, 2.0], groups=np.array([0, -2], dtype=np.int32))
    with pytest.raises(khuyenhoc.SpecError, match="one-dimensional"):
        khuyenhoc.rank(np.zeros((2, 2)))


def pandas_order(df: pd.DataFrame, by: list[str], descending: list[bool]) -> np.ndarray:
    """Row positions sorted by pandas (stable mergesort, NaN last)."""
    ordered = df.reset_index(drop=True).sort_values(
        by, ascending=[not d for d in descending], kind="mergesort", na_position="last"
    )
    return ordered.index.to_numpy()


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from([1.0, 2.0, np.nan, -0.0, np.inf]), st.integers(-3, 3)),
        max_size=60,
    ),
    descending=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_order_matches_pandas_sort_values_with_an_id_last(rows, descending):
    n = len(rows)
    ids = [f"HS{i:05d}" for i in np.random.default_rng(n).permutation(n)]
    df = pd.DataFrame(
        {
            "score": np.array([r[0] for r in rows], dtype=np.float64),
            "level": np.array([r[1] for r in rows], dtype=np.int64),
            "id": np.array(ids, dtype=object),
        }
    )
    got = khuyenhoc.order(
        df["score"].to_numpy(), df["level"].to_numpy(), df["id"].to_numpy(), descending=list(descending)
    )
    want = pandas_order(df, ["score", "level", "id"], list(descending))
    np.testing.assert_array_equal(got, want)


def test_order_errors_and_text_keys():
    with pytest.raises(khuyenhoc.DataError, match="equal on every sort key"):
        khuyenhoc.order([1.0, 1.0])
    with pytest.raises(khuyenhoc.SpecError, match="rows"):
        khuyenhoc.order([1.0, 2.0], [1])
    with pytest.raises(khuyenhoc.SpecError, match="entries for 2 keys"):
        khuyenhoc.order([1.0], [1], descending=[True])
    # str keys compare by UTF-8 bytes; bytes keys (e.g. ICU sort keys) as they are.
    assert khuyenhoc.order(["Bình", "An", "Ánh"]).tolist() == [1, 0, 2]
    assert khuyenhoc.order(np.array([b"\x02", b"\x01\xff", b"\x01"])).tolist() == [2, 1, 0]
    assert khuyenhoc.order(np.array([3, 1, 2], dtype=np.uint64), descending=True).tolist() == [0, 2, 1]
    assert khuyenhoc.order([np.nan, 1.0], na_option="top").tolist() == [0, 1]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from([70.5, 80.0, 65.25, np.nan]), st.integers(-1, 3)), max_size=80
    ),
    k=st.integers(0, 6),
)
def test_top_k_per_group_matches_pandas_head_of_sorted_groups(rows, k):
    n = len(rows)
    df = pd.DataFrame(
        {
            "score": np.array([r[0] for r in rows], dtype=np.float64),
            "g": np.array([r[1] for r in rows], dtype=np.int64),
            "id": np.arange(n),
        }
    )
    sel, offsets = khuyenhoc.top_k_per_group(
        df["score"].to_numpy(), df["id"].to_numpy(), groups=df["g"].to_numpy(), k=[k] * 4,
        descending=[True, False],
    )
    assert offsets.tolist()[0] == 0 and len(offsets) == 5
    ordered = df.iloc[pandas_order(df, ["score", "id"], [True, False])]
    for g in range(4):
        want = ordered[ordered["g"] == g].head(k).index.to_numpy()
        np.testing.assert_array_equal(sel[offsets[g] : offsets[g + 1]], want)


def test_top_k_per_group_with_apportioned_quotas_matches_pandas():
    # The issue's "per-district top-k with quotas": seats apportioned by nominee counts
    # (largest remainder), then each district's quota by (score desc, id asc).
    rng = np.random.default_rng(11)
    n, districts, seats = 20_000, 7, 300
    score = np.round(rng.normal(70, 10, n), 1)
    score[rng.random(n) < 0.02] = np.nan
    district = rng.integers(0, districts, n).astype(np.int32)
    ids = rng.permutation(n).astype(np.int64)
    quota = khuyenhoc.apportion(np.bincount(district, minlength=districts), seats)
    assert quota.sum() == seats and len(set(quota.tolist())) > 1
    rows, offsets = khuyenhoc.top_k_per_group(
        score, ids, groups=district, k=quota, descending=[True, False]
    )
    df = pd.DataFrame({"score": score, "g": district, "id": ids})
    ordered = df.iloc[pandas_order(df, ["score", "id"], [True, False])]
    for g in range(districts):
        want = ordered[ordered["g"] == g].head(int(quota[g]))["id"].to_numpy()
        np.testing.assert_array_equal(ids[rows[offsets[g] : offsets[g + 1]]], want)
