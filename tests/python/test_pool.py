from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import khuyenhoc as kh


def test_version_is_the_cmake_version(root: Path) -> None:
    text = (root / "CMakeLists.txt").read_text(encoding="utf-8")
    assert f"project(khuyenhoc VERSION {kh.__version__}" in text


def test_read_csv_types_and_values(data_dir: Path) -> None:
    pool = kh.read_csv(str(data_dir / "pool_basic.csv"), id="id")
    assert len(pool) == 4
    assert pool.columns[0] == "id"
    assert pool.schema["ngày_sinh"] == "date"
    assert pool.schema["prizes"] == "list"
    gpa = pool["gpa"]
    assert gpa.dtype == np.float64 and math.isnan(gpa[2]) and gpa[3] == 7.25
    assert not gpa.flags.writeable
    dates = pool["ngày_sinh"]
    assert dates[0] == np.datetime64("2007-09-05") and np.isnat(dates[3])
    prizes = pool["prizes"]
    assert prizes[0] == ["Quốc gia - Giải Nhất", "Tỉnh - Giải Ba"]
    assert prizes[1] == [] and prizes[3] is None
    assert pool["ghi chú"][2] == "Dòng một\ndòng hai"
    assert pool.row_of("HS003") == 2 and pool.row_of("nope") is None


def test_read_csv_semicolon_nfd_bom(data_dir: Path) -> None:
    pool = kh.read_csv(str(data_dir / "pool_semicolon_bom_nfd.csv"), schema={"documents": "list"})
    assert "họ_tên" in pool.columns
    assert list(pool["gpa"]) == [9.1, 8.25]
    assert pool["documents"][0] == ["Tờ trình", "Biên bản họp bình xét"]


@pytest.mark.parametrize(
    ("fixture", "kind", "needle"),
    [
        ("bad_date.csv", kh.DataError, 'bad_date.csv:4: row "HS3": column "ngay_sinh": "31/02/2007" is not a date'),
        ("unbalanced_quote.csv", kh.ParseError, "unbalanced_quote.csv:3:5: unterminated quoted field"),
        ("duplicate_ids.csv", kh.DataError, "2 duplicate id(s)"),
        ("wrong_column_count.csv", kh.ParseError, "wrong_column_count.csv:3: too few fields"),
        ("invalid_utf8.csv", kh.ParseError, "invalid_utf8.csv:3:7: invalid UTF-8"),
        ("empty_id.csv", kh.DataError, "empty_id.csv:3"),
    ],
)
def test_malformed_inputs_raise_located_errors(
    data_dir: Path, fixture: str, kind: type[Exception], needle: str
) -> None:
    with pytest.raises(kind) as info:
        kh.read_csv(str(data_dir / "malformed" / fixture))
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, kh.Error)


def test_unknown_column_suggests(data_dir: Path) -> None:
    pool = kh.read_csv(str(data_dir / "pool_basic.csv"))
    with pytest.raises(kh.SchemaError, match='did you mean "gpa"'):
        pool["gpaa"]


def test_generate_pool_is_deterministic_and_documented() -> None:
    a = kh.generate_pool(5000, seed=3)
    b = kh.generate_pool(5000, seed=3)
    assert a.columns == b.columns
    assert "district" in a.columns
    np.testing.assert_array_equal(a["gpa"], b["gpa"])
    assert list(a["full_name"][:50]) == list(b["full_name"][:50])
    assert not np.array_equal(a["gpa"], kh.generate_pool(5000, seed=4)["gpa"], equal_nan=True)


def test_to_pandas_types_and_zero_copy() -> None:
    pool = kh.generate_pool(2000, seed=1)
    df = pool.to_pandas()
    assert len(df) == 2000 and list(df.columns) == pool.columns
    assert isinstance(df["district"].dtype, pd.CategoricalDtype)
    assert str(df["grade"].dtype) == "Int64"
    assert str(df["orphan"].dtype) == "boolean"
    assert str(df["date_of_birth"].dtype).startswith("datetime64")
    assert df["exam_score"].isna().sum() == int((df["grade"] != 12).sum())
    view = pool["gpa"]
    assert np.shares_memory(view, pool["gpa"])  # both views of the pool's own buffer
    assert df["prizes"].map(lambda v: isinstance(v, list)).all()


def test_from_pandas_round_trip_and_borrowing() -> None:
    df = pd.DataFrame(
        {
            "ma": ["A", "B", "C"],
            "gpa": np.array([9.0, np.nan, 7.5]),
            "grade": pd.array([12, None, 10], dtype="Int64"),
            "ok": pd.array([True, None, False], dtype="boolean"),
            "dob": pd.to_datetime(["2007-09-05", None, "2008-01-31"]),
            "district": pd.Categorical(["Hồng Bàng", "Lê Chân", None]),
            "prizes": [["Quốc gia - Giải Nhất"], [], None],
            "ngày": [dt.date(2024, 9, 30), None, dt.date(2024, 10, 1)],
        }
    )
    pool = kh.Pool.from_pandas(df, id="ma")
    assert pool.schema == {
        "ma": "text",
        "gpa": "number",
        "grade": "integer",
        "ok": "boolean",
        "dob": "date",
        "district": "category",
        "prizes": "list",
        "ngày": "date",
    }
    assert np.shares_memory(pool["gpa"], df["gpa"].to_numpy())  # borrowed, not copied
    back = pool.to_pandas()
    assert back["grade"].tolist()[0] == 12 and back["grade"].isna().tolist() == [False, True, False]
    assert back["ok"].isna().tolist() == [False, True, False]
    assert back["dob"].isna().tolist() == [False, True, False]
    assert back["district"].tolist()[:2] == ["Hồng Bàng", "Lê Chân"]
    assert back["prizes"].tolist() == [["Quốc gia - Giải Nhất"], [], None]
    del df  # the pool keeps the borrowed array alive
    assert pool["gpa"][2] == 7.5


def test_from_dict_and_duplicate_ids() -> None:
    pool = kh.Pool.from_dict({"id": ["x", "y"], "score": np.array([1.0, 2.0])})
    assert len(pool) == 2
    with pytest.raises(kh.DataError, match="duplicate"):
        kh.Pool.from_dict({"id": ["x", "x"], "score": np.array([1.0, 2.0])})
    with pytest.raises(kh.SchemaError):
        kh.Pool.from_dict({"id": ["x", "y"], "score": np.array([1.0])})


def test_csv_round_trip(tmp_path: Path) -> None:
    pool = kh.generate_pool(1000, seed=9)
    out = tmp_path / "pool.csv"
    pool.to_csv(str(out))
    again = kh.read_csv(str(out))
    assert again.columns == pool.columns and len(again) == len(pool)
    np.testing.assert_array_equal(again["gpa"], pool["gpa"])
    assert list(again["prizes"]) == list(pool["prizes"])
    assert list(again["submitted_on"]) == list(pool["submitted_on"])
    out2 = tmp_path / "again.csv"
    again.to_csv(str(out2))
    assert out2.read_bytes() == out.read_bytes()


def test_take_is_a_shard() -> None:
    pool = kh.generate_pool(100, seed=2)
    shard = pool.take([5, 3])
    assert len(shard) == 2 and shard.row_of("HS0000006") == 0
