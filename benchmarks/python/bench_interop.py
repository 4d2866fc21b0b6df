"""Hand-over costs of the Arrow and pandas doors: a generated pool given to pyarrow, polars,
DuckDB and pandas and taken back, next to the same hand-overs between pandas and pyarrow.

Run: .venv/bin/python -m pip install -r benchmarks/requirements.txt
     .venv/bin/python benchmarks/python/bench_interop.py --rows 1000000 --json out/bench_interop.json
Each timing is the best of --repeat runs (wall clock). Every hand-over is checked to give the
same values (row counts, the float64 column gpa, a category column, a date column).
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

import khuyenhoc as kh
from _timing import best_of  # noqa: E402  (benchmarks/python is the script directory)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    pool = kh.generate_pool(args.rows, seed=1)
    table = pa.table(pool)
    df = pool.to_pandas()
    gpa = pool["gpa"]

    results: list[tuple[str, float]] = []

    def run(name: str, fn, check) -> None:  # type: ignore[no-untyped-def]
        t, out = best_of(args.repeat, fn)
        check(out)
        results.append((name, t))

    def same_pool(p: kh.Pool) -> None:
        assert len(p) == args.rows
        np.testing.assert_array_equal(p["gpa"], gpa)
        assert p.column_type("district") == "category"
        assert p["district"][123] == pool["district"][123]
        assert p["date_of_birth"][77] == pool["date_of_birth"][77]

    def same_table(t: pa.Table) -> None:
        assert t.num_rows == args.rows
        np.testing.assert_array_equal(t["gpa"].to_numpy(), gpa)

    # Out of the pool.
    run("pool → pyarrow (pa.table(pool))", lambda: pa.table(pool), same_table)
    run(
        "pool → polars (pl.DataFrame(pool))",
        lambda: pl.DataFrame(pool),
        lambda d: np.testing.assert_array_equal(d["gpa"].to_numpy(), gpa),
    )
    def duck_over_pool(pool: kh.Pool = pool) -> list:  # type: ignore[type-arg]
        # DuckDB's replacement scan finds the pool by its name in the calling frame.
        return duckdb.sql("select count(*), sum(gpa) from pool").fetchall()

    def duck_to_pool(arrow_table: pa.Table = table) -> kh.Pool:
        return kh.Pool.from_arrow(duckdb.sql("select * from arrow_table"))

    run(
        "pool → DuckDB (query over the pool)",
        duck_over_pool,
        lambda r: np.testing.assert_allclose(r[0][1], np.nansum(gpa)),
    )
    run(
        "pool → pandas (pool.to_pandas())",
        lambda: pool.to_pandas(),
        lambda d: np.testing.assert_array_equal(d["gpa"].to_numpy(), gpa),
    )
    if hasattr(pd.DataFrame, "from_arrow"):
        run(
            "pool → pandas (pd.DataFrame.from_arrow(pool))",
            lambda: pd.DataFrame.from_arrow(pool),
            lambda d: np.testing.assert_array_equal(d["gpa"].to_numpy(), gpa),
        )
    # Into a pool.
    pl_df = pl.DataFrame(pool)
    run("pyarrow → pool (Pool.from_arrow(table))", lambda: kh.Pool.from_arrow(table), same_pool)
    run("polars → pool (Pool.from_arrow(df))", lambda: kh.Pool.from_arrow(pl_df), same_pool)
    run(
        "DuckDB → pool (Pool.from_arrow(relation))",
        duck_to_pool,
        same_pool,
    )
    run("pandas → pool (Pool.from_pandas(df))", lambda: kh.Pool.from_pandas(df), same_pool)
    # The peers between themselves, for scale.
    run("pandas → pyarrow (pa.Table.from_pandas)", lambda: pa.Table.from_pandas(df), same_table)
    run(
        "pyarrow → pandas (table.to_pandas())",
        lambda: table.to_pandas(),
        lambda d: np.testing.assert_array_equal(d["gpa"].to_numpy(), gpa),
    )
    run(
        "pyarrow → polars (pl.from_arrow(table))",
        lambda: pl.from_arrow(table),
        lambda d: np.testing.assert_array_equal(d["gpa"].to_numpy(), gpa),
    )

    width = max(len(n) for n, _ in results)
    for name, t in results:
        print(f"{name:<{width}}  {t * 1e3:9.1f} ms")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "rows": args.rows,
                    "repeat": args.repeat,
                    "machine": platform.platform(),
                    "versions": {
                        "khuyenhoc": kh.__version__,
                        "pyarrow": pa.__version__,
                        "polars": pl.__version__,
                        "duckdb": duckdb.__version__,
                        "pandas": pd.__version__,
                    },
                    "seconds": dict(results),
                },
                indent=2,
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
