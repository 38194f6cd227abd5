"""The agreement page shows the world at today's date, as activation judges it: a recipient that
no longer exists (a council recoded in 2025) is a blocking finding on the page."""

from __future__ import annotations

import json
from typing import Any

from accord.model import example_document, parse_agreement
from accord.service import agreements as agreement_service

BARNSLEY = "urn:accord:agreement:example-barnsley"


def _with_old_barnsley() -> Any:
    text = json.dumps(example_document())
    text = text.replace("E06000002", "E08000016").replace("e06000002", "e08000016")
    doc = json.loads(text)
    doc["id"] = BARNSLEY
    for p in doc["parties"]:
        if p["org_id"] == "gss:E08000016":
            p.update(name="Barnsley", org_type="la_metropolitan")
    return parse_agreement(doc)


def test_the_page_shows_a_recipient_not_in_existence(site: Any) -> None:
    agreement_service.create(site.ws, _with_old_barnsley(), actor="req@nhs.example")
    client = site.signed_in("siro@nhs.example")
    page = client.get(f"/agreements/{BARNSLEY}.json").json()
    gone = [f for f in page["findings"] if f["code"] == "recipient-not-in-existence"]
    assert [(f["severity"], f["field"]) for f in gone] == [("blocking", "parties.2.org_id")]
    html = client.get(f"/agreements/{BARNSLEY}").text
    assert "Barnsley (gss:E08000016) does not exist on 2026-03-16" in html
    assert "gss:E08000038" in html  # the body in its place
