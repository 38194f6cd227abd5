"""The server runs the daily re-check itself: the real app, its lifespan starting a background
scheduler with an injected clock and a fast interval, finds a lapsed DSPT status and pauses only
that council's flow, once, however many ticks run."""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from accord.clock import FixedClock
from accord.model import example_document, parse_agreement
from accord.server.app import create_app
from accord.server.scheduler import Scheduler
from accord.service import agreements, assurance, lifecycle
from accord.store.disputes import notifications
from accord.workspace import Workspace

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


def test_the_apps_scheduler_sweeps_in_the_background(tmp_path: Path) -> None:
    doc = example_document()
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    a = parse_agreement(doc)
    clock = FixedClock(datetime(2026, 3, 16, 9, tzinfo=UTC))
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        assurance.record_assurance(
            ws,
            {"party": "gss:E09000011", "scheme": "dspt", "status": "standards_met",
             "effective_from": "2025-03-01", "valid_until": "2026-03-31"},
            actor="ig",
        )  # fmt: skip
        ticking = FixedClock(datetime(2026, 4, 2, 6, tzinfo=UTC))  # the injected clock
        scheduler = Scheduler(ws, interval=0.02, clock=ticking)
        app = create_app(ws, scheduler=scheduler)
        version = agreements.get(ws, a.id)
        assert lifecycle.open_suspensions(ws, version) == {}
        with TestClient(app, base_url="http://testserver"):
            deadline = time.monotonic() + 20
            while scheduler.ticks < 3 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert scheduler.ticks >= 3 and scheduler.last_error is None
        assert set(lifecycle.open_suspensions(ws, version)) == {"spl-e09000011"}
        events = [e.event.name for e in ws.ledger.entries_for_agreement(a.id)]
        assert events.count("flow-suspended") == 1
        with ws.engine.connect() as conn:
            told = conn.execute(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.subject.like("Flow spl-e09000011 suspended%"))
            ).scalar()
        assert told == 4  # SIRO and DPO of Greenwich and of NHS England, once each
        ticks = scheduler.ticks
        time.sleep(0.1)
        assert scheduler.ticks == ticks  # the lifespan stopped it with the app


def test_each_tick_signs_a_head_when_the_log_has_grown_and_a_get_never_writes(
    tmp_path: Path,
) -> None:
    """Issue 22.10: heads are signed by the instance on its own schedule, at its clock."""
    from accord.ledger.checkpoint import format_timestamp
    from accord.service import heads

    a = parse_agreement(example_document())
    with Workspace.init(
        tmp_path / "ws", clock=FixedClock(datetime(2026, 3, 16, 9, tzinfo=UTC))
    ) as ws:
        agreements.create(ws, a)
        ticking = FixedClock(datetime(2026, 3, 16, 10, tzinfo=UTC))
        scheduler = Scheduler(ws, clock=ticking)
        client = TestClient(create_app(ws), base_url="http://testserver")
        assert client.get("/api/register/tree-head").json()["size"] == 0  # the GET signed nothing
        assert ws.ledger.heads() == []
        scheduler.tick()
        (head,) = ws.ledger.heads()
        assert head.size == ws.ledger.size() > 0
        assert head.timestamp == format_timestamp(ticking.now())
        assert client.get("/api/register/tree-head").json()["size"] == head.size
        ticking.set(datetime(2026, 3, 16, 11, tzinfo=UTC))
        scheduler.tick()  # nothing new in the log: no new head
        assert ws.ledger.heads() == [head]
        agreements.transition(ws, a.id, "in_review")  # the log grows
        assert client.get("/api/register/tree-head").json()["size"] == head.size
        assert len(ws.ledger.heads()) == 1  # still only the scheduler signs
        scheduler.tick()
        assert [h.size for h in ws.ledger.heads()] == [head.size, ws.ledger.size()]
        # A witness that refuses the head is a failure the scheduler records, like the others.
        heads.add_witness(ws, ws.keystore.witness_verifier().to_string(), "http://witness.test/")
        refusing = Scheduler(ws, interval=0.02, clock=ticking, post=lambda url, body: (403, "no"))
        agreements.transition(ws, a.id, "draft")
        with TestClient(create_app(ws, scheduler=refusing), base_url="http://testserver"):
            deadline = time.monotonic() + 20
            while refusing.ticks < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert refusing.last_error == "VerificationError"
        assert refusing.last_head is not None and refusing.last_head.refused
        assert ws.ledger.heads()[-1].size == ws.ledger.size()  # signed, though not cosigned
