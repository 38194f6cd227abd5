"""Spark SQL text for the Spark backend, built from plan nodes only.

Each builder mirrors a rule of the in-memory reference (``backends/in_memory.py``) and of its
DuckDB twin (``duckdb_sql.py``) exactly; what they share (checks, row filters, literals) is
built once in :mod:`accord.engine.backends.sql_dialect`, over :data:`SPARK`. Identifiers come
from checked plan names and are back-quoted; literals from the typed predicate tree or the plan,
rendered by :func:`literal` (Spark reads backslash escapes in string literals, so backslashes
are doubled as well as quotes). Regular expressions are Java's, matched whole with
``\\A(?:...)\\z``. Pseudonym keys are never rendered: they are columns of a key table joined by
flow.
"""

from __future__ import annotations

from collections.abc import Callable

from accord.engine.backends.duckdb_sql import WHITESPACE_CHARS
from accord.engine.backends.in_memory import (
    DATETIME_TEXT,
    FALSE_TEXT,
    INTEGER_TEXT,
    NUMBER_TEXT,
    TRUE_TEXT,
    YEAR_TEXT,
)
from accord.engine.backends.sql_dialect import AREA_COLUMNS, Dialect, FieldSteps, age_sql
from accord.engine.plan import (
    AREA_LEVELS,
    AgeBand,
    OutputColumn,
    PostcodeArea,
    Pseudonymise,
    SourceField,
)
from accord.engine.transforms import TOP_BAND
from accord.refdata.gss import ENTITIES
from accord.refdata.nhs_number import WEIGHTS as NHS_WEIGHTS
from accord.refdata.ods import ODS_FRAMES
from accord.refdata.postcode import COMPACT_PATTERN as POSTCODE_COMPACT

SQL_TYPES = {
    "string": "STRING",
    "integer": "BIGINT",
    "year": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP_NTZ",
}
_WS = "[" + "".join({" ": " ", "\t": "\\t", "\n": "\\n", "\r": "\\r"}[c] for c in WHITESPACE_CHARS)
_WS += "]"


def q(name: str) -> str:
    if "`" in name or not name:
        raise ValueError("identifier")
    return f"`{name}`"


def text(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def full_match(value: str, pattern: str) -> str:
    """TRUE when the whole of ``value`` matches ``pattern`` (NULL when ``value`` is NULL)."""
    whole = r"\A(?:" + pattern + r")\z"
    return f"regexp_like({value}, {text(whole)})"


SPARK = Dialect(
    "spark",
    q=q,
    text=text,
    full_match=full_match,
    timestamp=lambda iso: f"CAST({text(iso)} AS TIMESTAMP_NTZ)",
)
literal = SPARK.literal
check_fails_sql = SPARK.check_fails
operand_sql = SPARK.operand
predicate_sql = SPARK.predicate
_in = SPARK.in_list


def strip(value: str) -> str:
    return f"regexp_replace({value}, {text('^' + _WS + '+|' + _WS + '+$')}, '')"


# -- typing and checking a field ---------------------------------------------------------------


def missing_sql(raw: str, is_text: bool) -> str:
    return f"({raw} IS NULL OR {raw} = '')" if is_text else f"({raw} IS NULL)"


def iso_date_ok(x: str) -> str:
    return (
        f"coalesce({full_match(x, '[0-9]{4}-[0-9]{2}-[0-9]{2}')} AND NOT startswith({x}, '0000') "
        f"AND {iso_date(x)} IS NOT NULL, FALSE)"
    )


def iso_date(x: str) -> str:
    """The date ``x`` names, once its text has the shape ``yyyy-mm-dd``: a cast, which Spark
    parses about twice as fast as ``try_to_date`` with a pattern, and reads that shape the same
    way (a day the calendar lacks is NULL)."""
    return f"try_cast({x} AS DATE)"


def iso_datetime(x: str) -> str:
    """The timestamp ``x`` names, once its text has the shape of ``DATETIME_TEXT``: a cast,
    which reads the ``T`` or the space between date and time alike."""
    return f"try_cast({x} AS TIMESTAMP_NTZ)"


def type_ok_sql(f: SourceField, raw: str, is_text: bool) -> str:
    if not is_text:
        return f"(NOT isnan(CAST({raw} AS DOUBLE)))" if f.type == "number" else "TRUE"
    kind = f.type
    if kind == "string":
        return "TRUE"
    if kind in {"integer", "year"}:
        return full_match(raw, YEAR_TEXT if kind == "year" else INTEGER_TEXT)
    if kind == "number":
        return f"({full_match(raw, NUMBER_TEXT)} AND NOT isnan(try_cast({raw} AS DOUBLE)))"
    if kind == "boolean":
        return f"({raw} IN ({_in(TRUE_TEXT + FALSE_TEXT)}))"
    if kind == "date":
        return iso_date_ok(raw)
    return (
        f"({full_match(raw, DATETIME_TEXT)} AND NOT startswith({raw}, '0000') "
        f"AND {iso_datetime(raw)} IS NOT NULL)"
    )


def typed_sql(f: SourceField, raw: str, is_text: bool) -> str:
    if f.type == "boolean" and is_text:
        return f"({raw} IN ({_in(TRUE_TEXT)}))"
    if f.type == "datetime" and is_text:
        return iso_datetime(raw)
    if f.type == "date" and is_text:
        return iso_date(raw)
    return f"try_cast({raw} AS {SQL_TYPES[f.type]})"


def compact(value: str) -> str:
    out = value
    for char in WHITESPACE_CHARS:
        out = f"replace({out}, char({ord(char)}), '')"
    return out


def standard_sql(
    f: SourceField, t: str
) -> tuple[str, Callable[[str], str], Callable[[str, str], str]]:
    """A standard field's checks over its typed text ``t``, split into layers so each row
    normalises it once (as :func:`accord.engine.backends.duckdb_sql.standard_sql` does).

    Returns ``(pre, normal, valid)``: ``pre`` is an expression over ``t`` (the compact or
    stripped form); ``normal`` maps the column holding ``pre`` to the normalised value (NULL
    when a postcode is malformed; ``t`` itself for a code kept as given); ``valid`` maps the
    columns holding ``pre`` and the normalised value to a boolean, never NULL. Written as one
    expression, Spark repeats a whitespace removal inside each branch that reads it (the NHS
    number's up to twelve times a row, the postcode rebuilt for its check)."""
    s = f.standard
    if s == "NHS_NUMBER":
        return f"replace({t}, ' ', '')", lambda x: x, lambda x, n: nhs_number_valid(x)
    if s == "POSTCODE":

        def postcode(x: str) -> str:
            return (
                f"CASE WHEN {full_match(x, POSTCODE_COMPACT)} THEN "
                f"concat(upper(substr({x}, 1, length({x}) - 3)), ' ', upper(right({x}, 3))) END"
            )

        return compact(t), postcode, lambda x, n: f"({n} IS NOT NULL)"
    if s == "GSS_CODE":
        prefixes = _in(tuple(sorted(ENTITIES)))
        return (
            strip(t),
            lambda x: t,
            lambda x, n: (
                f"coalesce({full_match(x, '[ENSWensw][0-9]{8}')} "
                f"AND upper(substr({x}, 1, 3)) IN ({prefixes}), FALSE)"
            ),
        )
    if s == "ODS_CODE":
        return (
            strip(t),
            lambda x: t,
            lambda x, n: f"coalesce({full_match(x, ODS_FRAMES[None])}, FALSE)",
        )
    if s == "UPRN":
        return (
            strip(t),
            lambda x: t,
            lambda x, n: (
                f"coalesce({full_match(x, '[0-9]{1,12}')} AND NOT {full_match(x, '0+')}, FALSE)"
            ),
        )
    return t, lambda x: t, lambda x, n: iso_date_ok(x)


def nhs_number_valid(x: str) -> str:
    """TRUE when the compact NHS number ``x`` is ten digits whose mod-11 check digit matches,
    FALSE otherwise (never NULL).

    By arithmetic, as DuckDB does (:func:`accord.engine.backends.duckdb_sql.nhs_number_digits_sql`):
    the value read once as an integer, each digit taken by division, instead of ten
    ``substr``/``ascii`` calls (which cost more than the rest of the field's checks together).
    The arithmetic comes first in the ``AND``, unguarded (``try_cast`` gives NULL, never an
    error), so Spark computes the repeated cast once; the ten-digit match then refuses what
    the cast alone would read (a sign, a space, fewer digits)."""
    n = f"try_cast({x} AS BIGINT)"
    terms = " + ".join(f"(({n} div {10 ** (9 - i)}) % 10) * {w}" for i, w in enumerate(NHS_WEIGHTS))
    return (
        f"coalesce((11 - ({terms}) % 11) % 11 = {n} % 10 AND {full_match(x, '[0-9]{10}')}, FALSE)"
    )


# -- outputs -----------------------------------------------------------------------------------


def hmac_sql(value: str, pads: tuple[str, str]) -> str:
    """Hex HMAC-SHA256 of ``value`` (as UTF-8 text) under the key whose pads are the columns
    ``pads`` (inner, outer) of a joined key table: a pseudonym, or the person index's keyed
    hash (:func:`accord.engine.persons.hash_sql` is its DuckDB twin)."""
    inner, outer = pads
    message = f"encode(CAST({value} AS STRING), 'UTF-8')"
    return f"sha2(concat({outer}, unhex(sha2(concat({inner}, {message}), 256))), 256)"


def output_sql(col: OutputColumn, pads: tuple[str, str] | None = None) -> str:
    """The SELECT item for one extract column; a pseudonym is hex HMAC-SHA256 over the pads."""
    value = q(col.field)
    t = col.transform
    if isinstance(t, Pseudonymise):
        if pads is None:
            raise ValueError("a pseudonym column needs its key pads")
        expr = hmac_sql(value, pads)
    elif isinstance(t, AgeBand):
        age = age_sql(value, t.on)
        low = f"(({age}) div {t.width} * {t.width})"
        expr = (
            f"CASE WHEN ({age}) >= {TOP_BAND} THEN '{TOP_BAND}+' "
            f"ELSE concat(CAST({low} AS STRING), '-', CAST({low} + {t.width - 1} AS STRING)) END"
        )
    elif isinstance(t, PostcodeArea):
        expr = q(AREA_COLUMNS[AREA_LEVELS[t.level]])
    else:
        expr = value
    return f"{expr} AS {q(col.name)}"


STEPS = FieldSteps(missing_sql, type_ok_sql, typed_sql, standard_sql, "STRING")
"""This engine's steps of typing and checking a read field, for
:func:`accord.engine.backends.sql_dialect.layered_fields`."""
