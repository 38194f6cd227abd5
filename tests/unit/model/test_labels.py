"""What a flow's identifiability label claims against what leaves (issue 12 item 2)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accord.model import Agreement, example_document
from accord.model.enums import Identifiability
from accord.model.labels import direct_identifier, label_problems
from accord.register.plain_english import render_markdown


def _labelled(label: str, **flow: object) -> Agreement:
    doc = example_document()
    doc["flows"] = [{**f, "identifiability": label, **flow} for f in doc["flows"]]
    return Agreement.model_validate(doc)


def test_direct_identifiers_by_classification_standard_or_name() -> None:
    a = Agreement.model_validate(example_document())
    assert [d.name for d in a.data_items if direct_identifier(d)] == [
        "nhs_number",
        "given_name",
        "family_name",
        "date_of_birth",  # a quasi-identifier by classification, identifying by name
        "postcode",  # a full postcode (POSTCODE standard)
        "phone",
    ]


def test_coarsened_and_dropped_fields_are_judged_as_they_leave() -> None:
    a = _labelled(
        "aggregate",
        projection=["date_of_birth", "postcode", "phone"],
        transforms=[
            {"op": "generalise", "field": "date_of_birth"},
            {"op": "postcode_to", "field": "postcode", "level": "lsoa"},
            {"op": "drop", "field": "phone"},
        ],
    )
    (problem,) = label_problems(a.flows[0], a.data_items)
    assert (problem.field, problem.label) == ("date_of_birth", Identifiability.aggregate)
    assert "one row per person (date_of_birth, postcode)" in problem.message


def test_a_mislabelled_flow_is_not_anonymous_anywhere() -> None:
    a = _labelled("aggregate")
    assert not a.all_flows_anonymised and not a.anonymous(a.flows[0])
    assert a.identifiability(a.flows[0]) is Identifiability.identifiable
    # The public register never tells people "only totals" of a flow of their records.
    text = render_markdown(a)
    assert "information that identifies people" in text
    assert "never anyone's own record" not in text
    honest = _labelled("identifiable")
    assert label_problems(honest.flows[0], honest.data_items) == ()


def test_through_the_aggregate_stage_only_the_counted_fields_leave() -> None:
    counted = {
        "projection": ["date_of_birth", "postcode", "phone"],
        "transforms": [
            {"op": "generalise", "field": "date_of_birth"},
            {"op": "postcode_to", "field": "postcode", "level": "lsoa"},
        ],
        "aggregate": {"group_by": ["date_of_birth", "postcode"]},
    }
    a = _labelled("aggregate", **counted)
    assert label_problems(a.flows[0], a.data_items) == () and a.all_flows_anonymised
    by_phone = _labelled("aggregate", **{**counted, "aggregate": {"group_by": ["phone"]}})
    (problem,) = label_problems(by_phone.flows[0], by_phone.data_items)
    assert problem.field == "phone" and "counts by" in problem.message
    with pytest.raises(ValidationError, match="outside the projection"):
        _labelled("aggregate", **{**counted, "aggregate": {"group_by": ["nhs_number"]}})
