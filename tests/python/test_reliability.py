"""Reliability (docs/reliability.md): hostile and careless inputs get clear, located errors;
outputs are replaced atomically; interrupted or failing runs leave previous outputs intact.
Each test here is one row of the reliability table."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import khuyenhoc as kh

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "examples" / "plans"


def _cli() -> str | None:
    exe = Path(sys.executable).parent / "khuyenhoc"
    return str(exe) if exe.exists() else shutil.which("khuyenhoc")


needs_cli = pytest.mark.skipif(_cli() is None, reason="the khuyenhoc CLI is not installed")


def _leftovers(directory: Path) -> list[str]:
    """Temporary files an output_set would leave behind (".name.tmp-XXXXXXXX")."""
    return sorted(p.name for p in directory.iterdir() if ".tmp-" in p.name)


# ----------------------------------------------------------------------------- errors


def test_missing_file_is_an_ioerror_that_is_also_oserror(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(kh.IOError) as info:
        kh.read_csv(missing)
    assert isinstance(info.value, OSError) and isinstance(info.value, kh.Error)
    assert info.value.errno == errno.ENOENT
    assert str(info.value) == f"{missing}: cannot read the file: No such file or directory"
    # The same error shape from every reader.
    for load in (kh.Rules.from_yaml, kh.CriteriaSet.from_yaml, kh.Calendar.from_yaml):
        with pytest.raises(kh.IOError, match="cannot read the file: No such file"):
            load(str(missing))


def test_text_after_closing_quote_is_a_parse_error_not_unicode_decode_error(tmp_path):
    f = tmp_path / "q.csv"
    f.write_bytes('id,name\nA,"An"ở\n'.encode())
    with pytest.raises(kh.ParseError, match=r"q.csv:2:7: unexpected character 'ở'"):
        kh.read_csv(f)


def test_nul_byte_is_located(tmp_path):
    f = tmp_path / "nul.csv"
    f.write_bytes(b"id,gpa\nA,8.5\nB,7\x005\n")
    with pytest.raises(kh.ParseError, match=r"nul.csv:3:4: NUL byte"):
        kh.read_csv(f)


def test_stray_quote_is_reported_where_it_opened(tmp_path):
    f = tmp_path / "stray.csv"
    f.write_text(
        'id,name,gpa\nA,An,8\nB,"Bình,7\nC,Chi,6\nD,Dũng,5\nE,Em,4\nF,Phúc",3\n', encoding="utf-8"
    )
    with pytest.raises(kh.ParseError, match=r"stray.csv:3:3: the quoted field opened here"):
        kh.read_csv(f)
    assert len(kh.read_csv(f, max_field_lines=0)) == 2


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("id,gpa\nA,8.5\nB,1e999\n", 'stray.csv:3: row "B": column "gpa": "1e999" is out of'),
        ("id;gpa\nA;8,5\nB; 8,5 \n", 'stray.csv:3: row "B": column "gpa": " 8,5 " has blanks'),
        ("id;gpa\nA;9,1\nB;8.75\n", "stray.csv:3: row \"B\": column \"gpa\": \"8.75\" uses '.'"),
    ],
)
def test_cells_that_defeat_inference_are_located(tmp_path, content, where):
    f = tmp_path / "stray.csv"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(kh.DataError) as info:
        kh.read_csv(f)
    assert str(info.value).startswith(f"{tmp_path}/{where}")


def test_mixed_column_as_text_warns_with_the_cell(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("id;gpa\nA;9,1\nB;8.75\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"m.csv:3: column \"gpa\": \"8.75\""):
        pool = kh.read_csv(f, mixed_columns="text")
    assert pool.column_type("gpa") != "number"
    with pytest.raises(kh.SpecError):
        kh.read_csv(f, mixed_columns="maybe")


def test_max_bytes(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("id,gpa\nA,8.5\n", encoding="utf-8")
    with pytest.raises(kh.LimitError, match="limit of 5 bytes"):
        kh.read_csv(f, max_bytes=5)
    assert len(kh.read_csv(f, max_bytes=1000)) == 1


def test_yaml_duplicate_key_and_alias_bomb():
    with pytest.raises(kh.ParseError, match=r'r.yaml:5:5: duplicate key "when".*line 4, column 5'):
        kh.Rules.from_text(
            "name: x\nrules:\n  - id: a\n    when: gpa >= 8\n    when: gpa >= 0\n", "r.yaml"
        )
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefghi", "bcdefghij")
    )
    assert len(bomb) < 1000
    with pytest.raises(kh.LimitError, match="aliases"):
        kh.CriteriaSet.from_yaml_text(bomb, "bomb.yaml")


def test_yaml_invalid_utf8_is_located(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_bytes(b'name: x\nrules:\n  - id: a\n    when: name == "\xc3\x28"\n')
    with pytest.raises(kh.ParseError, match=r"r.yaml:4:20: invalid UTF-8"):
        kh.Rules.from_yaml(str(f))


def test_memory_exhaustion_while_reading_is_memory_error(tmp_path):
    """bad_alloc in the reader (worker threads included) is MemoryError, not an abort."""
    big = tmp_path / "big.csv"
    kh.generate_pool(300_000, seed=1).to_csv(str(big))
    code = textwrap.dedent(
        f"""
        import resource, khuyenhoc as kh
        size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        limit = size + {big.stat().st_size}  # less than the text plus its cells
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            kh.read_csv({str(big)!r}, threads=4)
        except MemoryError:
            print("MemoryError")
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "MemoryError"


# ----------------------------------------------------------------------------- outputs


def test_pool_to_csv_is_atomic_and_errors_are_ioerrors(tmp_path):
    pool = kh.generate_pool(100, seed=1)
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    pool.to_csv(str(out))
    assert out.read_text(encoding="utf-8").startswith("id,")
    assert _leftovers(tmp_path) == []
    with pytest.raises(kh.IOError) as info:
        pool.to_csv(str(tmp_path / "missing" / "out.csv"))
    assert info.value.errno == errno.ENOENT
    with pytest.raises(kh.IOError):
        pool.to_csv(str(out / "x.csv"))  # a file is not a directory


def test_pool_to_csv_on_a_full_disk_keeps_the_previous_file(tmp_path):
    out = tmp_path / "pool.csv"
    out.write_text("previous\n")
    code = textwrap.dedent(
        f"""
        import errno, resource, khuyenhoc as kh
        pool = kh.generate_pool(20000, seed=1)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))  # a nearly full disk
        try:
            pool.to_csv({str(out)!r})
        except kh.IOError as e:
            print(e.errno == errno.EFBIG, "File too large" in str(e))
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True"]
    assert out.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@needs_cli
def test_cli_full_disk_keeps_the_previous_output(tmp_path):
    out = tmp_path / "pool.csv"
    out.write_text("previous\n")
    r = subprocess.run(
        [_cli(), "generate", "-n", "20000", "-o", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size(200_000),  # like a disk with 200 kB left
    )
    assert r.returncode == 4, r.stderr
    assert "File too large" in r.stderr and str(out) in r.stderr
    assert out.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


@needs_cli
def test_cli_unwritable_places(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = subprocess.run(
        [_cli(), "generate", "-n", "10", "-o", str(blocker / "pool.csv")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 4
    assert "Not a directory" in r.stderr
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        (ro / "pool.csv").write_text("previous\n")
        ro.chmod(0o500)
        try:
            r = subprocess.run(
                [_cli(), "generate", "-n", "10", "-o", str(ro / "pool.csv")],
                capture_output=True,
                text=True,
            )
        finally:
            ro.chmod(0o700)
        assert r.returncode == 4 and "Permission denied" in r.stderr
        assert (ro / "pool.csv").read_text() == "previous\n"


@needs_cli
def test_cli_output_equal_to_an_input_is_refused(tmp_path):
    plan = tmp_path / "plan.yaml"
    shutil.copy(PLANS / "thang_khuyen_hoc_2024.yaml", plan)
    before = plan.read_bytes()
    link = tmp_path / "link.yaml"
    os.link(plan, link)
    for target in (plan, link, tmp_path / "." / "plan.yaml"):
        r = subprocess.run(
            [_cli(), "plan", "check", str(plan), "--ics", str(target)],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 4, r.stderr
        assert "refusing to overwrite the input file" in r.stderr
    assert plan.read_bytes() == before


@needs_cli
def test_cli_bad_plan_leaves_the_previous_ics(tmp_path):
    ics = tmp_path / "plan.ics"
    ics.write_text("previous\n")
    bad = tmp_path / "bad.csv"
    bad.write_text('id,time\n1,"5/9\n', encoding="utf-8")
    r = subprocess.run(
        [_cli(), "plan", "check", str(bad), "--year", "2024", "--ics", str(ics)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert ics.read_text() == "previous\n"


@needs_cli
def test_cli_missing_input_exit_code(tmp_path):
    r = subprocess.run(
        [_cli(), "plan", "check", str(tmp_path / "none.yaml")], capture_output=True, text=True
    )
    assert r.returncode == 4
    assert "cannot read the file: No such file or directory" in r.stderr


@needs_cli
def test_cli_sigint_during_a_large_write_keeps_the_previous_output(tmp_path):
    out = tmp_path / "pool.csv"
    out.write_text("previous\n")
    proc = subprocess.Popen(
        [_cli(), "generate", "-n", "3000000", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # The temporary is made before the generation starts: wait for it, then interrupt.
    deadline = time.monotonic() + 120
    while not _leftovers(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _leftovers(tmp_path), "the temporary output never appeared"
    proc.send_signal(signal.SIGINT)
    proc.communicate()
    assert proc.returncode == -signal.SIGINT
    assert out.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


@needs_cli
@pytest.mark.parametrize("when", ["while reading and selecting", "while writing"])
def test_cli_sigint_during_a_1m_select_keeps_the_previous_outputs(tmp_path, when):
    pool = tmp_path / "pool.csv"
    r = subprocess.run([_cli(), "generate", "-n", "1000000", "-o", str(pool)], capture_output=True)
    assert r.returncode == 0, r.stderr
    out, report = tmp_path / "result.csv", tmp_path / "report.html"
    out.write_text("previous result\n")
    report.write_text("previous report\n")
    proc = subprocess.Popen(
        [_cli(), "select", "--pool", str(pool), "--criteria",
         str(ROOT / "examples/criteria/honour_pupils.yaml"), "--rules",
         str(ROOT / "examples/rules/honour_pupils.yaml"), "--seats", "300", "--per", "district",
         "--order", "name:full_name", "--out", str(out), "--report", str(report)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    if when == "while writing":
        # The pipeline renders both outputs, then opens their temporaries: wait for them.
        deadline = time.monotonic() + 120
        while not _leftovers(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        if proc.poll() is not None:
            pytest.skip("the select finished before it could be interrupted while writing")
    else:
        time.sleep(0.5)
        assert proc.poll() is None, "the select finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    proc.communicate()
    if proc.returncode == 0:  # the last rename happened before the signal: a whole new output
        assert out.read_text().startswith("id,")
        return
    assert proc.returncode == -signal.SIGINT
    assert out.read_text() == "previous result\n"
    assert report.read_text() == "previous report\n"
    assert _leftovers(tmp_path) == []


@needs_cli
def test_cli_unwritable_directory_even_for_root(tmp_path):
    # Root ignores permission bits; an immutable directory (chattr +i, ext4) refuses root too.
    if shutil.which("chattr") is None:
        pytest.skip("chattr (e2fsprogs) is not installed")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "result.csv").write_text("previous\n")
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not support the immutable attribute")
    try:
        r = subprocess.run(
            [_cli(), "select", "--pool", str(ROOT / "examples/pool.csv"), "--criteria",
             str(ROOT / "examples/criteria/honour_pupils.yaml"), "--seats", "5",
             "--out", str(locked / "result.csv")],
            capture_output=True, text=True,
        )
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert r.returncode == 4, r.stderr
    assert "result.csv" in r.stderr and "Operation not permitted" in r.stderr, r.stderr
    assert (locked / "result.csv").read_text() == "previous\n"
    assert _leftovers(locked) == []
