"""What sending a notification produces: the outcome of each attempt and its ledger event.

A notification is pending on a channel until a delivery on that channel succeeds; a failure is
kept with its error and attempt count and tried again next time. Each success is a
``notification-sent`` ledger event naming the party and role (never the address). Delivery is
at least once: a crash between sending and recording sends again on the next run. The loop
that sends and records is the service's (:mod:`accord.service.notifications`); this module is
pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from accord.ledger.events import NotificationSent
from accord.notifications.model import Notification


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


def failure(exc: Exception) -> str:
    """The error kept for a failed attempt (class and message, at most 1000 characters)."""
    return f"{type(exc).__name__}: {exc}"[:1000]


def sent_event(n: Notification, channel: str, now: datetime) -> NotificationSent:
    """The ledger event of a successful delivery: party and role, never the address."""
    return NotificationSent(
        agreement_id=n.agreement_id,
        agreement_version=n.agreement_version,
        agreement_hash=n.agreement_hash,
        at=_iso(now),
        recipient=f"{n.role} of {n.party}",
        channel=channel,
        subject=n.subject,
    )
