"""ISO 8601 calendar dates (``YYYY-MM-DD``), in Python and as DuckDB SQL.

Only the extended calendar-date form is accepted (rules.md §h): four-digit year from 0001,
two-digit month and day, and the date must exist (``2023-02-29`` does not).

>>> validate_iso_date("2024-02-29")
datetime.date(2024, 2, 29)
"""

from __future__ import annotations

import re
from datetime import date

from accord.errors import InputError, Problem
from accord.refdata._sql import expression

__all__ = ["iso_date_sql", "validate_iso_date"]

_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def validate_iso_date(value: str, *, where: str = "date") -> date:
    """Return the date or raise :class:`InputError`."""
    if not isinstance(value, str):
        raise InputError("date is not text", [Problem(where, "not a string")])
    if not _SHAPE.fullmatch(value):
        raise InputError("date is malformed", [Problem(where, "not in YYYY-MM-DD form")])
    try:
        return date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        raise InputError(
            "date does not exist", [Problem(where, "no such day in the calendar")]
        ) from None


def iso_date_sql(column: str) -> str:
    """DuckDB boolean expression, TRUE iff the value is an existing ``YYYY-MM-DD`` date."""
    x = expression(column)
    return (
        f"coalesce(regexp_full_match({x}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
        f"AND NOT starts_with({x}, '0000') "
        f"AND try_strptime({x}, '%Y-%m-%d') IS NOT NULL, false)"
    )
