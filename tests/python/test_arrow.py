"""The Arrow doors: pools and results handed to pyarrow, polars, DuckDB and pandas through the
Arrow PyCapsule protocol and back with Pool.from_arrow, values checked; Parquet files."""

from __future__ import annotations

import datetime as dt
import gc
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import khuyenhoc as kh

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def pool() -> kh.Pool:
    return kh.generate_pool(3000, seed=7)


def assert_same_pool(a: kh.Pool, b: kh.Pool) -> None:
    assert a.schema == b.schema
    assert len(a) == len(b)
    for name in a.columns:
        x, y = a[name], b[name]
        if a.column_type(name) in ("number", "date", "integer"):
            np.testing.assert_array_equal(x, y)  # NaN / NaT where missing, in both
        else:
            assert list(x) == list(y), name


def test_pyarrow_takes_a_pool_with_every_type(pool: kh.Pool) -> None:
    t = pa.table(pool)
    assert t.num_rows == len(pool) and t.column_names == pool.columns
    assert t.schema.field("gpa").type == pa.float64()
    assert t.schema.field("grade").type == pa.int64()
    assert t.schema.field("orphan").type == pa.bool_()
    assert t.schema.field("date_of_birth").type == pa.date32()
    assert t.schema.field("district").type == pa.dictionary(pa.int32(), pa.string())
    assert t.schema.field("full_name").type == pa.large_string()
    assert pa.types.is_list(t.schema.field("prizes").type)
    t.validate(full=True)
    df = pool.to_pandas()
    # Values: missing exam scores are Arrow nulls, categories and lists read back as strings.
    assert t["exam_score"].null_count == int(df["exam_score"].isna().sum())
    assert t["gpa"].to_pylist() == [None if np.isnan(v) else v for v in df["gpa"]]
    assert t["district"].to_pylist() == df["district"].astype(object).tolist()
    assert t["prizes"].to_pylist() == df["prizes"].tolist()
    assert t["date_of_birth"].to_pylist() == [
        None if pd.isna(d) else d.date() for d in df["date_of_birth"]
    ]
    assert t["orphan"].to_pylist() == df["orphan"].tolist()


def test_exported_numbers_are_the_pools_buffer(pool: kh.Pool) -> None:
    t = pa.table(pool)
    chunk = t["gpa"].chunk(0)
    assert chunk.buffers()[1].address == pool["gpa"].ctypes.data  # shared, not copied
    codes = t["district"].chunk(0).indices
    assert codes.buffers()[1].address == pool._values("district").ctypes.data


def test_a_stream_outlives_its_pool() -> None:
    p = kh.generate_pool(500, seed=3)
    expected = p["gpa"].copy()
    capsule_owner = pa.RecordBatchReader.from_stream(p)
    del p
    gc.collect()
    t = capsule_owner.read_all()
    np.testing.assert_array_equal(t["gpa"].to_numpy(), expected)


def test_pyarrow_round_trip_keeps_types_and_values(pool: kh.Pool) -> None:
    back = kh.Pool.from_arrow(pa.table(pool), id=pool.id_column)
    assert_same_pool(pool, back)
    # A record batch goes through __arrow_c_array__.
    batch = pa.table(pool).to_batches()[0]
    assert_same_pool(pool, kh.Pool.from_arrow(batch, id=pool.id_column))
    # A reader (a stream of several batches) is concatenated in order.
    reader = pa.RecordBatchReader.from_batches(
        pa.table(pool).schema, pa.table(pool).to_batches(max_chunksize=700)
    )
    assert_same_pool(pool, kh.Pool.from_arrow(reader, id=pool.id_column))


def test_dictionaries_stay_dictionaries_and_are_unified_across_batches() -> None:
    b1 = pa.record_batch(
        {"id": ["a", "b"], "hạnh_kiểm": pa.array(["Tốt", "Khá"]).dictionary_encode()}
    )
    b2 = pa.record_batch(
        {"id": ["c", "d"], "hạnh_kiểm": pa.array(["Trung bình", "Tốt"]).dictionary_encode()}
    )
    p = kh.Pool.from_arrow(pa.Table.from_batches([b1, b2]), id="id")
    assert p.column_type("hạnh_kiểm") == "category"
    assert p._dictionary("hạnh_kiểm") == ["Tốt", "Khá", "Trung bình"]
    assert list(p["hạnh_kiểm"]) == ["Tốt", "Khá", "Trung bình", "Tốt"]
    # Plain strings: a category when values repeat, text when asked or when they do not.
    t = pa.table({"id": [str(i) for i in range(40)], "x": ["u", "v"] * 20})
    assert kh.Pool.from_arrow(t).column_type("x") == "category"
    assert kh.Pool.from_arrow(t, infer_categories=False).column_type("x") == "text"


def test_polars_both_ways(pool: kh.Pool) -> None:
    df = pl.DataFrame(pool)
    assert df.shape == (len(pool), len(pool.columns))
    np.testing.assert_array_equal(df["gpa"].fill_null(np.nan).to_numpy(), pool["gpa"])
    assert df["district"].dtype == pl.Categorical
    assert df["district"].to_list() == list(pool["district"])
    assert df["prizes"].to_list() == list(pool["prizes"])
    assert df["date_of_birth"].to_list() == [
        None if pd.isna(d) else d.astype(dt.date) for d in pool["date_of_birth"]
    ]
    # polars drops field metadata (the text mark): plain strings are kept text on request.
    assert_same_pool(pool, kh.Pool.from_arrow(df, id=pool.id_column, infer_categories=False))
    # A polars frame built by hand: strings (views), Enum and Categorical stay categories.
    frame = pl.DataFrame(
        {
            "ma": ["A1", "A2", "A3"],
            "lop": pl.Series(["10", "11", "10"], dtype=pl.Enum(["10", "11", "12"])),
            "diem": [9.5, None, 8.0],
            "giai": [["Tỉnh"], [], None],
        }
    )
    p = kh.Pool.from_arrow(frame, id="ma")
    assert p.schema == {"ma": "text", "lop": "category", "diem": "number", "giai": "list"}
    assert list(p["lop"]) == ["10", "11", "10"]
    assert list(p["giai"]) == [["Tỉnh"], [], None]
    assert np.isnan(p["diem"][1]) and p["diem"][2] == 8.0


def test_duckdb_both_ways(pool: kh.Pool) -> None:
    # A replacement scan over the Python variable `pool`.
    got = duckdb.sql(
        "select district, count(*) as n, round(avg(gpa), 6) as g from pool "
        "group by district order by district"
    ).fetchall()
    df = pool.to_pandas()
    expected = df.groupby("district", observed=True).agg(n=("gpa", "size"), g=("gpa", "mean"))
    assert {d: (n, g) for d, n, g in got} == {
        d: (int(row.n), round(row.g, 6)) for d, row in expected.iterrows()
    }
    # duckdb.from_arrow takes the pool as an object with __arrow_c_stream__.
    ((n,),) = duckdb.from_arrow(pool).aggregate("count(*)").fetchall()
    assert n == len(pool)
    rel = duckdb.sql("select * from pool where grade = 12 order by id")
    sub = kh.Pool.from_arrow(rel, id=pool.id_column)
    mask = df["grade"] == 12
    assert len(sub) == int(mask.sum())
    assert list(sub["id"]) == sorted(df.loc[mask, "id"])
    assert sub.column_type("district") == "category"
    assert sub.column_type("date_of_birth") == "date"
    rows = {r: i for i, r in enumerate(df["id"])}
    for k in range(0, len(sub), 97):
        i = rows[sub["id"][k]]
        assert sub["gpa"][k] == df["gpa"][i]
        assert sub["district"][k] == df["district"][i]
        assert sub["prizes"][k] == df["prizes"][i]


def test_pandas_from_arrow_takes_a_pool(pool: kh.Pool) -> None:
    if not hasattr(pd.DataFrame, "from_arrow"):
        pytest.skip("pandas < 3 has no DataFrame.from_arrow")
    df = pd.DataFrame.from_arrow(pool)
    assert list(df.columns) == pool.columns
    np.testing.assert_array_equal(df["gpa"].to_numpy(), pool["gpa"])
    assert df["district"].astype(object).tolist() == list(pool["district"])


def test_a_pandas_frame_goes_through_its_own_arrow_stream() -> None:
    df = pd.DataFrame(
        {
            "ma": ["A", "B", "C"],
            "điểm": [9.5, None, 7.0],
            "lớp": pd.Categorical(["10", "11", "10"]),
            "nộp": pd.to_datetime(["2024-09-30 23:00", None, "2024-09-29 01:00"]).tz_localize(
                "UTC"
            ),
        }
    )
    p = kh.Pool.from_arrow(df, id="ma")
    assert p.schema == {"ma": "text", "điểm": "number", "lớp": "category", "nộp": "date"}
    assert list(p["lớp"]) == ["10", "11", "10"]
    assert p["nộp"][0] == np.datetime64("2024-10-01T06:00") and np.isnat(p["nộp"][1])
    # The same answer as the pandas door.
    q = kh.Pool.from_pandas(df, id="ma")
    np.testing.assert_array_equal(p["nộp"], q["nộp"])
    np.testing.assert_array_equal(p["điểm"], q["điểm"])


def test_timestamps_with_a_zone_become_the_vietnam_date() -> None:
    when = pa.array(
        [dt.datetime(2024, 9, 30, 23, 0, tzinfo=dt.timezone.utc), None],
        type=pa.timestamp("us", tz="UTC"),
    )
    p = kh.Pool.from_arrow(pa.table({"id": ["a", "b"], "nộp": when}))
    assert p.column_type("nộp") == "date"
    assert p["nộp"][0] == np.datetime64("2024-10-01T06:00")  # in Hà Nội, not 30/09 (UTC)
    assert np.isnat(p["nộp"][1])
    naive = pa.array([dt.datetime(2024, 9, 30, 23, 0)], type=pa.timestamp("ms"))
    assert kh.Pool.from_arrow(pa.table({"id": ["a"], "t": naive}))["t"][0] == np.datetime64(
        "2024-09-30T23:00"
    )


def test_unsupported_types_and_bad_values_are_located_errors() -> None:
    t = pa.table({"id": ["a"], "thời_lượng": pa.array([dt.timedelta(days=2)])})
    with pytest.raises(kh.SchemaError, match="thời_lượng.*Timedelta"):
        kh.Pool.from_arrow(t)
    t = pa.table({"id": ["a", "b"], "ngày": pa.array([dt.date(2024, 1, 1), dt.date(1200, 1, 1)])})
    with pytest.raises(kh.DataError, match=r'row "b".*ngày.*1400-01-01'):
        kh.Pool.from_arrow(t)
    with pytest.raises(kh.SchemaError, match="mã"):
        kh.Pool.from_arrow(pa.table({"id": ["a"]}), id="mã")
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        kh.Pool.from_arrow([1, 2, 3])
    with pytest.raises(kh.DataError, match="duplicate"):
        kh.Pool.from_arrow(pa.table({"id": ["a", "a"]}))
    with pytest.raises(kh.DataError, match="empty"):
        kh.Pool.from_arrow(pa.table({"id": [None, None]}))  # Arrow's null type
    assert len(kh.Pool.from_arrow(pa.table({"id": pa.array([], pa.null())}))) == 0


def test_results_speak_arrow() -> None:
    p = kh.read_csv(EXAMPLES / "pool.csv", id="id")
    scores = kh.CriteriaSet.from_yaml(str(EXAMPLES / "criteria" / "honour_pupils.yaml")).score(p)
    t = pa.table(scores)
    sdf = scores.to_pandas()
    assert t.num_rows == len(p)
    np.testing.assert_array_equal(t["total"].to_numpy(), sdf["total"].to_numpy())
    assert t["total"].chunk(0).buffers()[1].address == np.asarray(scores.total).ctypes.data
    assert t["level"].to_pylist() == sdf["level"].astype(object).where(sdf["level"].notna(), None).tolist()
    for name in sdf.columns:
        if name.startswith(("subtotal.", "points.")):
            np.testing.assert_array_equal(t[name].to_numpy(), sdf[name].to_numpy())

    verdicts = kh.Rules.from_yaml(str(EXAMPLES / "rules" / "honour_pupils.yaml")).evaluate(p)
    vt = pl.DataFrame(verdicts)
    vdf = verdicts.to_pandas()
    assert vt["eligible"].to_list() == vdf["eligible"].tolist()
    for rule in verdicts.rule_ids:
        assert vt[rule].cast(pl.String).to_list() == vdf[rule].astype(str).tolist()
    assert vt["reasons"].to_list() == vdf["reasons"].tolist()

    plan = kh.Plan.from_csv(str(EXAMPLES / "plans" / "thang_khuyen_hoc_2024.csv"), year=2024)
    findings = plan.check(window=(dt.date(2024, 9, 5), dt.date(2024, 10, 5)), capacity=2)
    ft = pa.table(findings)
    assert ft.num_rows == len(findings)
    assert ft["kind"].to_pylist() == [f.kind for f in findings]
    assert ft["tasks"].to_pylist() == [list(f.tasks) for f in findings]
    assert ft["first"].to_pylist() == [f.first for f in findings]
    ((n,),) = duckdb.sql("select count(*) from ft where severity = 'error'").fetchall()
    assert n == sum(f.severity == "error" for f in findings) > 0


def test_parquet_round_trip(pool: kh.Pool, tmp_path: Path) -> None:
    path = tmp_path / "pool.parquet"
    pool.to_parquet(path, compression="zstd")
    assert pq.read_schema(path).field("district").type == pa.dictionary(pa.int32(), pa.string())
    back = kh.read_parquet(path, id=pool.id_column)
    assert_same_pool(pool, back)
    some = kh.read_parquet(path, id=pool.id_column, columns=["gpa"])
    assert some.columns == ["id", "gpa"]
    with pytest.raises(FileNotFoundError):
        kh.read_parquet(tmp_path / "none.parquet")


def test_parquet_without_pyarrow_names_the_extra(
    pool: kh.Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"khuyenhoc\[arrow\]"):
        kh.read_parquet(tmp_path / "x.parquet")
    with pytest.raises(ImportError, match=r"khuyenhoc\[arrow\]"):
        pool.to_parquet(tmp_path / "x.parquet")


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_words = st.sampled_from(["Tốt", "Khá", "Đạt", "Giỏi", "", "a|b", "Hồng Bàng"])


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(min_value=0, max_value=40),
)
def test_random_pools_round_trip_through_pyarrow_and_polars(data: st.DataObject, n: int) -> None:
    floats = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64))
    ints = st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1))
    days = st.one_of(st.none(), st.dates(min_value=dt.date(1400, 1, 1)))
    lists = st.one_of(st.none(), st.lists(_words, max_size=3))
    x = data.draw(st.lists(floats, min_size=n, max_size=n))
    k = data.draw(st.lists(ints, min_size=n, max_size=n))
    d = data.draw(st.lists(days, min_size=n, max_size=n))
    w = data.draw(st.lists(st.one_of(st.none(), _words), min_size=n, max_size=n))
    li = data.draw(st.lists(lists, min_size=n, max_size=n))
    b = data.draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n))
    table = pa.table(
        {
            "id": pa.array([f"N{i}" for i in range(n)], pa.string()),
            "x": pa.array(x, pa.float64()),
            "k": pa.array(k, pa.int64()),
            "d": pa.array(d, pa.date32()),
            "w": pa.array(w, pa.string()).dictionary_encode(),
            "t": pa.array(w, pa.large_string()),
            "li": pa.array(li, pa.list_(pa.string())),
            "b": pa.array(b, pa.bool_()),
        }
    )
    pool = kh.Pool.from_arrow(table, infer_categories=False)
    assert pool.schema == {
        "id": "text", "x": "number", "k": "integer", "d": "date", "w": "category",
        "t": "text", "li": "list", "b": "boolean",
    }
    back = pa.table(pool)
    for name in ["x", "k", "d", "t", "li", "b"]:
        assert back[name].to_pylist() == table[name].to_pylist(), name
    assert back["w"].to_pylist() == w
    again = kh.Pool.from_arrow(pl.DataFrame(pool), infer_categories=False)
    assert_same_pool(pool, again)
