"""A dispute, in a real browser: a council DPO raises it from the agreement's flow, the
discloser's DPO makes a final offer, the deadlines pass and the arbiter decides. axe-core checks
every page on the way, including the pages that show errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from accord.disputes.ladder import HEALTH_ARBITER
from accord.model import example_agreement
from accord.service import agreements as agreement_service
from accord.service import disputes as dispute_service
from accord.service import users as user_service

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
PEOPLE = [
    ("dpo@greenwich.example", "Gita DPO", "gss:E09000011", ["dpo"]),
    ("dpo@nhse.example", "Dee DPO", "ods:X26", ["dpo"]),
    ("arbiter@dhsc.example", "Ada Arbiter", HEALTH_ARBITER, ["arbiter"]),
]
REASONS = "Ethnicity is necessary to reach under-served communities quickly."


def _submit(b: Any, text: str) -> None:
    b.page.get_by_role("button", name=text).click()
    b.page.wait_for_load_state()
    b.check_accessibility()


def test_raise_offer_and_decide(server: Any, browser: Any) -> None:
    ws = server.ws
    agreement = example_agreement()
    agreement_service.create(ws, agreement, actor="test")
    for target in ("in_review", "approved", "active"):
        agreement_service.transition(ws, agreement.id, target, actor="test")
    for email, name, party, roles in PEOPLE:
        user_service.add_user(ws, email, name, party, roles, PASSWORD)
    b = browser
    page = b.page

    # Greenwich's DPO raises a dispute from the flow on the agreement page.
    b.sign_in("dpo@greenwich.example")
    page.get_by_role("link", name="Shielded patient list").first.click()
    b.check_accessibility()
    page.get_by_role("link", name="Raise a dispute about flow spl-e09000011").click()
    b.check_accessibility()
    assert page.get_by_role("heading", name="Raise a dispute").is_visible()
    # Submitting with nothing filled in shows the error summary.
    _submit(b, "Raise the dispute")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible() and "Enter what is disputed, and why" in summary.inner_text()
    b.shot("dispute-01-raise-errors")
    page.get_by_label("Another reason").check()
    page.get_by_label("What is disputed, and why?").fill(
        "We need each resident's ethnicity to offer culturally appropriate support."
    )
    page.get_by_label("A field not yet in the agreement").check()
    page.get_by_label("Name of the new field").fill("ethnicity")
    page.get_by_label("What kind of data is it?").select_option("special_category_other")
    page.get_by_label("Why is it needed?").fill("Target culturally appropriate support")
    page.get_by_label("The current terms plus these fields").check()
    b.shot("dispute-02-raise-filled")
    _submit(b, "Raise the dispute")
    assert page.get_by_role("heading", name="Dispute about the flow to Greenwich").is_visible()
    main = page.locator("main").inner_text()
    assert "2 hours left" in main and "Greenwich" in main and "NHS England" in main
    dispute_url = page.url
    dispute_id = dispute_url.rsplit("/", 1)[1]
    b.shot("dispute-03-raised")

    # NHS England's DPO offers the current terms, without the new field.
    b.sign_in("dpo@nhse.example")
    b.visit("/disputes")
    page.get_by_role("link", name=dispute_id).click()
    b.check_accessibility()
    page.get_by_role("button", name="Make your final offer").click()
    b.check_accessibility()
    page.get_by_label("The current terms without these fields").check()
    page.get_by_label("Note for the other party (optional)").fill("The current list is enough.")
    b.shot("dispute-04-offer")
    _submit(b, "Make this my final offer")
    assert page.url == dispute_url
    assert "The current list is enough." in page.locator("main").inner_text()

    # Tiers 1 and 2 miss their deadlines; the arbiter has it now.
    server.clock.advance(timedelta(hours=5))
    dispute_service.sweep(ws)
    b.sign_in("arbiter@dhsc.example")
    b.visit(f"/disputes/{dispute_id}")
    assert "19 hours left" in page.locator("main").inner_text()
    b.shot("dispute-05-with-the-arbiter")
    page.get_by_role("button", name="Decide").click()
    b.check_accessibility()
    page.get_by_label("The final offer of Greenwich").check()
    _submit(b, "Record the decision")
    assert (
        "Enter the reasons for your decision" in page.locator(".govuk-error-summary").inner_text()
    )
    b.shot("dispute-06-decide-errors")
    page.get_by_label("Your reasons").fill(REASONS)
    _submit(b, "Record the decision")
    assert page.url == dispute_url
    main = page.locator("main").inner_text()
    assert "For the final offer of Greenwich" in main and REASONS in main
    b.shot("dispute-07-decided")

    d = dispute_service.show(ws, dispute_id).dispute
    assert d.state.value == "decided" and d.decision is not None
    assert d.decision.reasons == REASONS
    assert (
        "ethnicity"
        in agreement_service.active_version(ws, agreement.id).agreement.flow(d.flow_id).projection
    )
    assert len(b.axe_results) >= 9  # distinct pages; the dispute page was checked 4 times
    assert all(passes > 10 for passes in b.axe_results.values())
    print("axe: pages checked and rules passed:", b.axe_results)
