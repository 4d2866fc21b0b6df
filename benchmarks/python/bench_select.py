"""khuyenhoc.select on a province pool: where the time goes, and how much of it is Python.

Before the pipeline moved into the library, Python's select joined the rule reasons of the
rejected nominees one by one in a Python loop and assembled the report's data in Python; now
select() hands its arguments to the C++ pipeline (run.hpp) once. This script measures

- the whole call `kh.select(pool, criteria, rules, ...)` (scores, rules, reasons, ranking,
  seats, the result table), best of N, and the share of it spent in Python frames (cProfile:
  time outside the one C++ call);
- the former Python reason join on the same verdicts (`"; ".join(...)` per rejected nominee over
  the per-rule reasons), the part that took about 70% of the old select;
- peak RSS of the process.

    python benchmarks/python/bench_select.py [--size 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from pathlib import Path

import khuyenhoc as kh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CRITERIA = ROOT / "examples" / "criteria" / "honour_pupils.yaml"
RULES = ROOT / "examples" / "rules" / "honour_pupils.yaml"
OPTIONS = {"seats": 300, "per": "district", "order": ["exam_score desc", "name:full_name"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    pool = kh.generate_pool(args.size, seed=2024)
    criteria = kh.CriteriaSet.from_yaml(str(CRITERIA))
    rules = kh.Rules.from_yaml(str(RULES))

    t_select, sel = best_of(args.repeat, lambda: kh.select(pool, criteria, rules, **OPTIONS))
    assert len(sel) == len(pool) and sel.selected_count == 300

    prof = cProfile.Profile()
    prof.enable()
    kh.select(pool, criteria, rules, **OPTIONS)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]
    in_core = sum(
        tt for (file, _, name), (_, _, tt, _, _) in stats.stats.items()  # type: ignore[attr-defined]
        if name.startswith("<built-in method") or "_run_select" in name
    )

    # The former Python loop, on the same verdicts.
    verdicts = rules.evaluate(pool)
    eligible = verdicts.eligible
    t0 = time.perf_counter()
    per_rule = [verdicts.reasons_of(rule) for rule in verdicts.rule_ids]
    t_render = time.perf_counter() - t0
    t0 = time.perf_counter()
    why = ["" if eligible[i] else "; ".join(r[i] for r in per_rule if r[i]) for i in range(len(pool))]
    t_join = time.perf_counter() - t0
    assert len(why) == len(pool)

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"nominees: {len(pool):,}")
    print(f"kh.select (whole pipeline, C++): {t_select:.2f} s (best of {args.repeat})")
    print(f"  of which in Python frames (cProfile): {max(total - in_core, 0.0):.3f} s of {total:.2f} s")
    print(f"former Python path, reasons only: render per rule {t_render:.2f} s + join loop {t_join:.2f} s")
    print(f"peak RSS of this process: {rss:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
