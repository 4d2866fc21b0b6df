"""The Vietnamese lunar calendar, holidays and working days from Python."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import khuyenhoc as kh

D = dt.date

# Tết Nguyên Đán in Vietnam (UTC+7).
TET = {
    1968: D(1968, 1, 29),
    1985: D(1985, 1, 21),
    2000: D(2000, 2, 5),
    2007: D(2007, 2, 17),
    2010: D(2010, 2, 14),
    2015: D(2015, 2, 19),
    2019: D(2019, 2, 5),
    2020: D(2020, 1, 25),
    2021: D(2021, 2, 12),
    2022: D(2022, 2, 1),
    2023: D(2023, 1, 22),
    2024: D(2024, 2, 10),
    2025: D(2025, 1, 29),
    2026: D(2026, 2, 17),
}


@pytest.mark.parametrize(("year", "tet"), sorted(TET.items()))
def test_tet(year: int, tet: dt.date) -> None:
    assert kh.lunar_to_solar(1, 1, year) == tet
    assert kh.solar_to_lunar(tet) == (1, 1, year, False)
    day, month, lunar_year, leap = kh.solar_to_lunar(tet - dt.timedelta(days=1))
    assert (month, lunar_year, leap) == (12, year - 1, False)
    assert day in (29, 30)


def test_leap_months() -> None:
    assert kh.lunar_leap_month(2020) == 4
    assert kh.lunar_leap_month(2023) == 2
    assert kh.lunar_leap_month(2025) == 6
    assert kh.lunar_leap_month(2024) == 0
    assert kh.lunar_to_solar(1, 4, 2020, leap=True) == D(2020, 5, 23)
    assert kh.solar_to_lunar(D(2020, 6, 1)) == (10, 4, 2020, True)
    assert kh.lunar_month_length(4, 2020, True) in (29, 30)


def test_nonexistent_lunar_dates() -> None:
    with pytest.raises(kh.DataError, match="no leap month"):
        kh.lunar_to_solar(1, 1, 2024, leap=True)
    with pytest.raises(kh.DataError):
        kh.lunar_to_solar(31, 1, 2024)
    with pytest.raises(kh.DataError):
        kh.lunar_to_solar(1, 13, 2024)
    with pytest.raises(ValueError):  # DataError is a ValueError
        kh.solar_to_lunar(D(1500, 1, 1))
    with pytest.raises(TypeError):
        kh.solar_to_lunar("2024-02-10")  # type: ignore[arg-type]


def test_round_trip_every_day_1900_2100() -> None:
    day = D(1900, 1, 1)
    end = D(2100, 12, 31)
    one = dt.timedelta(days=1)
    previous = kh.solar_to_lunar(day - one)
    while day <= end:
        lunar = kh.solar_to_lunar(day)
        assert kh.lunar_to_solar(*lunar) == day
        if lunar[0] != 1:
            assert lunar[0] == previous[0] + 1 and lunar[1:] == previous[1:]
        previous = lunar
        day += one


def test_datetime_is_accepted_as_its_date() -> None:
    assert kh.solar_to_lunar(dt.datetime(2024, 2, 10, 23, 59)) == (1, 1, 2024, False)


def test_against_chinese_calendar() -> None:
    """`lunardate` computes the Chinese calendar (UTC+8) from tables, 1900-2099. Vietnam's
    (UTC+7) agrees except in a few years when a new moon falls between 16:00 and 17:00 UTC: then
    the Vietnamese month starts a day earlier (1968, 2007, 2030 ...) or, through a different leap
    month, a month earlier (1985). Vietnamese Tết is never later than the Chinese New Year."""
    lunardate = pytest.importorskip("lunardate")
    differ = []
    for year in range(1900, 2100):
        vn = kh.lunar_to_solar(1, 1, year)
        cn = lunardate.LunarDate(year, 1, 1).to_solar_date()
        if vn != cn:
            assert vn < cn
            differ.append(year)
    assert {1968, 1985, 2007}.issubset(differ)
    assert differ == [1903, 1935, 1965, 1968, 1969, 1985, 2007, 2030, 2053]
    assert (
        lunardate.LunarDate(1985, 1, 1).to_solar_date() - kh.lunar_to_solar(1, 1, 1985)
    ).days == 30


def test_holidays_2024() -> None:
    hs = kh.holidays(2024)
    assert [d for d, _ in hs] == [
        D(2024, 1, 1),
        *(D(2024, 2, day) for day in range(8, 15)),
        D(2024, 4, 18),
        D(2024, 4, 29),  # swapped with Saturday 4/5/2024
        D(2024, 4, 30),
        D(2024, 5, 1),
        D(2024, 9, 2),
        D(2024, 9, 3),
    ]
    names = dict(hs)
    assert names[D(2024, 4, 18)] == "Giỗ Tổ Hùng Vương"
    assert names[D(2024, 2, 13)] == "Tết Nguyên Đán"  # the announced break, 8/2 - 14/2
    english = dict(kh.holidays(2024, lang="en"))
    assert english[D(2024, 9, 2)] == "National Day"
    with pytest.raises(kh.SpecError):
        kh.holidays(2024, lang="fr")  # type: ignore[arg-type]


def test_dated_rules() -> None:
    def rule_dates(year: int, rule_id: str) -> list[dt.date]:
        return [
            h.date
            for h in kh.Calendar().holiday_list(year)
            if h.rule_id == rule_id and not h.substitute
        ]

    assert rule_dates(2006, "hung_kings") == []
    assert rule_dates(2007, "hung_kings") == [D(2007, 4, 26)]
    assert len(rule_dates(2013, "tet")) == 4
    assert len(rule_dates(2014, "tet")) == 5
    assert rule_dates(2020, "national_day_adjacent") == []
    assert rule_dates(2021, "national_day_adjacent") == [D(2021, 9, 3)]


def test_calendar_working_days() -> None:
    cal = kh.Calendar()
    assert cal.weekend == [5, 6]
    assert cal.is_working_day(D(2024, 2, 7))
    assert not cal.is_working_day(D(2024, 2, 8))
    assert cal.is_holiday(D(2024, 2, 13))
    assert cal.is_weekend(D(2024, 2, 17))
    assert cal.add_working_days(D(2024, 2, 7), 1) == D(2024, 2, 15)
    assert cal.add_working_days(D(2024, 2, 15), -1) == D(2024, 2, 7)
    assert cal.working_days_between(D(2024, 2, 7), D(2024, 2, 16)) == 2
    assert cal.working_days_between(D(2024, 1, 1), D(2025, 1, 1)) == 366 - 104 - 11


def test_calendar_extra_days() -> None:
    cal = kh.Calendar(
        extra_holidays=[(D(2024, 11, 20), "Ngày Nhà giáo", "Teachers' Day"), D(2024, 12, 31)],
        make_up_days=[D(2024, 12, 28)],
    )
    assert not cal.is_working_day(D(2024, 11, 20))
    assert not cal.is_working_day(D(2024, 12, 31))
    assert cal.is_working_day(D(2024, 12, 28))  # a Saturday worked
    assert (D(2024, 11, 20), "Teachers' Day") in cal.holidays(2024, lang="en")
    cal.set_tet_span(2025, D(2025, 1, 25), D(2025, 2, 2))
    assert not cal.is_working_day(D(2025, 1, 27))
    assert cal.is_working_day(D(2025, 2, 3))
    cal.add_holiday(D(2025, 2, 3), "Nghỉ thêm")
    assert not cal.is_working_day(D(2025, 2, 3))
    six_day_week = kh.Calendar(weekend=[6])
    assert six_day_week.is_working_day(D(2024, 3, 9))
    with pytest.raises(kh.SpecError):
        kh.Calendar(weekend=[0, 1, 2, 3, 4, 5, 6])
    with pytest.raises(kh.SpecError):
        kh.Calendar(weekend=[7])


def test_calendar_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "truong.yaml"
    path.write_text(
        """
base: vietnam
holidays:
  - id: founding
    name_vi: Ngày thành lập trường
    name_en: School founding day
    solar: {month: 3, day: 26}
    since: 2020
make_up_days: [2024-03-30]
""",
        encoding="utf-8",
    )
    cal = kh.Calendar.from_yaml(path)
    assert not cal.is_working_day(D(2024, 3, 26))
    assert cal.is_working_day(D(2019, 3, 26))
    assert cal.is_working_day(D(2024, 3, 30))
    assert not cal.is_working_day(D(2024, 2, 8))  # the base rules still apply
    assert kh.Calendar.from_yaml_text("holidays: []").holidays(2024) == []
    with pytest.raises(kh.SpecError, match="month"):
        kh.Calendar.from_yaml_text("holidays:\n  - {id: x, solar: {month: 13, day: 1}}")
    with pytest.raises(kh.ParseError):
        kh.Calendar.from_yaml_text("holidays: [")
    with pytest.raises(kh.Error):
        kh.Calendar.from_yaml(tmp_path / "missing.yaml")


def test_holiday_repr() -> None:
    first = kh.Calendar().holiday_list(2024)[0]
    assert repr(first) == (
        "Holiday(2024-01-01, 'Tết Dương lịch', rule_id='new_year', type='public_holiday')"
    )
    assert first.name_en == "New Year's Day"
    assert not first.substitute
