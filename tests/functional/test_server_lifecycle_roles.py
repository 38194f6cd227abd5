"""Who may end or suspend a whole agreement (issue 22.7): the discloser's SIRO, as the playbook's
``lifecycle`` table says; one recipient's SIRO cannot stop every other recipient's flow."""

from __future__ import annotations

from typing import Any

import pytest

from accord.model.enums import Status
from accord.playbook.stages import playbook
from accord.service import agreements as agreement_service

A = "urn:accord:agreement:example-shielding"


def _live(site: Any) -> None:
    for state in (Status.in_review, Status.approved, Status.active):
        agreement_service.transition(site.ws, A, state, actor="tests")


def _move(site: Any, email: str, to: str) -> Any:
    return site.client().post(
        f"/api/agreements/{A}/transitions",
        json={"to": to, "reason": "tests"},
        headers=site.bearer(email),
    )


def test_the_playbook_gives_ending_and_suspending_to_the_discloser() -> None:
    for target in (Status.suspended, Status.terminated, Status.expired, Status.active):
        rule = playbook().move_rule(target)
        assert rule is not None and rule.parties == "disclosers" and rule.roles == ["siro"]
    assert playbook().move_rule(Status.approved) is None


@pytest.mark.parametrize("to", ["terminated", "suspended", "expired"])
def test_a_recipient_siro_cannot_end_or_suspend_the_agreement(site: Any, to: str) -> None:
    _live(site)
    size = site.ws.ledger.size()
    for recipient_siro in ("siro@greenwich.example", "siro@middlesbrough.example"):
        refused = _move(site, recipient_siro, to)
        assert refused.status_code == 403, refused.text
        assert refused.json()["problems"][0]["where"] == "party"
        assert "discloser" in refused.json()["problems"][0]["reason"]
    assert agreement_service.get(site.ws, A).status is Status.active
    assert site.ws.ledger.size() == size  # nothing recorded


def test_the_discloser_siro_suspends_and_ends_it(site: Any) -> None:
    _live(site)
    suspended = _move(site, "siro@nhs.example", "suspended")
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["agreement"]["status"] == "suspended"
    ended = _move(site, "siro@nhs.example", "terminated")
    assert ended.json()["agreement"]["status"] == "terminated"
    # Terminated is final, even for the discloser.
    assert _move(site, "siro@nhs.example", "active").status_code == 409


def test_suspending_beside_a_draft_amendment_suspends_the_version_in_force(site: Any) -> None:
    """Issue 12.1: the move acts on the active version, not on the amendment being drafted."""
    _live(site)
    current = agreement_service.get(site.ws, A).agreement
    agreement_service.amend(site.ws, current.model_copy(update={"version": "1.1.0"}))
    suspended = _move(site, "siro@nhs.example", "suspended")
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["agreement"]["version"] == "1.0.0"
    statuses = [v.status for v in agreement_service.versions(site.ws, A)]
    assert statuses == [Status.suspended, Status.draft]
    resumed = _move(site, "siro@nhs.example", "active")
    assert resumed.json()["agreement"]["status"] == "active", resumed.text
    assert agreement_service.get(site.ws, A, 1).status is Status.active
