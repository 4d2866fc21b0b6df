"""Ranking a province-sized pool: khuyenhoc against pandas, polars and DuckDB on the same data.

Four jobs on --rows nominees (scores with two decimals, so many ties; 1% missing) in
--groups districts:
  1. full rank, method "min", descending, missing last (SQL RANK() ... NULLS LAST);
  2. the same rank within each district (PARTITION BY district);
  3. the top --k of each district by (score desc, id asc) (QUALIFY ROW_NUMBER() <= k);
  4. --seats seats apportioned to the districts by their nominee counts (largest remainder),
     then each district's quota of nominees by (score desc, id asc): QUALIFY ROW_NUMBER()
     <= quota against a joined quota table. khuyenhoc's time includes counting and
     apportioning; the peers get the quota table ready-made.
Every peer's answer is checked equal to khuyenhoc's before its time is reported.

Run: .venv/bin/python -m pip install -r benchmarks/requirements.txt
     .venv/bin/python benchmarks/python/bench_ranking.py --rows 10000000 --json out/bench_ranking.json
Each timing is the best of --repeat runs (wall clock), from in-memory columns to an answer
aligned with the input rows (rank) or the selected ids per district (top-k).
With --memory, each (job, engine) also runs once more in a fresh child process that builds
only that engine's inputs and reports the peak resident memory of the call above what the
process held before it (Linux: VmHWM after resetting it through /proc/self/clear_refs; the
answer itself is included, e.g. 8 bytes per row of ranks).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import subprocess
import sys
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

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


class Inputs:
    """Each engine's view of the data, built on first use (a memory child builds only its own)."""

    def __init__(self, d: dict[str, np.ndarray], quota: np.ndarray) -> None:
        self.d = d
        self.quota = quota

    @cached_property
    def pdf(self) -> pd.DataFrame:
        return pd.DataFrame(self.d)

    @cached_property
    def pldf(self) -> pl.DataFrame:
        # polars and DuckDB have NULL for missing (their NaN sorts as the largest number).
        return pl.DataFrame(self.d, nan_to_null=True)

    @cached_property
    def plquota(self) -> pl.DataFrame:
        return pl.DataFrame({"district": np.arange(len(self.quota), dtype=np.int32), "quota": self.quota})

    @cached_property
    def con(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.register("pool", self.pldf.to_arrow())
        con.register("quota", self.plquota.to_arrow())
        con.execute(f"SET threads TO {os.cpu_count()}")
        return con

    def prepare(self, engine: str) -> None:
        if engine == "pandas":
            _ = self.pdf
        elif engine == "polars":
            _ = self.pldf, self.plquota
        elif engine == "duckdb":
            _ = self.con


Job = tuple[str, dict[str, Callable[[], Any]], Callable[[Any, Any], None]]


def build_jobs(args: argparse.Namespace, d: dict[str, np.ndarray], inp: Inputs) -> list[Job]:
    """The jobs: (name, engine -> work, check(got, khuyenhoc's answer))."""
    n, ngroups, k, seats = args.rows, args.groups, args.k, args.seats
    s, g, ids = d["score"], d["district"], d["id"]
    present = ~np.isnan(s)

    def exact(got: Any, want: Any) -> None:
        np.testing.assert_array_equal(got, want)

    def present_only(got: Any, want: Any) -> None:
        # polars keeps missing ranks missing; the present ranks must agree.
        np.testing.assert_array_equal(np.isnan(got), ~present)
        np.testing.assert_array_equal(got[present], want[present])

    def same(got: Any, want: Any) -> None:
        assert got == want

    def duck_ranks(sql: str) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            a = inp.con.sql(sql).fetchnumpy()
            return scatter(n, a["row"], a["r"])

        return run

    def duck_ids(sql: str) -> Callable[[], list[list[int]]]:
        def run() -> list[list[int]]:
            a = inp.con.sql(sql).fetchnumpy()
            return per_group_ids(a["id"], a["district"], ngroups)

        return run

    def kh_top(quota: Callable[[], Any]) -> Callable[[], list[list[int]]]:
        def run() -> list[list[int]]:
            rows, offsets = kh.top_k_per_group(s, ids, groups=g, k=quota(), descending=[True, False])
            sel = ids[rows]
            return [sel[offsets[i] : offsets[i + 1]].tolist() for i in range(ngroups)]

        return run

    def pd_top_quota() -> list[list[int]]:
        srt = inp.pdf.sort_values(["score", "id"], ascending=[False, True], na_position="last")
        pos = srt.groupby("district", sort=False).cumcount().to_numpy()
        top = srt[pos < inp.quota[srt["district"].to_numpy()]]
        return per_group_ids(top["id"].to_numpy(), top["district"].to_numpy(), ngroups)

    def pd_top() -> list[list[int]]:
        top = (
            inp.pdf.sort_values(["score", "id"], ascending=[False, True], na_position="last")
            .groupby("district", sort=False)
            .head(k)
        )
        return per_group_ids(top["id"].to_numpy(), top["district"].to_numpy(), ngroups)

    def pl_lists(top: pl.DataFrame) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in range(ngroups)]
        for dist, sel in zip(top["district"].to_list(), top["id"].to_list()):
            out[dist] = sel
        return out

    by_score_id = pl.col("id").sort_by(["score", "id"], descending=[True, False], nulls_last=True)

    def pl_top() -> list[list[int]]:
        return pl_lists(inp.pldf.group_by("district").agg(by_score_id.head(k)))

    def pl_top_quota() -> list[list[int]]:
        joined = inp.pldf.join(inp.plquota, on="district")
        return pl_lists(joined.group_by("district").agg(by_score_id.head(pl.col("quota").first())))

    rank_sql = "SELECT row, rank() OVER ({}ORDER BY score DESC NULLS LAST) AS r FROM pool"
    top_sql = (
        "SELECT district, id FROM pool QUALIFY row_number() OVER "
        f"(PARTITION BY district ORDER BY score DESC NULLS LAST, id) <= {k} "
        "ORDER BY district, score DESC NULLS LAST, id"
    )
    quota_sql = (
        "SELECT p.district, p.id FROM pool p JOIN quota q ON p.district = q.district "
        "QUALIFY row_number() OVER (PARTITION BY p.district ORDER BY p.score DESC NULLS LAST, p.id) "
        "<= q.quota ORDER BY p.district, p.score DESC NULLS LAST, p.id"
    )
    return [
        (
            "rank (min, desc, missing last)",
            {
                "khuyenhoc": lambda: kh.rank(s, "min", ascending=False, na_option="bottom"),
                "pandas": lambda: inp.pdf["score"]
                .rank(method="min", ascending=False, na_option="bottom")
                .to_numpy(),
                "polars": lambda: inp.pldf.select(pl.col("score").rank("min", descending=True))
                .to_series()
                .to_numpy(),
                "duckdb": duck_ranks(rank_sql.format("")),
            },
            lambda got, want: present_only(got, want) if np.isnan(got).any() else exact(got, want),
        ),
        (
            f"rank within {ngroups} districts",
            {
                "khuyenhoc": lambda: kh.rank(s, "min", ascending=False, na_option="bottom", groups=g),
                "pandas": lambda: inp.pdf.groupby("district")["score"]
                .rank(method="min", ascending=False, na_option="bottom")
                .to_numpy(),
                "polars": lambda: inp.pldf.select(
                    pl.col("score").rank("min", descending=True).over("district")
                )
                .to_series()
                .to_numpy(),
                "duckdb": duck_ranks(rank_sql.format("PARTITION BY district ")),
            },
            lambda got, want: present_only(got, want) if np.isnan(got).any() else exact(got, want),
        ),
        (
            f"top {k} per district (score desc, id asc)",
            {"khuyenhoc": kh_top(lambda: k), "pandas": pd_top, "polars": pl_top, "duckdb": duck_ids(top_sql)},
            same,
        ),
        (
            f"{seats} seats apportioned, top quota per district",
            {
                "khuyenhoc": kh_top(
                    lambda: kh.apportion(np.bincount(g, minlength=ngroups), seats, "largest_remainder")
                ),
                "pandas": pd_top_quota,
                "polars": pl_top_quota,
                "duckdb": duck_ids(quota_sql),
            },
            same,
        ),
    ]


ENGINES = ("khuyenhoc", "pandas", "polars", "duckdb")


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_extra_bytes(fn: Callable[[], Any]) -> int:
    """Peak resident memory during fn() above the resident memory just before it (Linux)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS
    base = status_kib("VmRSS")
    result = fn()
    peak = status_kib("VmHWM")
    del result
    return (peak - base) * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--groups", type=int, default=30)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seats", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20241002)
    ap.add_argument("--jobs", default="1,2,3,4", help="which jobs to run (1-based, comma-separated)")
    ap.add_argument("--memory", action="store_true", help="also measure each call's peak extra memory")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)  # "job:engine", memory only
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    n, ngroups = args.rows, args.groups

    d = make_data(n, ngroups, args.seed)
    quota = kh.apportion(np.bincount(d["district"], minlength=ngroups), args.seats, "largest_remainder")
    inp = Inputs(d, quota)
    jobs = build_jobs(args, d, inp)

    if args.child is not None:
        j, engine = args.child.split(":")
        inp.prepare(engine)
        print(json.dumps({"peak_extra_bytes": peak_extra_bytes(jobs[int(j)][1][engine])}))
        return

    selected = [int(x) - 1 for x in args.jobs.split(",")]
    results: list[dict[str, Any]] = []
    for j in selected:
        job, work, check = jobs[j]
        want = None
        for engine in ENGINES:
            t, got = best_of(args.repeat, work[engine])
            if engine == "khuyenhoc":
                want = got
            else:
                check(got, want)
            r: dict[str, Any] = {"job": job, "engine": engine, "seconds": t, "rows_per_s": n / t}
            results.append(r)
        del want, got
    if args.memory:
        # One fresh process per call: allocators keep freed memory, so a second measurement
        # in the same process would see too little.
        for j in selected:
            for engine in ENGINES:
                argv = [sys.executable, __file__, "--rows", str(n), "--groups", str(ngroups), "--k", str(args.k)]
                argv += ["--seats", str(args.seats), "--seed", str(args.seed), "--child", f"{j}:{engine}"]
                out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
                peak = json.loads(out.strip().splitlines()[-1])["peak_extra_bytes"]
                r = next(x for x in results if x["job"] == jobs[j][0] and x["engine"] == engine)
                r["peak_extra_bytes"] = peak

    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "versions": {
            "khuyenhoc": kh.__version__,
            "pandas": pd.__version__,
            "polars": pl.__version__,
            "duckdb": duckdb.__version__,
            "numpy": np.__version__,
        },
    }
    load = ", ".join(f"{x:.1f}" for x in machine["load_average"])
    print(f"{n:,} rows, {ngroups} districts, best of {args.repeat}; {machine['cpus']} CPUs; load average {load}")
    for job_name in dict.fromkeys(r["job"] for r in results):
        rows = [r for r in results if r["job"] == job_name]
        fastest_peer = min(r["seconds"] for r in rows if r["engine"] != "khuyenhoc")
        mine = next(r["seconds"] for r in rows if r["engine"] == "khuyenhoc")
        print(f"{job_name}  (khuyenhoc {fastest_peer / mine:.1f}x the fastest peer)")
        for r in rows:
            mem = f"  peak extra {r['peak_extra_bytes'] / 2**20:8.1f} MiB" if "peak_extra_bytes" in r else ""
            print(f"  {r['engine']:10s} {r['seconds'] * 1000:9.1f} ms  {r['rows_per_s'] / 1e6:7.2f} M rows/s{mem}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"rows": n, "groups": ngroups, "k": args.k, "seats": args.seats, "machine": machine, "results": results},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
