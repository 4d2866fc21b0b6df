"""Score the bundled pool with a criteria set, explain one nominee's points, aggregate a small
review council's scores, and rank the top nominees with MCDA for comparison.

    python examples/python/score_panel.py      (from the repository root)
"""

from __future__ import annotations

import sys

import khuyenhoc as kh
import numpy as np
import numpy.typing as npt
import pandas as pd
from khuyenhoc import mcda


def main() -> int:
    pool = kh.read_csv("examples/pool.csv", id="id")
    criteria = kh.CriteriaSet.from_yaml("examples/criteria/cong_dan_hoc_tap.yaml")
    scores = criteria.score(pool)
    total: npt.NDArray[np.float64] = scores.total
    best = int(np.nanargmax(total))
    print(f"{criteria.name} ({criteria.version}): best total {total[best]:.2f}")
    print(scores.explain(best))

    # A council of three judges scoring the five best nominees on two indicators.
    top = [scores.ids[i] for i in np.argsort(-np.nan_to_num(total, nan=-1.0))[:5]]
    rows = []
    for j, judge in enumerate(["GK1", "GK2", "GK3"]):
        for k, nominee in enumerate(top):
            for indicator, base in (("thuyet_trinh", 7.0), ("ho_so", 8.0)):
                rows.append((judge, nominee, indicator, base + 0.5 * ((j + k) % 3)))
    panel = pd.DataFrame(rows, columns=["judge", "nominee", "indicator", "score"])
    agreed = kh.aggregate_panel(panel, method="mean", min_judges=3, threshold=1.5)
    print(agreed)

    # MCDA on the criterion subtotals of the five: weighted sum and TOPSIS.
    matrix = mcda.decision_matrix(scores.subtotals[[scores.ids.index(i) for i in top]])
    weights = [1.0] * matrix.shape[1]
    ws = mcda.weighted_sum(matrix, weights, normalization="minmax")
    tp = mcda.topsis(matrix, weights)
    for nominee, a, b in zip(top, ws, tp):
        print(f"  {nominee}: weighted sum {a:.3f}, TOPSIS {b:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
