"""An agreement's review date: the owners are warned 30, 14 and 7 days before it, like every other
date in its life, and the day after it the review is overdue: a warning finding citing the ICO's
expectation of regular review, told once to the SIRO and DPO. The review decision is the SIRO's
(playbook stage 12), so nothing is suspended for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from accord.clock import FixedClock
from accord.law import Severity, check
from accord.model import example_document, parse_agreement
from accord.model.enums import Status
from accord.service import agreements, lifecycle
from accord.store.disputes import notifications
from accord.workspace import Workspace

AID = "urn:accord:agreement:example-shielding"


def _doc() -> dict:
    doc = example_document()  # review_date 2026-04-13
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    doc["incident"]["review_by"] = "2026-12-31T09:00:00+00:00"  # no expiry in the window
    return doc


def test_the_review_is_overdue_the_day_after_its_date() -> None:
    a = parse_agreement(_doc())
    assert "review.overdue" not in {f.code for f in check(a, date(2026, 4, 13))}
    overdue = [f for f in check(a, date(2026, 4, 14)) if f.code == "review.overdue"]
    assert [(f.severity, f.field) for f in overdue] == [(Severity.warning, "review.review_date")]
    assert "ico.org.uk" in overdue[0].source_url and "SIRO" in overdue[0].message


def test_owners_are_warned_before_the_review_and_told_once_it_is_overdue(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 16, 6, tzinfo=UTC))
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        agreements.create(ws, parse_agreement(_doc()))
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, AID, target)
        seen = []
        for n in range(40):  # 16 March to 24 April
            clock.set(datetime(2026, 3, 16, 6, tzinfo=UTC) + timedelta(days=n))
            seen += [
                (clock.now().date().isoformat(), s.action, s.detail)
                for s in lifecycle.sweep(ws)
                if s.action in {"warned", "review-overdue"} and "review" in s.detail
            ]
        what = "review of the agreement, due on 2026-04-13"
        assert seen == [
            ("2026-03-16", "warned", f"{what}: 29 days"),  # inside 30 days from the start
            ("2026-03-31", "warned", f"{what}: 14 days"),
            ("2026-04-07", "warned", f"{what}: 7 days"),
            ("2026-04-14", "review-overdue", what),
        ]
        assert agreements.get(ws, AID).status is Status.active  # the SIRO decides, not accord
        with ws.engine.connect() as conn:
            told = conn.execute(
                select(notifications.c.party, notifications.c.role, notifications.c.message).where(
                    notifications.c.subject.like("Review overdue:%")
                )
            ).all()
        assert {(t.party, t.role) for t in told} == {("ods:X26", "siro"), ("ods:X26", "dpo")}
        assert all("overdue" in t.message and "ICO accountability" in t.message for t in told)
        # The dashboard's list of what ends soon shows the review too.
        on = date(2026, 4, 1)
        soon = {d.key: d.days_left(on) for d in lifecycle.upcoming(ws, on)}
        assert soon["review:2026-04-13"] == 13  # days until it is overdue, on 14 April
