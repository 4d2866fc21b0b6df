"""The C ABI (include/khuyenhoc/khuyenhoc.h, libkhuyenhoc_c) from outside C++.

- Python ``ctypes``: a real selection read back row by row, its CSV and JSON summary byte for
  byte the CLI's, errors with their locations, per-thread last errors, buffers too small.
- The library exports the header's functions and nothing else.
- docs/c_api.md's C example compiled as C99 with -Werror and run.
- PHP through its FFI extension (tests/c/c_api_test.php), the same selection, the same bytes.

The library is looked for in the CMake build (``KHUYENHOC_BUILD_DIR``, default ``build/dev``);
without it the tests are skipped, except under CI=true where they fail.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "khuyenhoc" / "khuyenhoc.h"
EXAMPLES = ROOT / "examples"
POOL = EXAMPLES / "pool.csv"
CRITERIA = EXAMPLES / "criteria" / "honour_pupils.yaml"
RULES = EXAMPLES / "rules" / "honour_pupils.yaml"
OPTIONS = {"seats": "30", "per": "district", "order": "gpa desc"}


def build_dir() -> Path:
    return ROOT / os.environ.get("KHUYENHOC_BUILD_DIR", "build/dev")


def missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI=true: the build must have made it)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def library_path() -> Path:
    path = build_dir() / "src" / "libkhuyenhoc_c.so.1"
    if not path.is_file():
        missing(f"{path} not built (cmake --build --preset dev --target khuyenhoc_c)")
    return path


@pytest.fixture(scope="module")
def cli() -> Path:
    path = build_dir() / "src" / "khuyenhoc"
    if not path.is_file():
        missing(f"{path} not built")
    return path


# --- ctypes declarations ------------------------------------------------------------------------

P = ctypes.c_void_p
PP = ctypes.POINTER(ctypes.c_void_p)
SZ = ctypes.c_size_t
STR = ctypes.c_char_p


class KhDate(ctypes.Structure):
    _fields_ = [("year", ctypes.c_int), ("month", ctypes.c_int), ("day", ctypes.c_int)]


class KhLunarDate(ctypes.Structure):
    _fields_ = [
        ("year", ctypes.c_int),
        ("month", ctypes.c_int),
        ("day", ctypes.c_int),
        ("leap", ctypes.c_int),
    ]


class KhTimeExpr(ctypes.Structure):
    _fields_ = [
        ("has_start", ctypes.c_int),
        ("start", KhDate),
        ("has_end", ctypes.c_int),
        ("end", KhDate),
        ("granularity", ctypes.c_int),
        ("tentative", ctypes.c_int),
        ("open_ended", ctypes.c_int),
        ("recurring", ctypes.c_int),
        ("approximate", ctypes.c_int),
        ("deadline", ctypes.c_int),
    ]


SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "kh_version": (STR, []),
    "kh_abi_version": (ctypes.c_int, []),
    "kh_status_name": (STR, [ctypes.c_int]),
    "kh_last_error": (STR, []),
    "kh_last_error_file": (STR, []),
    "kh_last_error_line": (SZ, []),
    "kh_last_error_column": (SZ, []),
    "kh_pool_read_csv": (ctypes.c_int, [STR, STR, PP]),
    "kh_pool_read_csv_text": (ctypes.c_int, [STR, SZ, STR, STR, PP]),
    "kh_pool_size": (ctypes.c_int, [P, ctypes.POINTER(SZ), ctypes.POINTER(SZ)]),
    "kh_pool_free": (None, [P]),
    "kh_criteria_load": (ctypes.c_int, [STR, PP]),
    "kh_criteria_parse": (ctypes.c_int, [STR, SZ, STR, PP]),
    "kh_criteria_free": (None, [P]),
    "kh_rules_load": (ctypes.c_int, [STR, PP]),
    "kh_rules_parse": (ctypes.c_int, [STR, SZ, STR, PP]),
    "kh_rules_free": (None, [P]),
    "kh_spec_new": (ctypes.c_int, [PP]),
    "kh_spec_set_criteria": (ctypes.c_int, [P, P]),
    "kh_spec_set_rules": (ctypes.c_int, [P, P]),
    "kh_spec_set": (ctypes.c_int, [P, STR, STR]),
    "kh_spec_add_input": (ctypes.c_int, [P, STR, STR]),
    "kh_spec_free": (None, [P]),
    "kh_prepare": (ctypes.c_int, [P, P, PP]),
    "kh_prepared_warning_count": (ctypes.c_int, [P, ctypes.POINTER(SZ)]),
    "kh_execute": (ctypes.c_int, [P, P, PP]),
    "kh_prepared_free": (None, [P]),
    "kh_result_size": (ctypes.c_int, [P, ctypes.POINTER(SZ), ctypes.POINTER(SZ)]),
    "kh_result_id": (ctypes.c_int, [P, SZ, ctypes.POINTER(STR)]),
    "kh_result_group": (ctypes.c_int, [P, SZ, ctypes.POINTER(STR)]),
    "kh_result_status": (ctypes.c_int, [P, SZ, ctypes.POINTER(STR)]),
    "kh_result_level": (ctypes.c_int, [P, SZ, ctypes.POINTER(STR)]),
    "kh_result_reason": (ctypes.c_int, [P, SZ, ctypes.POINTER(STR)]),
    "kh_result_selected": (ctypes.c_int, [P, SZ, ctypes.POINTER(ctypes.c_int)]),
    "kh_result_rank": (
        ctypes.c_int,
        [P, SZ, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint32)],
    ),
    "kh_result_score": (
        ctypes.c_int,
        [P, SZ, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)],
    ),
    "kh_result_write": (ctypes.c_int, [P, STR, STR]),
    "kh_result_csv": (ctypes.c_int, [P, ctypes.c_char_p, SZ, ctypes.POINTER(SZ)]),
    "kh_result_summary_json": (ctypes.c_int, [P, ctypes.c_char_p, SZ, ctypes.POINTER(SZ)]),
    "kh_result_free": (None, [P]),
    "kh_pool_from_arrow_stream": (ctypes.c_int, [P, STR, ctypes.c_int, PP]),
    "kh_pool_to_arrow_stream": (ctypes.c_int, [P, P]),
    "kh_result_to_arrow_stream": (ctypes.c_int, [P, P]),
    "kh_result_scores_to_arrow_stream": (ctypes.c_int, [P, P]),
    "kh_result_verdicts_to_arrow_stream": (ctypes.c_int, [P, P]),
    "kh_parse_time": (ctypes.c_int, [STR, ctypes.c_int, ctypes.POINTER(KhTimeExpr)]),
    "kh_solar_to_lunar": (ctypes.c_int, [KhDate, ctypes.POINTER(KhLunarDate)]),
    "kh_lunar_to_solar": (ctypes.c_int, [KhLunarDate, ctypes.POINTER(KhDate)]),
}

KH_OK, KH_ERR_PARSE, KH_ERR_SCHEMA, KH_ERR_SPEC, KH_ERR_DATA = 0, 1, 2, 3, 4
KH_ERR_ARGUMENT, KH_ERR_BUFFER_TOO_SMALL = 8, 10


class KhError(Exception):
    pass


class Lib:
    """The C ABI through ctypes, with a call() that raises on a failed status."""

    def __init__(self, path: Path) -> None:
        self.dll = ctypes.CDLL(str(path))
        for name, (restype, argtypes) in SIGNATURES.items():
            fn = getattr(self.dll, name)
            fn.restype = restype
            fn.argtypes = argtypes

    def __getattr__(self, name: str):  # noqa: ANN204 - the raw functions
        return getattr(self.dll, name)

    def error(self) -> str:
        return self.dll.kh_last_error().decode()

    def call(self, name: str, *args: object) -> None:
        status = getattr(self.dll, name)(*args)
        if status != KH_OK:
            raise KhError(f"{name}: {self.dll.kh_status_name(status).decode()}: {self.error()}")

    def text(self, name: str, handle: ctypes.c_void_p) -> bytes:
        size = SZ()
        self.call(name, handle, None, 0, ctypes.byref(size))
        buf = ctypes.create_string_buffer(size.value + 1)
        self.call(name, handle, buf, size.value + 1, ctypes.byref(size))
        return buf.raw[: size.value]


@pytest.fixture(scope="module")
def lib(library_path: Path) -> Lib:
    return Lib(library_path)


def run_selection(lib: Lib, options: dict[str, str] = OPTIONS,
                  pool_path: Path = POOL) -> ctypes.c_void_p:
    pool, criteria, rules, spec, prepared, result = (ctypes.c_void_p() for _ in range(6))
    lib.call("kh_pool_read_csv", str(pool_path).encode(), b"id", ctypes.byref(pool))
    lib.call("kh_criteria_load", str(CRITERIA).encode(), ctypes.byref(criteria))
    lib.call("kh_rules_load", str(RULES).encode(), ctypes.byref(rules))
    lib.call("kh_spec_new", ctypes.byref(spec))
    lib.call("kh_spec_set_criteria", spec, criteria)
    lib.call("kh_spec_set_rules", spec, rules)
    lib.kh_criteria_free(criteria)
    lib.kh_rules_free(rules)
    for key, value in options.items():
        lib.call("kh_spec_set", spec, key.encode(), value.encode())
    try:
        lib.call("kh_prepare", spec, pool, ctypes.byref(prepared))
        lib.call("kh_execute", prepared, pool, ctypes.byref(result))
    finally:
        lib.kh_prepared_free(prepared)
        lib.kh_spec_free(spec)
        lib.kh_pool_free(pool)
    return result


def cli_select(cli: Path, tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "cli.csv"
    subprocess.run(
        [
            str(cli), "select", "-p", str(POOL), "-c", str(CRITERIA), "-r", str(RULES),
            "--seats", "30", "--per", "district", "--order", "gpa desc", "-o", str(out),
            "--no-progress", *extra,
        ],
        check=True,
        capture_output=True,
    )
    return out


# --- tests ------------------------------------------------------------------------------------


def test_exports_only_the_c_abi(library_path: Path) -> None:
    nm = shutil.which("nm")
    if nm is None:
        missing("nm (binutils) not installed")
    out = subprocess.run(
        [nm, "-D", "--defined-only", str(library_path)], check=True, capture_output=True, text=True
    ).stdout
    exported = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}
    exported -= {n for n in exported if n.startswith("KHUYENHOC_C_")}  # version nodes
    declared = set(re.findall(r"^KH_API [^;]*?\b(kh_\w+)\(", HEADER.read_text(), re.MULTILINE))
    assert len(declared) > 50
    assert exported == declared, (exported - declared, declared - exported)
    soname = subprocess.run(
        ["readelf", "-d", str(library_path)], check=True, capture_output=True, text=True
    ).stdout
    abi = re.search(r"^#define KH_ABI_VERSION (\d+)$", HEADER.read_text(), re.MULTILINE)
    assert abi is not None
    assert f"[libkhuyenhoc_c.so.{abi.group(1)}]" in soname
    # Functions added after the first release carry the version node of their release.
    versions = {line.split()[-1].split("@")[0]: line.split()[-1].split("@")[-1]
                for line in out.splitlines() if "@" in line}
    assert versions["kh_pool_read_csv"] == "KHUYENHOC_C_1"
    assert versions["kh_pool_from_arrow_stream"] == "KHUYENHOC_C_1.1"
    assert versions["kh_result_to_arrow_stream"] == "KHUYENHOC_C_1.1"


def test_version(lib: Lib) -> None:
    header = HEADER.read_text()
    version = re.search(r'#define KH_VERSION_STRING "([^"]+)"', header)
    assert version is not None
    assert lib.kh_version().decode() == version.group(1)
    import khuyenhoc

    assert lib.kh_version().decode() == khuyenhoc.__version__


def test_selection_through_ctypes(lib: Lib, cli: Path, tmp_path: Path) -> None:
    pool_copy = tmp_path / "pool.csv"  # the file the result must not be written over
    shutil.copyfile(POOL, pool_copy)
    result = run_selection(lib, pool_path=pool_copy)
    try:
        rows, selected = SZ(), SZ()
        lib.call("kh_result_size", result, ctypes.byref(rows), ctypes.byref(selected))
        assert rows.value == 1000
        assert selected.value == 30
        s, rank, group_rank = STR(), ctypes.c_uint32(), ctypes.c_uint32()
        score, gap, flag = ctypes.c_double(), ctypes.c_double(), ctypes.c_int()
        statuses: dict[str, int] = {}
        ids = []
        for i in range(rows.value):
            lib.call("kh_result_id", result, i, ctypes.byref(s))
            ids.append(s.value.decode())
            lib.call("kh_result_status", result, i, ctypes.byref(s))
            status = s.value.decode()
            statuses[status] = statuses.get(status, 0) + 1
            lib.call("kh_result_selected", result, i, ctypes.byref(flag))
            lib.call("kh_result_rank", result, i, ctypes.byref(rank), ctypes.byref(group_rank))
            lib.call("kh_result_score", result, i, ctypes.byref(score), ctypes.byref(gap))
            lib.call("kh_result_reason", result, i, ctypes.byref(s))
            reason = s.value.decode()
            assert (flag.value == 1) == (status == "selected")
            if flag.value:
                assert rank.value >= 1 and group_rank.value >= 1
                assert not math.isnan(score.value)
            else:
                assert reason, f"row {i} not selected without a reason"
            if status == "ineligible":
                assert rank.value == 0 and reason.startswith("Không đủ điều kiện")
        assert statuses["selected"] == 30
        assert statuses["ineligible"] > 0
        assert ids == [line.split(",")[0] for line in POOL.read_text().splitlines()[1:]]

        # The same bytes as the CLI: CSV and JSON summary.
        out = cli_select(cli, tmp_path, "--summary-json", str(tmp_path / "cli.json"))
        assert lib.text("kh_result_csv", result) == out.read_bytes()
        summary = lib.text("kh_result_summary_json", result)
        assert summary == (tmp_path / "cli.json").read_bytes()
        data = json.loads(summary)
        assert data["nominees"] == 1000 and data["selected"] == 30 and data["seats"] == 30
        assert sum(g["selected"] for g in data["groups"]) == 30
        assert [step["rule"] for step in data["funnel"]][:2] == ["hanh_kiem", "diem_tb"]

        # A buffer too small: the status, the size, and nothing half written.
        size = SZ()
        small = ctypes.create_string_buffer(b"untouched", 16)
        assert lib.kh_result_csv(result, small, 16, ctypes.byref(size)) == KH_ERR_BUFFER_TOO_SMALL
        assert size.value == out.stat().st_size
        assert small.value == b"untouched"

        # Written to files, together, atomically; an input is never overwritten.
        lib.call("kh_result_write", result, str(tmp_path / "c.csv").encode(),
                 str(tmp_path / "c.html").encode())
        assert (tmp_path / "c.csv").read_bytes() == out.read_bytes()
        assert (tmp_path / "c.html").read_text().startswith("<!DOCTYPE html>")
        assert lib.kh_result_write(result, str(pool_copy).encode(), None) == 5  # KH_ERR_IO
        assert str(pool_copy) in lib.error()
        assert pool_copy.read_bytes() == POOL.read_bytes()
        # Out of range: an argument error naming the index.
        assert lib.kh_result_id(result, rows.value, ctypes.byref(s)) == KH_ERR_ARGUMENT
        assert "out of range" in lib.error()
    finally:
        lib.kh_result_free(result)


class ArrowArrayStream(ctypes.Structure):
    """The Arrow C Stream Interface's struct (five pointers), for pyarrow's _export_to_c and
    _import_from_c."""

    _fields_ = [("get_schema", P), ("get_next", P), ("get_last_error", P), ("release", P),
                ("private_data", P)]


def test_arrow_streams_through_ctypes(lib: Lib, tmp_path: Path) -> None:
    """pyarrow hands a pool to the C ABI through its C stream export; the selection's result,
    scores and verdicts come back as Arrow streams that pyarrow imports, values checked against
    the result CSV."""
    pa = pytest.importorskip("pyarrow")
    pacsv = pytest.importorskip("pyarrow.csv")
    import khuyenhoc as kh

    # The example pool as pyarrow reads it, streamed in two batches.
    table = pa.table(kh.read_csv(str(POOL)))
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=600))
    stream = ArrowArrayStream()
    reader._export_to_c(ctypes.addressof(stream))
    pool = ctypes.c_void_p()
    lib.call("kh_pool_from_arrow_stream", ctypes.addressof(stream), b"id", 1, ctypes.byref(pool))
    assert not stream.release  # consumed
    rows, cols = SZ(), SZ()
    lib.call("kh_pool_size", pool, ctypes.byref(rows), ctypes.byref(cols))
    assert (rows.value, cols.value) == (table.num_rows, table.num_columns)
    # ... and back out of the C ABI into pyarrow: the same table.
    out = ArrowArrayStream()
    lib.call("kh_pool_to_arrow_stream", pool, ctypes.addressof(out))
    back = pa.RecordBatchReader._import_from_c(ctypes.addressof(out)).read_all()
    assert back.equals(table)

    spec, prepared, result = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    criteria, rules = ctypes.c_void_p(), ctypes.c_void_p()
    lib.call("kh_criteria_load", str(CRITERIA).encode(), ctypes.byref(criteria))
    lib.call("kh_rules_load", str(RULES).encode(), ctypes.byref(rules))
    lib.call("kh_spec_new", ctypes.byref(spec))
    lib.call("kh_spec_set_criteria", spec, criteria)
    lib.call("kh_spec_set_rules", spec, rules)
    for key, value in OPTIONS.items():
        lib.call("kh_spec_set", spec, key.encode(), value.encode())
    try:
        lib.call("kh_prepare", spec, pool, ctypes.byref(prepared))
        lib.call("kh_execute", prepared, pool, ctypes.byref(result))
        out = ArrowArrayStream()
        lib.call("kh_result_to_arrow_stream", result, ctypes.addressof(out))
        got = pa.RecordBatchReader._import_from_c(ctypes.addressof(out)).read_all()
        (tmp_path / "r.csv").write_bytes(lib.text("kh_result_csv", result))
        csv = pacsv.read_csv(tmp_path / "r.csv",
                             convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
        assert got.num_rows == 1000
        assert got["id"].to_pylist() == [str(v) for v in csv["id"].to_pylist()]
        assert got["selected"].to_pylist() == csv["selected"].to_pylist()
        assert sum(got["selected"].to_pylist()) == 30
        assert [str(v) for v in got["status"].to_pylist()] == csv["status"].to_pylist()

        out = ArrowArrayStream()
        lib.call("kh_result_scores_to_arrow_stream", result, ctypes.addressof(out))
        scores = pa.RecordBatchReader._import_from_c(ctypes.addressof(out)).read_all()
        assert scores["id"].to_pylist() == got["id"].to_pylist()
        # The result shows the scores of ranked nominees (none for the ineligible).
        pairs = list(zip(scores["total"].to_pylist(), got["score"].to_pylist()))
        assert all(score is None or score == total for total, score in pairs)
        assert sum(score is not None for _, score in pairs) > 100
        out = ArrowArrayStream()
        lib.call("kh_result_verdicts_to_arrow_stream", result, ctypes.addressof(out))
        verdicts = pa.RecordBatchReader._import_from_c(ctypes.addressof(out)).read_all()
        eligible = verdicts["eligible"].to_pylist()
        status = got["status"].to_pylist()
        assert all(e == (s != "ineligible") for e, s in zip(eligible, status))
        assert set(verdicts["hanh_kiem"].to_pylist()) <= {"pass", "fail", "unknown",
                                                          "not_applicable"}
    finally:
        lib.kh_result_free(result)
        lib.kh_prepared_free(prepared)
        lib.kh_spec_free(spec)
        lib.kh_criteria_free(criteria)
        lib.kh_rules_free(rules)
        lib.kh_pool_free(pool)

    # A stream whose column has no pool type: a schema error naming it; the stream released.
    bad = pa.table({"id": ["A", "B"], "wait": pa.array([1, 2], pa.duration("s"))})
    stream = ArrowArrayStream()
    bad.to_reader()._export_to_c(ctypes.addressof(stream))
    pool = ctypes.c_void_p()
    assert lib.kh_pool_from_arrow_stream(ctypes.addressof(stream), b"id", 1,
                                         ctypes.byref(pool)) == KH_ERR_SCHEMA
    assert not stream.release and not pool.value
    assert '"wait"' in lib.error() and "duration" in lib.error()


def test_every_problem_of_a_spec_at_once(lib: Lib) -> None:
    with pytest.raises(KhError) as e:
        run_selection(lib, {**OPTIONS, "per": "distric", "order": "gpaa desc"})
    text = str(e.value)
    assert "KH_ERR_SPEC" in text and "2 problems" in text
    assert 'did you mean "district"' in text and 'did you mean "gpa"' in text
    spec = ctypes.c_void_p()
    lib.call("kh_spec_new", ctypes.byref(spec))
    try:
        assert lib.kh_spec_set(spec, b"seats", b"30 seats") == KH_ERR_SPEC
        assert "30 seats" in lib.error()
        assert lib.kh_spec_set(spec, b"seat", b"30") == KH_ERR_ARGUMENT
        assert "unknown option" in lib.error() and "seats" in lib.error()
        assert lib.kh_spec_set(spec, b"cap_share", b"0.15") == KH_OK  # '_' for '-'
    finally:
        lib.kh_spec_free(spec)


def test_errors_are_located_and_per_thread(lib: Lib) -> None:
    bad = b"id: x\nindicators: [\n"
    handle = ctypes.c_void_p()
    assert lib.kh_criteria_parse(bad, len(bad), b"bad.yaml", ctypes.byref(handle)) == KH_ERR_PARSE
    assert not handle.value
    assert lib.kh_last_error_file() == b"bad.yaml"
    assert lib.kh_last_error_line() >= 2
    assert lib.error().startswith("bad.yaml:")
    text = b"id,gpa\nA,9\nA,8\n"
    assert lib.kh_pool_read_csv_text(text, len(text), None, b"dup.csv",
                                     ctypes.byref(handle)) == KH_ERR_DATA
    message = lib.error()
    assert '"A"' in message

    # Another thread's failure does not touch this thread's last error.
    seen = []

    def other() -> None:
        t = KhTimeExpr()
        seen.append(lib.kh_parse_time("31/9".encode(), 2024, ctypes.byref(t)))
        seen.append(lib.error())

    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    assert seen[0] == KH_ERR_PARSE and "31/9" in seen[1]
    assert lib.error() == message


def test_dates(lib: Lib) -> None:
    t = KhTimeExpr()
    lib.call("kh_parse_time", "27/8 - 10/9 (Dự kiến)".encode(), 2024, ctypes.byref(t))
    assert (t.start.year, t.start.month, t.start.day) == (2024, 8, 27)
    assert (t.end.month, t.end.day) == (9, 10)
    assert t.tentative == 1 and t.granularity == 0
    lunar = KhLunarDate()
    lib.call("kh_solar_to_lunar", KhDate(2025, 1, 29), ctypes.byref(lunar))  # Tết Ất Tỵ
    assert (lunar.year, lunar.month, lunar.day, lunar.leap) == (2025, 1, 1, 0)
    solar = KhDate()
    lib.call("kh_lunar_to_solar", KhLunarDate(2025, 6, 1, 1), ctypes.byref(solar))  # leap 6
    import khuyenhoc

    assert (solar.year, solar.month, solar.day) == (2025, 7, 25)
    assert khuyenhoc.lunar_to_solar(1, 6, 2025, leap=True).isoformat() == "2025-07-25"


def test_docs_example_compiles_as_c99_and_runs(library_path: Path, cli: Path,
                                               tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        missing("no C compiler")
    page = (ROOT / "docs" / "c_api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```c\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1
    (tmp_path / "example.c").write_text(blocks[0], encoding="utf-8")
    exe = tmp_path / "example"
    subprocess.run(
        [cc, "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", f"-I{ROOT / 'include'}",
         str(tmp_path / "example.c"), f"-L{library_path.parent}", "-lkhuyenhoc_c",
         f"-Wl,-rpath,{library_path.parent}", "-o", str(exe)],
        check=True,
    )
    run = tmp_path / "run"
    shutil.copytree(EXAMPLES, run / "examples")
    out = subprocess.run([str(exe)], cwd=run, check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    assert lines[1] == "1000 nominees, 30 selected"
    assert sum("in the district" in line for line in lines) == 30
    # The result table's columns (the group column is named by --per).
    assert "columns: id district score rank group_rank selected level status gap reason" in out
    assert "1000 rows through Arrow" in lines
    assert lines[-1].startswith('{"nominees": 1000, "selected": 30')
    assert (run / "honour_result.csv").read_bytes() == cli_select(cli, tmp_path).read_bytes()
    assert (run / "honour_report.html").stat().st_size > 1000


def test_php_ffi(library_path: Path, cli: Path, tmp_path: Path) -> None:
    php = shutil.which("php")
    if php is None:
        missing("php not installed (apt-get install php8.2-cli)")
    out_csv = tmp_path / "php.csv"
    run = subprocess.run(
        [php, "-d", "ffi.enable=1", str(ROOT / "tests" / "c" / "c_api_test.php"),
         str(library_path), str(ROOT), str(out_csv)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "selected 30 of 1000"
    assert len(lines) == 32 and lines[-1] == "ok"
    assert out_csv.read_bytes() == cli_select(cli, tmp_path).read_bytes()


def test_installed_pkg_config(library_path: Path, tmp_path: Path) -> None:
    """`cmake --install` puts the library, the header and khuyenhoc.pc together, and a C
    program builds with nothing but `pkg-config --cflags --libs khuyenhoc`."""
    cmake, pkg_config = shutil.which("cmake"), shutil.which("pkg-config")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cmake is None or pkg_config is None or cc is None:
        missing("cmake, pkg-config or a C compiler not installed")
    prefix = tmp_path / "prefix"
    subprocess.run([cmake, "--install", str(build_dir()), "--prefix", str(prefix)], check=True,
                   capture_output=True)
    pcs = list(prefix.glob("lib*/**/pkgconfig/khuyenhoc.pc"))
    assert len(pcs) == 1
    assert (pcs[0].parent.parent / "cmake" / "khuyenhoc").is_dir()  # next to the CMake package
    env = {**os.environ, "PKG_CONFIG_PATH": str(pcs[0].parent)}
    flags = subprocess.run([pkg_config, "--cflags", "--libs", "khuyenhoc"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    source = tmp_path / "v.c"
    source.write_text(
        "#include <khuyenhoc/khuyenhoc.h>\n#include <stdio.h>\n#include <string.h>\n"
        "int main(void) {\n"
        "  kh_time_expr t;\n"
        "  if (kh_parse_time(\"Quý 1/2024\", 0, &t) != KH_OK) return 1;\n"
        "  printf(\"%s %d-%02d-%02d\\n\", kh_version(), t.end.year, t.end.month, t.end.day);\n"
        "  return strcmp(kh_version(), KH_VERSION_STRING) != 0;\n"
        "}\n",
        encoding="utf-8",
    )
    exe = tmp_path / "v"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", str(source),
                    *flags, "-o", str(exe)], check=True)
    libdir = next(f[2:] for f in flags if f.startswith("-L"))
    out = subprocess.run([str(exe)], env={**os.environ, "LD_LIBRARY_PATH": libdir}, check=True,
                         capture_output=True, text=True).stdout
    assert out.endswith(" 2024-03-31\n")
