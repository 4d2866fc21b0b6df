"""Ordered categories: pandas' ordered Categorical and Arrow's ordered dictionaries keep their
order into a pool and back, Pool.with_order orders a column read from CSV, and rules compare
ordered categories with <, <=, >, >= (scales may also be declared in the rule file)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import khuyenhoc as kh

TT22 = ["Chưa đạt", "Đạt", "Khá", "Tốt"]


def frame(ordered: bool) -> pd.DataFrame:
    conduct = pd.Categorical(["Tốt", "Đạt", None, "Khá", "Chưa đạt"], categories=TT22,
                             ordered=ordered)
    return pd.DataFrame({"id": ["A", "B", "C", "D", "E"], "conduct": conduct})


def test_pandas_ordered_categorical_round_trips_and_compares() -> None:
    pool = kh.from_pandas(frame(True))
    assert pool.column_type("conduct") == "category"
    assert pool.is_ordered("conduct")
    assert list(kh.evaluate('conduct >= "Khá"', pool)) == [True, False, None, True, False]
    assert list(kh.evaluate('"Đạt" > conduct', pool)) == [False, False, None, False, True]
    back = pool.to_pandas()["conduct"]
    assert back.cat.ordered
    assert list(back.cat.categories) == TT22
    assert back.isna().tolist() == [False, False, True, False, False]
    # An unordered one stays unordered, and < on it says how to declare an order.
    plain = kh.from_pandas(frame(False))
    assert not plain.is_ordered("conduct")
    assert not plain.to_pandas()["conduct"].cat.ordered
    with pytest.raises(kh.SchemaError, match='column "conduct" is a category without an order'):
        kh.evaluate('conduct >= "Khá"', plain)


def test_literal_outside_the_order_suggests() -> None:
    pool = kh.from_pandas(frame(True))
    with pytest.raises(kh.SchemaError, match=r'"Kha" is not a value .*did you mean "Khá"'):
        kh.evaluate('conduct >= "Kha"', pool)


def test_with_order_for_csv_pools(tmp_path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text("id,conduct\nA,Tốt\nB,Đạt\nC,\nD,Khá\nE,Chưa đạt\n", encoding="utf-8")
    pool = kh.read_csv(str(path))
    assert not pool.is_ordered("conduct")
    ordered = pool.with_order("conduct", TT22)
    assert ordered.is_ordered("conduct") and not pool.is_ordered("conduct")
    assert list(kh.evaluate('conduct < "Khá"', ordered)) == [False, True, None, False, True]
    with pytest.raises(kh.DataError, match=r'"Chưa đạt" \(row "E"\)'):
        pool.with_order("conduct", ["Đạt", "Khá", "Tốt"])
    with pytest.raises(kh.SchemaError):
        pool.with_order("id", TT22)


def test_rule_file_scales() -> None:
    pool = kh.from_pandas(frame(False))
    rules = kh.Rules.from_text(
        """
scales:
  conduct: tt22
rules:
  - id: ren_luyen
    when: conduct >= "Khá"
    reason: "Rèn luyện {conduct}"
"""
    )
    v = rules.evaluate(pool)
    assert list(v.status[:, 0]) == [0, 1, 2, 0, 1]
    assert v.reasons("B") == ["Rèn luyện Đạt"]
    with pytest.raises(kh.SpecError, match='unknown scale "tt2"; did you mean "tt22"'):
        kh.Rules.from_text("scales:\n  conduct: tt2\nrules: []\n")


def test_arrow_ordered_dictionary_both_ways() -> None:
    pa = pytest.importorskip("pyarrow")
    arr = pa.DictionaryArray.from_arrays(
        pa.array([3, 1, None, 2, 0], pa.int8()), pa.array(TT22), ordered=True
    )
    table = pa.table({"id": ["A", "B", "C", "D", "E"], "conduct": arr})
    pool = kh.Pool.from_arrow(table)
    assert pool.is_ordered("conduct")
    assert list(kh.evaluate('conduct > "Đạt"', pool)) == [True, False, None, True, False]
    out = pa.table(pool)["conduct"].type
    assert out.ordered
    back = pa.table(kh.from_pandas(frame(False)))["conduct"].type
    assert not back.ordered
    # Through Arrow into pandas, the order stays.
    assert pa.table(pool).to_pandas()["conduct"].cat.ordered
    np.testing.assert_array_equal(
        pa.table(pool)["conduct"].to_pylist(), ["Tốt", "Đạt", None, "Khá", "Chưa đạt"]
    )
