"""Sending pending notifications through a transport, recording each delivery.

A notification is pending on a channel until a delivery on that channel succeeds; a failure is
kept with its error and attempt count and tried again next time. Each success is a
``notification-sent`` ledger event naming the party and role (never the address). Delivery is
at least once: a crash between sending and recording sends again on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, insert, select, update

from accord.ledger.events import NotificationSent
from accord.notifications.model import Notification, Transport
from accord.store.disputes import notification_deliveries, notifications
from accord.workspace import Workspace


@dataclass(frozen=True)
class Delivery:
    notification_id: int
    channel: str
    sent: bool
    error: str | None = None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def notification_from_row(r: object) -> Notification:
    m = r._mapping  # type: ignore[attr-defined]
    return Notification(
        id=m["id"],
        dispute_id=m["dispute_id"],
        agreement_id=m["agreement_id"],
        agreement_version=m["agreement_version"],
        agreement_hash=m["agreement_hash"],
        party=m["party"],
        role=m["role"],
        address=m["address"],
        subject=m["subject"],
        message=m["message"],
        deadline=m["deadline"],
        created_at=m["created_at"],
    )


def pending(ws: Workspace, channel: str, *, dispute_id: str | None = None) -> list[Notification]:
    """Notifications not yet delivered on ``channel``, oldest first."""
    d = notification_deliveries
    sent = (
        select(d.c.id)
        .where(d.c.notification_id == notifications.c.id, d.c.channel == channel)
        .where(d.c.sent_at.is_not(None))
    )
    query = select(notifications).where(~sent.exists()).order_by(notifications.c.id)
    if dispute_id is not None:
        query = query.where(notifications.c.dispute_id == dispute_id)
    with ws.engine.connect() as conn:
        return [notification_from_row(r) for r in conn.execute(query).all()]


def _note(
    conn: Connection, n: Notification, channel: str, now: datetime, error: str | None
) -> None:
    d = notification_deliveries
    key = and_(d.c.notification_id == n.id, d.c.channel == channel)
    row = conn.execute(select(d.c.attempts).where(key)).first()
    sent_at = None if error else now.astimezone(UTC)
    if row is None:
        conn.execute(
            insert(d).values(
                notification_id=n.id, channel=channel, attempts=1, last_error=error, sent_at=sent_at
            )
        )
    else:
        conn.execute(
            update(d)
            .where(key)
            .values(attempts=row.attempts + 1, last_error=error, sent_at=sent_at)
        )


def deliver_pending(
    ws: Workspace, transport: Transport, *, dispute_id: str | None = None
) -> list[Delivery]:
    """Send every pending notification on ``transport``'s channel; return what happened."""
    out: list[Delivery] = []
    for n in pending(ws, transport.channel, dispute_id=dispute_id):
        try:
            transport.send(n)
        except Exception as exc:  # any failure leaves it pending, with the reason kept
            error = f"{type(exc).__name__}: {exc}"[:1000]
            with ws.engine.begin() as conn:
                _note(conn, n, transport.channel, ws.clock.now(), error)
            out.append(Delivery(n.id, transport.channel, False, error))
            continue
        now = ws.clock.now()
        with ws.engine.begin() as conn:
            _note(conn, n, transport.channel, now, None)
        ws.ledger.append(
            NotificationSent(
                agreement_id=n.agreement_id,
                agreement_version=n.agreement_version,
                agreement_hash=n.agreement_hash,
                at=_iso(now),
                recipient=f"{n.role} of {n.party}",
                channel=transport.channel,
                subject=n.subject,
            ),
            now,
        )
        out.append(Delivery(n.id, transport.channel, True))
    return out
