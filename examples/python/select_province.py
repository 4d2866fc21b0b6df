"""A province-wide selection on the bundled data: score with the honour criteria set, check the
rule set, select seats apportioned across districts, and write the result table and the
selection report a review council signs.

    python examples/python/select_province.py [OUT_DIR]     (from the repository root)
"""

from __future__ import annotations

import sys
from pathlib import Path

import khuyenhoc as kh
import pandas as pd

POOL = "examples/pool.csv"
CRITERIA = "examples/criteria/honour_pupils.yaml"
RULES = "examples/rules/honour_pupils.yaml"


def main(out_dir: Path) -> int:
    pool = kh.read_csv(POOL, id="id")
    criteria = kh.CriteriaSet.from_yaml(CRITERIA)
    rules = kh.Rules.from_yaml(RULES)
    scores: kh.ScoreTable = criteria.score(pool)
    verdicts: kh.Verdicts = rules.evaluate(pool)
    eligible = int(verdicts.eligible.sum())
    print(
        f"{len(pool)} nominees, {eligible} eligible under {rules.name!r} ({rules.version})"
    )
    for step in verdicts.funnel:
        print(f"  {step['rule']}: {step['failed']} fail, {step['remaining']} remain")

    sel: kh.Selection = kh.select(
        pool,
        scores,
        verdicts,
        seats=40,
        per="district",
        order=["exam_score desc", "name:full_name"],
        organisation="Sở Giáo dục và Đào tạo (ví dụ)",
        inputs={"pool": POOL, "criteria": CRITERIA, "rules": RULES},
    )
    table: pd.DataFrame = sel.to_pandas()
    selected = table[table["selected"]]
    print(
        f"{len(selected)} selected; lowest cut-off {sel.outcomes['cutoff'].min():.2f}"
    )
    assert len(table) == len(pool)  # every nominee is in the result

    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / "report.html"
    sel.write(out_dir / "result.csv", report)  # the same bytes as `khuyenhoc select`
    print(f"wrote {out_dir / 'result.csv'} and {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")))
