"""Storing dispute steps and sweeping their deadlines: the dispute services' persistence.

The values come from the pure :mod:`accord.disputes.journal` (rows, notifications, ledger
events); the SQL is the store's repository (:mod:`accord.store.dispute_records`). Every
function but :func:`sweep` works in the caller's transaction (``conn``).

:func:`save` stores a step only if the dispute still has the revision that was read, else
raises :class:`~accord.disputes.journal.StaleDispute`; :func:`sweep` applies every due
escalation (and any it makes due in turn), each step in its own transaction with its ledger
events appended after it commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from accord.disputes import journal
from accord.disputes.journal import AgreementRef, StaleDispute, Stored
from accord.disputes.machine import Effect, Expire, Step, apply
from accord.disputes.model import ActorRole
from accord.disputes.scheduler import LADDER, DueEscalation, Swept
from accord.errors import Problem
from accord.model.agreement import Agreement
from accord.store import dispute_records as repo
from accord.workspace import Workspace

__all__ = ["address", "agreement_ref", "clear_pending", "due", "load", "save", "sweep"]


def agreement_ref(conn: Connection, agreement_id: str) -> AgreementRef:
    """The version a dispute step concerns: the active one, else the latest."""
    return journal.agreement_ref(agreement_id, repo.agreement_version_rows(conn, agreement_id))


def load(conn: Connection, dispute_id: str) -> Stored:
    return journal.stored(dispute_id, repo.dispute_row(conn, dispute_id))


def address(conn: Connection, agreement: Agreement, party: str, role: ActorRole) -> str | None:
    """Where to email the ``role`` of ``party``: its contact in the agreement, else a user."""
    return journal.pick_address(agreement, party, role, repo.party_user_rows(conn, party))


def save(
    conn: Connection,
    step: Step,
    now: datetime,
    ref: AgreementRef,
    *,
    expected_revision: int | None,
    pending: Effect | None,
) -> int:
    """Store ``step`` (a new dispute when ``expected_revision`` is None); return its revision."""
    d = step.dispute
    values = journal.dispute_values(step, now, pending)
    if expected_revision is None:
        revision = 1
        repo.insert_dispute(
            conn,
            dispute_id=d.id,
            agreement_id=d.agreement_id,
            flow_id=d.flow_id,
            raised_at=journal.utc(d.raised_at),
            revision=revision,
            values=values,
        )
    else:
        revision = expected_revision + 1
        if not repo.update_dispute(conn, d.id, expected_revision, values):
            raise StaleDispute(
                f"dispute {d.id} changed while this step was being made",
                [Problem("revision", "read the dispute again and retry")],
            )
    last = repo.last_step_seq(conn, d.id)
    for row in journal.step_rows(step, now, last):
        repo.add_step(conn, **row)
    seq = last + len(step.emits)
    for row in journal.notification_rows(
        step, now, ref, seq, lambda party, role: address(conn, ref.agreement, party, role)
    ):
        repo.add_notification(conn, **row)
    return revision


def clear_pending(conn: Connection, dispute_id: str) -> None:
    repo.clear_pending(conn, dispute_id)


def due(conn: Connection, now: datetime) -> list[DueEscalation]:
    """Open disputes whose current tier's deadline is at or before ``now``, oldest first."""
    return [
        DueEscalation(r.id, r.tier, journal.utc(r.deadline))
        for r in repo.due_rows(conn, LADDER, journal.utc(now))
    ]


def _expire_once(ws: Workspace, dispute_id: str, now: datetime) -> Swept | None:
    with ws.engine.begin() as conn:
        stored = load(conn, dispute_id)
        d = stored.dispute
        if not d.is_open or d.deadline is None or now < d.deadline:
            return None
        step = apply(d, Expire(), now)
        ref = agreement_ref(conn, d.agreement_id)
        try:
            save(conn, step, now, ref, expected_revision=stored.revision, pending=stored.pending)
        except StaleDispute:
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
