"""Exit and retention: ending sharing per recipient or per flow, retention, deletion, purges.

Each recipient of an agreement (and each flow, when a recipient withdraws from one flow) moves
through :class:`accord.model.retention.RetentionState`; every step is a row of
``recipient_states`` and a ``recipient-state-changed`` ledger event, committed together.

- :func:`cease` ends sharing with one recipient, or with every recipient (the discloser's act):
  the copies it holds are then *retained* for a named purpose until a review date, or due for
  deletion at once. The agreement itself is not moved; a run simply no longer delivers to it.
- :func:`withdraw` is a recipient leaving its own flow: that flow only ends; the agreement and
  every other flow go on.
- :func:`sweep` (a step of ``accord sweep``) warns the recipient's SIRO and DPO before the review
  date (30, 14 and 7 days), and at it moves the recipient to *deletion due* with a deletion
  request; then it purges the instance's own copies of what was delivered to that recipient
  (``deliveries/`` in the workspace), each purge a ``delivery-purged`` event.
- :func:`certify_deletion` records the recipient's deletion certificate for one delivery it
  received, signed with the recipient's party key and verified before it is stored; when every
  delivery it received is certified, the recipient is *deleted*.

Bad input (a certificate for a delivery the party never received, a review date before the
start, a retention without a purpose) raises :class:`InputError` naming the field, and nothing
is recorded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Connection, select

from accord.engine.delivery import LATEST, slug
from accord.errors import InputError, NotFound, NotPermitted, Problem
from accord.ledger.events import (
    DeletionCertified,
    DeliveryMade,
    DeliveryPurged,
    Event,
    RecipientStateChanged,
)
from accord.model import Agreement
from accord.model.retention import RetentionState, check_period
from accord.service import agreements, releases, sharing_deletes
from accord.service._ledger import iso, record
from accord.service._notices import notify_once
from accord.service.agreements import StoredVersion
from accord.service.lifecycle import Swept
from accord.service.users import Role, User
from accord.store.retention import deletion_certificates, purges, recipient_states
from accord.workspace import Workspace

__all__ = [
    "WARN_DAYS",
    "Certificate",
    "RecipientExit",
    "certify_deletion",
    "cease",
    "certificates",
    "history",
    "sharing_flows",
    "states",
    "sweep",
    "withdraw",
]

WARN_DAYS = (30, 14, 7)
S = RetentionState


@dataclass(frozen=True)
class RecipientExit:
    """One step of a recipient's (or one flow's) exit lifecycle."""

    agreement_id: str
    party: str
    flow_id: str | None
    state: RetentionState
    purpose: str | None
    until: date | None
    reason: str | None
    actor: str
    at: datetime

    @property
    def describe(self) -> str:
        if self.state is S.retained and self.until is not None:
            return f"ceased; retained for {self.purpose} until {self.until.isoformat()}"
        return {
            S.sharing: "sharing",
            S.deletion_due: "deletion due",
            S.deleted: "deleted",
            S.retained: "retained",
        }[self.state]


@dataclass(frozen=True)
class Certificate:
    agreement_id: str
    party: str
    delivery_id: str
    manifest_sha256: str
    deleted_on: date
    signature: str
    at: datetime


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _row(r: object) -> RecipientExit:
    m = r._mapping  # type: ignore[attr-defined]
    return RecipientExit(
        m["agreement_id"],
        m["party"],
        m["flow_id"],
        RetentionState(m["state"]),
        m["purpose"],
        m["until"],
        m["reason"],
        m["actor"],
        _utc(m["at"]),
    )


def history(ws: Workspace, agreement_id: str) -> list[RecipientExit]:
    """Every exit step of the agreement's recipients, oldest first."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(recipient_states)
            .where(recipient_states.c.agreement_id == agreement_id)
            .order_by(recipient_states.c.id)
        ).all()
    return [_row(r) for r in rows]


def states(ws: Workspace, agreement_id: str) -> dict[tuple[str, str | None], RecipientExit]:
    """The latest step per (party, flow id or None for the whole recipient)."""
    latest: dict[tuple[str, str | None], RecipientExit] = {}
    for step in history(ws, agreement_id):
        latest[(step.party, step.flow_id)] = step
    return latest


def _state(ws: Workspace, agreement_id: str, party: str, flow_id: str | None) -> RetentionState:
    step = states(ws, agreement_id).get((party, flow_id))
    return step.state if step else S.sharing


def _ended(agreement: Agreement, latest: dict[tuple[str, str | None], RecipientExit]) -> set[str]:
    """Flow ids no longer sharing: their recipient ceased, or the flow was withdrawn."""
    out = set()
    for f in agreement.flows:
        whole = latest.get((f.recipient, None))
        own = latest.get((f.recipient, f.id))
        if any(s is not None and s.state is not S.sharing for s in (whole, own)):
            out.add(f.id)
    return out


def sharing_flows(ws: Workspace, v: StoredVersion, on: date) -> list[str] | None:
    """The flows in force on ``on`` that still share; None when no exit has been recorded.

    Raises :class:`NotPermitted` when every flow in force has ended.
    """
    ended = _ended(v.agreement, states(ws, v.agreement_id))
    if not ended:
        return None
    live = [
        f.id
        for f in v.agreement.flows
        if f.id not in ended
        and (f.start is None or f.start.date() <= on)
        and (f.end is None or on < f.end.date())
    ]
    if not live:
        raise NotPermitted(
            "sharing has ended with every recipient of this agreement",
            [Problem("flows", f"{len(ended)} ended by exit, none still sharing")],
        )
    return live


def _move(
    conn: Connection,
    v: StoredVersion,
    party: str,
    flow_id: str | None,
    current: RetentionState,
    target: RetentionState,
    *,
    purpose: str | None,
    until: date | None,
    reason: str | None,
    actor: str,
    now: datetime,
) -> RecipientStateChanged:
    conn.execute(
        recipient_states.insert().values(
            agreement_id=v.agreement_id,
            party=party,
            flow_id=flow_id,
            state=target.value,
            purpose=purpose,
            until=until,
            reason=reason,
            actor=actor,
            at=now,
        )
    )
    return RecipientStateChanged(
        agreement_id=v.agreement_id,
        agreement_version=v.version,
        agreement_hash=v.hash,
        at=iso(now),
        recipient=party,
        flow_id=flow_id,
        from_state=current.value,
        to_state=target.value,
        purpose=purpose,
        until=until.isoformat() if until else None,
        actor=actor,
        reason=reason,
    )


def _tell(
    conn: Connection,
    v: StoredVersion,
    party: str,
    subject: str,
    message: str,
    now: datetime,
    deadline: datetime | None = None,
) -> int:
    told = 0
    for role in ("siro", "dpo"):
        told += notify_once(
            conn,
            agreement_id=v.agreement_id,
            agreement_version=v.version,
            agreement_hash=v.hash,
            party=party,
            role=role,
            subject=subject,
            message=message,
            now=now,
            deadline=deadline,
        )
    return told


def _live(ws: Workspace, agreement_id: str) -> StoredVersion:
    try:
        return agreements.active_version(ws, agreement_id)
    except NotFound:  # a suspended or ended agreement still has recipients
        return agreements.get(ws, agreement_id)


def _end(
    ws: Workspace,
    agreement_id: str,
    targets: list[tuple[str, str | None]],
    *,
    purpose: str | None,
    until: date | None,
    reason: str | None,
    actor: str,
    at: datetime | None,
) -> list[RecipientExit]:
    now = at or ws.clock.now()
    check_period(now.date(), until, purpose=purpose)
    v = _live(ws, agreement_id)
    target = S.retained if until is not None else S.deletion_due
    current = {t: _state(ws, agreement_id, *t) for t in targets}
    for (party, flow_id), state in current.items():
        if state is not S.sharing:
            where = f"flows.{flow_id}" if flow_id else f"recipient {party}"
            raise InputError(
                f"sharing with {where} has already ended",
                [Problem("party" if flow_id is None else "flow", f"it is {state.value}")],
            )
    events: list[Event] = []
    with ws.engine.begin() as conn:
        for party, flow_id in targets:
            events.append(
                _move(
                    conn,
                    v,
                    party,
                    flow_id,
                    S.sharing,
                    target,
                    purpose=purpose,
                    until=until,
                    reason=reason,
                    actor=actor,
                    now=now,
                )
            )
            what = f"flow {flow_id}" if flow_id else "all flows"
            kept = (
                f"You may keep what you received for {purpose} until {until.isoformat()}."
                if until
                else "Delete what you received and send a deletion certificate."
            )
            _tell(conn, v, party, f"Sharing ended: {v.agreement.title} ({what})", kept, now)
        record(ws, *events, conn=conn)
    latest = states(ws, agreement_id)
    return [latest[t] for t in targets]


def cease(
    ws: Workspace,
    agreement_id: str,
    *,
    party: str | None = None,
    purpose: str | None = None,
    until: date | None = None,
    reason: str | None = None,
    actor: str = "accord",
    at: datetime | None = None,
) -> list[RecipientExit]:
    """End sharing with ``party`` (a recipient) or, when None, with every recipient."""
    v = _live(ws, agreement_id)
    recipients = [p.org_id for p in v.agreement.recipients]
    if party is not None and party not in recipients:
        raise InputError(
            f"{party} is not a recipient of {agreement_id}",
            [Problem("party", "name a recipient of the agreement")],
        )
    chosen = [party] if party else recipients
    latest = states(ws, agreement_id)
    targets: list[tuple[str, str | None]] = [
        (p, None) for p in chosen if party is not None or (p, None) not in latest
    ]
    return _end(
        ws,
        agreement_id,
        targets,
        purpose=purpose,
        until=until,
        reason=reason,
        actor=actor,
        at=at,
    )


def withdraw(
    ws: Workspace,
    agreement_id: str,
    flow_id: str,
    *,
    party: str,
    purpose: str | None = None,
    until: date | None = None,
    reason: str | None = None,
    actor: str | None = None,
    at: datetime | None = None,
) -> RecipientExit:
    """``party`` withdraws from its own flow ``flow_id``: that flow ends, nothing else does."""
    v = _live(ws, agreement_id)
    flow = next((f for f in v.agreement.flows if f.id == flow_id), None)
    if flow is None:
        raise InputError(
            f"{agreement_id} has no flow {flow_id}", [Problem("flow", "name one of its flows")]
        )
    if flow.recipient != party:
        raise NotPermitted(
            "a recipient may withdraw only from its own flow",
            [Problem("flow", f"{flow_id} delivers to another party")],
        )
    (step,) = _end(
        ws,
        agreement_id,
        [(party, flow_id)],
        purpose=purpose,
        until=until,
        reason=reason or "the recipient withdrew from its flow",
        actor=actor or party,
        at=at,
    )
    return step


# -- deliveries, certificates and purges ------------------------------------------------------


@dataclass(frozen=True)
class _Delivered:
    delivery_id: str
    flow_id: str
    run_id: str
    manifest_sha256: str
    at: datetime


def _delivered(ws: Workspace, agreement_id: str, party: str) -> list[_Delivered]:
    """What ``party`` received: an aggregate table held for review (or withheld) it never did."""
    out = []
    held = releases.unreleased_ids(ws, agreement_id)
    for e in ws.ledger.entries_for_agreement(agreement_id):
        ev = e.event
        if isinstance(ev, DeliveryMade) and ev.recipient == party and ev.delivery_id not in held:
            run_id, _, flow_id = ev.delivery_id.partition("/")
            out.append(
                _Delivered(
                    ev.delivery_id,
                    flow_id,
                    run_id,
                    ev.manifest_sha256,
                    datetime.fromisoformat(ev.at),
                )
            )
    return out


def certificates(ws: Workspace, agreement_id: str) -> list[Certificate]:
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(deletion_certificates)
            .where(deletion_certificates.c.agreement_id == agreement_id)
            .order_by(deletion_certificates.c.id)
        ).all()
    return [
        Certificate(
            r.agreement_id,
            r.party,
            r.delivery_id,
            r.manifest_sha256,
            r.deleted_on,
            r.signature,
            _utc(r.at),
        )
        for r in rows
    ]


def certify_deletion(
    ws: Workspace,
    agreement_id: str,
    *,
    party: str,
    delivery_id: str,
    deleted_on: date,
    at: datetime | None = None,
) -> Certificate:
    """Record ``party``'s signed certificate that it deleted ``delivery_id``."""
    now = at or ws.clock.now()
    received = {d.delivery_id: d for d in _delivered(ws, agreement_id, party)}
    got = received.get(delivery_id)
    if got is None:
        raise InputError(
            f"{party} never received delivery {delivery_id} under {agreement_id}",
            [Problem("delivery_id", "name a delivery made to this party")],
        )
    if deleted_on < got.at.date():
        raise InputError(
            "the deletion date is before the delivery was made",
            [Problem("deleted_on", f"must be on or after {got.at.date().isoformat()}")],
        )
    if deleted_on > now.date():
        raise InputError(
            "the deletion date is in the future", [Problem("deleted_on", "not after today")]
        )
    if any(
        c.delivery_id == delivery_id and c.party == party for c in certificates(ws, agreement_id)
    ):
        raise InputError(
            "this delivery's deletion is already certified",
            [Problem("delivery_id", "one certificate per delivery")],
        )
    v = _live(ws, agreement_id)
    unsigned = DeletionCertified(
        agreement_id=v.agreement_id,
        agreement_version=v.version,
        agreement_hash=v.hash,
        at=iso(now),
        recipient=party,
        delivery_id=delivery_id,
        manifest_sha256=got.manifest_sha256,
        deleted_on=deleted_on.isoformat(),
        signature="",
    )
    signed = ws.keystore.sign_event(unsigned)  # with the recipient's party key
    ws.keystore.public_keys().verify_event(signed)
    certified = {c.delivery_id for c in certificates(ws, agreement_id) if c.party == party}
    certified.add(delivery_id)
    events: list[Event] = [signed]
    latest = states(ws, agreement_id)
    with ws.engine.begin() as conn:
        conn.execute(
            deletion_certificates.insert().values(
                agreement_id=agreement_id,
                party=party,
                delivery_id=delivery_id,
                manifest_sha256=got.manifest_sha256,
                deleted_on=deleted_on,
                signature=signed.signature,
                at=now,
            )
        )
        for (who, flow_id), step in latest.items():
            if who != party or step.state is not S.deletion_due:
                continue
            covered = {d for d, got_ in received.items() if flow_id in (None, got_.flow_id)}
            if not covered <= certified:
                continue
            events.append(
                _move(
                    conn,
                    v,
                    party,
                    flow_id,
                    step.state,
                    S.deleted,
                    purpose=step.purpose,
                    until=step.until,
                    reason="every delivery's deletion is certified",
                    actor=party,
                    now=now,
                )
            )
        record(ws, *events, conn=conn)
    return Certificate(
        agreement_id, party, delivery_id, got.manifest_sha256, deleted_on, signed.signature, now
    )


def _purge(ws: Workspace, v: StoredVersion, party: str, flows: Iterable[str], now: datetime) -> int:
    """Delete the instance's copies of what ``party`` received on ``flows``; one event each."""
    with ws.engine.connect() as conn:
        done = set(
            conn.execute(
                select(purges.c.delivery_id).where(purges.c.agreement_id == v.agreement_id)
            ).scalars()
        )
    wanted = set(flows)
    purged = 0
    for d in _delivered(ws, v.agreement_id, party):
        if d.flow_id not in wanted or d.delivery_id in done:
            continue
        folder = ws.deliveries_dir / slug(v.agreement_id) / slug(party) / slug(d.flow_id)
        run_dir = folder / d.run_id
        count = sum(1 for p in run_dir.rglob("*") if p.is_file()) if run_dir.is_dir() else 0
        event = DeliveryPurged(
            agreement_id=v.agreement_id,
            agreement_version=v.version,
            agreement_hash=v.hash,
            at=iso(now),
            recipient=party,
            delivery_id=d.delivery_id,
            file_count=count,
        )
        with ws.engine.begin() as conn:
            conn.execute(
                purges.insert().values(
                    agreement_id=v.agreement_id,
                    party=party,
                    delivery_id=d.delivery_id,
                    file_count=count,
                    at=now,
                )
            )
            record(ws, event, conn=conn)
        _remove(folder, d.run_id)
        # Change-feed rows derived from these deliveries (they can be derived again while any
        # delivery of the flow is still held, and none may outlive the purge).
        sharing_deletes.forget(ws.root, v.agreement_id, party, d.flow_id)
        purged += 1
    return purged


def _remove(folder: Path, run_id: str) -> None:
    pointer = folder / LATEST
    if pointer.is_file() and pointer.read_text(encoding="utf-8").strip() == run_id:
        pointer.unlink()
    shutil.rmtree(folder / run_id, ignore_errors=True)


def sweep(ws: Workspace, now: datetime) -> list[Swept]:
    """Warn before each review date, request deletion at it, then purge the instance's copies."""
    done: list[Swept] = []
    for latest in agreements.list_all(ws):
        aid = latest.agreement_id
        steps = states(ws, aid)
        if not steps:
            continue
        v = _live(ws, aid)
        for (party, flow_id), step in sorted(
            steps.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            flows = (
                [flow_id] if flow_id else [f.id for f in v.agreement.flows if f.recipient == party]
            )
            until = step.until
            if step.state is S.retained and until is not None:
                due = datetime.combine(until, time.min, tzinfo=UTC)
                what = f"flow {flow_id}" if flow_id else "all flows"
                if now >= due:
                    with ws.engine.begin() as conn:
                        event = _move(
                            conn,
                            v,
                            party,
                            flow_id,
                            step.state,
                            S.deletion_due,
                            purpose=step.purpose,
                            until=step.until,
                            reason="the retention review date is reached",
                            actor="accord",
                            now=now,
                        )
                        _tell(
                            conn,
                            v,
                            party,
                            f"Deletion requested: {v.agreement.title} ({what})",
                            f"The retention for {step.purpose} ended on {until.isoformat()}. "
                            "Delete what you received and send a deletion certificate for each "
                            "delivery.",
                            now,
                        )
                        record(ws, event, conn=conn)
                    done.append(Swept(aid, v.seq, "deletion-requested", party))
                    step = states(ws, aid)[(party, flow_id)]
                else:
                    for days in sorted(WARN_DAYS):
                        if now >= due - timedelta(days=days):
                            with ws.engine.begin() as conn:
                                told = _tell(
                                    conn,
                                    v,
                                    party,
                                    f"Retention review in {days} days: {v.agreement.title} "
                                    f"({what})",
                                    f"The retention for {step.purpose} ends on "
                                    f"{until.isoformat()}; deletion is then due.",
                                    now,
                                    due,
                                )
                            if told:
                                done.append(Swept(aid, v.seq, "notified", party))
                            break
            if step.state in {S.deletion_due, S.deleted}:
                if _purge(ws, v, party, flows, now):
                    done.append(Swept(aid, v.seq, "purged", party))
    return done


# -- who may do what (the API and web pages call these) ---------------------------------------


def _roles(user: User, *roles: Role) -> None:
    user.require_role(*roles)


def cease_as(
    ws: Workspace,
    user: User,
    agreement_id: str,
    *,
    party: str | None,
    purpose: str | None = None,
    until: date | None = None,
    reason: str | None = None,
) -> list[RecipientExit]:
    """Ending sharing with a recipient, or all, is the discloser SIRO's (or the arbiter's) act."""
    v = _live(ws, agreement_id)
    discloser = user.party_org_id in {p.org_id for p in v.agreement.disclosers}
    if not ((discloser and user.holds(Role.siro)) or user.holds(Role.arbiter)):
        raise NotPermitted(
            "only the discloser's SIRO or the arbiter ends sharing with a recipient",
            [Problem("role", "a recipient withdraws from its own flow instead")],
        )
    return cease(
        ws,
        agreement_id,
        party=party,
        purpose=purpose,
        until=until,
        reason=reason,
        actor=f"{user.party_org_id} siro",
    )


def withdraw_as(
    ws: Workspace,
    user: User,
    agreement_id: str,
    flow_id: str,
    *,
    purpose: str | None = None,
    until: date | None = None,
) -> RecipientExit:
    """A recipient's SIRO withdraws its party from its own flow (that flow only)."""
    _roles(user, Role.siro)
    return withdraw(
        ws, agreement_id, flow_id, party=user.party_org_id, purpose=purpose, until=until
    )


def certify_as(
    ws: Workspace, user: User, agreement_id: str, *, delivery_id: str, deleted_on: date | None
) -> Certificate:
    """The recipient's SIRO, DPO or IAO certifies its own party's deletion of a delivery."""
    _roles(user, Role.siro, Role.dpo, Role.iao)
    return certify_deletion(
        ws,
        agreement_id,
        party=user.party_org_id,
        delivery_id=delivery_id,
        deleted_on=deleted_on or ws.clock.now().date(),
    )


def received(ws: Workspace, agreement_id: str, party: str) -> list[dict[str, str | bool]]:
    """Each delivery ``party`` received under the agreement, and whether it is certified deleted."""
    done = {c.delivery_id for c in certificates(ws, agreement_id) if c.party == party}
    return [
        {
            "delivery_id": d.delivery_id,
            "at": d.at.date().isoformat(),
            "certified": d.delivery_id in done,
        }
        for d in _delivered(ws, agreement_id, party)
    ]
