"""`POST /api/agreements` checks row filters as it validates (issue 22.5): a bad filter is a 422
naming the flow and the position, and nothing is stored (so no page gives 500 for ever)."""

from __future__ import annotations

from typing import Any

import pytest

from accord.model import example_document
from accord.service import agreements as agreement_service


@pytest.mark.parametrize(
    ("row_filter", "where", "reason"),
    [
        ("utla(postcode) === recipient.gss", "row_filter:17", "unexpected character"),
        ("ghost_field == 1", "row_filter:0", "unknown field 'ghost_field'"),
        ("age(date_of_birth) > " + "7" * 4_300, "row_filter:21", "more than 18 digits"),
        ("(" * 3_000 + "true" + ")" * 3_000, "row_filter:32", "nested"),
    ],
    ids=["syntax", "unknown field", "huge number", "deep nesting"],
)
def test_a_bad_row_filter_is_refused_with_422(
    site: Any, row_filter: str, where: str, reason: str
) -> None:
    doc = example_document()
    doc["id"] = "urn:accord:agreement:bad-filter"
    doc["flows"][0]["row_filter"] = row_filter
    size = site.ws.ledger.size()
    response = site.client().post(
        "/api/agreements", json=doc, headers=site.bearer("req@nhs.example")
    )
    assert response.status_code == 422, response.text
    problem = response.json()["problems"][0]
    assert problem["where"] == f"body.flows.{doc['flows'][0]['id']}.{where}"
    assert reason in problem["reason"]
    assert site.ws.ledger.size() == size
    assert [v.agreement_id for v in agreement_service.list_all(site.ws)] == [
        "urn:accord:agreement:example-shielding"
    ]
