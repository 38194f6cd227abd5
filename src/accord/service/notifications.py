"""Sending pending notifications through a transport, recording each delivery.

Each notification waits on each channel until one delivery there succeeds; every attempt is
counted (a failure keeps its error and is tried again next time) and every success is a
``notification-sent`` ledger event (:func:`accord.notifications.deliver.sent_event`). The SQL is
the store's (:mod:`accord.store.notification_queue`).
"""

from __future__ import annotations

from datetime import UTC

from accord.notifications.deliver import Delivery, failure, notification_from_row, sent_event
from accord.notifications.model import Notification, Transport
from accord.store import notification_queue as queue
from accord.workspace import Workspace

__all__ = ["deliver_pending", "pending"]


def pending(ws: Workspace, channel: str, *, dispute_id: str | None = None) -> list[Notification]:
    """Notifications not yet delivered on ``channel``, oldest first."""
    with ws.engine.connect() as conn:
        rows = queue.pending_rows(conn, channel, dispute_id=dispute_id)
    return [notification_from_row(r) for r in rows]


def deliver_pending(
    ws: Workspace, transport: Transport, *, dispute_id: str | None = None
) -> list[Delivery]:
    """Send every pending notification on ``transport``'s channel; return what happened."""
    out: list[Delivery] = []
    for n in pending(ws, transport.channel, dispute_id=dispute_id):
        try:
            transport.send(n)
        except Exception as exc:  # any failure leaves it pending, with the reason kept
            error = failure(exc)
            with ws.engine.begin() as conn:
                queue.note_attempt(conn, n.id, transport.channel, sent_at=None, error=error)
            out.append(Delivery(n.id, transport.channel, False, error))
            continue
        now = ws.clock.now()
        with ws.engine.begin() as conn:
            queue.note_attempt(
                conn, n.id, transport.channel, sent_at=now.astimezone(UTC), error=None
            )
        ws.ledger.append(sent_event(n, transport.channel, now), now)
        out.append(Delivery(n.id, transport.channel, True))
    return out
