"""Eligibility rules: khuyenhoc.Rules against pandas eval/query and row-at-a-time rule engines
(zen-engine expressions, panzi-json-logic, cel-python) on the same nominees and the same 15 rules,
asserting the same verdicts (a rule "passes" where khuyenhoc's status is pass).

The 15 rules use scalar columns every engine can read: list facts (number of national prizes,
number of core dossier documents) and dates (as day numbers) are derived once into columns of
the pool. khuyenhoc is also timed on its own 15-rule set over the list and date columns
(benchmarks/cpp/rules_bench.cpp has the same).

Run: .venv/bin/python -m pip install -r benchmarks/requirements.txt
     .venv/bin/python benchmarks/python/bench_rules.py --rows 1000000 --subset 20000 --json out/bench_rules.json
pandas and khuyenhoc run over all rows (best of --repeat); the row-at-a-time engines over the
first --subset nominees with a GPA (they cannot compare missing values), reported per row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

import khuyenhoc as kh
from _timing import best_of  # noqa: E402  (benchmarks/python is the script directory)

DEADLINE = (dt.date(2024, 9, 30) - dt.date(1970, 1, 1)).days
EARLY = DEADLINE - 96

# id, khuyenhoc / pandas.eval, zen expression, CEL, json-logic
RULES: list[tuple[str, str, str, str, Any]] = [
    ("r01", 'conduct == "Tốt"', 'conduct == "Tốt"', 'conduct == "Tốt"',
     {"==": [{"var": "conduct"}, "Tốt"]}),
    ("r02", "gpa >= 8.0 or national > 0", "gpa >= 8.0 or national > 0",
     "gpa >= 8.0 || national > 0",
     {"or": [{">=": [{"var": "gpa"}, 8.0]}, {">": [{"var": "national"}, 0]}]}),
    ("r03", "core_docs >= 3", "core_docs >= 3", "core_docs >= 3",
     {">=": [{"var": "core_docs"}, 3]}),
    ("r04", f"submitted_day <= {DEADLINE}", f"submitted_day <= {DEADLINE}",
     f"submitted_day <= {DEADLINE}", {"<=": [{"var": "submitted_day"}, DEADLINE]}),
    ("r05", 'household in ["Nghèo", "Cận nghèo"] or orphan == True',
     'household in ["Nghèo", "Cận nghèo"] or orphan == true',
     'household in ["Nghèo", "Cận nghèo"] || orphan',
     {"or": [{"in": [{"var": "household"}, ["Nghèo", "Cận nghèo"]]},
             {"==": [{"var": "orphan"}, True]}]}),
    ("r06", "gpa >= 6.5 and gpa <= 10", "gpa >= 6.5 and gpa <= 10",
     "gpa >= 6.5 && gpa <= 10.0",
     {"and": [{">=": [{"var": "gpa"}, 6.5]}, {"<=": [{"var": "gpa"}, 10]}]}),
    ("r07", "community_hours >= 5", "community_hours >= 5", "community_hours >= 5",
     {">=": [{"var": "community_hours"}, 5]}),
    ("r08", "grade < 12 or exam_score >= 20", "grade < 12 or exam_score >= 20",
     "grade < 12 || exam_score >= 20.0",
     {"or": [{"<": [{"var": "grade"}, 12]}, {">=": [{"var": "exam_score"}, 20]}]}),
    ("r09", "grade >= 6 and grade <= 12", "grade >= 6 and grade <= 12",
     "grade >= 6 && grade <= 12",
     {"and": [{">=": [{"var": "grade"}, 6]}, {"<=": [{"var": "grade"}, 12]}]}),
    ("r10", "gpa * 10 + community_hours / 10 >= 70", "gpa * 10 + community_hours / 10 >= 70",
     "gpa * 10.0 + double(community_hours) / 10.0 >= 70.0",
     {">=": [{"+": [{"*": [{"var": "gpa"}, 10]}, {"/": [{"var": "community_hours"}, 10]}]}, 70]}),
    ("r11", 'conduct in ["Tốt", "Khá"]', 'conduct in ["Tốt", "Khá"]',
     'conduct in ["Tốt", "Khá"]', {"in": [{"var": "conduct"}, ["Tốt", "Khá"]]}),
    ("r12", 'household != "Nghèo" or gpa >= 7', 'household != "Nghèo" or gpa >= 7',
     'household != "Nghèo" || gpa >= 7.0',
     {"or": [{"!=": [{"var": "household"}, "Nghèo"]}, {">=": [{"var": "gpa"}, 7]}]}),
    ("r13", "orphan == False or gpa >= 6", "orphan == false or gpa >= 6", "!orphan || gpa >= 6.0",
     {"or": [{"!": [{"var": "orphan"}]}, {">=": [{"var": "gpa"}, 6]}]}),
    ("r14", "community_hours < 200", "community_hours < 200", "community_hours < 200",
     {"<": [{"var": "community_hours"}, 200]}),
    ("r15", f"core_docs + national >= 3 and submitted_day >= {EARLY}",
     f"core_docs + national >= 3 and submitted_day >= {EARLY}",
     f"core_docs + national >= 3 && submitted_day >= {EARLY}",
     {"and": [{">=": [{"+": [{"var": "core_docs"}, {"var": "national"}]}, 3]},
              {">=": [{"var": "submitted_day"}, EARLY]}]}),
]

CORE = ("Tờ trình", "Biên bản họp bình xét", "Báo cáo thành tích")




def scalar_frame(pool: kh.Pool) -> pd.DataFrame:
    df = pool.to_pandas()
    out = pd.DataFrame({
        "id": df["id"],
        "gpa": df["gpa"].astype(float),
        "conduct": df["conduct"],
        "household": df["household"],
        "orphan": df["orphan"].astype(bool),
        "grade": df["grade"].astype(np.int64),
        "community_hours": df["community_hours"].astype(np.int64),
        "exam_score": df["exam_score"].astype(float),
        "national": [sum(p.startswith("Quốc gia") for p in ps) for ps in df["prizes"]],
        "core_docs": [sum(d in CORE for d in ds) for ds in df["documents"]],
        "submitted_day": (df["submitted_on"].to_numpy().astype("datetime64[D]").astype(np.int64)),
    })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--subset", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    native = kh.generate_pool(args.rows, seed=1)
    df = scalar_frame(native)
    pool = kh.Pool.from_pandas(df, id="id")
    rules = kh.Rules.from_dict({"name": "bench", "rules": [
        {"id": rid, "when": ours.replace("True", "true").replace("False", "false")}
        for rid, ours, _, _, _ in RULES]})
    compiled = rules.compile(pool)
    assert compiled.warnings == []
    n, r = len(df), len(RULES)
    results: dict[str, Any] = {"rows": n, "rules": r, "cpus": os.cpu_count(),
                               "machine": platform.processor() or platform.machine()}

    t_kh, verdicts = best_of(args.repeat, lambda: compiled.evaluate(pool))
    t_kh1, _ = best_of(args.repeat, lambda: compiled.evaluate(pool, threads=1))
    passed = np.asarray(verdicts.status) == 0
    # Eligibility only (CompiledRules.eligible): what a query computes, no per-rule verdicts.
    t_elig, eligible = best_of(args.repeat, lambda: compiled.eligible(pool))
    t_elig1, _ = best_of(args.repeat, lambda: compiled.eligible(pool, threads=1))
    np.testing.assert_array_equal(eligible, np.asarray(verdicts.eligible))
    np.testing.assert_array_equal(eligible, passed.all(axis=1))

    # khuyenhoc on its own list/date columns (the C++ benchmark's rule set).
    bench_yaml = Path(__file__).resolve().parents[1] / "cpp" / "rules_bench.cpp"
    text = bench_yaml.read_text(encoding="utf-8")
    native_rules = kh.Rules.from_text(text[text.index("name: benchmark"):text.index(')";')])
    native_compiled = native_rules.compile(native)
    t_native, _ = best_of(args.repeat, lambda: native_compiled.evaluate(native))

    # pandas: one eval per rule (NaN compares False = khuyenhoc's "not pass").
    def pandas_eval() -> np.ndarray:
        return np.column_stack([df.eval(ours).to_numpy(dtype=bool) for _, ours, _, _, _ in RULES])

    t_pd, pd_pass = best_of(args.repeat, pandas_eval)
    np.testing.assert_array_equal(pd_pass, passed)
    all_rules = " and ".join(f"({ours})" for _, ours, _, _, _ in RULES)
    t_query, selected = best_of(args.repeat, lambda: df.query(all_rules))
    assert len(selected) == int(passed.all(axis=1).sum())
    np.testing.assert_array_equal(selected.index.to_numpy(), np.flatnonzero(eligible))
    results.update(khuyenhoc_s=t_kh, khuyenhoc_1thread_s=t_kh1, khuyenhoc_native_lists_s=t_native,
                   khuyenhoc_eligible_s=t_elig, khuyenhoc_eligible_1thread_s=t_elig1,
                   pandas_eval_s=t_pd, pandas_query_s=t_query)

    # Row-at-a-time engines on a subset of nominees with a GPA.
    has_gpa = np.flatnonzero(~np.isnan(df["gpa"].to_numpy()))[: args.subset]
    sub = df.iloc[has_gpa]
    rows = [
        {"gpa": float(g), "conduct": str(c), "household": str(h), "orphan": bool(o), "grade": int(gr),
         "community_hours": int(ch), "exam_score": 0.0 if np.isnan(e) else float(e),
         "national": int(na), "core_docs": int(cd), "submitted_day": int(sd)}
        for g, c, h, o, gr, ch, e, na, cd, sd in zip(
            sub["gpa"], sub["conduct"], sub["household"], sub["orphan"], sub["grade"],
            sub["community_hours"], sub["exam_score"], sub["national"], sub["core_docs"],
            sub["submitted_day"])
    ]
    expected = passed[has_gpa]

    def run_rows(name: str, fn: Callable[[], np.ndarray]) -> None:
        t, got = best_of(1, fn)
        np.testing.assert_array_equal(got, expected, err_msg=name)
        results[f"{name}_s"] = t
        results[f"{name}_rows"] = len(rows)

    import zen

    zen_rules = [zen.compile_expression(z) for _, _, z, _, _ in RULES]
    run_rows("zen", lambda: np.array([[bool(e.evaluate(row)) for e in zen_rules] for row in rows]))

    from json_logic import jsonLogic

    run_rows("json_logic", lambda: np.array(
        [[bool(jsonLogic(j, row)) for _, _, _, _, j in RULES] for row in rows]))

    import celpy

    env = celpy.Environment()
    cel_rules = [env.program(env.compile(c)) for _, _, _, c, _ in RULES]
    cel_rows = rows[: max(1, len(rows) // 4)]  # cel-python is the slowest: a quarter

    def run_cel() -> np.ndarray:
        return np.array([[bool(p.evaluate(celpy.json_to_cel(row))) for p in cel_rules]
                         for row in cel_rows])

    t, got = best_of(1, run_cel)
    np.testing.assert_array_equal(got, expected[: len(cel_rows)], err_msg="cel")
    results["cel_s"], results["cel_rows"] = t, len(cel_rows)

    rate = {"khuyenhoc": n / t_kh, "khuyenhoc (1 thread)": n / t_kh1,
            "khuyenhoc (list/date columns)": n / t_native,
            "khuyenhoc eligible only": n / t_elig,
            "khuyenhoc eligible only (1 thread)": n / t_elig1,
            "pandas eval (15 evals)": n / t_pd, "pandas query (1 query)": n / t_query}
    for name in ("zen", "json_logic", "cel"):
        rate[name] = results[f"{name}_rows"] / results[f"{name}_s"]
    results["nominees_per_s"] = rate
    print(f"{n:,} nominees x {r} rules; same verdicts in every engine")
    print(f"{'engine':36} {'nominees/s':>14} {'vs khuyenhoc':>14}")
    for name, v in rate.items():
        print(f"{name:36} {v:14,.0f} {rate['khuyenhoc'] / v:13.1f}x")
    print(f"pandas eval / khuyenhoc (full verdicts): {t_pd / t_kh:.1f}x; "
          f"pandas query / khuyenhoc eligible only: {t_query / t_elig:.1f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
