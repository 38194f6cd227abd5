"""Scenario S4: a water company (Category 2) asks a council for its vulnerable residents list
during a supply outage, under the Civil Contingencies Act.

The request must be in writing with name, address, description and reason. The council may refuse
only by citing a ground from the regulations, with reasons; a refusal without a ground, or on the
personal-data ground when the rules engine finds no data protection obstacle, is invalid input.
The water company escalates the refusal; nothing flows while the dispute runs; the arbiter's
pendulum decision for the requester's offer activates the share, onward sharing prohibited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.clock import FixedClock
from accord.disputes.cca import CcaStatus
from accord.disputes.model import Actor, ActorRole, DisputeState, SubjectKind
from accord.errors import InputError, NotFound, NotPermitted
from accord.model import Agreement
from accord.model.enums import OnwardSharing, Status
from accord.playbook import instantiate
from accord.playbook.examples import example_inputs
from accord.service import agreements
from accord.service import disputes as service
from accord.workspace import Workspace

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
TEMPLATE = "s4_vulnerable_residents_utility"
COUNCIL, WATER = "gss:E09000011", "ch:02366703"


def s4_agreement() -> Agreement:
    """The playbook's S4 template: Greenwich and a water company (its example parties)."""
    return instantiate(TEMPLATE, **example_inputs(TEMPLATE, T0))


AGREEMENT = s4_agreement().id
FLOW = s4_agreement().flows[0].id


def person(party: str, role: ActorRole, name: str) -> Actor:
    return Actor(party=party, role=role, name=name)


COUNCIL_DPO = person(COUNCIL, ActorRole.dpo, "Middlesbrough DPO")
REQUESTER = person(WATER, ActorRole.requester, "Water incident manager")


@pytest.fixture
def ws(tmp_path):
    with Workspace.init(tmp_path / "ws", clock=FixedClock(T0)) as ws:
        agreements.create(ws, s4_agreement(), actor="water company")
        agreements.transition(ws, AGREEMENT, "in_review", actor="water company")
        yield ws


def test_s4_an_incomplete_written_request_is_refused_as_input(tmp_path) -> None:
    a = s4_agreement()
    incomplete = a.cca_request.model_copy(update={"requester_address": None, "reason": " "})
    with Workspace.init(tmp_path / "ws2", clock=FixedClock(T0)) as ws:
        agreements.create(ws, a.model_copy(update={"cca_request": incomplete}))
        with pytest.raises(InputError) as err:
            service.cca_request(ws, AGREEMENT)
    wheres = {p.where for p in err.value.problems}
    assert wheres == {"cca_request.requester_address", "cca_request.reason"}


def test_s4_refusal_must_cite_a_ground_and_the_requester_can_escalate(ws) -> None:
    request = service.cca_request(ws, AGREEMENT)
    assert (request.requester, request.discloser, request.status) == (
        WATER,
        COUNCIL,
        CcaStatus.requested,
    )

    # No ground: invalid input, and nothing is recorded.
    with pytest.raises(InputError) as no_ground:
        service.cca_refuse(ws, request.id, responder=COUNCIL_DPO, ground=None, reasons="No.")
    assert "sensitive_public_safety" in no_ground.value.diagnostics()  # the grounds offered
    with pytest.raises(InputError):
        service.cca_refuse(ws, request.id, responder=COUNCIL_DPO, ground="too busy", reasons="x")
    # The personal-data ground holds only if the rules engine finds a data protection obstacle.
    with pytest.raises(InputError) as dp:
        service.cca_refuse(
            ws,
            request.id,
            responder=COUNCIL_DPO,
            ground="sensitive_personal_data",
            reasons="It is health data.",
        )
    assert "duty to comply stands" in dp.value.message
    with pytest.raises(NotPermitted):  # only the discloser answers
        service.cca_refuse(
            ws, request.id, responder=REQUESTER, ground="sensitive_public_safety", reasons="x"
        )
    assert service.get_cca(ws, request.id).status is CcaStatus.requested

    refused = service.cca_refuse(
        ws,
        request.id,
        responder=COUNCIL_DPO,
        ground="sensitive_public_safety",
        reasons="Publishing where vulnerable people live during an outage invites targeting.",
    )
    assert refused.status is CcaStatus.refused
    assert refused.response.ground == "sensitive_public_safety" and refused.response.citation
    rejection = [
        e.event
        for e in ws.ledger.entries_for_agreement(AGREEMENT)
        if e.event.name == "agreement-approved"
    ][-1]
    assert rejection.decision == "reject" and "sensitive_public_safety" in rejection.reasons[0]
    assert ws.keystore.public_keys().verify_event(rejection) == rejection

    with pytest.raises(NotPermitted):  # only the requester escalates
        service.cca_escalate(ws, request.id, actor=COUNCIL_DPO, statement="x")
    dispute = service.cca_escalate(
        ws,
        request.id,
        actor=REQUESTER,
        statement="Public safety is served by sharing: people on dialysis need water first.",
    )
    assert dispute.subject is SubjectKind.cca_refusal and dispute.state is DisputeState.tier1
    assert dispute.current is None  # nothing flows meanwhile
    assert dispute.arbiter == "gov-org:department-of-health-and-social-care"  # the incident's
    assert service.get_cca(ws, request.id).dispute_id == dispute.id
    with pytest.raises(NotFound):
        agreements.active_version(ws, AGREEMENT)

    ws.clock.advance(5 * H)
    assert [s.missed_tier for s in service.sweep(ws)] == [1, 2]
    decided = service.decide(
        ws,
        dispute.id,
        decider=person(dispute.arbiter, ActorRole.arbiter, "Incident arbiter"),
        chosen_party=WATER,
        reasons=(
            "The duty to comply applies; the public-safety ground is not made out for a one-off "
            "share to a Category 2 responder whose onward sharing is prohibited."
        ),
    )
    assert decided.state is DisputeState.decided
    active = agreements.active_version(ws, AGREEMENT)
    flow = active.agreement.flow(FLOW)
    assert active.status is Status.active and flow.onward_sharing is OnwardSharing.prohibited
    assert flow.projection == s4_agreement().flows[0].projection  # exactly what was requested
    assert flow.end == active.agreement.incident.review_by  # time-limited to the review
