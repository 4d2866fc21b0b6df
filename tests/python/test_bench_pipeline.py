"""benchmarks/python/bench_pipeline.py at a tiny size: its DuckDB and polars translations of the
reference job (examples/criteria/honour_pupils.yaml, examples/rules/honour_pupils.yaml, 300
seats by district) agree with `khuyenhoc select` on every nominee. The script exits 1 and prints
the differences when they do not; no timing is checked here."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "python" / "bench_pipeline.py"

# The queries use DuckDB's `lambda x:` syntax (1.3) and polars' ordered joins (1.20).
duckdb = pytest.importorskip("duckdb", minversion="1.3")
pl = pytest.importorskip("polars", minversion="1.20")


def cli() -> str:
    built = ROOT / os.environ.get("KHUYENHOC_BUILD_DIR", "build/dev") / "src" / "khuyenhoc"
    found = str(built) if built.is_file() else shutil.which("khuyenhoc")
    if found is None:
        pytest.fail("the khuyenhoc tool is neither built nor installed")
    return found


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_pipeline", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pipeline"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_three_programs_select_the_same_nominees(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "3000", "--repeat", "1", "--data-dir", str(tmp_path),
         "--work-dir", str(tmp_path / "work"), "--json", str(out), "--khuyenhoc", cli()],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| 3,000 |" in done.stdout
    result = json.loads(out.read_text())["results"][0]
    assert result["nominees"] == 3000 and result["same_selection"]
    assert set(result["khuyenhoc"]["phases_s"]) == {"read", "run", "write"}
    for peer in ("duckdb-selected", "duckdb-full", "polars"):
        assert result[peer]["wall_s"] > 0 and result[peer]["peak_rss_bytes"] > 0
    # The check is not vacuous: seats were filled, in several districts.
    kh_rows = (tmp_path / "work" / "kh_3000.csv").read_text(encoding="utf-8").splitlines()
    header = kh_rows[0].split(",")
    selected = [r for r in kh_rows[1:] if r.split(",")[header.index("selected")] == "true"]
    assert len(selected) > 50
    assert len({r.split(",")[header.index("district")] for r in selected}) > 5


def test_a_different_selection_fails_loudly(tmp_path: Path) -> None:
    bench = load_script()
    kh = tmp_path / "kh.csv"
    kh.write_text("id,district,score,rank,group_rank,selected,status,classification\n"
                  "A,X,10,1,1,true,selected,Khá\nB,X,9,2,2,false,outside_quota,Khá\n")
    peer = tmp_path / "peer.csv"
    peer.write_text("id,district,score,group_rank\nB,X,9,1\n")
    problems = bench.compare(kh, {"duckdb-selected": peer})
    assert len(problems) == 1 and "only khuyenhoc: ['A']" in problems[0]
    assert "only duckdb-selected: ['B']" in problems[0]
    full = tmp_path / "full.csv"
    full.write_text("id,district,score,rank,group_rank,selected,status,classification\n"
                    "A,X,10,1,1,true,selected,Khá\nB,X,9.5,2,2,false,outside_quota,Khá\n")
    problems = bench.compare(kh, {"polars": full})
    assert len(problems) == 1 and "1 nominees differ" in problems[0] and "B:" in problems[0]


def test_polars_name_key_is_the_icu_vi_order() -> None:
    """The polars query's collation key orders Vietnamese names as DuckDB's ICU `COLLATE vi`
    (the order khuyenhoc uses): letters ă â đ ê ô ơ ư, tones, case, spaces."""
    bench = load_script()
    names = [
        "An", "Ánh", "Anh", "Ân", "Ăn", "Bình", "Dung", "Đức", "Đăng", "Duy", "Giang", "Hà",
        "Hạ", "Há", "Hả", "Hã", "Hà An", "Hà Anh", "Hai", "Hải", "hải", "Ơn", "Ôn", "On", "Ư",
        "Uyên", "Yến", "Yên", "Nguyễn Văn An", "Nguyên", "Thảo", "Thao", "Thạo", "Thủy", "Thùy",
        "Thuỵ",
    ]
    names = [unicodedata.normalize("NFC", n) for n in names]
    primary, secondary, tertiary = bench.vi_key_tables()

    def key(s: str) -> str:
        p = "".join(primary.get(c, c) for c in s)
        sec = "".join({**secondary, " ": "0"}.get(c, c) for c in s)
        ter = "".join({**tertiary, " ": "0"}.get(c, c) for c in s)
        return p + "\x01" + sec + "\x01" + ter

    con = duckdb.connect()
    icu = [r[0] for r in con.execute(
        "SELECT n FROM (SELECT unnest(?) AS n) ORDER BY n COLLATE vi, n", [names]).fetchall()]
    assert sorted(names, key=key) == icu
    # and the polars expression of the query gives the same order
    keyed = pl.DataFrame({"n": names}).with_columns(k=bench.vi_key_expr(pl.col("n")))
    assert keyed.sort("k")["n"].to_list() == icu
