"""``compile_plan``: what an agreement's clauses become in the enforcement plan, and what it
refuses before a row is read (``src/accord/engine/compile.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from accord.engine import compile_plan
from accord.engine import plan as n
from accord.errors import AgreementInvalid, NotFound, NotPermitted, UnsupportedClause
from accord.model import Agreement, example_agreement, example_document
from accord.model.canonical import agreement_hash

ON = date(2026, 3, 20)
GREENWICH, MIDDLESBROUGH = "spl-e09000011", "spl-e06000002"


def _agreement(*items: dict[str, Any], **flow: Any) -> Agreement:
    """The example agreement with extra data items and ``flow`` merged into every flow."""
    doc = example_document()
    doc["data_items"].extend(items)
    doc["flows"] = [{**f, **flow} for f in doc["flows"]]
    return Agreement.model_validate(doc)


def _item(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "classification": "non_personal", "justification": "test", **extra}


def _where(err: pytest.ExceptionInfo[Any]) -> list[str]:
    return [p.where for p in err.value.problems]


# -- the example agreement -----------------------------------------------------------------------


def test_the_example_compiles_to_its_two_routed_flows() -> None:
    plan = compile_plan(example_agreement(), effective_date=ON)
    assert [fp.flow_id for fp in plan.flows] == [GREENWICH, MIDDLESBROUGH]
    assert [fp.route.recipient.org_id for fp in plan.flows] == ["gss:E09000011", "gss:E06000002"]
    assert plan.held == ()
    # Read in data item order, only what a flow projects or routes on (never the diagnosis);
    # standards the engine checks are kept, a date's ISO form is left to its type.
    assert [(f.name, f.type, f.standard) for f in plan.source.fields] == [
        ("nhs_number", "string", "NHS_NUMBER"),
        ("given_name", "string", None),
        ("family_name", "string", None),
        ("date_of_birth", "date", None),
        ("postcode", "string", "POSTCODE"),
        ("phone", "string", None),
    ]
    assert plan.lookup == n.PostcodeLookup("postcode", ON)
    assert plan.validate.checks == (n.Check("postcode", n.CheckKind.required),)
    assert plan.person_key == "nhs_number"  # delivered, so deltas match on it
    assert all(fp.opt_outs is None and fp.transforms == () for fp in plan.flows)
    assert plan.effective_date == ON


def test_the_plan_carries_the_document_hash_or_the_stored_one() -> None:
    a = example_agreement()
    assert compile_plan(a, effective_date=ON).agreement_hash == agreement_hash(a)
    stored = compile_plan(a, effective_date=ON, stored_hash="sha256:" + "0" * 64)
    assert stored.agreement_hash == "sha256:" + "0" * 64
    assert (stored.agreement_id, stored.agreement_version) == (a.id, a.version)


# -- which flows -------------------------------------------------------------------------------


def _dated() -> Agreement:
    doc = example_document()
    doc["flows"][1] = {
        **doc["flows"][1],
        "start": "2026-03-20T00:00:00+00:00",
        "end": "2026-04-01T00:00:00+00:00",
    }
    return Agreement.model_validate(doc)


def test_flows_in_force_on_the_date_are_chosen_start_inclusive_end_exclusive() -> None:
    a = _dated()
    ids = {
        d: [fp.flow_id for fp in compile_plan(a, effective_date=d).flows]
        for d in (date(2026, 3, 19), date(2026, 3, 20), date(2026, 3, 31), date(2026, 4, 1))
    }
    assert ids == {
        date(2026, 3, 19): [GREENWICH],
        date(2026, 3, 20): [GREENWICH, MIDDLESBROUGH],
        date(2026, 3, 31): [GREENWICH, MIDDLESBROUGH],
        date(2026, 4, 1): [GREENWICH],
    }


def test_no_flow_in_force_is_not_found() -> None:
    doc = example_document()
    doc["flows"] = [{**f, "end": "2026-03-01T00:00:00+00:00"} for f in doc["flows"]]
    with pytest.raises(NotFound):
        compile_plan(Agreement.model_validate(doc), effective_date=ON)


def test_flows_named_are_compiled_once_each_in_the_order_named() -> None:
    plan = compile_plan(
        example_agreement(), effective_date=ON, flows=[MIDDLESBROUGH, GREENWICH, MIDDLESBROUGH]
    )
    assert [fp.flow_id for fp in plan.flows] == [MIDDLESBROUGH, GREENWICH]
    only = compile_plan(example_agreement(), effective_date=ON, flows=[GREENWICH])
    assert [fp.flow_id for fp in only.flows] == [GREENWICH]


@pytest.mark.parametrize("wanted", [["spl-nowhere"], []])
def test_an_unknown_or_empty_flow_list_is_not_found(wanted: list[str]) -> None:
    with pytest.raises(NotFound) as err:
        compile_plan(example_agreement(), effective_date=ON, flows=wanted)
    assert _where(err) == ["flows"]


def test_a_named_flow_out_of_force_is_not_permitted() -> None:
    with pytest.raises(NotPermitted) as err:
        compile_plan(_dated(), effective_date=date(2026, 4, 1), flows=[GREENWICH, MIDDLESBROUGH])
    assert _where(err) == [f"flows.{MIDDLESBROUGH}"]


def test_a_held_flow_only_routes_and_its_projection_is_not_read() -> None:
    doc = example_document()
    doc["parties"][2] = {**doc["parties"][2], "org_id": "gss:E08000016", "name": "Barnsley"}
    doc["flows"][1] = {
        **doc["flows"][1],
        "id": "spl-barnsley",
        "recipient": "gss:E08000016",
        "projection": ["nhs_number", "phone"],
        "transforms": [{"op": "pseudonymise", "field": "phone"}],
        "opt_outs": {"apply_ndoo": True, "apply_type1": False, "rationale": "test"},
    }
    doc["flows"][0] = {**doc["flows"][0], "projection": ["given_name", "postcode"]}
    plan = compile_plan(Agreement.model_validate(doc), effective_date=date(2025, 4, 1))
    assert [fp.flow_id for fp in plan.flows] == [GREENWICH]
    (held,) = plan.held
    assert (held.flow_id, held.route.recipient.org_id) == ("spl-barnsley", "gss:E08000038")
    assert (held.opt_outs, held.transforms, held.aggregate) == (None, (), None)
    # Only the live flow's fields and the routing field are read: not the held phone numbers.
    assert [f.name for f in plan.source.fields] == ["given_name", "postcode"]
    assert plan.opt_out_lists == ()
    assert plan.held_reasons == ((held, "recipient_not_in_existence:spl-barnsley"),)


# -- labels ------------------------------------------------------------------------------------


def test_a_flow_labelled_anonymised_that_delivers_identifiers_is_refused() -> None:
    with pytest.raises(UnsupportedClause) as err:
        compile_plan(_agreement(identifiability="anonymised_ico_compliant"), effective_date=ON)
    assert f"flows.{GREENWICH}.projection.nhs_number" in _where(err)


def test_a_flow_labelled_aggregate_without_the_aggregate_stage_is_refused() -> None:
    a = _agreement(_item("site_code"), identifiability="aggregate", projection=["site_code"])
    with pytest.raises(UnsupportedClause) as err:
        compile_plan(a, effective_date=ON)
    assert _where(err) == [f"flows.{GREENWICH}.aggregate", f"flows.{MIDDLESBROUGH}.aggregate"]


# -- the person key ----------------------------------------------------------------------------

OPT_NDOO = {"apply_ndoo": True, "apply_type1": False, "rationale": "test"}


def test_opt_outs_match_on_the_nhs_number_which_is_read_and_required() -> None:
    plan = compile_plan(
        _agreement(projection=["given_name", "postcode"], opt_outs=OPT_NDOO), effective_date=ON
    )
    assert plan.person_key == "nhs_number"
    assert {fp.opt_outs for fp in plan.flows} == {n.RemoveOptOuts(("ndoo",), "nhs_number")}
    assert plan.opt_out_lists == ("ndoo",)
    assert "nhs_number" in [f.name for f in plan.source.fields]
    assert n.Check("nhs_number", n.CheckKind.required) in plan.validate.checks


def test_the_person_key_is_read_only_when_delivered_opted_on_or_asked_for() -> None:
    a = _agreement(projection=["given_name", "postcode"])
    plain = compile_plan(a, effective_date=ON)
    assert plain.person_key is None
    assert [f.name for f in plain.source.fields] == ["given_name", "postcode"]
    kept = compile_plan(a, effective_date=ON, read_person_key=True)
    assert kept.person_key == "nhs_number"
    assert [f.name for f in kept.source.fields] == ["nhs_number", "given_name", "postcode"]
    assert all(kept.key_column(fp) is None for fp in kept.flows)  # read, not delivered


def test_opt_outs_without_an_nhs_number_item_are_invalid() -> None:
    doc = example_document()
    doc["data_items"] = [d for d in doc["data_items"] if d["name"] != "nhs_number"]
    doc["flows"] = [
        {**f, "projection": ["given_name", "postcode"], "opt_outs": OPT_NDOO} for f in doc["flows"]
    ]
    with pytest.raises(AgreementInvalid) as err:
        compile_plan(Agreement.model_validate(doc), effective_date=ON)
    assert _where(err) == [f"flows.{GREENWICH}.opt_outs"]


def test_confidential_patient_information_needs_an_opt_out_decision() -> None:
    doc = example_document()
    del doc["opt_out_policy"]
    with pytest.raises(NotPermitted) as err:
        compile_plan(Agreement.model_validate(doc), effective_date=ON)
    assert _where(err) == [f"flows.{GREENWICH}.opt_outs"]


# -- checks from each data item's table_schema ----------------------------------------------------


def test_table_schema_constraints_become_row_checks() -> None:
    items = [
        _item(
            "ward",
            table_schema={
                "type": "string",
                "constraints": {
                    "required": True,
                    "pattern": "^W[0-9]+$",
                    "enum": ["W1", "W2"],
                    "minLength": 2,
                    "maxLength": 3,
                },
            },
        ),
        _item(
            "beds", table_schema={"type": "integer", "constraints": {"minimum": 0, "maximum": 9}}
        ),
        _item("admitted", table_schema={"type": "date", "constraints": {"minimum": "2020-01-01"}}),
    ]
    plan = compile_plan(
        _agreement(*items, projection=["postcode", "ward", "beds", "admitted"]), effective_date=ON
    )
    C = n.CheckKind
    assert plan.validate.checks == (
        n.Check("postcode", C.required),
        n.Check("ward", C.required),
        n.Check("ward", C.pattern, "^W[0-9]+$"),
        n.Check("ward", C.enum, ("W1", "W2")),
        n.Check("ward", C.min_length, 2),
        n.Check("ward", C.max_length, 3),
        n.Check("beds", C.minimum, 0),
        n.Check("beds", C.maximum, 9),
        n.Check("admitted", C.minimum, date(2020, 1, 1)),
    )
    assert plan.source.type_of("beds") == "integer"


def test_an_age_band_adds_a_not_after_check_on_the_run_date_once() -> None:
    gen = {"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"}
    plan = compile_plan(_agreement(transforms=[gen]), effective_date=ON)
    assert plan.validate.checks == (
        n.Check("postcode", n.CheckKind.required),
        n.Check("date_of_birth", n.CheckKind.not_after, ON),
    )
    assert plan.flows[0].transforms == (n.AgeBand("date_of_birth", 10, ON),)


@pytest.mark.parametrize(
    ("schema", "error", "where"),
    [
        ({"type": "string", "constraints": {"unique": True}}, UnsupportedClause, "constraints"),
        ({"type": "integer", "constraints": {"pattern": "^1$"}}, UnsupportedClause, "pattern"),
        ({"type": "boolean", "constraints": {"minimum": 1}}, UnsupportedClause, "minimum"),
        ({"type": "integer", "constraints": {"minimum": "low"}}, AgreementInvalid, "constraints"),
        ({"type": "integer", "constraints": {"maximum": True}}, AgreementInvalid, "constraints"),
        ({"type": "string", "constraints": {"maxLength": "x"}}, AgreementInvalid, "constraints"),
    ],
)
def test_a_constraint_the_engine_cannot_enforce_is_refused(
    schema: dict[str, Any], error: type[Exception], where: str
) -> None:
    a = _agreement(_item("ward", table_schema=schema), projection=["postcode", "ward"])
    with pytest.raises(error) as err:
        compile_plan(a, effective_date=ON)
    assert _where(err)[0].startswith("data_items.ward.table_schema.constraints")
    assert _where(err)[0].endswith(where)


def test_a_checked_standard_on_a_non_text_type_is_invalid() -> None:
    doc = example_document()
    doc["data_items"][0]["table_schema"] = {"type": "integer"}  # nhs_number
    with pytest.raises(AgreementInvalid) as err:
        compile_plan(Agreement.model_validate(doc), effective_date=ON)
    assert _where(err) == ["data_items.nhs_number"]


# -- transforms --------------------------------------------------------------------------------


def test_item_transforms_apply_where_the_flow_has_none_and_the_flow_wins() -> None:
    doc = example_document()
    by_name = {d["name"]: d for d in doc["data_items"]}
    by_name["given_name"]["transform"] = "pseudonymise"
    by_name["date_of_birth"]["transform"] = "generalise"
    by_name["postcode"]["transform"] = "generalise"
    by_name["phone"]["transform"] = "pseudonymise"
    flow = doc["flows"][0]
    flow["projection"] = [*flow["projection"], "diagnosis_snomed"]
    flow["transforms"] = [{"op": "drop", "field": "phone"}]
    doc["flows"] = [flow]
    plan = compile_plan(Agreement.model_validate(doc), effective_date=ON)
    (fp,) = plan.flows
    assert fp.transforms == (
        n.Pseudonymise("given_name", "recipient:gss:E09000011"),
        n.AgeBand("date_of_birth", 5, ON),
        n.PostcodeArea("postcode", "district"),
        n.DropField("phone"),
        n.DropField("diagnosis_snomed"),
    )
    assert [c.name for c in fp.outputs()] == [
        "nhs_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "postcode",
    ]


def test_a_pseudonym_key_per_recipient_or_shared_under_agreed_linkage() -> None:
    shared = {"op": "pseudonymise", "field": "nhs_number", "key_scope": "agreement"}
    plan = compile_plan(_agreement(transforms=[shared]), effective_date=ON)
    assert {fp.transforms for fp in plan.flows} == {(n.Pseudonymise("nhs_number", "agreement"),)}
    with pytest.raises(NotPermitted) as err:
        compile_plan(_agreement(transforms=[shared], linkage_permitted=[]), effective_date=ON)
    assert _where(err)[0] == f"flows.{GREENWICH}.transforms.0"
    own = {"op": "pseudonymise", "field": "nhs_number"}
    keys = [
        fp.transforms[0]
        for fp in compile_plan(_agreement(transforms=[own]), effective_date=ON).flows
    ]
    assert [t.key_id for t in keys if isinstance(t, n.Pseudonymise)] == [
        "recipient:gss:E09000011",
        "recipient:gss:E06000002",
    ]


@pytest.mark.parametrize(
    ("transforms", "error", "where"),
    [
        (
            [{"op": "pseudonymise", "field": "nhs_number", "key_scope": "global"}],
            UnsupportedClause,
            "transforms.0",
        ),
        ([{"op": "suppress_small"}], UnsupportedClause, "transforms.0"),
        ([{"op": "generalise", "field": "postcode"}], UnsupportedClause, "transforms.0"),
        (
            [{"op": "postcode_to", "field": "date_of_birth", "level": "lsoa"}],
            UnsupportedClause,
            "transforms.0",
        ),
        (
            [{"op": "drop", "field": "phone"}, {"op": "pseudonymise", "field": "phone"}],
            UnsupportedClause,
            "transforms.1",
        ),
    ],
)
def test_a_flow_transform_the_engine_cannot_apply_is_refused(
    transforms: list[dict[str, Any]], error: type[Exception], where: str
) -> None:
    with pytest.raises(error) as err:
        compile_plan(_agreement(transforms=transforms), effective_date=ON)
    assert _where(err)[0] == f"flows.{GREENWICH}.{where}"


@pytest.mark.parametrize(
    ("item", "transform"),
    [
        (_item("ward"), "derive"),
        (_item("ward"), "generalise"),  # text, not a date or a postcode
        (_item("flag", table_schema={"type": "boolean"}), "pseudonymise"),
    ],
)
def test_an_item_transform_the_engine_cannot_apply_is_refused(
    item: dict[str, Any], transform: str
) -> None:
    item = {**item, "transform": transform}
    a = _agreement(item, projection=["postcode", item["name"]])
    with pytest.raises(UnsupportedClause) as err:
        compile_plan(a, effective_date=ON)
    assert _where(err) == [f"data_items.{item['name']}.transform"]


def test_two_postcode_lookup_fields_in_one_run_are_refused() -> None:
    doc = example_document()
    doc["data_items"].append(_item("gp_postcode", standard="POSTCODE"))
    doc["flows"][1] = {**doc["flows"][1], "row_filter": "utla(gp_postcode) == recipient.gss"}
    a = Agreement.model_validate(doc)
    with pytest.raises(UnsupportedClause) as err:
        compile_plan(a, effective_date=ON)
    assert err.value.problems[0].reason == "postcode functions use gp_postcode, postcode"
    # Each flow alone looks up its own field.
    alone = compile_plan(a, effective_date=ON, flows=[MIDDLESBROUGH])
    assert alone.lookup == n.PostcodeLookup("gp_postcode", ON)
    assert n.Check("gp_postcode", n.CheckKind.required) in alone.validate.checks
