"""The row-filter language: parsing, positions in errors, typing."""

from __future__ import annotations

from datetime import date

import pytest

from accord.engine import predicate as p
from accord.errors import PredicateError

FIELDS = {
    "postcode": "string",
    "group": "string",
    "dob": "date",
    "score": "integer",
    "ok": "boolean",
}


def test_parses_precedence_not_and_or() -> None:
    tree = p.parse("not group == 'A' and score > 1 or ok")
    assert tree == p.Or(
        (
            p.And(
                (
                    p.Not(p.Compare("==", p.FieldRef("group"), p.Literal("A"))),
                    p.Compare(">", p.FieldRef("score"), p.Literal(1)),
                )
            ),
            p.Truth(p.FieldRef("ok")),
        )
    )


def test_parses_in_list_and_not_in() -> None:
    assert p.parse("group not in ('A', \"B\")") == p.InList(
        p.FieldRef("group"), (p.Literal("A"), p.Literal("B")), negated=True
    )


def test_doubled_quote_escapes_and_no_code_runs() -> None:
    tree = p.parse("group == 'it''s __import__(\"os\")'")
    assert tree == p.Compare("==", p.FieldRef("group"), p.Literal('it\'s __import__("os")'))


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("group == ", 9, "expected a field"),
        ("group = 'A'", 6, "unexpected character"),
        ("utla(postcode == 'x'", 14, "expected ')'"),
        ("explode(postcode) == 'x'", 0, "unknown function"),
        ("recipient.name == 'x'", 10, "recipient has no attribute"),
        ("group == 'A' extra", 13, "unexpected 'extra'"),
        ("", 0, "empty"),
        ("group == 'unterminated", 9, "unexpected character"),
        ("__import__('os').system('x')", 0, "unknown function"),
    ],
)
def test_unparsable_filter_names_the_position(text: str, position: int, reason: str) -> None:
    with pytest.raises(PredicateError) as err:
        p.parse(text)
    problem = err.value.problems[0]
    assert problem.where == f"row_filter:{position}"
    assert f"position {position}" in err.value.message
    assert reason in problem.reason


def test_position_of_an_unknown_function_is_its_start() -> None:
    with pytest.raises(PredicateError) as err:
        p.parse("group == 'a' and explode(postcode) == 'x'")
    assert err.value.problems[0].where == "row_filter:17"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nope == 'A'", "unknown field 'nope'"),
        ("score == 'A'", "cannot compare integer with string"),
        ("age(postcode) > 3", "needs a date field"),
        ("group", "not boolean"),
        ("dob > 'last tuesday'", "YYYY-MM-DD"),
        ("'a' == 'b'", "must involve a field"),
        ("ok > true", "only be compared with == or !="),
    ],
)
def test_type_errors_are_predicate_errors(text: str, reason: str) -> None:
    with pytest.raises(PredicateError) as err:
        p.check(p.parse(text), FIELDS)
    assert reason in err.value.problems[0].reason


def test_date_literals_become_dates() -> None:
    checked = p.check(p.parse("dob < '2000-01-01'"), FIELDS)
    assert checked == p.Compare("<", p.FieldRef("dob"), p.Literal(date(2000, 1, 1)))


def test_fields_used() -> None:
    tree = p.parse("utla(postcode) == recipient.gss and age(dob) > 3 and group == 'A'")
    assert p.fields_used(tree) == {"postcode", "dob", "group"}


def test_error_messages_never_echo_literal_values() -> None:
    with pytest.raises(PredicateError) as err:
        p.check(p.parse("score == 'Jane Doe 9434765919'"), FIELDS)
    assert "9434765919" not in err.value.diagnostics()
