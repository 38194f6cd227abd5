"""``/api/agreements/{id}/exit``: who may end sharing (issue 22 item 7) and what is recorded."""

from __future__ import annotations

from typing import Any

from accord.service import agreements as agreement_service

A = "urn:accord:agreement:example-shielding"


def _live(site: Any) -> None:
    for target in ("in_review", "approved", "active"):
        agreement_service.transition(site.ws, A, target)


def test_a_recipient_withdraws_only_its_own_flow(site: Any) -> None:
    _live(site)
    c = site.client()
    url = f"/api/agreements/{A}/exit"
    gwen = site.bearer("siro@greenwich.example")
    refused = c.post(f"{url}/cease", json={}, headers=gwen)
    assert refused.status_code == 403, refused.text
    other = c.post(
        f"{url}/withdraw",
        json={"flow_id": "spl-e09000011"},
        headers=site.bearer("siro@middlesbrough.example"),
    )
    assert other.status_code == 403, other.text
    assert c.get(url, headers=gwen).json()["states"] == []
    done = c.post(f"{url}/withdraw", json={"flow_id": "spl-e09000011"}, headers=gwen)
    assert done.status_code == 201, done.text
    states = done.json()["states"]
    assert [(s["party"], s["flow_id"], s["state"]) for s in states] == [
        ("gss:E09000011", "spl-e09000011", "deletion_due")
    ]
    assert agreement_service.active_version(site.ws, A).status.value == "active"


def test_the_discloser_siro_ends_sharing_with_a_recipient(site: Any) -> None:
    _live(site)
    c = site.client()
    r = c.post(
        f"/api/agreements/{A}/exit/cease",
        json={"party": "gss:E06000002", "purpose": "statutory inquiry", "until": "2026-09-01"},
        headers=site.bearer("siro@nhs.example"),
    )
    assert r.status_code == 201, r.text
    (state,) = r.json()["states"]
    assert (state["party"], state["state"], state["until"]) == (
        "gss:E06000002",
        "retained",
        "2026-09-01",
    )
    bad = c.post(
        f"/api/agreements/{A}/exit/certificates",
        json={"delivery_id": "no-such-run/spl-e09000011"},
        headers=site.bearer("siro@greenwich.example"),
    )
    assert bad.status_code in {400, 422}, bad.text
    assert "delivery_id" in bad.text


def test_the_deletion_certificate_page_refuses_a_bad_date(site: Any, csrf_from: Any) -> None:
    _live(site)
    client = site.signed_in("siro@greenwich.example")
    url = f"/agreements/{A}/deletion-certificate"
    page = client.get(url)
    assert page.status_code == 200
    assert "received no delivery" in page.text
    r = client.post(
        url,
        data={
            "delivery_id": "x/spl-e09000011",
            "deleted_on": "soon",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert r.status_code == 422
    assert "YYYY-MM-DD" in r.text
