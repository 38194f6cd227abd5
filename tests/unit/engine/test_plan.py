"""The plan's nodes check themselves when built, so an invalid plan cannot exist; and what a
plan answers about itself (``src/accord/engine/plan.py``)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from accord.engine import compile_plan
from accord.engine import plan as n
from accord.engine import predicate as p
from accord.errors import AgreementInvalid
from accord.model import example_agreement
from accord.model.examples import example_counts_agreement

ON = date(2026, 3, 20)
TYPES = {"nhs_number": "string", "postcode": "string", "dob": "date", "age": "integer"}


def _route(text: str = 'postcode == "SE10 9AA"') -> n.Route:
    return n.Route(p.check(p.parse(text), TYPES), n.Recipient("gss:E09000011"))


def _flow(
    flow_id: str = "f1",
    fields: tuple[str, ...] = ("nhs_number", "dob"),
    transforms: tuple[n.TransformNode, ...] = (),
    **kw: Any,
) -> n.FlowPlan:
    return n.FlowPlan(
        flow_id=flow_id,
        route=kw.pop("route", _route()),
        opt_outs=kw.pop("opt_outs", None),
        project=n.Project(fields),
        transforms=transforms,
        write=n.Write("parquet"),
        field_types=tuple((f, TYPES[f]) for f in fields),
        **kw,
    )


def _plan(*flows: n.FlowPlan, **kw: Any) -> n.Plan:
    fields = (
        n.SourceField("nhs_number", "string", "NHS_NUMBER"),
        n.SourceField("postcode", "string", "POSTCODE"),
        n.SourceField("dob", "date"),
        n.SourceField("age", "integer"),
    )
    params: dict[str, Any] = {
        "agreement_id": "urn:accord:agreement:t",
        "agreement_version": "1.0.0",
        "agreement_hash": "sha256:" + "0" * 64,
        "effective_date": ON,
        "source": n.ReadSource(fields),
        "validate": n.ValidateRows(()),
        "lookup": None,
        "person_key": "nhs_number",
        "flows": flows or (_flow(),),
    }
    params.update(kw)
    return n.Plan(**params)


def _refused(build: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(AgreementInvalid) as err:
        build(*args, **kw)
    assert err.value.problems[0].where == "plan"
    return err.value.problems[0].reason


# -- names and source fields ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "Nhs", "1st", "a-b", "a b", "x" * 64])
def test_a_node_refuses_a_name_that_is_not_a_field_name(bad: str) -> None:
    assert _refused(n.SourceField, bad, "string") == "SourceField.name must be a field name"
    assert _refused(n.Check, bad, n.CheckKind.required) == "Check.field must be a field name"
    assert _refused(n.DropField, bad) == "DropField.field must be a field name"
    assert _refused(n.Project, ("ok", bad)) == "Project.fields must be a field name"


def test_the_longest_field_name_is_accepted() -> None:
    assert n.DropField("x" * 63).field == "x" * 63


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("a", "text"), "unknown schema type for a"),
        (("a", "string", "PHONE"), "standard of a is not checked by the engine"),
        (("a", "integer", "NHS_NUMBER"), "standard NHS_NUMBER needs a string field (a)"),
        (("a", "datetime", "DATE_ISO8601"), "standard DATE_ISO8601 needs a string field (a)"),
    ],
)
def test_a_source_field_refuses_a_type_or_standard_the_engine_cannot_check(
    args: tuple[str, ...], reason: str
) -> None:
    assert _refused(n.SourceField, *args) == reason


def test_a_date_may_carry_the_iso_date_standard() -> None:
    assert n.SourceField("d", "date", "DATE_ISO8601").standard == "DATE_ISO8601"


def test_read_source_needs_distinct_fields_and_answers_types() -> None:
    _refused(n.ReadSource, ())
    _refused(n.ReadSource, (n.SourceField("a", "string"), n.SourceField("a", "date")))
    read = n.ReadSource((n.SourceField("a", "string"), n.SourceField("b", "year")))
    assert read.type_of("b") == "year"
    assert _refused(read.field, "c") == "c is not read from the source"


# -- checks --------------------------------------------------------------------------------------

C = n.CheckKind


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (C.required, True),
        (C.pattern, 3),
        (C.pattern, "[unclosed"),
        (C.enum, ()),
        (C.enum, ["a"]),
        (C.enum, ("a", 1)),
        (C.min_length, -1),
        (C.max_length, True),
        (C.max_length, 2.0),
        (C.minimum, "1"),
        (C.maximum, None),
        (C.not_after, "2026-03-20"),
    ],
)
def test_a_check_refuses_a_value_of_the_wrong_kind(kind: n.CheckKind, value: Any) -> None:
    _refused(n.Check, "a", kind, value)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (C.required, None),
        (C.pattern, "^[0-9]+$"),
        (C.enum, ("a", "b")),
        (C.min_length, 0),
        (C.maximum, 2.5),
        (C.minimum, date(2020, 1, 1)),
        (C.not_after, ON),
    ],
)
def test_a_check_with_a_fitting_value_is_built_and_named_by_kind(
    kind: n.CheckKind, value: Any
) -> None:
    assert n.Check("ward", kind, value).reason == f"{kind.value}:ward"


# -- other nodes -------------------------------------------------------------------------------


def test_opt_outs_are_known_sorted_and_distinct_lists() -> None:
    assert n.RemoveOptOuts(("ndoo", "rights", "type1"), "nhs_number").lists[0] == "ndoo"
    for lists in [(), ("gp",), ("type1", "ndoo"), ("ndoo", "ndoo")]:
        _refused(n.RemoveOptOuts, lists, "nhs_number")


def test_recipient_is_scheme_and_code_and_answers_its_attributes() -> None:
    for bad in ["E09000011", ":E09000011", "gss:"]:
        assert _refused(n.Recipient, bad) == "recipient org_id must be scheme:code"
    r = n.Recipient("gss:E09000011")
    assert (r.scheme, r.code, r.attr("org_id"), r.attr("code")) == (
        "gss",
        "E09000011",
        "gss:E09000011",
        "E09000011",
    )
    assert (r.attr("gss"), r.attr("ods")) == ("E09000011", None)
    _refused(r.attr, "name")


def test_transform_nodes_refuse_what_they_cannot_do() -> None:
    _refused(n.Pseudonymise, "a", "")
    assert _refused(n.AgeBand, "a", 7, ON) == "age bands are 5 or 10 years wide"
    assert _refused(n.PostcodeArea, "a", "ward") == "unknown postcode level"
    assert _refused(n.Write, "xlsx") == "extracts are parquet or csv"
    assert _refused(n.Project, ()) == "a projection needs distinct fields"
    assert _refused(n.Project, ("a", "a")) == "a projection needs distinct fields"
    assert _refused(n.MeasureOf, "median", "age", "m") == "an unknown measure median of age"
    _refused(n.MeasureOf, "rate", "flag", "r")  # a rate needs its per
    _refused(n.MeasureOf, "sum", "age", "s", 100)  # only a rate has one
    assert n.MeasureOf("rate", "flag", "r", 1000).per == 1000


def test_count_by_refuses_too_many_repeated_or_reserved_columns() -> None:
    _refused(n.CountBy, (), "opensafely")
    _refused(n.CountBy, ("a", "b", "c", "d", "e"), "opensafely")
    _refused(n.CountBy, ("a", "a"), "opensafely")
    assert _refused(n.CountBy, ("count",), "opensafely") == (
        "count is a column of every aggregate table"
    )
    clash = n.MeasureOf("sum", "age", "partial")
    assert _refused(n.CountBy, ("a",), "opensafely", measures=(clash,)) == (
        "the measure partial clashes with the table's columns"
    )
    assert n.CountBy(("a", "b", "c", "d"), "opensafely").totals is True


# -- flow plans --------------------------------------------------------------------------------


def test_a_flow_plan_refuses_inconsistent_transforms_and_types() -> None:
    assert _refused(_flow, "") == "a flow plan needs an id"
    assert _refused(_flow, transforms=(n.DropField("postcode"),)) == (
        "transform of postcode outside the projection"
    )
    twice = (n.DropField("dob"), n.AgeBand("dob", 5, ON))
    assert _refused(_flow, transforms=twice) == "dob is transformed twice"
    assert _refused(_flow, transforms=(n.AgeBand("nhs_number", 5, ON),)) == (
        "age band of a non-date field nhs_number"
    )
    assert _refused(_flow, transforms=(n.PostcodeArea("dob", "lsoa"),)) == (
        "postcode area of a non-text field dob"
    )
    drop_all = (n.DropField("nhs_number"), n.DropField("dob"))
    assert _refused(_flow, transforms=drop_all) == "a flow must deliver at least one column"
    # none, too few, or as many but one of them not projected
    wrong = (("nhs_number", "string"), ("other", "string"))
    for types in [(), (("nhs_number", "string"),), wrong]:
        assert _refused(dataclasses.replace, _flow(), field_types=types) == (
            "every projected field needs a type"
        )


def test_outputs_follow_the_projection_after_the_transforms() -> None:
    fp = _flow(
        fields=("nhs_number", "dob", "age", "postcode"),
        transforms=(
            n.Pseudonymise("nhs_number", "k"),
            n.AgeBand("dob", 10, ON),
            n.DropField("age"),
        ),
    )
    assert [(c.name, c.field, c.type) for c in fp.outputs()] == [
        ("nhs_number", "nhs_number", "string"),
        ("dob", "dob", "string"),  # an age band is text
        ("postcode", "postcode", "string"),
    ]
    assert fp.outputs()[0].transform == n.Pseudonymise("nhs_number", "k")
    assert fp.outputs()[2].transform is None
    assert fp.delivered() == (
        ("nhs_number", "string"),
        ("dob", "string"),
        ("postcode", "string"),
    )


def test_an_aggregate_flow_delivers_its_groups_counts_and_measures() -> None:
    agg = n.CountBy(("dob",), "opensafely", measures=(n.MeasureOf("sum", "age", "total_age"),))
    fp = _flow(fields=("dob", "age"), transforms=(n.AgeBand("dob", 10, ON),), aggregate=agg)
    assert fp.delivered() == (
        ("dob", "string"),
        ("count", "integer"),
        ("suppressed", "boolean"),
        ("is_total", "boolean"),
        ("partial", "boolean"),
        ("total_age", "number"),
    )
    # Counts by a date (not banded) or a sum of text are refused.
    assert _refused(_flow, fields=("dob", "age"), aggregate=agg) == (
        "counts are by text columns the flow delivers, not dob"
    )
    of_text = n.CountBy(("dob",), "opensafely", measures=(n.MeasureOf("sum", "postcode", "s"),))
    assert _refused(
        _flow,
        fields=("dob", "postcode"),
        transforms=(n.AgeBand("dob", 10, ON),),
        aggregate=of_text,
    ) == ("a sum is of a integer or number column, not postcode")


# -- the plan ------------------------------------------------------------------------------------


def test_a_plan_needs_flows_with_distinct_ids() -> None:
    assert _refused(_plan, flows=()) == "a plan needs at least one flow"
    assert _refused(_plan, _flow("f1"), _flow("f1")) == "flow ids must be distinct"
    assert _refused(_plan, held=(_flow("f1"),)) == "flow ids must be distinct"
    assert [fp.flow_id for fp in _plan(_flow("f1"), _flow("f2")).flows] == ["f1", "f2"]


def test_a_plan_reads_every_field_it_uses() -> None:
    only_nhs = n.ReadSource((n.SourceField("nhs_number", "string"),))
    assert _refused(_plan, source=only_nhs) == "fields used but not read: dob, postcode"
    checked = n.ValidateRows((n.Check("ward", C.required),))
    assert _refused(_plan, validate=checked) == "fields used but not read: ward"


def test_opt_outs_must_match_on_the_person_key() -> None:
    opting = _flow(opt_outs=n.RemoveOptOuts(("ndoo",), "nhs_number"))
    assert _plan(opting).opt_out_lists == ("ndoo",)
    assert _refused(_plan, opting, person_key=None) == (
        "opt-outs must match on the plan's person key"
    )


def test_geography_needs_the_lookup_on_the_same_field() -> None:
    geo = _flow(route=_route("utla(postcode) == recipient.gss"))
    assert _refused(_plan, geo) == "flow f1 needs the postcode lookup"
    assert _plan(geo, lookup=n.PostcodeLookup("postcode", ON)).lookup is not None
    area = _flow(fields=("postcode",), transforms=(n.PostcodeArea("postcode", "lsoa"),))
    assert _refused(_plan, area) == "flow f1 needs the postcode lookup"
    assert _refused(_plan, area, lookup=n.PostcodeLookup("nhs_number", ON)) == (
        "postcode areas must use the looked-up field"
    )
    assert _refused(_plan, geo, lookup=n.PostcodeLookup("nhs_number", ON)) == (
        "geography functions must use the looked-up field"
    )


def test_key_column_is_the_delivered_person_key_and_none_for_counts() -> None:
    plan = compile_plan(example_agreement(), effective_date=ON)
    assert [plan.key_column(fp) for fp in plan.flows] == ["nhs_number", "nhs_number"]
    assert plan.flow("spl-e06000002") is plan.flows[1]
    with pytest.raises(KeyError):
        plan.flow("spl-nowhere")
    without = _plan(_flow(fields=("dob",)))
    assert without.key_column(without.flows[0]) is None
    agg = _flow(
        fields=("nhs_number", "dob"),
        transforms=(n.AgeBand("dob", 10, ON),),
        aggregate=n.CountBy(("dob",), "opensafely"),
    )
    assert _plan(agg).key_column(agg) is None  # counts identify no one, whatever is projected
    counts = compile_plan(example_counts_agreement("urn:accord:agreement:c"), effective_date=ON)
    assert [counts.key_column(fp) for fp in counts.flows] == [None, None]
    assert counts.flows[0].delivered()[0] == ("date_of_birth", "string")


def test_held_reasons_and_opt_out_lists_come_from_the_flows() -> None:
    held = (_flow("gone.0", fields=("dob",)), _flow("gone.1", fields=("dob",)))
    plan = _plan(
        _flow("a", opt_outs=n.RemoveOptOuts(("type1",), "nhs_number")),
        _flow("b", opt_outs=n.RemoveOptOuts(("ndoo", "type1"), "nhs_number")),
        _flow("c"),
        held=held,
    )
    assert plan.opt_out_lists == ("ndoo", "type1")
    assert plan.held_reasons == (
        (held[0], "recipient_not_in_existence:gone.0"),
        (held[1], "recipient_not_in_existence:gone.1"),
    )
    assert n.held_reason("x") == f"{n.HELD_REASON}:x"
    assert _plan().held_reasons == ()
