"""What one recipient party may pull: shares, tables, versions and files.

- A **share** is an agreement under which the party receives at least one flow, and only while
  a version of it is *active*: a suspended, expired or revoked agreement shows nothing.
- Its one **schema** is ``deliveries``; each **table** is one flow to this party.
- Table **version** *n* is the party's *n*-th delivery of that flow under the active version
  (``delivery-made`` events in log order, matched on the active version's hash); version 0 is
  the empty table before the first delivery. Each version is one file, the run's extract.
- An aggregate table held for release review is not offered until it is released
  (:func:`accord.service.releases.recipient_may_see`).
- Every delivery's manifest is checked against the SHA-256 the ledger recorded for it before
  any of its files is offered.

Nothing here reads row values: only schemas, sizes, hashes and counts.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from accord.engine.delivery import Layout
from accord.engine.result import RunResult
from accord.engine.run import RUN_RECORD
from accord.errors import InputError, NotFound, Problem, VerificationError
from accord.ledger.events import DeliveryMade
from accord.service import agreements as agreement_service
from accord.service import releases
from accord.service.agreements import StoredVersion
from accord.workspace import Workspace

SCHEMA = "deliveries"
_NAME = re.compile(r"[^A-Za-z0-9_-]")
_NAMESPACE = uuid.UUID("6f1c7d2e-3b0a-4f5e-9a61-0c2d8e4b7a15")


def share_name(agreement_id: str) -> str:
    """A protocol-safe name (no spaces, slashes or dots), e.g. ``urn_accord_agreement_x``."""
    return _NAME.sub("_", agreement_id)


@dataclass(frozen=True)
class SharedFile:
    """One Parquet file of a delivery: ``file_id`` is opaque and stable."""

    file_id: str
    path: Path
    size: int
    rows: int


@dataclass(frozen=True)
class TableVersion:
    version: int
    run_id: str
    at: datetime
    extract: SharedFile
    additions: SharedFile | None
    removals: SharedFile | None
    since_run: str | None
    reset: bool

    @property
    def timestamp_ms(self) -> int:
        return int(self.at.timestamp() * 1000)


@dataclass(frozen=True)
class SharedTable:
    share: str
    name: str
    agreement_id: str
    agreement_hash: str
    flow_id: str
    versions: tuple[TableVersion, ...]

    schema: str = SCHEMA

    @property
    def id(self) -> str:
        """Changes when a new agreement version becomes active (its history starts again)."""
        return str(
            uuid.uuid5(_NAMESPACE, f"{self.agreement_id}\0{self.flow_id}\0{self.agreement_hash}")
        )

    @property
    def version(self) -> int:
        return len(self.versions)

    def at_version(self, version: int) -> TableVersion | None:
        """The delivery that made ``version`` (None for version 0)."""
        if not 0 <= version <= self.version:
            raise InputError(
                f"table {self.name} has no version {version}",
                [Problem("version", f"the latest version is {self.version}")],
            )
        return self.versions[version - 1] if version else None

    def files(self) -> list[SharedFile]:
        out: list[SharedFile] = []
        for v in self.versions:
            out.extend(f for f in (v.extract, v.additions, v.removals) if f is not None)
        return out


@dataclass(frozen=True)
class Share:
    name: str
    agreement_id: str
    tables: tuple[SharedTable, ...]

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, self.agreement_id))


def shares_for(ws: Workspace, party: str) -> list[Share]:
    """Every share ``party`` may see now, with its tables and their versions."""
    shares = []
    for latest in agreement_service.list_all(ws):
        try:
            active = agreement_service.active_version(ws, latest.agreement_id)
        except NotFound:
            continue
        flows = [f.id for f in active.agreement.flows if f.recipient == party]
        if not flows:
            continue
        name = share_name(active.agreement_id)
        made = [
            e.event
            for e in ws.ledger.entries_for_agreement(active.agreement_id)
            if isinstance(e.event, DeliveryMade)
            and e.event.recipient == party
            and e.event.agreement_hash == active.hash
        ]
        made = releases.recipient_may_see(ws, active, made)
        tables = tuple(
            t for t in (_table(ws, active, name, made, flow_id) for flow_id in flows) if t.versions
        )
        shares.append(Share(name, active.agreement_id, tables))
    return sorted(shares, key=lambda s: s.name)


def find_share(ws: Workspace, party: str, name: str) -> Share:
    for share in shares_for(ws, party):
        if share.name.lower() == name.lower():
            return share
    raise NotFound(f"no share {name}")


def find_table(ws: Workspace, party: str, share: str, schema: str, table: str) -> SharedTable:
    found = find_share(ws, party, share)
    if schema.lower() != SCHEMA:
        raise NotFound(f"no schema {schema} in share {found.name}")
    for t in found.tables:
        if t.name.lower() == table.lower():
            return t
    raise NotFound(f"no table {table} in {found.name}.{SCHEMA}")


def find_file(ws: Workspace, party: str, file_id: str) -> SharedFile:
    for share in shares_for(ws, party):
        for table in share.tables:
            for f in table.files():
                if f.file_id == file_id:
                    return f
    raise NotFound("no such file")


def _table(
    ws: Workspace, active: StoredVersion, share: str, made: list[DeliveryMade], flow_id: str
) -> SharedTable:
    """The flow's table, from the party's ``delivery-made`` events under the active version."""
    layout = Layout(ws.root, active.agreement_id)
    versions: list[TableVersion] = []
    for e in made:
        if e.run_id is None or e.delivery_id != f"{e.run_id}/{flow_id}":
            continue
        version = _version(layout, e, e.run_id, flow_id, len(versions) + 1)
        if version is None:
            # A CSV delivery cannot be shared as a Delta table; the flow is not offered.
            return SharedTable(share, flow_id, active.agreement_id, active.hash, flow_id, ())
        versions.append(version)
    return SharedTable(share, flow_id, active.agreement_id, active.hash, flow_id, tuple(versions))


def _version(
    layout: Layout, event: DeliveryMade, run_id: str, flow_id: str, number: int
) -> TableVersion | None:
    record = layout.run_dir(run_id) / RUN_RECORD
    result = RunResult.from_record(json.loads(record.read_bytes()), layout.root, rerun=False)
    delivery = result.delivery(flow_id)
    data = delivery.manifest_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != event.manifest_sha256:
        raise VerificationError(
            "a delivery's manifest does not match the ledger; it is not served",
            [Problem("manifest", f"delivery {event.delivery_id}")],
        )
    manifest: dict[str, Any] = json.loads(data)
    files = manifest["files"]
    delta = manifest.get("delta") or {}

    def shared(name: str, rows: int | None) -> SharedFile | None:
        if name not in files:
            return None
        path = delivery.directory / name
        digest = hashlib.sha256(
            f"{event.agreement_id}\0{event.recipient}\0{flow_id}\0{run_id}\0{name}".encode()
        ).hexdigest()
        count = rows if rows is not None else pq.read_metadata(path).num_rows
        return SharedFile(digest[:32], path, path.stat().st_size, count)

    extract = shared("extract.parquet", int(manifest["rows"]))
    if extract is None:
        return None
    return TableVersion(
        version=number,
        run_id=run_id,
        at=datetime.fromisoformat(event.at.replace("Z", "+00:00")),
        extract=extract,
        additions=shared("additions.parquet", delta.get("additions")),
        removals=shared("removals.parquet", delta.get("removals")),
        since_run=delta.get("since"),
        reset=bool(delta.get("reset")),
    )
