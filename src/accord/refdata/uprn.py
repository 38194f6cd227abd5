"""Unique Property Reference Numbers (UPRN), in Python and as DuckDB SQL.

A UPRN is a positive integer of up to 12 digits (rules.md §h). Surrounding whitespace is
stripped; leading zeros are dropped in the normalised form; zero is not a UPRN.

>>> validate_uprn(" 100023336956 ")
'100023336956'
"""

from __future__ import annotations

import re

from accord.errors import InputError, Problem
from accord.refdata._sql import WHITESPACE_CLASS, expression, strip_whitespace_sql

__all__ = ["uprn_sql", "validate_uprn"]

_DIGITS = re.compile(r"[0-9]{1,12}")
_STRIP = re.compile(rf"^{WHITESPACE_CLASS}+|{WHITESPACE_CLASS}+$")


def validate_uprn(value: str | int, *, where: str = "uprn") -> str:
    """Return the normalised UPRN (digits, no leading zeros) or raise :class:`InputError`."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError("UPRN is not text or an integer", [Problem(where, "wrong type")])
    text = str(value) if isinstance(value, int) else _STRIP.sub("", value)
    if not _DIGITS.fullmatch(text):
        raise InputError("UPRN is malformed", [Problem(where, "not 1 to 12 digits")])
    if int(text) == 0:
        raise InputError("UPRN is invalid", [Problem(where, "zero is not a UPRN")])
    return str(int(text))


def uprn_sql(column: str) -> str:
    """DuckDB boolean expression, TRUE iff the value is a valid UPRN (1-12 digits, not zero).

    Works on text columns and on integer columns (compared through their text form).
    """
    stripped = strip_whitespace_sql(f"CAST({expression(column)} AS VARCHAR)")
    return (
        f"coalesce(regexp_full_match({stripped}, '[0-9]{{1,12}}') "
        f"AND NOT regexp_full_match({stripped}, '0+'), false)"
    )
