"""Loading a province-wide pool CSV: khuyenhoc.read_csv against pandas.read_csv and
pyarrow.csv.read_csv on the same file, and the cost of Pool.from_pandas.

Run: .venv/bin/python -m pip install -r benchmarks/requirements.txt
     .venv/bin/python benchmarks/python/bench_pool.py --rows 1000000 --json out/bench_pool.json
Each timing is the best of --repeat runs (wall clock). Answers are checked to be the same.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv as pacsv

import khuyenhoc as kh
from _timing import best_of  # noqa: E402  (benchmarks/python is the script directory)




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pool.csv")
        kh.generate_pool(args.rows, seed=1).to_csv(path)
        size_mb = os.path.getsize(path) / 1e6

        t_kh, pool = best_of(args.repeat, lambda: kh.read_csv(path, id="id"))
        t_pd, df = best_of(args.repeat, lambda: pd.read_csv(path))
        t_pd_arrow, _ = best_of(args.repeat, lambda: pd.read_csv(path, engine="pyarrow"))
        t_pa, table = best_of(args.repeat, lambda: pacsv.read_csv(path))
        t_from_pd, pool2 = best_of(args.repeat, lambda: kh.Pool.from_pandas(df, id="id"))
        t_to_pd, _ = best_of(args.repeat, lambda: pool.to_pandas())

        # Same answers: row counts and the numeric columns.
        assert len(pool) == len(df) == table.num_rows == len(pool2) == args.rows
        np.testing.assert_array_equal(pool["gpa"], df["gpa"].to_numpy())
        np.testing.assert_array_equal(pool["gpa"], table.column("gpa").to_numpy())
        np.testing.assert_array_equal(pool["exam_score"], df["exam_score"].to_numpy())

    rows = [
        ("khuyenhoc.read_csv", t_kh),
        ("pandas.read_csv (C engine)", t_pd),
        ("pandas.read_csv (engine='pyarrow')", t_pd_arrow),
        ("pyarrow.csv.read_csv", t_pa),
        ("khuyenhoc.Pool.from_pandas", t_from_pd),
        ("khuyenhoc Pool.to_pandas", t_to_pd),
    ]
    print(f"{args.rows:,} rows, {size_mb:.1f} MB CSV; best of {args.repeat}")
    for name, t in rows:
        print(f"  {name:40s} {t * 1000:9.1f} ms  {args.rows / t / 1e6:7.2f} M rows/s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "rows": args.rows,
                    "csv_mb": size_mb,
                    "machine": platform.platform(),
                    "cpus": os.cpu_count(),
                    "versions": {"pandas": pd.__version__, "pyarrow": pyarrow.__version__, "khuyenhoc": kh.__version__},
                    "seconds": dict(rows),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
