"""What each value transform means, in plain Python: the reference every backend must match.

- age on a date: whole years, a birthday counting from the day itself (29 February birthdays
  count from 1 March in non-leap years);
- age bands: ``0-4``, ``5-9`` ... ``85-89`` (5 years) or ``0-9`` ... ``80-89`` (10 years), and
  ``90+`` for everyone 90 or older;
- pseudonyms: :mod:`accord.engine.pseudonym`;
- postcode areas: the code at the requested level from the postcode directory in force.

>>> from datetime import date
>>> age_on(date(2000, 2, 29), date(2026, 2, 28)), age_band(25, 5), age_band(93, 10)
(25, '25-29', '90+')
"""

from __future__ import annotations

from datetime import date, datetime

TOP_BAND = 90


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((born.month, born.day) > (on.month, on.day))


def age_band(age: int, width: int) -> str:
    if age >= TOP_BAND:
        return f"{TOP_BAND}+"
    low = age // width * width
    return f"{low}-{low + width - 1}"


def value_text(value: object) -> str:
    """The text a pseudonym is computed over (the same text a SQL backend casts to)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
