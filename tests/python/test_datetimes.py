"""Datetimes with times of day: pandas datetime64 (naive = Vietnam's wall clock, aware converted
to Asia/Ho_Chi_Minh) and Arrow timestamps keep their times into a pool and back; rules compare
them with dates (by day) or with datetime("dd/mm/yyyy HH:MM") (to the second)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import khuyenhoc as kh


def frame() -> pd.DataFrame:
    stamps = pd.to_datetime(
        ["2024-09-30 17:00:00", "2024-09-30 17:00:01", "2024-10-01 08:00:00", None]
    ).tz_localize("Asia/Ho_Chi_Minh").tz_convert("UTC")  # instants, as a server stores them
    return pd.DataFrame({"id": ["A", "B", "C", "D"], "submitted_at": stamps})


def test_times_of_day_are_kept_and_come_back() -> None:
    pool = kh.from_pandas(frame())
    assert pool.column_type("submitted_at") == "date"
    values = pool["submitted_at"]
    assert values.dtype == np.dtype("datetime64[s]")
    assert list(values[:3]) == [np.datetime64("2024-09-30T17:00"),
                                np.datetime64("2024-09-30T17:00:01"),
                                np.datetime64("2024-10-01T08:00")]
    assert np.isnat(values[3])
    back = pool.to_pandas()["submitted_at"]
    assert back.dtype == np.dtype("datetime64[s]")  # Vietnam's wall clock, naive
    assert back[0] == pd.Timestamp("2024-09-30 17:00") and pd.isna(back[3])
    # Sub-second parts are dropped (to the second), midnight-only columns stay plain dates.
    naive = pd.DataFrame({"id": ["a", "b"], "t": pd.to_datetime(["2024-01-02 10:00:00.75",
                                                                 "2024-01-03 00:00:00.00"])})
    assert kh.from_pandas(naive)["t"][0] == np.datetime64("2024-01-02T10:00:00")
    dates = pd.DataFrame({"id": ["a"], "t": pd.to_datetime(["2024-01-02"])})
    assert kh.from_pandas(dates)["t"].dtype == np.dtype("datetime64[D]")


def test_rules_compare_by_day_or_to_the_second() -> None:
    pool = kh.from_pandas(frame())
    by_day = kh.evaluate('submitted_at <= date("30/09/2024")', pool)
    assert list(by_day) == [True, True, False, None]
    exact = kh.evaluate('submitted_at <= datetime("30/09/2024 17:00")', pool)
    assert list(exact) == [True, False, False, None]
    with pytest.raises(kh.ParseError, match="is not a date and time"):
        kh.evaluate('submitted_at <= datetime("30/09/2024 17h")', pool)


def test_arrow_round_trip_keeps_times() -> None:
    pa = pytest.importorskip("pyarrow")
    pool = kh.from_pandas(frame())
    table = pa.table(pool)
    assert table["submitted_at"].type == pa.timestamp("s")
    assert table["submitted_at"][0].as_py().isoformat() == "2024-09-30T17:00:00"
    again = kh.Pool.from_arrow(table)
    np.testing.assert_array_equal(again["submitted_at"], pool["submitted_at"])
