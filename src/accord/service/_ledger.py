"""Recording service events in the workspace's ledger."""

from __future__ import annotations

from datetime import datetime

from accord.ledger.checkpoint import format_timestamp
from accord.ledger.events import Event
from accord.ledger.log import LedgerEntry
from accord.workspace import Workspace


def iso(when: datetime) -> str:
    """The ledger's time form: UTC, microseconds, ``Z``."""
    return format_timestamp(when)


def record(ws: Workspace, *events: Event) -> list[LedgerEntry]:
    """Append events to the ledger, in order, all or none.

    Called after the store transaction that made the change has committed; the window between
    the two is named in the ledger notes (a crash there leaves a stored change without its event).
    """
    return ws.ledger.append_many(events, ws.clock.now())
