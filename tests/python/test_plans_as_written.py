"""Plans as departments write them (issue 15): assignee cells, kinds, holidays as decided, the
new time forms, error positions, the Gantt chart and the CLI's handling of encodings and years."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import khuyenhoc as kh

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "examples" / "plans"
WORD_TABLE = PLANS / "bieu_duong_hsg_quoc_gia_2025.txt"
WINDOW_2025 = (dt.date(2025, 1, 2), dt.date(2025, 3, 31))


def _has(findings, kind, tasks):
    return any(f.kind == kind and list(f.tasks) == tasks for f in findings)


def test_word_table_every_planted_conflict_found() -> None:
    plan = kh.Plan.from_table_file(WORD_TABLE, year=2025)
    assert len(plan) == 20
    fs = plan.check(window=WINDOW_2025)
    overloads = [f for f in fs if f.kind == "overload"]
    assert [(f.subject, list(f.tasks)) for f in overloads] == [("P. GDTrH", ["2", "3", "4", "5"])]
    for kind, tasks in [
        ("day_off", ["6"]),
        ("day_off", ["8"]),
        ("day_off", ["12"]),
        ("invalid_time", ["11"]),
        ("no_lead", ["12"]),
        ("open_ended", ["10"]),
        ("duplicate_task", ["1", "18"]),
        ("unclear_assignees", ["19"]),
        ("outside_window", ["19"]),
        ("outside_window", ["20"]),
        ("spans_holiday", ["7"]),
        ("non_working_day", ["9"]),
    ]:
        assert _has(fs, kind, tasks), (kind, tasks)
    # The kind guessed from a title word is said to be a guess.
    meeting = next(f for f in fs if f.kind == "day_off" and f.tasks == ["6"])
    assert 'from the word "Họp"' in meeting.message_en
    assert plan["6"].kind_hint == "Họp" and plan["7"].kind == "task"
    assert plan["4"].assigned_text == "P. GDTrH P. KT&KĐCLGD Văn phòng Sở"
    assert plan["19"].unclear_assignees


@pytest.mark.parametrize(
    ("cell", "leads", "supports"),
    [
        ("P. GDTX&ĐH P. KT&KĐCLGD P. GDTrH", ["P. GDTX&ĐH"], ["P. KT&KĐCLGD", "P. GDTrH"]),
        (" - Văn phòng Sở - các trường THPT", ["Văn phòng Sở"], ["các trường THPT"]),
        ("Chủ trì: P. GDTrH; Phối hợp: P. KHTC", ["P. GDTrH"], ["P. KHTC"]),
        ("P. KHTC (phối hợp) P. GDTrH (chủ trì)", ["P. GDTrH"], ["P. KHTC"]),
        ("P. GDTrH và Thanh tra Sở", ["P. GDTrH"], ["Thanh tra Sở"]),
    ],
)
def test_assignee_cells(cell: str, leads: list[str], supports: list[str]) -> None:
    text = f"1\t09/9 - 13/9\tKhảo sát\t{cell}\n"
    task = kh.Plan.from_table(text, 2024)["1"]
    assert task.leads == leads and task.supports == supports


def test_aliases_from_a_dict_and_a_yaml_file(tmp_path: Path) -> None:
    text = "1\t09/9 - 13/9\tA\tBan Tuyên giáo\n2\t10/9 - 12/9\tB\tBTG\n3\t11/9\tC\tban tuyên  giáo\n"
    plan = kh.Plan.from_table(text, 2024)
    assert plan.units == ["Ban Tuyên giáo", "BTG"]  # case and spacing never split a unit
    merged = plan.with_aliases({"Ban Tuyên giáo": ["BTG"]})
    assert merged.units == ["Ban Tuyên giáo"]
    assert [f.kind for f in merged.check(capacity=2)] == ["overload"]
    path = tmp_path / "don_vi.yaml"
    path.write_text("aliases:\n  Ban Tuyên giáo: BTG\n", encoding="utf-8")
    assert plan.with_aliases(path).units == ["Ban Tuyên giáo"]
    assert any("P. GDTrH" in g and "Phòng Giáo dục Trung học" in g for g in plan.aliases)


def test_parse_error_exposes_its_position() -> None:
    with pytest.raises(kh.ParseError) as info:
        kh.parse_time("05/11 - 31/9", 2024)
    assert info.value.line == 1 and info.value.column == 9
    assert info.value.file is None
    with pytest.raises(kh.ParseError) as info:
        kh.Plan.from_csv_text('id,time,title\n1,5/9,"A\n', year=2024, source="kh.csv")
    assert info.value.file == "kh.csv" and info.value.line == 2 and info.value.column == 7
    with pytest.raises(kh.Error) as other:
        kh.Plan.from_yaml_text("tasks:\n  - {id: 1, title: A, kind: meeting}\n", year=2024)
    assert other.value.line == 2 and other.value.field == "kind"


def test_calendar_membership_types_and_yaml_additions() -> None:
    cal = kh.Calendar()
    assert dt.date(2025, 1, 27) in cal  # announced Tết break 2025
    assert dt.date(2025, 2, 3) not in cal  # a working day, by the announcement
    assert dt.date(2025, 2, 1) in cal and cal.classify(dt.date(2025, 2, 1)) == "announced_break"
    assert dt.date(2024, 4, 27) not in cal  # a Saturday is not a holiday
    assert cal.classify(dt.date(2024, 4, 29)) == "swapped_day_off"
    assert cal.classify(dt.date(2024, 5, 4)) == "swapped_working_day"
    assert dt.date(2026, 11, 24) in cal and dt.date(2025, 11, 24) not in cal
    assert [h.type for h in kh.holidays(2025, detailed=True) if h.date.month == 5] == [
        "public_holiday",
        "swapped_day_off",
    ]
    assert kh.holidays(2025)[0] == (dt.date(2025, 1, 1), "Tết Dương lịch")
    types = {h.type for h in cal.holiday_list(2024)}
    assert types == {"public_holiday", "announced_break", "swapped_day_off"}
    tet = [h for h in cal.holiday_list(2025) if h.rule_id == "tet"]
    assert len(tet) == 9 and all(h.source for h in tet)
    assert [h.date for h in cal.swapped_working_days(2025)] == [dt.date(2025, 4, 26)]
    with pytest.raises(TypeError):
        "2025-01-27" in cal  # noqa: B015
    # A department's own days from YAML, on top of Vietnam's.
    mine = kh.Calendar.from_yaml_text(
        "base: vietnam\n"
        "extra_holidays:\n  - {date: 2024-11-20, name_vi: Ngày Nhà giáo (nghỉ của trường)}\n"
        "swaps:\n  - {off: 2024-12-30, work: 2024-12-28}\n"
    )
    assert dt.date(2024, 11, 20) in mine and mine.classify(dt.date(2024, 11, 20)) == "extra_holiday"
    assert mine.is_working_day(dt.date(2024, 12, 28))
    assert dt.date(2024, 4, 29) in mine
    mine.add_swap(dt.date(2024, 12, 31), dt.date(2025, 1, 4), source="QĐ của Sở")
    assert mine.classify(dt.date(2025, 1, 4)) == "swapped_working_day"


@pytest.mark.parametrize(
    ("text", "start", "end", "granularity", "flags"),
    [
        ("Tuần 2 tháng 10", dt.date(2024, 10, 8), dt.date(2024, 10, 14), "week", {"approximate"}),
        ("tuần cuối tháng 10", dt.date(2024, 10, 25), dt.date(2024, 10, 31), "week", {"approximate"}),
        ("cuối năm", dt.date(2024, 11, 1), dt.date(2024, 12, 31), "month", {"approximate"}),
        ("đầu năm 2025", dt.date(2025, 1, 1), dt.date(2025, 2, 28), "month", {"approximate"}),
        ("cuối quý 3", dt.date(2024, 9, 1), dt.date(2024, 9, 30), "month", {"approximate"}),
        ("Học kỳ I", dt.date(2024, 9, 1), dt.date(2025, 1, 15), "month", {"approximate"}),
        (
            "học kỳ 2 năm học 2024-2025",
            dt.date(2025, 1, 16),
            dt.date(2025, 5, 31),
            "month",
            {"approximate"},
        ),
        ("6 tháng đầu năm", dt.date(2024, 1, 1), dt.date(2024, 6, 30), "month", set()),
        ("Cả năm", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "year", set()),
        ("Thường xuyên", None, None, "year", {"ongoing"}),
        ("hàng năm", None, None, "year", {"recurring"}),
        ("hằng tháng", None, None, "month", {"recurring"}),
        ("Từ 15/10", dt.date(2024, 10, 15), None, "day", {"open_ended"}),
    ],
)
def test_time_forms(text, start, end, granularity, flags) -> None:
    t = kh.parse_time(text, 2024)
    assert (t.start, t.end, t.granularity) == (start, end, granularity)
    for flag in ("approximate", "recurring", "open_ended", "ongoing", "tentative", "deadline"):
        assert getattr(t, flag) == (flag in flags), flag
    if "recurring" in flags:
        assert t.repeat == ("month" if "tháng" in text else "year")


def test_gantt_has_a_legend_shading_open_bars_and_marks(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from khuyenhoc.plot import gantt

    plan = kh.Plan.from_table_file(WORD_TABLE, year=2025)
    fs = plan.check(window=WINDOW_2025)
    ax = gantt(plan, fs, window=WINDOW_2025)
    out = tmp_path / "gantt.png"
    ax.figure.savefig(out, dpi=50, bbox_inches="tight")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    legend = ax.get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    for label in ("sự kiện / event", "cuối tuần / weekend", "ngày nghỉ lễ / holiday", "error"):
        assert label in texts
    assert "chưa có ngày kết thúc / open-ended" in texts
    # Every finding kind present is in the legend, with its marker.
    assert {f.kind for f in fs} <= set(texts)
    # Shading: the Tết break of 2025 (9 days) and the weekends, as spans behind the bars.
    spans = [p for p in ax.patches if p.get_zorder() == -2]
    assert len(spans) >= 9 + 2 * 10
    # The open-ended task is drawn with dashed edges.
    assert any(line.get_linestyle() == "--" for line in ax.get_lines())
    # One mark per (finding, task).
    marks = [line for line in ax.get_lines() if line.get_zorder() == 5]
    assert len(marks) == sum(len(f.tasks) for f in fs)
    plt.close(ax.figure)


def _cli() -> str | None:
    exe = Path(sys.executable).parent / "khuyenhoc"
    return str(exe) if exe.exists() else shutil.which("khuyenhoc")


@pytest.mark.skipif(_cli() is None, reason="the khuyenhoc CLI is not installed")
def test_cli_encodings_years_and_windows(tmp_path: Path) -> None:
    cli = _cli()
    assert cli is not None
    text = WORD_TABLE.read_text(encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cli, "plan", "check", *args], capture_output=True, text=True)

    # UTF-16 with a BOM (Excel's "Unicode Text") is decoded: the same findings as UTF-8.
    utf16 = tmp_path / "k16.txt"
    utf16.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    a = run(str(WORD_TABLE), "--year", "2025", "--format", "csv")
    b = run(str(utf16), "--year", "2025", "--format", "csv")
    assert a.returncode == b.returncode == 1
    assert a.stdout.replace(str(WORD_TABLE), "F") == b.stdout.replace(str(utf16), "F")
    # Windows-1258 (or any non-UTF-8): exit 2 with the file and line named.
    legacy = tmp_path / "k1258.txt"
    legacy.write_bytes("1\t09/9 - 13/9\tKhảo sát\tP. GDTrH\n".encode("utf-8").replace(b"\xe1\xba\xa3", b"\xd2"))
    r = run(str(legacy), "--year", "2024")
    assert r.returncode == 2 and "not UTF-8" in r.stderr and "k1258.txt:1" in r.stderr
    # UTF-16 without a BOM is named as such.
    nobom = tmp_path / "k16nobom.txt"
    nobom.write_bytes(text.encode("utf-16-le"))
    r = run(str(nobom), "--year", "2025")
    assert r.returncode == 2 and "UTF-16" in r.stderr
    # Impossible years are bad input.
    for year in ("0", "99999", "-5", "abc"):
        assert run(str(WORD_TABLE), "--year", year).returncode == 2, year
    # Dates that carry their years need no --year, and the window takes theirs.
    dated = tmp_path / "dated.csv"
    dated.write_text(
        "id,time,title,lead\n1,10/9/2024 - 12/9/2024,Khảo sát,A\n2,20/10/2024,Tổng kết,B\n",
        encoding="utf-8",
    )
    r = run(str(dated), "--window", "5/9-5/10", "--format", "csv")
    assert r.returncode == 1, r.stderr
    assert "outside_window" in r.stdout and ",2," not in r.stdout.split("outside_window")[0]
    # Without years anywhere, --year is asked for once.
    r = run(str(WORD_TABLE))
    assert r.returncode == 2 and "--year is required" in r.stderr
