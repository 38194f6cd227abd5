"""The two-person release of a disclosure-controlled table, in a real browser: the queue, the
table with its suppression report, two approvals by different reviewers. axe-core checks every
page on the way (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accord.model.examples import example_counts_agreement
from accord.service import agreements as agreement_service
from accord.service import releases, runs, users
from accord.synth import write_population, write_postcode_directory

pytestmark = pytest.mark.browser

AGREEMENT_ID = "urn:accord:agreement:browser-counts"
PASSWORD = "correct horse battery staple"  # the browser conftest's


def _held_table(server: Any, folder: Path) -> str:
    ws = server.ws
    agreement = example_counts_agreement(AGREEMENT_ID)
    assert agreement.incident is not None
    server.clock.set(agreement.incident.declared_at)
    agreement_service.create(ws, agreement, actor="req@nhse.example")
    for state in ("in_review", "approved", "active"):
        agreement_service.transition(ws, AGREEMENT_ID, state, actor="tests")
    directory = runs.postcode_directory(ws)
    write_postcode_directory(directory, postcodes=500, seed=5)
    write_population(folder / "people.parquet", rows=1_000, seed=5, postcode_directory=directory)
    runs.run(
        ws,
        AGREEMENT_ID,
        source=folder / "people.parquet",
        geography=runs.load_geography(ws),
        requested_by=users.user_by_email(ws, "req@nhse.example"),
    )
    held = [r.delivery_id for r in releases.list_releases(ws) if r.state == "pending"]
    assert held, "the aggregate run held no table"
    return held[0]


def test_two_reviewers_release_a_table_in_the_browser(
    server: Any, browser: Any, tmp_path: Path
) -> None:
    users.add_user(server.ws, "dpo@nhse.example", "Dee Dpo", "ods:X26", ["dpo"], PASSWORD)
    table = _held_table(server, tmp_path)
    b = browser
    page = b.page

    b.sign_in("cg@nhse.example")
    b.visit("/releases")
    page.get_by_role("link", name=table).first.click()
    page.wait_for_load_state()
    b.check_accessibility()
    assert page.get_by_role("table", name="Suppression report").is_visible()
    # The cells read as words: the total row says so, a suppressed count says so, no flags.
    cells = page.get_by_role("table", name="The table")
    assert cells.get_by_role("cell", name="Total", exact=True).count() >= 1
    assert cells.get_by_role("cell", name="suppressed", exact=True).count() >= 1
    assert cells.get_by_role("cell", name="True", exact=True).count() == 0
    b.shot("release-review-pending")
    page.get_by_role("button", name="Approve release").click()
    page.wait_for_load_state()
    b.check_accessibility()

    # The same reviewer cannot approve twice: the refusal is in an error summary.
    b.visit("/releases/" + table)
    page.get_by_role("button", name="Approve release").click()
    page.wait_for_load_state()
    b.check_accessibility()
    assert page.locator(".govuk-error-summary").is_visible()

    b.sign_in("dpo@nhse.example")
    b.visit("/releases/" + table)
    page.get_by_role("button", name="Approve release").click()
    page.wait_for_load_state()
    b.check_accessibility()
    b.visit("/releases/" + table)
    assert page.get_by_role("button", name="Approve release").count() == 0
    assert releases.show(server.ws, table).release.state == "released"
