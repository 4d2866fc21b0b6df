"""Vietnamese time expressions from Python: khuyenhoc.parse_time."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

import khuyenhoc as kh

D = dt.date

# (text, start, end, granularity) with the plan's year 2024 — every form of issue 6.
FORMS = [
    ("27/8 - 10/9", D(2024, 8, 27), D(2024, 9, 10), "day"),
    ("08/11", D(2024, 11, 8), D(2024, 11, 8), "day"),
    ("Từ 15/10", D(2024, 10, 15), None, "day"),
    ("05/11 (Dự kiến)", D(2024, 11, 5), D(2024, 11, 5), "day"),
    ("Tháng 12/2023", D(2023, 12, 1), D(2023, 12, 31), "month"),
    ("tháng 6,7", D(2024, 6, 1), D(2024, 7, 31), "month"),
    ("Quý 1/2024", D(2024, 1, 1), D(2024, 3, 31), "quarter"),
    ("Năm 2025", D(2025, 1, 1), D(2025, 12, 31), "year"),
    ("từ ngày 5/9 đến ngày 5/10/2024", D(2024, 9, 5), D(2024, 10, 5), "day"),
    ("trước ngày 30/11 hàng năm", None, D(2024, 11, 30), "day"),
    ("đầu tháng 10", D(2024, 10, 1), D(2024, 10, 10), "part_of_month"),
    ("giữa tháng 10", D(2024, 10, 11), D(2024, 10, 20), "part_of_month"),
    ("cuối tháng 10", D(2024, 10, 21), D(2024, 10, 31), "part_of_month"),
    ("15/12 - 10/1", D(2024, 12, 15), D(2025, 1, 10), "day"),
]


@pytest.mark.parametrize(("text", "start", "end", "granularity"), FORMS)
def test_forms(text: str, start: dt.date | None, end: dt.date | None, granularity: str) -> None:
    t = kh.parse_time(text, year=2024)
    assert (t.start, t.end, t.granularity, t.text) == (start, end, granularity, text)
    # Without diacritics, in upper case, in NFD: the same result.
    bare = "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    ).replace("đ", "d")
    for variant in (bare, text.upper(), unicodedata.normalize("NFD", text), f"  {text}  "):
        v = kh.parse_time(variant, year=2024)
        assert (v.start, v.end, v.granularity) == (start, end, granularity), variant


def test_flags() -> None:
    assert kh.parse_time("Từ 15/10", year=2024).open_ended
    assert kh.parse_time("05/11 (Dự kiến)", year=2024).tentative
    yearly = kh.parse_time("trước ngày 30/11 hàng năm", year=2024)
    assert yearly.recurring and yearly.deadline and not yearly.open_ended
    assert kh.parse_time("cuối tháng 10", year=2024).approximate
    plain = kh.parse_time("27/8 - 10/9", year=2024)
    assert not (plain.tentative or plain.open_ended or plain.recurring or plain.approximate)
    assert plain.bounded


@pytest.mark.parametrize("dash", ["-", "–", "—", " đến ", " den ", "~"])
def test_dashes(dash: str) -> None:
    t = kh.parse_time(f"27/8{dash}10/9", year=2024)
    assert (t.start, t.end) == (D(2024, 8, 27), D(2024, 9, 10))


def test_year_from_text_or_argument() -> None:
    assert kh.parse_time("Quý 1/2024").start == D(2024, 1, 1)
    assert kh.parse_time("08/11", 2023).start == D(2023, 11, 8)
    with pytest.raises(kh.ParseError, match="no year"):
        kh.parse_time("08/11")


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("31/9", 1, "day 31 does not exist in month 9"),
        ("Từ 31/9", 4, "day 31"),
        ("10/9 - 27/8", 8, "backwards"),
        ("10/9/2024 - 27/8/2024", 13, "before it starts"),
        ("tháng 13", 7, "month 13"),
        ("Quý 5/2024", 5, "quarter 5"),
        ("hôm qua", 1, "expected a date"),
    ],
)
def test_errors_quote_text_and_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(kh.ParseError) as info:
        kh.parse_time(text, year=2024)
    message = str(info.value)
    assert f'"{text}"' in message
    assert fragment in message
    assert f"column {column}" in message
    assert isinstance(info.value, ValueError)


def test_half_open_period() -> None:
    a = kh.parse_time("1/9 - 30/9", year=2024)
    b = kh.parse_time("30/9 - 5/10", year=2024)
    assert a.period == (D(2024, 9, 1), D(2024, 10, 1))
    assert b.period == (D(2024, 9, 30), D(2024, 10, 6))
    # Half-open periods [s, e) overlap when each starts before the other ends: they share 30/9.
    assert a.period[0] < b.period[1] and b.period[0] < a.period[1]
    open_ended = kh.parse_time("Từ 15/10", year=2024)
    assert open_ended.period == (D(2024, 10, 15), D(9999, 12, 31))


def test_repr_and_equality() -> None:
    t = kh.parse_time("05/11 (Dự kiến)", year=2024)
    assert repr(t) == (
        "TimeExpr('05/11 (Dự kiến)', start=2024-11-05, end=2024-11-05, granularity='day', "
        "tentative=True)"
    )
    assert t == kh.parse_time("05/11 (Dự kiến)", year=2024)
    assert t != kh.parse_time("05/11", year=2024)
    assert "end=None" in repr(kh.parse_time("Từ 15/10", year=2024))


def test_every_day_of_a_year() -> None:
    day = D(2024, 1, 1)
    while day.year == 2024:
        for text in (f"{day.day}/{day.month}", f"{day.day:02d}/{day.month:02d}/{day.year}"):
            t = kh.parse_time(text, year=2024)
            assert t.start == t.end == day
        day += dt.timedelta(days=1)
