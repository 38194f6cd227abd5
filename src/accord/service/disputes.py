"""Disputes as the CLI and server use them: raise, offer, escalate, decide, withdraw, show, list,
sweep; and Civil Contingencies Act requests, refusals and their escalation.

Each call reads the stored dispute, asks the pure machine (:mod:`accord.disputes.machine`) for the
next step, stores it (with its notifications) in one transaction, appends its ledger events, then
carries out its effect on the agreement through the normal lifecycle: a new version (version
bumped, ``previous_hash`` kept) with the disputed flow on the new terms, moved
``in_review -> approved -> active`` (which supersedes the old active version), with the actor and
the reason on every status change. Restoring the old terms is a new version with the old content.
An effect is stored with its step before it is carried out, so :func:`sweep` finishes any that a
crash interrupted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select, update

from accord.disputes import cca, journal, narrowing, scheduler
from accord.disputes.decision import decide as pendulum
from accord.disputes.machine import (
    Effect,
    Escalate,
    MakeOffer,
    Narrow,
    Step,
    Withdraw,
    apply,
    check_offer_fields,
    open_dispute,
)
from accord.disputes.model import (
    SYSTEM,
    Actor,
    ActorRole,
    Dispute,
    Ground,
    Offer,
    SubjectKind,
    Variant,
)
from accord.disputes.narrowing import Checker, candidate_agreement
from accord.errors import InputError, NotFound, NotPermitted, Problem
from accord.ledger.events import AgreementApproved
from accord.model.agreement import Agreement
from accord.model.enums import Status
from accord.model.flows import DataItem
from accord.notifications.deliver import notification_from_row
from accord.notifications.model import Notification
from accord.service import agreements, dispute_journal
from accord.service.users import User
from accord.store.disputes import cca_requests, dispute_steps, disputes, notifications
from accord.workspace import Workspace

# -- people ------------------------------------------------------------------------------------


def actor_for(user: User, role: ActorRole | str) -> Actor:
    """The user acting in ``role`` for their party; refuse a role they do not hold."""
    role = ActorRole(role)
    if role in (ActorRole.system, ActorRole.ig_lead) or not user.holds(role.value):
        raise NotPermitted(
            f"{user.email} does not hold the role {role}",
            [Problem("role", "act in a role you hold")],
        )
    return Actor(party=user.party_org_id, role=role, name=user.name)


# -- offers from documents (the CLI and the API parse them here) -------------------------------


def current_terms(ws: Workspace, agreement_id: str, flow_id: str) -> Variant | None:
    """The terms the flow runs on now (``None`` if it does not run)."""
    try:
        active = agreements.active_version(ws, agreement_id)
    except NotFound:
        return None
    try:
        return Variant.from_flow(active.agreement.flow(flow_id))
    except KeyError:
        return None


def parse_offer(
    document: dict[str, Any] | None,
    *,
    base: Variant | None,
    add: Sequence[str] = (),
    drop: Sequence[str] = (),
    stop: bool = False,
) -> tuple[Variant | None, list[DataItem]]:
    """An offer from a document (``projection``, ``row_filter`` or ``row_conditions``,
    ``transforms``, ``identifiability``, ``data_items``), or ``base`` with fields added or
    dropped, or ``stop`` (the flow should not run). Raise InputError naming what is wrong."""
    if stop:
        return None, []
    doc = dict(document or {})
    items_raw = doc.pop("data_items", [])
    if "row_filter" in doc:
        doc["row_conditions"] = [doc.pop("row_filter")]
    try:
        items = [DataItem.model_validate(i) for i in items_raw]
        if doc:
            terms = Variant.model_validate(doc)
        elif base is not None:
            terms = base
        else:
            raise InputError(
                "the flow does not run now: give the offer's terms in full",
                [Problem("offer", "projection and row_filter are required")],
            )
        if add or drop:
            fields = [f for f in terms.projection if f not in drop]
            fields += [f for f in add if f not in fields]
            kept = tuple(t for t in terms.transforms if getattr(t, "field", None) not in drop)
            terms = terms.model_copy(update={"projection": tuple(fields), "transforms": kept})
            terms = Variant.model_validate(terms.model_dump())
    except ValidationError as exc:
        raise InputError(
            "the offer is not valid",
            [
                Problem(".".join(str(x) for x in e["loc"]) or "offer", e["msg"])
                for e in exc.errors()
            ],
        ) from None
    return terms, items


# -- carrying out a step -------------------------------------------------------------------------


def _bump(version: str) -> str:
    major, minor, patch = (int(x) for x in version.split("."))
    return f"{major}.{minor}.{patch + 1}"


def _apply_effect(ws: Workspace, d: Dispute, effect: Effect, actor: str) -> None:
    """A new agreement version with the disputed flow on ``effect.terms``, made active."""
    latest = agreements.get(ws, d.agreement_id)
    try:
        base = agreements.active_version(ws, d.agreement_id)
    except NotFound:
        if effect.terms is None:
            return  # nothing runs, and nothing is to run
        base = latest
    new = candidate_agreement(base.agreement, d.flow_id, effect.terms, d.offers, end=effect.end)
    if base.status is Status.active and new.flows == base.agreement.flows:
        return
    new = new.model_copy(update={"version": _bump(latest.version), "previous_hash": None})
    stored = agreements.amend(ws, new, actor=actor)
    for target in (Status.in_review, Status.approved, Status.active):
        agreements.transition(
            ws, d.agreement_id, target, seq=stored.seq, reason=effect.reason, actor=actor
        )


def _commit(
    ws: Workspace,
    step: Step,
    now: datetime,
    *,
    expected_revision: int | None,
    actor: str,
) -> Dispute:
    with ws.engine.begin() as conn:
        ref = dispute_journal.agreement_ref(conn, step.dispute.agreement_id)
        dispute_journal.save(
            conn, step, now, ref, expected_revision=expected_revision, pending=step.effect
        )
        # The step and its ledger events commit together, or neither does.
        events = journal.ledger_events(step, now, ref, ws.keystore)
        ws.ledger.append_many(events, now, conn=conn)
    if step.effect is not None:
        _apply_effect(ws, step.dispute, step.effect, actor)
        with ws.engine.begin() as conn:
            dispute_journal.clear_pending(conn, step.dispute.id)
    return step.dispute


def _chain(*steps: Step) -> Step:
    effects = [s.effect for s in steps if s.effect is not None]
    return Step(
        steps[-1].dispute,
        tuple(e for s in steps for e in s.emits),
        tuple(n for s in steps for n in s.notices),
        effects[-1] if effects else None,
    )


def _load(ws: Workspace, dispute_id: str) -> tuple[journal.Stored, journal.AgreementRef]:
    with ws.engine.connect() as conn:
        stored = dispute_journal.load(conn, dispute_id)
        return stored, dispute_journal.agreement_ref(conn, stored.dispute.agreement_id)


def _new_id(agreement_id: str, flow_id: str, party: str, now: datetime, ws: Workspace) -> str:
    with ws.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(disputes)).scalar_one()
    seed = f"{agreement_id}|{flow_id}|{party}|{journal.iso(now)}|{n}".encode()
    return f"dsp-{now:%Y%m%d}-{hashlib.sha256(seed).hexdigest()[:10]}"


# -- the steps ---------------------------------------------------------------------------------


def raise_dispute(
    ws: Workspace,
    *,
    agreement_id: str,
    flow_id: str,
    actor: Actor,
    ground: Ground | str,
    statement: str,
    offer: Variant | None,
    offer_items: Sequence[DataItem] = (),
    disputed_fields: Sequence[str] = (),
    evidence: Sequence[str] = (),
    subject: SubjectKind | str = SubjectKind.flow,
    delivery_id: str | None = None,
    respondent: str | None = None,
    arbiter: str | None = None,
    checker: Checker | None = None,
) -> Dispute:
    """Raise a dispute: record it, narrow the flow at once (tier 0), start the ladder."""
    now = ws.clock.now()
    with ws.engine.connect() as conn:
        ref = dispute_journal.agreement_ref(conn, agreement_id)
    try:
        live = ref.agreement.flow(flow_id) if ref.status is Status.active else None
    except KeyError:
        live = None  # the flow is not in the active version: it does not run
    dispute_id = _new_id(agreement_id, flow_id, actor.party, now, ws)
    first = open_dispute(
        dispute_id=dispute_id,
        agreement=ref.agreement,
        agreement_seq=ref.seq,
        flow_id=flow_id,
        original=Variant.from_flow(live) if live is not None else None,
        raised_by=actor,
        ground=Ground(ground),
        statement=statement,
        offer=Offer(
            party=actor.party,
            made_by=actor,
            terms=offer,
            data_items=tuple(offer_items),
            made_at=now,
        ),
        now=now,
        respondent=respondent,
        subject=SubjectKind(subject),
        delivery_id=delivery_id,
        disputed_fields=tuple(disputed_fields),
        evidence=tuple(evidence),
        arbiter=arbiter,
    )
    tier0 = narrowing.tier0(first.dispute, ref.agreement, now.date(), checker)
    narrowed = apply(first.dispute, Narrow(tier0.terms, tier0.note), now)
    ladder = apply(narrowed.dispute, Escalate(SYSTEM, "tier 0 applied; the ladder starts"), now)
    return _commit(
        ws, _chain(first, narrowed, ladder), now, expected_revision=None, actor=str(actor)
    )


def offer(
    ws: Workspace,
    dispute_id: str,
    *,
    actor: Actor,
    terms: Variant | None,
    data_items: Sequence[DataItem] = (),
    note: str = "",
    checker: Checker | None = None,
) -> Dispute:
    """Record a party's (revised) final offer; tier 0 narrows again if it now must."""
    now = ws.clock.now()
    stored, ref = _load(ws, dispute_id)
    made = Offer(
        party=actor.party,
        made_by=actor,
        terms=terms,
        data_items=tuple(data_items),
        made_at=now,
        note=note,
    )
    check_offer_fields(ref.agreement, made, "offer")
    step = apply(stored.dispute, MakeOffer(made), now)
    again = narrowing.tier0(step.dispute, ref.agreement, now.date(), checker)
    if again.terms != step.dispute.current:
        note = f"after the offer of {actor.party}: {again.note}"
        step = _chain(step, apply(step.dispute, Narrow(again.terms, note), now))
    return _commit(ws, step, now, expected_revision=stored.revision, actor=str(actor))


def escalate(ws: Workspace, dispute_id: str, *, actor: Actor, reason: str) -> Dispute:
    """A decider of the current tier sends the dispute up a tier before its deadline."""
    now = ws.clock.now()
    stored, _ = _load(ws, dispute_id)
    step = apply(stored.dispute, Escalate(actor, reason), now)
    return _commit(ws, step, now, expected_revision=stored.revision, actor=str(actor))


def decide(
    ws: Workspace,
    dispute_id: str,
    *,
    decider: Actor,
    chosen_party: str,
    reasons: str,
    checker: Checker | None = None,
) -> Dispute:
    """Decide for one party's final offer, with reasons; the flow resumes on those terms."""
    now = ws.clock.now()
    stored, ref = _load(ws, dispute_id)
    step = pendulum(
        stored.dispute,
        ref.agreement,
        decider=decider,
        chosen_party=chosen_party,
        reasons=reasons,
        now=now,
        checker=checker,
    )
    return _commit(ws, step, now, expected_revision=stored.revision, actor=str(decider))


def withdraw(ws: Workspace, dispute_id: str, *, actor: Actor, reason: str) -> Dispute:
    """The raising party withdraws; the terms before the dispute are restored."""
    now = ws.clock.now()
    stored, _ = _load(ws, dispute_id)
    step = apply(stored.dispute, Withdraw(actor, reason), now)
    return _commit(ws, step, now, expected_revision=stored.revision, actor=str(actor))


def sweep(ws: Workspace, now: datetime | None = None) -> list[scheduler.Swept]:
    """Finish effects a crash interrupted, then apply every due escalation."""
    with ws.engine.connect() as conn:
        ids: list[str] = list(
            conn.execute(
                select(disputes.c.id).where(disputes.c.pending_effect.is_not(None))
            ).scalars()
        )
        unfinished = [dispute_journal.load(conn, i) for i in ids]
    for stored in unfinished:
        assert stored.pending is not None
        _apply_effect(ws, stored.dispute, stored.pending, "accord (recovery)")
        with ws.engine.begin() as conn:
            dispute_journal.clear_pending(conn, stored.dispute.id)
    return dispute_journal.sweep(ws, now or ws.clock.now())


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepRecord:
    seq: int
    name: str
    at: datetime
    actor: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class DisputeRecord:
    dispute: Dispute
    revision: int
    steps: list[StepRecord]
    notifications: list[Notification]


def show(ws: Workspace, dispute_id: str) -> DisputeRecord:
    with ws.engine.connect() as conn:
        stored = dispute_journal.load(conn, dispute_id)
        steps = conn.execute(
            select(dispute_steps)
            .where(dispute_steps.c.dispute_id == dispute_id)
            .order_by(dispute_steps.c.seq)
        ).all()
        notes = conn.execute(
            select(notifications)
            .where(notifications.c.dispute_id == dispute_id)
            .order_by(notifications.c.id)
        ).all()
    return DisputeRecord(
        stored.dispute,
        stored.revision,
        [
            StepRecord(s.seq, s.name, journal.utc(s.at), s.actor, json.loads(s.detail))
            for s in steps
        ],
        [notification_from_row(n) for n in notes],
    )


def list_disputes(
    ws: Workspace, *, agreement_id: str | None = None, open_only: bool = False
) -> list[Dispute]:
    query = select(disputes.c.document).order_by(disputes.c.raised_at, disputes.c.id)
    if agreement_id:
        query = query.where(disputes.c.agreement_id == agreement_id)
    if open_only:
        query = query.where(disputes.c.state.in_(("raised", "narrowed", *scheduler.LADDER)))
    with ws.engine.connect() as conn:
        docs: list[str] = list(conn.execute(query).scalars())
        return [Dispute.model_validate_json(doc) for doc in docs]


# -- Civil Contingencies Act requests ----------------------------------------------------------


@dataclass(frozen=True)
class CcaRecord:
    id: str
    agreement_id: str
    requester: str
    discloser: str
    status: cca.CcaStatus
    received_at: datetime
    response: cca.CcaResponse | None
    dispute_id: str | None


def _cca_row(r: Any) -> CcaRecord:
    doc = json.loads(r.document)
    response = cca.CcaResponse.model_validate(doc["response"]) if doc.get("response") else None
    return CcaRecord(
        r.id,
        r.agreement_id,
        r.requester,
        r.discloser,
        cca.CcaStatus(r.status),
        journal.utc(r.received_at),
        response,
        r.dispute_id,
    )


def _cca_sides(agreement: Agreement) -> tuple[str, str]:
    recipients = sorted({f.recipient for f in agreement.flows})
    disclosers = [p.org_id for p in agreement.disclosers]
    if len(recipients) != 1 or len(disclosers) != 1:
        raise InputError(
            "a CCA request is between one requester and one discloser",
            [Problem("flows", "one recipient (the requester) and one discloser")],
        )
    return recipients[0], disclosers[0]


def cca_request(ws: Workspace, agreement_id: str) -> CcaRecord:
    """Record the written request carried by a proposed CCA agreement (refused if incomplete)."""
    with ws.engine.connect() as conn:
        ref = dispute_journal.agreement_ref(conn, agreement_id)
    request = cca.check_cca_agreement(ref.agreement)
    requester, discloser = _cca_sides(ref.agreement)
    assert request.received_at is not None
    request_id = "cca-" + hashlib.sha256(f"{agreement_id}|{ref.hash}".encode()).hexdigest()[:12]
    with ws.engine.begin() as conn:
        if conn.execute(select(cca_requests.c.id).where(cca_requests.c.id == request_id)).first():
            raise InputError("this request is already recorded", [Problem("agreement", request_id)])
        conn.execute(
            insert(cca_requests).values(
                id=request_id,
                agreement_id=agreement_id,
                requester=requester,
                discloser=discloser,
                status=cca.CcaStatus.requested.value,
                received_at=journal.utc(request.received_at),
                document=json.dumps({"request": request.model_dump(mode="json")}),
            )
        )
    return get_cca(ws, request_id)


def get_cca(ws: Workspace, request_id: str) -> CcaRecord:
    with ws.engine.connect() as conn:
        row = conn.execute(select(cca_requests).where(cca_requests.c.id == request_id)).first()
    if row is None:
        raise NotFound(f"no CCA request with id {request_id}")
    return _cca_row(row)


def _respond(
    ws: Workspace, record: CcaRecord, response: cca.CcaResponse, ref: journal.AgreementRef
) -> CcaRecord:
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        row = conn.execute(select(cca_requests).where(cca_requests.c.id == record.id)).one()
        doc = {**json.loads(row.document), "response": response.model_dump(mode="json")}
        done = conn.execute(
            update(cca_requests)
            .where(
                cca_requests.c.id == record.id,
                cca_requests.c.status == cca.CcaStatus.requested.value,
            )
            .values(
                status=response.decision.value,
                responded_at=journal.utc(now),
                document=json.dumps(doc),
            )
        )
        if done.rowcount != 1:
            raise NotPermitted(f"request {record.id} has already been answered")
    reasons = response.reasons
    if response.ground:
        reasons = f"{response.ground} ({response.citation}): {response.reasons}"
    event = AgreementApproved(
        agreement_id=ref.agreement_id,
        agreement_version=ref.version,
        agreement_hash=ref.hash,
        at=journal.iso(now),
        party=response.responder.party,
        role=response.responder.role.value,
        decision="reject" if response.decision is cca.CcaStatus.refused else "approve",
        reasons=(reasons,),
        signature="",
    )
    ws.ledger.append(ws.keystore.sign_event(event), now)
    return get_cca(ws, record.id)


def _answerable(ws: Workspace, request_id: str, responder: Actor) -> tuple[CcaRecord, Any]:
    record = get_cca(ws, request_id)
    if responder.party != record.discloser:
        raise NotPermitted(
            "only the discloser answers a CCA request",
            [Problem("responder.party", f"the discloser is {record.discloser}")],
        )
    with ws.engine.connect() as conn:
        return record, dispute_journal.agreement_ref(conn, record.agreement_id)


def cca_refuse(
    ws: Workspace, request_id: str, *, responder: Actor, ground: str | None, reasons: str
) -> CcaRecord:
    """Refuse, citing a ground from the regulations; a refusal without one is invalid input."""
    record, ref = _answerable(ws, request_id, responder)
    response = cca.refuse(
        ref.agreement, responder=responder, ground=ground, reasons=reasons, at=ws.clock.now()
    )
    return _respond(ws, record, response, ref)


def cca_escalate(
    ws: Workspace,
    request_id: str,
    *,
    actor: Actor,
    statement: str,
    ground: Ground | str = Ground.other,
    checker: Checker | None = None,
) -> Dispute:
    """The requester disputes a refusal: a dispute about the requested flow, its offer being the
    flow as requested; nothing flows while it is open."""
    record = get_cca(ws, request_id)
    if record.status is not cca.CcaStatus.refused or record.response is None:
        raise NotPermitted(
            f"request {request_id} is {record.status}; only a refusal can be escalated"
        )
    if actor.party != record.requester:
        raise NotPermitted("only the requester escalates a refusal")
    with ws.engine.connect() as conn:
        ref = dispute_journal.agreement_ref(conn, record.agreement_id)
    flow = next(f for f in ref.agreement.flows if f.recipient == record.requester)
    refusal = record.response
    dispute = raise_dispute(
        ws,
        agreement_id=record.agreement_id,
        flow_id=flow.id,
        actor=actor,
        ground=ground,
        statement=statement,
        offer=Variant.from_flow(flow),
        subject=SubjectKind.cca_refusal,
        evidence=(f"cca-request:{request_id}", f"refusal ground: {refusal.ground}"),
        checker=checker,
    )
    with ws.engine.begin() as conn:
        conn.execute(
            update(cca_requests)
            .where(cca_requests.c.id == request_id)
            .values(status=cca.CcaStatus.escalated.value, dispute_id=dispute.id)
        )
    return dispute
