"""A national pool on Dask: khuyenhoc.dask.select with N worker processes vs single-process
khuyenhoc vs DuckDB, on the same Parquet partitions (issue 17).

The pool: --rows nominees (default 20,000,000) in --provinces provinces (default 34), each
province a generated pool (khuyenhoc.generate_pool: its districts stand for the communes) with
ids prefixed by the province, written as one Parquet file per province under --dir (made once,
reused). The job: the honour_pupils criteria and rules, --seats seats apportioned by province,
tie-breakers exam_score desc then the Vietnamese name; the per-nominee result written as Parquet.

- dask: a LocalCluster of --workers processes (one thread each, --memory-limit each: Dask
  spills task results to disk above 60% of it and pauses at 80%), dd.read_parquet of the files,
  khuyenhoc.dask.select(...).to_parquet(out). Peak RSS of each worker process (getrusage in the
  worker) and of the client process, and the bytes the workers sent each other (Dask's
  transfer_outgoing_bytes_total: summaries, merge, rows at shared totals and their order, all
  but what already lay on the receiving worker).
- single: one process reads all files into one Pool (pyarrow), khuyenhoc.select, writes the
  table as Parquet. Peak RSS of the process.
- duckdb: the same files, the ranking part only (no criteria, no rules): ROW_NUMBER over the
  whole pool and per province by exam_score desc, full_name, id, written as Parquet — a lower
  bound of an engine that does no scoring.

Every engine runs in its own child process (fresh peak RSS); the dask and single results are
compared row for row (id, rank, group_rank, selected, status, reason). Single-process khuyenhoc
needs about 1.5 KB per nominee at peak: above --single-max-rows (default 8M) it is skipped.

    .venv/bin/python benchmarks/python/bench_dask.py --rows 20000000 --dir /tmp/national \
        [--workers 2] [--memory-limit 6GiB] [--engines dask,single,duckdb] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRITERIA = str(ROOT / "examples" / "criteria" / "honour_pupils.yaml")
RULES = str(ROOT / "examples" / "rules" / "honour_pupils.yaml")


def options(seats: int) -> dict:
    return {"seats": seats, "per": "province", "order": ["exam_score desc", "name:full_name"]}


def make_pool(directory: Path, rows: int, provinces: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import khuyenhoc as kh

    directory.mkdir(parents=True, exist_ok=True)
    done = directory / "_complete"
    if done.exists() and done.read_text() == f"{rows} {provinces}":
        return
    for p in range(provinces):
        n = rows // provinces + (1 if p < rows % provinces else 0)
        table = pa.table(kh.generate_pool(n, seed=1000 + p, districts=20))
        name = f"Tỉnh {p + 1:02d}"
        ids = pa.compute.binary_join_element_wise(
            pa.scalar(f"P{p + 1:02d}-"), table.column("id").cast(pa.string()), ""
        )
        table = table.set_column(table.schema.get_field_index("id"), "id", ids)
        table = table.append_column("province", pa.array([name] * n).dictionary_encode())
        pq.write_table(table, directory / f"province_{p + 1:02d}.parquet")
    done.write_text(f"{rows} {provinces}")


def run_dask(directory: Path, out: Path, workers: int, seats: int, memory_limit: str) -> dict:
    import warnings

    import dask.dataframe as dd
    import distributed

    import khuyenhoc.dask

    warnings.simplefilter("ignore")
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  memory_limit=memory_limit) as cluster, \
            distributed.Client(cluster) as c:
        t0 = time.perf_counter()
        ddf = dd.read_parquet(sorted(str(p) for p in directory.glob("province_*.parquet")),
                              dtype_backend="pyarrow")
        khuyenhoc.dask.select(ddf, CRITERIA, RULES, **options(seats)).to_parquet(out)
        wall = time.perf_counter() - t0
        peaks = c.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        sent = c.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)
        cpu = c.run(lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2]))
    return {"wall_s": wall, "worker_peak_rss_mb": sorted(v / 1024 for v in peaks.values()),
            "worker_cpu_s": sorted(cpu.values()), "partitions": ddf.npartitions,
            "worker_bytes_sent": sum(sent.values()),
            "worker_bytes_sent_per_partition": sum(sent.values()) / max(1, ddf.npartitions)}


def run_single(directory: Path, out: Path, seats: int) -> dict:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    import khuyenhoc as kh

    t0 = time.perf_counter()
    files = sorted(str(p) for p in directory.glob("province_*.parquet"))
    table = ds.dataset(files, format="parquet").to_table()
    pool = kh.Pool.from_arrow(table)
    del table
    result = kh.select(pool, CRITERIA, RULES, **options(seats))
    out.mkdir(parents=True, exist_ok=True)
    import pyarrow as pa

    pq.write_table(pa.table(result.to_pool()), out / "part.0.parquet")
    return {"wall_s": time.perf_counter() - t0}


def run_duckdb(directory: Path, out: Path) -> dict:
    import duckdb

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.sql(f"""
        COPY (SELECT id, province,
                     row_number() OVER (ORDER BY exam_score DESC NULLS LAST, full_name, id) AS rank,
                     row_number() OVER (PARTITION BY province
                                        ORDER BY exam_score DESC NULLS LAST, full_name, id)
                         AS group_rank
              FROM read_parquet('{directory}/province_*.parquet'))
        TO '{out}/part.0.parquet' (FORMAT parquet)""")
    return {"wall_s": time.perf_counter() - t0}


def compare(a: Path, b: Path) -> int:
    import pandas as pd

    cols = ["id", "rank", "group_rank", "selected", "status", "reason"]
    x = pd.read_parquet(a, columns=cols).sort_values("id").reset_index(drop=True)
    y = pd.read_parquet(b, columns=cols).sort_values("id").reset_index(drop=True)
    for c in cols:
        if not (x[c].astype(object).fillna(0).to_numpy() == y[c].astype(object).fillna(0)
                .to_numpy()).all():
            raise SystemExit(f"dask and single results differ in {c}")
    return len(x)


def child(args: argparse.Namespace) -> None:
    directory, out = Path(args.dir), Path(args.dir + f"_out_{args.child}")
    if out.exists():
        import shutil

        shutil.rmtree(out)
    if args.child == "dask":
        r = run_dask(directory, out, args.workers, args.seats, args.memory_limit)
    elif args.child == "single":
        r = run_single(directory, out, args.seats)
    else:
        r = run_duckdb(directory, out)
    r["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(r))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--provinces", type=int, default=34)
    ap.add_argument("--dir", default="/tmp/khuyenhoc_national")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seats", type=int, default=3000)
    ap.add_argument("--memory-limit", default="6GiB",
                    help="memory limit of each Dask worker (spills above 60%%, pauses at 80%%)")
    ap.add_argument("--engines", default="dask,single,duckdb")
    ap.add_argument("--single-max-rows", type=int, default=8_000_000,
                    help="run single-process khuyenhoc only up to this many rows (memory)")
    ap.add_argument("--json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return 0
    t0 = time.perf_counter()
    make_pool(Path(args.dir), args.rows, args.provinces)
    print(f"pool: {args.rows} rows in {args.provinces} Parquet files under {args.dir} "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    results = {}
    for engine in args.engines.split(","):
        if engine == "single" and args.rows > args.single_max_rows:
            # One process needs about 1.5 KB per nominee at peak (20M: about 30 GB): skipped
            # rather than pushing a shared machine into the OOM killer.
            results[engine] = {"skipped": f"{args.rows} rows > --single-max-rows "
                                          f"{args.single_max_rows} (~{args.rows * 1.5e-6:.0f} GB)"}
            print(engine, results[engine], flush=True)
            continue
        cmd = [sys.executable, __file__, "--child", engine, "--dir", args.dir, "--workers",
               str(args.workers), "--seats", str(args.seats), "--memory-limit", args.memory_limit]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
        if proc.returncode:  # e.g. the single process out of memory at 20M: record, go on
            tail = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
            results[engine] = {"error": f"exit {proc.returncode}: {tail}"}
            print(engine, results[engine], flush=True)
            continue
        results[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
        results[engine]["process_wall_s"] = time.perf_counter() - t
        print(engine, results[engine], flush=True)
    if all(e in results and "wall_s" in results[e] for e in ("dask", "single")):
        n = compare(Path(args.dir + "_out_dask"), Path(args.dir + "_out_single"))
        print(f"dask == single on {n} rows (id, rank, group_rank, selected, status, reason)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": args.rows, "provinces": args.provinces,
                                               "workers": args.workers, "results": results},
                                              indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
