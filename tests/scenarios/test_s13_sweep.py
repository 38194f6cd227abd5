"""S13 through the store: the clock reaches the DPIA due date, a sweep suspends the live
agreement, the SIROs and recipients are told once, and the engine then refuses to run it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.clock import FixedClock
from accord.errors import NotActive
from accord.model import example_document, parse_agreement
from accord.model.enums import Status
from accord.service import agreements, lifecycle
from accord.store.disputes import notifications
from accord.workspace import Workspace


@pytest.fixture
def live(tmp_path: Path):
    doc = example_document()
    doc["dpia"]["due_by"] = "2026-04-01"  # due before the incident's review date (2026-04-13)
    a = parse_agreement(doc)
    with Workspace.init(tmp_path / "ws", clock=FixedClock(a.incident.declared_at)) as ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        yield ws, a


def _notes(ws: Workspace) -> list[tuple[str, str, str]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(notifications).order_by(notifications.c.id)).all()
    return [(r.party, r.role, r.subject) for r in rows]


def _not_review(swept: list[lifecycle.Swept]) -> list[lifecycle.Swept]:
    """Without the warnings of the agreement's review date (tested in test_review_dates)."""
    return [s for s in swept if not s.detail.startswith("review of the agreement")]


def test_nothing_due_on_the_day_of_activation(live) -> None:
    ws, _ = live
    assert _not_review(lifecycle.sweep(ws)) == []


def test_reminder_two_days_before_then_suspension_at_the_due_date(live) -> None:
    ws, a = live
    due = datetime.combine(a.dpia.due_by, time.min, tzinfo=UTC)
    ws.clock.set(due - timedelta(days=1))
    reminded = _not_review(lifecycle.sweep(ws))
    assert {s.action for s in reminded} == {"notified"}
    assert lifecycle.sweep(ws) == []  # idempotent: told once
    ws.clock.set(due)
    swept = lifecycle.sweep(ws)
    assert [s.action for s in swept if s.action != "notified"] == ["suspended"]
    assert agreements.get(ws, a.id).status is Status.suspended
    told = _notes(ws)
    assert ("ods:X26", "siro", told[0][2]) in told
    assert {p for p, _, s in told if s.startswith("Flows suspended")} == {
        "gss:E09000011",
        "gss:E06000002",
    }
    names = [e.event.name for e in ws.ledger.entries_for_agreement(a.id)]
    assert names[-1] == "agreement-state-changed"
    with pytest.raises(NotActive):
        from accord.engine import run_agreement

        run_agreement(
            agreements.get(ws, a.id).agreement,
            status=agreements.get(ws, a.id).status,
            source=Path("unused.csv"),
            out_dir=ws.root,
            secret=ws.pseudonym_secret(),
            geography=None,
            now=ws.clock.now(),
        )


def test_unratified_emergency_expires_at_review(live) -> None:
    ws, a = live
    a_review = a.incident.review_by
    ws.clock.set(a_review)
    swept = lifecycle.sweep(ws)
    assert [s.action for s in swept] == ["expired"]
    assert agreements.get(ws, a.id).status is Status.expired
