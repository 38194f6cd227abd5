from __future__ import annotations

from datetime import timedelta

import pytest
from dispute_builders import ETHNICITY, FLOW, GREENWICH, NHSE, T0, person

from accord.clock import FixedClock
from accord.disputes.ladder import HEALTH_ARBITER
from accord.disputes.model import ActorRole, DisputeState, Ground, Variant
from accord.errors import DisputeError, NotFound
from accord.model import example_agreement
from accord.model.enums import Status
from accord.service import agreements
from accord.service import disputes as service
from accord.workspace import Workspace

H = timedelta(hours=1)


@pytest.fixture
def ws(tmp_path):
    with Workspace.init(tmp_path / "ws", clock=FixedClock(T0)) as ws:
        a = example_agreement()
        agreements.create(ws, a, actor="test")
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target, actor="test")
        yield ws


def _raise_s3(ws):
    flow = agreements.active_version(ws, example_agreement().id).agreement.flow(FLOW)
    current = Variant.from_flow(flow)
    wider = current.model_copy(update={"projection": (*current.projection, "ethnicity")})
    return service.raise_dispute(
        ws,
        agreement_id=example_agreement().id,
        flow_id=FLOW,
        actor=person(GREENWICH, ActorRole.dpo, "Greenwich DPO"),
        ground=Ground.other,
        statement="Ethnicity is needed to target support.",
        offer=wider,
        offer_items=[ETHNICITY],
        disputed_fields=["ethnicity"],
    )


def _ledger(ws, agreement_id):
    return [e.event for e in ws.ledger.entries_for_agreement(agreement_id)]


def test_raise_stores_steps_notifications_and_ledger_events(ws) -> None:
    d = _raise_s3(ws)
    assert d.state is DisputeState.tier1 and d.deadline == T0 + 2 * H
    record = service.show(ws, d.id)
    assert [s.name for s in record.steps] == [
        "dispute-raised",
        "dispute-offer",
        "dispute-narrowed",
        "dispute-escalated",
    ]
    assert {(n.party, n.role) for n in record.notifications} == {
        (p, r) for p in (GREENWICH, NHSE) for r in ("ig_lead", "dpo")
    }
    nhse_dpo = [n for n in record.notifications if (n.party, n.role) == (NHSE, "dpo")]
    assert nhse_dpo[0].address == "dpo@nhs.example"  # from the agreement's contacts
    assert service.list_disputes(ws, open_only=True)[0].id == d.id
    # The flow is unchanged by tier 0 (ethnicity was never in it), so no new version.
    assert agreements.active_version(ws, d.agreement_id).seq == 1
    names = [e.name for e in _ledger(ws, d.agreement_id) if e.name.startswith("dispute-")]
    assert names == ["dispute-raised", "dispute-offer", "dispute-narrowed", "dispute-escalated"]


def test_the_arbiters_decision_makes_a_new_active_version(ws) -> None:
    d = _raise_s3(ws)
    ws.clock.advance(5 * H)
    service.sweep(ws)  # tiers 1 and 2 missed: now with the arbiter
    assert service.show(ws, d.id).dispute.state is DisputeState.tier3
    decided = service.decide(
        ws,
        d.id,
        decider=person(HEALTH_ARBITER, ActorRole.arbiter, "DHSC arbiter"),
        chosen_party=GREENWICH,
        reasons="Ethnicity is necessary to reach under-served communities.",
    )
    assert decided.state is DisputeState.decided
    active = agreements.active_version(ws, d.agreement_id)
    assert active.seq == 2 and active.previous_hash == agreements.get(ws, d.agreement_id, 1).hash
    flow = active.agreement.flow(FLOW)
    assert "ethnicity" in flow.projection and flow.end == example_agreement().incident.review_by
    assert agreements.get(ws, d.agreement_id, 1).status is Status.superseded
    changes = agreements.status_changes(ws, d.agreement_id)
    assert changes[-1].actor.startswith("DHSC arbiter") and "pendulum" in changes[-1].reason
    decided_event = [e for e in _ledger(ws, d.agreement_id) if e.name == "dispute-decided"][0]
    assert ws.keystore.public_keys().verify_event(decided_event) == decided_event  # signed
    assert decided_event.arbiter == HEALTH_ARBITER


def test_unknown_dispute_is_not_found(ws) -> None:
    with pytest.raises(NotFound):
        service.show(ws, "dsp-nope-0000")


def test_sweep_is_idempotent(ws) -> None:
    d = _raise_s3(ws)
    ws.clock.advance(30 * H)
    first = service.sweep(ws)
    assert [s.missed_tier for s in first] == [1, 2, 3]
    assert service.sweep(ws) == []
    assert service.show(ws, d.id).dispute.state is DisputeState.provisional_default
    with pytest.raises(DisputeError):
        service.decide(
            ws,
            d.id,
            decider=person(HEALTH_ARBITER, ActorRole.arbiter),
            chosen_party=GREENWICH,
            reasons="late",
        )
