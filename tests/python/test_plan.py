"""Plans: readers, the schedule checker (against a brute-force reference), iCalendar, Gantt, CLI."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import khuyenhoc as kh

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "examples" / "plans"
WINDOW = (dt.date(2024, 9, 5), dt.date(2024, 10, 5))


def _has(findings, kind, tasks):
    return any(f.kind == kind and list(f.tasks) == tasks for f in findings)


def test_example_csv_every_planted_conflict_found():
    plan = kh.Plan.from_csv(str(PLANS / "thang_khuyen_hoc_2024.csv"), year=2024)
    assert len(plan) == 17
    fs = plan.check(window=WINDOW, capacity=2)
    assert _has(fs, "dependency_order", ["8", "9"])  # council before the review ends
    assert any(f.kind == "overload" and f.subject == "Phòng GDĐT" for f in fs)
    assert _has(fs, "day_off", ["2"]) and _has(fs, "day_off", ["3"])
    assert _has(fs, "outside_window", ["13"])
    assert _has(fs, "open_ended", ["7"])
    assert _has(fs, "tentative_dependency", ["9", "10"])
    assert _has(fs, "resource_conflict", ["10", "11"])
    assert _has(fs, "invalid_time", ["14"])
    assert _has(fs, "duplicate_task", ["5", "15"])
    assert any(f.kind == "coarse_overlap" for f in fs)
    df = fs.to_pandas()
    assert list(df.columns[:3]) == ["severity", "kind", "first"]
    assert len(df) == len(fs)
    assert "<table>" in fs._repr_html_()
    # The same with the window as text.
    assert len(plan.check(window="5/9-5/10", year=2024, capacity=2)) == len(fs)


def test_yaml_table_and_dataframe_readers():
    y = kh.Plan.from_yaml(str(PLANS / "thang_khuyen_hoc_2024.yaml"))
    assert len(y) == 17 and y["9"].depends_on == [("8", 0)]
    text = (PLANS / "thang_khuyen_hoc_2024.txt").read_text(encoding="utf-8")
    t = kh.Plan.from_table(text, year=2024)
    assert len(t) == 17
    assert t["16"].time_text == "10/9 - 25/9"  # merged cell continues the time above
    assert t["10"].supports == ["Văn phòng HĐND-UBND"]
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "TT": [1, 2, 3],
            "Thời gian": ["30/9 - 03/10", "01/10 (Dự kiến)", None],
            "Nội dung": ["Rà soát hồ sơ", "Họp Hội đồng xét duyệt", "Gửi kết quả"],
            "Phân công": ["P. GDTrH", "P.GDTrH; Văn phòng Sở phối hợp", "Văn phòng Sở"],
        }
    )
    p = kh.Plan.from_table(df, year=2024)
    assert len(p) == 3
    assert p[1].kind == "event" and p[1].leads == ["P. GDTrH"]
    assert p[2].time_text == "01/10 (Dự kiến)"
    assert p.units == ["P. GDTrH", "Văn phòng Sở"]
    assert len(p.to_pandas()) == 3


def test_reader_errors_are_located(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("TT,Thời gian,Nội dung\n1,5/9,A\n2,6/9\n", encoding="utf-8")
    with pytest.raises(kh.ParseError, match=r"bad\.csv:3"):
        kh.Plan.from_csv(str(bad), year=2024)
    y = tmp_path / "bad.yaml"
    y.write_text("tasks:\n  - id: a\n    title: x\n    kind: meeting\n", encoding="utf-8")
    with pytest.raises(kh.SpecError, match=r"bad\.yaml:4"):
        kh.Plan.from_yaml(str(y))
    with pytest.raises(ValueError):
        kh.Plan.from_table("no table", year=2024)


# ---------------------------------------------------------------------------------------------
# Differential test of overlap/overload against a brute force over days
# ---------------------------------------------------------------------------------------------


def _brute_force(groups, starts, ends, weights, capacity):
    mask = np.zeros(len(groups), dtype=bool)
    for g in set(groups):
        idx = [i for i in range(len(groups)) if groups[i] == g]
        for day in range(min(starts), max(ends) + 1):
            active = [i for i in idx if starts[i] <= day < ends[i]]
            if sum(weights[i] for i in active) > capacity + 1e-9:
                mask[active] = True
    return mask


def _pairwise(units, starts, ends, weights, capacity):
    # Task i is overloaded when on a day of [s_i, e_i) the weights of its unit's tasks active
    # that day (every other task compared) sum to more than the capacity.
    out = np.zeros(len(units), dtype=bool)
    for i in range(len(units)):
        for day in range(starts[i], ends[i]):
            load = sum(
                weights[j]
                for j in range(len(units))
                if units[j] == units[i] and starts[j] <= day < ends[j]
            )
            if load > capacity + 1e-9:
                out[i] = True
                break
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(-5, 40),
            st.integers(0, 8),  # zero-length tasks too
            st.sampled_from([1.0, 0.5, 0.25, 0.0, 1.5]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0]),
    st.booleans(),
)
def test_find_overloads_matches_pairwise(tasks, capacity, weighted):
    units = [t[0] for t in tasks]
    starts = [t[1] for t in tasks]
    ends = [t[1] + t[2] for t in tasks]
    weights = [t[3] for t in tasks] if weighted else [1.0] * len(tasks)
    got = kh.find_overloads(
        np.array(units, dtype=np.uint32 if weighted else np.int64),
        np.array(starts),
        np.array(ends),
        np.array(weights) if weighted else None,
        capacity,
    )
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, _pairwise(units, starts, ends, weights, capacity))
    again = kh.find_overloads(units, starts, ends, weights, capacity=capacity, threads=3)
    np.testing.assert_array_equal(again, got)


def test_find_overloads_dates_and_boundaries():
    # A task ending (exclusive) on 30/9 and one starting 30/9 do not overlap; a third does.
    d = np.datetime64
    starts = np.array([d("2024-09-20"), d("2024-09-30"), d("2024-09-29"), d("2024-09-01")])
    ends = np.array([d("2024-09-30"), d("2024-10-05"), d("2024-10-01"), d("2024-09-01")])
    assert kh.find_overloads([0, 0, 1, 0], starts, ends).tolist() == [False] * 4
    got = kh.find_overloads([0, 0, 0, 0], starts, ends)
    assert got.tolist() == [True, True, True, False]  # the zero-length task never counts
    as_dates = [dt.date.fromisoformat(str(x)) for x in starts]
    ends_dates = [dt.date.fromisoformat(str(x)) for x in ends]
    assert kh.find_overloads([0, 0, 0, 0], as_dates, ends_dates).tolist() == got.tolist()
    # A supporting role (0.5) with a lead task fits capacity 1.5 but not 1.
    w = [1.0, 0.5, 0.5, 1.0]
    assert kh.find_overloads([0, 0, 1, 1], starts, ends, w, capacity=1.5).tolist() == [False] * 4
    assert kh.find_overloads([0, 0, 1, 1], starts, ends, w, capacity=1).tolist() == [False] * 4
    same = [2, 2, 2, 2]
    assert kh.find_overloads(same, starts, ends, w, capacity=1.5).tolist() == [False] * 4
    # On 29/9: 1 + 0.5 > 1 (tasks 0 and 2); on 30/9: 0.5 + 0.5 is not over 1.
    assert kh.find_overloads(same, starts, ends, w).tolist() == [True, False, True, False]


def test_find_overloads_errors_name_the_task():
    with pytest.raises(kh.DataError, match="task 1.*before it starts"):
        kh.find_overloads([0, 0], [1, 5], [3, 4])
    with pytest.raises(kh.DataError, match="task 0.*negative"):
        kh.find_overloads([-1, 0], [1, 5], [3, 6])
    with pytest.raises(kh.DataError, match="task 1.*weight"):
        kh.find_overloads([0, 0], [1, 5], [3, 6], [1.0, float("nan")])
    with pytest.raises(kh.DataError, match="same length"):
        kh.find_overloads([0, 0], [1], [3, 6])
    with pytest.raises(kh.SpecError, match="capacity"):
        kh.find_overloads([0, 0], [1, 5], [3, 6], capacity=-1)
    with pytest.raises(TypeError, match="units"):
        kh.find_overloads([0.5, 1.0], [1, 5], [3, 6])
    with pytest.raises(TypeError, match="starts"):
        kh.find_overloads([0, 1], [1.5, 5], [3, 6])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 60), st.integers(0, 6)),
        min_size=1,
        max_size=25,
    )
)
def test_plan_overload_findings_match_brute_force(tasks):
    # Through the whole pipeline: a CSV plan, check(capacity=1), the tasks named by overloads.
    base = dt.date(2024, 3, 1)
    lines = ["id,time,title,lead"]
    for i, (g, s, n) in enumerate(tasks):
        a, b = base + dt.timedelta(days=s), base + dt.timedelta(days=s + n)
        lines.append(f"{i},{a.day}/{a.month} - {b.day}/{b.month},Việc {i},Đơn vị {g}")
    plan = kh.Plan.from_csv_text("\n".join(lines), year=2024)
    found = set()
    for f in plan.check(capacity=1):
        if f.kind == "overload":
            found |= set(f.tasks)
    groups = [t[0] for t in tasks]
    starts = [t[1] for t in tasks]
    ends = [t[1] + t[2] + 1 for t in tasks]
    expect = _brute_force(groups, starts, ends, [1.0] * len(tasks), 1.0)
    assert found == {str(i) for i in range(len(tasks)) if expect[i]}


# ---------------------------------------------------------------------------------------------
# iCalendar, Gantt, CLI
# ---------------------------------------------------------------------------------------------


def test_ical_parsed_back(tmp_path):
    icalendar = pytest.importorskip("icalendar")
    plan = kh.Plan.from_csv(str(PLANS / "thang_khuyen_hoc_2024.csv"), year=2024)
    path = tmp_path / "plan.ics"
    plan.to_ical(str(path), dtstamp="20240901T000000Z", name="Tháng Khuyến học 2024")
    raw = path.read_bytes()
    assert b"\r\n" in raw and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 16  # every task but the one whose time did not parse
    by_uid = {str(e["UID"]): e for e in events}
    review = by_uid["8@khuyenhoc"]
    assert review.decoded("DTSTART") == dt.date(2024, 9, 30)
    assert review.decoded("DTEND") == dt.date(2024, 10, 4)  # exclusive
    assert "Rà soát hồ sơ, lập danh sách" in str(review["SUMMARY"])
    assert "Phòng GDĐT" in str(review["DESCRIPTION"])
    assert str(by_uid["9@khuyenhoc"]["STATUS"]) == "TENTATIVE"
    assert plan.to_ical(dtstamp="20240901T000000Z").startswith("BEGIN:VCALENDAR\r\n")


def test_gantt_renders_png(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from khuyenhoc.plot import gantt

    plan = kh.Plan.from_csv(str(PLANS / "thang_khuyen_hoc_2024.csv"), year=2024)
    ax = gantt(plan, plan.check(window=WINDOW), window=WINDOW)
    out = tmp_path / "gantt.png"
    ax.figure.savefig(out, dpi=60)
    plt.close(ax.figure)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_does_not_pull_matplotlib():
    code = "import sys, khuyenhoc; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _cli():
    exe = Path(sys.executable).parent / "khuyenhoc"
    return str(exe) if exe.exists() else shutil.which("khuyenhoc")


@pytest.mark.skipif(_cli() is None, reason="the khuyenhoc CLI is not installed")
def test_cli_exit_codes(tmp_path):
    cli = _cli()
    example = str(PLANS / "thang_khuyen_hoc_2024.csv")
    ics = tmp_path / "out.ics"
    r = subprocess.run(
        [cli, "plan", "check", example, "--year", "2024", "--window", "5/9-5/10"]
        + ["--ics", str(ics)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1, r.stderr
    assert "dependency_order" in r.stdout and ics.exists()
    clean = tmp_path / "clean.csv"
    clean.write_text("id,time,title,lead\n1,10/9 - 12/9,Khảo sát,A\n", encoding="utf-8")
    r = subprocess.run(
        [cli, "plan", "check", str(clean), "--year", "2024", "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("severity,kind")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,time\n1,\"5/9\n", encoding="utf-8")
    r = subprocess.run([cli, "plan", "check", str(bad), "--year", "2024"], capture_output=True)
    assert r.returncode == 2
    r = subprocess.run([cli, "plan", "check", example], capture_output=True)
    assert r.returncode == 2  # --year missing


def test_check_options_capacity_dict_and_holidays():
    text = (
        "id,time,title,lead,support\n"
        "1,10/9 - 12/9,Khảo sát,P. GDTrH,\n"
        "2,11/9,Họp tổ,p.gdtrh,VP\n"
    )
    plan = kh.Plan.from_csv_text(text, year=2024)
    assert plan.units == ["P. GDTrH", "VP"]
    assert [f.kind for f in plan.check(capacity=1)] == ["overload"]
    assert len(plan.check(capacity={"P.GDTrH": 2, "*": 1})) == 0
    # 11/9 as an extra day off: the meeting falls on it.
    fs = plan.check(holidays=[(dt.date(2024, 9, 11), "Nghỉ địa phương", "Local holiday")])
    assert [f.kind for f in fs] == ["day_off", "spans_holiday"]
    assert "Local holiday" in fs[0].message_en
    cal = kh.Calendar(make_up_days=[dt.date(2024, 9, 14)])
    assert len(plan.check(holidays=cal)) == 0
    with pytest.raises(kh.SpecError):
        plan.check(support_weight=2)
    assert plan["2"].kind == "event" and plan[-1].id == "2"
    with pytest.raises(KeyError):
        plan["nope"]
