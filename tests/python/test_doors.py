"""One pipeline, three doors: the same scenario run through the CLI (`khuyenhoc select`), Python
(`khuyenhoc.select`) and C++ (tests/cpp/tools/run_door.cpp, the library's run.hpp) writes the
same result CSV and the same report, byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import khuyenhoc as kh
import pytest

ROOT = Path(__file__).resolve().parents[2]
POOL = "examples/pool.csv"
CRITERIA = "examples/criteria/honour_pupils.yaml"
RULES = "examples/rules/honour_pupils.yaml"
REPORT = {
    "title": "Danh sách học sinh được biểu dương",
    "organisation": "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
    "place": "Hải Phòng",
    "date": "29/11/2026",
}

# name → (Python keyword arguments, CLI flags); tests/cpp/tools/run_door.cpp has the same.
SCENARIOS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "apportion": (
        {"per": "district", "seats": 30, "order": ["exam_score desc", "name:full_name"]},
        ["--per", "district", "--seats", "30", "--order", "exam_score desc", "--order",
         "name:full_name"],
    ),
    "levels_cap": (
        {"per": "district", "levels": [("Giải Nhất", 5), ("Giải Nhì", 15)], "cap_share": 0.05,
         "order": ["exam_score desc"]},
        ["--per", "district", "--levels", "Giải Nhất=5,Giải Nhì=15", "--cap-share", "0.05",
         "--order", "exam_score desc"],
    ),
    "include": ({"seats": 40, "ties": "include"}, ["--seats", "40", "--ties", "include"]),
    "exclude": (
        {"per": "district", "seats": 40, "ties": "exclude"},
        ["--per", "district", "--seats", "40", "--ties", "exclude"],
    ),
    "lottery": (
        {"seats": 25, "order": ["lottery"], "seed": 7},
        ["--seats", "25", "--order", "lottery", "--seed", "7"],
    ),
}


def build_dir() -> Path:
    return ROOT / os.environ.get("KHUYENHOC_BUILD_DIR", "build/dev")


def cli() -> str:
    built = build_dir() / "src" / "khuyenhoc"
    found = str(built) if built.is_file() else shutil.which("khuyenhoc")
    if found is None:
        pytest.fail("the khuyenhoc tool is neither built nor installed")
    return found


def cpp_door() -> str:
    exe = build_dir() / "tests" / "run_door"
    if not exe.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{exe} is not built (scripts/test.sh builds the dev preset first)")
        pytest.skip(f"{exe} is not built: cmake --build --preset dev --target run_door")
    return str(exe)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_cli_python_and_cpp_write_the_same_bytes(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # every door names the inputs by the same relative paths
    kwargs, flags = SCENARIOS[name]
    # CLI
    report_flags = ["--title", REPORT["title"], "--organisation", REPORT["organisation"],
                    "--place", REPORT["place"], "--date", REPORT["date"]]
    r = subprocess.run(
        [cli(), "select", "--pool", POOL, "--criteria", CRITERIA, "--rules", RULES, *flags,
         *report_flags, "--out", str(tmp_path / "cli.csv"), "--report", str(tmp_path / "cli.html")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    # Python
    sel = kh.select(POOL, CRITERIA, RULES, **kwargs, **REPORT)
    sel.write(tmp_path / "py.csv", tmp_path / "py.html")
    # C++
    r = subprocess.run(
        [cpp_door(), POOL, CRITERIA, RULES, str(tmp_path / "cpp.csv"), str(tmp_path / "cpp.html"),
         name],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    for ext in ("csv", "html"):
        cli_bytes = (tmp_path / f"cli.{ext}").read_bytes()
        assert cli_bytes == (tmp_path / f"py.{ext}").read_bytes(), ext
        assert cli_bytes == (tmp_path / f"cpp.{ext}").read_bytes(), ext
    assert sel.to_csv() == (tmp_path / "cli.csv").read_text(encoding="utf-8")
    assert sel.report_html() == (tmp_path / "cli.html").read_text(encoding="utf-8")


def test_the_same_bytes_on_a_generated_pool(tmp_path: Path) -> None:
    pool_path = tmp_path / "pool.csv"
    r = subprocess.run([cli(), "generate", "--size", "20000", "--seed", "11", "-o", str(pool_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    crit, rules = str(ROOT / CRITERIA), str(ROOT / RULES)
    r = subprocess.run(
        [cli(), "select", "--pool", str(pool_path), "--criteria", crit, "--rules", rules,
         "--per", "district", "--seats", "300", "--ties", "include", "--order", "name:full_name",
         "--out", str(tmp_path / "cli.csv"), "--report", str(tmp_path / "cli.html")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    sel = kh.select(str(pool_path), crit, rules, per="district", seats=300, ties="include",
                    order="name:full_name")
    assert sel.to_csv() == (tmp_path / "cli.csv").read_text(encoding="utf-8")
    assert sel.report_html() == (tmp_path / "cli.html").read_text(encoding="utf-8")
    # Precomputed scores and verdicts give the same reasons as the pipeline computing them.
    pool = kh.read_csv(pool_path, id="id")
    criteria, rule_set = kh.CriteriaSet.from_yaml(crit), kh.Rules.from_yaml(rules)
    again = kh.select(pool, criteria.score(pool), rule_set.evaluate(pool), per="district",
                      seats=300, ties="include", order="name:full_name")
    assert again.to_csv() == sel.to_csv()


def test_every_problem_of_the_options_at_once() -> None:
    with pytest.raises(kh.SpecError) as err:
        kh.select(ROOT / POOL, ROOT / CRITERIA, ROOT / RULES, seats=-1, per="distric",
                  cap_share=float("nan"), min_score=float("nan"), order=["nope desc"])
    text = str(err.value)
    for needle in ("seats", "cap_share", "min_score", 'did you mean "district"', "nope"):
        assert needle in text, needle


@pytest.mark.parametrize("bad", [["1", "0"], [float("nan"), 1.0], [2, 0]])
def test_eligibility_must_be_boolean(bad: list[Any]) -> None:
    import numpy as np

    pool = kh.from_dict({"id": ["A", "B"], "district": ["X", "X"]})
    with pytest.raises(kh.SpecError, match="eligibility"):
        kh.select(pool, np.array([1.0, 2.0]), np.array(bad), seats=1)


def test_reselect_equals_a_fresh_run() -> None:
    first = kh.select(ROOT / POOL, ROOT / CRITERIA, ROOT / RULES, per="district", seats=30)
    again = first.reselect(per="district", seats=60, ties="exclude")
    fresh = kh.select(ROOT / POOL, ROOT / CRITERIA, ROOT / RULES, per="district", seats=60,
                      ties="exclude")
    assert again.to_csv() == fresh.to_csv()


def test_output_equal_to_an_input_is_refused(tmp_path: Path) -> None:
    pool = tmp_path / "pool.csv"
    pool.write_bytes((ROOT / POOL).read_bytes())
    before = pool.read_bytes()
    sel = kh.select(pool, ROOT / CRITERIA, ROOT / RULES, seats=10)
    with pytest.raises(OSError):
        sel.write(pool, tmp_path / "r.html")
    assert pool.read_bytes() == before
    assert not (tmp_path / "r.html").exists()
    r = subprocess.run(
        [cli(), "select", "--pool", str(pool), "--criteria", str(ROOT / CRITERIA), "--seats", "5",
         "--out", str(pool)],
        capture_output=True, text=True,
    )
    assert r.returncode == 4 and "input" in r.stderr, r.stderr  # 4: a file could not be written
    assert pool.read_bytes() == before


def test_parameters_from_the_cli_and_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "name: R\nparams: {nguong: 8.0, han: 30/09/2024}\nrules:\n"
        "  - {id: gpa, when: gpa >= nguong}\n  - {id: han_nop, when: submitted_on <= han}\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        [cli(), "select", "--pool", POOL, "--criteria", CRITERIA, "--rules", str(rules),
         "--seats", "20", "--param", "nguong=9,0", "--param", "han=15/09/2024",
         "--out", str(tmp_path / "cli.csv")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    import datetime

    sel = kh.select(POOL, CRITERIA, rules, seats=20,
                    params={"nguong": 9.0, "han": datetime.date(2024, 9, 15)})
    assert sel.to_csv() == (tmp_path / "cli.csv").read_text(encoding="utf-8")
    table = sel.table
    assert not table.loc[table["status"] != "ineligible"].empty
    with pytest.raises(kh.SpecError, match="declared: nguong, han"):
        kh.select(POOL, CRITERIA, rules, seats=20, params={"nguon": 9})


def test_selection_speaks_arrow() -> None:
    pa = pytest.importorskip("pyarrow")
    sel = kh.select(ROOT / POOL, ROOT / CRITERIA, ROOT / RULES, per="district", seats=30)
    table = pa.table(sel)
    assert table.num_rows == len(sel)
    assert table.column("reason").to_pylist() == list(sel.table["reason"])
    assert sum(table.column("selected").to_pylist()) == 30


def test_a_file_is_read_with_only_the_columns_the_run_uses(tmp_path: Path) -> None:
    # "grade" is used by no criterion, rule, order or report: a cell its type refuses does not
    # stop the run at any door, and the doors still agree byte for byte.
    lines = (ROOT / POOL).read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    grade = header.index("grade")
    cells = lines[1].rstrip("\n").split(",")
    cells[grade] = "1e999"
    lines[1] = ",".join(cells) + "\n"
    pool_path = tmp_path / "pool.csv"
    pool_path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(kh.DataError, match="grade"):
        kh.read_csv(pool_path)
    crit, rules = str(ROOT / CRITERIA), str(ROOT / RULES)
    r = subprocess.run(
        [cli(), "select", "--pool", str(pool_path), "--criteria", crit, "--rules", rules,
         "--per", "district", "--seats", "30", "--order", "exam_score desc",
         "--order", "name:full_name", "--out", str(tmp_path / "cli.csv")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    sel = kh.select(str(pool_path), crit, rules, per="district", seats=30,
                    order=["exam_score desc", "name:full_name"])
    assert sel.to_csv() == (tmp_path / "cli.csv").read_text(encoding="utf-8")
    # The same run from the whole pool (the bad cell mended) writes the same bytes.
    whole = kh.read_csv(ROOT / POOL)
    again = kh.select(whole, crit, rules, per="district", seats=30,
                      order=["exam_score desc", "name:full_name"])
    assert again.to_csv() == sel.to_csv()
    assert kh.read_csv(pool_path, columns=["gpa", "district"]).columns == ["id", "district", "gpa"]
    # A column the run names that the file lacks is still reported, by the run.
    with pytest.raises(kh.SpecError, match="no_such"):
        kh.select(str(pool_path), crit, rules, per="district", seats=30, order="no_such desc")
