"""The dispute state machine: every step a pure function of (dispute, event, now).

::

    raised -> narrowed (tier 0) -> tier1 -> tier2 -> tier3 -> decided
                                     |        |        \\-> provisional_default (tier 3 missed)
                                     \\--------+----> decided (one side accepts the other's offer)
    any open state -> withdrawn (by the party that raised it)

:func:`apply` returns a :class:`Step`: the new dispute, the ledger events to emit, the
notifications to send (who must act, by when) and at most one :class:`Effect` (the terms the
disputed flow must switch to). It reads no clock, store or rules engine; the law checks happen
before it is called (:mod:`accord.disputes.narrowing`, :mod:`accord.disputes.decision`), and the
service carries out the effect through the agreement lifecycle. Illegal steps raise
:class:`~accord.errors.DisputeError` naming the state and what is allowed.

Invariants the machine keeps whatever it is fed:

- tier-0 narrowing never widens: narrowed terms are within the terms in force;
- a decision applies exactly one party's final offer, cut down to the requester's own final
  offer (never more than the recipient asked for);
- deadlines come from the ladder fixed at the raise, so every dispute ends by ``ladder_end``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.disputes import ladder
from accord.disputes.lattice import clamp, is_within
from accord.disputes.model import (
    LADDER_STATES,
    OPEN_STATES,
    SYSTEM,
    Actor,
    ActorRole,
    Decision,
    Dispute,
    DisputeState,
    Ground,
    Offer,
    SubjectKind,
    Terms,
    describe_terms,
)
from accord.errors import DisputeError, Problem
from accord.model.agreement import Agreement

S = DisputeState
RAISING_ROLES = frozenset(
    {
        ActorRole.ig_lead,
        ActorRole.dpo,
        ActorRole.siro,
        ActorRole.caldicott_guardian,
        ActorRole.iao,
        ActorRole.requester,
    }
)

# -- what the machine is told --------------------------------------------------------------------


@dataclass(frozen=True)
class Narrow:
    """Tier 0 computed these terms (see :func:`accord.disputes.narrowing.tier0`)."""

    terms: Terms
    note: str


@dataclass(frozen=True)
class Escalate:
    actor: Actor
    reason: str


@dataclass(frozen=True)
class MakeOffer:
    offer: Offer


@dataclass(frozen=True)
class Decide:
    decider: Actor
    chosen_party: str
    reasons: str


@dataclass(frozen=True)
class Expire:
    """The scheduler found the current tier's deadline passed."""


@dataclass(frozen=True)
class Withdraw:
    actor: Actor
    reason: str


Event = Narrow | Escalate | MakeOffer | Decide | Expire | Withdraw

# -- what the machine answers --------------------------------------------------------------------


@dataclass(frozen=True)
class Emit:
    """A ledger event to record: its name (``dispute-raised``...) and its own fields."""

    name: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """Someone must act (or be told): the party, the role, what, and by when."""

    party: str
    role: ActorRole
    subject: str
    message: str
    deadline: datetime | None


@dataclass(frozen=True)
class Effect:
    """Switch the disputed flow to ``terms`` (``None``: stop it), ending at ``end`` if given."""

    terms: Terms
    reason: str
    end: datetime | None = None


@dataclass(frozen=True)
class Step:
    dispute: Dispute
    emits: tuple[Emit, ...] = ()
    notices: tuple[Notice, ...] = ()
    effect: Effect | None = None


# -- helpers -------------------------------------------------------------------------------------


def _refuse(d: Dispute, what: str, reason: str) -> DisputeError:
    return DisputeError(f"dispute {d.id}: {what}", [Problem(f"state {d.state}", reason)])


def _require_open(d: Dispute, what: str) -> None:
    if d.state not in OPEN_STATES:
        raise _refuse(d, what, "the dispute is closed")


def _notify_deciders(d: Dispute, tier: int, subject: str, message: str) -> tuple[Notice, ...]:
    roles = ladder.deciders(
        tier, confidential_patient_information=d.confidential_patient_information
    )
    if tier == ladder.TOP_TIER:
        return (Notice(d.arbiter, ActorRole.arbiter, subject, message, d.deadline),)
    return tuple(Notice(p, r, subject, message, d.deadline) for p in d.parties for r in roles)


def _notify_outcome(d: Dispute, subject: str, message: str) -> tuple[Notice, ...]:
    told = [Notice(p, ActorRole.siro, subject, message, None) for p in d.parties]
    if d.tier == ladder.TOP_TIER or d.state is S.provisional_default:
        told.append(Notice(d.arbiter, ActorRole.arbiter, subject, message, None))
    return tuple(told)


def check_offer_fields(agreement: Agreement, offer: Offer, where: str) -> None:
    declared = {i.name for i in agreement.data_items} | {i.name for i in offer.data_items}
    fields = offer.terms.projection if offer.terms is not None else ()
    unknown = [f for f in fields if f not in declared]
    if unknown:
        raise DisputeError(
            "an offer names fields the agreement does not declare",
            [Problem(where, f"define {', '.join(unknown)} in the offer's data_items")],
        )


# -- opening a dispute ---------------------------------------------------------------------------


def open_dispute(
    *,
    dispute_id: str,
    agreement: Agreement,
    agreement_seq: int,
    flow_id: str,
    original: Terms,
    raised_by: Actor,
    ground: Ground,
    statement: str,
    offer: Offer,
    now: datetime,
    respondent: str | None = None,
    subject: SubjectKind = SubjectKind.flow,
    delivery_id: str | None = None,
    disputed_fields: tuple[str, ...] = (),
    evidence: tuple[str, ...] = (),
    arbiter: str | None = None,
) -> Step:
    """A new dispute in state ``raised``, with the raiser's final offer on record."""
    try:
        flow = agreement.flow(flow_id)
    except KeyError:
        raise DisputeError(
            f"agreement {agreement.id} has no flow {flow_id}",
            [Problem("flow", "name a flow of the agreement")],
        ) from None
    problems: list[Problem] = []
    if raised_by.role not in RAISING_ROLES:
        problems.append(Problem("raised_by.role", f"one of {', '.join(sorted(RAISING_ROLES))}"))
    party_ids = {p.org_id for p in agreement.parties}
    if raised_by.party not in party_ids:
        problems.append(Problem("raised_by.party", f"{raised_by.party} is not a party"))
    if not statement.strip():
        problems.append(Problem("statement", "say what is disputed and why"))
    if offer.party != raised_by.party or offer.made_by.party != raised_by.party:
        problems.append(Problem("offer.party", "the raiser's own final offer comes with the raise"))
    if subject is SubjectKind.delivery and not delivery_id:
        problems.append(Problem("delivery_id", "a dispute against a delivery names it"))
    if problems:
        raise DisputeError("the dispute cannot be raised", problems)
    disclosers = [p.org_id for p in agreement.disclosers]
    if raised_by.party in disclosers:
        discloser = raised_by.party
    elif raised_by.party == flow.recipient:
        named = respondent or (disclosers[0] if len(disclosers) == 1 else None)
        if named not in disclosers:
            raise DisputeError(
                "name the disclosing party the dispute is against",
                [Problem("respondent", f"one of {', '.join(disclosers)}")],
            )
        discloser = named
    else:
        raise DisputeError(
            f"{raised_by.party} is neither the recipient nor a discloser of flow {flow_id}",
            [Problem("raised_by.party", "only the two sides of a flow can dispute it")],
        )
    check_offer_fields(agreement, offer, "offer")
    declared = {i.name for i in agreement.data_items} | {i.name for i in offer.data_items}
    unknown = [f for f in disputed_fields if f not in declared]
    if unknown:
        raise DisputeError(
            "disputed fields must be data items of the agreement or of the offer",
            [Problem("disputed_fields", ", ".join(unknown))],
        )
    review_by = agreement.incident.review_by if agreement.incident else None
    dispute = Dispute(
        id=dispute_id,
        agreement_id=agreement.id,
        agreement_seq=agreement_seq,
        flow_id=flow_id,
        subject=subject,
        delivery_id=delivery_id,
        recipient=flow.recipient,
        discloser=discloser,
        raised_by=raised_by,
        ground=ground,
        statement=statement.strip(),
        disputed_fields=tuple(disputed_fields),
        evidence=tuple(evidence),
        mode=agreement.mode,
        raised_at=now,
        arbiter=ladder.designated_arbiter(agreement, arbiter),
        confidential_patient_information=agreement.confidential_patient_information,
        review_by=review_by,
        original=original,
        current=original,
        offers=(offer,),
    )
    emits = (
        Emit(
            "dispute-raised",
            {
                "raised_by": str(raised_by),
                "subject": f"{subject} {delivery_id or flow_id} of {agreement.id} v{agreement_seq}",
                "grounds": f"{ground}: {dispute.statement}",
            },
        ),
        Emit("dispute-offer", {"offered_by": str(raised_by), "offer": describe_terms(offer.terms)}),
    )
    return Step(dispute, emits)


# -- the transitions -----------------------------------------------------------------------------


def _narrow(d: Dispute, e: Narrow, now: datetime) -> Step:
    _require_open(d, "cannot narrow")
    if not is_within(e.terms, d.current):
        raise _refuse(d, "tier 0 may not widen the flow", "the terms are not within those in force")
    state = S.narrowed if d.state is S.raised else d.state
    changed = e.terms != d.current
    new = d.model_copy(update={"state": state, "current": e.terms})
    effect = Effect(e.terms, f"dispute {d.id} tier 0: {e.note}") if changed else None
    emit = Emit(
        "dispute-narrowed",
        {"narrowing": f"{e.note}; now {describe_terms(e.terms)}", "actor": str(SYSTEM)},
    )
    return Step(new, (emit,), (), effect)


def _escalate_to(d: Dispute, tier: int, reason: str) -> Step:
    new = d.model_copy(
        update={
            "state": LADDER_STATES[tier],
            "tier": tier,
            "deadline": ladder.deadline(d.mode, d.raised_at, tier),
        }
    )
    roles = ladder.deciders(
        tier, confidential_patient_information=d.confidential_patient_information
    )
    emit = Emit(
        "dispute-escalated",
        {
            "level": tier,
            "decider": d.arbiter if tier == ladder.TOP_TIER else " and ".join(roles),
            "deadline": new.deadline,
        },
    )
    subject = f"Dispute {d.id}: tier {tier} must decide"
    message = (
        f"Dispute {d.id} about flow {d.flow_id} of {d.agreement_id} ({d.ground}) is with you at "
        f"tier {tier}: {reason}. Decide by {new.deadline:%Y-%m-%d %H:%M %Z}, or it escalates."
    )
    return Step(new, (emit,), _notify_deciders(new, tier, subject, message))


def _escalate(d: Dispute, e: Escalate, now: datetime) -> Step:
    _require_open(d, "cannot escalate")
    if d.state is S.raised:
        raise _refuse(d, "cannot escalate before tier 0", "narrow first")
    if d.tier == ladder.TOP_TIER:
        raise _refuse(d, "cannot escalate past the arbiter", "tier 3 is the last tier")
    if d.tier >= 1 and e.actor.role is not ActorRole.system:
        roles = ladder.deciders(
            d.tier, confidential_patient_information=d.confidential_patient_information
        )
        if e.actor.party not in d.parties or e.actor.role not in roles:
            raise _refuse(
                d, f"{e.actor} cannot escalate", f"tier {d.tier} deciders: {', '.join(roles)}"
            )
    return _escalate_to(d, d.tier + 1, e.reason)


def _expire(d: Dispute, e: Expire, now: datetime) -> Step:
    _require_open(d, "nothing to expire")
    if d.deadline is None or d.tier == 0:
        raise _refuse(d, "has no deadline running", "only tiers 1-3 have deadlines")
    if now < d.deadline:
        raise _refuse(d, "deadline not reached", f"tier {d.tier} runs to {d.deadline.isoformat()}")
    missed = (*d.missed, d.tier)
    if d.tier < ladder.TOP_TIER:
        miss = Emit(
            "dispute-expired",
            {"level": d.tier, "deadline": d.deadline, "outcome": f"escalated to tier {d.tier + 1}"},
        )
        step = _escalate_to(
            d.model_copy(update={"missed": missed}),
            d.tier + 1,
            f"tier {d.tier} missed its deadline",
        )
        return Step(step.dispute, (miss, *step.emits), step.notices)
    new = d.model_copy(update={"state": S.provisional_default, "deadline": None, "missed": missed})
    outcome = f"provisional default: the tier-0 terms stand ({describe_terms(d.current)})"
    emit = Emit("dispute-expired", {"level": d.tier, "deadline": d.deadline, "outcome": outcome})
    subject = f"Dispute {d.id}: arbiter missed the deadline"
    message = (
        f"The arbiter did not decide dispute {d.id} by {d.deadline:%Y-%m-%d %H:%M %Z}. "
        f"The tier-0 terms stand provisionally: {describe_terms(d.current)}."
    )
    return Step(new, (emit,), _notify_outcome(new, subject, message))


def _offer(d: Dispute, e: MakeOffer, now: datetime) -> Step:
    _require_open(d, "cannot take an offer")
    offer = e.offer
    if d.state is S.tier3:
        raise _refuse(d, "final offers are closed", "the arbiter is deciding between them")
    if offer.party not in d.parties or offer.made_by.party != offer.party:
        raise _refuse(d, "only the two parties make offers", f"parties: {', '.join(d.parties)}")
    offers = tuple(o for o in d.offers if o.party != offer.party) + (offer,)
    new = d.model_copy(update={"offers": offers})
    emit = Emit(
        "dispute-offer", {"offered_by": str(offer.made_by), "offer": describe_terms(offer.terms)}
    )
    other = d.other_party(offer.party)
    notices: tuple[Notice, ...] = ()
    if d.tier >= 1:
        roles = ladder.deciders(
            d.tier, confidential_patient_information=d.confidential_patient_information
        )
        message = (
            f"{offer.made_by} made a final offer in dispute {d.id}: {describe_terms(offer.terms)}"
        )
        notices = tuple(
            Notice(other, r, f"Dispute {d.id}: new offer", message, d.deadline) for r in roles
        )
    return Step(new, (emit,), notices)


def decided_terms(d: Dispute, chosen_party: str) -> Terms:
    """The terms a decision for ``chosen_party`` applies: its final offer, never beyond the
    requester's own final offer."""
    if chosen_party not in d.parties:
        raise _refuse(d, f"{chosen_party} made no offer", f"choose one of {', '.join(d.parties)}")
    return clamp(d.final_terms()[chosen_party], d.ceiling)


def _decide(d: Dispute, e: Decide, now: datetime) -> Step:
    _require_open(d, "cannot decide")
    if d.tier < 1:
        raise _refuse(d, "cannot decide before the ladder starts", "tier 0 narrows only")
    if not e.reasons.strip():
        raise _refuse(d, "a decision needs written reasons", "give the reasons")
    terms = decided_terms(d, e.chosen_party)
    if d.tier == ladder.TOP_TIER:
        if e.decider.role is not ActorRole.arbiter or e.decider.party != d.arbiter:
            raise _refuse(d, f"{e.decider} is not the arbiter", f"the arbiter is {d.arbiter}")
        outcome = f"pendulum: the final offer of {e.chosen_party}"
    else:
        roles = ladder.deciders(
            d.tier, confidential_patient_information=d.confidential_patient_information
        )
        if e.decider.party not in d.parties or e.decider.role not in roles:
            raise _refuse(d, f"{e.decider} cannot decide", f"tier {d.tier}: {', '.join(roles)}")
        if e.decider.party == e.chosen_party:
            raise _refuse(
                d,
                "a party cannot settle on its own offer",
                "before tier 3 a dispute settles when one side accepts the other's offer",
            )
        outcome = f"settled: {e.decider.party} accepted the final offer of {e.chosen_party}"
    grants = not is_within(terms, d.original)
    expires = d.review_by
    decision = Decision(
        decider=e.decider,
        tier=d.tier,
        chosen_party=e.chosen_party,
        outcome=outcome,
        reasons=e.reasons.strip(),
        decided_at=now,
        expires_at=expires,
        terms=terms,
    )
    new = d.model_copy(
        update={"state": S.decided, "deadline": None, "decision": decision, "current": terms}
    )
    emit = Emit(
        "dispute-decided",
        {"arbiter": e.decider.party, "outcome": outcome, "reasons": (decision.reasons,)},
    )
    effect = None
    if terms != d.current or (grants and expires is not None):
        effect = Effect(terms, f"dispute {d.id} decided: {outcome}", expires if grants else None)
    message = f"{outcome}. Reasons: {decision.reasons}. Terms: {describe_terms(terms)}."
    return Step(new, (emit,), _notify_outcome(new, f"Dispute {d.id}: decided", message), effect)


def _withdraw(d: Dispute, e: Withdraw, now: datetime) -> Step:
    _require_open(d, "cannot withdraw")
    if e.actor.party != d.raised_by.party:
        raise _refuse(d, "only the raising party can withdraw", f"raised by {d.raised_by.party}")
    reason = e.reason.strip() or "withdrawn"
    decision = Decision(
        decider=e.actor,
        tier=max(d.tier, 1),
        chosen_party=None,
        outcome="withdrawn: the terms before the dispute are restored",
        reasons=reason,
        decided_at=now,
        expires_at=None,
        terms=d.original,
    )
    new = d.model_copy(
        update={
            "state": S.withdrawn,
            "deadline": None,
            "decision": decision,
            "current": d.original,
        }
    )
    emit = Emit(
        "dispute-decided",
        {"arbiter": e.actor.party, "outcome": decision.outcome, "reasons": (reason,)},
    )
    effect = Effect(d.original, f"dispute {d.id} withdrawn") if d.current != d.original else None
    message = f"{e.actor} withdrew dispute {d.id}: {reason}"
    return Step(new, (emit,), _notify_outcome(new, f"Dispute {d.id}: withdrawn", message), effect)


def apply(d: Dispute, event: Event, now: datetime) -> Step:
    """The next step of ``d`` on ``event`` at ``now``; raise DisputeError if it is illegal."""
    if now < d.raised_at:
        raise _refuse(d, "a step cannot come before the raise", f"raised {d.raised_at.isoformat()}")
    match event:
        case Narrow():
            return _narrow(d, event, now)
        case Escalate():
            return _escalate(d, event, now)
        case Expire():
            return _expire(d, event, now)
        case MakeOffer():
            return _offer(d, event, now)
        case Decide():
            return _decide(d, event, now)
        case Withdraw():
            return _withdraw(d, event, now)
    raise TypeError(f"not a dispute event: {event!r}")  # pragma: no cover
