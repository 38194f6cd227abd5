"""Who sees and acts on an agreement while an amendment changes its parties: one rule, in
``service.access``, for the agreement pages, the exceptions and the exit (deletion) routes.

The amendment drops Middlesbrough and adds Birmingham. While it is a draft, Middlesbrough is
still a party of the version in force: it sees the agreement and acts on it; Birmingham sees
what it is asked to join but cannot act on a version that does not name it. Once the amendment
is active, Middlesbrough no longer acts on the agreement, but must still certify deletion of
what it received, so the exit routes still answer it.
"""

from __future__ import annotations

from typing import Any

from accord.model.enums import Status
from accord.service import agreements as agreement_service

A = "urn:accord:agreement:example-shielding"
MIDDLESBROUGH = "siro@middlesbrough.example"
BIRMINGHAM = "siro@birmingham.example"


def _live(site: Any) -> None:
    for state in (Status.in_review, Status.approved, Status.active):
        agreement_service.transition(site.ws, A, state, actor="tests")


def _amend_parties(site: Any) -> None:
    current = agreement_service.get(site.ws, A).agreement
    leaving = next(p for p in current.parties if p.org_id == "gss:E06000002")
    joining = leaving.model_copy(update={"org_id": "gss:E08000025", "name": "Birmingham"})
    agreement_service.amend(
        site.ws,
        current.model_copy(
            update={
                "version": "1.1.0",
                "parties": [p for p in current.parties if p is not leaving] + [joining],
                "flows": [f for f in current.flows if f.recipient != leaving.org_id],
            }
        ),
    )


def _get(site: Any, email: str, path: str) -> int:
    answer = site.client().get(path, headers=site.bearer(email))
    return int(answer.status_code)


def test_while_the_amendment_is_a_draft_the_parties_in_force_keep_the_agreement(site: Any) -> None:
    _live(site)
    _amend_parties(site)
    assert [v.status for v in agreement_service.versions(site.ws, A)] == [
        Status.active,
        Status.draft,
    ]
    # The leaving party is still a party of the version in force.
    assert _get(site, MIDDLESBROUGH, f"/api/agreements/{A}") == 200
    assert A in {
        a["id"]
        for a in site.client()
        .get("/api/agreements", headers=site.bearer(MIDDLESBROUGH))
        .json()["agreements"]
    }
    assert _get(site, MIDDLESBROUGH, f"/api/agreements/{A}/exceptions") == 200
    # The joining party sees the draft it is asked to join, and nothing to act on yet.
    assert _get(site, BIRMINGHAM, f"/api/agreements/{A}") == 200
    assert _get(site, BIRMINGHAM, f"/api/agreements/{A}/exceptions") == 404
    assert _get(site, BIRMINGHAM, f"/api/agreements/{A}/exit") == 404


def test_once_the_amendment_is_active_the_party_it_removed_still_certifies(site: Any) -> None:
    _live(site)
    _amend_parties(site)
    for state in (Status.in_review, Status.approved, Status.active):
        agreement_service.transition(site.ws, A, state, actor="tests", seq=2)
    assert agreement_service.version_in_force(site.ws, A).seq == 2
    assert _get(site, MIDDLESBROUGH, f"/api/agreements/{A}/exceptions") == 404
    assert _get(site, MIDDLESBROUGH, f"/api/agreements/{A}/exit") == 200
    assert _get(site, MIDDLESBROUGH, f"/api/agreements/{A}?version=1") == 200
    assert _get(site, BIRMINGHAM, f"/api/agreements/{A}/exceptions") == 200
