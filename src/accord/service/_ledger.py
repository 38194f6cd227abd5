"""Recording service events in the workspace's ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from accord.ledger.checkpoint import format_timestamp
from accord.ledger.events import Event
from accord.ledger.log import LedgerEntry
from accord.workspace import Workspace


def iso(when: datetime) -> str:
    """The ledger's time form: UTC, microseconds, ``Z``."""
    return format_timestamp(when)


def record(ws: Workspace, *events: Event, conn: Connection | None = None) -> list[LedgerEntry]:
    """Append events to the ledger, in order, all or none.

    Pass the store transaction's ``conn`` so the change and its events commit together; without
    it the events are appended in a transaction of their own, after the change has committed
    (a crash between the two would leave a stored change without its event).
    """
    return ws.ledger.append_many(events, ws.clock.now(), conn=conn)
