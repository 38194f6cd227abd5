"""Row filters are parsed and typed when an agreement is validated (issue 22.5), in every entry
point: `accord agreement validate`, `accord check`, template instantiation (the API's
`POST /api/agreements` is in tests/functional). Unknown fields and unparsable filters name the
flow and the position; deep nesting and huge literals are clear errors, never a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.cli import main
from accord.errors import AgreementInvalid, PredicateError
from accord.model import example_document, parse_agreement
from accord.model import predicate as p
from accord.playbook import instantiate
from accord.playbook.examples import example_inputs

FLOW = "flows.spl-e09000011"
FIELDS = {
    "nhs_number": "string",
    "postcode": "string",
    "date_of_birth": "date",
    "age_years": "integer",
    "shielded": "boolean",
}

BAD = [
    ("utla(postcode) === recipient.gss", 17, "unexpected character"),
    ("no_such_field == 'A'", 0, "unknown field 'no_such_field'"),
    ("utla(postcode) == recipient.gss and", 35, "expected a field"),
    ("age(postcode) > 3", 0, "needs a date field"),
    ("age(date_of_birth) >= " + "9" * 4_300, 22, "more than 18 digits"),
    ("(" * 5_000 + "true" + ")" * 5_000, 32, "nested"),
    ("not " * 10_000 + "true", 128, "nested"),
    ("true or " * 20_000 + "true", 100_000, "longer than 100000 characters"),
    ("postcode == '" + "x" * 2_000 + "'", 12, "longer than 1000"),
]


def _doc(row_filter: str) -> dict[str, Any]:
    doc = example_document()
    doc["flows"][0]["row_filter"] = row_filter
    return doc


@pytest.mark.parametrize(("text", "pos", "reason"), BAD, ids=[b[2] for b in BAD])
def test_a_bad_filter_makes_the_agreement_invalid_naming_flow_and_position(
    text: str, pos: int, reason: str
) -> None:
    with pytest.raises(AgreementInvalid) as err:
        parse_agreement(_doc(text), source="a.json")
    (problem,) = err.value.problems
    assert problem.where == f"{FLOW}.row_filter:{pos}"
    assert reason in problem.reason
    assert len(problem.reason) < 200  # a token is quoted short, never the whole filter


def test_every_bad_filter_of_every_flow_is_named() -> None:
    doc = example_document()
    doc["flows"][0]["row_filter"] = "nope == 1"
    doc["flows"][1]["row_filter"] = "utla(postcode) == recipient.gss or"
    with pytest.raises(AgreementInvalid) as err:
        parse_agreement(doc)
    assert [pr.where.split(".row_filter")[0] for pr in err.value.problems] == [
        f"flows.{doc['flows'][0]['id']}",
        f"flows.{doc['flows'][1]['id']}",
    ]


def test_a_reason_may_hold_any_text(tmp_path: Path) -> None:
    """Reasons are carried whole, not split at '; ' (a filter's own text may hold one)."""
    with pytest.raises(AgreementInvalid) as err:
        parse_agreement(_doc("flag"))  # not a data item
    assert err.value.problems[0].reason == "unknown field 'flag'"
    doc = example_document()
    doc["data_items"].append(
        {"name": "flag", "classification": "other_personal", "justification": "x"}
    )
    doc["flows"][0]["row_filter"] = "flag"
    with pytest.raises(AgreementInvalid) as err:
        parse_agreement(doc)
    assert err.value.problems[0].reason == "'flag' is not boolean; compare it with a value"


@pytest.mark.parametrize("command", [["agreement", "validate"], ["check", "--at", "2026-03-16"]])
def test_the_cli_refuses_bad_filters_with_exit_2(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i, (text, pos, reason) in enumerate(BAD):
        path = tmp_path / f"a{i}.json"
        path.write_text(json.dumps(_doc(text)))
        assert main([*command, str(path)], {"ACCORD_HOME": str(tmp_path / "ws")}) == 2
        err = capsys.readouterr().err
        assert f"{FLOW}.row_filter:{pos}" in err and reason in err
        assert "Traceback" not in err and "RecursionError" not in err


def test_template_instantiation_refuses_a_bad_filter() -> None:
    now = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    inputs = example_inputs("s1_shielded_patient_list", now)
    good = instantiate("s1_shielded_patient_list", **inputs)
    flows = [f.model_dump(mode="json") for f in good.flows]
    flows[0]["row_filter"] = "utla(postcode) == recipient.gss and age(nhs_number) > 70"
    with pytest.raises(AgreementInvalid) as err:
        instantiate("s1_shielded_patient_list", **inputs, overrides={"flows": flows})
    assert err.value.problems[0].where == f"flows.{flows[0]['id']}.row_filter:36"
    assert "needs a date field" in err.value.problems[0].reason


# -- the parser alone --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_random_text_raises_only_the_documented_error(text: str) -> None:
    try:
        p.check(p.parse(text), FIELDS)
    except PredicateError as exc:
        assert exc.problems and exc.problems[0].where.startswith("row_filter")


_PIECES = st.sampled_from(
    [
        "(",
        ")",
        "not ",
        " and ",
        " or ",
        "==",
        "<=",
        " in ",
        ",",
        "'a'",
        '"b"',
        "''",
        "1",
        "-2.5",
        "9" * 25,
        "true",
        "postcode",
        "date_of_birth",
        "shielded",
        "age(",
        "utla(",
        "recipient.",
        "gss",
        "'2020-01-01'",
        " ",
    ]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_PIECES, max_size=80).map("".join))
def test_near_grammatical_text_raises_only_the_documented_error(text: str) -> None:
    try:
        tree = p.check(p.parse(text), FIELDS)
    except PredicateError as exc:
        assert exc.problems and exc.problems[0].where.startswith("row_filter")
    else:
        assert p.fields_used(tree) <= set(FIELDS)


def test_the_limits_allow_real_filters() -> None:
    codes = ", ".join(f"'E{n:08d}'" for n in range(5_000))  # every LSOA of a large county
    tree = p.parse(f"lsoa(postcode) in ({codes})")
    assert isinstance(tree, p.InList) and len(tree.values) == 5_000
    nested = "(" * p.MAX_DEPTH + "true" + ")" * p.MAX_DEPTH
    assert p.parse(nested) == p.Truth(p.Literal(True))
    assert p.parse("age_years < " + "9" * p.MAX_DIGITS).right == p.Literal(int("9" * 18))
