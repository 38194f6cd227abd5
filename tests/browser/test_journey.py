"""The journey an information-governance team takes, in a real browser: sign in, create an
agreement from a template, approve it as each role the playbook requires, make it live, find
it on the public register and download the CSV. axe-core checks every page on the way."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.browser

APPROVERS = [
    "siro@greenwich.example",
    "siro@middlesbrough.example",
    "cg@nhse.example",
    "siro@nhse.example",
]


def _click(b: Any, text: str) -> None:
    b.page.get_by_role("button", name=text).first.click()
    b.page.wait_for_load_state()
    b.check_accessibility()


def test_from_template_to_public_register(server: Any, browser: Any) -> None:
    b = browser
    page = b.page
    b.sign_in("req@nhse.example")
    b.shot("01-dashboard-requester")

    # 1. Which template?
    page.get_by_role("button", name="Start a new agreement from a template").click()
    b.check_accessibility()
    page.get_by_label("Shielded patient list to every upper-tier local authority").check()
    _click(b, "Continue")
    # 2. The incident.
    page.get_by_label("Incident reference").fill("INC-2026-042")
    page.get_by_label("What is the incident?").fill("Pandemic wave: shielding")
    _click(b, "Continue")
    # 3. A UK, national or regional emergency (CCA Part 2)?
    page.get_by_role("group", name="Does the emergency threaten serious damage").get_by_label(
        "Yes"
    ).check()
    _click(b, "Continue")
    # 4. The parties.
    page.get_by_role("group", name="Who discloses the data?").get_by_label(
        "NHS England (ods:X26)"
    ).check()
    recipients = page.get_by_role("group", name="Who receives it?")
    recipients.get_by_label("Royal Borough of Greenwich (gss:E09000011)").check()
    recipients.get_by_label("Middlesbrough Council (gss:E06000002)").check()
    _click(b, "Continue")
    # 5. Check your answers, with the findings.
    assert page.get_by_role("heading", name="Check your answers").is_visible()
    assert page.get_by_text("What the rules say about this draft").is_visible()
    b.shot("02-check-answers-with-findings")
    _click(b, "Create draft agreement")
    assert page.get_by_role("heading", name="Shielded patient list").is_visible()
    agreement_url = page.url
    _click(b, "Submit for review")
    assert "In review" in page.locator("main").inner_text()

    for email in APPROVERS:
        b.sign_in(email)
        page.get_by_role("link", name="Review and decide").first.click()
        b.check_accessibility()
        page.get_by_label("Approve", exact=True).check()
        _click(b, "Sign and record my decision")
        assert page.url == agreement_url
    b.shot("03-agreement-approved")
    assert "Approved" in page.locator("main").inner_text()

    _click(b, "Make active")
    assert "Active" in page.locator("main").inner_text()
    b.shot("04-agreement-active")

    # An emergency flow is held back for up to 24 hours, with a reason.
    b.visit("/register")
    assert "Held back" in page.locator("main").inner_text()
    server.clock.advance(timedelta(hours=24))
    b.visit("/register")
    main = page.locator("main").inner_text()
    assert "INC-2026-042" in main or "Shielded patient list" in main
    b.shot("05-public-register")
    page.get_by_role("link", name="Shielded patient list").first.click()
    b.check_accessibility()
    b.shot("06-public-agreement-page")
    b.visit("/register/tree-head")
    b.visit("/register")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV (this selection)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert {r["recipients"] for r in rows} == {
        "Royal Borough of Greenwich (gss:E09000011)",
        "Middlesbrough Council (gss:E06000002)",
    }
    assert all(r["status"] == "active" and r["approvals"] for r in rows)
    assert len(b.axe_results) >= 10
    assert all(passes > 10 for passes in b.axe_results.values())
    print("axe: pages checked and rules passed:", b.axe_results)
