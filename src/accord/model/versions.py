"""An agreement version as stored, and one change of its status: what the services read back
from the store and what the register derives its rows from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.model.agreement import Agreement
from accord.model.enums import Status


@dataclass(frozen=True)
class StoredVersion:
    agreement_id: str
    seq: int
    version: str
    hash: str
    previous_hash: str | None
    status: Status
    ratified: bool
    created_at: datetime
    agreement: Agreement


@dataclass(frozen=True)
class StatusChange:
    seq: int
    from_status: Status | None
    to_status: Status
    reason: str | None
    actor: str | None
    at: datetime
