"""Check the bundled plan of the study-promotion month (Tháng Khuyến học 2024) against its
window, public holidays and a unit capacity, and print the findings.

    python examples/python/check_plan.py       (from the repository root)
"""

from __future__ import annotations

import sys

import khuyenhoc as kh

PLAN = "examples/plans/thang_khuyen_hoc_2024.csv"


def main() -> int:
    plan: kh.Plan = kh.Plan.from_csv(PLAN, year=2024)
    print(f"{len(plan)} tasks, units: {', '.join(plan.units)}")
    findings: kh.Findings = plan.check(window="5/9-5/10", capacity=3.0, year=2024)
    by_kind: dict[str, int] = {}
    for finding in findings:
        by_kind[finding.kind] = by_kind.get(finding.kind, 0) + 1
    for kind, n in sorted(by_kind.items()):
        print(f"  {kind}: {n}")
    print(findings.to_table(lang="vi"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
