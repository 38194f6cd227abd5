"""ONS Government Statistical Service (GSS) geography codes, in Python and as DuckDB SQL.

A GSS code is 9 characters: a 3-character entity prefix (country letter E, W, S or N plus two
digits) and 6 digits, so it matches ``^[ENSW][0-9]{8}$`` (rules.md §h). Only the entity
prefixes in :data:`ENTITIES` are accepted. Surrounding whitespace is stripped and letters are
upper-cased.

>>> validate_gss_code("E09000011")
'E09000011'
>>> validate_gss_code("e10000003", entities=UPPER_TIER)
'E10000003'
"""

from __future__ import annotations

import re
from collections.abc import Collection

from accord.errors import InputError, Problem
from accord.refdata._sql import WHITESPACE_CLASS, expression, string_literal, strip_whitespace_sql

__all__ = [
    "ENTITIES",
    "LOWER_TIER",
    "UPPER_TIER",
    "gss_code_sql",
    "validate_gss_code",
]

ENTITIES: dict[str, str] = {
    "E00": "output area",
    "E01": "lower layer super output area",
    "E02": "middle layer super output area",
    "E04": "civil parish",
    "E05": "electoral ward",
    "E06": "unitary authority",
    "E07": "non-metropolitan district",
    "E08": "metropolitan borough",
    "E09": "London borough",
    "E10": "county",
    "E12": "region",
    "E14": "Westminster parliamentary constituency",
    "E92": "country",
    "W00": "output area (Wales)",
    "W01": "lower layer super output area (Wales)",
    "W02": "middle layer super output area (Wales)",
    "W04": "community (Wales)",
    "W05": "electoral ward (Wales)",
    "W06": "unitary authority (Wales)",
    "W92": "country (Wales)",
    "S00": "output area (Scotland)",
    "S01": "data zone (Scotland)",
    "S12": "council area (Scotland)",
    "S92": "country (Scotland)",
    "N09": "local government district (Northern Ireland)",
    "N92": "country (Northern Ireland)",
}
"""Known entity prefixes and what they code."""

UPPER_TIER = frozenset({"E06", "E08", "E09", "E10"})
"""English upper-tier local authorities: unitaries, metropolitan and London boroughs, counties."""

LOWER_TIER = frozenset({"E06", "E07", "E08", "E09"})
"""English lower-tier (or single-tier) local authorities: the LAD set."""

_SHAPE = re.compile(r"[ENSWensw][0-9]{8}")
_STRIP = re.compile(rf"^{WHITESPACE_CLASS}+|{WHITESPACE_CLASS}+$")


def _prefixes(entities: Collection[str] | None) -> frozenset[str]:
    chosen = frozenset(ENTITIES) if entities is None else frozenset(entities)
    unknown = sorted(chosen - frozenset(ENTITIES))
    if unknown or not chosen:
        raise InputError(
            "unknown GSS entity prefixes requested",
            [Problem("entities", f"not known: {', '.join(unknown) or '(none given)'}")],
        )
    return chosen


def validate_gss_code(
    value: str, *, entities: Collection[str] | None = None, where: str = "gss_code"
) -> str:
    """Return the normalised GSS code or raise :class:`InputError`.

    ``entities`` restricts the accepted prefixes (default: all of :data:`ENTITIES`).
    """
    allowed = _prefixes(entities)
    if not isinstance(value, str):
        raise InputError("GSS code is not text", [Problem(where, "not a string")])
    code = _STRIP.sub("", value)
    if not _SHAPE.fullmatch(code):
        raise InputError(
            "GSS code is malformed", [Problem(where, "not a letter E/N/S/W and 8 digits")]
        )
    code = code.upper()
    if code[:3] not in allowed:
        raise InputError(
            "GSS code has an entity prefix not accepted here",
            [Problem(where, f"prefix not one of {', '.join(sorted(allowed))}")],
        )
    return code


def gss_code_sql(column: str, *, entities: Collection[str] | None = None) -> str:
    """DuckDB boolean expression, TRUE iff the value is a valid GSS code with an allowed prefix."""
    allowed = _prefixes(entities)
    stripped = strip_whitespace_sql(expression(column))
    prefixes = ", ".join(string_literal(p) for p in sorted(allowed))
    return (
        f"coalesce(regexp_full_match({stripped}, '[ENSWensw][0-9]{{8}}') "
        f"AND upper(substr({stripped}, 1, 3)) IN ({prefixes}), false)"
    )
