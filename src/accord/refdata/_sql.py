"""Small helpers for building DuckDB SQL text safely.

Every ``*_sql(column)`` builder in :mod:`accord.refdata` takes ``column`` as a SQL
*expression* (a quoted column name such as ``"nhs_number"``, or ``src."postcode"``) and embeds
it in parentheses. Turn an arbitrary column name into a safe expression with
:func:`quote_identifier`.
"""

from __future__ import annotations

from accord.errors import InputError, Problem


def quote_identifier(name: str) -> str:
    """Return ``name`` as a double-quoted SQL identifier (embedded quotes doubled).

    >>> quote_identifier('nhs number')
    '"nhs number"'
    """
    if not isinstance(name, str) or not name or "\x00" in name:
        raise InputError(
            "a SQL identifier must be a non-empty string",
            [Problem("column", "empty, not a string or contains NUL")],
        )
    return '"' + name.replace('"', '""') + '"'


def string_literal(value: str) -> str:
    """Return ``value`` as a single-quoted SQL string literal (embedded quotes doubled).

    >>> string_literal("O'Neil")
    "'O''Neil'"
    """
    return "'" + value.replace("'", "''") + "'"


def expression(column: str) -> str:
    """Wrap a caller's SQL expression in parentheses so operators bind as intended."""
    if not isinstance(column, str) or not column.strip():
        raise InputError(
            "a SQL expression must be a non-empty string",
            [Problem("column", "empty or not a string")],
        )
    return f"({column})"


# Whitespace that normalisation strips: space, tab, line feed, carriage return.
# The same set is written as a RE2/Python class here and used by both forms of each validator.
WHITESPACE_CLASS = r"[ \t\n\r]"


def strip_whitespace_sql(sql: str) -> str:
    """DuckDB expression removing leading and trailing whitespace (same set as Python's)."""
    return f"regexp_replace({sql}, '^{WHITESPACE_CLASS}+|{WHITESPACE_CLASS}+$', '', 'g')"
