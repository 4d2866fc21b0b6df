"""The selection report from Python (Selection.report_html / write_report), the same bytes as the
CLI's --report, and the report rendered by a real headless browser (Debian's chromium)."""

from __future__ import annotations

import hashlib
import html.parser
import os
import re
import shutil
import subprocess
from pathlib import Path

import khuyenhoc as kh
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
POOL = "examples/pool.csv"
CRITERIA = "examples/criteria/honour_pupils.yaml"
RULES = "examples/rules/honour_pupils.yaml"
INPUTS = {"pool": POOL, "criteria": CRITERIA, "rules": RULES}
SEATS = 30


OPTIONS: dict[str, object] = {"seats": SEATS, "per": "district", "order": ["exam_score desc"]}


def run(**report_options: object) -> kh.Selection:
    """The example selection, its inputs named by the same relative paths as the CLI's."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return kh.select(POOL, CRITERIA, RULES, **OPTIONS, **report_options)  # type: ignore[arg-type]
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def made() -> tuple[kh.Selection, kh.CriteriaSet, kh.Rules, kh.Pool]:
    pool = kh.read_csv(ROOT / POOL, id="id")
    criteria = kh.CriteriaSet.from_yaml(str(ROOT / CRITERIA))
    rules = kh.Rules.from_yaml(str(ROOT / RULES))
    return run(), criteria, rules, pool


def report(
    made: tuple[kh.Selection, kh.CriteriaSet, kh.Rules, kh.Pool], **kw: object
) -> str:
    return made[0].report_html() if not kw else run(**kw).report_html()


class _Balance(html.parser.HTMLParser):
    """Checks that every non-void element is closed in order (a structural HTML5 check)."""

    VOID = {
        "meta",
        "br",
        "hr",
        "img",
        "link",
        "input",
        "wbr",
        "col",
        "area",
        "base",
        "source",
    }

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_report_content(
    made: tuple[kh.Selection, kh.CriteriaSet, kh.Rules, kh.Pool],
) -> None:
    sel, criteria, rules, pool = made
    text = report(made)
    for path in INPUTS.values():
        digest = hashlib.sha256((ROOT / path).read_bytes()).hexdigest()
        assert digest in text
    assert criteria.version and criteria.version in text
    assert rules.name in text
    table = sel.table
    selected = table[table["selected"]]
    assert len(selected) == SEATS
    for rid in selected["id"]:
        assert f"<td>{rid}</td>" in text
    for rid in table[~table["selected"]]["id"][:50]:
        assert f"<td>{rid}</td>" not in text
    # Row conservation, by reason, as the result table counts them.
    counts = table["status"].value_counts().to_dict()
    n = len(pool)
    assert f"{n:,} = {SEATS} + {n - SEATS:,} ✓".replace(",", ".") in text
    for status, count in counts.items():
        assert re.search(
            rf'data-count="{status}"><td>.*?</td><td class="num">{count:,}</td>'.replace(",", "."),
            text,
        ), status
    # Rejections per rule from the verdicts' funnel.
    for step in rules.evaluate(pool).funnel:
        assert re.search(
            rf'data-rule="{step["rule"]}">.*?<td class="num">{step["failed"]}</td>',
            text,
        )
    parser = _Balance()
    parser.feed(text)
    assert parser.doctype.lower() == "doctype html"
    assert not parser.errors and not parser.stack, (parser.errors, parser.stack)


def test_report_is_deterministic_and_time_only_on_request(
    made: tuple[kh.Selection, kh.CriteriaSet, kh.Rules, kh.Pool],
) -> None:
    a = report(made)
    assert a == report(made)
    assert "generated-at" not in a
    assert "generated-at" in report(made, report_time=True)


def test_report_escapes_values(
    made: tuple[kh.Selection, kh.CriteriaSet, kh.Rules, kh.Pool],
) -> None:
    text = report(
        made, organisation='<script>alert("x")</script> & Co', signatures=["A<b>"]
    )
    assert "<script" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in text
    assert "A&lt;b&gt;" in text


def test_write_report_and_errors(
    made: tuple[kh.Selection, kh.CriteriaSet, kh.Rules, kh.Pool], tmp_path: Path
) -> None:
    sel = made[0]
    out = tmp_path / "r.html"
    sel.write_report(out)
    assert out.read_bytes() == sel.report_html().encode("utf-8")
    with pytest.raises(kh.SpecError, match="missing.csv"):
        run(inputs={"extra": tmp_path / "missing.csv"})


def test_report_with_plain_scores_and_levels() -> None:
    pool = kh.generate_pool(400, seed=5)
    score = np.linspace(0, 100, len(pool))
    sel = kh.select(pool, score, seats=0, levels=[("Giải Nhất", 3), ("Giải Nhì", 6)])
    text = sel.report_html()
    assert "Giải Nhất: 3 suất, Giải Nhì: 6 suất" in text
    assert f"{len(pool)} = 9 + {len(pool) - 9} ✓" in text


def tool() -> str | None:
    build = ROOT / os.environ.get("KHUYENHOC_BUILD_DIR", "build/dev")
    built = build / "src" / "khuyenhoc"
    return str(built) if built.is_file() else shutil.which("khuyenhoc")


def test_cli_report_has_the_same_bytes(
    made: tuple[kh.Selection, kh.CriteriaSet, kh.Rules, kh.Pool],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)  # both name the inputs by the same relative paths
    exe = tool()
    if exe is None:
        pytest.skip("the khuyenhoc tool is not built or installed")
    out = tmp_path / "cli.html"
    args = [exe, "select", "--pool", POOL, "--criteria", CRITERIA, "--rules", RULES]
    args += ["--seats", str(SEATS), "--per", "district", "--order", "exam_score desc"]
    args += ["--out", str(tmp_path / "result.csv"), "--report", str(out)]
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == made[0].report_html()


# --- a real browser ------------------------------------------------------------------------


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (scripts/setup.sh installs it)")
    pytest.skip(
        "chromium is not installed: run scripts/setup.sh (apt package chromium)"
    )


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    base += [
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ]
    return subprocess.run(
        base + list(args), capture_output=True, text=True, timeout=180
    )


def test_report_in_a_headless_browser(
    made: tuple[kh.Selection, kh.CriteriaSet, kh.Rules, kh.Pool], tmp_path: Path
) -> None:
    sel = made[0]
    page = tmp_path / "report.html"
    page.write_text(report(made), encoding="utf-8")
    r = run_chromium("--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr[-3000:]
    dom = r.stdout
    # The browser parsed the whole document: the DOM it serialises has every section.
    for section in (
        "inputs",
        "specs",
        "parameters",
        "conservation",
        "funnel",
        "seats",
        "selected",
    ):
        assert f'<section id="{section}">' in dom, section
    rows = re.search(
        r'<table id="selected-table">.*?<tbody>(.*?)</tbody>', dom, re.DOTALL
    )
    assert rows is not None
    assert rows.group(1).count("<tr>") == SEATS
    for rid in sel.table[sel.table["selected"]]["id"]:
        assert f"<td>{rid}</td>" in rows.group(1)
    seats = re.search(
        r'<table id="seats-table">.*?<tbody>(.*?)</tbody>', dom, re.DOTALL
    )
    assert seats is not None
    for group in sel.outcomes["group"]:
        assert f'data-group="{group}"' in seats.group(1)
    for path in INPUTS.values():
        assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() in dom
    # No script runs, so the page must not log console messages (errors would show here).
    assert "CONSOLE" not in r.stderr and "Uncaught" not in r.stderr, r.stderr[-3000:]

    shot = tmp_path / "report.png"
    r = run_chromium("--window-size=1100,1600", f"--screenshot={shot}", page.as_uri())
    assert r.returncode == 0 and shot.stat().st_size > 10_000, r.stderr[-3000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = tmp_path / "report.pdf"
    r = run_chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert r.returncode == 0 and pdf.read_bytes()[:5] == b"%PDF-", r.stderr[-3000:]
    # The print CSS lays the 30 selected rows plus the tables out on more than one A4 page.
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages >= 2, pages


def test_sets_carry_their_version() -> None:
    rules = kh.Rules.from_text(
        'name: R\nversion: "2024.2"\nrules:\n  - {id: a, when: gpa >= 8}\n'
    )
    assert (rules.name, rules.version, rules.descriptions) == ("R", "2024.2", [""])
    assert (
        kh.Rules.from_text("name: R\nrules:\n  - {id: a, when: gpa >= 8}\n").version
        == ""
    )
    text = (ROOT / CRITERIA).read_text(encoding="utf-8")
    assert kh.CriteriaSet.from_yaml_text(text).version == "2024.1"
    without = "\n".join(ln for ln in text.splitlines() if not ln.startswith("version:"))
    assert kh.CriteriaSet.from_yaml_text(without).version == ""
    with pytest.raises(kh.SpecError, match="version"):
        kh.Rules.from_text(
            "name: R\nversion: [1, 2]\nrules:\n  - {id: a, when: gpa >= 8}\n"
        )
