"""Criteria scoring and MCDA, side by side with peers, on 1,000,000 nominees × 30 indicators:

(a) khuyenhoc's criteria scoring against the same scoring written in idiomatic vectorised
    numpy/pandas (bands with np.select, linear with np.clip, map through categorical codes,
    per-item with explode/map/groupby, caps with np.minimum), asserting identical totals and
    levels;
(b) khuyenhoc.mcda weighted sum and TOPSIS against pymcdm and scikit-criteria on a 1,000,000 × 30
    decision matrix, asserting the same numbers to 1e-9.

Run: .venv/bin/python -m pip install -r benchmarks/requirements.txt
     .venv/bin/python benchmarks/python/bench_criteria.py --rows 1000000 --json out/bench_criteria.json
Each timing is the best of --repeat runs (wall clock).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import khuyenhoc as kh
from _timing import best_of  # noqa: E402  (benchmarks/python is the script directory)




# The same 30 indicators as benchmarks/cpp/criteria_bench.cpp.
GPA_STEPS = [(9.5, 30), (9.0, 25), (8.5, 18), (8.0, 10)]
PRIZE_KINDS = [("Quốc tế", 40), ("Quốc gia", 20), ("Tỉnh", 8)]


def thirty_indicators() -> dict:
    criteria = []
    k = 0
    for c in range(5):
        inds = []
        for _ in range(6):
            base = {"id": f"i{k}", "missing": "zero"}
            kind = k % 6
            if kind == 0:
                steps = GPA_STEPS + [(6 + c % 2, 4)]
                base.update(column="gpa", bands=[{"at_least": t, "points": p} for t, p in steps])
            elif kind == 1:
                base.update(column="exam_score", linear={"min": 15, "max": 30, "points": 20})
            elif kind == 2:
                base.update(column="conduct", map={"Tốt": 10, "Khá": 6, "Đạt": 2})
            elif kind == 3:
                base.update(
                    column="prizes",
                    max_points=40,
                    per_item={"points": 1, "kinds": [{"prefix": p, "points": v} for p, v in PRIZE_KINDS]},
                )
            elif kind == 4:
                base.update(
                    column="community_hours",
                    bands=[
                        {"from": 60, "points": 6},
                        {"from": 30, "below": 60, "points": 4},
                        {"from": 10, "below": 30, "points": 2},
                    ],
                )
            else:
                base.update(column="orphan", boolean=5)
            inds.append(base)
            k += 1
        criteria.append({"id": f"c{c}", "max_points": 150, "indicators": inds})
    return {
        "id": "bench",
        "max_points": 1000,
        "criteria": criteria,
        "levels": [{"code": "a", "min": 300}, {"code": "b", "min": 150}, {"code": "c"}],
    }


def numpy_scoring(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The same set in idiomatic vectorised numpy/pandas. Returns (total, level index)."""
    gpa = df["gpa"].to_numpy()
    exam = df["exam_score"].to_numpy()
    hours = df["community_hours"].to_numpy(dtype="float64", na_value=np.nan)
    orphan = df["orphan"].fillna(False).to_numpy(dtype=bool)
    conduct_table = pd.Series({"Tốt": 10.0, "Khá": 6.0, "Đạt": 2.0})
    conduct = df["conduct"].map(conduct_table).astype("float64").fillna(0.0).to_numpy()

    def item_points(item: str) -> float:
        for prefix, pts in PRIZE_KINDS:
            if item.startswith(prefix):
                return pts
        return 1.0

    exploded = df["prizes"].explode().dropna()
    prize_raw = exploded.map(item_points).astype("float64").groupby(level=0).sum().reindex(df.index, fill_value=0.0)
    prizes = np.minimum(40.0, prize_raw.fillna(0.0).to_numpy())
    linear = np.nan_to_num(20.0 * np.clip((exam - 15.0) / 15.0, 0.0, 1.0), nan=0.0)
    hours_pts = np.select([hours >= 60, hours >= 30, hours >= 10], [6.0, 4.0, 2.0], 0.0)
    orphan_pts = np.where(orphan, 5.0, 0.0)
    total = np.zeros(len(df))
    for c in range(5):
        steps = GPA_STEPS + [(6 + c % 2, 4)]
        gpa_pts = np.select([gpa >= t for t, _ in steps], [float(p) for _, p in steps], 0.0)
        sub = gpa_pts + linear + conduct + prizes + hours_pts + orphan_pts
        total += np.minimum(150.0, sub)
    total = np.minimum(1000.0, total)
    level = np.select([total >= 300 - 1e-9, total >= 150 - 1e-9], [0, 1], 2).astype(np.int16)
    return total, level


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    # scikit-criteria warns that TOPSIS with minimised criteria is "not recommended"
    warnings.filterwarnings("ignore", message="Although TOPSIS can operate")
    n = args.rows
    results: dict[str, float] = {}

    # (a) criteria scoring
    pool = kh.generate_pool(n, seed=42)
    df = pool.to_pandas()
    criteria = kh.CriteriaSet.from_dict(thirty_indicators())
    compiled = criteria.compile(pool)
    results["khuyenhoc score (2 threads)"], scores = best_of(args.repeat, lambda: compiled.score(pool))
    results["khuyenhoc score (1 thread)"], _ = best_of(args.repeat, lambda: compiled.score(pool, threads=1))
    results["numpy/pandas idiomatic"], (total, level) = best_of(args.repeat, lambda: numpy_scoring(df))
    np.testing.assert_allclose(scores.total, total, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(scores.level_index, level)

    # (b) MCDA
    rng = np.random.default_rng(7)
    m = np.asfortranarray(rng.uniform(1, 100, size=(n, 30)))
    types = np.array([-1 if j % 3 == 0 else 1 for j in range(30)])
    w = np.full(30, 1 / 30)
    results["khuyenhoc weighted_sum (minmax)"], ws = best_of(args.repeat, lambda: kh.mcda.weighted_sum(m, w, types, "minmax"))
    results["khuyenhoc topsis (vector)"], tp = best_of(args.repeat, lambda: kh.mcda.topsis(m, w, types, "vector"))
    try:
        from pymcdm import methods, normalizations

        wsm = methods.WSM(normalizations.minmax_normalization)
        top = methods.TOPSIS(normalizations.vector_normalization)
        results["pymcdm WSM (minmax)"], ws_ref = best_of(args.repeat, lambda: wsm(m, w, types))
        results["pymcdm TOPSIS (vector)"], tp_ref = best_of(args.repeat, lambda: top(m, w, types))
        np.testing.assert_allclose(ws, ws_ref, rtol=0, atol=1e-9)
        np.testing.assert_allclose(tp, tp_ref, rtol=0, atol=1e-9)
    except ImportError:
        print("pymcdm not installed: skipped")
    try:
        import skcriteria as skc
        from skcriteria.agg.topsis import TOPSIS
        from skcriteria.agg.simple import WeightedSumModel
        from skcriteria.preprocessing.invert_objectives import NegateMinimize
        from skcriteria.preprocessing.scalers import MinMaxScaler, VectorScaler

        def sk_topsis():
            dm = skc.mkdm(m, objectives=[max if t > 0 else min for t in types], weights=w)
            return TOPSIS().evaluate(VectorScaler(target="matrix").transform(dm)).e_.similarity

        def sk_wsum():
            dm = skc.mkdm(m, objectives=[max if t > 0 else min for t in types], weights=w)
            scaled = MinMaxScaler(target="matrix").transform(NegateMinimize().transform(dm))
            return WeightedSumModel().evaluate(scaled).e_.score

        results["scikit-criteria WeightedSumModel (minmax)"], ws_sk = best_of(args.repeat, sk_wsum)
        results["scikit-criteria TOPSIS (vector)"], tp_sk = best_of(args.repeat, sk_topsis)
        np.testing.assert_allclose(ws, ws_sk, rtol=0, atol=1e-9)
        np.testing.assert_allclose(tp, tp_sk, rtol=0, atol=1e-9)
    except ImportError:
        print("scikit-criteria not installed: skipped")

    print(f"{n:,} nominees × 30 indicators / criteria; best of {args.repeat}; {os.cpu_count()} cores")
    for name, t in results.items():
        print(f"  {name:45s} {t * 1000:9.1f} ms  {n / t / 1e6:7.2f} M rows/s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "rows": n,
                    "repeat": args.repeat,
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                    "seconds": results,
                },
                indent=2,
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
