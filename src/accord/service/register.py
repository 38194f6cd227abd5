"""The public register of a workspace: its rows now, and publishing them.

The rows themselves are derived, purely, by :mod:`accord.register.rows`; this module reads what
they derive from (every agreement's version in force, its status changes and its ledger events)
and, to publish, writes the register as CSV and JSON into the workspace's ``register/`` folder,
atomically, and appends a ``register-published`` event carrying the SHA-256 of the JSON and the
number of rows, so a later reader can prove which register was published when.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from accord.ledger.checkpoint import format_timestamp
from accord.ledger.events import RegisterPublished
from accord.model.canonical import canonical_json
from accord.register.exports import rows_csv, rows_json
from accord.register.rows import (
    PublicationPolicy,
    PublishedVersion,
    RegisterInputs,
    RegisterRow,
    build_rows,
    published_version,
)
from accord.service import agreements as agreement_service
from accord.workspace import Workspace


def load_inputs(ws: Workspace) -> RegisterInputs:
    """Read the version in force (or once in force) of every agreement and its ledger events."""
    published: list[PublishedVersion] = []
    for latest in agreement_service.list_all(ws):
        versions = agreement_service.versions(ws, latest.agreement_id)
        shown = published_version(versions)
        if shown is None:
            continue
        changes = agreement_service.status_changes(ws, latest.agreement_id)
        events = [e.event for e in ws.ledger.entries_for_agreement(latest.agreement_id)]
        published.append(PublishedVersion(shown, changes, events))
    return RegisterInputs(published, ws.ledger.latest_head())


def register_rows(
    ws: Workspace, *, policy: PublicationPolicy | None = None, now: datetime | None = None
) -> list[RegisterRow]:
    """The public register of the workspace, now (by the workspace clock)."""
    return build_rows(load_inputs(ws), now=now or ws.clock.now(), policy=policy)


@dataclass(frozen=True)
class Published:
    json_path: Path
    csv_path: Path
    register_sha256: str
    entry_count: int
    withheld_count: int
    event_id: str


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def publish_register(ws: Workspace) -> Published:
    """Write the register as it stands now and record its hash in the ledger."""
    now = ws.clock.now()
    rows = register_rows(ws, now=now)
    folder = ws.root / "register"
    folder.mkdir(exist_ok=True)
    body = canonical_json(rows_json(rows))
    digest = hashlib.sha256(body).hexdigest()
    json_path, csv_path = folder / "register.json", folder / "register.csv"
    _write_atomic(json_path, body)
    _write_atomic(csv_path, rows_csv(rows).encode("utf-8"))
    entry = ws.ledger.append(
        RegisterPublished(at=format_timestamp(now), register_sha256=digest, entry_count=len(rows)),
        now,
    )
    return Published(
        json_path,
        csv_path,
        digest,
        len(rows),
        sum(1 for r in rows if r.withheld),
        entry.event_id,
    )
