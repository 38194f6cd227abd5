"""SQL text for the DuckDB backend, built from plan nodes only.

Identifiers come from plan nodes whose names are checked (``^[a-z][a-z0-9_]*$``) and are always
double-quoted; literals come from the typed predicate tree or the plan and are rendered by
:func:`literal` (strings single-quoted with quotes doubled, numbers through ``int``/``float``,
dates in ISO form). Pseudonym keys are never rendered: they are bound as parameters.

Each builder mirrors a rule of the in-memory reference (``backends/in_memory.py``) exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime

from accord.engine import predicate as p
from accord.engine.backends.in_memory import (
    DATETIME_TEXT,
    FALSE_TEXT,
    INTEGER_TEXT,
    NUMBER_TEXT,
    TRUE_TEXT,
    YEAR_TEXT,
)
from accord.engine.plan import (
    AREA_LEVELS,
    AgeBand,
    Check,
    CheckKind,
    FlowPlan,
    OutputColumn,
    PostcodeArea,
    Pseudonymise,
    SourceField,
)
from accord.engine.transforms import TOP_BAND
from accord.refdata import (
    WHITESPACE_CLASS,
    gss_code_sql,
    iso_date_sql,
    nhs_number_normalise_sql,
    nhs_number_sql,
    ods_code_sql,
    postcode_normalise_sql,
    postcode_sql,
    quote_identifier,
    string_literal,
    uprn_sql,
)
from accord.refdata.nhs_number import WEIGHTS as NHS_WEIGHTS
from accord.refdata.postcode import COMPACT_PATTERN as POSTCODE_COMPACT

_SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "year": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}
AREA_COLUMNS = {"lsoa21": "__lsoa21", "lad_code": "__lad_code", "utla_code": "__utla_code"}
FUNC_AREA = {"utla": "utla_code", "lad": "lad_code", "lsoa": "lsoa21"}
WHITESPACE_CHARS = " \t\n\r"
if f"[{WHITESPACE_CHARS}]" != WHITESPACE_CLASS.encode().decode(
    "unicode_escape"
):  # pragma: no cover
    raise ImportError("postcode whitespace class changed; update WHITESPACE_CHARS")


def areas_used(flows: Sequence[FlowPlan]) -> set[str]:
    """The postcode-table area columns any row filter or transform of ``flows`` reads.

    The DuckDB backend joins only these (the others are NULL in its working tables, and no
    query reads them), so the hash table built from the postcode directory stays small.
    """
    used: set[str] = set()
    for fp in flows:
        for o in p.operands(fp.route.predicate):
            if isinstance(o, p.Call) and o.func in FUNC_AREA:
                used.add(FUNC_AREA[o.func])
        for c in fp.outputs():
            if isinstance(c.transform, PostcodeArea):
                used.add(AREA_LEVELS[c.transform.level])
    return used


def q(name: str) -> str:
    return quote_identifier(name)


def literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"CAST({int(value)} AS BIGINT)"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite literal")
        return f"CAST({float(value)!r} AS DOUBLE)"
    if isinstance(value, datetime):
        return f"TIMESTAMP {string_literal(value.isoformat(sep=' '))}"
    if isinstance(value, date):
        return f"DATE {string_literal(value.isoformat())}"
    if isinstance(value, str):
        return string_literal(value)
    raise TypeError(type(value).__name__)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(string_literal(v) for v in values)


# -- typing and checking a field ---------------------------------------------------------------


def missing_sql(raw: str, text: bool) -> str:
    return f"({raw} IS NULL OR {raw} = '')" if text else f"({raw} IS NULL)"


def type_ok_sql(f: SourceField, raw: str, text: bool) -> str:
    """TRUE when a present value has the field's type (NULL input: any; guarded by missing)."""
    if not text:
        return f"(NOT isnan(CAST({raw} AS DOUBLE)))" if f.type == "number" else "TRUE"
    kind = f.type
    if kind == "string":
        return "TRUE"
    if kind in {"integer", "year"}:
        pattern = YEAR_TEXT if kind == "year" else INTEGER_TEXT
        return f"regexp_full_match({raw}, {string_literal(pattern)})"
    if kind == "number":
        return f"regexp_full_match({raw}, {string_literal(NUMBER_TEXT)})"
    if kind == "boolean":
        return f"({raw} IN ({_in(TRUE_TEXT + FALSE_TEXT)}))"
    if kind == "date":
        return iso_date_sql(raw)
    return (
        f"(regexp_full_match({raw}, {string_literal(DATETIME_TEXT)}) "
        f"AND NOT starts_with({raw}, '0000') "
        f"AND try_strptime(replace({raw}, 'T', ' '), '%Y-%m-%d %H:%M:%S') IS NOT NULL)"
    )


def typed_sql(f: SourceField, raw: str, text: bool) -> str:
    """The typed value, assuming present and type-ok."""
    if f.type == "boolean" and text:
        return f"({raw} IN ({_in(TRUE_TEXT)}))"
    if f.type == "datetime" and text:
        return f"CAST(replace({raw}, 'T', ' ') AS TIMESTAMP)"
    return f"CAST({raw} AS {_SQL_TYPES[f.type]})"


def standard_ok_sql(f: SourceField, value: str) -> str:
    s = f.standard
    if s == "NHS_NUMBER":
        return nhs_number_sql(value)
    if s == "POSTCODE":
        return postcode_sql(value)
    if s == "GSS_CODE":
        return gss_code_sql(value)
    if s == "ODS_CODE":
        return ods_code_sql(value)
    if s == "UPRN":
        return uprn_sql(value)
    return iso_date_sql(value)


def normalised_sql(f: SourceField, value: str) -> str:
    if f.standard == "NHS_NUMBER":
        return nhs_number_normalise_sql(value)
    if f.standard == "POSTCODE":
        return postcode_normalise_sql(value)
    return value


def content_hash_sql(names: list[str]) -> tuple[str, str]:
    """Two 64-bit hashes of a source row's raw read columns (128 bits between them).

    The second hashes each value as text with a separator appended, in reverse column order,
    so a collision of one does not imply a collision of the other. Incremental runs match a
    row to the previous run's outcome on both.
    """
    cols = [q(n) for n in names]
    first = f"hash({', '.join(cols)})"
    second = f"hash({', '.join(f'CAST({c} AS VARCHAR) || chr(31)' for c in reversed(cols))})"
    return first, second


def compact_sql(value: str) -> str:
    """``value`` without the whitespace postcode normalisation strips (``WHITESPACE_CLASS``).

    Plain ``replace`` per character: the same result as the class ``regexp_replace``, at half
    the cost.
    """
    out = value
    for char in WHITESPACE_CHARS:
        out = f"replace({out}, chr({ord(char)}), '')"
    return out


def standard_sql(
    f: SourceField, value: str
) -> tuple[str, Callable[[str], str], Callable[[str], str]]:
    """A standard field's checks split into layers, so each row normalises it once.

    Returns ``(pre, normal, valid)``: ``pre`` is an expression over ``value`` (the compact
    form); ``normal`` maps the column holding ``pre`` to the normalised value (NULL when a
    postcode is malformed); ``valid`` maps the column holding that to a boolean equal to
    ``standard_ok_sql(f, value)``. The nested single-expression forms repeat the whitespace
    removal up to twelve times per row.
    """
    if f.standard == "POSTCODE":

        def postcode(x: str) -> str:
            return (
                f"CASE WHEN regexp_full_match({x}, {string_literal(POSTCODE_COMPACT)}) "
                f"THEN upper(substr({x}, 1, length({x}) - 3)) || ' ' || upper(right({x}, 3)) END"
            )

        return compact_sql(value), postcode, lambda n: f"({n} IS NOT NULL)"
    if f.standard == "NHS_NUMBER":
        return nhs_number_normalise_sql(value), lambda x: x, nhs_number_digits_sql
    return normalised_sql(f, value), lambda x: x, lambda n: standard_ok_sql(f, n)


def nhs_number_digits_sql(x: str) -> str:
    """:func:`accord.refdata.nhs_number_sql` over an already compact value, by arithmetic.

    After the ten-digit match the value is read once as an integer and each digit taken by
    division, instead of ten ``substr``/``ascii`` calls (DuckDB computes the repeated
    ``TRY_CAST`` once per row). Same truth table: TRUE iff ten digits with a matching mod-11
    check digit, FALSE otherwise (never NULL).
    """
    n = f"TRY_CAST({x} AS BIGINT)"
    terms = " + ".join(f"(({n} // {10 ** (9 - i)}) % 10) * {w}" for i, w in enumerate(NHS_WEIGHTS))
    return (
        f"coalesce(CASE WHEN regexp_full_match({x}, '[0-9]{{10}}') "
        f"THEN (11 - ({terms}) % 11) % 11 = {n} % 10 ELSE false END, false)"
    )


def check_fails_sql(c: Check, value: str, missing: str) -> str:
    k, bound = c.kind, c.value
    if k is CheckKind.required:
        return missing
    if k is CheckKind.pattern:
        test = f"NOT regexp_full_match({value}, {string_literal(str(bound))})"
    elif k is CheckKind.enum:
        test = f"{value} NOT IN ({_in(bound)})"  # type: ignore[arg-type]
    elif k is CheckKind.min_length:
        test = f"length({value}) < {int(bound)}"  # type: ignore[arg-type]
    elif k is CheckKind.max_length:
        test = f"length({value}) > {int(bound)}"  # type: ignore[arg-type]
    elif k is CheckKind.minimum:
        test = f"{value} < {literal(bound)}"
    else:  # maximum, not_after
        test = f"{value} > {literal(bound)}"
    return f"({value} IS NOT NULL AND {test})"


# -- predicates --------------------------------------------------------------------------------


def age_sql(value: str, on: date) -> str:
    return (
        f"({on.year} - year({value}) - CASE WHEN month({value}) > {on.month} OR "
        f"(month({value}) = {on.month} AND day({value}) > {on.day}) THEN 1 ELSE 0 END)"
    )


def operand_sql(node: p.Operand, on: date) -> str:
    if isinstance(node, p.Literal):
        return literal(node.value)
    if isinstance(node, p.FieldRef):
        return f"c.{q(node.name)}"
    if isinstance(node, p.RecipientRef):
        return f"r.{q('__r_' + node.attr)}"
    if node.func == "age":
        return age_sql(f"c.{q(node.field)}", on)
    return f"c.{q(AREA_COLUMNS[FUNC_AREA[node.func]])}"


_SQL_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def predicate_sql(pred: p.Predicate, on: date) -> str:
    if isinstance(pred, p.And):
        return "(" + " AND ".join(predicate_sql(x, on) for x in pred.items) + ")"
    if isinstance(pred, p.Or):
        return "(" + " OR ".join(predicate_sql(x, on) for x in pred.items) + ")"
    if isinstance(pred, p.Not):
        return f"(NOT {predicate_sql(pred.item, on)})"
    if isinstance(pred, p.Truth):
        return f"({operand_sql(pred.operand, on)})"
    if isinstance(pred, p.Compare):
        left, right = operand_sql(pred.left, on), operand_sql(pred.right, on)
        return f"({left} {_SQL_OPS[pred.op]} {right})"
    values = ", ".join(literal(v.value) for v in pred.values)
    op = "NOT IN" if pred.negated else "IN"
    return f"({operand_sql(pred.operand, on)} {op} ({values}))"


# -- outputs -----------------------------------------------------------------------------------


def output_sql(col: OutputColumn, pads: tuple[str, str] | None = None) -> str:
    """The SELECT item for one extract column.

    A pseudonym needs ``pads``: SQL expressions for ``K xor ipad`` and ``K xor opad`` (columns
    of a registered key table, never literals), and is HMAC-SHA256 in hex.
    """
    value = q(col.field)
    t = col.transform
    if isinstance(t, Pseudonymise):
        if pads is None:
            raise ValueError("a pseudonym column needs its key pads")
        inner, outer = pads
        text = f"encode(CAST({value} AS VARCHAR))"
        expr = f"sha256({outer} || unhex(sha256({inner} || {text})))"
    elif isinstance(t, AgeBand):
        age = age_sql(value, t.on)
        low = f"(({age}) // {t.width} * {t.width})"
        expr = (
            f"CASE WHEN ({age}) >= {TOP_BAND} THEN '{TOP_BAND}+' "
            f"ELSE CAST({low} AS VARCHAR) || '-' || CAST({low} + {t.width - 1} AS VARCHAR) END"
        )
    elif isinstance(t, PostcodeArea):
        expr = q(AREA_COLUMNS[AREA_LEVELS[t.level]])
    else:
        expr = value
    return f"{expr} AS {q(col.name)}"
