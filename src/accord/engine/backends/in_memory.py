"""The reference backend: the plan run row by row in plain Python, written to be read.

Used by the spec and property tests at small scale; the DuckDB backend must give exactly what
this one gives. Logic is three-valued as in SQL: a comparison with a missing value is unknown,
and only rows whose filter is TRUE are routed.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from accord.engine import persons
from accord.engine import predicate as p
from accord.engine.backends.base import (
    EXCEPTIONS_SCHEMA,
    Backend,
    Counts,
    ExtractSink,
    FlowCounts,
    RunInputs,
    extract_schema,
)
from accord.engine.plan import (
    AREA_LEVELS,
    AgeBand,
    Check,
    CheckKind,
    FlowPlan,
    Plan,
    PostcodeArea,
    Pseudonymise,
    SourceField,
)
from accord.engine.pseudonym import pseudonym
from accord.engine.sources import ROW, arrow_kind, csv_batches
from accord.engine.transforms import age_band, age_on, value_text
from accord.errors import InputError
from accord.refdata import (
    validate_gss_code,
    validate_iso_date,
    validate_nhs_number,
    validate_ods_code,
    validate_postcode,
    validate_uprn,
)

INTEGER_TEXT = r"[+-]?[0-9]{1,18}"
YEAR_TEXT = r"[0-9]{4}"
NUMBER_TEXT = r"[+-]?[0-9]{1,15}(\.[0-9]{0,15})?([eE][+-]?[0-9]{1,2})?"
DATETIME_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
TRUE_TEXT = ("true", "True", "TRUE", "1")
FALSE_TEXT = ("false", "False", "FALSE", "0")


def _text_value(f: SourceField, raw: str) -> Any:
    """The typed value of a text cell, or raise ValueError when it does not parse."""
    kind = f.type
    if kind == "string":
        return raw
    if kind in {"integer", "year"}:
        if not re.fullmatch(YEAR_TEXT if kind == "year" else INTEGER_TEXT, raw):
            raise ValueError
        return int(raw)
    if kind == "number":
        if not re.fullmatch(NUMBER_TEXT, raw):
            raise ValueError
        return float(raw)
    if kind == "boolean":
        if raw in TRUE_TEXT:
            return True
        if raw in FALSE_TEXT:
            return False
        raise ValueError
    if kind == "date":
        try:
            return validate_iso_date(raw)
        except InputError:
            raise ValueError from None
    # datetime
    if not re.fullmatch(DATETIME_TEXT, raw) or raw.startswith("0000"):
        raise ValueError
    return datetime.strptime(raw.replace("T", " "), "%Y-%m-%d %H:%M:%S")


def _native_value(f: SourceField, raw: Any) -> Any:
    if f.type == "number":
        v = float(raw) if isinstance(raw, int | float | Decimal) else raw
        if v != v:  # NaN is not a number the engine routes on
            raise ValueError
        return v
    if f.type in {"integer", "year"}:
        return int(raw)
    return raw


def _standard(f: SourceField, value: str) -> str:
    """The normalised value, or raise InputError when the standard is not met."""
    s = f.standard
    if s == "NHS_NUMBER":
        return validate_nhs_number(value)
    if s == "POSTCODE":
        return validate_postcode(value)
    if s == "GSS_CODE":
        validate_gss_code(value)
    elif s == "ODS_CODE":
        validate_ods_code(value)
    elif s == "UPRN":
        validate_uprn(value)
    elif s == "DATE_ISO8601":
        validate_iso_date(value)
    return value


def _fails(check: Check, value: Any, missing: bool) -> bool:
    k, bound = check.kind, check.value
    if k is CheckKind.required:
        return missing
    if value is None:
        return False
    if k is CheckKind.pattern:
        return re.fullmatch(str(bound), value) is None
    if k is CheckKind.enum:
        return value not in bound  # type: ignore[operator]
    if k is CheckKind.min_length:
        return len(value) < bound  # type: ignore[operator]
    if k is CheckKind.max_length:
        return len(value) > bound  # type: ignore[operator]
    if k is CheckKind.minimum:
        return bool(value < bound)
    # maximum and not_after
    return bool(value > bound)


class Row:
    """One checked row: typed values by field, reasons, area codes, opt-out flags."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.values: dict[str, Any] = {}
        self.reasons: list[str] = []
        self.areas: dict[str, str | None] = {"lsoa21": None, "lad_code": None, "utla_code": None}
        self.opted: set[str] = set()


def check_row(
    plan: Plan,
    number: int,
    raw: dict[str, Any],
    opt_outs: dict[str, set[str]],
    geo: dict[str, dict[str, str | None]],
    person_key: bytes | None = None,
) -> Row:
    row = Row(number)
    missing: dict[str, bool] = {}
    for f in plan.source.fields:
        cell = raw[f.name]
        text = isinstance(cell, str)
        missing[f.name] = cell is None or (text and cell == "")
        value = None
        if not missing[f.name]:
            try:
                value = _text_value(f, cell) if text else _native_value(f, cell)
            except ValueError:
                row.reasons.append(f"type:{f.name}")
            else:
                if f.standard is not None:
                    try:
                        value = _standard(f, value)
                    except InputError:
                        row.reasons.append(f"standard:{f.name}")
                        value = None
        row.values[f.name] = value
    for c in plan.validate.checks:
        if _fails(c, row.values[c.field], missing[c.field]):
            row.reasons.append(c.reason)
    if plan.lookup is not None:
        code = row.values[plan.lookup.field]
        if code is not None:
            found = geo.get(code)
            if found is None:
                row.reasons.append(f"not_in_directory:{plan.lookup.field}")
            else:
                row.areas = found
    key = row.values.get(plan.person_key) if plan.person_key else None
    for kind, members in opt_outs.items():
        match = key
        if kind == persons.RIGHTS and key is not None:
            match = pseudonym(person_key or b"", value_text(key))
        if match is not None and match in members:
            row.opted.add(kind)
    return row


# -- predicates --------------------------------------------------------------------------------


def _operand(node: p.Operand, row: Row, fp: FlowPlan, on: date) -> Any:
    if isinstance(node, p.Literal):
        return node.value
    if isinstance(node, p.FieldRef):
        return row.values[node.name]
    if isinstance(node, p.RecipientRef):
        return fp.route.recipient.attr(node.attr)
    if node.func == "age":
        born = row.values[node.field]
        return None if born is None else age_on(born, on)
    return row.areas[{"utla": "utla_code", "lad": "lad_code", "lsoa": "lsoa21"}[node.func]]


_OPS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def evaluate(pred: p.Predicate, row: Row, fp: FlowPlan, on: date) -> bool | None:
    """Three-valued: True, False or None (unknown)."""
    if isinstance(pred, p.And):
        got = [evaluate(x, row, fp, on) for x in pred.items]
        return False if False in got else (None if None in got else True)
    if isinstance(pred, p.Or):
        got = [evaluate(x, row, fp, on) for x in pred.items]
        return True if True in got else (None if None in got else False)
    if isinstance(pred, p.Not):
        inner = evaluate(pred.item, row, fp, on)
        return None if inner is None else not inner
    if isinstance(pred, p.Truth):
        return _operand(pred.operand, row, fp, on)  # type: ignore[no-any-return]
    if isinstance(pred, p.Compare):
        a, b = _operand(pred.left, row, fp, on), _operand(pred.right, row, fp, on)
        if a is None or b is None:
            return None
        return bool(_OPS[pred.op](a, b))
    v = _operand(pred.operand, row, fp, on)
    if v is None:
        return None
    found = any(v == x.value for x in pred.values)
    return found != pred.negated


# -- the backend -------------------------------------------------------------------------------


def _read(plan: Plan, inputs: RunInputs) -> list[dict[str, Any]]:
    names = [f.name for f in plan.source.fields]
    source = inputs.source
    if source.format == "csv":
        table = csv_batches(source, names).read_all()
    else:
        table = pq.read_table(source.path, columns=names)
        rows = pa.array(range(1, table.num_rows + 1), pa.int64())
        table = table.add_column(0, ROW, rows)
        for name in names:
            if arrow_kind(source.arrow_type(name)) == "string" and not pa.types.is_string(
                table.schema.field(name).type
            ):
                table = table.set_column(
                    table.schema.get_field_index(name), name, table[name].cast(pa.string())
                )
    out: list[dict[str, Any]] = table.to_pylist()
    return out


class InMemoryBackend(Backend):
    name = "in_memory"

    def execute(self, plan: Plan, inputs: RunInputs, sink: ExtractSink) -> Counts:
        if inputs.rows is not None:
            raise AssertionError("the reference backend always reads the whole source")
        geo: dict[str, dict[str, str | None]] = {}
        if plan.lookup is not None and inputs.postcodes is not None:
            for r in inputs.postcodes.select(["postcode", *AREA_LEVELS.values()]).to_pylist():
                geo[r.pop("postcode")] = r
        members = {k: set(t.column("nhs_number").to_pylist()) for k, t in inputs.opt_outs.items()}

        outputs: dict[str, list[dict[str, Any]]] = {fp.flow_id: [] for fp in plan.flows}
        opted_per_flow: Counter[str] = Counter()
        exceptions: list[dict[str, Any]] = []
        by_reason: Counter[str] = Counter()
        tally: Counter[str] = Counter()
        raw_rows = _read(plan, inputs)
        routes: list[dict[str, Any]] = []  # per valid row: flows delivered to, opted out of
        for raw in raw_rows:
            row = check_row(plan, raw[ROW], raw, members, geo, inputs.keys.get(persons.KEY_ID))
            if not row.reasons:
                for held, reason in plan.held_reasons:
                    if evaluate(held.route.predicate, row, held, plan.effective_date) is True:
                        row.reasons.append(reason)
            if row.reasons:
                exceptions.append({"row_number": row.number, "reason": ";".join(row.reasons)})
                by_reason.update(row.reasons)
                tally["exception"] += 1
                continue
            delivered = opted = False
            to: list[int] = []
            removed: list[int] = []
            routes.append({ROW: row.number, "__flows": to, "__opted": removed})
            for i, fp in enumerate(plan.flows):
                if evaluate(fp.route.predicate, row, fp, plan.effective_date) is not True:
                    continue
                lists = fp.opt_outs.lists if fp.opt_outs else ()
                if any(k in row.opted for k in lists):
                    opted = True
                    opted_per_flow[fp.flow_id] += 1
                    removed.append(i)
                    continue
                delivered = True
                to.append(i)
                outputs[fp.flow_id].append(self._output(fp, row, inputs))
            tally["delivered" if delivered else "opted_out" if opted else "not_entitled"] += 1

        sink.write_exceptions(pa.Table.from_pylist(exceptions, EXCEPTIONS_SCHEMA).to_reader())
        write_routes = getattr(sink, "write_routes", None)
        if write_routes is not None and persons.KEY_ID in inputs.keys:  # the per-person index
            write_routes(pa.Table.from_pylist(routes, persons.ROUTES_SCHEMA).to_reader())
        for fp in plan.flows:
            table = pa.Table.from_pylist(outputs[fp.flow_id], extract_schema(fp))
            sink.write_extract(fp.flow_id, table.to_reader())
        return Counts(
            input_rows=len(raw_rows),
            exception_rows=tally["exception"],
            exceptions_by_reason=dict(sorted(by_reason.items())),
            opted_out_rows=tally["opted_out"],
            not_entitled_rows=tally["not_entitled"],
            delivered_rows=tally["delivered"],
            flows={
                fp.flow_id: FlowCounts(len(outputs[fp.flow_id]), opted_per_flow[fp.flow_id])
                for fp in plan.flows
            },
        )

    @staticmethod
    def _output(fp: FlowPlan, row: Row, inputs: RunInputs) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col in fp.outputs():
            value = row.values[col.field]
            t = col.transform
            if isinstance(t, Pseudonymise) and value is not None:
                value = pseudonym(inputs.keys[t.key_id], value_text(value))
            elif isinstance(t, AgeBand) and value is not None:
                value = age_band(age_on(value, t.on), t.width)
            elif isinstance(t, PostcodeArea):
                value = row.areas[AREA_LEVELS[t.level]]
            out[col.name] = value
        return out
