"""Pushing deliveries to recipients: the queue, its retries, withdrawal and acknowledgements.

A flow with ``push: mesh`` or ``push: outbox`` has each of its deliveries queued in the run's
own transaction (:func:`queue_in`, from :func:`accord.service.runs.run`), and the run then
sends what it queued (:func:`send_due`). An aggregate table is held until its two-person
release review releases it (:func:`release_in`, from :func:`accord.service.releases.review`);
a withheld table is never sent. ``accord sweep`` (and ``accord serve``'s scheduler)
sends whatever is still due, reads MESH's tracking for acknowledgements and withdraws what may
no longer go; ``accord push`` lists, sends, retries and withdraws by hand.

- **Sending.** A sender claims a queued row by a compare-and-set on its attempt count, which
  also books the next attempt (1 minute, then x4 each time, at most 6 hours later), so two
  senders never send the same attempt and a sender that dies leaves a row that is simply tried
  again. By MESH the delivery travels as one ZIP (:mod:`accord.push.package`) to the recipient
  party's ``mesh_mailbox`` under the flow's ``mesh_workflow_id``, with the delivery id as its
  local id; into the outbox its folder is copied under ``outbox/<recipient>/`` and renamed into
  place. A sent push is a ``push-sent`` ledger event carrying the MESH message id. After
  :data:`MAX_ATTEMPTS` failures the row is ``failed`` (a ``push-failed`` event; the disclosers'
  SIROs are told) until ``accord push retry``.
- **Withdrawal.** Nothing is sent under a version that is no longer active or for a flow that is
  suspended or has ceased: a version leaving ``active`` withdraws its queued pushes in the same
  transaction as the status change (:func:`withdraw_version_in`), and every send first withdraws
  what may no longer go (:func:`withdraw_stopped`). Each is a ``push-withdrawn`` event, and the
  recipient's SIRO and DPO are told why through the notifications. A message already in a MESH
  inbox cannot be recalled (MESH has no recall), so only what is still queued is withdrawn.
- **Acknowledgement.** When MESH's tracking of a sent message says ``acknowledged`` (the
  recipient downloaded it and acknowledged it), a ``push-acknowledged`` event records the
  manifest hash the message carried: a receipt, like the recipient's signed
  ``delivery-receipt`` (:mod:`accord.service.chasing` treats both as received).

The MESH mailbox accord sends from is configured once per workspace (:func:`configure_mesh`,
``accord push mesh-setup``): ``keys/mesh.json``, readable by the instance only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update

from accord.engine import RunResult
from accord.errors import ConfigError, NotFound, NotPermitted, Problem, PushError
from accord.ledger.events import Event, PushAcknowledged, PushFailed, PushSent, PushWithdrawn
from accord.model import Agreement
from accord.model.enums import PushMethod, Status
from accord.push import mesh, outbox
from accord.push.package import write_package
from accord.service import agreements
from accord.service._ledger import iso, record
from accord.service._notices import notify_once
from accord.service.agreements import StoredVersion
from accord.store.push import push_queue
from accord.workspace import Workspace

__all__ = [
    "MAX_ATTEMPTS",
    "Push",
    "backoff",
    "configure_mesh",
    "listing",
    "mesh_settings",
    "outbox_root",
    "poll_acknowledgements",
    "queue_in",
    "release_in",
    "retry",
    "send_due",
    "withdraw",
    "withdraw_stopped",
    "withdraw_version_in",
]

MAX_ATTEMPTS = 6
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
MESH_SETTINGS = "mesh.json"
QUEUED, SENT, ACKNOWLEDGED, WITHDRAWN, FAILED, HELD = (
    "queued",
    "sent",
    "acknowledged",
    "withdrawn",
    "failed",
    "held",
)
UNSENT = (QUEUED, FAILED, HELD)


def backoff(attempt: int) -> timedelta:
    """How long after attempt number ``attempt`` (1 = the first) the next one is due.

    >>> [str(backoff(n)) for n in (1, 2, 3, 6)]
    ['0:01:00', '0:04:00', '0:16:00', '6:00:00']
    """
    steps = min(max(attempt - 1, 0), 8)  # 4**8 minutes is past the cap already
    wait: timedelta = FIRST_WAIT * (4**steps)
    return min(wait, LONGEST_WAIT)


@dataclass(frozen=True)
class Push:
    """One delivery in the push queue, as stored."""

    delivery_id: str
    agreement_id: str
    agreement_version: str
    agreement_hash: str
    run_id: str
    flow_id: str
    recipient: str
    method: str
    address: str
    workflow_id: str | None
    manifest_sha256: str
    directory: str
    state: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    message_id: str | None
    created_at: str
    sent_at: str | None
    acknowledged_at: str | None
    withdrawn_reason: str | None

    @classmethod
    def from_row(cls, row: Any) -> Push:
        return cls(**{c.name: getattr(row, c.name) for c in push_queue.columns})

    def as_dict(self) -> dict[str, Any]:
        return {c.name: getattr(self, c.name) for c in push_queue.columns}


# -- settings ----------------------------------------------------------------------------------


def _settings_path(ws: Workspace) -> Path:
    return ws.keys_dir / MESH_SETTINGS


def configure_mesh(ws: Workspace, settings: mesh.MeshSettings) -> Path:
    """Keep the sending mailbox's settings in the workspace's keys folder (mode 0600)."""
    path = _settings_path(ws)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(settings.to_json(), fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return path


def mesh_settings(ws: Workspace) -> mesh.MeshSettings | None:
    """The sending mailbox's settings, or None when this workspace has none."""
    path = _settings_path(ws)
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "the MESH settings are not JSON", [Problem(str(path.name), f"line {exc.lineno}")]
        ) from None
    if not isinstance(value, dict):
        raise ConfigError("the MESH settings are not a JSON object", [Problem(path.name, "")])
    return mesh.MeshSettings.from_json(value)


def outbox_root(ws: Workspace) -> Path:
    """The outbox: one folder per recipient (share it by SFTP, or mount it as a drive)."""
    return ws.root / "outbox"


# -- queueing ----------------------------------------------------------------------------------


def _address(ws: Workspace, agreement: Agreement, method: PushMethod, recipient: str) -> str:
    if method is PushMethod.mesh:
        mailbox = agreement.party(recipient).mesh_mailbox
        assert mailbox is not None  # the agreement's validator requires it
        return mailbox
    return str(outbox.place(outbox_root(ws), recipient, "x").parent.relative_to(ws.root))


def queue_in(
    ws: Workspace, conn: Connection, result: RunResult, agreement: Agreement, now: datetime
) -> list[str]:
    """Queue, in the run's transaction, each delivery of a flow that pushes; the ids queued.

    An aggregate flow's table is stored ``held`` until its release review releases it
    (:func:`release_in`) or withholds it. A delivery already queued (a re-run of the same
    inputs) is left as it is.
    """
    queued: list[str] = []
    for d in result.deliveries:
        flow = agreement.flow(d.flow_id)
        if flow.push is None:
            continue
        held = flow.aggregate is not None
        delivery_id = f"{result.run_id}/{d.flow_id}"
        exists = conn.execute(
            select(push_queue.c.delivery_id).where(push_queue.c.delivery_id == delivery_id)
        ).first()
        if exists:
            continue
        conn.execute(
            push_queue.insert().values(
                delivery_id=delivery_id,
                agreement_id=result.agreement_id,
                agreement_version=result.agreement_version,
                agreement_hash=result.agreement_hash,
                run_id=result.run_id,
                flow_id=d.flow_id,
                recipient=d.recipient,
                method=flow.push.value,
                address=_address(ws, agreement, flow.push, d.recipient),
                workflow_id=flow.mesh_workflow_id,
                manifest_sha256=d.manifest_sha256,
                directory=str(Path(os.path.relpath(d.directory, ws.root))),
                state=HELD if held else QUEUED,
                attempts=0,
                next_attempt_at=iso(now),
                created_at=iso(now),
            )
        )
        if not held:
            queued.append(delivery_id)
    return queued


def release_in(conn: Connection, delivery_id: str, released: bool, now: datetime) -> bool:
    """A held table's review decided, in its transaction: released tables are queued (True),
    withheld ones never leave. Nothing happens for a table that is not pushed."""
    moved = conn.execute(
        update(push_queue)
        .where(push_queue.c.delivery_id == delivery_id, push_queue.c.state == HELD)
        .values(
            state=QUEUED if released else WITHDRAWN,
            next_attempt_at=iso(now),
            withdrawn_reason=None if released else "the table was withheld by its review",
        )
    )
    return released and moved.rowcount == 1


def listing(
    ws: Workspace,
    *,
    state: str | None = None,
    agreement_id: str | None = None,
    delivery_ids: Iterable[str] | None = None,
) -> list[Push]:
    """The queue, oldest first, optionally of one state, one agreement or some deliveries."""
    q = select(push_queue).order_by(push_queue.c.created_at, push_queue.c.delivery_id)
    if state is not None:
        q = q.where(push_queue.c.state == state)
    if agreement_id is not None:
        q = q.where(push_queue.c.agreement_id == agreement_id)
    if delivery_ids is not None:
        q = q.where(push_queue.c.delivery_id.in_(list(delivery_ids)))
    with ws.engine.connect() as conn:
        return [Push.from_row(r) for r in conn.execute(q).all()]


def get(ws: Workspace, delivery_id: str) -> Push:
    found = listing(ws, delivery_ids=[delivery_id])
    if not found:
        raise NotFound(
            f"no push is queued for delivery {delivery_id}",
            [Problem("delivery_id", "see `accord push list`")],
        )
    return found[0]


# -- events and notices ------------------------------------------------------------------------


def _base(p: Push, now: datetime) -> dict[str, Any]:
    return {
        "agreement_id": p.agreement_id,
        "agreement_version": p.agreement_version,
        "agreement_hash": p.agreement_hash,
        "at": iso(now),
    }


def _tell_recipient(conn: Connection, p: Push, subject: str, message: str, now: datetime) -> None:
    for role in ("siro", "dpo"):
        notify_once(
            conn,
            agreement_id=p.agreement_id,
            agreement_version=p.agreement_version,
            agreement_hash=p.agreement_hash,
            party=p.recipient,
            role=role,
            subject=subject,
            message=message,
            now=now,
        )


# -- withdrawal --------------------------------------------------------------------------------


def _withdraw_in(
    ws: Workspace, conn: Connection, p: Push, reason: str, actor: str, now: datetime
) -> bool:
    moved = conn.execute(
        update(push_queue)
        .where(
            push_queue.c.delivery_id == p.delivery_id,
            push_queue.c.state.in_(UNSENT),
        )
        .values(state=WITHDRAWN, withdrawn_reason=reason)
    )
    if moved.rowcount != 1:
        return False
    how = "MESH message" if p.method == PushMethod.mesh else "outbox delivery"
    _tell_recipient(
        conn,
        p,
        f"Delivery withdrawn before sending: {p.delivery_id}",
        f"accord has withdrawn the {how} of delivery {p.delivery_id} (manifest "
        f"{p.manifest_sha256}) before it was sent: {reason}",
        now,
    )
    record(
        ws,
        PushWithdrawn(
            **_base(p, now),
            delivery_id=p.delivery_id,
            recipient=p.recipient,
            method=p.method,
            reason=reason,
            actor=actor,
        ),
        conn=conn,
    )
    return True


def _pending_in(conn: Connection, agreement_hash: str) -> list[Push]:
    rows = conn.execute(
        select(push_queue)
        .where(
            push_queue.c.agreement_hash == agreement_hash,
            push_queue.c.state.in_(UNSENT),
        )
        .order_by(push_queue.c.delivery_id)
    ).all()
    return [Push.from_row(r) for r in rows]


def withdraw_version_in(
    ws: Workspace,
    conn: Connection,
    version: StoredVersion,
    target: Status,
    reason: str | None,
    actor: str | None,
    now: datetime,
) -> int:
    """Withdraw, in the caller's transaction, every unsent push of a version leaving ``active``."""
    said = f"the agreement version {version.version} was {target.value}" + (
        f": {reason}" if reason else ""
    )
    done = 0
    for p in _pending_in(conn, version.hash):
        done += _withdraw_in(ws, conn, p, said, actor or "accord", now)
    return done


def _stopped_reason(
    ws: Workspace, p: Push, versions: dict[str, StoredVersion], now: datetime
) -> str | None:
    """Why ``p`` may no longer be sent, or None while it may."""
    from accord.service import lifecycle, retention  # lifecycle's sweep step imports this module

    v = versions.get(p.agreement_hash)
    if v is None:
        return "its agreement version is no longer stored"
    if v.status is not Status.active:
        return f"the agreement version {v.version} is {v.status.value}"
    paused = lifecycle.open_suspensions(ws, v)
    if p.flow_id in paused:
        return f"the flow {p.flow_id} is suspended: {paused[p.flow_id]}"
    try:
        sharing = retention.sharing_flows(ws, v, now.date())
    except NotPermitted:
        sharing = []
    if sharing is not None and p.flow_id not in sharing:
        return f"the flow {p.flow_id} has ended by exit"
    return None


def _versions_of(ws: Workspace, pushes: Sequence[Push]) -> dict[str, StoredVersion]:
    out: dict[str, StoredVersion] = {}
    for agreement_id in sorted({p.agreement_id for p in pushes}):
        for v in agreements.versions(ws, agreement_id):
            out[v.hash] = v
    return out


def withdraw_stopped(ws: Workspace, now: datetime | None = None) -> list[Push]:
    """Withdraw every unsent push whose agreement, version or flow no longer lets it go."""
    now = now or ws.clock.now()
    waiting = [p for state in UNSENT for p in listing(ws, state=state)]
    versions = _versions_of(ws, waiting)
    done: list[Push] = []
    for p in waiting:
        reason = _stopped_reason(ws, p, versions, now)
        if reason is None:
            continue
        with ws.engine.begin() as conn:
            if _withdraw_in(ws, conn, p, reason, "accord", now):
                done.append(p)
    return listing(ws, delivery_ids=[p.delivery_id for p in done]) if done else []


def withdraw(ws: Workspace, delivery_id: str, *, reason: str, actor: str) -> Push:
    """A person withdraws an unsent push (queued, or failed); the recipient is told why."""
    p = get(ws, delivery_id)
    if not reason.strip():
        raise NotPermitted("say why the push is withdrawn", [Problem("reason", "empty")])
    with ws.engine.begin() as conn:
        if not _withdraw_in(ws, conn, p, reason.strip(), actor, ws.clock.now()):
            raise NotPermitted(
                f"delivery {delivery_id} is {p.state}; only an unsent push can be withdrawn",
                [Problem("state", "a sent MESH message cannot be recalled")],
            )
    return get(ws, delivery_id)


# -- sending -----------------------------------------------------------------------------------


def _package_name(p: Push) -> str:
    return outbox.slug(f"{p.agreement_id}__{p.flow_id}__{p.run_id}")


def _send(ws: Workspace, p: Push) -> tuple[str | None, str]:
    """Send ``p`` once: (MESH message id or None, SHA-256 of what was sent)."""
    directory = ws.root / p.directory
    if not (directory / "manifest.json").is_file():
        raise PushError(
            "the delivery's folder is gone (purged?)", [Problem("directory", p.directory)]
        )
    if p.method == PushMethod.outbox:
        outbox.write(outbox_root(ws), p.recipient, _package_name(p), directory)
        return None, p.manifest_sha256
    settings = mesh_settings(ws)
    if settings is None:
        raise PushError(
            "this workspace has no MESH mailbox to send from",
            [Problem("keys/mesh.json", "run `accord push mesh-setup`")],
        )
    package = ws.root / ".staging" / "push" / f"{_package_name(p)}.zip"
    try:
        package_sha = write_package(directory, package)
        message_id = mesh.send(
            settings,
            recipient=p.address,
            package=package,
            workflow_id=p.workflow_id or "",
            local_id=p.delivery_id,
            subject=f"accord delivery {p.delivery_id} manifest {p.manifest_sha256}",
        )
    finally:
        package.unlink(missing_ok=True)
    return message_id, package_sha


def _claim(ws: Workspace, p: Push, now: datetime) -> bool:
    with ws.engine.begin() as conn:
        moved = conn.execute(
            update(push_queue)
            .where(
                push_queue.c.delivery_id == p.delivery_id,
                push_queue.c.state == QUEUED,
                push_queue.c.attempts == p.attempts,
            )
            .values(attempts=p.attempts + 1, next_attempt_at=iso(now + backoff(p.attempts + 1)))
        )
    return moved.rowcount == 1


def _attempt(ws: Workspace, p: Push, now: datetime) -> None:
    if not _claim(ws, p, now):
        return  # another sender has this attempt
    attempts = p.attempts + 1
    try:
        message_id, package_sha = _send(ws, p)
    except PushError as exc:
        error = "; ".join(str(x) for x in exc.problems) or str(exc)
        with ws.engine.begin() as conn:
            gave_up = attempts >= MAX_ATTEMPTS
            conn.execute(
                update(push_queue)
                .where(push_queue.c.delivery_id == p.delivery_id)
                .values(last_error=f"{exc}: {error}"[:2000], state=FAILED if gave_up else QUEUED)
            )
            if gave_up:
                _gave_up_in(ws, conn, p, attempts, f"{exc}: {error}", now)
        return
    with ws.engine.begin() as conn:
        conn.execute(
            update(push_queue)
            .where(push_queue.c.delivery_id == p.delivery_id)
            .values(state=SENT, sent_at=iso(now), message_id=message_id, last_error=None)
        )
        record(
            ws,
            PushSent(
                **_base(p, now),
                delivery_id=p.delivery_id,
                recipient=p.recipient,
                method=p.method,
                address=p.address,
                manifest_sha256=p.manifest_sha256,
                package_sha256=package_sha,
                attempts=attempts,
                message_id=message_id,
                workflow_id=p.workflow_id,
            ),
            conn=conn,
        )


def _gave_up_in(
    ws: Workspace, conn: Connection, p: Push, attempts: int, error: str, now: datetime
) -> None:
    version = agreements.get(ws, p.agreement_id)
    for party in version.agreement.disclosers:
        notify_once(
            conn,
            agreement_id=p.agreement_id,
            agreement_version=p.agreement_version,
            agreement_hash=p.agreement_hash,
            party=party.org_id,
            role="siro",
            subject=f"Delivery not sent after {attempts} attempts: {p.delivery_id}",
            message=f"accord could not send delivery {p.delivery_id} to {p.recipient} by "
            f"{p.method} ({error}). Put it right, then `accord push retry {p.delivery_id}`.",
            now=now,
        )
    record(
        ws,
        PushFailed(
            **_base(p, now),
            delivery_id=p.delivery_id,
            recipient=p.recipient,
            method=p.method,
            attempts=attempts,
            error=error[:500],
        ),
        conn=conn,
    )


def send_due(
    ws: Workspace, now: datetime | None = None, *, delivery_ids: Iterable[str] | None = None
) -> list[Push]:
    """Withdraw what may no longer go, then send every queued push that is due; return those
    tried, as they stand afterwards."""
    now = now or ws.clock.now()
    withdraw_stopped(ws, now)
    wanted = None if delivery_ids is None else list(delivery_ids)
    due = [
        p for p in listing(ws, state=QUEUED, delivery_ids=wanted) if p.next_attempt_at <= iso(now)
    ]
    for p in due:
        _attempt(ws, p, now)
    return listing(ws, delivery_ids=[p.delivery_id for p in due]) if due else []


def retry(ws: Workspace, delivery_id: str) -> Push:
    """Queue a failed push again with a fresh set of attempts, and try it now."""
    p = get(ws, delivery_id)
    if p.state not in (FAILED, QUEUED):
        raise NotPermitted(
            f"delivery {delivery_id} is {p.state}; only a failed or queued push is retried",
            [Problem("state", p.state)],
        )
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        conn.execute(
            update(push_queue)
            .where(push_queue.c.delivery_id == delivery_id, push_queue.c.state == p.state)
            .values(state=QUEUED, attempts=0, next_attempt_at=iso(now))
        )
    send_due(ws, now, delivery_ids=[delivery_id])
    return get(ws, delivery_id)


# -- acknowledgements --------------------------------------------------------------------------


def poll_acknowledgements(ws: Workspace, now: datetime | None = None) -> list[Push]:
    """Read MESH's tracking of each sent message; record those the recipient acknowledged.

    A tracking request that fails is left for the next poll.
    """
    now = now or ws.clock.now()
    sent = [p for p in listing(ws, state=SENT) if p.method == PushMethod.mesh and p.message_id]
    if not sent:
        return []
    settings = mesh_settings(ws)
    if settings is None:
        return []
    done: list[str] = []
    for p in sent:
        assert p.message_id is not None
        try:
            status = mesh.tracking_status(settings, p.message_id)
        except PushError:
            continue
        if status != mesh.ACKNOWLEDGED:
            continue
        with ws.engine.begin() as conn:
            moved = conn.execute(
                update(push_queue)
                .where(push_queue.c.delivery_id == p.delivery_id, push_queue.c.state == SENT)
                .values(state=ACKNOWLEDGED, acknowledged_at=iso(now))
            )
            if moved.rowcount != 1:
                continue
            record(ws, _acknowledged(p, p.message_id, now), conn=conn)
        done.append(p.delivery_id)
    return listing(ws, delivery_ids=done) if done else []


def _acknowledged(p: Push, message_id: str, now: datetime) -> Event:
    return PushAcknowledged(
        **_base(p, now),
        delivery_id=p.delivery_id,
        recipient=p.recipient,
        message_id=message_id,
        manifest_sha256=p.manifest_sha256,
    )
