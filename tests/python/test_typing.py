"""The typed surface: the example scripts in examples/python run and pass `mypy --strict` against
the installed package's stubs (_core.pyi + the typed modules), mypy rejects a misuse (so the
stubs are really in force), and stubtest finds no drift between _core.pyi and the bindings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "python").glob("*.py"))

# Errors inside the package's own modules are not what this checks (mypy silences them for an
# installed package anyway); the examples' use of its types is.
MYPY_CONFIG = """[mypy]
strict = True
[mypy-khuyenhoc.*]
ignore_errors = True
"""


def mypy(tmp_path: Path, *targets: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy")
    config = tmp_path / "mypy.ini"
    config.write_text(MYPY_CONFIG)
    env = dict(os.environ)
    if env.get("PYTHONPATH"):  # a staged build rather than an installed package
        env["MYPYPATH"] = env["PYTHONPATH"]
    args = [sys.executable, "-m", "mypy", "--config-file", str(config)]
    args += ["--cache-dir", str(tmp_path / "mypy_cache"), *map(str, targets)]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env)


def test_there_are_examples() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"select_province.py", "check_plan.py", "score_panel.py"} <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert r.stdout.strip()
    if script.name == "select_province.py":
        report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
        assert "SHA-256" in report and "2024.1" in report


def test_examples_pass_mypy_strict_and_misuse_fails(tmp_path: Path) -> None:
    # One mypy run (a cold run takes a while): the examples must be clean, and a file misusing
    # the API must be flagged on exactly its wrong lines, so the stubs are really in force.
    bad = tmp_path / "bad_usage.py"
    bad.write_text(
        "import khuyenhoc as kh\n"
        "pool = kh.read_csv('examples/pool.csv', id='id')\n"
        "n: str = len(pool)\n"  # int, not str
        "rules = kh.Rules.from_yaml(42)\n"  # a path, not an int
        "v: int = kh.CriteriaSet.from_yaml('x.yaml').version\n"  # str
        "sel = kh.select(pool, [1.0], seats='many')\n"  # int
    )
    r = mypy(tmp_path, ROOT / "examples" / "python", bad)
    errors = [ln for ln in r.stdout.splitlines() if ": error:" in ln]
    elsewhere = [ln for ln in errors if "bad_usage.py" not in ln]
    assert not elsewhere, "\n".join(elsewhere)
    flagged = {
        int(m.group(1))
        for ln in errors
        if (m := re.search(r"bad_usage\.py:(\d+):", ln))
    }
    assert flagged == {3, 4, 5, 6}, r.stdout
    assert r.returncode == 1, r.stdout + r.stderr


# stubtest differences that come from pybind11 itself or from methods the package assigns in
# Python (khuyenhoc/__init__.py), not from a stub that disagrees with the bindings.
BENIGN = [
    re.compile(r" is inconsistent, metaclass differs$"),
    re.compile(
        r"\.__init__ is inconsistent, stub does not have \*args parameter \"args\"$"
    ),
    re.compile(
        r" is inconsistent, stub parameter \"self\" differs from runtime parameter \"\w+\"$"
    ),
]


def test_stubs_match_the_bindings(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["MYPYPATH"] = env["PYTHONPATH"]
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "khuyenhoc._core", "--concise"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    problems = [
        ln
        for ln in r.stdout.splitlines()
        if ln.startswith("khuyenhoc.") and not any(b.search(ln) for b in BENIGN)
    ]
    assert not problems, "\n".join(problems)
    assert r.returncode in (0, 1), r.stderr[-3000:]
