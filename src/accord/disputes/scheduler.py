"""Deadlines that survive restarts: due escalations are computed from stored state.

Nothing is held in memory. :func:`due` asks the store which open disputes have a deadline at or
before ``now``; :func:`sweep` applies the machine's :class:`~accord.disputes.machine.Expire` to
each, repeating while a dispute is still overdue (a workspace that was down for a day catches up
tier by tier, each miss recorded). A step is stored only if the dispute's revision is unchanged,
so two sweeps running at once, or a sweep run twice, record each escalation exactly once.

Call it from a timer (``accord dispute sweep``, or the server's background task) with the
workspace clock; it is safe to call as often as you like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from accord.disputes import journal
from accord.disputes.machine import Expire, apply
from accord.disputes.model import DisputeState
from accord.store.disputes import disputes
from accord.workspace import Workspace

LADDER = (DisputeState.tier1.value, DisputeState.tier2.value, DisputeState.tier3.value)


@dataclass(frozen=True)
class DueEscalation:
    dispute_id: str
    tier: int
    deadline: datetime


@dataclass(frozen=True)
class Swept:
    """One step a sweep stored: the dispute, the tier whose deadline was missed, the new state."""

    dispute_id: str
    missed_tier: int
    state: DisputeState


def due(conn: Connection, now: datetime) -> list[DueEscalation]:
    """Open disputes whose current tier's deadline is at or before ``now``, oldest first."""
    rows = conn.execute(
        select(disputes.c.id, disputes.c.tier, disputes.c.deadline)
        .where(disputes.c.state.in_(LADDER), disputes.c.deadline <= journal.utc(now))
        .order_by(disputes.c.deadline, disputes.c.id)
    ).all()
    return [DueEscalation(r.id, r.tier, journal.utc(r.deadline)) for r in rows]


def _expire_once(ws: Workspace, dispute_id: str, now: datetime) -> Swept | None:
    with ws.engine.begin() as conn:
        stored = journal.load(conn, dispute_id)
        d = stored.dispute
        if not d.is_open or d.deadline is None or now < d.deadline:
            return None
        step = apply(d, Expire(), now)
        ref = journal.agreement_ref(conn, d.agreement_id)
        try:
            journal.save(
                conn, step, now, ref, expected_revision=stored.revision, pending=stored.pending
            )
        except journal.StaleDispute:
            return None
    ws.ledger.append_many(journal.ledger_events(step, now, ref, ws.keystore), now)
    return Swept(dispute_id, d.tier, step.dispute.state)


def sweep(ws: Workspace, now: datetime | None = None) -> list[Swept]:
    """Apply every due escalation (and any it makes due in turn); return the steps stored."""
    now = now or ws.clock.now()
    out: list[Swept] = []
    with ws.engine.connect() as conn:
        todo = [e.dispute_id for e in due(conn, now)]
    for dispute_id in todo:
        while (swept := _expire_once(ws, dispute_id, now)) is not None:
            out.append(swept)
    return out
