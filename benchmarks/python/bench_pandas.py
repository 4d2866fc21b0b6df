"""Pool <-> pandas per column kind: `Pool.to_pandas()` and `Pool.from_pandas()` of a generated
pool's columns one kind at a time (number, integer, boolean, date, category, text, list) and of
the whole pool, best of --repeat (wall clock), each checked to give back the same values.

    python benchmarks/python/bench_pandas.py [--rows 1000000] [--repeat 5] [--json out.json]

The goal (issue 12): numeric and category columns under 50 ms each way at 1M rows (shared
buffers, no Python object per cell), text and lists without per-row Python work where pandas
allows it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import khuyenhoc as kh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of  # noqa: E402

# One column of each kind in the generated pool (docs/pool.md).
KINDS = {
    "number": "gpa",
    "integer": "grade",
    "boolean": "orphan",
    "date": "date_of_birth",
    "category": "district",
    "text": "full_name",
    "list": "prizes",
}


def same(a: kh.Pool, b: kh.Pool, name: str) -> None:
    kinds = {a.column_type(name), b.column_type(name)}
    # from_pandas infers category for strings that repeat (at most half distinct), as read_csv
    assert len(kinds) == 1 or kinds == {"text", "category"}, (name, kinds)
    x, y = a[name], b[name]
    if a.column_type(name) in ("number", "date"):
        np.testing.assert_array_equal(x, y)
    else:
        assert list(x) == list(y), name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    pool = kh.generate_pool(args.rows, seed=2024)
    full = pool.to_pandas()
    rows = []
    base = (0.0, 0.0)
    cases = [("id only", "id", "object"), *((k, c, "object") for k, c in KINDS.items()),
             ("list, lists='arrow'", "prizes", "arrow"), ("whole pool", None, "object"),
             ("whole pool, lists='arrow'", None, "arrow")]
    for kind, name, lists in cases:
        if name is None:
            part = pool
        else:
            part = kh.Pool.from_pandas(full[["id"] if name == "id" else ["id", name]], id="id")
        t_to, df = best_of(args.repeat, lambda part=part, lists=lists: part.to_pandas(lists=lists))
        t_from, back = best_of(args.repeat, lambda df=df: kh.Pool.from_pandas(df, id="id"))
        for col in part.columns:
            same(part, back, col)
        if name == "id":
            base = (t_to, t_from)
        net = name not in (None, "id")
        rows.append({
            "kind": kind, "column": name or "(all)",
            "pandas_dtype": str(df[name].dtype)[:40] if name else "",
            "to_pandas_total_ms": t_to * 1e3, "from_pandas_total_ms": t_from * 1e3,
            "to_pandas_ms": (t_to - base[0] * net) * 1e3,
            "from_pandas_ms": (t_from - base[1] * net) * 1e3,
        })
    print(f"{args.rows:,} rows; pandas {pd.__version__}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| kind | column | pandas dtype | to_pandas (net of id) | from_pandas (net of id) "
          "| to_pandas (pool) | from_pandas (frame) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['kind']} | {r['column']} | {r['pandas_dtype']} "
              f"| {r['to_pandas_ms']:.1f} ms | {r['from_pandas_ms']:.1f} ms "
              f"| {r['to_pandas_total_ms']:.1f} ms | {r['from_pandas_total_ms']:.1f} ms |")
    print("(a pool always has its id column, text: 'net of id' is the time for a pool of the id "
          "and the column less that for the id alone; noise can make it slightly negative)")
    if args.json:
        args.json.write_text(json.dumps({"rows": args.rows, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
