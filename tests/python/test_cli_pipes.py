"""The CLI in pipes: ``-`` for standard input and output, ``--format json``,
``--summary-json``, exit codes (docs/cli.md)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POOL = ROOT / "examples" / "pool.csv"
CRITERIA = ROOT / "examples" / "criteria" / "honour_pupils.yaml"
RULES = ROOT / "examples" / "rules" / "honour_pupils.yaml"


@pytest.fixture(scope="module")
def tool() -> str:
    path = ROOT / os.environ.get("KHUYENHOC_BUILD_DIR", "build/dev") / "src" / "khuyenhoc"
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} not built (CI=true)")
        pytest.skip(f"{path} not built")
    return str(path)


def select(tool: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool, "select", "-c", str(CRITERIA), "-r", str(RULES), "--seats", "30", "--per",
         "district", "--no-progress", *args],
        input=stdin,
        capture_output=True,
    )


def test_stdin_to_stdout_is_the_file_result(tool: str, tmp_path: Path) -> None:
    files = select(tool, "-p", str(POOL), "-o", str(tmp_path / "r.csv"))
    assert files.returncode == 0, files.stderr
    piped = select(tool, "-p", "-", "-o", "-", stdin=POOL.read_bytes())
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == (tmp_path / "r.csv").read_bytes()
    # The human summary goes to stderr when the result is on stdout, stdout otherwise.
    assert b"Pool -:" in piped.stderr and b"30 " in piped.stderr
    assert b"Pool " in files.stdout and not files.stderr.strip()


def test_json_result_and_summary_json(tool: str, tmp_path: Path) -> None:
    run = select(tool, "-p", str(POOL), "-o", str(tmp_path / "r.json"), "--format", "json",
                 "--summary-json", str(tmp_path / "s.json"), "--report", str(tmp_path / "r.html"))
    assert run.returncode == 0, run.stderr
    rows = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert len(rows) == 1000
    assert list(rows[0])[:4] == ["id", "district", "score", "rank"]
    assert sum(r["selected"] for r in rows) == 30
    ineligible = [r for r in rows if r["status"] == "ineligible"]
    assert ineligible and all(r["rank"] is None and r["reason"] for r in ineligible)
    assert rows[0]["id"] == "HS0000001"
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["nominees"] == 1000 and summary["selected"] == 30
    groups = {g["group"]: g for g in summary["groups"]}
    for r in rows:
        if r["selected"]:
            assert r["score"] >= groups[r["district"]]["cutoff"]
    assert (tmp_path / "r.html").stat().st_size > 1000


def test_summary_json_is_the_python_one(tool: str, tmp_path: Path) -> None:
    import khuyenhoc

    run = select(tool, "-p", str(POOL), "-o", "-", "--summary-json", str(tmp_path / "s.json"))
    assert run.returncode == 0, run.stderr
    selection = khuyenhoc.select(
        khuyenhoc.read_csv(str(POOL)), criteria=str(CRITERIA), rules=str(RULES), seats=30,
        per="district",
    )
    assert selection.summary_json() == (tmp_path / "s.json").read_text(encoding="utf-8")


def test_bad_input_on_stdin_is_located(tool: str) -> None:
    run = select(tool, "-p", "-", "-o", "-", stdin=b"id,gpa\nA,9\nA,8\n")
    assert run.returncode == 2
    assert b"<stdin>" in run.stderr and b'"A"' in run.stderr
    assert run.stdout == b""


def test_parquet_and_unknown_formats_say_what_to_do(tool: str, tmp_path: Path) -> None:
    run = select(tool, "-p", str(POOL), "-o", str(tmp_path / "r.parquet"), "--format", "parquet")
    assert run.returncode == 2
    assert b"khuyenhoc.read_parquet" in run.stderr
    assert not (tmp_path / "r.parquet").exists()
    run = select(tool, "-p", str(POOL), "-o", str(tmp_path / "r.x"), "--format", "xlsx")
    assert run.returncode == 2 and b"csv or json" in run.stderr


def test_failing_outputs_leave_nothing(tool: str, tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text("old")
    run = select(tool, "-p", str(POOL), "-o", str(tmp_path / "r.csv"), "--summary-json",
                 str(tmp_path / "old.json"), "--report", str(tmp_path / "missing" / "r.html"))
    assert run.returncode != 0
    assert (tmp_path / "old.json").read_text() == "old"  # not replaced: the set failed
    assert not (tmp_path / "r.csv").exists()
    run = select(tool, "-p", str(POOL), "-o", "-", "--summary-json", "-")
    assert run.returncode == 2 and b"only one output" in run.stderr


def test_generate_and_summary_in_a_pipe(tool: str) -> None:
    gen = subprocess.run([tool, "generate", "-n", "200", "-o", "-"], capture_output=True)
    assert gen.returncode == 0, gen.stderr
    assert gen.stdout.startswith(b"id,")
    summary = subprocess.run([tool, "summary", "-p", "-", "--by", "district"], input=gen.stdout,
                             capture_output=True)
    assert summary.returncode == 0, summary.stderr
    assert b"200 nominees" in summary.stdout


def test_version(tool: str) -> None:
    import khuyenhoc

    run = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == f"khuyenhoc {khuyenhoc.__version__}"


def test_json_outputs_escape_names(tool: str, tmp_path: Path) -> None:
    # A group name with a quote, a backslash and a tab: both JSON outputs stay valid JSON.
    name = 'Tây "Hồ"\\\tx'
    quoted = '"' + name.replace('"', '""') + '"'
    text = POOL.read_text(encoding="utf-8").replace(",Tây Hồ,", f",{quoted},")
    pool = tmp_path / "pool.csv"
    pool.write_text(text, encoding="utf-8")
    run = select(tool, "-p", str(pool), "-o", str(tmp_path / "r.json"), "--format", "json",
                 "--summary-json", str(tmp_path / "s.json"))
    assert run.returncode == 0, run.stderr
    rows = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sum(r["district"] == name for r in rows) == text.count(quoted) > 0
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert name in {g["group"] for g in summary["groups"]}
