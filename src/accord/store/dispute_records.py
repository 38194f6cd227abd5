"""The dispute repository: the SQL of disputes, their step log and their notifications.

Plain reads and writes on the tables of :mod:`accord.store.disputes` in the caller's
transaction (``conn``), in and out as columns and JSON text: what a dispute *is* (the model,
the machine, the meaning of a step) stays in :mod:`accord.disputes`; the services call these
functions and convert (:mod:`accord.service.dispute_journal`).

The compare-and-set on ``revision`` lives here because it is how the rows are written: an update
names the revision it read and changes nothing when another writer moved it on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from accord.store.agreements import agreement_versions
from accord.store.disputes import dispute_steps, disputes, notifications
from accord.store.users import users

__all__ = [
    "add_notification",
    "add_step",
    "agreement_version_rows",
    "clear_pending",
    "dispute_row",
    "due_rows",
    "insert_dispute",
    "last_step_seq",
    "party_user_rows",
    "update_dispute",
]


def agreement_version_rows(conn: Connection, agreement_id: str) -> Sequence[Row[Any]]:
    """Every stored version of one agreement, newest first."""
    v = agreement_versions
    return conn.execute(
        select(v).where(v.c.agreement_id == agreement_id).order_by(v.c.seq.desc())
    ).all()


def dispute_row(conn: Connection, dispute_id: str) -> Row[Any] | None:
    return conn.execute(select(disputes).where(disputes.c.id == dispute_id)).first()


def party_user_rows(conn: Connection, party: str) -> Sequence[Any]:
    """(email, roles) of the party's enabled users, oldest account first."""
    return conn.execute(
        select(users.c.email, users.c.roles)
        .where(users.c.party_org_id == party, users.c.disabled.is_(False))
        .order_by(users.c.id)
    ).all()


def insert_dispute(
    conn: Connection,
    *,
    dispute_id: str,
    agreement_id: str,
    flow_id: str,
    raised_at: datetime,
    revision: int,
    values: dict[str, Any],
) -> None:
    conn.execute(
        insert(disputes).values(
            id=dispute_id,
            agreement_id=agreement_id,
            flow_id=flow_id,
            raised_at=raised_at,
            revision=revision,
            **values,
        )
    )


def update_dispute(
    conn: Connection, dispute_id: str, expected_revision: int, values: dict[str, Any]
) -> bool:
    """Write ``values`` and the next revision if the row still has ``expected_revision``."""
    done = conn.execute(
        update(disputes)
        .where(disputes.c.id == dispute_id, disputes.c.revision == expected_revision)
        .values(revision=expected_revision + 1, **values)
    )
    return done.rowcount == 1


def last_step_seq(conn: Connection, dispute_id: str) -> int:
    seq: int = conn.execute(
        select(func.coalesce(func.max(dispute_steps.c.seq), 0)).where(
            dispute_steps.c.dispute_id == dispute_id
        )
    ).scalar_one()
    return seq


def add_step(conn: Connection, **values: Any) -> None:
    conn.execute(insert(dispute_steps).values(**values))


def add_notification(conn: Connection, **values: Any) -> None:
    conn.execute(insert(notifications).values(**values))


def clear_pending(conn: Connection, dispute_id: str) -> None:
    conn.execute(update(disputes).where(disputes.c.id == dispute_id).values(pending_effect=None))


def due_rows(conn: Connection, states: Iterable[str], now: datetime) -> Sequence[Any]:
    """(id, tier, deadline) of disputes in ``states`` whose deadline is at or before ``now``."""
    return conn.execute(
        select(disputes.c.id, disputes.c.tier, disputes.c.deadline)
        .where(disputes.c.state.in_(list(states)), disputes.c.deadline <= now)
        .order_by(disputes.c.deadline, disputes.c.id)
    ).all()
