"""The SIRO's exception form and the owners' upcoming deadlines on the dashboard, in the real app
over a real workspace: a lapsed council flow resumes when the discloser's SIRO signs an
exception; bad answers come back on the form naming the field, with nothing recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from accord.service import agreements, assurance, lifecycle

AID = "urn:accord:agreement:example-shielding"
FORM = "/agreements/" + AID + "/exception"


def _live_with_lapse(site: Any) -> None:
    for target in ("in_review", "approved", "active"):
        agreements.transition(site.ws, AID, target)
    assurance.record_assurance(
        site.ws,
        {"party": "gss:E09000011", "scheme": "dspt", "status": "standards_met",
         "effective_from": "2025-03-20", "valid_until": "2026-03-20"},
        actor="ig",
    )  # fmt: skip


def test_dashboard_lists_what_ends_soon(site: Any) -> None:
    _live_with_lapse(site)
    page = site.signed_in("siro@nhs.example").get("/")
    assert page.status_code == 200
    assert "Upcoming deadlines" in page.text
    assert (
        "Greenwich&#39;s dspt assurance" in page.text or "Greenwich's dspt assurance" in page.text
    )
    assert "2026-03-20" in page.text


def test_the_siro_signs_an_exception_and_the_flow_resumes(site: Any, csrf_from: Any) -> None:
    _live_with_lapse(site)
    site.clock.set(datetime(2026, 3, 21, 9, tzinfo=UTC))
    lifecycle.sweep(site.ws)
    v = agreements.get(site.ws, AID)
    assert set(lifecycle.open_suspensions(site.ws, v)) == {"spl-e09000011"}
    client = site.signed_in("siro@nhs.example")
    form = client.get(FORM)
    assert form.status_code == 200 and "spl-e09000011" in form.text
    token = csrf_from(form.text)
    bad = client.post(
        FORM,
        data={"recipient": "gss:E09000011", "controls": "", "ends": "2026-03-28",
              "csrf_token": token},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'href="#controls"' in bad.text and assurance.exceptions(site.ws) == []
    backwards = client.post(
        FORM,
        data={"recipient": "gss:E09000011", "controls": "Logged access", "starts": "2026-03-25",
              "ends": "2026-03-22", "csrf_token": token},
    )  # fmt: skip
    assert backwards.status_code == 422 and 'href="#ends"' in backwards.text
    done = client.post(
        FORM,
        data={"recipient": "gss:E09000011", "controls": "Logged access, named staff only",
              "ends": "2026-03-28", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    assert lifecycle.open_suspensions(site.ws, v) == {}
    (e,) = assurance.exceptions(site.ws, AID)
    assert e.exception.discloser == "ods:X26" and e.exception.ends.isoformat() == "2026-03-28"


def test_a_council_siro_may_not_record_one(site: Any, csrf_from: Any) -> None:
    _live_with_lapse(site)
    client = site.signed_in("siro@greenwich.example")
    token = csrf_from(client.get(FORM).text)
    refused = client.post(
        FORM,
        data={"recipient": "gss:E09000011", "controls": "We promise", "ends": "2026-04-01",
              "csrf_token": token},
    )  # fmt: skip
    assert refused.status_code == 403 and assurance.exceptions(site.ws) == []
