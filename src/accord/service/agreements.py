"""Creating, amending, reading and moving agreements through their lifecycle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from accord.errors import IllegalTransition, InputError, NotFound, Problem
from accord.ledger.events import (
    AgreementStateChanged,
    AgreementVersionCreated,
    Event,
    VersionSuperseded,
)
from accord.model import Agreement, agreement_hash, check_transition, document, parse_agreement
from accord.model.canonical import hashes_of
from accord.model.enums import Status
from accord.model.versions import StatusChange as StatusChange
from accord.model.versions import StoredVersion as StoredVersion
from accord.service._ledger import iso, record
from accord.store.agreements import agreement_status_changes, agreement_versions, agreements
from accord.workspace import Workspace


@lru_cache(maxsize=64)
def _parsed(digest: str, text: str, source: str) -> Agreement:
    """Stored documents never change, so one parse per hash is enough."""
    del digest  # the cache key: the document's identity
    return parse_agreement(json.loads(text), source=source)


def _version_row(row: object) -> StoredVersion:
    m = row._mapping  # type: ignore[attr-defined]
    return StoredVersion(
        agreement_id=m["agreement_id"],
        seq=m["seq"],
        version=m["version"],
        hash=m["hash"],
        previous_hash=m["previous_hash"],
        status=Status(m["status"]),
        ratified=bool(m["ratified"]),
        created_at=m["created_at"],
        agreement=_parsed(m["hash"], m["document"], f"stored {m['agreement_id']} v{m['seq']}"),
    )


def _latest_seq(conn: Connection, agreement_id: str) -> int:
    seq = conn.execute(
        select(agreements.c.latest_seq).where(agreements.c.id == agreement_id)
    ).scalar_one_or_none()
    if seq is None:
        raise NotFound(
            f"no agreement with id {agreement_id}",
            [Problem("id", "check the id with `accord agreement list`")],
        )
    return int(seq)


def _insert_version(
    conn: Connection, agreement: Agreement, seq: int, now: datetime, actor: str | None
) -> StoredVersion:
    digest = agreement_hash(agreement)
    stored = agreement.model_copy(update={"status": Status.draft})
    conn.execute(
        agreement_versions.insert().values(
            agreement_id=agreement.id,
            seq=seq,
            version=agreement.version,
            hash=digest,
            previous_hash=agreement.previous_hash,
            document=json.dumps(document(stored), sort_keys=True),
            status=Status.draft.value,
            ratified=False,
            created_at=now,
        )
    )
    conn.execute(
        agreement_status_changes.insert().values(
            agreement_id=agreement.id,
            seq=seq,
            from_status=None,
            to_status=Status.draft.value,
            reason="version created",
            actor=actor,
            at=now,
        )
    )
    return StoredVersion(
        agreement.id,
        seq,
        agreement.version,
        digest,
        agreement.previous_hash,
        Status.draft,
        False,
        now,
        stored,
    )


def create(ws: Workspace, agreement: Agreement, *, actor: str | None = None) -> StoredVersion:
    """Store the first version of a new agreement, as a draft.

    Two creates of the same id racing each other both pass the existence check; the store's key
    then refuses the second, which gets the same error as a create that came later.
    """
    now = ws.clock.now()
    if agreement.previous_hash is not None:
        raise InputError(
            "a new agreement cannot have a previous_hash",
            [Problem("previous_hash", "only amended versions name their predecessor")],
        )
    try:
        with ws.engine.begin() as conn:
            _check_new(conn, agreement)
            conn.execute(
                agreements.insert().values(
                    id=agreement.id,
                    title=agreement.title,
                    mode=agreement.mode.value,
                    incident_id=agreement.incident.incident_id if agreement.incident else None,
                    latest_seq=1,
                    created_at=now,
                )
            )
            stored = _insert_version(conn, agreement, 1, now, actor)
            record(ws, _created_event(stored, actor, None), conn=conn)
    except IntegrityError:
        # A concurrent create committed first: say what it took, as a later create would hear.
        with ws.engine.connect() as conn:
            _check_new(conn, agreement)
        raise  # pragma: no cover - a constraint accord does not check first
    return stored


def _check_new(conn: Connection, agreement: Agreement) -> None:
    # The hash first: a racing create of the same document that commits between the two reads
    # is then seen by the second, and named as the id it took.
    clash = _hash_clash(conn, agreement)
    exists = conn.execute(select(agreements.c.id).where(agreements.c.id == agreement.id)).first()
    if exists or (clash is not None and clash[0] == agreement.id):
        raise InputError(
            f"an agreement with id {agreement.id} already exists",
            [Problem("id", "use `accord agreement amend` to make a new version")],
        )
    if clash is not None:  # the read above, not a new one: a new one could see the race's winner
        raise _stored_already(clash)


def _created_event(
    v: StoredVersion, actor: str | None, previous: str | None
) -> AgreementVersionCreated:
    return AgreementVersionCreated(
        agreement_id=v.agreement_id,
        agreement_version=v.version,
        agreement_hash=v.hash,
        at=iso(v.created_at),
        created_by=actor or "unknown",
        previous_version=previous,
        template=v.agreement.template_id,
    )


def _state_event(
    v: StoredVersion, target: Status, at: datetime, reason: str | None, actor: str | None
) -> AgreementStateChanged:
    return AgreementStateChanged(
        agreement_id=v.agreement_id,
        agreement_version=v.version,
        agreement_hash=v.hash,
        at=iso(at),
        from_state=v.status.value,
        to_state=target.value,
        actor=actor or "unknown",
        reason=reason,
    )


def _handover_event(
    old: StoredVersion, new: StoredVersion, at: datetime, reason: str | None, actor: str | None
) -> VersionSuperseded:
    return VersionSuperseded(
        agreement_id=new.agreement_id,
        agreement_version=new.version,
        agreement_hash=new.hash,
        at=iso(at),
        superseded_version=old.version,
        superseded_hash=old.hash,
        superseded_state=old.status.value,
        from_state=new.status.value,
        actor=actor or "unknown",
        reason=reason,
    )


def _hash_clash(conn: Connection, agreement: Agreement) -> tuple[str, int] | None:
    """The stored version with this document's hash, as (agreement id, seq), if any."""
    clash = conn.execute(
        select(agreement_versions.c.agreement_id, agreement_versions.c.seq).where(
            agreement_versions.c.hash.in_(sorted(hashes_of(agreement)))
        )
    ).first()
    return None if clash is None else (clash.agreement_id, clash.seq)


def _stored_already(clash: tuple[str, int]) -> InputError:
    return InputError(
        "this exact document is already stored",
        [Problem("(document)", f"it is version {clash[1]} of {clash[0]}")],
    )


def _check_unique_hash(conn: Connection, agreement: Agreement) -> None:
    clash = _hash_clash(conn, agreement)
    if clash:
        raise _stored_already(clash)


def _semver(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def amend(ws: Workspace, agreement: Agreement, *, actor: str | None = None) -> StoredVersion:
    """Store a new version of an existing agreement; its predecessor is kept unchanged."""
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        seq = _latest_seq(conn, agreement.id)
        prev = _get(conn, agreement.id, seq)
        problems = []
        if agreement.previous_hash not in (None, prev.hash):
            problems.append(
                Problem("previous_hash", f"must be the latest version's hash {prev.hash}")
            )
        if _semver(agreement.version) <= _semver(prev.version):
            problems.append(Problem("version", f"must be greater than {prev.version}"))
        if problems:
            raise InputError(f"cannot amend {agreement.id}", problems)
        amended = agreement.model_copy(update={"previous_hash": prev.hash})
        _check_unique_hash(conn, amended)
        taken = conn.execute(  # compare and set: another amend may have stored seq + 1
            update(agreements)
            .where(agreements.c.id == agreement.id, agreements.c.latest_seq == seq)
            .values(latest_seq=seq + 1, title=amended.title)
        )
        if taken.rowcount != 1:
            raise InputError(
                f"cannot amend {agreement.id}: another version was stored while this one was",
                [Problem("previous_hash", f"version {seq} is no longer the latest; read it again")],
            )
        stored = _insert_version(conn, amended, seq + 1, now, actor)
        record(ws, _created_event(stored, actor, prev.version), conn=conn)
    return stored


def _get(conn: Connection, agreement_id: str, seq: int | None) -> StoredVersion:
    if seq is None:
        seq = _latest_seq(conn, agreement_id)
    row = conn.execute(
        select(agreement_versions).where(
            agreement_versions.c.agreement_id == agreement_id, agreement_versions.c.seq == seq
        )
    ).first()
    if row is None:
        _latest_seq(conn, agreement_id)  # raises NotFound for an unknown agreement
        raise NotFound(f"agreement {agreement_id} has no version {seq}")
    return _version_row(row)


def get(ws: Workspace, agreement_id: str, seq: int | None = None) -> StoredVersion:
    """A stored version (the latest when ``seq`` is None)."""
    with ws.engine.connect() as conn:
        return _get(conn, agreement_id, seq)


def versions(ws: Workspace, agreement_id: str) -> list[StoredVersion]:
    with ws.engine.connect() as conn:
        _latest_seq(conn, agreement_id)
        rows = conn.execute(
            select(agreement_versions)
            .where(agreement_versions.c.agreement_id == agreement_id)
            .order_by(agreement_versions.c.seq)
        ).all()
        return [_version_row(r) for r in rows]


def status_changes(ws: Workspace, agreement_id: str) -> list[StatusChange]:
    with ws.engine.connect() as conn:
        _latest_seq(conn, agreement_id)
        rows = conn.execute(
            select(agreement_status_changes)
            .where(agreement_status_changes.c.agreement_id == agreement_id)
            .order_by(agreement_status_changes.c.id)
        ).all()
    return [
        StatusChange(
            r.seq,
            Status(r.from_status) if r.from_status else None,
            Status(r.to_status),
            r.reason,
            r.actor,
            r.at,
        )
        for r in rows
    ]


def list_all(ws: Workspace) -> list[StoredVersion]:
    """The latest version of every agreement."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(agreement_versions)
            .join(
                agreements,
                (agreements.c.id == agreement_versions.c.agreement_id)
                & (agreements.c.latest_seq == agreement_versions.c.seq),
            )
            .order_by(agreement_versions.c.agreement_id)
        ).all()
        return [_version_row(r) for r in rows]


def _set_status(
    conn: Connection,
    v: StoredVersion,
    target: Status,
    now: datetime,
    reason: str | None,
    actor: str | None,
) -> None:
    """Compare and set: move ``v`` only if it still has the status it was read with.

    On PostgreSQL the UPDATE waits for a concurrent writer of the row and then re-reads it; on
    SQLite writers are serialised. Either way a version moved by someone else since it was read
    matches no row, and this request fails without changing anything.
    """
    moved = conn.execute(
        update(agreement_versions)
        .where(
            agreement_versions.c.agreement_id == v.agreement_id,
            agreement_versions.c.seq == v.seq,
            agreement_versions.c.status == v.status.value,
        )
        .values(status=target.value)
    )
    if moved.rowcount != 1:
        now_status = conn.execute(
            select(agreement_versions.c.status).where(
                agreement_versions.c.agreement_id == v.agreement_id,
                agreement_versions.c.seq == v.seq,
            )
        ).scalar_one()
        raise IllegalTransition(
            f"version {v.seq} of {v.agreement_id} changed while this request was made; "
            "nothing was changed",
            [Problem("status", f"it was {v.status.value} and is now {now_status}; read it again")],
        )
    conn.execute(
        agreement_status_changes.insert().values(
            agreement_id=v.agreement_id,
            seq=v.seq,
            from_status=v.status.value,
            to_status=target.value,
            reason=reason,
            actor=actor,
            at=now,
        )
    )


def transition(
    ws: Workspace,
    agreement_id: str,
    target: Status | str,
    *,
    seq: int | None = None,
    reason: str | None = None,
    actor: str | None = None,
) -> StoredVersion:
    """Move a version to ``target``; activating a version supersedes the one live before it.

    That handover is one ``version-superseded`` ledger event (naming both versions and hashes)
    committed in the same transaction as the two status changes, so no moment exists at which
    both versions, or neither, are in force.
    """
    try:
        target = Status(target)
    except ValueError:
        raise InputError(
            f"{target} is not a lifecycle state",
            [Problem("state", "one of " + ", ".join(s.value for s in Status))],
        ) from None
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        return transition_in(
            ws, conn, agreement_id, target, seq=seq, now=now, reason=reason, actor=actor
        )


def transition_in(
    ws: Workspace,
    conn: Connection,
    agreement_id: str,
    target: Status,
    *,
    seq: int | None,
    now: datetime,
    reason: str | None,
    actor: str | None,
) -> StoredVersion:
    """:func:`transition` inside the caller's transaction ``conn`` (its events join it)."""
    v = _get(conn, agreement_id, seq)
    check_transition(v.status, target)
    events: list[Event] = []
    replaced = _live_versions(conn, agreement_id, exclude=v.seq) if target is Status.active else []
    for other in replaced:
        why = f"superseded by v{v.seq}"
        _set_status(conn, other, Status.superseded, now, why, actor)
        events.append(_handover_event(other, v, now, reason, actor))
    _set_status(conn, v, target, now, reason, actor)
    if not replaced:
        events.append(_state_event(v, target, now, reason, actor))
    result = _get(conn, agreement_id, v.seq)
    record(ws, *events, conn=conn)
    from accord.service import push  # push reads agreements: imported here, not at the top

    # What was queued to send under a version that stops being in force goes no further.
    for other in replaced:
        push.withdraw_version_in(
            ws, conn, other, Status.superseded, f"superseded by v{v.seq}", actor, now
        )
    if target is not Status.active:
        push.withdraw_version_in(ws, conn, v, target, reason, actor, now)
    return result


def _live_versions(conn: Connection, agreement_id: str, *, exclude: int) -> Sequence[StoredVersion]:
    rows = conn.execute(
        select(agreement_versions).where(
            agreement_versions.c.agreement_id == agreement_id,
            agreement_versions.c.seq != exclude,
            agreement_versions.c.status.in_([Status.active.value, Status.suspended.value]),
        )
    ).all()
    return [_version_row(r) for r in rows]


def active_version(ws: Workspace, agreement_id: str) -> StoredVersion:
    """The version in force: the one active now (drafts and approved amendments do not count).

    Raise NotFound if none is active.
    """
    with ws.engine.connect() as conn:
        _latest_seq(conn, agreement_id)
        row = conn.execute(
            select(agreement_versions).where(
                agreement_versions.c.agreement_id == agreement_id,
                agreement_versions.c.status == Status.active.value,
            )
        ).first()
    if row is None:
        raise NotFound(f"agreement {agreement_id} has no active version")
    return _version_row(row)


def version_in_force(ws: Workspace, agreement_id: str) -> StoredVersion:
    """The version that governs the agreement now: the active one.

    With none active, the suspended version if there is one, else the latest (an ended
    agreement, or one never yet active), so that a caller acting on it refuses it naming its
    state. A draft, in-review or approved amendment beside an active version never counts.
    """
    try:
        return active_version(ws, agreement_id)
    except NotFound:
        stored = versions(ws, agreement_id)  # NotFound for an unknown agreement
    suspended = [v for v in stored if v.status is Status.suspended]
    return (suspended or stored)[-1]


def all_in_force(ws: Workspace) -> list[StoredVersion]:
    """The version in force (:func:`version_in_force`) of every agreement, by id."""
    return [version_in_force(ws, latest.agreement_id) for latest in list_all(ws)]


# A transition to one of these ends or pauses the agreement itself: it acts on the version in
# force, never on an amendment drafted beside it (name that version to withdraw it).
_ACTS_ON_FORCE = frozenset({Status.suspended, Status.expired, Status.terminated})


def version_to_move(
    ws: Workspace, agreement_id: str, target: Status, seq: int | None = None
) -> StoredVersion:
    """The version a move to ``target`` acts on: version ``seq`` if given, else the rule.

    Suspending, expiring and terminating act on the version in force (active or suspended);
    activating acts on the latest version once it is approved, else resumes a suspended one;
    every other move (review, approval, return to draft) acts on the latest version. With no
    live version, the latest.
    """
    if seq is not None:
        return get(ws, agreement_id, seq)
    latest = get(ws, agreement_id)
    if target in _ACTS_ON_FORCE or (
        target is Status.active and latest.status is not Status.approved
    ):
        in_force = version_in_force(ws, agreement_id)
        if in_force.status in {Status.active, Status.suspended}:
            return in_force
    return latest
