"""Overlap and overload detection on a province's plans: khuyenhoc's sweep-line against
intervaltree, pandas IntervalIndex and NCLS, with the same answers.

Data: --tasks tasks (default 1,000,000), each in one of tasks/50 units, starting on a random day
of a year and lasting 1-14 days (half-open day intervals). The answer: which tasks are in
conflict, i.e. overlap another task of their unit (overload at capacity 1). Units are kept
apart by placing unit g on days [g * 1000, g * 1000 + 400), so every peer can use one index.

  khuyenhoc  khuyenhoc.find_overloads(units, starts, ends, capacity=1): counting sort by unit,
             each unit's days in cache (public API, from the numpy arrays to the bool mask;
             default threads, and threads=1)                                        (all tasks)
  ncls       NCLS(...) built, then all_overlaps_both over every task, then the mask (C, nested
             containment list; index build included)                                (all tasks)
  intervaltree  build + one overlap() query per task (pure Python)       (--tree-tasks subset)
  pandas     IntervalIndex.overlaps(interval) per task (vectorised, O(n) per query)
                                                                         (--pandas-tasks subset)
Slow peers run on a subset with the same density (tasks per unit); their per-task rate is
reported and khuyenhoc is checked equal on that subset too. Also timed: the end-to-end path from
CSV text (1,000,000 rows: parse every Vietnamese time, normalise units) to Plan.check findings.

Run: .venv/bin/python -m pip install -r benchmarks/requirements.txt
     .venv/bin/python benchmarks/python/bench_plan.py --json out/bench_plan.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from typing import Any

import numpy as np

import khuyenhoc as kh
from _timing import best_of  # noqa: E402  (benchmarks/python is the script directory)

DENSITY = 50  # tasks per unit




def make_tasks(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    units = max(1, n // DENSITY)
    group = rng.integers(0, units, n).astype(np.uint32)
    start = rng.integers(0, 365, n).astype(np.int64)
    end = start + rng.integers(1, 15, n)
    return group, start, end


def khuyenhoc_mask(g: np.ndarray, s: np.ndarray, e: np.ndarray, threads: int = 0) -> np.ndarray:
    return kh.find_overloads(g, s, e, capacity=1, threads=threads)


def ncls_mask(g: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    from ncls import NCLS

    off = g.astype(np.int64) * 1000
    ss, ee = s + off, e + off
    idx = np.arange(len(g), dtype=np.int64)
    tree = NCLS(ss, ee, idx)
    left, right = tree.all_overlaps_both(ss, ee, idx)
    mask = np.zeros(len(g), dtype=bool)
    other = left != right
    mask[left[other]] = True
    return mask


def intervaltree_mask(g: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    from intervaltree import IntervalTree

    off = g.astype(np.int64) * 1000
    ss, ee = (s + off).tolist(), (e + off).tolist()
    tree = IntervalTree.from_tuples(zip(ss, ee, range(len(ss))))
    return np.array([len(tree.overlap(a, b)) > 1 for a, b in zip(ss, ee)], dtype=bool)


def pandas_mask(g: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    import pandas as pd

    off = g.astype(np.int64) * 1000
    ss, ee = s + off, e + off
    ii = pd.IntervalIndex.from_arrays(ss, ee, closed="left")
    out = np.empty(len(ss), dtype=bool)
    for i, (a, b) in enumerate(zip(ss.tolist(), ee.tolist())):
        out[i] = ii.overlaps(pd.Interval(a, b, closed="left")).sum() > 1
    return out


def csv_text(g: np.ndarray, s: np.ndarray, e: np.ndarray) -> str:
    base = dt.date(2024, 1, 1)
    days = [base + dt.timedelta(days=int(d)) for d in range(380)]
    lines = ["id,time,title,lead"]
    for i, (gi, a, b) in enumerate(zip(g.tolist(), s.tolist(), e.tolist())):
        x, y = days[a], days[b - 1]
        lines.append(f"{i},{x.day}/{x.month} - {y.day}/{y.month},Công việc {i},Đơn vị {gi}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--tree-tasks", type=int, default=100_000)
    ap.add_argument("--pandas-tasks", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=str, default="")
    args = ap.parse_args()

    results: list[dict[str, Any]] = []

    def report(name: str, n: int, seconds: float, note: str = "") -> None:
        rate = n / seconds
        results.append(
            {"peer": name, "tasks": n, "seconds": seconds, "tasks_per_s": rate, "note": note}
        )
        print(f"{name:<38} {n:>9,} tasks {seconds:9.3f} s {rate:14,.0f} tasks/s  {note}")

    g, s, e = make_tasks(args.tasks, args.seed)
    t, ref = best_of(args.repeat, lambda: khuyenhoc_mask(g, s, e))
    report("khuyenhoc find_overloads", args.tasks, t, f"{int(ref.sum()):,} in conflict")
    t, one = best_of(args.repeat, lambda: khuyenhoc_mask(g, s, e, threads=1))
    assert np.array_equal(one, ref), "find_overloads depends on threads"
    report("khuyenhoc find_overloads threads=1", args.tasks, t, "same answer")
    try:
        t, got = best_of(args.repeat, lambda: ncls_mask(g, s, e))
        assert np.array_equal(got, ref), "ncls disagrees"
        report("ncls all_overlaps_both", args.tasks, t, "same answer")
    except ImportError:
        print("ncls not installed: skipped")

    for name, fn, n in (
        ("intervaltree (build + query each)", intervaltree_mask, args.tree_tasks),
        ("pandas IntervalIndex.overlaps", pandas_mask, args.pandas_tasks),
    ):
        gs, ss, es = make_tasks(n, args.seed + 1)
        mine = khuyenhoc_mask(gs, ss, es)
        t, got = best_of(1, lambda: fn(gs, ss, es))
        assert np.array_equal(got, mine), f"{name} disagrees"
        report(name, n, t, "same answer (subset)")

    # End to end: CSV text -> Plan -> check (overloads at capacity 1 give the same tasks).
    text = csv_text(g, s, e)
    t_read, plan = best_of(1, lambda: kh.Plan.from_csv_text(text, year=2024))
    t_check, fs = best_of(args.repeat, lambda: plan.check(capacity=1, info=False))
    in_conflict: set[str] = set()
    for f in fs:
        if f.kind == "overload":
            in_conflict.update(f.tasks)
    assert in_conflict == {str(i) for i in np.flatnonzero(ref)}, "Plan.check disagrees"
    report("khuyenhoc Plan.from_csv_text", args.tasks, t_read, "parse 1M Vietnamese times")
    note = f"{len(fs):,} findings, same answer"
    report("khuyenhoc Plan.check (all checks)", args.tasks, t_check, note)

    info = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "khuyenhoc": kh.__version__,
        "results": results,
    }
    print(f"load average: {info['load_average']}")
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(info, fh, indent=2)


if __name__ == "__main__":
    main()
