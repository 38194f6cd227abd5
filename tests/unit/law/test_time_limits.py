"""The statutory clock for rights requests: calendar months, the ICO's way, and bank holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.law.time_limits import EXTENDED, add_months, bank_holidays, due_date

# The published England and Wales lists (GOV.UK "UK bank holidays").
PUBLISHED = {
    2022: [
        "01-03",
        "04-15",
        "04-18",
        "05-02",
        "06-02",
        "06-03",
        "08-29",
        "09-19",
        "12-26",
        "12-27",
    ],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_bank_holidays_match_the_published_lists(year: int) -> None:
    expected = {date.fromisoformat(f"{year}-{d}") for d in PUBLISHED[year]}
    assert bank_holidays(year) == expected


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (date(2026, 9, 3), 1, date(2026, 10, 5)),  # 3 October 2026 is a Saturday
        (date(2026, 6, 3), 1, date(2026, 7, 3)),  # the ICO's example: the same date next month
        (date(2026, 3, 31), 1, date(2026, 4, 30)),  # no 31 April: the month's last day
        (date(2027, 1, 30), 1, date(2027, 3, 1)),  # 28 February 2027 is a Sunday
        (date(2026, 3, 6), 1, date(2026, 4, 7)),  # 6 April: Easter Monday
        (date(2026, 11, 28), 1, date(2026, 12, 29)),  # Christmas at a weekend: 25, 28 December
        (date(2026, 3, 4), EXTENDED, date(2026, 6, 4)),  # extended: three months from receipt
        (date(2026, 3, 1), 1, date(2026, 4, 1)),  # received on a Sunday: counted from it
    ],
)
def test_due_dates(received: date, months: int, due: date) -> None:
    assert due_date(received, months) == due


def test_a_holiday_proclaimed_later_is_passed_in() -> None:
    assert due_date(date(2026, 6, 3), extra_holidays=[date(2026, 7, 3)]) == date(2026, 7, 6)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)), st.sampled_from([1, 3]))
def test_the_due_date_is_a_working_day_on_or_soon_after_the_corresponding_date(
    received: date, months: int
) -> None:
    due = due_date(received, months)
    nominal = add_months(received, months)
    assert due.weekday() < 5 and due not in bank_holidays(due.year)
    assert nominal <= due <= nominal + timedelta(days=5)
    assert (nominal.year * 12 + nominal.month) - (received.year * 12 + received.month) == months
    assert nominal.day == received.day or nominal.day < received.day
