"""Agreement (+ the flows to run) -> :class:`~accord.engine.plan.Plan`.

The only engine module that reads agreement clauses. Everything the plan enforces comes from
here: the fields a flow may read and deliver, the per-row checks from each data item's Table
Schema and standard, the opt-out decision, the row filter, and the transforms (the flow's own,
then the data item's default transform for a projected field the flow does not transform).

Refusals happen here, before any row is read: a clause the engine cannot enforce raises
:class:`UnsupportedClause` (so does a flow labelled aggregate or anonymised that would deliver
a direct identifier or one row per person); a pseudonym shared across recipients without
agreed linkage, or confidential patient information without an opt-out decision, raises
:class:`NotPermitted`.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from accord.disclosure import custom
from accord.engine import plan as n
from accord.engine import predicate as p
from accord.errors import (
    AgreementInvalid,
    NotFound,
    NotPermitted,
    PredicateError,
    Problem,
    UnsupportedClause,
)
from accord.model import Agreement, Drop, Flow, Generalise, PostcodeTo, Pseudonymise
from accord.model.canonical import agreement_hash
from accord.model.enums import (
    AgeBand,
    DisclosureProfile,
    Identifiability,
    ItemTransform,
    KeyScope,
    Standard,
)
from accord.model.labels import label_problems
from accord.refdata.succession import successors

_CONSTRAINTS = {
    "required",
    "pattern",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
}
_BAND_WIDTH = {AgeBand.age_band_5y: 5, AgeBand.age_band_10y: 10}
_PSEUDONYMISABLE = {"string", "integer", "date", "year"}


def compile_plan(
    agreement: Agreement,
    *,
    effective_date: date,
    flows: list[str] | None = None,
    stored_hash: str | None = None,
    read_person_key: bool = False,
) -> n.Plan:
    """Compile the chosen flows (default: every flow in force on ``effective_date``).

    ``stored_hash`` is the hash the version was stored and signed under (its identity, which a
    version stored under an earlier hashing scheme keeps); without it, the document's hash.

    ``read_person_key`` keeps the person key (the NHS_NUMBER item) in the plan and reads it
    even when no flow delivers it or applies opt-outs: the per-person index and suppressions
    (:mod:`accord.engine.persons`) match on it.

    A flow whose recipient no longer exists on ``effective_date`` (a council abolished or
    recoded, :mod:`accord.refdata.succession`) delivers nothing: it is compiled against each
    successor's area into :attr:`Plan.held`, so the residents it would have reached are held as
    exceptions (``recipient_not_in_existence:<flow>``) until an amendment names the successors.
    """
    chosen = _choose_flows(agreement, flows, effective_date)
    _labels_hold(agreement, chosen)
    types = {d.name: str(d.table_schema.get("type", "string")) for d in agreement.data_items}
    person_key = _person_key(agreement)

    flow_plans: list[n.FlowPlan] = []
    held: list[n.FlowPlan] = []
    lookup_fields: set[str] = set()
    for flow in chosen:
        gone = successors(flow.recipient, on=effective_date)
        for i, s in enumerate(gone):
            moved = flow.model_copy(update={"recipient": s.new_org_id})
            fp = _flow_plan(agreement, moved, types, person_key, effective_date)
            fp = dataclasses.replace(
                fp,
                flow_id=flow.id if len(gone) == 1 else f"{flow.id}.{i}",
                opt_outs=None,
                transforms=(),  # a held flow only routes: nothing of it is written
                aggregate=None,
            )
            held.append(fp)
            lookup_fields |= _lookup_fields(fp)
        if gone:
            continue
        fp = _flow_plan(agreement, flow, types, person_key, effective_date)
        flow_plans.append(fp)
        lookup_fields |= _lookup_fields(fp)
    if not flow_plans:
        raise NotPermitted(
            "every flow in force delivers to a body that no longer exists",
            [Problem(f"flows.{fp.flow_id}.recipient", "not in existence") for fp in held],
        )
    if len(lookup_fields) > 1:
        raise UnsupportedClause(
            "the engine looks up one postcode field per run",
            [Problem("flows", f"postcode functions use {', '.join(sorted(lookup_fields))}")],
        )
    lookup = n.PostcodeLookup(next(iter(lookup_fields)), effective_date) if lookup_fields else None
    opting = any(fp.opt_outs is not None for fp in flow_plans)

    needed: set[str] = set()
    for fp in flow_plans:
        needed |= set(fp.project.fields) | p.fields_used(fp.route.predicate)
    for fp in held:
        needed |= p.fields_used(fp.route.predicate)
    needed |= lookup_fields
    if (opting or read_person_key) and person_key is not None:
        needed.add(person_key)
    ordered = [d for d in agreement.data_items if d.name in needed]
    source = n.ReadSource(tuple(_source_field(d.name, types, agreement) for d in ordered))

    checks: list[n.Check] = []
    for d in ordered:
        checks.extend(_checks(d.name, d.table_schema, required=d.name in lookup_fields))
    if opting and person_key is not None:
        checks.append(n.Check(person_key, n.CheckKind.required))
    for fp in flow_plans:
        for t in fp.transforms:
            if isinstance(t, n.AgeBand):
                checks.append(n.Check(t.field, n.CheckKind.not_after, effective_date))
    checks = list(dict.fromkeys(checks))

    return n.Plan(
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        agreement_hash=stored_hash or agreement_hash(agreement),
        effective_date=effective_date,
        source=source,
        validate=n.ValidateRows(tuple(checks)),
        lookup=lookup,
        person_key=person_key
        if opting or read_person_key
        else _delivered_key(person_key, flow_plans),
        flows=tuple(flow_plans),
        held=tuple(held),
    )


def _choose_flows(agreement: Agreement, wanted: list[str] | None, on: date) -> list[Flow]:
    if wanted is None:
        chosen = [f for f in agreement.flows if _in_force(f, on)]
        if not chosen:
            raise NotFound(
                "no flow of this agreement is in force on the run date",
                [Problem("flows", f"{len(agreement.flows)} flows, none in force")],
            )
        return chosen
    by_id = {f.id: f for f in agreement.flows}
    unknown = [w for w in wanted if w not in by_id]
    if unknown or not wanted:
        raise NotFound(
            "the agreement has no such flow",
            [Problem("flows", f"unknown: {', '.join(unknown) or '(none named)'}")],
        )
    closed = [w for w in wanted if not _in_force(by_id[w], on)]
    if closed:
        raise NotPermitted(
            "a flow is not in force on the run date",
            [Problem(f"flows.{w}", "outside its start/end") for w in closed],
        )
    return [by_id[w] for w in dict.fromkeys(wanted)]


def _labels_hold(agreement: Agreement, chosen: list[Flow]) -> None:
    """Refuse a flow labelled aggregate or anonymised that would deliver a direct identifier
    or one row per person (:func:`accord.model.labels.label_problems`): the engine cannot make
    the label true, and a label never switches protection off."""
    problems = [p for f in chosen for p in label_problems(f, agreement.data_items)]
    if problems:
        raise UnsupportedClause(
            "a flow labelled aggregate or anonymised would deliver person-level data",
            [Problem(f"flows.{p.flow}.projection.{p.field}", p.message) for p in problems],
        )
    rows = [
        f.id
        for f in chosen
        if f.identifiability is Identifiability.aggregate and f.aggregate is None
    ]
    if rows:
        raise UnsupportedClause(
            "a flow labelled aggregate leaves only through the aggregate stage "
            "(aggregate.group_by); the engine cannot make its rows aggregate",
            [Problem(f"flows.{f}.aggregate", "no aggregate stage") for f in rows],
        )


def _in_force(flow: Flow, on: date) -> bool:
    if flow.start is not None and on < flow.start.date():
        return False
    return not (flow.end is not None and on >= flow.end.date())


def _person_key(agreement: Agreement) -> str | None:
    keys = [d.name for d in agreement.data_items if d.standard is Standard.NHS_NUMBER]
    return keys[0] if keys else None


def _delivered_key(person_key: str | None, flows: list[n.FlowPlan]) -> str | None:
    """Keep the person key in the plan when some flow delivers it (deltas match on it)."""
    if person_key is None:
        return None
    return person_key if any(person_key in fp.project.fields for fp in flows) else None


def _source_field(name: str, types: dict[str, str], agreement: Agreement) -> n.SourceField:
    item = agreement.item(name)
    standard = item.standard.value if item.standard is not None else None
    if standard not in n.STANDARDS:
        standard = None
    if standard == "DATE_ISO8601" and types[name] == "date":
        standard = None  # the date type already checks the form
    if standard is not None and types[name] != "string":
        raise AgreementInvalid(
            "a data item's standard does not fit its type",
            [Problem(f"data_items.{name}", f"{standard} needs table_schema.type string")],
        )
    return n.SourceField(name, types[name], standard)


def _checks(name: str, schema: dict[str, Any], *, required: bool) -> list[n.Check]:
    constraints = schema.get("constraints") or {}
    unknown = sorted(set(constraints) - _CONSTRAINTS)
    if unknown:
        raise UnsupportedClause(
            "the engine cannot enforce a Table Schema constraint",
            [Problem(f"data_items.{name}.table_schema.constraints", f"{', '.join(unknown)}")],
        )
    kind = schema.get("type", "string")
    out: list[n.Check] = []
    if constraints.get("required") or required:
        out.append(n.Check(name, n.CheckKind.required))
    try:
        if "pattern" in constraints:
            _only(name, kind, {"string"}, "pattern")
            out.append(n.Check(name, n.CheckKind.pattern, str(constraints["pattern"])))
        if "enum" in constraints:
            _only(name, kind, {"string"}, "enum")
            out.append(n.Check(name, n.CheckKind.enum, tuple(str(v) for v in constraints["enum"])))
        for key, ck in (
            ("minLength", n.CheckKind.min_length),
            ("maxLength", n.CheckKind.max_length),
        ):
            if key in constraints:
                _only(name, kind, {"string"}, key)
                out.append(n.Check(name, ck, int(constraints[key])))
        for key, ck in (("minimum", n.CheckKind.minimum), ("maximum", n.CheckKind.maximum)):
            if key in constraints:
                _only(name, kind, {"integer", "number", "year", "date"}, key)
                raw = constraints[key]
                bound = date.fromisoformat(str(raw)) if kind == "date" else raw
                if isinstance(bound, bool) or not isinstance(bound, int | float | date):
                    raise ValueError(key)
                out.append(n.Check(name, ck, bound))
    except (TypeError, ValueError):
        raise AgreementInvalid(
            "a Table Schema constraint has a value of the wrong kind",
            [Problem(f"data_items.{name}.table_schema.constraints", "bad value")],
        ) from None
    return out


def _only(name: str, kind: str, kinds: set[str], constraint: str) -> None:
    if kind not in kinds:
        raise UnsupportedClause(
            "the engine cannot enforce a constraint on this type",
            [Problem(f"data_items.{name}.table_schema.constraints.{constraint}", f"type {kind}")],
        )


def _flow_plan(
    agreement: Agreement,
    flow: Flow,
    types: dict[str, str],
    person_key: str | None,
    on: date,
) -> n.FlowPlan:
    where = f"flows.{flow.id}"
    try:
        pred = p.check(p.parse(flow.row_filter), types)
    except PredicateError as exc:  # say which flow's filter it is
        raise PredicateError(
            f"{where}: {exc.message}",
            [Problem(f"{where}.{pr.where}", pr.reason) for pr in exc.problems],
        ) from None
    recipient = n.Recipient(flow.recipient)
    for o in p.operands(pred):
        if isinstance(o, p.RecipientRef) and recipient.attr(o.attr) is None:
            raise PredicateError(
                f"{where}: the recipient has no {o.attr} code",
                [Problem(f"{where}.row_filter:{o.pos}", f"recipient is {recipient.scheme}")],
            )

    transforms = _transforms(agreement, flow, types, on)
    decision = flow.opt_outs or agreement.opt_out_policy
    opt_outs: n.RemoveOptOuts | None = None
    if decision is None:
        if agreement.confidential_patient_information:
            raise NotPermitted(
                "confidential patient information needs a recorded opt-out decision",
                [Problem(f"{where}.opt_outs", "no decision on the flow or the agreement")],
            )
    else:
        kinds = tuple(
            k for k, on_ in (("ndoo", decision.apply_ndoo), ("type1", decision.apply_type1)) if on_
        )
        if kinds:
            if person_key is None:
                raise AgreementInvalid(
                    "opt-outs apply but no data item is an NHS number",
                    [Problem(f"{where}.opt_outs", "no NHS_NUMBER data item to match on")],
                )
            opt_outs = n.RemoveOptOuts(kinds, person_key)

    return n.FlowPlan(
        flow_id=flow.id,
        route=n.Route(pred, recipient),
        opt_outs=opt_outs,
        project=n.Project(tuple(flow.projection)),
        transforms=tuple(transforms),
        write=n.Write(flow.delivery_format.value),
        field_types=tuple((f, types[f]) for f in flow.projection),
        aggregate=_count_by(agreement, flow, transforms, types),
    )


def _count_by(
    agreement: Agreement, flow: Flow, transforms: list[n.TransformNode], types: dict[str, str]
) -> n.CountBy | None:
    """The aggregate stage of ``flow``: counts by text columns, under a packaged profile."""
    spec = flow.aggregate
    if spec is None:
        return None
    where = f"flows.{flow.id}.aggregate"
    by_field = {t.field: t for t in transforms}
    for name in spec.group_by:
        t = by_field.get(name)
        if isinstance(t, n.DropField):
            raise AgreementInvalid(
                "a flow cannot count by a field it drops", [Problem(f"{where}.group_by", name)]
            )
        if t is None and types[name] != "string":
            raise UnsupportedClause(
                "the aggregate stage counts by text, age bands and areas",
                [Problem(f"{where}.group_by", f"{name} is {types[name]}")],
            )
    measures = []
    for i, m in enumerate(spec.measures):
        wanted = ("boolean",) if m.kind == "rate" else ("integer", "number")
        if m.field in by_field or types[m.field] not in wanted:
            raise UnsupportedClause(
                f"a {m.kind} is of an untransformed {' or '.join(wanted)} field",
                [Problem(f"{where}.measures.{i}", f"{m.field} is {types[m.field]}")],
            )
        measures.append(n.MeasureOf(m.kind, m.field, m.column, m.per))
    chosen = spec.profile or agreement.disclosure_control_profile
    if spec.custom_profile is not None:
        c = spec.custom_profile
        figures = custom(
            suppress_at_or_below=c.suppress_at_or_below,
            round_to=c.round_to,
            zeros=c.zeros,
            totals=c.totals,
            citation=c.source,
            rounding=c.rounding,
        )
        return n.CountBy(tuple(spec.group_by), figures.id, spec.totals, figures, tuple(measures))
    if chosen is DisclosureProfile.none:
        chosen = DisclosureProfile.nhs_secondary_care  # the default for published aggregates
    if chosen is DisclosureProfile.custom:
        raise UnsupportedClause(
            "a custom disclosure profile needs its figures: state them in the flow's "
            "aggregate.custom_profile",
            [Problem(f"{where}.custom_profile", "missing")],
        )
    return n.CountBy(tuple(spec.group_by), chosen.value, spec.totals, None, tuple(measures))


def _transforms(
    agreement: Agreement, flow: Flow, types: dict[str, str], on: date
) -> list[n.TransformNode]:
    where = f"flows.{flow.id}"
    out: dict[str, n.TransformNode] = {}
    for i, t in enumerate(flow.transforms):
        here = f"{where}.transforms.{i}"
        if not isinstance(t, Pseudonymise | Generalise | PostcodeTo | Drop):
            raise UnsupportedClause(
                "small-number suppression applies to aggregate outputs, not record-level flows",
                [Problem(here, f"{t.op} is not enforced by the record-level engine")],
            )
        if t.field in out:
            raise UnsupportedClause(
                "the engine applies one transform per field",
                [Problem(here, f"{t.field} is already transformed")],
            )
        out[t.field] = _node(t, flow, types, here, on)
    for name in flow.projection:
        if name in out:
            continue
        item = agreement.item(name)
        here = f"data_items.{name}.transform"
        if item.transform is ItemTransform.drop:
            out[name] = n.DropField(name)
        elif item.transform is ItemTransform.pseudonymise:
            out[name] = _node(Pseudonymise(field=name), flow, types, here, on)
        elif item.transform is ItemTransform.generalise:
            if types[name] == "date":
                out[name] = _node(Generalise(field=name), flow, types, here, on)
            elif item.standard is Standard.POSTCODE:
                out[name] = _node(PostcodeTo(field=name, level="district"), flow, types, here, on)
            else:
                raise UnsupportedClause(
                    "the engine generalises dates and postcodes only",
                    [Problem(here, f"{name} is {types[name]}")],
                )
        elif item.transform is ItemTransform.derive:
            raise UnsupportedClause(
                "a derived data item needs a derivation the engine does not have",
                [Problem(here, "derive")],
            )
    return [out[name] for name in flow.projection if name in out]


def _node(
    t: Pseudonymise | Generalise | PostcodeTo | Drop,
    flow: Flow,
    types: dict[str, str],
    here: str,
    on: date,
) -> n.TransformNode:
    kind = types[t.field]
    if isinstance(t, Drop):
        return n.DropField(t.field)
    if isinstance(t, Generalise):
        if kind != "date":
            raise UnsupportedClause(
                "age bands are made from dates", [Problem(here, f"{t.field} is {kind}")]
            )
        return n.AgeBand(t.field, _BAND_WIDTH[t.to], on)
    if isinstance(t, PostcodeTo):
        if kind != "string":
            raise UnsupportedClause(
                "postcode areas are made from postcodes", [Problem(here, f"{t.field} is {kind}")]
            )
        return n.PostcodeArea(t.field, t.level.value)
    if kind not in _PSEUDONYMISABLE:
        raise UnsupportedClause(
            "the engine pseudonymises text, integers and dates only",
            [Problem(here, f"{t.field} is {kind}")],
        )
    if t.key_scope is KeyScope.recipient:
        return n.Pseudonymise(t.field, f"recipient:{flow.recipient}")
    if t.key_scope is KeyScope.agreement:
        if not flow.linkage_permitted:
            raise NotPermitted(
                "a pseudonym key shared across recipients needs agreed linkage",
                [Problem(here, "key_scope agreement but the flow permits no linkage")],
            )
        return n.Pseudonymise(t.field, "agreement")
    raise UnsupportedClause(
        "accord holds no key shared beyond one agreement",
        [Problem(here, "key_scope global")],
    )


def _lookup_fields(fp: n.FlowPlan) -> set[str]:
    fields = {
        o.field
        for o in p.operands(fp.route.predicate)
        if isinstance(o, p.Call) and o.func in p.GEOGRAPHY_FUNCTIONS
    }
    fields |= {t.field for t in fp.transforms if isinstance(t, n.PostcodeArea)}
    return fields
