"""What one recipient party may pull by Delta Sharing: shares, tables, versions and files.

- A **share** is an agreement under which the party receives at least one flow, and only while
  a version of it is *active*. A suspended, expired or terminated agreement lists nothing, and
  asking for its share by name (or fetching a file link issued under it) is refused with the
  reason (:func:`find_share`): the recipient is told the agreement is suspended, never handed a
  bare "not found" for its own agreement.
- Its one **schema** is ``deliveries``; each **table** is one flow to this party. A table whose
  flow the sweep has suspended, or whose sharing has ended (the recipient ceased or withdrew),
  is refused with the reason, and so are the links to its files. A delivery purged at the end
  of its retention is no longer offered.
- Table **version** *n* is the party's *n*-th delivery of that flow under the active version
  (``delivery-made`` events in log order, matched on the active version's hash); version 0 is
  the empty table before the first delivery. Each version is one file, the run's extract, and,
  when the engine wrote a delta against the version before, its additions and removals.
- The **change feed** (:func:`changes`) gives, for each version, the rows to delete from the
  version before and the rows to insert, so that applying it to version *n - 1* gives version
  *n* as a multiset of rows. For a delta applied by key those deletes are the earlier rows of
  every key the delta replaces, derived once from the previous extract and kept under the
  workspace (:mod:`accord.service.sharing_deletes`), served and recorded like any other file.
- An aggregate table held for release review is not offered until it is released
  (:func:`accord.service.releases.recipient_may_see`).
- Every delivery's manifest is checked against the SHA-256 the ledger recorded for it before
  any of its files is offered.

Queries are planned here (:func:`snapshot_version`, :func:`stream_files`, :func:`changes`) and
recorded: each query is one ``sharing-queried`` event (:func:`record_query`) and each signed
file link that serves bytes is one ``sharing-file-downloaded`` event, however many range
requests the reader makes under it (:func:`open_file`). :func:`accesses` is what the discloser
sees of them. The server only parses and renders.

Nothing here reads row values: only schemas, sizes, hashes and counts
(:mod:`accord.service.sharing_deletes` reads the previous extract to derive the feed's
deletes).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from accord.engine.delivery import Layout
from accord.engine.delta import BY_KEY, MULTISET
from accord.engine.result import RunResult
from accord.engine.run import RUN_RECORD
from accord.errors import InputError, NotFound, NotPermitted, Problem, VerificationError
from accord.ledger.events import (
    DeliveryMade,
    DeliveryPurged,
    SharingFileDownloaded,
    SharingQueried,
)
from accord.model.enums import Status
from accord.service import agreements as agreement_service
from accord.service import lifecycle, releases, retention, sharing_deletes
from accord.service import users as user_service
from accord.service._ledger import iso, record
from accord.service.agreements import StoredVersion
from accord.service.sharing_links import Link, UrlSigner, url_secret
from accord.store.sharing import sharing_downloads
from accord.workspace import Workspace

SCHEMA = "deliveries"
DELETES = "replaced.parquet"  # the name the feed and the ledger give derived delete rows
_NAME = re.compile(r"[^A-Za-z0-9_-]")
_NAMESPACE = uuid.UUID("6f1c7d2e-3b0a-4f5e-9a61-0c2d8e4b7a15")


def share_name(agreement_id: str) -> str:
    """A protocol-safe name (no spaces, slashes or dots), e.g. ``urn_accord_agreement_x``."""
    return _NAME.sub("_", agreement_id)


@dataclass(frozen=True)
class SharedFile:
    """One Parquet file of a delivery: ``file_id`` is opaque and stable."""

    file_id: str
    name: str
    path: Path
    size: int
    rows: int
    sha256: str


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
    apply: str | None = None  # the manifest's ``delta.apply``
    key: str | None = None  # and ``delta.key``
    replaced: int = 0  # and ``delta.replaced``
    base_sha256: str | None = None  # and ``delta.base.extract_sha256``
    deletes_id: str = ""  # the file id of its derived delete rows (a by-key delta only)

    @property
    def timestamp_ms(self) -> int:
        return int(self.at.timestamp() * 1000)

    def files(self) -> list[SharedFile]:
        return [f for f in (self.extract, self.additions, self.removals) if f is not None]


@dataclass(frozen=True)
class SharedTable:
    share: str
    name: str
    agreement_id: str
    agreement_hash: str
    flow_id: str
    versions: tuple[TableVersion, ...]

    schema: str = SCHEMA
    recipient: str = ""

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

    def locate(self, file_id: str) -> tuple[TableVersion, SharedFile] | None:
        for v in self.versions:
            for f in v.files():
                if f.file_id == file_id:
                    return v, f
        return None


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
        share = _share(ws, active, party)
        if share is not None:
            shares.append(share)
    return sorted(shares, key=lambda s: s.name)


def _share(ws: Workspace, active: StoredVersion, party: str) -> Share | None:
    flows = [f.id for f in active.agreement.flows if f.recipient == party]
    if not flows:
        return None
    name = share_name(active.agreement_id)
    entries = ws.ledger.entries_for_agreement(active.agreement_id)
    # The instance's copy of a delivery purged at the end of its retention is gone for good.
    purged = {
        e.event.delivery_id
        for e in entries
        if isinstance(e.event, DeliveryPurged) and e.event.recipient == party
    }
    made = [
        e.event
        for e in entries
        if isinstance(e.event, DeliveryMade)
        and e.event.recipient == party
        and e.event.agreement_hash == active.hash
        and e.event.delivery_id not in purged
    ]
    made = releases.recipient_may_see(ws, active, made)
    tables = tuple(
        t
        for t in (_table(ws, active, name, made, flow_id, party) for flow_id in flows)
        if t.versions
    )
    return Share(name, active.agreement_id, tables)


def _not_in_force(ws: Workspace, party: str, name: str) -> NotPermitted | None:
    """The refusal for ``party``'s share ``name`` whose agreement is not active now, if any."""
    for v in agreement_service.all_in_force(ws):
        if share_name(v.agreement_id).lower() != name.lower() or v.status is Status.active:
            continue
        if party not in {f.recipient for f in v.agreement.flows}:
            return None
        changes = agreement_service.status_changes(ws, v.agreement_id)
        last = next((c for c in reversed(changes) if c.to_status is v.status), None)
        why = f" since {iso(last.at.replace(tzinfo=last.at.tzinfo or UTC))}" if last else ""
        if last and last.reason:
            why += f": {last.reason}"
        return NotPermitted(
            f"agreement {v.agreement_id} is {v.status.value}{why}; nothing under it is served",
            [Problem("share", f"{share_name(v.agreement_id)} is {v.status.value}")],
        )
    return None


def find_share(ws: Workspace, party: str, name: str) -> Share:
    """The party's share ``name``; refused with the reason when its agreement is not active."""
    for share in shares_for(ws, party):
        if share.name.lower() == name.lower():
            return share
    refused = _not_in_force(ws, party, name)
    if refused is not None:
        raise refused
    raise NotFound(f"no share {name}")


def find_table(ws: Workspace, party: str, share: str, schema: str, table: str) -> SharedTable:
    found = find_share(ws, party, share)
    if schema.lower() != SCHEMA:
        raise NotFound(f"no schema {schema} in share {found.name}")
    for t in found.tables:
        if t.name.lower() == table.lower():
            _check_flow(ws, t)
            return t
    raise NotFound(f"no table {table} in {found.name}.{SCHEMA}")


def _check_flow(ws: Workspace, table: SharedTable) -> None:
    """Refuse, saying why, a table whose flow the sweep has suspended or whose sharing ended
    (the recipient ceased or withdrew, or the flow's end date passed)."""
    active = agreement_service.active_version(ws, table.agreement_id)
    paused = lifecycle.open_suspensions(ws, active)
    if table.flow_id in paused:
        raise NotPermitted(
            f"the flow {table.flow_id} is suspended: {paused[table.flow_id]}; nothing of it is"
            " served until it resumes",
            [Problem("table", f"{table.name} is suspended")],
        )
    try:
        live = retention.sharing_flows(ws, active, ws.clock.now().date())
    except NotPermitted:
        live = []
    if live is not None and table.flow_id not in live:
        raise NotPermitted(
            f"sharing of the flow {table.flow_id} has ended; nothing of it is served",
            [Problem("table", f"{table.name} has ended")],
        )


def find_file(ws: Workspace, party: str, file_id: str) -> SharedFile:
    """A file the party may see now in any of its shares (else "not found")."""
    for share in shares_for(ws, party):
        for table in share.tables:
            found = _find(ws, table, file_id)
            if found is not None:
                return found[1]
    raise NotFound("no such file")


def _holds(table: SharedTable, file_id: str) -> bool:
    """Whether ``file_id`` names a delivered file of ``table`` or a version's delete rows."""
    return table.locate(file_id) is not None or _derived(table, file_id) is not None


def _derived(table: SharedTable, file_id: str) -> int | None:
    """The version whose derived delete rows ``file_id`` names, if the feed serves them."""
    for number, v in enumerate(table.versions, 1):
        if v.deletes_id == file_id and _by_key(table, number) is not None:
            return number
    return None


def _find(
    ws: Workspace, table: SharedTable, file_id: str
) -> tuple[TableVersion, SharedFile] | None:
    """A delivered file of ``table``, or the derived delete rows of one of its versions."""
    found = table.locate(file_id)
    if found is not None:
        return found
    number = _derived(table, file_id)
    if number is None:
        return None
    return table.versions[number - 1], _deletes(ws, table, number)


def _table(
    ws: Workspace,
    active: StoredVersion,
    share: str,
    made: list[DeliveryMade],
    flow_id: str,
    party: str,
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
            versions = []
            break
        versions.append(version)
    ids = (share, flow_id, active.agreement_id, active.hash, flow_id)
    return SharedTable(*ids, tuple(versions), recipient=party)


def _version(
    layout: Layout, event: DeliveryMade, run_id: str, flow_id: str, number: int
) -> TableVersion | None:
    record_path = layout.run_dir(run_id) / RUN_RECORD
    result = RunResult.from_record(json.loads(record_path.read_bytes()), layout.root, rerun=False)
    delivery = result.delivery(flow_id)
    data = delivery.manifest_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != event.manifest_sha256:
        raise VerificationError(
            "a delivery's manifest does not match the ledger; it is not served",
            [Problem("manifest", f"delivery {event.delivery_id}")],
        )
    manifest: dict[str, Any] = json.loads(data)
    files: dict[str, str] = manifest["files"]
    delta = manifest.get("delta") or {}

    def file_id(name: str) -> str:
        digest = hashlib.sha256(
            f"{event.agreement_id}\0{event.recipient}\0{flow_id}\0{run_id}\0{name}".encode()
        )
        return digest.hexdigest()[:32]

    def shared(name: str, rows: int | None) -> SharedFile | None:
        if name not in files:
            return None
        path = delivery.directory / name
        count = rows if rows is not None else pq.read_metadata(path).num_rows
        return SharedFile(file_id(name), name, path, path.stat().st_size, count, files[name])

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
        apply=delta.get("apply"),
        key=delta.get("key"),
        replaced=int(delta.get("replaced") or 0),
        base_sha256=(delta.get("base") or {}).get("extract_sha256"),
        deletes_id=file_id(DELETES),
    )


# -- planning queries ---------------------------------------------------------------------


def parse_time(value: str, where: str) -> datetime:
    """An ISO 8601 time with a zone (the protocol's timestamp format)."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InputError(
            "not a timestamp", [Problem(where, "use ISO 8601 with a zone: 2026-03-16T09:00:00Z")]
        )
    return when


def version_since(table: SharedTable, starting_timestamp: str) -> int:
    """The first version delivered at or after ``starting_timestamp``."""
    when = parse_time(starting_timestamp, "startingTimestamp")
    later = [v.version for v in table.versions if v.at >= when]
    if not later:
        raise InputError(
            "no version at or after that time",
            [Problem("startingTimestamp", f"the latest version is {table.version}")],
        )
    return later[0]


def snapshot_version(table: SharedTable, version: int | None, timestamp: str | None) -> int:
    """The version a snapshot query reads: ``version``, the one in force at ``timestamp``, or
    the latest."""
    if version is not None and timestamp is not None:
        raise InputError(
            "give a version or a timestamp, not both", [Problem("timestamp", "drop one")]
        )
    if version is not None:
        table.at_version(version)
        return version
    if timestamp is not None:
        when = parse_time(timestamp, "timestamp")
        earlier = [v.version for v in table.versions if v.at <= when]
        if not earlier:
            raise InputError(
                "the table has no version at or before that time",
                [Problem("timestamp", f"version 1 was delivered at {table.versions[0].at}")],
            )
        return earlier[-1]
    return table.version


def bound(
    table: SharedTable, version: int | None, timestamp: str | None, where: str, *, start: bool
) -> int | None:
    """One end of a version range, from a version or a timestamp (never both)."""
    if version is not None and timestamp is not None:
        raise InputError("give a version or a timestamp, not both", [Problem(where, "drop one")])
    if timestamp is not None:
        when = parse_time(timestamp, where)
        picked = [v.version for v in table.versions if (v.at >= when if start else v.at <= when)]
        if not picked:
            raise InputError("no version in that range", [Problem(where, timestamp)])
        return picked[0] if start else picked[-1]
    return version


def version_range(table: SharedTable, start: int | None, end: int | None) -> tuple[int, int]:
    """``start..end`` checked against the table (``end`` defaults to the latest version)."""
    if start is None:
        raise InputError("say where the changes start", [Problem("startingVersion", "missing")])
    end = table.version if end is None else end
    if not start <= end <= table.version:
        raise InputError(
            "the version range is not valid",
            [Problem("endingVersion", f"need {start} <= end <= {table.version}")],
        )
    return start, end


Action = Literal["add", "remove"]


@dataclass(frozen=True)
class FileChange:
    """One file of a version range: added or removed at ``version``."""

    action: Action
    file: SharedFile
    version: TableVersion


def stream_files(table: SharedTable, start: int, end: int) -> list[FileChange]:
    """The table's own log from ``start`` to ``end``: each version adds its extract and removes
    the one before (what a streaming reader of the Delta table sees)."""
    out: list[FileChange] = []
    for number in range(max(start, 1), end + 1):
        v = table.versions[number - 1]
        if number > 1:
            out.append(FileChange("remove", table.versions[number - 2].extract, v))
        out.append(FileChange("add", v.extract, v))
    return out


def changes(ws: Workspace, table: SharedTable, start: int, end: int) -> list[FileChange]:
    """The change feed from ``start`` to ``end``, row by row: for each version, the rows to
    delete from the version before and the rows to insert, so that applying them to version
    *n - 1* gives version *n* exactly (as a multiset of rows).

    - A delivery whose delta was made against the version before it, by ``multiset``: its
      additions are inserts and its removals (whole rows) deletes.
    - By ``replace-by-key``: its additions are inserts, and the deletes are the version
      before's rows of every key in its additions or removals, in full and with their
      multiplicity (its removals name keys only). They are derived once, from the previous
      extract, into a file named ``replaced.parquet`` in the feed and the ledger
      (:mod:`accord.service.sharing_deletes`); there are ``delta.replaced`` of them.
    - Any other delivery (the first one, a reset, or one whose delta is against a delivery not
      offered as the version before) deletes the previous extract and inserts its own.
    """
    out: list[FileChange] = []
    for number in range(max(start, 1), end + 1):
        v = table.versions[number - 1]
        before = table.versions[number - 2] if number > 1 else None
        if v.additions is not None and v.removals is not None and _applies(table, number):
            out.append(FileChange("add", v.additions, v))
            if _by_key(table, number) is not None:
                out.append(FileChange("remove", _deletes(ws, table, number), v))
            else:
                out.append(FileChange("remove", v.removals, v))
            continue
        if before is not None:
            out.append(FileChange("remove", before.extract, v))
        out.append(FileChange("add", v.extract, v))
    keep = {i.digest for i in (_by_key(table, n) for n in range(1, table.version + 1)) if i}
    sharing_deletes.prune(_cache(ws, table), keep)
    return out


def _applies(table: SharedTable, number: int) -> bool:
    """Whether version ``number``'s delta applies, row by row, to the version before it."""
    v = table.versions[number - 1]
    before = table.versions[number - 2] if number > 1 else None
    return (
        before is not None
        and v.additions is not None
        and v.removals is not None
        and not v.reset
        and v.apply in (MULTISET, BY_KEY)
        and v.since_run == before.run_id
        and v.base_sha256 == before.extract.sha256
    )


def _by_key(table: SharedTable, number: int) -> sharing_deletes.Inputs | None:
    """What version ``number``'s delete rows are derived from, if its delta is by key."""
    v = table.versions[number - 1]
    if not _applies(table, number) or v.apply != BY_KEY or v.key is None:
        return None
    base = table.versions[number - 2].extract
    assert v.additions is not None and v.removals is not None  # _applies checked them
    return sharing_deletes.Inputs(
        base.path,
        base.sha256,
        v.additions.path,
        v.additions.sha256,
        v.removals.path,
        v.removals.sha256,
        v.key,
        v.replaced,
    )


def _cache(ws: Workspace, table: SharedTable) -> Path:
    return sharing_deletes.cache_dir(ws.root, table.agreement_id, table.recipient, table.flow_id)


def _deletes(ws: Workspace, table: SharedTable, number: int) -> SharedFile:
    """Version ``number``'s derived delete rows, as a file of the feed (made on first use)."""
    inputs = _by_key(table, number)
    assert inputs is not None  # the caller checked
    found = sharing_deletes.derive(_cache(ws, table), inputs)
    v = table.versions[number - 1]
    return SharedFile(v.deletes_id, DELETES, found.path, found.size, found.rows, found.sha256)


# -- links, and the record of every access ------------------------------------------------


class Links:
    """Signs file links for one party and token, expiring ``lifetime`` after now."""

    def __init__(self, ws: Workspace, party: str, token_id: str, expires: int) -> None:
        self._signer = UrlSigner(url_secret(ws.keys_dir))
        self.party = party
        self.token_id = token_id
        self.expires = expires

    def query(self, table: SharedTable, f: SharedFile) -> dict[str, str]:
        """The query string of the link to ``f`` (the route names the file id)."""
        link = Link(f.file_id, self.party, table.share, self.token_id, self.expires)
        return {
            "party": self.party,
            "share": table.share,
            "tok": self.token_id,
            "exp": str(self.expires),
            "sig": self._signer.sign(link),
        }


def record_query(
    ws: Workspace,
    table: SharedTable,
    party: str,
    token_id: str,
    query: Literal["snapshot", "stream", "changes"],
    version: int,
    *,
    ending_version: int | None = None,
    file_count: int,
) -> None:
    """One ``sharing-queried`` event for one query (never its rows)."""
    v = agreement_service.active_version(ws, table.agreement_id)
    record(
        ws,
        SharingQueried(
            agreement_id=v.agreement_id,
            agreement_version=v.version,
            agreement_hash=v.hash,
            at=iso(ws.clock.now()),
            recipient=party,
            table=table.name,
            query=query,
            version=version,
            ending_version=ending_version,
            file_count=file_count,
            token_id=token_id,
        ),
    )


def open_file(ws: Workspace, link: Link, sig: str) -> SharedFile:
    """The file a signed link names, checked against the world as it is now.

    The signature and expiry first, then the token the link was issued to (revoked or expired:
    refused), then the share (its agreement suspended or ended: refused, saying so), then the
    party's own tables. The first request under a link records the download.
    """
    signer = UrlSigner(url_secret(ws.keys_dir))
    signer.verify(link, sig, now=int(ws.clock.now().timestamp()))
    user = user_service.token_in_force(ws, link.token_id)
    if user.party_org_id != link.party:
        raise NotPermitted("this file link is not valid", [Problem("tok", "not this party's")])
    share = find_share(ws, link.party, link.share)
    for table in share.tables:
        if not _holds(table, link.file_id):
            continue
        _check_flow(ws, table)
        found = _find(ws, table, link.file_id)
        if found is not None:
            _downloaded(ws, share, table, found[0], found[1], link, sig)
            return found[1]
    raise NotFound("no such file")


def _downloaded(
    ws: Workspace,
    share: Share,
    table: SharedTable,
    version: TableVersion,
    f: SharedFile,
    link: Link,
    sig: str,
) -> None:
    active = agreement_service.active_version(ws, share.agreement_id)
    now = iso(ws.clock.now())
    key = hashlib.sha256(sig.encode()).hexdigest()
    try:
        with ws.engine.begin() as conn:
            seen = conn.execute(
                select(sharing_downloads.c.link).where(sharing_downloads.c.link == key)
            ).first()
            if seen is not None:
                return
            conn.execute(
                insert(sharing_downloads).values(
                    link=key,
                    agreement_id=share.agreement_id,
                    recipient=link.party,
                    file_id=f.file_id,
                    at=now,
                )
            )
            event = SharingFileDownloaded(
                agreement_id=active.agreement_id,
                agreement_version=active.version,
                agreement_hash=active.hash,
                at=now,
                recipient=link.party,
                table=table.name,
                version=version.version,
                file=f.name,
                file_sha256=f.sha256,
                token_id=link.token_id,
            )
            record(ws, event, conn=conn)
    except IntegrityError:
        return  # a concurrent request under the same link recorded it first


@dataclass(frozen=True)
class Access:
    """One recorded access, as the discloser sees it."""

    at: str
    recipient: str
    kind: str  # "query" or "download"
    table: str
    version: int
    detail: str
    token_id: str
    event_id: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "recipient": self.recipient,
            "kind": self.kind,
            "table": self.table,
            "version": self.version,
            "detail": self.detail,
            "token_id": self.token_id,
            "event_id": self.event_id,
        }


def accesses(
    ws: Workspace, agreement_id: str, *, recipient: str | None = None, until: datetime | None = None
) -> list[Access]:
    """Every Delta Sharing query and download under ``agreement_id`` (of one ``recipient``,
    and up to ``until``, if given), in log order.

    Who may ask is the caller's check (:func:`accord.service.access.accesses_seen`); an
    unknown agreement is "not found".
    """
    agreement_service.get(ws, agreement_id)
    out: list[Access] = []
    for entry in ws.ledger.entries_for_agreement(agreement_id):
        e = entry.event
        if not isinstance(e, SharingQueried | SharingFileDownloaded):
            continue
        if recipient is not None and e.recipient != recipient:
            continue
        if until is not None and parse_time(e.at, "at") > until:
            continue
        if isinstance(e, SharingQueried):
            span = (
                f"versions {e.version}-{e.ending_version}"
                if e.ending_version is not None
                else f"version {e.version}"
            )
            detail = f"{e.query} of {span}, {e.file_count} file link(s)"
            kind = "query"
        else:
            detail = f"{e.file} sha256:{e.file_sha256}"
            kind = "download"
        out.append(
            Access(e.at, e.recipient, kind, e.table, e.version, detail, e.token_id, entry.event_id)
        )
    return out


__all__ = [
    "SCHEMA",
    "Access",
    "FileChange",
    "Links",
    "Share",
    "SharedFile",
    "SharedTable",
    "TableVersion",
    "accesses",
    "bound",
    "changes",
    "find_file",
    "find_share",
    "find_table",
    "open_file",
    "parse_time",
    "record_query",
    "share_name",
    "shares_for",
    "snapshot_version",
    "stream_files",
    "version_range",
    "version_since",
]
