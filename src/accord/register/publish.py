"""Publishing the register: files anyone can download, and a ledger event that pins them.

:func:`publish_register` derives the rows from stored records (:mod:`accord.register.rows`),
writes them as CSV and JSON into the workspace's ``register/`` folder, atomically, and appends a
``register-published`` event carrying the SHA-256 of the JSON and the number of rows, so a later
reader can prove which register was published when.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from accord.ledger.checkpoint import format_timestamp
from accord.ledger.events import RegisterPublished
from accord.model.canonical import canonical_json
from accord.register.exports import rows_csv, rows_json
from accord.register.rows import register_rows
from accord.workspace import Workspace


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
