"""The enforcement plan: small immutable nodes compiled from an agreement, run by a backend.

A :class:`Plan` is everything a backend needs and nothing else: which source fields to read and
how to check them, whether to look postcodes up, which opt-out lists to remove, and per flow the
route (a typed predicate bound to one recipient), the projected fields, the transforms and the
output format. Backends never see an agreement. Every node checks itself when it is built, so an
invalid plan cannot exist (ehrQL's query model does the same).

Order of a run, per flow::

    ReadSource -> ValidateRows -> RemoveOptOuts -> Route -> Project -> Transform... -> Write

and for an aggregate flow (:class:`CountBy`), ``... -> Transform... -> CountBy -> Write``: the
delivery layer counts the flow's rows and applies disclosure control before anything is
written, so its rows never reach the disk.

Secrets are not part of a plan: a :class:`Pseudonymise` names a ``key_id`` that the run resolves
to key bytes at execution time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from accord.disclosure import MAX_FIELDS, Profile
from accord.engine import predicate as p
from accord.errors import AgreementInvalid, Problem

SCHEMA_TYPES = frozenset({"string", "integer", "number", "boolean", "date", "datetime", "year"})
STANDARDS = frozenset({"NHS_NUMBER", "POSTCODE", "GSS_CODE", "ODS_CODE", "UPRN", "DATE_ISO8601"})
"""Standards checked per row; others (free text, SNOMED, phone) are not checked."""

OPT_OUT_KINDS = frozenset({"ndoo", "type1", "rights"})  # rights: engine/persons.py
AREA_LEVELS = {"lsoa": "lsoa21", "district": "lad_code", "upper_tier": "utla_code"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _invalid(reason: str) -> AgreementInvalid:
    """A plan node built from inconsistent inputs: the agreement cannot be enforced as written."""
    return AgreementInvalid(
        f"the enforcement plan is not valid: {reason}", [Problem("plan", reason)]
    )


def _name(value: str, what: str) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise _invalid(f"{what} must be a field name")


# -- reading and checking the source -----------------------------------------------------------


@dataclass(frozen=True)
class SourceField:
    """One column the run reads, with its Table Schema type and optional standard."""

    name: str
    type: str
    standard: str | None = None

    def __post_init__(self) -> None:
        _name(self.name, "SourceField.name")
        if self.type not in SCHEMA_TYPES:
            raise _invalid(f"unknown schema type for {self.name}")
        if self.standard is not None and self.standard not in STANDARDS:
            raise _invalid(f"standard of {self.name} is not checked by the engine")
        if self.standard is not None and self.type != "string":
            if not (self.standard == "DATE_ISO8601" and self.type == "date"):
                raise _invalid(f"standard {self.standard} needs a string field ({self.name})")


@dataclass(frozen=True)
class ReadSource:
    fields: tuple[SourceField, ...]

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if not names or len(set(names)) != len(names):
            raise _invalid("ReadSource needs distinct fields")

    def type_of(self, name: str) -> str:
        return self.field(name).type

    def field(self, name: str) -> SourceField:
        for f in self.fields:
            if f.name == name:
                return f
        raise _invalid(f"{name} is not read from the source")


class CheckKind(StrEnum):
    required = "required"
    pattern = "pattern"
    enum = "enum"
    min_length = "min_length"
    max_length = "max_length"
    minimum = "minimum"
    maximum = "maximum"
    not_after = "not_after"


@dataclass(frozen=True)
class Check:
    """One row check beyond type and standard (which every read field gets).

    A failing row goes to the exceptions file with the reason ``<kind>:<field>``.
    """

    field: str
    kind: CheckKind
    value: str | int | float | date | tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _name(self.field, "Check.field")
        kind, v = self.kind, self.value
        if kind is CheckKind.required and v is not None:
            raise _invalid("required takes no value")
        if kind is CheckKind.pattern:
            if not isinstance(v, str):
                raise _invalid("pattern must be text")
            try:
                re.compile(v)
            except re.error:
                raise _invalid(f"pattern of {self.field} is not a regular expression") from None
        if kind is CheckKind.enum and not (
            isinstance(v, tuple) and v and all(isinstance(x, str) for x in v)
        ):
            raise _invalid("enum must be a non-empty tuple of strings")
        if kind in {CheckKind.min_length, CheckKind.max_length} and not (
            isinstance(v, int) and not isinstance(v, bool) and v >= 0
        ):
            raise _invalid("a length bound must be a non-negative integer")
        if kind in {CheckKind.minimum, CheckKind.maximum} and not isinstance(v, int | float | date):
            raise _invalid("a bound must be a number or a date")
        if kind is CheckKind.not_after and not isinstance(v, date):
            raise _invalid("not_after takes a date")

    @property
    def reason(self) -> str:
        return f"{self.kind.value}:{self.field}"


@dataclass(frozen=True)
class ValidateRows:
    """Check every read field's type and standard, then these checks."""

    checks: tuple[Check, ...]


@dataclass(frozen=True)
class PostcodeLookup:
    """Join each row to the postcode directory in force on ``on``; a row whose postcode is not
    there is an exception (``not_in_directory:<field>``), never routed."""

    field: str
    on: date

    def __post_init__(self) -> None:
        _name(self.field, "PostcodeLookup.field")


@dataclass(frozen=True)
class RemoveOptOuts:
    """Remove people on these opt-out lists, matched on the person key field."""

    lists: tuple[str, ...]
    key_field: str

    def __post_init__(self) -> None:
        _name(self.key_field, "RemoveOptOuts.key_field")
        if not self.lists or not set(self.lists) <= OPT_OUT_KINDS:
            raise _invalid("opt-out lists must be ndoo, type1 and/or rights")
        if tuple(sorted(set(self.lists))) != self.lists:
            raise _invalid("opt-out lists must be sorted and distinct")


# -- per flow ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """The recipient party, with the attributes a row filter may compare against."""

    org_id: str

    def __post_init__(self) -> None:
        scheme, sep, code = self.org_id.partition(":")
        if not sep or not scheme or not code:
            raise _invalid("recipient org_id must be scheme:code")

    @property
    def scheme(self) -> str:
        return self.org_id.partition(":")[0]

    @property
    def code(self) -> str:
        return self.org_id.partition(":")[2]

    def attr(self, name: str) -> str | None:
        """``gss``/``ods`` are the code when the scheme matches, else None."""
        if name == "org_id":
            return self.org_id
        if name == "code":
            return self.code
        if name in {"gss", "ods"}:
            return self.code if self.scheme == name else None
        raise _invalid(f"recipient has no attribute {name}")


@dataclass(frozen=True)
class Route:
    """Rows for which ``predicate`` is TRUE (not false, not unknown) go to ``recipient``."""

    predicate: p.Predicate
    recipient: Recipient


@dataclass(frozen=True)
class Project:
    fields: tuple[str, ...]

    def __post_init__(self) -> None:
        for f in self.fields:
            _name(f, "Project.fields")
        if not self.fields or len(set(self.fields)) != len(self.fields):
            raise _invalid("a projection needs distinct fields")


@dataclass(frozen=True)
class Pseudonymise:
    """Replace the value with hex HMAC-SHA256 under the key the run resolves for ``key_id``."""

    field: str
    key_id: str

    def __post_init__(self) -> None:
        _name(self.field, "Pseudonymise.field")
        if not self.key_id:
            raise _invalid("a pseudonym needs a key id")


@dataclass(frozen=True)
class AgeBand:
    """Replace a date of birth with its age band on ``on`` (``35-39``; ``90+`` at the top)."""

    field: str
    width: int
    on: date

    def __post_init__(self) -> None:
        _name(self.field, "AgeBand.field")
        if self.width not in {5, 10}:
            raise _invalid("age bands are 5 or 10 years wide")


@dataclass(frozen=True)
class PostcodeArea:
    """Replace a postcode with its area code at ``level`` (from the postcode lookup)."""

    field: str
    level: str

    def __post_init__(self) -> None:
        _name(self.field, "PostcodeArea.field")
        if self.level not in AREA_LEVELS:
            raise _invalid("unknown postcode level")


@dataclass(frozen=True)
class DropField:
    field: str

    def __post_init__(self) -> None:
        _name(self.field, "DropField.field")


TransformNode = Pseudonymise | AgeBand | PostcodeArea | DropField
ValueTransform = Pseudonymise | AgeBand | PostcodeArea


@dataclass(frozen=True)
class OutputColumn:
    """One column of an extract: its name, the field it comes from and how (None = as is)."""

    name: str
    field: str
    transform: ValueTransform | None
    type: str


@dataclass(frozen=True)
class MeasureOf:
    """A measure of an aggregate table (``accord.disclosure.measures``): ``kind`` of ``field``,
    delivered as ``column``."""

    kind: str
    field: str
    column: str
    per: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("sum", "mean", "rate") or (self.kind == "rate") != bool(self.per):
            raise _invalid(f"an unknown measure {self.kind} of {self.field}")
        _name(self.field, "MeasureOf.field")
        _name(self.column, "MeasureOf.column")


@dataclass(frozen=True)
class CountBy:
    """The aggregate output stage: the flow's rows leave only as counts by ``group_by`` (one to
    four of its text columns, after the transforms), disclosure-controlled under ``profile``
    (``accord.disclosure``), with the table's totals when ``totals``."""

    group_by: tuple[str, ...]
    profile: str
    totals: bool = True
    figures: Profile | None = None  # a custom profile's own figures; else packaged ``profile``
    measures: tuple[MeasureOf, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= len(self.group_by) <= MAX_FIELDS or len(set(self.group_by)) != len(
            self.group_by
        ):
            raise _invalid(f"counts are by one to {MAX_FIELDS} distinct columns")
        for name in self.group_by:
            _name(name, "CountBy.group_by")
            if name in AGGREGATE_COLUMNS:
                raise _invalid(f"{name} is a column of every aggregate table")
        for m in self.measures:
            if m.field in self.group_by or m.column in (*AGGREGATE_COLUMNS, *self.group_by):
                raise _invalid(f"the measure {m.column} clashes with the table's columns")


AGGREGATE_COLUMNS = ("count", "suppressed", "is_total", "partial")
"""The columns an aggregate table adds to its group-by columns (see ``engine/aggregate.py``)."""


@dataclass(frozen=True)
class Write:
    format: str

    def __post_init__(self) -> None:
        if self.format not in {"parquet", "csv"}:
            raise _invalid("extracts are parquet or csv")


@dataclass(frozen=True)
class FlowPlan:
    flow_id: str
    route: Route
    opt_outs: RemoveOptOuts | None
    project: Project
    transforms: tuple[TransformNode, ...]
    write: Write
    field_types: tuple[tuple[str, str], ...] = field(repr=False, default=())
    aggregate: CountBy | None = None

    def __post_init__(self) -> None:
        if not self.flow_id:
            raise _invalid("a flow plan needs an id")
        if self.aggregate is not None:
            kinds = {c.name: c.type for c in self.outputs()}
            for name in self.aggregate.group_by:
                if kinds.get(name) != "string":
                    raise _invalid(f"counts are by text columns the flow delivers, not {name}")
            for m in self.aggregate.measures:
                wanted = ("boolean",) if m.kind == "rate" else ("integer", "number")
                if kinds.get(m.field) not in wanted:
                    raise _invalid(
                        f"a {m.kind} is of a {' or '.join(wanted)} column, not {m.field}"
                    )
        seen: set[str] = set()
        for t in self.transforms:
            if t.field not in self.project.fields:
                raise _invalid(f"transform of {t.field} outside the projection")
            if t.field in seen:
                raise _invalid(f"{t.field} is transformed twice")
            seen.add(t.field)
        types = dict(self.field_types)
        if not set(self.project.fields) <= set(types):
            raise _invalid("every projected field needs a type")
        for t in self.transforms:
            if isinstance(t, AgeBand) and types[t.field] != "date":
                raise _invalid(f"age band of a non-date field {t.field}")
            if isinstance(t, PostcodeArea) and types[t.field] != "string":
                raise _invalid(f"postcode area of a non-text field {t.field}")
        if not self.outputs():
            raise _invalid("a flow must deliver at least one column")

    def outputs(self) -> tuple[OutputColumn, ...]:
        """The extract's columns, in projection order, after the transforms."""
        types = dict(self.field_types)
        by_field = {t.field: t for t in self.transforms}
        cols = []
        for name in self.project.fields:
            t = by_field.get(name)
            if isinstance(t, DropField):
                continue
            kind = types[name] if t is None else "string"
            cols.append(OutputColumn(name, name, t, kind))
        return tuple(cols)

    def delivered(self) -> tuple[tuple[str, str], ...]:
        """The delivered table's columns (name, type): the extract's, or for an aggregate flow
        its group-by columns and the columns of :data:`AGGREGATE_COLUMNS`."""
        if self.aggregate is None:
            return tuple((c.name, c.type) for c in self.outputs())
        return (
            *((g, "string") for g in self.aggregate.group_by),
            ("count", "integer"),
            ("suppressed", "boolean"),
            ("is_total", "boolean"),
            ("partial", "boolean"),
            *((m.column, "number") for m in self.aggregate.measures),
        )


@dataclass(frozen=True)
class Plan:
    agreement_id: str
    agreement_version: str
    agreement_hash: str
    effective_date: date
    source: ReadSource
    validate: ValidateRows
    lookup: PostcodeLookup | None
    person_key: str | None
    flows: tuple[FlowPlan, ...]
    held: tuple[FlowPlan, ...] = ()
    """Flows whose recipient no longer exists on the effective date, routed to the successor's
    area: a row one of them matches is an exception with :func:`held_reason`, never delivered."""

    def __post_init__(self) -> None:
        if not self.flows:
            raise _invalid("a plan needs at least one flow")
        ids = [f.flow_id for f in (*self.flows, *self.held)]
        if len(set(ids)) != len(ids):
            raise _invalid("flow ids must be distinct")
        read = {f.name for f in self.source.fields}
        needed = {c.field for c in self.validate.checks}
        for fp in (*self.flows, *self.held):
            needed |= p.fields_used(fp.route.predicate)
            if fp not in self.held:
                needed |= set(fp.project.fields)
            if fp.opt_outs is not None:
                needed.add(fp.opt_outs.key_field)
                if fp.opt_outs.key_field != self.person_key:
                    raise _invalid("opt-outs must match on the plan's person key")
            geo = any(
                isinstance(o, p.Call) and o.func in p.GEOGRAPHY_FUNCTIONS
                for o in p.operands(fp.route.predicate)
            ) or any(isinstance(t, PostcodeArea) for t in fp.transforms)
            if geo and self.lookup is None:
                raise _invalid(f"flow {fp.flow_id} needs the postcode lookup")
            for o in p.operands(fp.route.predicate):
                if isinstance(o, p.Call) and o.func in p.GEOGRAPHY_FUNCTIONS:
                    if self.lookup is None or o.field != self.lookup.field:
                        raise _invalid("geography functions must use the looked-up field")
            for t in fp.transforms:
                if isinstance(t, PostcodeArea) and (
                    self.lookup is None or t.field != self.lookup.field
                ):
                    raise _invalid("postcode areas must use the looked-up field")
        if self.lookup is not None:
            needed.add(self.lookup.field)
        if self.person_key is not None:
            needed.add(self.person_key)
        missing = needed - read
        if missing:
            raise _invalid(f"fields used but not read: {', '.join(sorted(missing))}")

    @property
    def held_reasons(self) -> tuple[tuple[FlowPlan, str], ...]:
        return tuple((fp, held_reason(fp.flow_id)) for fp in self.held)

    @property
    def opt_out_lists(self) -> tuple[str, ...]:
        kinds = {k for fp in self.flows if fp.opt_outs for k in fp.opt_outs.lists}
        return tuple(sorted(kinds))

    def flow(self, flow_id: str) -> FlowPlan:
        for fp in self.flows:
            if fp.flow_id == flow_id:
                return fp
        raise KeyError(flow_id)

    def key_column(self, fp: FlowPlan) -> str | None:
        """The extract column that identifies a person (for deltas), if the flow delivers one."""
        if fp.aggregate is not None:
            return None  # counts identify no one
        for col in fp.outputs():
            if col.field == self.person_key:
                return col.name
        return None


HELD_REASON = "recipient_not_in_existence"


def held_reason(flow_id: str) -> str:
    """The exception reason of a row held back from a flow whose recipient no longer exists."""
    return f"{HELD_REASON}:{flow_id}"
