"""The new-agreement question pages: the CCA Part 2 question (``Incident.cca_part2_emergency``)
has its own page after the incident, so an S4 draft (a council's vulnerable residents to a water
company under Art 6(1)(ea)) finds its Annex 1 emergency condition; it is not asked when the
incident is not a Part 1 emergency, and an answer is needed before the parties."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

S4 = {
    "template": "s4_vulnerable_residents_utility",
    "incident_id": "INC-2026-077",
    "incident_title": "Water supply outage",
    "cca_emergency": "yes",
}
PARTIES = {
    "discloser": "gss:E08000025",
    "recipients": "ch:02366703",
    "o.cca_request.requester_address": "Clearwater Court, Reading RG1 8DB",  # asked on the page
}
JSON = {"Accept": "application/json"}


def _codes(client: Any, answers: dict[str, str]) -> set[str]:
    page = client.get("/agreements/new/check?" + urlencode(answers), headers=JSON)
    assert page.status_code == 200, page.text
    assert page.json()["draft"] is not None, page.json()["problems"]
    return {f["code"] for f in page.json()["findings"] if f["severity"] == "blocking"}


def test_the_incident_page_leads_to_the_part2_question(site: Any) -> None:
    client = site.signed_in("siro@birmingham.example")
    incident = client.get("/agreements/new/incident?template=" + S4["template"])
    assert 'action="/agreements/new/emergency"' in incident.text
    page = client.get("/agreements/new/emergency?" + urlencode(S4))
    assert page.status_code == 200
    html = page.text
    assert "in the United Kingdom or in a Part or region of it" in html
    assert 'class="govuk-radios__input"' in html and 'name="cca_part2_emergency"' in html
    assert "section 19" in html and 'action="/agreements/new/parties"' in html
    for name, value in S4.items():  # earlier answers travel on
        assert f'name="{name}" value="{value}"' in html


def test_the_parties_page_needs_an_answer_and_a_part1_no_skips_the_question(site: Any) -> None:
    client = site.signed_in("siro@birmingham.example")
    missing = client.get("/agreements/new/parties?" + urlencode(S4), follow_redirects=False)
    assert missing.status_code == 303
    assert missing.headers["location"].startswith("/agreements/new/emergency?")
    again = client.get(missing.headers["location"])
    assert "Select yes or no" in again.text and "govuk-error-summary" in again.text
    skipped = client.get(
        "/agreements/new/emergency?" + urlencode({**S4, "cca_emergency": "no"}),
        follow_redirects=False,
    )
    assert skipped.status_code == 303
    query = parse_qs(urlsplit(skipped.headers["location"]).query)
    assert skipped.headers["location"].startswith("/agreements/new/parties?")
    assert query["cca_part2_emergency"] == ["no"]


def test_an_s4_draft_has_its_annex1_condition_only_when_the_question_is_answered_yes(
    site: Any,
) -> None:
    client = site.signed_in("siro@birmingham.example")
    yes = _codes(client, {**S4, "cca_part2_emergency": "yes", **PARTIES})
    no = _codes(client, {**S4, "cca_part2_emergency": "no", **PARTIES})
    assert yes == set()  # the web-built S4 draft no longer blocks
    assert "art6.ea-no-annex1-condition" in no
    page = client.get(
        "/agreements/new/check?" + urlencode({**S4, "cca_part2_emergency": "yes", **PARTIES})
    )
    assert "UK, national or regional emergency (CCA Part 2)" in page.text
    assert 'name="cca_part2_emergency" value="yes"' in page.text  # carried to "Create draft"
