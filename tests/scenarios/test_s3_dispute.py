"""Scenario S3: the daily positive-case line list to Directors of Public Health, and a dispute.

A local authority asks for an extra field (ethnicity). The flow keeps running on its current terms
while the dispute is open (tier 0), the ladder runs on a simulated clock, and the designated
arbiter decides within 24 hours, choosing one final offer with written reasons. The decision
makes a new, signed-off agreement version through the normal lifecycle; the other council's flow
is untouched. A second request, for criminal-offence data with no Art 10 condition, cannot be
granted by any decider: the rules engine's prohibition stands.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from accord.clock import FixedClock
from accord.disputes.ladder import HEALTH_ARBITER
from accord.disputes.model import Actor, ActorRole, DisputeState, Ground, Variant
from accord.errors import DisputeError
from accord.law import check
from accord.model import Agreement, DataItem
from accord.model.enums import Status
from accord.playbook import instantiate
from accord.playbook.examples import example_inputs
from accord.service import agreements
from accord.service import disputes as service
from accord.workspace import Workspace

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
TEMPLATE = "s3_positive_case_line_list"
UKHSA = "gov-org:uk-health-security-agency"
GREENWICH, MIDDLESBROUGH = "gss:E09000011", "gss:E06000002"
FLOW = "cases-e09000011"


def s3_agreement() -> Agreement:
    """The playbook's S3 template for UKHSA and two councils (its example parties)."""
    return instantiate(TEMPLATE, **example_inputs(TEMPLATE, T0))


AGREEMENT = s3_agreement().id
DHSC = HEALTH_ARBITER  # the incident names "DHSC (power to issue a COPI reg 3(4) notice)"


def person(party: str, role: ActorRole, name: str) -> Actor:
    return Actor(party=party, role=role, name=name)


ETHNICITY = DataItem(
    name="ethnicity",
    classification="special_category_other",
    justification="Target culturally appropriate contact tracing",
)
OFFENDING = DataItem(
    name="offending_history",
    classification="criminal_offence",
    justification="Risk assessment for home visits",
)


@pytest.fixture
def ws(tmp_path):
    agreement = s3_agreement()
    assert not check(agreement, at=date(2026, 3, 16)).blocking  # a lawful starting point
    with Workspace.init(tmp_path / "ws", clock=FixedClock(T0)) as ws:
        agreements.create(ws, agreement, actor="template")
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, agreement.id, target, actor="UKHSA SIRO")
        yield ws


def _current(ws) -> Variant:
    active = agreements.active_version(ws, AGREEMENT)
    return Variant.from_flow(active.agreement.flow(FLOW))


def test_s3_la_asks_for_ethnicity_and_the_arbiter_decides_within_24h(ws) -> None:
    agreement_id = AGREEMENT
    current = _current(ws)
    asks = current.model_copy(update={"projection": (*current.projection, "ethnicity")})
    dispute = service.raise_dispute(
        ws,
        agreement_id=agreement_id,
        flow_id=FLOW,
        actor=person(GREENWICH, ActorRole.dpo, "Greenwich DPO"),
        ground=Ground.other,
        statement="Ethnicity is needed to reach communities with low testing uptake.",
        offer=asks,
        offer_items=[ETHNICITY],
        disputed_fields=["ethnicity"],
        evidence=["doc:greenwich-outreach-plan-v2"],
    )
    # Tier 0: the disputed field is not flowing, so the line list keeps going unchanged.
    assert dispute.state is DisputeState.tier1
    assert agreements.active_version(ws, agreement_id).seq == 1

    ws.clock.advance(H)
    service.offer(
        ws,
        dispute.id,
        actor=person(UKHSA, ActorRole.dpo, "UKHSA DPO"),
        terms=current,
        note="Ethnicity is not necessary for contact tracing; minimise (Caldicott 3).",
    )
    ws.clock.advance(2 * H)  # tier 1 (2 h) missed
    assert [s.missed_tier for s in service.sweep(ws)] == [1]
    ws.clock.advance(2 * H)  # tier 2 (4 h) missed
    assert [s.missed_tier for s in service.sweep(ws)] == [2]
    assert service.show(ws, dispute.id).dispute.state is DisputeState.tier3

    ws.clock.advance(14 * H)  # the arbiter decides 19 hours after the raise
    reasons = (
        "Ethnicity is necessary and proportionate: outreach to under-tested communities is the "
        "purpose of local tracing; Art 9(2)(i) and Sch 1 para 3 cover it at the recipient."
    )
    decided = service.decide(
        ws,
        dispute.id,
        decider=person(DHSC, ActorRole.arbiter, "DHSC incident arbiter"),
        chosen_party=GREENWICH,
        reasons=reasons,
    )
    assert decided.state is DisputeState.decided
    assert decided.decision.decided_at - decided.raised_at <= timedelta(hours=24)
    assert decided.decision.reasons == reasons and decided.decision.chosen_party == GREENWICH

    # A new version through the normal lifecycle; the old one is superseded, not edited.
    v2 = agreements.active_version(ws, agreement_id)
    v1 = agreements.get(ws, agreement_id, 1)
    assert (v2.seq, v2.version, v2.previous_hash) == (2, "1.0.1", v1.hash)
    assert v1.status is Status.superseded
    flow = v2.agreement.flow(FLOW)
    assert flow.projection[-1] == "ethnicity"
    assert flow.end == v2.agreement.incident.review_by  # time-limited to the review date
    assert v2.agreement.item("ethnicity").classification.value == "special_category_other"
    assert v2.agreement.flow("cases-e06000002") == v1.agreement.flow("cases-e06000002")
    assert not check(v2.agreement, at=date(2026, 3, 17)).blocking

    # Every step is in the ledger, the decision signed by the arbiter's key.
    names = [e.event.name for e in ws.ledger.entries_for_agreement(agreement_id)]
    dispute_names = [n for n in names if n.startswith("dispute-")]
    assert dispute_names == [
        "dispute-raised",
        "dispute-offer",
        "dispute-narrowed",
        "dispute-escalated",
        "dispute-offer",
        "dispute-expired",
        "dispute-escalated",
        "dispute-expired",
        "dispute-escalated",
        "dispute-decided",
    ]
    decided_event = next(
        e.event for e in ws.ledger.entries_for_agreement(agreement_id)
        if e.event.name == "dispute-decided"
    )  # fmt: skip
    assert ws.keystore.public_keys().verify_event(decided_event).reasons == (reasons,)

    # Each step told the roles that must act, with the deadline.
    notes = service.show(ws, dispute.id).notifications
    arbiter_note = [n for n in notes if n.role == "arbiter" and n.deadline is not None]
    assert arbiter_note and arbiter_note[0].deadline.replace(tzinfo=UTC) == T0 + 24 * H
    assert any(n.address == "dpo@ukhsa.example" for n in notes)


def test_s3_no_decider_can_grant_a_prohibited_field(ws) -> None:
    agreement_id = AGREEMENT
    current = _current(ws)
    asks = current.model_copy(update={"projection": (*current.projection, "offending_history")})
    dispute = service.raise_dispute(
        ws,
        agreement_id=agreement_id,
        flow_id=FLOW,
        actor=person(GREENWICH, ActorRole.siro, "Greenwich SIRO"),
        ground=Ground.other,
        statement="Home-visit staff need offending history.",
        offer=asks,
        offer_items=[OFFENDING],
    )
    for _ in range(2):
        dispute = service.escalate(
            ws,
            dispute.id,
            actor=person(UKHSA, ActorRole.siro if dispute.tier == 2 else ActorRole.dpo, "UKHSA"),
            reason="no agreement",
        )
    arbiter = person(DHSC, ActorRole.arbiter, "DHSC incident arbiter")
    with pytest.raises(DisputeError) as refused:
        service.decide(
            ws, dispute.id, decider=arbiter, chosen_party=GREENWICH, reasons="They need it."
        )
    assert "art10.missing-condition" in refused.value.diagnostics()
    assert service.show(ws, dispute.id).dispute.state is DisputeState.tier3  # nothing recorded
    decided = service.decide(
        ws,
        dispute.id,
        decider=arbiter,
        chosen_party=UKHSA,
        reasons="Criminal offence data has no Art 10 condition here; the current terms stand.",
    )
    assert decided.decision.terms == current
    assert agreements.active_version(ws, agreement_id).seq == 1  # nothing to change
