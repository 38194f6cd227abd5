"""UK postcode normalisation and format validation, in Python and as DuckDB SQL.

Normalisation (rules.md §h): remove whitespace (space, tab, CR, LF) anywhere, upper-case the
ASCII letters, and put a single space before the inward code (the last three characters).
The result must then match ``^([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9][A-Z]{2})$`` or be the special
``GIR 0AA``. This checks the *format* only; whether a postcode exists, and where it is on a
given date, is :class:`accord.refdata.geography.Geography`'s job.

>>> validate_postcode(" sw1a1aa ")
'SW1A 1AA'
>>> validate_postcode("gir0aa")
'GIR 0AA'

Both forms accept exactly the same strings: the letters are matched case-insensitively as
ASCII before being upper-cased, so no non-ASCII character can upper-case its way into a
valid postcode in either form.
"""

from __future__ import annotations

import re

from accord.errors import InputError, Problem
from accord.refdata._sql import WHITESPACE_CLASS, expression

__all__ = [
    "POSTCODE_PATTERN",
    "postcode_normalise_sql",
    "postcode_sql",
    "validate_postcode",
]

# The normalised form, as in rules.md §h (with [0-9] for \d so only ASCII digits count).
POSTCODE_PATTERN = r"([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9][A-Z]{2})|GIR 0AA"

# After whitespace removal, before upper-casing: the same shapes, letters in either case.
COMPACT_PATTERN = r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?[0-9][A-Za-z]{2}|[Gg][Ii][Rr]0[Aa][Aa]"
_COMPACT_RE = re.compile(COMPACT_PATTERN)
_WHITESPACE_RE = re.compile(WHITESPACE_CLASS)
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def validate_postcode(value: str, *, where: str = "postcode") -> str:
    """Return the normalised postcode or raise :class:`InputError` (the value is never echoed)."""
    if not isinstance(value, str):
        raise InputError("postcode is not text", [Problem(where, "not a string")])
    compact = _WHITESPACE_RE.sub("", value)
    if not compact:
        raise InputError("postcode is missing", [Problem(where, "empty or whitespace only")])
    if not _COMPACT_RE.fullmatch(compact):
        raise InputError(
            "postcode is malformed", [Problem(where, "does not match the UK postcode format")]
        )
    upper = compact.translate(_ASCII_UPPER)
    return f"{upper[:-3]} {upper[-3:]}"


def postcode_normalise_sql(column: str) -> str:
    """DuckDB expression: the normalised postcode, or NULL when the value is not a valid format."""
    x = f"regexp_replace({expression(column)}, '{WHITESPACE_CLASS}', '', 'g')"
    return (
        f"CASE WHEN regexp_full_match({x}, '{COMPACT_PATTERN}') "
        f"THEN upper(substr({x}, 1, length({x}) - 3)) || ' ' || upper(right({x}, 3)) "
        "ELSE NULL END"
    )


def postcode_sql(column: str) -> str:
    """DuckDB boolean expression, TRUE iff the value normalises to a valid postcode."""
    return f"(({postcode_normalise_sql(column)}) IS NOT NULL)"
