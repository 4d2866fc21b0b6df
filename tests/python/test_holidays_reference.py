"""Vietnam's days off, 2020-2030: khuyenhoc's calendar against python-holidays' Vietnam data.

Every difference between the two is listed below with its reason (docs/time_expressions.md,
"Holidays as decided", has the same table). The test fails on any difference not listed, and on a
listed one that has gone away, so the table stays true when either side changes.
"""

from __future__ import annotations

import datetime as dt

import pytest

import khuyenhoc as kh

holidays = pytest.importorskip("holidays")

D = dt.date

# Weekend days inside an announced Tết break: khuyenhoc lists every day of the break the
# government announced (type "announced_break"); python-holidays lists only the days that would
# otherwise be working days.
WEEKENDS_IN_ANNOUNCED_BREAKS = {
    D(2022, 1, 29),
    D(2022, 1, 30),
    D(2022, 2, 5),
    D(2022, 2, 6),
    D(2025, 1, 25),
    D(2025, 1, 26),
    D(2025, 2, 2),
    D(2026, 2, 14),
    D(2026, 2, 15),
    D(2026, 2, 21),
    D(2026, 2, 22),
}

# Tết of a year without an announcement, when a day of it falls on a Saturday: khuyenhoc keeps
# the law's five days from 29 tháng Chạp and makes the weekend days up after them (the
# substitute rule); python-holidays moves a Saturday's day to the working day before Tết
# ("29 Tết"). Which one the government will announce is not known yet.
ONLY_KHUYENHOC_UNANNOUNCED_TET = {D(2027, 2, 11), D(2028, 1, 31), D(2030, 2, 7)}
ONLY_PYTHON_HOLIDAYS_UNANNOUNCED_TET = {D(2027, 2, 4), D(2028, 1, 24), D(2030, 1, 31)}


def _differences() -> tuple[set[dt.date], set[dt.date]]:
    cal = kh.Calendar()
    ours: set[dt.date] = set()
    theirs: set[dt.date] = set()
    for year in range(2020, 2031):
        mine = {h.date for h in cal.holiday_list(year)}
        ref = set(holidays.country_holidays("VN", years=year))
        ours |= mine - ref
        theirs |= ref - mine
    return ours, theirs


def test_days_off_2020_2030_agree_except_the_documented_differences() -> None:
    ours, theirs = _differences()
    assert ours == WEEKENDS_IN_ANNOUNCED_BREAKS | ONLY_KHUYENHOC_UNANNOUNCED_TET
    assert theirs == ONLY_PYTHON_HOLIDAYS_UNANNOUNCED_TET


def test_the_documented_differences_are_what_they_say() -> None:
    cal = kh.Calendar()
    for day in WEEKENDS_IN_ANNOUNCED_BREAKS:
        assert day.weekday() >= 5
        assert cal.classify(day) == "announced_break"
    for day in ONLY_KHUYENHOC_UNANNOUNCED_TET:
        assert cal.classify(day) == "substitute_day"
        assert day.year >= 2027  # no announcement recorded for these years
    for day in ONLY_PYTHON_HOLIDAYS_UNANNOUNCED_TET:
        assert cal.is_working_day(day)
        assert "29" in holidays.country_holidays("VN", years=day.year, language="en_US")[day]


def test_swaps_agree_with_python_holidays() -> None:
    # Both record the swapped days off; khuyenhoc also makes the Saturdays working days.
    cal = kh.Calendar()
    ref = holidays.country_holidays("VN", years=range(2020, 2031))
    for off, work in [
        (D(2024, 4, 29), D(2024, 5, 4)),
        (D(2025, 5, 2), D(2025, 4, 26)),
        (D(2026, 8, 31), D(2026, 8, 22)),
    ]:
        assert off in ref and off in cal
        assert cal.classify(off) == "swapped_day_off"
        assert cal.classify(work) == "swapped_working_day" and cal.is_working_day(work)
    # 24/11 (Ngày Văn hóa Việt Nam) from 2026 in both.
    assert D(2026, 11, 24) in ref and D(2026, 11, 24) in cal
    assert D(2025, 11, 24) not in ref and D(2025, 11, 24) not in cal
