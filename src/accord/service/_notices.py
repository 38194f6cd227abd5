"""Storing a notification once: the same subject to the same party and role is never repeated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from accord.store.disputes import notifications


def notify_once(
    conn: Connection,
    *,
    agreement_id: str,
    agreement_version: str,
    agreement_hash: str,
    party: str,
    role: str,
    subject: str,
    message: str,
    now: datetime,
    deadline: datetime | None = None,
) -> bool:
    """Store the notification unless the same one is stored for this version; True when new."""
    exists = conn.execute(
        select(notifications.c.id).where(
            notifications.c.agreement_hash == agreement_hash,
            notifications.c.party == party,
            notifications.c.role == role,
            notifications.c.subject == subject,
        )
    ).first()
    if exists:
        return False
    conn.execute(
        notifications.insert().values(
            dispute_id=None,
            step_seq=None,
            agreement_id=agreement_id,
            agreement_version=agreement_version,
            agreement_hash=agreement_hash,
            party=party,
            role=role,
            address=None,
            subject=subject[:300],
            message=message,
            deadline=deadline,
            created_at=now,
        )
    )
    return True
