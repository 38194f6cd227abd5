"""Approvals through the API: only the role holders the playbook names, signed, logged, and the
agreement moves to approved when the last one is in, then live at a discloser SIRO's word."""

from __future__ import annotations

from typing import Any

from accord.ledger.events import AgreementApproved
from accord.service import agreements as agreement_service

AGREEMENT_ID = "urn:accord:agreement:example-shielding"

A = AGREEMENT_ID
APPROVERS = [
    ("siro@greenwich.example", "siro"),
    ("siro@middlesbrough.example", "siro"),
    ("cg@nhs.example", "caldicott_guardian"),
    ("legal@nhs.example", "legal"),
    ("siro@nhs.example", "siro"),
]


def _submit(site: Any) -> None:
    response = site.client().post(
        f"/api/agreements/{A}/transitions",
        json={"to": "in_review", "reason": "ready"},
        headers=site.bearer("req@nhs.example"),
    )
    assert response.status_code == 200, response.text


def _decide(site: Any, email: str, role: str, decision: str = "approve", **extra: str) -> Any:
    return site.client().post(
        f"/api/agreements/{A}/approvals",
        json={"role": role, "decision": decision, **extra},
        headers=site.bearer(email),
    )


def test_the_playbook_says_who_must_approve(site: Any) -> None:
    data = site.client().get(
        f"/api/agreements/{A}/approvals", headers=site.bearer("siro@nhs.example")
    )
    required = {(r["party"], r["role"], r["kind"]) for r in data.json()["required"]}
    assert ("ods:X26", "siro", "approve") in required
    assert ("ods:X26", "caldicott_guardian", "approve") in required
    assert ("gss:E09000011", "siro", "approve") in required
    assert ("gss:E06000002", "dpo", "consult") in required
    assert ("gss:E09000011", "caldicott_guardian", "approve") not in required


def test_required_roles_approve_in_turn_then_a_discloser_siro_makes_it_live(site: Any) -> None:
    _submit(site)
    for i, (email, role) in enumerate(APPROVERS):
        response = _decide(site, email, role)
        assert response.status_code == 201, response.text
        expected = "approved" if i == len(APPROVERS) - 1 else "in_review"
        assert agreement_service.get(site.ws, A).status.value == expected
    outstanding = response.json()["outstanding"]
    assert outstanding == []
    # Each decision is a signed ledger event over this version's hash, verifiable by key.
    version = agreement_service.get(site.ws, A)
    keys = site.ws.keystore.public_keys()
    events = [
        e.event
        for e in site.ws.ledger.entries_for_agreement(A)
        if isinstance(e.event, AgreementApproved)
    ]
    assert len(events) == len(APPROVERS)
    for event in events:
        assert event.agreement_hash == version.hash
        assert keys.verify_event(event) == event
    # A recipient's SIRO cannot make it live; the discloser's SIRO can.
    refused = site.client().post(
        f"/api/agreements/{A}/transitions",
        json={"to": "active"},
        headers=site.bearer("siro@greenwich.example"),
    )
    assert refused.status_code == 403
    live = site.client().post(
        f"/api/agreements/{A}/transitions",
        json={"to": "active"},
        headers=site.bearer("siro@nhs.example"),
    )
    assert live.status_code == 200 and live.json()["agreement"]["status"] == "active"


def test_only_the_role_holder_may_approve(site: Any) -> None:
    _submit(site)
    response = _decide(site, "req@nhs.example", "siro")
    assert response.status_code == 403
    problems = response.json()["problems"]
    assert problems[0]["where"] == "role"
    # The Greenwich SIRO cannot approve as the discloser's Caldicott Guardian either.
    assert _decide(site, "siro@greenwich.example", "caldicott_guardian").status_code == 403
    assert site.ws.ledger.size() == 2  # version created, submitted: no approval recorded


def test_a_rejection_needs_reasons_and_keeps_it_in_review(site: Any) -> None:
    _submit(site)
    missing = _decide(site, "siro@greenwich.example", "siro", "reject")
    assert missing.status_code == 422
    assert missing.json()["problems"] == [{"where": "reasons", "reason": "say why"}]
    given = _decide(site, "siro@greenwich.example", "siro", "reject", reasons="Too many fields")
    assert given.status_code == 201
    decisions = [a["decision"] for a in given.json()["approvals"]]
    assert decisions == ["reject"]
    assert agreement_service.get(site.ws, A).status.value == "in_review"


def test_no_approvals_on_a_draft(site: Any) -> None:
    response = _decide(site, "siro@greenwich.example", "siro")
    assert response.status_code == 403
    assert "in review" in response.json()["error"]


def test_the_approve_page_records_a_decision_with_a_form(csrf_from: Any, site: Any) -> None:
    _submit(site)
    client = site.signed_in("siro@greenwich.example")
    page = client.get(f"/agreements/{A}/approve")
    assert "Sign and record my decision" in page.text
    token = csrf_from(page.text)
    empty = client.post(f"/agreements/{A}/approve", data={"csrf_token": token})
    assert empty.status_code == 422 and "govuk-error-summary" in empty.text
    done = client.post(
        f"/agreements/{A}/approve",
        data={"csrf_token": token, "decision": "approve"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    agreement = client.get(f"/agreements/{A}.json").json()
    assert [(a["party"], a["decision"]) for a in agreement["approvals"]] == [
        ("gss:E09000011", "approve")
    ]
