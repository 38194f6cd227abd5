"""What a stored dispute step is, as values: the rows, the notifications and the ledger events.

Pure: no database. The service (:mod:`accord.service.dispute_journal`) reads and writes the
rows through the store's repository (:mod:`accord.store.dispute_records`) in one transaction,
and only if the dispute still has the revision that was read (otherwise :class:`StaleDispute`),
so concurrent sweeps or a sweep racing a decision never record one step twice. After the
transaction commits, :func:`ledger_events` gives the typed events to append; a decision or
withdrawal is signed with the decider's party key.

Notification addresses come from the party's contacts in the agreement, else from a user of
that party holding the role (:func:`pick_address`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


def agreement_ref(agreement_id: str, rows: Sequence[Any]) -> AgreementRef:
    """The version a step concerns, from the agreement's stored version rows (newest first)."""
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


def effect_json(effect: Effect | None) -> str | None:
    if effect is None:
        return None
    return json.dumps(
        {
            "terms": effect.terms.model_dump(mode="json") if effect.terms else None,
            "reason": effect.reason,
            "end": effect.end.isoformat() if effect.end else None,
        }
    )


def effect_from(raw: str | None) -> Effect | None:
    if raw is None:
        return None
    data = json.loads(raw)
    terms = Variant.model_validate(data["terms"]) if data["terms"] is not None else None
    end = datetime.fromisoformat(data["end"]) if data["end"] else None
    return Effect(terms, data["reason"], end)


def stored(dispute_id: str, row: Any | None) -> Stored:
    """A dispute row as the dispute, its revision and its pending effect."""
    if row is None:
        raise NotFound(
            f"no dispute with id {dispute_id}",
            [Problem("id", "check the id with `accord dispute list`")],
        )
    return Stored(
        Dispute.model_validate_json(row.document), row.revision, effect_from(row.pending_effect)
    )


def pick_address(
    agreement: Agreement, party: str, role: ActorRole, user_rows: Sequence[Any]
) -> str | None:
    """Where to email the ``role`` of ``party``: its contact in the agreement, else a user
    (``user_rows``: the party's enabled users' ``email`` and ``roles``, oldest first)."""
    try:
        contact = getattr(agreement.party(party).contacts, role.value, None)
    except KeyError:
        contact = None
    if contact and "@" in contact:
        return str(contact)
    for r in user_rows:  # roles are stored space-separated; older rows used commas
        if role.value in r.roles.replace(",", " ").split():
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


def dispute_values(step: Step, now: datetime, pending: Effect | None) -> dict[str, Any]:
    """The dispute row's columns after ``step`` (besides id, revision and the fixed ones)."""
    d = step.dispute
    return {
        "state": d.state.value,
        "tier": d.tier,
        "deadline": utc(d.deadline) if d.deadline else None,
        "updated_at": utc(now),
        "document": d.model_dump_json(),
        "pending_effect": effect_json(pending),
    }


def step_rows(step: Step, now: datetime, last_seq: int) -> list[dict[str, Any]]:
    """The step log rows of ``step``'s emits, numbered on from ``last_seq``."""
    d = step.dispute
    return [
        {
            "dispute_id": d.id,
            "seq": last_seq + i,
            "name": emit.name,
            "at": utc(now),
            "actor": _actor_of(emit, d)[:300],
            "detail": json.dumps(_json_safe(emit.detail), sort_keys=True),
        }
        for i, emit in enumerate(step.emits, start=1)
    ]


def notification_rows(
    step: Step,
    now: datetime,
    ref: AgreementRef,
    seq: int,
    address: Callable[[str, ActorRole], str | None],
) -> list[dict[str, Any]]:
    """The notifications of ``step``, each addressed by ``address(party, role)``."""
    return [
        {
            "dispute_id": step.dispute.id,
            "step_seq": seq,
            "agreement_id": ref.agreement_id,
            "agreement_version": ref.version,
            "agreement_hash": ref.hash,
            "party": n.party,
            "role": n.role.value,
            "address": address(n.party, n.role),
            "subject": n.subject[:300],
            "message": n.message,
            "deadline": utc(n.deadline) if n.deadline else None,
            "created_at": utc(now),
        }
        for n in step.notices
    ]


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
