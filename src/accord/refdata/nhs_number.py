"""NHS number validation, in Python and as a DuckDB SQL expression.

An NHS number is 10 digits, often displayed ``3-3-4`` with spaces. The rule (rules.md §h):
multiply digits 1-9 by the weights 10, 9, ..., 2; sum; ``check = 11 - (sum mod 11)``; a check
of 11 becomes 0; a check of 10 means the number is invalid; otherwise the number is valid iff
``check`` equals digit 10. Normalisation removes spaces only (no other characters).

>>> validate_nhs_number("943 476 5919")
'9434765919'
>>> check_digit("943476591")
9

The SQL form is pure arithmetic on the characters (no casts that can fail, no UDF), so the
engine can embed it in any DuckDB query:

>>> sql = f"SELECT count(*) FROM src WHERE NOT {nhs_number_sql(quote_identifier('nhs_number'))}"
"""

from __future__ import annotations

import re

from accord.errors import InputError, Problem
from accord.refdata._sql import expression, quote_identifier

__all__ = [
    "WEIGHTS",
    "check_digit",
    "nhs_number_normalise_sql",
    "nhs_number_sql",
    "quote_identifier",
    "validate_nhs_number",
]

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_TEN_DIGITS = re.compile(r"[0-9]{10}")
_NINE_DIGITS = re.compile(r"[0-9]{9}")


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or ``None`` when the check would be 10 (no valid number)."""
    if not isinstance(first_nine, str) or not _NINE_DIGITS.fullmatch(first_nine):
        raise InputError(
            "an NHS number body must be exactly 9 digits",
            [Problem("nhs_number", "body is not 9 ASCII digits")],
        )
    total = sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def validate_nhs_number(value: str, *, where: str = "nhs_number") -> str:
    """Return the normalised NHS number (10 digits, spaces removed) or raise :class:`InputError`.

    ``where`` names the field or row in the error; the value itself never appears in it.
    """
    if not isinstance(value, str):
        raise InputError("NHS number is not text", [Problem(where, "not a string")])
    digits = value.replace(" ", "")
    if not _TEN_DIGITS.fullmatch(digits):
        raise InputError(
            "NHS number is malformed", [Problem(where, "not 10 digits after removing spaces")]
        )
    check = check_digit(digits[:9])
    if check is None:
        raise InputError("NHS number is invalid", [Problem(where, "check digit would be 10")])
    if check != int(digits[9]):
        raise InputError("NHS number is invalid", [Problem(where, "check digit does not match")])
    return digits


def nhs_number_normalise_sql(column: str) -> str:
    """DuckDB expression: the value with spaces removed (no validation)."""
    return f"replace({expression(column)}, ' ', '')"


def nhs_number_sql(column: str) -> str:
    """DuckDB boolean expression, TRUE iff ``column`` holds a valid NHS number, else FALSE.

    NULL input gives FALSE (never NULL), so ``WHERE NOT (...)`` catches it.
    """
    x = nhs_number_normalise_sql(column)
    terms = " + ".join(
        f"(ascii(substr({x}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(WEIGHTS)
    )
    last = f"(ascii(substr({x}, 10, 1)) - 48)"
    return (
        f"coalesce(CASE WHEN regexp_full_match({x}, '[0-9]{{10}}') "
        f"THEN (11 - ({terms}) % 11) % 11 = {last} ELSE false END, false)"
    )
