from __future__ import annotations

import copy
from typing import Any

import pytest

from accord.errors import AgreementInvalid
from accord.model import Approval, example_document, parse_agreement
from accord.model.enums import Mode


def doc() -> dict[str, Any]:
    return copy.deepcopy(example_document())


def problems_of(d: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(AgreementInvalid) as info:
        parse_agreement(d)
    return {p.where: p.reason for p in info.value.problems}


def test_example_is_valid_and_emergency() -> None:
    a = parse_agreement(doc())
    assert a.mode is Mode.emergency
    assert [f.recipient for f in a.flows] == ["gss:E09000011", "gss:E06000002"]
    assert a.has_special_category and not a.all_flows_anonymised


def test_emergency_needs_an_incident() -> None:
    d = doc()
    del d["incident"]
    assert "incident" in problems_of(d)


def test_routine_must_not_carry_an_incident() -> None:
    d = doc()
    d["mode"] = "routine"
    assert problems_of(d)["incident"] == "only an emergency agreement has an incident"


def test_flow_to_a_stranger_and_undeclared_field_are_named_by_path() -> None:
    d = doc()
    d["flows"][1]["recipient"] = "gss:E08000025"
    d["flows"][0]["projection"].append("religion")
    probs = problems_of(d)
    assert probs["flows.1.recipient"] == "gss:E08000025 is not a party"
    assert probs["flows.0.projection"] == "not declared in data_items: religion"


def test_transform_must_target_a_projected_field() -> None:
    d = doc()
    d["flows"][0]["transforms"] = [{"op": "pseudonymise", "field": "diagnosis_snomed"}]
    assert "flows.0.transforms.0.field" in problems_of(d)


def test_unknown_field_is_refused() -> None:
    d = doc()
    d["colour"] = "blue"
    assert problems_of(d)["colour"] == "Extra inputs are not permitted"


def test_bad_enum_lists_allowed_values() -> None:
    d = doc()
    d["relationship"] = "friends"
    assert "separate_controllers" in problems_of(d)["relationship"]


def test_summary_is_at_most_500_characters() -> None:
    d = doc()
    d["summary_plain_english"] = "x" * 501
    assert "summary_plain_english" in problems_of(d)


def test_party_listed_twice() -> None:
    d = doc()
    d["parties"].append(copy.deepcopy(d["parties"][1]))
    assert problems_of(d)["parties"] == "a party is listed twice"


def test_review_must_follow_declaration() -> None:
    d = doc()
    d["incident"]["review_by"] = d["incident"]["declared_at"]
    assert "incident" in problems_of(d)


def test_rejection_needs_reasons() -> None:
    with pytest.raises(ValueError, match="reasons"):
        Approval(party="ods:X26", role="siro", decision="reject", timestamp="2026-03-16T10:00:00Z")


def test_retention_must_be_an_iso_duration() -> None:
    d = doc()
    d["retention"]["period"] = "six months"
    assert "retention.period" in problems_of(d)
