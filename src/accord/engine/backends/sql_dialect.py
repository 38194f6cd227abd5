"""The SQL both SQL engines share: checks and row filters, built once over a dialect.

DuckDB and Spark SQL differ in how they quote an identifier and a string, match a regular
expression against the whole of a value, and write a timestamp literal. Given those four (a
:class:`Dialect`), the SQL of a check's failure, of a person's age on a date and of a row filter is
the same text for both, built here from the plan's typed nodes; each backend's SQL module
(``duckdb_sql.py``, ``spark_sql.py``) holds its dialect and only what really differs (typing,
the standard checks, content hashes).

Identifiers come from checked plan names; literals from the typed predicate tree or the plan,
rendered by :meth:`Dialect.literal`. Each builder mirrors a rule of the in-memory reference
(``backends/in_memory.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from accord.engine import predicate as p
from accord.engine.plan import Check, CheckKind, SourceField
from accord.engine.sources import ROW

AREA_COLUMNS = {"lsoa21": "__lsoa21", "lad_code": "__lad_code", "utla_code": "__utla_code"}
"""The working-table column holding each postcode-table area a filter or transform reads."""
FUNC_AREA = {"utla": "utla_code", "lad": "lad_code", "lsoa": "lsoa21"}
"""The area each row-filter function (``utla(postcode)``...) reads."""
_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def age_sql(value: str, on: date) -> str:
    """Whole years from the date ``value`` to ``on`` (the same in both dialects)."""
    return (
        f"({on.year} - year({value}) - CASE WHEN month({value}) > {on.month} OR "
        f"(month({value}) = {on.month} AND day({value}) > {on.day}) THEN 1 ELSE 0 END)"
    )


@dataclass(frozen=True)
class Dialect:
    """How one SQL engine writes what the shared builders need."""

    name: str
    q: Callable[[str], str]
    """An identifier, quoted."""
    text: Callable[[str], str]
    """A string literal, quoted and escaped."""
    full_match: Callable[[str, str], str]
    """``full_match(value, pattern)``: TRUE when the whole value matches (NULL for NULL)."""
    timestamp: Callable[[str], str]
    """A timestamp literal from its ISO text (``YYYY-MM-DD HH:MM:SS``)."""

    def literal(self, value: object) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return f"CAST({int(value)} AS BIGINT)"
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError("non-finite literal")
            return f"CAST({float(value)!r} AS DOUBLE)"
        if isinstance(value, datetime):
            return self.timestamp(value.isoformat(sep=" "))
        if isinstance(value, date):
            return f"DATE {self.text(value.isoformat())}"
        if isinstance(value, str):
            return self.text(value)
        raise TypeError(type(value).__name__)

    def in_list(self, values: tuple[str, ...]) -> str:
        return ", ".join(self.text(v) for v in values)

    def check_fails(self, c: Check, value: str, missing: str) -> str:
        """TRUE when the typed ``value`` fails check ``c`` (``missing``: the field's
        missing test, which is what a ``required`` check fails on)."""
        k, bound = c.kind, c.value
        if k is CheckKind.required:
            return missing
        if k is CheckKind.pattern:
            test = f"NOT {self.full_match(value, str(bound))}"
        elif k is CheckKind.enum:
            test = f"{value} NOT IN ({self.in_list(bound)})"  # type: ignore[arg-type]
        elif k is CheckKind.min_length:
            test = f"length({value}) < {int(bound)}"  # type: ignore[arg-type]
        elif k is CheckKind.max_length:
            test = f"length({value}) > {int(bound)}"  # type: ignore[arg-type]
        elif k is CheckKind.minimum:
            test = f"{value} < {self.literal(bound)}"
        else:  # maximum, not_after
            test = f"{value} > {self.literal(bound)}"
        return f"({value} IS NOT NULL AND {test})"

    def operand(
        self, node: p.Operand, on: date, recipient: dict[str, str | None] | None = None
    ) -> str:
        """``recipient``: the attribute values of a fixed recipient, else the joined ``r`` row."""
        if isinstance(node, p.Literal):
            return self.literal(node.value)
        if isinstance(node, p.FieldRef):
            return f"c.{self.q(node.name)}"
        if isinstance(node, p.RecipientRef):
            if recipient is None:
                return f"r.{self.q('__r_' + node.attr)}"
            value = recipient[node.attr]
            return "CAST(NULL AS STRING)" if value is None else self.text(value)
        if node.func == "age":
            return age_sql(f"c.{self.q(node.field)}", on)
        return f"c.{self.q(AREA_COLUMNS[FUNC_AREA[node.func]])}"

    def predicate(
        self, pred: p.Predicate, on: date, recipient: dict[str, str | None] | None = None
    ) -> str:
        """A row filter as a boolean over the working row ``c`` (and recipient ``r``), with
        SQL's three-valued logic, as the reference evaluates it."""

        def go(x: p.Predicate) -> str:
            return self.predicate(x, on, recipient)

        def operand(x: p.Operand) -> str:
            return self.operand(x, on, recipient)

        if isinstance(pred, p.And):
            return "(" + " AND ".join(go(x) for x in pred.items) + ")"
        if isinstance(pred, p.Or):
            return "(" + " OR ".join(go(x) for x in pred.items) + ")"
        if isinstance(pred, p.Not):
            return f"(NOT {go(pred.item)})"
        if isinstance(pred, p.Truth):
            return f"({operand(pred.operand)})"
        if isinstance(pred, p.Compare):
            return f"({operand(pred.left)} {_OPS[pred.op]} {operand(pred.right)})"
        values = ", ".join(self.literal(v.value) for v in pred.values)
        op = "NOT IN" if pred.negated else "IN"
        return f"({operand(pred.operand)} {op} ({values}))"


Valid = Callable[[str, str], str]
Standard = Callable[[SourceField, str], tuple[str, Callable[[str], str], Valid]]
"""A standard field's steps over its typed value: ``(pre, normal, valid)``, where ``normal``
maps the column holding ``pre`` to the normalised value and ``valid`` the columns holding
``pre`` and the normalised value to a boolean, never NULL."""


@dataclass(frozen=True)
class FieldSteps:
    """An engine's SQL for each step of typing and checking one read field (its SQL module's
    functions; ``text_type`` is its name for a string column)."""

    missing: Callable[[str, bool], str]
    type_ok: Callable[[SourceField, str, bool], str]
    typed: Callable[[SourceField, str, bool], str]
    standard: Standard
    text_type: str


def layered_fields(
    fields: tuple[SourceField, ...] | list[SourceField],
    kinds: dict[str, str],
    steps: FieldSteps,
    q: Callable[[str], str],
    source: str,
    first: list[tuple[str, str]] = [],  # noqa: B006 (read only)
) -> str:
    """One nested ``SELECT`` over ``source`` that types, checks and normalises every read
    field, one layer per step, so each row computes each step once and later steps read its
    column: (0) missing? type ok? (1) the typed value, (2) a standard field's compact form, (3)
    its normalised form, (4) its validity, (5) the final values (NULL where invalid), whether
    each was missing (``__m_<field>``) and the reasons so far (``__r0``). ``kinds`` maps each
    field to its source column's kind (:func:`accord.engine.sources.arrow_kind`); ``first``
    holds expressions over the source, each with its name, computed in layer 0 and carried on.

    Written as one expression per column, a value's type check, normalisation and standard
    check would each be repeated wherever it is used (the date parsed three times, the
    postcode rebuilt twice, the NHS number's whitespace removal up to twelve times a row)."""
    carry = [ROW, *(name for _, name in first)]
    layers: list[list[str]] = [[ROW, *(f"{e} AS {name}" for e, name in first)]]
    layers += [list(carry) for _ in range(5)]
    reasons: list[str] = []
    for f in fields:
        kind = kinds[f.name]
        is_text = kind in {"string", "null"}
        raw = q(f.name)
        read = f"CAST({raw} AS {steps.text_type})" if kind == "null" else raw
        m, ok, t = (q(f"__{k}_{f.name}") for k in ("m", "ok", "t"))
        layers[0] += [
            f"{read} AS {raw}",
            f"{steps.missing(read, is_text)} AS {m}",
            f"coalesce({steps.type_ok(f, read, is_text)}, FALSE) AS {ok}",
        ]
        layers[1] += [
            m,
            ok,
            f"CASE WHEN NOT {m} AND {ok} THEN {steps.typed(f, raw, is_text)} END AS {t}",
        ]
        for layer in layers[2:5]:
            layer += [m, ok, t]
        reasons.append(f"CASE WHEN NOT {m} AND NOT {ok} THEN 'type:{f.name}' END")
        if f.standard is not None:
            x, n, ok_std = (q(f"__{k}_{f.name}") for k in ("x", "n", "s"))
            pre, normal, valid = steps.standard(f, t)
            layers[2].append(f"{pre} AS {x}")
            layers[3] += [x, f"{normal(x)} AS {n}"]
            layers[4] += [n, f"{valid(x, n)} AS {ok_std}"]
            reasons.append(
                f"CASE WHEN {t} IS NOT NULL AND NOT {ok_std} THEN 'standard:{f.name}' END"
            )
            value = f"CASE WHEN {ok_std} THEN {n} END"
        else:
            value = t
        layers[5] += [f"{value} AS {q(f.name)}", m]
    layers[5].append(f"concat_ws(';', {', '.join(reasons)}) AS __r0")
    values = source
    for i, layer in enumerate(layers):
        values = f"(SELECT {', '.join(layer)} FROM {values} s{i})"
    return values
