"""Ranking a province-sized pool: khuyenhoc against pandas, polars and DuckDB on the same data.

Three jobs on --rows nominees (scores with two decimals, so many ties; 1% missing) in
--groups districts:
  1. full rank, method "min", descending, missing last (SQL RANK() ... NULLS LAST);
  2. the same rank within each district (PARTITION BY district);
  3. the top --k of each district by (score desc, id asc) (QUALIFY ROW_NUMBER() <= k).
Every peer's answer is checked equal to khuyenhoc's before its time is reported.

Run: .venv/bin/python -m pip install -r benchmarks/requirements.txt
     .venv/bin/python benchmarks/python/bench_ranking.py --rows 10000000 --json out/bench_ranking.json
Each timing is the best of --repeat runs (wall clock), from in-memory columns to an answer
aligned with the input rows (rank) or the selected ids per district (top-k).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl

import khuyenhoc as kh
from _timing import best_of  # noqa: E402  (benchmarks/python is the script directory)




def make_data(rows: int, groups: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = np.round(rng.normal(70, 10, rows) * 100) / 100
    score[rng.random(rows) < 0.01] = np.nan
    return {
        "score": score,
        "district": rng.integers(0, groups, rows).astype(np.int32),
        "id": rng.permutation(rows).astype(np.int64),
        "row": np.arange(rows, dtype=np.int64),
    }


def scatter(rows: int, index: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.empty(rows, dtype=np.float64)
    out[index] = values
    return out


def per_group_ids(ids: np.ndarray, groups: np.ndarray, ngroups: int) -> list[list[int]]:
    """Selected ids per district, in their selection order (input already in that order)."""
    out: list[list[int]] = [[] for _ in range(ngroups)]
    for i, g in zip(ids.tolist(), groups.tolist()):
        out[g].append(i)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--groups", type=int, default=30)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20241002)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    n, ngroups, k = args.rows, args.groups, args.k

    d = make_data(n, ngroups, args.seed)
    s, g, ids = d["score"], d["district"], d["id"]
    pdf = pd.DataFrame(d)
    # polars and DuckDB have NULL for missing (their NaN sorts as the largest number).
    pldf = pl.DataFrame(d, nan_to_null=True)
    con = duckdb.connect()
    con.register("pool", pldf.to_arrow())
    con.execute(f"SET threads TO {os.cpu_count()}")

    results: list[dict[str, Any]] = []

    def record(job: str, engine: str, seconds: float) -> None:
        results.append({"job": job, "engine": engine, "seconds": seconds, "rows_per_s": n / seconds})

    # 1. Full rank.
    job = "rank (min, desc, missing last)"
    t, want = best_of(args.repeat, lambda: kh.rank(s, "min", ascending=False, na_option="bottom"))
    record(job, "khuyenhoc", t)
    t, got = best_of(
        args.repeat, lambda: pdf["score"].rank(method="min", ascending=False, na_option="bottom").to_numpy()
    )
    np.testing.assert_array_equal(got, want)
    record(job, "pandas", t)
    t, got = best_of(
        args.repeat,
        lambda: pldf.select(pl.col("score").rank("min", descending=True)).to_series().to_numpy(),
    )
    present = ~np.isnan(s)  # polars keeps missing ranks missing; present ranks must agree
    np.testing.assert_array_equal(np.isnan(got), ~present)
    np.testing.assert_array_equal(got[present], want[present])
    record(job, "polars", t)
    sql = "SELECT row, rank() OVER (ORDER BY score DESC NULLS LAST) AS r FROM pool"
    t, got = best_of(args.repeat, lambda: (lambda a: scatter(n, a["row"], a["r"]))(con.sql(sql).fetchnumpy()))
    np.testing.assert_array_equal(got, want)
    record(job, "duckdb", t)

    # 2. Rank within districts.
    job = f"rank within {ngroups} districts"
    t, want = best_of(
        args.repeat, lambda: kh.rank(s, "min", ascending=False, na_option="bottom", groups=g)
    )
    record(job, "khuyenhoc", t)
    t, got = best_of(
        args.repeat,
        lambda: pdf.groupby("district")["score"]
        .rank(method="min", ascending=False, na_option="bottom")
        .to_numpy(),
    )
    np.testing.assert_array_equal(got, want)
    record(job, "pandas", t)
    t, got = best_of(
        args.repeat,
        lambda: pldf.select(pl.col("score").rank("min", descending=True).over("district"))
        .to_series()
        .to_numpy(),
    )
    np.testing.assert_array_equal(got[present], want[present])
    record(job, "polars", t)
    sql = (
        "SELECT row, rank() OVER (PARTITION BY district ORDER BY score DESC NULLS LAST) AS r "
        "FROM pool"
    )
    t, got = best_of(args.repeat, lambda: (lambda a: scatter(n, a["row"], a["r"]))(con.sql(sql).fetchnumpy()))
    np.testing.assert_array_equal(got, want)
    record(job, "duckdb", t)

    # 3. Top k per district by (score desc, id asc).
    job = f"top {k} per district (score desc, id asc)"

    def kh_top() -> list[list[int]]:
        rows, offsets = kh.top_k_per_group(s, ids, groups=g, k=k, descending=[True, False])
        sel = ids[rows]
        return [sel[offsets[i] : offsets[i + 1]].tolist() for i in range(ngroups)]

    t, want_top = best_of(args.repeat, kh_top)
    record(job, "khuyenhoc", t)

    def pd_top() -> list[list[int]]:
        top = (
            pdf.sort_values(["score", "id"], ascending=[False, True], na_position="last")
            .groupby("district", sort=False)
            .head(k)
        )
        return per_group_ids(top["id"].to_numpy(), top["district"].to_numpy(), ngroups)

    t, got = best_of(args.repeat, pd_top)
    assert got == want_top
    record(job, "pandas", t)

    def pl_top() -> list[list[int]]:
        top = pldf.group_by("district").agg(
            pl.col("id").sort_by(["score", "id"], descending=[True, False], nulls_last=True).head(k)
        )
        out: list[list[int]] = [[] for _ in range(ngroups)]
        for dist, sel in zip(top["district"].to_list(), top["id"].to_list()):
            out[dist] = sel
        return out

    t, got = best_of(args.repeat, pl_top)
    assert got == want_top
    record(job, "polars", t)
    sql = (
        "SELECT district, id FROM pool QUALIFY row_number() OVER "
        f"(PARTITION BY district ORDER BY score DESC NULLS LAST, id) <= {k} "
        "ORDER BY district, score DESC NULLS LAST, id"
    )

    def duck_top() -> list[list[int]]:
        a = con.sql(sql).fetchnumpy()
        return per_group_ids(a["id"], a["district"], ngroups)

    t, got = best_of(args.repeat, duck_top)
    assert got == want_top
    record(job, "duckdb", t)

    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            "khuyenhoc": kh.__version__,
            "pandas": pd.__version__,
            "polars": pl.__version__,
            "duckdb": duckdb.__version__,
            "numpy": np.__version__,
        },
    }
    print(f"{n:,} rows, {ngroups} districts, best of {args.repeat}; {machine['cpus']} CPUs")
    for job_name in dict.fromkeys(r["job"] for r in results):
        rows = [r for r in results if r["job"] == job_name]
        fastest_peer = min(r["seconds"] for r in rows if r["engine"] != "khuyenhoc")
        mine = next(r["seconds"] for r in rows if r["engine"] == "khuyenhoc")
        print(f"{job_name}  (khuyenhoc {fastest_peer / mine:.1f}x the fastest peer)")
        for r in rows:
            print(f"  {r['engine']:10s} {r['seconds'] * 1000:9.1f} ms  {r['rows_per_s'] / 1e6:7.2f} M rows/s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"rows": n, "groups": ngroups, "k": k, "machine": machine, "results": results}, indent=2)
        )


if __name__ == "__main__":
    main()
