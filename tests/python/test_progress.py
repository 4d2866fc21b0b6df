"""progress= of read_csv and select (a callable, True with tqdm or a stderr line, off by default)
and the CLI's --progress (stderr only)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import khuyenhoc as kh
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    # About 5 MB: the reader reports about once per MB, so several calls.
    n = 25_000
    path = tmp_path_factory.mktemp("progress") / "pool.csv"
    kh.generate_pool(n, seed=11).to_csv(str(path))
    assert path.stat().st_size > 3 << 20
    return path, n


def _phases(calls: list[tuple[str, int, int]]) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for phase, done, total in calls:
        out.setdefault(phase, []).append((done, total))
    return out


def _monotone_to_total(steps: list[tuple[int, int]], total: int) -> None:
    done = [d for d, _ in steps]
    assert done == sorted(done)
    assert {t for _, t in steps} == {total}
    assert done[-1] == total


def test_read_csv_callback_is_monotone_and_ends_with_the_row_count(big_csv) -> None:  # type: ignore[no-untyped-def]
    path, n = big_csv
    calls: list[tuple[str, int, int]] = []
    pool = kh.read_csv(path, progress=lambda *a: calls.append(a))
    assert len(pool) == n
    phases = _phases(calls)
    assert list(phases) == ["reading", "rows"]
    size = path.stat().st_size
    assert len(phases["reading"]) >= 3
    _monotone_to_total(phases["reading"], size)
    assert phases["rows"] == [(n, n)]
    assert calls[-1] == ("rows", n, n)


def test_read_csv_progress_is_off_by_default(big_csv, capsys) -> None:  # type: ignore[no-untyped-def]
    path, _ = big_csv
    kh.read_csv(path)
    assert capsys.readouterr().err == ""


def test_read_csv_callback_error_stops_the_read(big_csv) -> None:  # type: ignore[no-untyped-def]
    path, _ = big_csv

    def stop(phase: str, done: int, total: int) -> None:
        raise KeyboardInterrupt("stop")

    with pytest.raises(KeyboardInterrupt, match="stop"):
        kh.read_csv(path, progress=stop)


def test_select_callback_phases_end_with_the_pool_size() -> None:
    pool = kh.generate_pool(2000, seed=5)
    scores = kh.CriteriaSet.from_yaml(EXAMPLES / "criteria" / "honour_pupils.yaml").score(pool)
    verdicts = kh.Rules.from_yaml(str(EXAMPLES / "rules" / "honour_pupils.yaml")).evaluate(pool)
    calls: list[tuple[str, int, int]] = []
    sel = kh.select(pool, scores, verdicts, seats=20, per="district", progress=lambda *a: calls.append(a))
    phases = _phases(calls)
    # Reasons and the result table are made in C++ with the selection: one phase.
    assert list(phases) == ["selecting"]
    for steps in phases.values():
        _monotone_to_total(steps, len(pool))
    quiet = kh.select(pool, scores, verdicts, seats=20, per="district")
    assert sel.table.equals(quiet.table)


def test_progress_true_writes_to_stderr(big_csv, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path, n = big_csv
    # Without tqdm: the plain stderr line.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    kh.read_csv(path, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "reading: 100%" in captured.err and f"rows: 100% ({n:,} of {n:,})" in captured.err


def test_progress_true_uses_tqdm_when_installed(big_csv, capsys) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("tqdm")
    path, n = big_csv
    kh.read_csv(path, progress=True)
    err = capsys.readouterr().err
    assert "rows" in err and f"{n}/{n}" in err


def test_progress_rejects_other_values() -> None:
    with pytest.raises(TypeError, match="progress must be"):
        kh.read_csv(EXAMPLES / "pool.csv", progress="yes")  # type: ignore[arg-type]


def _cli() -> str | None:
    env = os.environ.get("KHUYENHOC_CLI")
    if env:
        return env
    exe = Path(sys.executable).parent / "khuyenhoc"
    return str(exe) if exe.exists() else shutil.which("khuyenhoc")


@pytest.mark.skipif(_cli() is None, reason="the khuyenhoc CLI is not installed")
def test_cli_select_progress_goes_to_stderr_only(big_csv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, n = big_csv
    out = tmp_path / "result.csv"
    args = [
        _cli(), "select", "--pool", str(path),
        "--criteria", str(EXAMPLES / "criteria" / "honour_pupils.yaml"),
        "--rules", str(EXAMPLES / "rules" / "honour_pupils.yaml"),
        "--quota", "50", "--per", "district", "--out", str(out),
    ]  # fmt: skip
    quiet = subprocess.run(args, capture_output=True, text=True, check=True)
    assert "%" not in quiet.stderr  # stderr is not a terminal: off by default
    quiet_csv = out.read_bytes()
    loud = subprocess.run([*args, "--progress"], capture_output=True, text=True, check=True)
    err = loud.stderr
    for phase in ("reading", "scoring", "rules", "ranking and selecting", "writing"):
        assert phase in err, phase
    assert f"reading {path}: {n} nominees (" in err
    # in a log: a line per new 10% step of the file (about one report per MB here)
    percents = [int(x) for x in re.findall(rf"^reading {re.escape(str(path))}: (\d+)% \(", err, re.MULTILINE)]
    assert len(percents) >= 3 and percents == sorted(set(percents)) and percents[-1] < 100
    assert "selected (" in err and f"writing {out}: {n} rows (" in err and "done in " in err
    assert "\r" not in err  # lines, not a rewritten terminal line
    assert "%" not in loud.stdout and "reading" not in loud.stdout

    def untimed(text: str) -> list[str]:  # stdout without the line of timings
        return [line for line in text.splitlines() if not line.startswith("result:")]

    assert untimed(loud.stdout) == untimed(quiet.stdout)
    assert out.read_bytes() == quiet_csv
    off = subprocess.run([*args, "--no-progress"], capture_output=True, text=True, check=True)
    assert "reading" not in off.stderr
