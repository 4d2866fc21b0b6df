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


def test_lists_as_arrow_share_the_export_and_read_back_through_arrow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pa = pytest.importorskip("pyarrow")
    pool = kh.generate_pool(3000, seed=12)
    objects = pool.to_pandas()
    arrow = pool.to_pandas(lists="arrow")
    for name in ("prizes", "documents", "conduct_history"):
        dtype = arrow[name].dtype
        assert isinstance(dtype, pd.ArrowDtype) and pa.types.is_list(dtype.pyarrow_dtype)
        # The same values as the object column: a list of str per row, None where missing.
        assert arrow[name].tolist() == objects[name].tolist()
    assert arrow["prizes"].list.len().sum() == sum(map(len, objects["prizes"]))
    # Every other column is the same as with lists="object".
    pd.testing.assert_frame_equal(
        arrow.drop(columns=["prizes", "documents", "conduct_history"]),
        objects.drop(columns=["prizes", "documents", "conduct_history"]),
    )
    with pytest.raises(ValueError, match="lists"):
        pool.to_pandas(lists="numpy")  # type: ignore[arg-type]

    # Back to a pool: Arrow-backed columns go to the Arrow importer as they are (never through
    # Python objects), and the pool is the same, its list dictionaries in the pool's own order.
    def no_object_path(*args: object) -> None:
        raise AssertionError("converted through Python objects")

    monkeypatch.setattr(kh._pool, "_from_arrow_dtype", no_object_path)
    back = kh.Pool.from_pandas(arrow)
    assert back.schema == kh.Pool.from_pandas(objects).schema
    for name in ("prizes", "documents", "conduct_history"):
        assert back._dictionary(name) == pool._dictionary(name)
        assert list(back[name]) == list(pool[name])
        np.testing.assert_array_equal(back._valid(name), pool._valid(name))


def test_arrow_backed_strings_and_dictionaries_read_without_python_objects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pa = pytest.importorskip("pyarrow")
    df = pd.DataFrame(
        {
            "id": pd.Series(["a", "b", "c", "d"], dtype=pd.ArrowDtype(pa.large_string())),
            "tên": pd.Series(["Lan", None, "Hà", "Minh"], dtype=pd.ArrowDtype(pa.string())),
            "quận": pd.Series(
                pa.array(["Lê Chân", "Hồng Bàng", None, "Lê Chân"]).dictionary_encode(),
                dtype=pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string())),
            ),
            "giải": pd.Series(
                [["Tỉnh - Giải Ba"], [], None, ["Quốc gia", "Tỉnh"]],
                dtype=pd.ArrowDtype(pa.list_(pa.string())),
            ),
        }
    )
    expected = kh.Pool.from_pandas(df.astype(object), id="id")
    monkeypatch.setattr(kh._pool, "_from_arrow_dtype", lambda *a: pytest.fail("object path"))
    pool = kh.Pool.from_pandas(df, id="id")
    # As the object path: few distinct strings make a category (docs/pool.md).
    assert pool.schema == {"id": "text", "tên": "category", "quận": "category", "giải": "list"}
    assert pool.schema == expected.schema
    for name in pool.columns:
        assert list(pool[name]) == list(expected[name]), name
    # The dictionary keeps Arrow's order (first appearance), as Pool.from_arrow does.
    assert pool._dictionary("quận") == ["Lê Chân", "Hồng Bàng"]
    assert list(pool._valid("giải")) == [True, True, False, True]


def test_object_list_columns_are_read_in_one_pass() -> None:
    # What to_pandas gives (lists sharing one str per dictionary entry) and what users build:
    # tuples, sets, numpy arrays, non-str items (taken as str), empty and missing rows.
    pool = kh.generate_pool(2000, seed=3)
    df = pool.to_pandas()
    back = kh.Pool.from_pandas(df)
    for name in ("prizes", "documents", "conduct_history"):
        assert list(back[name]) == list(pool[name])
        np.testing.assert_array_equal(back._valid(name), pool._valid(name))
        # The dictionary in order of first appearance, as every other list door builds it.
        items = [x for row in pool[name] if row is not None for x in row]
        assert back._dictionary(name) == list(dict.fromkeys(items))
    mixed = pd.Series(
        [["Tỉnh", "Huyện"], ("Huyện",), np.array(["Quốc gia"]), [], None, [1, "Tỉnh"], np.nan],
        dtype=object,
    )
    p = kh.Pool.from_pandas(pd.DataFrame({"id": list("abcdefg"), "giải": mixed}))
    assert p.column_type("giải") == "list"
    assert p._dictionary("giải") == ["Tỉnh", "Huyện", "Quốc gia", "1"]
    assert list(p["giải"]) == [
        ["Tỉnh", "Huyện"], ["Huyện"], ["Quốc gia"], [], None, ["1", "Tỉnh"], None,
    ]
    # A cell that is not a list is an error naming the column and the row, never split up.
    for bad in ("Tỉnh|Huyện", 5):
        with pytest.raises(kh.DataError, match=r'giải.*row 2|row 2.*giải'):
            kh.Pool.from_pandas(
                pd.DataFrame({"id": ["a", "b"], "giải": pd.Series([["x"], bad], dtype=object)})
            )
