"""Storing dispute steps: the dispute row, its step log, its notifications, its ledger events.

:func:`save` writes one :class:`~accord.disputes.machine.Step` in the caller's transaction, and
only if the dispute still has the revision that was read (otherwise :class:`StaleDispute`), so
concurrent sweeps or a sweep racing a decision never record one step twice. After the
transaction commits, :func:`ledger_events` gives the typed events to append; a decision or
withdrawal is signed with the decider's party key.

Notification addresses come from the party's contacts in the agreement, else from a user of
that party holding the role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from accord.disputes.machine import Effect, Emit, Step
from accord.disputes.model import ActorRole, Dispute, Variant
from accord.errors import DisputeError, NotFound, Problem
from accord.ledger.events import (
    DisputeDecided,
    DisputeEscalated,
    DisputeExpired,
    DisputeNarrowed,
    DisputeOffer,
    DisputeRaised,
    Event,
)
from accord.ledger.keys import KeyStore
from accord.model.agreement import Agreement
from accord.model.enums import Status
from accord.model.io import parse_agreement
from accord.store.agreements import agreement_versions
from accord.store.disputes import dispute_steps, disputes, notifications
from accord.store.users import users


class StaleDispute(DisputeError):
    """The dispute moved on since it was read; the step was not stored."""


@dataclass(frozen=True)
class AgreementRef:
    """The version a step concerns: the active one, else the latest."""

    agreement_id: str
    seq: int
    version: str
    hash: str
    status: Status
    agreement: Agreement


@dataclass(frozen=True)
class Stored:
    dispute: Dispute
    revision: int
    pending: Effect | None


def utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def iso(when: datetime) -> str:
    return utc(when).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def agreement_ref(conn: Connection, agreement_id: str) -> AgreementRef:
    v = agreement_versions
    rows = conn.execute(
        select(v).where(v.c.agreement_id == agreement_id).order_by(v.c.seq.desc())
    ).all()
    if not rows:
        raise NotFound(f"no agreement with id {agreement_id}")
    row = next((r for r in rows if r.status == Status.active.value), rows[0])
    doc = json.loads(row.document)
    return AgreementRef(
        agreement_id,
        row.seq,
        row.version,
        row.hash,
        Status(row.status),
        parse_agreement(doc, source=f"stored {agreement_id} v{row.seq}"),
    )


def _effect_json(effect: Effect | None) -> str | None:
    if effect is None:
        return None
    return json.dumps(
        {
            "terms": effect.terms.model_dump(mode="json") if effect.terms else None,
            "reason": effect.reason,
            "end": effect.end.isoformat() if effect.end else None,
        }
    )


def _effect_from(raw: str | None) -> Effect | None:
    if raw is None:
        return None
    data = json.loads(raw)
    terms = Variant.model_validate(data["terms"]) if data["terms"] is not None else None
    end = datetime.fromisoformat(data["end"]) if data["end"] else None
    return Effect(terms, data["reason"], end)


def load(conn: Connection, dispute_id: str) -> Stored:
    row = conn.execute(select(disputes).where(disputes.c.id == dispute_id)).first()
    if row is None:
        raise NotFound(
            f"no dispute with id {dispute_id}",
            [Problem("id", "check the id with `accord dispute list`")],
        )
    return Stored(
        Dispute.model_validate_json(row.document), row.revision, _effect_from(row.pending_effect)
    )


def address(conn: Connection, agreement: Agreement, party: str, role: ActorRole) -> str | None:
    """Where to email the ``role`` of ``party``: its contact in the agreement, else a user."""
    try:
        contact = getattr(agreement.party(party).contacts, role.value, None)
    except KeyError:
        contact = None
    if contact and "@" in contact:
        return str(contact)
    rows = conn.execute(
        select(users.c.email, users.c.roles)
        .where(users.c.party_org_id == party, users.c.disabled.is_(False))
        .order_by(users.c.id)
    ).all()
    for r in rows:
        if role.value in {x.strip() for x in r.roles.split(",")}:
            return str(r.email)
    return None


def _actor_of(emit: Emit, d: Dispute) -> str:
    for key in ("raised_by", "offered_by", "actor", "arbiter"):
        if key in emit.detail:
            return str(emit.detail[key])
    return "accord (ladder)"


def _json_safe(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (iso(v) if isinstance(v, datetime) else list(v) if isinstance(v, tuple) else v)
        for k, v in detail.items()
    }


def save(
    conn: Connection,
    step: Step,
    now: datetime,
    ref: AgreementRef,
    *,
    expected_revision: int | None,
    pending: Effect | None,
) -> int:
    """Store ``step`` (a new dispute when ``expected_revision`` is None); return its revision."""
    d = step.dispute
    values = {
        "state": d.state.value,
        "tier": d.tier,
        "deadline": utc(d.deadline) if d.deadline else None,
        "updated_at": utc(now),
        "document": d.model_dump_json(),
        "pending_effect": _effect_json(pending),
    }
    if expected_revision is None:
        revision = 1
        conn.execute(
            insert(disputes).values(
                id=d.id,
                agreement_id=d.agreement_id,
                flow_id=d.flow_id,
                raised_at=utc(d.raised_at),
                revision=revision,
                **values,
            )
        )
    else:
        revision = expected_revision + 1
        done = conn.execute(
            update(disputes)
            .where(disputes.c.id == d.id, disputes.c.revision == expected_revision)
            .values(revision=revision, **values)
        )
        if done.rowcount != 1:
            raise StaleDispute(
                f"dispute {d.id} changed while this step was being made",
                [Problem("revision", "read the dispute again and retry")],
            )
    seq: int = conn.execute(
        select(func.coalesce(func.max(dispute_steps.c.seq), 0)).where(
            dispute_steps.c.dispute_id == d.id
        )
    ).scalar_one()
    for emit in step.emits:
        seq += 1
        conn.execute(
            insert(dispute_steps).values(
                dispute_id=d.id,
                seq=seq,
                name=emit.name,
                at=utc(now),
                actor=_actor_of(emit, d)[:300],
                detail=json.dumps(_json_safe(emit.detail), sort_keys=True),
            )
        )
    for n in step.notices:
        conn.execute(
            insert(notifications).values(
                dispute_id=d.id,
                step_seq=seq,
                agreement_id=ref.agreement_id,
                agreement_version=ref.version,
                agreement_hash=ref.hash,
                party=n.party,
                role=n.role.value,
                address=address(conn, ref.agreement, n.party, n.role),
                subject=n.subject[:300],
                message=n.message,
                deadline=utc(n.deadline) if n.deadline else None,
                created_at=utc(now),
            )
        )
    return revision


def clear_pending(conn: Connection, dispute_id: str) -> None:
    conn.execute(update(disputes).where(disputes.c.id == dispute_id).values(pending_effect=None))


def ledger_events(step: Step, now: datetime, ref: AgreementRef, keystore: KeyStore) -> list[Event]:
    """The typed ledger events for ``step``'s emits, concerning version ``ref``."""
    d = step.dispute
    base: dict[str, Any] = {
        "agreement_id": ref.agreement_id,
        "agreement_version": ref.version,
        "agreement_hash": ref.hash,
        "at": iso(now),
        "dispute_id": d.id,
    }
    out: list[Event] = []
    for e in step.emits:
        x = e.detail
        if e.name == "dispute-raised":
            out.append(DisputeRaised(**base, **x))
        elif e.name == "dispute-narrowed":
            out.append(DisputeNarrowed(**base, **x))
        elif e.name == "dispute-offer":
            out.append(DisputeOffer(**base, **x))
        elif e.name == "dispute-escalated":
            out.append(DisputeEscalated(**base, **{**x, "deadline": iso(x["deadline"])}))
        elif e.name == "dispute-expired":
            out.append(DisputeExpired(**base, **{**x, "deadline": iso(x["deadline"])}))
        elif e.name == "dispute-decided":
            out.append(keystore.sign_event(DisputeDecided(**base, **x, signature="")))
        else:  # pragma: no cover (the machine emits only the names above)
            raise DisputeError(f"unknown dispute event {e.name}")
    return out
