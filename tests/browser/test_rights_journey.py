"""People's rights in a real browser: the handler's page with the deadline clock, a lookup, a
code for the person, a decision; then the person's own view and their objection. axe-core
checks every page on the way (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from accord.model import example_agreement
from accord.service import agreements as agreement_service
from accord.service import rights, runs, users
from accord.synth import write_population, write_postcode_directory

pytestmark = pytest.mark.browser

AID = "urn:accord:agreement:example-shielding"
PASSWORD = "correct horse battery staple"  # the browser conftest's


def _delivered(server: Any, folder: Path) -> str:
    ws = server.ws
    agreement = example_agreement()
    assert agreement.incident is not None
    server.clock.set(agreement.incident.declared_at)
    agreement_service.create(ws, agreement, actor="req@nhse.example")
    for state in ("in_review", "approved", "active"):
        agreement_service.transition(ws, AID, state, actor="tests")
    directory = runs.postcode_directory(ws)
    write_postcode_directory(directory, postcodes=300, seed=9)
    write_population(folder / "people.parquet", rows=300, seed=9, postcode_directory=directory)
    result = runs.run(ws, AID, source=folder / "people.parquet", geography=runs.load_geography(ws))
    d = next(d for d in result.deliveries if d.rows)
    return str(pq.read_table(d.directory / "extract.parquet")["nhs_number"][0].as_py())


def test_a_handler_and_the_person_in_the_browser(server: Any, browser: Any, tmp_path: Path) -> None:
    ws = server.ws
    lead = users.add_user(ws, "dpo@nhse.example", "Dee Dpo", "ods:X26", ["dpo"], PASSWORD)
    council = users.add_user(
        ws, "dpo@greenwich.example", "Gil Dpo", "gss:E09000011", ["dpo"], PASSWORD
    )
    number = _delivered(server, tmp_path)
    received = ws.clock.now().date()
    b = browser
    page = b.page

    # Greenwich's DPO records a subject access request from the Rights page.
    b.sign_in("dpo@greenwich.example")
    b.visit("/rights")
    page.get_by_label("A subject access request (Art 15)").check()
    page.fill("#request-nhs-number", number)
    page.get_by_role("button", name="Record the request").click()
    page.wait_for_load_state()
    b.check_accessibility()
    (r,) = rights.list_requests(ws, council)
    assert (r.kind, r.received_by, r.lead_party) == ("access", "gss:E09000011", "ods:X26")
    assert page.get_by_text("The lead party, ods:X26, decides this request.").is_visible()

    b.sign_in("dpo@nhse.example")
    b.visit("/rights")
    table = page.get_by_role("table", name="Requests")
    left = r.days_left(received)
    assert table.get_by_text(f"{left} days left", exact=True).count() == 1
    b.shot("rights-handler")
    page.fill("#nhs_number", number)
    page.get_by_role("button", name="Look up").click()
    page.wait_for_load_state()
    b.check_accessibility()
    found = page.get_by_role("table", name="Deliveries that included the person")
    assert found.get_by_role("cell", name=AID).count() >= 1
    assert number not in page.content()

    page.fill("#code-nhs-number", number)
    page.get_by_role("button", name="Issue a code").click()
    page.wait_for_load_state()
    b.check_accessibility()
    code = page.locator(".govuk-panel__body strong").inner_text()

    page.get_by_role("link", name=r.request_id).click()
    page.wait_for_load_state()
    b.check_accessibility()
    page.get_by_label("Extend by two months (complex request)").check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    b.check_accessibility()
    assert rights.get(ws, lead, r.request_id).extended
    page.get_by_label("Uphold: stop sending this person's data").check()
    page.get_by_role("button", name="Record the decision").click()  # not for an access request
    page.wait_for_load_state()
    b.check_accessibility()
    assert page.locator(".govuk-error-summary").is_visible()

    # The person: a wrong code is refused in an error summary; the right one shows the view.
    page.context.clear_cookies()
    b.visit("/my-data")
    page.fill("#nhs_number", number)
    page.fill("#code", "0000-0000-0000")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    b.check_accessibility()
    assert page.locator(".govuk-error-summary").is_visible()
    page.fill("#nhs_number", number)
    page.fill("#code", code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    b.check_accessibility()
    text = page.content()
    assert example_agreement().title in text
    assert "Greenwich" in text or "Middlesbrough" in text
    assert example_agreement().purposes[0].description in text
    b.shot("rights-own-view")
    page.get_by_label(example_agreement().title).check()
    page.get_by_role("button", name="Send my objection").click()
    page.wait_for_load_state()
    b.check_accessibility()
    assert page.get_by_text("Your objection has been sent").is_visible()
    objections = [x for x in rights.list_requests(ws, lead) if x.kind == "objection"]
    assert [(x.received_by, x.state) for x in objections] == [("ods:X26", "open")]
    assert objections[0].received_on == received
