from __future__ import annotations

from datetime import timedelta

import pytest
from dispute_builders import ETHNICITY, FLOW, GREENWICH, NHSE, T0, offer, person

from accord.disputes.ladder import HEALTH_ARBITER
from accord.disputes.lattice import is_within
from accord.disputes.machine import (
    Decide,
    Escalate,
    Expire,
    MakeOffer,
    Narrow,
    Step,
    Withdraw,
    apply,
    open_dispute,
)
from accord.disputes.model import SYSTEM, ActorRole, Dispute, DisputeState, Ground, Variant
from accord.errors import DisputeError
from accord.model import Agreement

H = timedelta(hours=1)
ARBITER = person(HEALTH_ARBITER, ActorRole.arbiter, "The Arbiter")


def raise_s3(agreement: Agreement, original: Variant, wider: Variant) -> Step:
    return open_dispute(
        dispute_id="dsp-test-0001",
        agreement=agreement,
        agreement_seq=1,
        flow_id=FLOW,
        original=original,
        raised_by=person(GREENWICH, ActorRole.dpo, "Greenwich DPO"),
        ground=Ground.other,
        statement="We need ethnicity to target culturally appropriate support.",
        offer=offer(GREENWICH, wider, items=(ETHNICITY,)),
        disputed_fields=("ethnicity",),
        now=T0,
    )


def on_ladder(agreement: Agreement, original: Variant, wider: Variant) -> Dispute:
    d = raise_s3(agreement, original, wider).dispute
    d = apply(d, Narrow(original, "drop the disputed fields"), T0).dispute
    return apply(d, Escalate(SYSTEM, "tier 0 applied"), T0).dispute


def test_raise_records_the_dispute_and_the_raisers_offer(agreement, original, wider) -> None:
    step = raise_s3(agreement, original, wider)
    d = step.dispute
    assert d.state is DisputeState.raised
    assert (d.recipient, d.discloser, d.arbiter) == (GREENWICH, NHSE, HEALTH_ARBITER)
    assert d.review_by == agreement.incident.review_by
    assert [e.name for e in step.emits] == ["dispute-raised", "dispute-offer"]
    assert d.final_terms() == {GREENWICH: wider, NHSE: original}
    assert d.ceiling == wider


def test_raise_by_a_stranger_or_with_undeclared_fields_is_refused(
    agreement, original, wider
) -> None:
    with pytest.raises(DisputeError):
        open_dispute(
            dispute_id="dsp-test-0002",
            agreement=agreement,
            agreement_seq=1,
            flow_id=FLOW,
            original=original,
            raised_by=person("gss:E06000002", ActorRole.dpo),  # the other council
            ground=Ground.other,
            statement="not ours",
            offer=offer("gss:E06000002", original),
            now=T0,
        )
    with pytest.raises(DisputeError) as err:
        open_dispute(
            dispute_id="dsp-test-0003",
            agreement=agreement,
            agreement_seq=1,
            flow_id=FLOW,
            original=original,
            raised_by=person(GREENWICH, ActorRole.dpo),
            ground=Ground.other,
            statement="more please",
            offer=offer(GREENWICH, wider),  # ethnicity not defined anywhere
            now=T0,
        )
    assert "ethnicity" in err.value.diagnostics()


def test_tier0_then_tier1_notifies_ig_leads_and_dpos_of_both_sides(
    agreement, original, wider
) -> None:
    d = raise_s3(agreement, original, wider).dispute
    step = apply(d, Narrow(original, "drop the disputed fields"), T0)
    assert step.dispute.state is DisputeState.narrowed and step.effect is None  # unchanged
    step = apply(step.dispute, Escalate(SYSTEM, "tier 0 applied"), T0)
    assert step.dispute.state is DisputeState.tier1
    assert step.dispute.deadline == T0 + 2 * H
    assert {(n.party, n.role) for n in step.notices} == {
        (p, r) for p in (GREENWICH, NHSE) for r in (ActorRole.ig_lead, ActorRole.dpo)
    }
    assert all(n.deadline == T0 + 2 * H for n in step.notices)


def test_narrowing_may_not_widen(agreement, original, wider) -> None:
    d = raise_s3(agreement, original, wider).dispute
    with pytest.raises(DisputeError):
        apply(d, Narrow(wider, "wider"), T0)


def test_missed_deadlines_escalate_then_default_provisionally(agreement, original, wider) -> None:
    d = on_ladder(agreement, original, wider)
    with pytest.raises(DisputeError):
        apply(d, Expire(), T0 + H)  # not due yet
    step = apply(d, Expire(), T0 + 2 * H)
    assert step.dispute.state is DisputeState.tier2 and step.dispute.missed == (1,)
    assert [e.name for e in step.emits] == ["dispute-expired", "dispute-escalated"]
    # Confidential patient information: Caldicott Guardians sit with the SIROs at tier 2.
    assert {n.role for n in step.notices} == {ActorRole.siro, ActorRole.caldicott_guardian}
    step = apply(step.dispute, Expire(), T0 + 4 * H)
    assert step.dispute.state is DisputeState.tier3
    assert [(n.party, n.role) for n in step.notices] == [(HEALTH_ARBITER, ActorRole.arbiter)]
    step = apply(step.dispute, Expire(), T0 + 24 * H)
    assert step.dispute.state is DisputeState.provisional_default
    assert step.dispute.current == original and step.effect is None
    assert step.dispute.missed == (1, 2, 3)
    assert step.emits[0].name == "dispute-expired" and step.emits[0].detail["level"] == 3
    with pytest.raises(DisputeError):
        apply(step.dispute, Expire(), T0 + 48 * H)


def test_the_arbiter_chooses_one_offer_with_reasons(agreement, original, wider) -> None:
    d = apply(on_ladder(agreement, original, wider), Escalate(SYSTEM, "stuck"), T0 + H).dispute
    d = apply(d, Escalate(SYSTEM, "stuck"), T0 + H).dispute
    assert d.state is DisputeState.tier3 and d.deadline == T0 + 24 * H  # fixed at the raise
    with pytest.raises(DisputeError):
        apply(d, Decide(ARBITER, GREENWICH, "   "), T0 + 5 * H)
    with pytest.raises(DisputeError):
        apply(d, Decide(person(NHSE, ActorRole.siro), GREENWICH, "x"), T0 + 5 * H)
    with pytest.raises(DisputeError):
        apply(d, Decide(ARBITER, "gss:E06000002", "not a side"), T0 + 5 * H)
    step = apply(d, Decide(ARBITER, GREENWICH, "Ethnicity is needed for outreach."), T0 + 5 * H)
    assert step.dispute.state is DisputeState.decided
    decision = step.dispute.decision
    assert decision.terms == wider and decision.expires_at == agreement.incident.review_by
    assert step.effect is not None and step.effect.terms == wider
    assert step.effect.end == agreement.incident.review_by  # a grant is time-limited
    assert step.emits[0].name == "dispute-decided"
    assert step.emits[0].detail["reasons"] == ("Ethnicity is needed for outreach.",)


def test_offers_close_when_the_arbiter_is_seized(agreement, original, wider) -> None:
    d = on_ladder(agreement, original, wider)
    step = apply(d, MakeOffer(offer(NHSE, original, at=T0 + H)), T0 + H)
    assert step.emits[0].name == "dispute-offer"
    assert {n.party for n in step.notices} == {GREENWICH}
    d = apply(step.dispute, Escalate(person(NHSE, ActorRole.dpo), "no agreement"), T0 + H).dispute
    d = apply(d, Escalate(person(GREENWICH, ActorRole.siro), "no agreement"), T0 + H).dispute
    with pytest.raises(DisputeError):
        apply(d, MakeOffer(offer(NHSE, original)), T0 + 2 * H)
    with pytest.raises(DisputeError):
        apply(d, Escalate(SYSTEM, "beyond"), T0 + 2 * H)


def test_only_current_tier_deciders_may_escalate(agreement, original, wider) -> None:
    d = on_ladder(agreement, original, wider)
    with pytest.raises(DisputeError):
        apply(d, Escalate(person(NHSE, ActorRole.siro), "too early for SIROs"), T0 + H)


def test_settlement_before_tier3_is_one_side_accepting_the_other(
    agreement, original, wider
) -> None:
    d = on_ladder(agreement, original, wider)
    with pytest.raises(DisputeError):
        apply(d, Decide(person(GREENWICH, ActorRole.dpo), GREENWICH, "ours"), T0 + H)
    step = apply(d, Decide(person(NHSE, ActorRole.dpo), GREENWICH, "Agreed."), T0 + H)
    assert step.dispute.state is DisputeState.decided
    assert step.dispute.decision.tier == 1 and step.effect.terms == wider


def test_a_decision_never_gives_more_than_the_requester_asked(agreement, original) -> None:
    # The discloser raises (phone is excessive) and offers *more* than the council then asks for.
    asks = original.model_copy(update={"projection": ("nhs_number", "postcode")})
    d = open_dispute(
        dispute_id="dsp-test-0004",
        agreement=agreement,
        agreement_seq=1,
        flow_id=FLOW,
        original=original,
        raised_by=person(NHSE, ActorRole.dpo),
        ground=Ground.excessive_data,
        statement="Phone numbers are not needed.",
        offer=offer(NHSE, original.model_copy(update={"projection": original.projection[:-1]})),
        disputed_fields=("phone",),
        now=T0,
    ).dispute
    d = apply(d, Narrow(d.offers[0].terms, "drop the disputed fields"), T0).dispute
    d = apply(d, Escalate(SYSTEM, "tier 0"), T0).dispute
    d = apply(d, MakeOffer(offer(GREENWICH, asks)), T0 + H).dispute
    d = apply(d, Escalate(SYSTEM, "x"), T0 + H).dispute
    d = apply(d, Escalate(SYSTEM, "x"), T0 + H).dispute
    step = apply(d, Decide(ARBITER, NHSE, "The discloser's offer is reasonable."), T0 + 2 * H)
    assert step.dispute.decision.terms == asks
    assert is_within(step.dispute.current, asks)


def test_withdrawal_restores_the_terms_before_the_dispute(agreement, original, wider) -> None:
    d = open_dispute(
        dispute_id="dsp-test-0005",
        agreement=agreement,
        agreement_seq=1,
        flow_id=FLOW,
        original=original,
        raised_by=person(NHSE, ActorRole.ig_lead),
        ground=Ground.recipient_security,
        statement="DSPT lapsed.",
        offer=offer(NHSE, None),
        now=T0,
    ).dispute
    d = apply(d, Narrow(None, "suspend the flow"), T0).dispute
    d = apply(d, Escalate(SYSTEM, "tier 0"), T0).dispute
    with pytest.raises(DisputeError):
        apply(d, Withdraw(person(GREENWICH, ActorRole.dpo), "not yours"), T0 + H)
    step = apply(d, Withdraw(person(NHSE, ActorRole.siro), "DSPT renewed"), T0 + H)
    assert step.dispute.state is DisputeState.withdrawn
    assert step.effect is not None and step.effect.terms == original
    with pytest.raises(DisputeError):
        apply(step.dispute, Withdraw(person(NHSE, ActorRole.siro), "again"), T0 + H)


def test_steps_cannot_precede_the_raise(agreement, original, wider) -> None:
    d = raise_s3(agreement, original, wider).dispute
    with pytest.raises(DisputeError):
        apply(d, Narrow(original, "x"), T0 - H)
    with pytest.raises(DisputeError):
        apply(d, Escalate(SYSTEM, "x"), T0)  # tier 0 first
    with pytest.raises(DisputeError):
        apply(d, Decide(ARBITER, GREENWICH, "x"), T0)
