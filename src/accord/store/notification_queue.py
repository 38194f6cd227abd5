"""The notification repository: which notifications wait on a channel, and each attempt.

Plain SQL on the tables of :mod:`accord.store.disputes` (``notifications``,
``notification_deliveries``); what a notification is and how it is sent stay in
:mod:`accord.notifications`, and the service that sends them
(:mod:`accord.service.notifications`) calls these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, select, update

from accord.store.disputes import notification_deliveries, notifications

__all__ = ["note_attempt", "pending_rows"]


def pending_rows(
    conn: Connection, channel: str, *, dispute_id: str | None = None
) -> Sequence[Row[Any]]:
    """Notification rows with no successful delivery on ``channel``, oldest first."""
    d = notification_deliveries
    sent = (
        select(d.c.id)
        .where(d.c.notification_id == notifications.c.id, d.c.channel == channel)
        .where(d.c.sent_at.is_not(None))
    )
    query = select(notifications).where(~sent.exists()).order_by(notifications.c.id)
    if dispute_id is not None:
        query = query.where(notifications.c.dispute_id == dispute_id)
    return conn.execute(query).all()


def note_attempt(
    conn: Connection,
    notification_id: int,
    channel: str,
    *,
    sent_at: datetime | None,
    error: str | None,
) -> None:
    """Count one attempt on ``channel``: sent (``sent_at``) or failed (``error``)."""
    d = notification_deliveries
    key = and_(d.c.notification_id == notification_id, d.c.channel == channel)
    row = conn.execute(select(d.c.attempts).where(key)).first()
    if row is None:
        conn.execute(
            insert(d).values(
                notification_id=notification_id,
                channel=channel,
                attempts=1,
                last_error=error,
                sent_at=sent_at,
            )
        )
    else:
        conn.execute(
            update(d)
            .where(key)
            .values(attempts=row.attempts + 1, last_error=error, sent_at=sent_at)
        )
