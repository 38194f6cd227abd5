"""One test per clause kind: input table, one clause, the exact extract. Every backend."""

from __future__ import annotations

from datetime import date

import pytest
from engine_spec import (
    BAD_NHS,
    CAMBS,
    GREENWICH,
    MIDDLESBROUGH,
    NHS,
    SECRET,
    Runner,
    agreement,
    flow,
    item,
    write_csv,
)

from accord.engine import derive_key, pseudonym
from accord.engine.transforms import age_band

ROUTED = "utla(postcode) == recipient.gss"


def person(i: int, postcode: str, **extra: str) -> dict[str, str]:
    return {
        "nhs_number": NHS[i],
        "given_name": f"Person{i}",
        "date_of_birth": "1950-06-15",
        "postcode": postcode,
        "group": "A",
        **extra,
    }


POP = [
    person(0, "SE10 9AA"),
    person(1, "ts1 1aa"),  # normalised before lookup and delivery
    person(2, "SE109BB"),
    person(3, "CB2 1TN", group="B"),
]


def test_projection_delivers_only_the_projected_fields_in_order(run: Runner) -> None:
    a = agreement(flows=[flow(GREENWICH, ["given_name", "nhs_number"], ROUTED)])
    out = run(a, POP)
    assert out.rows(GREENWICH) == [
        {"given_name": "Person0", "nhs_number": NHS[0]},
        {"given_name": "Person2", "nhs_number": NHS[2]},
    ]


def test_row_filter_routes_each_row_to_its_own_authority(run: Runner) -> None:
    a = agreement(
        flows=[flow(c, ["nhs_number", "postcode"], ROUTED) for c in (GREENWICH, MIDDLESBROUGH)]
    )
    out = run(a, POP)
    assert out.rows(GREENWICH) == [
        {"nhs_number": NHS[0], "postcode": "SE10 9AA"},
        {"nhs_number": NHS[2], "postcode": "SE10 9BB"},
    ]
    assert out.rows(MIDDLESBROUGH) == [{"nhs_number": NHS[1], "postcode": "TS1 1AA"}]
    # Cambridge's resident is entitled to no recipient of this run.
    assert (out.result.delivered_rows, out.result.not_entitled_rows) == (3, 1)


def test_row_filter_two_tier_area_routes_to_the_county(run: Runner) -> None:
    a = agreement(flows=[flow(CAMBS, ["nhs_number"], ROUTED)])
    assert run(a, POP).rows(CAMBS) == [{"nhs_number": NHS[3]}]


def test_row_filter_comparisons_lists_and_logic(run: Runner) -> None:
    rule = "(group in ('B', 'C') or lad(postcode) == 'E06000002') and not given_name == 'Nobody'"
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], rule)])
    assert run(a, POP).rows(GREENWICH) == [{"nhs_number": NHS[1]}, {"nhs_number": NHS[3]}]


def test_row_filter_true_alone_selects_every_valid_row(run: Runner) -> None:
    # A processor printing letters for the whole list: every row that passes validation.
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], "true")])
    out = run(a, POP)
    assert out.rows(GREENWICH) == [{"nhs_number": NHS[i]} for i in range(4)]
    assert out.result.not_entitled_rows == 0


def test_row_filter_false_alone_selects_nothing(run: Runner) -> None:
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], "not true")])
    out = run(a, POP)
    assert out.rows(GREENWICH) == []
    assert out.result.not_entitled_rows == 4


def test_row_filter_missing_value_is_unknown_so_not_routed(run: Runner) -> None:
    rows = [person(0, "SE10 9AA", group=""), person(1, "SE10 9AA", group="A")]
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], "group != 'B'")])
    out = run(a, rows)
    assert out.rows(GREENWICH) == [{"nhs_number": NHS[1]}]
    assert out.result.not_entitled_rows == 1


def test_row_filter_age_function_on_the_run_date(run: Runner) -> None:
    rows = [
        person(0, "SE10 9AA", date_of_birth="1956-03-20"),  # 70 on the run date
        person(1, "SE10 9AA", date_of_birth="1956-03-21"),  # 69 until tomorrow
    ]
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], "age(date_of_birth) >= 70")])
    assert run(a, rows).rows(GREENWICH) == [{"nhs_number": NHS[0]}]


def test_row_filter_date_field_against_a_date_literal(run: Runner) -> None:
    rows = [person(0, "SE10 9AA", date_of_birth="1940-01-01"), person(1, "SE10 9AA")]
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], "date_of_birth < '1945-05-08'")])
    assert run(a, rows).rows(GREENWICH) == [{"nhs_number": NHS[0]}]


def test_pseudonymise_per_recipient_key(run: Runner) -> None:
    t = [{"op": "pseudonymise", "field": "nhs_number"}]
    a = agreement(
        flows=[
            flow(GREENWICH, ["nhs_number"], "group == 'A'", transforms=t),
            flow(MIDDLESBROUGH, ["nhs_number"], "group == 'A'", transforms=t),
        ]
    )
    out = run(a, POP[:1])
    keys = {
        c: derive_key(SECRET, agreement_id=a.id, key_id=f"recipient:gss:{c}")
        for c in (GREENWICH, MIDDLESBROUGH)
    }
    assert out.rows(GREENWICH) == [{"nhs_number": pseudonym(keys[GREENWICH], NHS[0])}]
    assert out.rows(MIDDLESBROUGH) == [{"nhs_number": pseudonym(keys[MIDDLESBROUGH], NHS[0])}]
    assert out.rows(GREENWICH) != out.rows(MIDDLESBROUGH)


def test_pseudonymise_agreement_key_when_linkage_is_agreed(run: Runner) -> None:
    t = [{"op": "pseudonymise", "field": "nhs_number", "key_scope": "agreement"}]
    flows = [
        flow(c, ["nhs_number"], "group == 'A'", transforms=t, linkage_permitted=["tt"])
        for c in (GREENWICH, MIDDLESBROUGH)
    ]
    a = agreement(flows=flows)
    out = run(a, POP[:1])
    key = derive_key(SECRET, agreement_id=a.id, key_id="agreement")
    assert (
        out.rows(GREENWICH) == out.rows(MIDDLESBROUGH) == [{"nhs_number": pseudonym(key, NHS[0])}]
    )


def test_generalise_date_of_birth_to_age_band(run: Runner) -> None:
    rows = [
        person(0, "SE10 9AA", date_of_birth="1991-03-21"),  # 34 on 2026-03-20
        person(1, "SE10 9AA", date_of_birth="1930-01-01"),  # 96
        person(2, "SE10 9AA", date_of_birth=""),
    ]
    t = [{"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"}]
    a = agreement(flows=[flow(GREENWICH, ["nhs_number", "date_of_birth"], ROUTED, transforms=t)])
    assert run(a, rows).rows(GREENWICH) == [
        {"nhs_number": NHS[0], "date_of_birth": "30-39"},
        {"nhs_number": NHS[1], "date_of_birth": "90+"},
        {"nhs_number": NHS[2], "date_of_birth": None},
    ]
    assert age_band(34, 5) == "30-34"


@pytest.mark.parametrize(
    ("level", "expected"),
    [("lsoa", ["E01001001", "E01001002"]), ("district", [GREENWICH, GREENWICH])],
)
def test_postcode_to_area(run: Runner, level: str, expected: list[str]) -> None:
    t = [{"op": "postcode_to", "field": "postcode", "level": level}]
    a = agreement(flows=[flow(GREENWICH, ["postcode"], ROUTED, transforms=t)])
    assert run(a, POP).rows(GREENWICH) == [{"postcode": e} for e in expected]


def test_drop_removes_the_field(run: Runner) -> None:
    t = [{"op": "drop", "field": "given_name"}]
    a = agreement(flows=[flow(GREENWICH, ["nhs_number", "given_name"], ROUTED, transforms=t)])
    assert run(a, POP).rows(GREENWICH) == [{"nhs_number": NHS[0]}, {"nhs_number": NHS[2]}]


def test_data_item_default_transform_applies(run: Runner) -> None:
    items = [
        item("nhs_number", standard="NHS_NUMBER"),
        {**item("given_name"), "transform": "drop"},
        item("postcode", standard="POSTCODE"),
    ]
    a = agreement(items=items, flows=[flow(GREENWICH, ["nhs_number", "given_name"], ROUTED)])
    assert run(a, POP).rows(GREENWICH) == [{"nhs_number": NHS[0]}, {"nhs_number": NHS[2]}]


def test_opt_outs_removed_when_the_decision_applies(run: Runner, tmp_path) -> None:
    ndoo = write_csv(
        tmp_path / "ndoo.csv",
        [{"nhs_number": NHS[2], "list_version": "NDOO-1", "list_kind": "ndoo"}],
    )
    policy = {"apply_ndoo": True, "apply_type1": False, "rationale": "s251 with standard condition"}
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], ROUTED)], opt_outs=policy)
    out = run(a, POP, opt_out_lists={"ndoo": ndoo})
    assert out.rows(GREENWICH) == [{"nhs_number": NHS[0]}]
    assert out.result.opted_out_rows == 1
    assert out.result.opt_out_lists == {"ndoo": "NDOO-1"}
    assert out.result.delivery(f"f-{GREENWICH.lower()}").opted_out_removed == 1


def test_opt_outs_not_applied_under_copi(run: Runner, tmp_path) -> None:
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], ROUTED)])
    out = run(a, POP)
    assert out.rows(GREENWICH) == [{"nhs_number": NHS[0]}, {"nhs_number": NHS[2]}]
    assert out.result.opted_out_rows == 0 and out.result.opt_out_lists == {}


def test_validation_sends_failing_rows_to_exceptions_with_reasons(run: Runner) -> None:
    items = [
        item("nhs_number", standard="NHS_NUMBER", constraints={"required": True}),
        item("given_name", constraints={"minLength": 2, "maxLength": 8, "pattern": "[A-Za-z]+"}),
        item("postcode", standard="POSTCODE"),
        item("group", constraints={"enum": ["A", "B"]}),
        item("score", type="integer", constraints={"minimum": 0, "maximum": 10}),
    ]
    good = {
        "nhs_number": NHS[0],
        "given_name": "Ann",
        "postcode": "SE10 9AA",
        "group": "A",
        "score": "3",
    }
    rows = [
        good,
        {**good, "nhs_number": BAD_NHS},
        {**good, "nhs_number": ""},
        {**good, "given_name": "A"},
        {**good, "given_name": "Ann-Marie9"},
        {**good, "group": "Z"},
        {**good, "score": "eleven"},
        {**good, "score": "11"},
        {**good, "postcode": "NOT A POSTCODE"},
        {**good, "postcode": "ZZ9 9ZZ"},
        {**good, "postcode": ""},
    ]
    # Only the fields a run reads (projection, filter, opt-out key) are checked.
    projection = ["nhs_number", "given_name", "group", "score"]
    a = agreement(items=items, flows=[flow(GREENWICH, projection, ROUTED)])
    out = run(a, rows)
    assert out.rows(GREENWICH) == [
        {"nhs_number": NHS[0], "given_name": "Ann", "group": "A", "score": 3}
    ]
    assert out.exceptions == [
        {"row_number": 2, "reason": "standard:nhs_number"},
        {"row_number": 3, "reason": "required:nhs_number"},
        {"row_number": 4, "reason": "min_length:given_name"},
        {"row_number": 5, "reason": "pattern:given_name;max_length:given_name"},
        {"row_number": 6, "reason": "enum:group"},
        {"row_number": 7, "reason": "type:score"},
        {"row_number": 8, "reason": "maximum:score"},
        {"row_number": 9, "reason": "standard:postcode"},
        {"row_number": 10, "reason": "not_in_directory:postcode"},
        {"row_number": 11, "reason": "required:postcode"},
    ]
    assert out.result.exception_rows == 10


def test_typed_fields_are_delivered_typed(run: Runner) -> None:
    items = [
        item("postcode", standard="POSTCODE"),
        item("born", type="date"),
        item("weight", type="number"),
        item("flag", type="boolean"),
    ]
    rows = [{"postcode": "SE10 9AA", "born": "2001-02-03", "weight": "70.5", "flag": "TRUE"}]
    a = agreement(items=items, flows=[flow(GREENWICH, ["born", "weight", "flag"], "flag")])
    assert run(a, rows).rows(GREENWICH) == [
        {"born": date(2001, 2, 3), "weight": 70.5, "flag": True}
    ]


def test_delivery_format_csv(run: Runner) -> None:
    a = agreement(flows=[flow(GREENWICH, ["nhs_number"], ROUTED, delivery_format="csv")])
    out = run(a, POP)
    d = out.result.delivery(f"f-{GREENWICH.lower()}")
    assert list(d.files) == ["extract.csv"]
    text = (d.directory / "extract.csv").read_text()
    assert text.splitlines() == ['"nhs_number"', f'"{NHS[0]}"', f'"{NHS[2]}"']
