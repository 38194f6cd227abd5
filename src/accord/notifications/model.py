"""A notification: who must act (party and role, and an address if one is known), what about,
and by when; and the :class:`Transport` protocol every channel implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Notification:
    id: int
    dispute_id: str | None
    agreement_id: str
    agreement_version: str
    agreement_hash: str
    party: str
    role: str
    address: str | None
    subject: str
    message: str
    deadline: datetime | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The JSON body a webhook receives (times in UTC, ISO 8601)."""
        return {
            "id": self.id,
            "dispute_id": self.dispute_id,
            "agreement_id": self.agreement_id,
            "agreement_version": self.agreement_version,
            "agreement_hash": self.agreement_hash,
            "party": self.party,
            "role": self.role,
            "subject": self.subject,
            "message": self.message,
            "deadline": _iso(self.deadline),
            "created_at": _iso(self.created_at),
        }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else utc(when).isoformat().replace("+00:00", "Z")


def utc(when: datetime) -> datetime:
    """Stored times come back naive from SQLite; they were written in UTC."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class Transport(Protocol):
    """One delivery channel. ``send`` returns when the notification is accepted; it raises
    (any exception) when it is not, and the notification stays pending for that channel."""

    channel: str

    def send(self, notification: Notification) -> None: ...
