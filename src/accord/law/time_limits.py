"""Statutory time limits for people's rights requests, counted the way the ICO counts them.

UK GDPR Art 12(3): a controller answers a request under Arts 15-22 "without undue delay and in
any event within one month of receipt", extendable "by two further months where necessary,
taking into account the complexity and number of the requests". The ICO's guidance on time
limits says how to count:

- start on the day the request is received, whether or not it is a working day;
- the limit is the corresponding calendar date in the next month (received 3 September: due 3
  October);
- if that month has no corresponding date, the last day of that month (received 31 March: due
  30 April);
- if the date falls on a weekend or a bank holiday, the next working day;
- an extension is counted the same way, three months from receipt.

Source: ICO, "Right of access: time limits for responding"
(https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/individual-rights/right-of-access/).

Bank holidays are England and Wales's, by their rules (substitute days when one falls at a
weekend), plus the one-off changes proclaimed since 2020 (:data:`PROCLAIMED`); a holiday
proclaimed later is passed as ``extra_holidays``.

>>> due_date(date(2026, 3, 31))  # no 31 April: 30 April (a Thursday)
datetime.date(2026, 4, 30)
>>> due_date(date(2026, 12, 1), months=1)  # 1 January is a bank holiday: 2 January... a Saturday
datetime.date(2027, 1, 4)
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

ONE_MONTH = 1
EXTENDED = 3  # one month plus two further months (Art 12(3))

PROCLAIMED: dict[int, tuple[tuple[date, ...], tuple[date, ...]]] = {
    # year: (days added, rule days removed)
    2020: ((date(2020, 5, 8),), (date(2020, 5, 4),)),  # VE Day 75: early May moved
    2022: (
        (date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19)),  # Platinum Jubilee; funeral
        (date(2022, 5, 30),),
    ),
    2023: ((date(2023, 5, 8),), ()),  # Coronation
}


def add_months(start: date, months: int) -> date:
    """The corresponding date ``months`` later, or that month's last day when it has none."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def easter_sunday(year: int) -> date:
    """Western Easter (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=last.weekday())


def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in ``year``."""
    new_year = date(year, 1, 1)
    if new_year.weekday() >= 5:
        new_year = _monday_on_or_after(new_year)
    easter = easter_sunday(year)
    days = {
        new_year,
        easter - timedelta(days=2),  # Good Friday
        easter + timedelta(days=1),  # Easter Monday
        _monday_on_or_after(date(year, 5, 1)),  # early May
        _last_monday(year, 5),  # spring
        _last_monday(year, 8),  # summer
    }
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday 27 and Tuesday 28
        days |= {date(year, 12, 27), date(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday 26, Christmas on Tuesday 27
        days |= {boxing, date(year, 12, 27)}
    elif boxing.weekday() == 5:  # Friday Christmas, Saturday Boxing Day: Monday 28
        days |= {christmas, date(year, 12, 28)}
    else:
        days |= {christmas, boxing}
    added, removed = PROCLAIMED.get(year, ((), ()))
    return frozenset((days - set(removed)) | set(added))


def next_working_day(day: date, extra_holidays: Iterable[date] = ()) -> date:
    """``day`` itself when it is a working day, else the next one."""
    extra = set(extra_holidays)
    while day.weekday() >= 5 or day in bank_holidays(day.year) or day in extra:
        day += timedelta(days=1)
    return day


def due_date(received: date, months: int = ONE_MONTH, extra_holidays: Iterable[date] = ()) -> date:
    """When an answer to a request received on ``received`` is due (``months``: 1, or 3 when
    extended)."""
    return next_working_day(add_months(received, months), extra_holidays)
