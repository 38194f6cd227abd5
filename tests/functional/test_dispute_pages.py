"""Disputes acted on in the browser's forms, on a real SQLite workspace: raise from an agreement's
flow, make a final offer, decide as the arbiter at tier 3, and every refusal on the way."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from accord.disputes.ladder import HEALTH_ARBITER
from accord.disputes.model import DisputeState, Ground
from accord.service import agreements as agreement_service
from accord.service import disputes as dispute_service
from accord.service import users as user_service

A = "urn:accord:agreement:example-shielding"
FLOW = "spl-e09000011"
GREENWICH = "gss:E09000011"
NHSE = "ods:X26"
ARBITER = "arbiter@dhsc.example"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def live(site: Any) -> Any:
    """The example agreement active, and a DHSC arbiter who can sign in."""
    for target in ("in_review", "approved", "active"):
        agreement_service.transition(site.ws, A, target, actor="test")
    user_service.add_user(site.ws, ARBITER, "Ada Arbiter", HEALTH_ARBITER, ["arbiter"], PASSWORD)
    return site


def _form(client: Any, path: str, csrf_from: Any) -> tuple[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    return page.text, csrf_from(page.text)


def _dispute_id(response: Any) -> str:
    assert response.status_code == 303, re.findall(
        r"govuk-error-summary__list.*?</ul>", response.text, re.S
    )
    found = re.fullmatch(r"/disputes/(dsp-[a-z0-9-]+)", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def _raise_new_field(site: Any, csrf_from: Any) -> str:
    """Greenwich's SIRO asks for a field the agreement does not have: ethnicity."""
    client = site.signed_in("siro@greenwich.example")
    _, token = _form(client, f"/agreements/{A}/disputes/new?flow={FLOW}", csrf_from)
    response = client.post(
        f"/agreements/{A}/disputes/new",
        data={
            "csrf_token": token,
            "flow": FLOW,
            "ground": "other",
            "statement": "Ethnicity is needed to target culturally appropriate support.",
            "fields": ["_new"],
            "new_field_name": "ethnicity",
            "new_field_classification": "special_category_other",
            "new_field_justification": "Target culturally appropriate support",
            "offer": "add",
        },
        follow_redirects=False,
    )
    return _dispute_id(response)


def test_raising_a_dispute_narrows_the_flow_at_once(live: Any, csrf_from: Any) -> None:
    client = live.signed_in("dpo@nhs.example")
    page, token = _form(client, f"/agreements/{A}/disputes/new?flow={FLOW}", csrf_from)
    # The grounds are the Ground enum in plain English; the fields are the agreement's items.
    assert 'value="excessive_data"' in page and "More data than the purpose needs" in page
    assert {g.value for g in Ground} <= set(
        re.findall(r'name="ground" type="radio" value="(\w+)"', page)
    )
    assert "A field not yet in the agreement" in page and 'value="diagnosis_snomed"' in page
    response = client.post(
        f"/agreements/{A}/disputes/new",
        data={
            "csrf_token": token,
            "flow": FLOW,
            "ground": "excessive_data",
            "statement": "Councils do not need phone numbers to deliver food parcels.",
            "fields": ["phone"],
            "offer": "drop",
        },
        follow_redirects=False,
    )
    d = dispute_service.show(live.ws, _dispute_id(response)).dispute
    assert d.ground is Ground.excessive_data
    assert d.raised_by.party == NHSE and d.raised_by.role.value == "dpo"
    assert d.disputed_fields == ("phone",)
    offer = d.offer_of(NHSE)
    assert offer is not None and offer.terms is not None
    assert "phone" not in offer.terms.projection and "nhs_number" in offer.terms.projection
    # Tier 0 has narrowed the live flow: a new active version without the phone number.
    assert d.current is not None and "phone" not in d.current.projection
    active = agreement_service.active_version(live.ws, A)
    assert active.seq == 2 and "phone" not in active.agreement.flow(FLOW).projection
    assert d.state is DisputeState.tier1
    # The dispute page names the parties in words and shows the countdown and ladder.
    shown = client.get(f"/disputes/{d.id}").text
    assert "Greenwich" in shown and "NHS England" in shown and "2 hours left" in shown
    assert "The ladder" in shown and "DPO of both parties" in shown
    data = client.get(f"/disputes/{d.id}.json").json()
    assert data["ok"] is True
    assert data["dispute"]["parties"]["recipient"] == {"org_id": GREENWICH, "name": "Greenwich"}
    assert [row["status"] for row in data["ladder"]] == ["done", "current", "to_come", "to_come"]


def test_a_party_outside_the_agreement_gets_not_found(live: Any, csrf_from: Any) -> None:
    client = live.signed_in("siro@birmingham.example")
    for response in (
        client.get(f"/agreements/{A}/disputes/new?flow={FLOW}"),
        client.get(f"/agreements/{A}/disputes/new.json"),
    ):
        assert response.status_code == 404
        assert "Shielded patient list" not in response.text and "nhs_number" not in response.text
    token = csrf_from(client.get("/").text)  # a valid token of their own session
    refused = client.post(
        f"/agreements/{A}/disputes/new",
        data={"csrf_token": token, "flow": FLOW, "ground": "other", "statement": "x"},
    )
    assert refused.status_code == 404 and "Shielded patient list" not in refused.text
    assert dispute_service.list_disputes(live.ws) == []


def test_a_form_without_the_csrf_token_is_refused(live: Any) -> None:
    client = live.signed_in("siro@greenwich.example")
    response = client.post(
        f"/agreements/{A}/disputes/new",
        data={"flow": FLOW, "ground": "other", "statement": "No token", "offer": "stop"},
    )
    assert response.status_code == 403 and "did not come from this service" in response.text
    assert dispute_service.list_disputes(live.ws) == []


def test_a_missing_statement_is_named_in_the_error_summary(live: Any, csrf_from: Any) -> None:
    client = live.signed_in("siro@greenwich.example")
    _, token = _form(client, f"/agreements/{A}/disputes/new", csrf_from)
    response = client.post(
        f"/agreements/{A}/disputes/new",
        data={"csrf_token": token, "flow": FLOW, "ground": "other", "offer": "stop"},
    )
    assert response.status_code == 422
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', response.text, re.S)
    assert summary, "no error summary"
    assert '<a href="#statement">Enter what is disputed, and why</a>' in summary.group(0)
    assert "govuk-textarea--error" in response.text
    # The answers already given are kept.
    assert re.search(r'value="other"[^>]*checked', response.text)
    assert dispute_service.list_disputes(live.ws) == []


def test_offer_then_the_arbiter_decides_at_tier_3(live: Any, csrf_from: Any) -> None:
    dispute_id = _raise_new_field(live, csrf_from)
    d = dispute_service.show(live.ws, dispute_id).dispute
    assert d.offer_of(GREENWICH).data_items[0].name == "ethnicity"  # type: ignore[union-attr]
    assert "ethnicity" in d.offer_of(GREENWICH).terms.projection  # type: ignore[union-attr]
    assert d.disputed_fields == ("ethnicity",)

    # NHS England's DPO offers the current terms, as they are.
    nhse = live.signed_in("dpo@nhs.example")
    page, token = _form(nhse, f"/disputes/{dispute_id}/offer", csrf_from)
    assert "Make your final offer" in page
    response = nhse.post(
        f"/disputes/{dispute_id}/offer",
        data={"csrf_token": token, "offer": "drop", "note": "The current list is enough."},
        follow_redirects=False,
    )
    assert response.status_code == 303, re.findall(
        r"govuk-error-summary__list.*?</ul>", response.text, re.S
    )
    d = dispute_service.show(live.ws, dispute_id).dispute
    nhse_offer = d.offer_of(NHSE)
    assert nhse_offer is not None and nhse_offer.note == "The current list is enough."
    assert nhse_offer.terms == d.original

    # Tiers 1 and 2 miss their deadlines: the arbiter has it.
    live.clock.advance(timedelta(hours=5))
    dispute_service.sweep(live.ws)
    assert dispute_service.show(live.ws, dispute_id).dispute.state is DisputeState.tier3

    # A party's DPO cannot decide at tier 3: the service's refusal is on the form.
    page, token = _form(nhse, f"/disputes/{dispute_id}/decide", csrf_from)
    refused = nhse.post(
        f"/disputes/{dispute_id}/decide",
        data={"csrf_token": token, "chosen_party": NHSE, "reasons": "Ours is better."},
    )
    assert refused.status_code == 409
    assert "govuk-error-summary" in refused.text and "Traceback" not in refused.text
    assert "is not the arbiter" in refused.text
    assert f"The arbiter is {HEALTH_ARBITER}" in refused.text
    assert dispute_service.show(live.ws, dispute_id).dispute.state is DisputeState.tier3

    # The arbiter must give reasons...
    arbiter = live.signed_in(ARBITER)
    page, token = _form(arbiter, f"/disputes/{dispute_id}/decide", csrf_from)
    assert "The final offer of Greenwich" in page and "The final offer of NHS England" in page
    no_reasons = arbiter.post(
        f"/disputes/{dispute_id}/decide", data={"csrf_token": token, "chosen_party": GREENWICH}
    )
    assert no_reasons.status_code == 422 and 'href="#reasons"' in no_reasons.text
    # ...and then decides for Greenwich's final offer.
    reasons = "Ethnicity is necessary to reach under-served communities."
    decided = arbiter.post(
        f"/disputes/{dispute_id}/decide",
        data={"csrf_token": token, "chosen_party": GREENWICH, "reasons": reasons},
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text[:800]
    d = dispute_service.show(live.ws, dispute_id).dispute
    assert d.state is DisputeState.decided and d.decision is not None
    assert d.decision.reasons == reasons and d.decision.chosen_party == GREENWICH
    assert d.decision.decider.party == HEALTH_ARBITER and d.decision.tier == 3
    active = agreement_service.active_version(live.ws, A)
    assert active.seq == 2 and "ethnicity" in active.agreement.flow(FLOW).projection
    shown = arbiter.get(f"/disputes/{dispute_id}").text
    assert reasons in shown and "For the final offer of Greenwich" in shown


def test_the_raising_party_withdraws_and_json_works(live: Any, csrf_from: Any) -> None:
    dispute_id = _raise_new_field(live, csrf_from)
    # The other side cannot withdraw it: the service says who can.
    nhse = live.signed_in("dpo@nhs.example")
    _, token = _form(nhse, f"/disputes/{dispute_id}/withdraw", csrf_from)
    refused = nhse.post(
        f"/disputes/{dispute_id}/withdraw", data={"csrf_token": token, "reason": "No."}
    )
    assert refused.status_code == 409 and "only the raising party can withdraw" in refused.text
    # The form's page is JSON too, and a JSON post with the token header answers with JSON.
    council = live.signed_in("siro@greenwich.example")
    form = council.get(f"/disputes/{dispute_id}/withdraw.json").json()
    assert form["ok"] is True and [f["name"] for f in form["fields"]] == ["reason", "role"]
    token = csrf_from(council.get(f"/disputes/{dispute_id}/withdraw").text)
    done = council.post(
        f"/disputes/{dispute_id}/withdraw.json",
        data={"csrf_token": token, "reason": "Agreed locally."},
    )
    assert done.status_code == 200 and done.json()["ok"] is True
    assert done.json()["dispute"]["state"] == "withdrawn"
    assert dispute_service.show(live.ws, dispute_id).dispute.decision.reasons == "Agreed locally."  # type: ignore[union-attr]


def test_pages_name_parties_in_words(live: Any, csrf_from: Any) -> None:
    _raise_new_field(live, csrf_from)
    client = live.signed_in("siro@nhs.example")
    agreement = client.get(f"/agreements/{A}.json").json()
    flow = agreement["agreement"]["flows"][0]
    assert (flow["recipient"], flow["recipient_name"]) == (GREENWICH, "Greenwich")
    required = {(r["party"], r["party_name"]) for r in agreement["required"]}
    assert (NHSE, "NHS England") in required
    html = client.get(f"/agreements/{A}").text
    assert "Raise a dispute" in html
    dashboard = client.get("/.json").json()
    assert dashboard["user"]["party_name"] == "NHS England"
    assert dashboard["disputes"][0]["raised_by_party_name"] == "Greenwich"
    listing = client.get("/disputes").text
    assert "Greenwich" in listing and "Another reason" in listing
