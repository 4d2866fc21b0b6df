"""khuyenhoc.apportion: worked examples, and a differential test against exact reference
implementations written from the definitions with fractions.Fraction."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import khuyenhoc

METHODS = ["largest_remainder", "dhondt", "sainte_lague"]


def tie_order(w: list[Fraction], i: int) -> tuple:
    """Ties go to the larger weight, then the lower index."""
    return (-w[i], i)


def reference_divisor(weights, seats, lo, hi, method):
    """The table of quotients w/d(s) for every seat a group may still take; the best
    (seats - sum(lo)) entries win."""
    w = [Fraction(x) for x in weights]
    entries = []
    for i, wi in enumerate(w):
        if wi == 0:
            continue  # held at its minimum
        for s in range(lo[i], hi[i]):
            d = s + 1 if method == "dhondt" else 2 * s + 1
            entries.append((-(wi / d), *tie_order(w, i), s))
    entries.sort()
    out = list(lo)
    for entry in entries[: seats - sum(lo)]:
        out[entry[-2]] += 1
    return out


def reference_largest_remainder(weights, seats, lo, hi):
    """Quotas clamp(lambda*w, lo, hi) summing to seats, lambda found exactly on the
    piecewise-linear f; floors, then the largest remainders."""
    w = [Fraction(x) for x in weights]
    hi = [h if wi > 0 else l for wi, l, h in zip(w, lo, hi)]

    def quotas(lam):
        return [min(max(lam * wi, Fraction(l)), Fraction(h)) for wi, l, h in zip(w, lo, hi)]

    points = sorted(
        {Fraction(0)} | {Fraction(b) / wi for wi, l, h in zip(w, lo, hi) if wi > 0 for b in (l, h)}
    )
    lam = None
    for a, b in zip(points, points[1:] + [None]):
        fa = sum(quotas(a))
        if fa == seats:
            lam = a
            break
        if b is None:
            break
        fb = sum(quotas(b))
        if fa < seats < fb:
            lam = a + (b - a) * (seats - fa) / (fb - fa)  # f is linear between breakpoints
            break
    assert lam is not None
    q = quotas(lam)
    out = [int(x) for x in q]  # floor (non-negative)
    rest = sorted(range(len(w)), key=lambda i: (-(q[i] - out[i]), *tie_order(w, i)))
    for i in rest[: seats - sum(out)]:
        out[i] += 1
    return out


def reference(weights, seats, method, lo, hi):
    if method == "largest_remainder":
        return reference_largest_remainder(weights, seats, lo, hi)
    return reference_divisor(weights, seats, lo, hi, method)


VOTES = [100_000, 80_000, 30_000, 20_000]


def test_wikipedia_examples():
    assert khuyenhoc.apportion(VOTES, 8, "dhondt").tolist() == [4, 3, 1, 0]
    assert khuyenhoc.apportion(VOTES, 8, "sainte_lague").tolist() == [3, 3, 1, 1]
    # Hare quotas 3.48, 2.78, 1.04, 0.70.
    assert khuyenhoc.apportion(VOTES, 8).tolist() == [3, 3, 1, 1]
    lr = [47_000, 16_000, 15_800, 12_000, 6_100, 3_100]
    assert khuyenhoc.apportion(lr, 10).tolist() == [5, 2, 1, 1, 1, 0]
    assert khuyenhoc.apportion(lr, 10, "dhondt").tolist() == [5, 2, 2, 1, 0, 0]


def test_alabama_paradox_and_house_monotone_divisor_methods():
    assert khuyenhoc.apportion([6, 6, 2], 10).tolist() == [4, 4, 2]
    assert khuyenhoc.apportion([6, 6, 2], 11).tolist() == [5, 5, 1]
    for method in ("dhondt", "sainte_lague"):
        a = khuyenhoc.apportion([6, 6, 2], 10, method)
        b = khuyenhoc.apportion([6, 6, 2], 11, method)
        assert (a <= b).all()


def test_bounds_scalar_and_per_group():
    assert khuyenhoc.apportion([90, 5, 5], 10, minimum=2).tolist() == [6, 2, 2]
    assert khuyenhoc.apportion([50, 30, 20], 10, maximum=4).tolist() == [4, 4, 2]
    got = khuyenhoc.apportion([50, 30, 20], 10, "sainte_lague", minimum=[0, 0, 3], maximum=[10, 1, 10])
    assert got.tolist() == [6, 1, 3]
    assert got.dtype == np.int64
    assert khuyenhoc.apportion(np.array([1.0, 2.0]), np.int64(3), minimum=np.int32(1)).tolist() == [
        1,
        2,
    ]


def test_fifteen_districts_share_300_honours():
    rng = np.random.default_rng(15)
    nominees = rng.integers(3_000, 25_000, 15)
    for method in METHODS:
        seats = khuyenhoc.apportion(nominees, 300, method, minimum=5, maximum=40)
        assert seats.sum() == 300
        assert seats.min() >= 5 and seats.max() <= 40
        lo, hi = [5] * 15, [40] * 15
        assert seats.tolist() == reference(nominees.tolist(), 300, method, lo, hi)


def test_errors_name_the_group():
    with pytest.raises(khuyenhoc.SpecError, match="group 1"):
        khuyenhoc.apportion([1, -1, 2], 3)
    with pytest.raises(ValueError, match="group 2"):
        khuyenhoc.apportion([1, 2, float("nan")], 3)
    with pytest.raises(khuyenhoc.SpecError, match="group 1"):
        khuyenhoc.apportion([3, 2, 1], 5, minimum=[0, 3, 0], maximum=[5, 2, 5])
    with pytest.raises(khuyenhoc.SpecError, match="minimums add up to more"):
        khuyenhoc.apportion([3, 2, 1], 5, minimum=2)
    with pytest.raises(khuyenhoc.SpecError, match="maximums add up to 3"):
        khuyenhoc.apportion([3, 2, 1], 5, maximum=1)
    with pytest.raises(khuyenhoc.SpecError, match="unknown apportionment method"):
        khuyenhoc.apportion([1], 1, "huntington_hill")
    with pytest.raises(khuyenhoc.SpecError, match="entries for 3 groups"):
        khuyenhoc.apportion([3, 2, 1], 5, minimum=[1, 1])
    with pytest.raises(khuyenhoc.SpecError, match="integers"):
        khuyenhoc.apportion([3, 2, 1], 5, minimum=0.5)


@st.composite
def problems(draw):
    n = draw(st.integers(1, 8))
    weights = draw(
        st.lists(
            st.one_of(st.integers(0, 10_000), st.integers(0, 4096).map(lambda k: k / 64)),
            min_size=n,
            max_size=n,
        )
    )
    assume(sum(weights) > 0)
    seats = draw(st.integers(0, 40))
    lo = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    extra = draw(st.lists(st.one_of(st.none(), st.integers(0, 12)), min_size=n, max_size=n))
    hi = [max(l, seats if e is None else min(l + e, seats)) for l, e in zip(lo, extra)]
    eff_hi = [h if w > 0 else l for w, l, h in zip(weights, lo, hi)]
    assume(sum(lo) <= seats <= sum(eff_hi))
    return weights, seats, lo, hi


@settings(max_examples=300, deadline=None)
@given(problem=problems(), method=st.sampled_from(METHODS))
def test_matches_exact_reference_and_respects_bounds(problem, method):
    weights, seats, lo, hi = problem
    got = khuyenhoc.apportion(weights, seats, method, minimum=lo, maximum=hi)
    assert got.sum() == seats
    assert (got >= np.array(lo)).all() and (got <= np.array(hi)).all()
    assert got.tolist() == reference(weights, seats, method, lo, hi)


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.integers(0, 1_000), min_size=1, max_size=10).filter(lambda w: sum(w) > 0),
    seats=st.integers(0, 60),
    method=st.sampled_from(["dhondt", "sainte_lague"]),
)
def test_divisor_methods_are_house_monotone(weights, seats, method):
    a = khuyenhoc.apportion(weights, seats, method)
    b = khuyenhoc.apportion(weights, seats + 1, method)
    assert (a <= b).all()
    assert b.sum() == seats + 1
