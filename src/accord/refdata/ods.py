"""NHS Organisation Data Service (ODS) code formats, in Python and as DuckDB SQL.

An ODS code is 1-9 alphanumeric characters (rules.md §h). Some organisation types have a
narrower frame; pass ``kind`` to require one:

========== =============================================
kind       frame
========== =============================================
(none)     1-9 letters or digits
gp         GP practice: a letter then 5 digits (``A81001``)
trust      NHS trust: ``R`` then 2 letters or digits (``RAK``)
trust_site NHS trust site: ``R`` then 4 letters or digits (``RAK01``)
icb        integrated care board: ``Q`` then 2 letters or digits
========== =============================================

Surrounding whitespace is stripped and letters are upper-cased. This checks the format only;
whether an organisation exists and is active on a date needs the ODS register itself.

>>> validate_ods_code("a81001", kind="gp")
'A81001'
"""

from __future__ import annotations

import re

from accord.errors import InputError, Problem
from accord.refdata._sql import WHITESPACE_CLASS, expression, strip_whitespace_sql

__all__ = ["ODS_FRAMES", "ods_code_sql", "validate_ods_code"]

ODS_FRAMES: dict[str | None, str] = {
    None: "[A-Za-z0-9]{1,9}",
    "gp": "[A-Za-z][0-9]{5}",
    "trust": "[Rr][A-Za-z0-9]{2}",
    "trust_site": "[Rr][A-Za-z0-9]{4}",
    "icb": "[Qq][A-Za-z0-9]{2}",
}
"""Case-insensitive ASCII patterns (full match) for each kind of ODS code."""

_STRIP = re.compile(rf"^{WHITESPACE_CLASS}+|{WHITESPACE_CLASS}+$")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _frame(kind: str | None) -> str:
    if kind not in ODS_FRAMES:
        raise InputError(
            "unknown ODS code kind",
            [Problem("kind", f"not one of {', '.join(str(k) for k in ODS_FRAMES)}")],
        )
    return ODS_FRAMES[kind]


def validate_ods_code(value: str, *, kind: str | None = None, where: str = "ods_code") -> str:
    """Return the normalised ODS code or raise :class:`InputError`."""
    frame = _frame(kind)
    if not isinstance(value, str):
        raise InputError("ODS code is not text", [Problem(where, "not a string")])
    code = _STRIP.sub("", value)
    if not re.fullmatch(frame, code):
        raise InputError(
            "ODS code is malformed",
            [Problem(where, f"does not match the {kind or 'ODS'} code format")],
        )
    return code.translate(_ASCII_UPPER)


def ods_code_sql(column: str, *, kind: str | None = None) -> str:
    """DuckDB boolean expression, TRUE iff the value is a well-formed ODS code of ``kind``."""
    frame = _frame(kind)
    stripped = strip_whitespace_sql(expression(column))
    return f"coalesce(regexp_full_match({stripped}, '{frame}'), false)"
