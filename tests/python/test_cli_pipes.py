"""The CLI in pipes: ``-`` for standard input and output, ``--format json``,
``--summary-json``, exit codes (docs/cli.md)."""

from __future__ import annotations

import csv
import io
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


def _tricky_pool(tmp_path: Path) -> Path:
    """The example pool with ids, names, groups and rule values holding quotes, commas,
    backslashes, tabs and line breaks (the reasons cite the conduct)."""
    rows = list(csv.reader(io.StringIO(POOL.read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    col = {name: k for k, name in enumerate(header)}
    for k, row in enumerate(rows[1:]):
        if k % 7 == 0:
            row[col["id"]] += ',"x"'
        if k % 11 == 0:
            row[col["id"]] += "\nnl\\"
        if k % 13 == 0:
            row[col["district"]] = 'Quận "Một", A\tB'
        if k % 5 == 0:
            row[col["conduct"]] = 'Khá "kém",\r\nx'
        if k % 9 == 0:
            row[col["full_name"]] = 'Nguyễn "Văn", A'
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "tricky.csv"
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return path


def test_streamed_stdout_is_the_file_in_csv_and_json(tool: str, tmp_path: Path) -> None:
    pool = _tricky_pool(tmp_path)
    for fmt in ("csv", "json"):
        extra = ["--order", "name:full_name", "--threads", "3"]
        to_file = select(tool, "-p", str(pool), "-o", str(tmp_path / f"r.{fmt}"), "--format",
                         fmt, *extra)
        assert to_file.returncode == 0, to_file.stderr
        piped = select(tool, "-p", str(pool), "-o", "-", "--format", fmt, *extra)
        assert piped.returncode == 0, piped.stderr
        assert piped.stdout == (tmp_path / f"r.{fmt}").read_bytes()
    # The JSON and the CSV say the same, cell by cell, special characters included.
    # (read as bytes: read_text would turn the \r\n inside a quoted field into \n)
    table = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_bytes().decode(),
                                            newline="")))
    rows = json.loads((tmp_path / "r.json").read_bytes().decode())
    assert len(rows) == len(table) == 1000
    for got, want in zip(rows, table):
        assert list(got) == list(want)
        for key, value in got.items():
            text = ("" if value is None else "true" if value is True else
                    "false" if value is False else str(value))
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                assert float(want[key]) == value, key
            else:
                assert text == want[key], key
    reasons = [r["reason"] for r in rows]
    assert any('Khá "kém",\r\nx' in r for r in reasons)
    assert any(',"x"\nnl\\' in r["id"] for r in rows)


def test_a_failed_write_to_stdout_is_an_error(tool: str) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    for fmt in ("csv", "json"):
        with open("/dev/full", "wb") as full:
            run = subprocess.run(
                [tool, "select", "-c", str(CRITERIA), "-r", str(RULES), "--seats", "30",
                 "--per", "district", "--no-progress", "-p", str(POOL), "-o", "-", "--format",
                 fmt], stdout=full, stderr=subprocess.PIPE)
        assert run.returncode == 4  # an I/O error (docs/cli.md)
        assert b"standard output" in run.stderr
