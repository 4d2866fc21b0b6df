"""The pandas door: what to_pandas shares, and how from_pandas treats time zones, dates out of
range, Timedelta / Period columns and ordered categoricals."""

from __future__ import annotations

import datetime as dt
import sys
import zoneinfo

import numpy as np
import pandas as pd
import pytest

import khuyenhoc as kh

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def test_to_pandas_shares_numbers_integers_and_booleans() -> None:
    pool = kh.generate_pool(2000, seed=5)
    df = pool.to_pandas()
    assert np.shares_memory(df["gpa"].to_numpy(), pool._values("gpa"))
    assert np.shares_memory(df["grade"].array._data, pool._values("grade"))
    assert np.shares_memory(df["orphan"].array._data, pool._values("orphan"))
    assert str(df["grade"].dtype) == "Int64" and str(df["orphan"].dtype) == "boolean"
    # Values are the pool's, and the frame outlives the pool.
    expected = pool["gpa"].copy()
    del pool
    np.testing.assert_array_equal(df["gpa"].to_numpy(), expected)
    # The shared columns are read-only (the pool is immutable); whole columns can be replaced,
    # and copy=True gives writable copies.
    with pytest.raises(ValueError, match="read-only"):
        df.loc[0, "gpa"] = -1.0
    df["gpa"] = df["gpa"] * 2
    pool2 = kh.generate_pool(10, seed=5)
    own = pool2.to_pandas(copy=True)
    own.loc[0, "gpa"] = -1.0
    assert own.loc[0, "gpa"] == -1.0 and pool2["gpa"][0] != -1.0
    assert not np.shares_memory(own["gpa"].to_numpy(), pool2._values("gpa"))


def test_aware_timestamps_become_the_vietnam_date_and_time_not_utc() -> None:
    # A submission at 06:00 on 1 October in Hà Nội is 23:00 on 30 September in UTC.
    stamps = pd.to_datetime(
        ["2024-10-01 06:00+07:00", "2024-09-30 16:59:59Z", None], utc=True, format="ISO8601"
    )
    df = pd.DataFrame({"id": ["a", "b", "c"], "nộp": stamps})
    pool = kh.Pool.from_pandas(df)
    assert pool.column_type("nộp") == "date"
    # Datetimes keep their times of day, on Vietnam's wall clock; their dates are Vietnam's.
    assert list(pool["nộp"][:2]) == [
        np.datetime64("2024-10-01T06:00"), np.datetime64("2024-09-30T23:59:59")
    ]
    assert list(pool["nộp"][:2].astype("datetime64[D]")) == [
        np.datetime64("2024-10-01"), np.datetime64("2024-09-30")
    ]
    assert np.isnat(pool["nộp"][2])
    # Other zones: the instant, seen from Vietnam.
    paris = pd.Series(pd.to_datetime(["2024-09-30 20:30"]).tz_localize("Europe/Paris"))
    p2 = kh.Pool.from_pandas(pd.DataFrame({"id": ["a"], "t": paris}))
    assert p2["t"][0] == np.datetime64("2024-10-01T01:30")  # 01:30 the next day in Hà Nội
    # Aware datetime objects in an object column, too.
    objs = [dt.datetime(2024, 9, 30, 23, 0, tzinfo=dt.timezone.utc), None]
    p3 = kh.Pool.from_dict({"id": ["a", "b"], "t": objs})
    assert p3["t"][0] == np.datetime64("2024-10-01T06:00") and np.isnat(p3["t"][1])
    # Naive datetimes are wall-clock times: their own date.
    naive = pd.to_datetime(["2024-09-30 23:00"])
    p4 = kh.Pool.from_pandas(pd.DataFrame({"id": ["a"], "t": naive}))
    assert p4["t"][0] == np.datetime64("2024-09-30T23:00")


def test_historical_vietnam_offsets_are_used() -> None:
    # Sài Gòn was UTC+8 in 1970: 16:30 UTC on 1 June 1970 was already 2 June there.
    when = pd.Series(pd.to_datetime(["1970-06-01 16:30"], utc=True))
    p = kh.Pool.from_pandas(pd.DataFrame({"id": ["a"], "t": when}))
    assert p["t"][0] == np.datetime64("1970-06-02T00:30")
    assert when.dt.tz_convert(HANOI).dt.date[0] == dt.date(1970, 6, 2)


def test_mixed_aware_and_naive_datetimes_are_refused() -> None:
    objs = [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2024, 1, 2)]
    with pytest.raises(kh.SchemaError, match='column "t".*time zone'):
        kh.Pool.from_dict({"id": ["a", "b"], "t": objs})


def test_dates_beyond_pandas_nanoseconds_are_kept_and_out_of_range_ones_located() -> None:
    far = pd.Series([pd.Timestamp("9999-12-31"), pd.Timestamp("1500-03-01")]).astype(
        "datetime64[s]"
    )
    pool = kh.Pool.from_pandas(pd.DataFrame({"id": ["a", "b"], "hạn": far}))
    assert list(pool["hạn"]) == [np.datetime64("9999-12-31"), np.datetime64("1500-03-01")]
    objs = [dt.date(2024, 1, 1), dt.date(1000, 1, 1)]
    with pytest.raises(kh.DataError, match=r'row "HS2": column "ngày".*1400-01-01'):
        kh.Pool.from_dict({"ma": ["HS1", "HS2"], "ngày": objs}, id="ma")
    old = pd.Series([pd.Timestamp("1300-01-01")]).astype("datetime64[s]")
    with pytest.raises(kh.DataError, match=r'row "x".*column "d"'):
        kh.Pool.from_pandas(pd.DataFrame({"id": ["x"], "d": old}))


def test_timedelta_period_and_interval_columns_are_refused_by_name() -> None:
    cases = {
        "thời_gian": pd.to_timedelta(["1 day", "2 days"]),
        "kỳ": pd.period_range("2024-01", periods=2, freq="M"),
        "khoảng": pd.interval_range(0, 2),
    }
    for name, values in cases.items():
        df = pd.DataFrame({"id": ["a", "b"], name: values})
        with pytest.raises(kh.SchemaError, match=f'column "{name}"'):
            kh.Pool.from_pandas(df)
    objs = pd.Series([dt.timedelta(days=1), None], dtype=object)
    with pytest.raises(kh.SchemaError, match="Timedelta"):
        kh.Pool.from_pandas(pd.DataFrame({"id": ["a", "b"], "d": objs}))


def test_ordered_categoricals_keep_their_order() -> None:
    order = ["Yếu", "Trung bình", "Khá", "Tốt"]
    conduct = pd.Categorical(["Khá", "Tốt", None, "Yếu"], categories=order, ordered=True)
    pool = kh.Pool.from_pandas(pd.DataFrame({"id": list("abcd"), "hạnh_kiểm": conduct}))
    assert pool.column_type("hạnh_kiểm") == "category"
    assert pool._dictionary("hạnh_kiểm") == order  # the dictionary is the categories' order
    back = pool.to_pandas()["hạnh_kiểm"]
    assert list(back.cat.categories) == order
    assert back.astype(object).where(back.notna(), None).tolist() == ["Khá", "Tốt", None, "Yếu"]
    # The categories' codes follow the order, so order-aware code can compare codes.
    assert list(back.cat.codes) == [2, 3, -1, 0]


def test_pyarrow_backed_columns_convert_like_numpy_ones() -> None:
    pa = pytest.importorskip("pyarrow")
    df = pd.DataFrame(
        {
            "id": pd.Series(["a", "b", "c"], dtype=pd.ArrowDtype(pa.string())),
            "x": pd.Series([1.5, None, 2.0], dtype=pd.ArrowDtype(pa.float64())),
            "n": pd.Series([1, None, 3], dtype=pd.ArrowDtype(pa.int32())),
            "t": pd.Series(
                [dt.datetime(2024, 9, 30, 23, tzinfo=dt.timezone.utc), None, None],
                dtype=pd.ArrowDtype(pa.timestamp("us", tz="UTC")),
            ),
            "d": pd.Series([dt.date(2024, 1, 2), None, None], dtype=pd.ArrowDtype(pa.date32())),
        }
    )
    pool = kh.Pool.from_pandas(df)
    assert pool.schema == {
        "id": "text", "x": "number", "n": "integer", "t": "date", "d": "date"
    }
    assert pool["x"][0] == 1.5 and np.isnan(pool["x"][1])
    assert list(pool._valid("n")) == [True, False, True]
    assert pool["t"][0] == np.datetime64("2024-10-01T06:00")  # Vietnam's time of an aware stamp
    assert pool["d"][0] == np.datetime64("2024-01-02") and np.isnat(pool["d"][1])
    durations = pd.Series([dt.timedelta(1)], dtype=pd.ArrowDtype(pa.duration("s")))
    with pytest.raises(kh.SchemaError, match="Timedelta"):
        kh.Pool.from_pandas(pd.DataFrame({"id": ["a"], "w": durations}))


def test_text_columns_are_pandas_str_with_missing_values() -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"id": ["a", "b", "c"], "ghi_chú": ["xin chào", None, ""]})
    pool = kh.Pool.from_arrow(table, infer_categories=False)
    assert pool.column_type("ghi_chú") == "text"
    s = pool.to_pandas()["ghi_chú"]
    assert s.dtype == pd.Series([], dtype="str").dtype
    assert s.isna().tolist() == [False, True, False]
    assert s[0] == "xin chào" and s[2] == ""


def test_from_pandas_gives_the_same_pool_with_and_without_pyarrow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With pyarrow, text and list columns go through the C++ Arrow importer; without it,
    # through pandas.factorize. Both must give the same pool, dictionaries in the same order.
    pytest.importorskip("pyarrow")
    df = kh.generate_pool(3000, seed=11).to_pandas()
    df["mixed"] = [["a", "b"], None, []] * 1000
    df["obj_text"] = pd.Series(["x", None, "y", "x"] * 750, dtype=object)
    with_arrow = kh.Pool.from_pandas(df)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    without = kh.Pool.from_pandas(df)
    assert with_arrow.schema == without.schema
    for name in with_arrow.columns:
        kind = with_arrow.column_type(name)
        if kind in ("category", "list"):
            assert with_arrow._dictionary(name) == without._dictionary(name), name
        if kind in ("number", "date"):
            np.testing.assert_array_equal(with_arrow[name], without[name])
        else:
            assert list(with_arrow[name]) == list(without[name]), name
