"""Every cross-party access is refused (403 or 404) and the body carries none of the data."""

from __future__ import annotations

from typing import Any

import pytest

from accord.service import agreements as agreement_service

AGREEMENT_ID = "urn:accord:agreement:example-shielding"

A = AGREEMENT_ID
# Strings that would leak the agreement if they appeared in a refusal.
SECRETS = ("Shielded patient list", "Greenwich", "nhs_number", "copi_reg3")

READS = [
    f"/agreements/{A}",
    f"/agreements/{A}.json",
    f"/agreements/{A}?version=1",
    f"/agreements/{A}/approve",
    f"/api/agreements/{A}",
    f"/api/agreements/{A}?version=1",
    f"/api/agreements/{A}/versions",
    f"/api/agreements/{A}/approvals",
]
WRITES = [
    (f"/api/agreements/{A}/transitions", {"to": "in_review"}),
    (f"/api/agreements/{A}/approvals", {"role": "siro", "decision": "approve"}),
]
FORMS = [
    (f"/agreements/{A}/move", {"to": "in_review"}),
    (f"/agreements/{A}/approve", {"decision": "approve"}),
]


def _refused(response: object, *, allowed: tuple[int, ...] = (403, 404)) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert status in allowed, (status, text[:300])
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("path", READS)
def test_another_partys_user_cannot_read_the_agreement(site: Any, path: str) -> None:
    client = site.signed_in("siro@birmingham.example")
    _refused(client.get(path))
    _refused(site.client().get(path, headers=site.bearer("siro@birmingham.example")))


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_another_partys_user_cannot_act_on_the_agreement(site: Any, path: str, body: dict) -> None:
    _refused(site.client().post(path, json=body, headers=site.bearer("siro@birmingham.example")))
    assert agreement_service.get(site.ws, A).status.value == "draft"


@pytest.mark.parametrize(("path", "form"), FORMS)
def test_another_partys_forms_are_refused_even_with_a_valid_csrf_token(
    csrf_from: Any, site: Any, path: str, form: dict
) -> None:
    client = site.signed_in("siro@birmingham.example")
    token = csrf_from(client.get("/").text)
    _refused(client.post(path, data={**form, "csrf_token": token}))
    assert agreement_service.get(site.ws, A).status.value == "draft"


def test_the_agreement_list_and_dashboard_show_only_the_users_party(site: Any) -> None:
    client = site.client()
    headers = site.bearer("siro@birmingham.example")
    assert client.get("/api/agreements", headers=headers).json()["agreements"] == []
    dashboard = site.signed_in("siro@birmingham.example").get("/")
    for secret in SECRETS:
        assert secret not in dashboard.text


def test_a_recipient_service_reads_no_agreements(site: Any) -> None:
    client = site.client()
    headers = site.bearer("svc@greenwich.example")
    listing = client.get("/api/agreements", headers=headers)
    assert listing.status_code == 403
    _refused(client.get(f"/api/agreements/{A}", headers=headers))
    _refused(site.signed_in("svc@greenwich.example").get(f"/agreements/{A}"))


def test_an_unknown_agreement_and_a_hidden_one_look_the_same(site: Any) -> None:
    headers = site.bearer("siro@birmingham.example")
    client = site.client()
    hidden = client.get(f"/api/agreements/{A}", headers=headers)
    unknown = client.get("/api/agreements/urn:accord:agreement:nope", headers=headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["ok"] is unknown.json()["ok"] is False


def test_creating_an_agreement_for_other_parties_is_refused(site: Any) -> None:
    from accord.model import example_document

    doc = example_document()
    doc["id"] = "urn:accord:agreement:not-mine"
    response = site.client().post(
        "/api/agreements", json=doc, headers=site.bearer("siro@birmingham.example")
    )
    assert response.status_code == 403
    assert response.json()["problems"][0]["where"] == "body.parties"


def _deliver(site: Any, recipient: str, delivery_id: str) -> None:
    from accord.ledger.events import DeliveryMade

    v = agreement_service.get(site.ws, A)
    site.ws.ledger.append(
        DeliveryMade(
            agreement_id=A,
            agreement_version=v.version,
            agreement_hash=v.hash,
            at="2026-03-16T10:00:00.000000Z",
            delivery_id=delivery_id,
            recipient=recipient,
            manifest_sha256="ab" * 32,
            row_count=42,
            run_id="run-1",
        ),
        site.clock.now(),
    )


def test_a_recipient_service_reads_only_its_own_deliveries(site: Any) -> None:
    _deliver(site, "gss:E09000011", "d-greenwich")
    _deliver(site, "gss:E06000002", "d-middlesbrough")
    client = site.client()
    mine = client.get("/api/deliveries", headers=site.bearer("svc@greenwich.example")).json()
    assert [d["id"] for d in mine["deliveries"]] == ["d-greenwich"]
    other = client.get(
        "/api/deliveries/d-middlesbrough/manifest", headers=site.bearer("svc@greenwich.example")
    )
    _refused(other)
    outsider = client.get("/api/deliveries", headers=site.bearer("siro@birmingham.example"))
    assert outsider.json()["deliveries"] == []
    discloser = client.get("/api/deliveries", headers=site.bearer("siro@nhs.example")).json()
    assert {d["id"] for d in discloser["deliveries"]} == {"d-greenwich", "d-middlesbrough"}


def test_an_unknown_dispute_and_another_partys_dispute_are_not_shown(site: Any) -> None:
    client = site.signed_in("siro@birmingham.example")
    _refused(client.get("/disputes/dsp-nope-0001"))
    assert "There are no disputes" in client.get("/disputes").text
