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
from typing import Any

import pytest

from accord.clock import FixedClock
from accord.disputes.cca import CcaStatus
from accord.disputes.model import Actor, ActorRole, DisputeState, SubjectKind
from accord.errors import InputError, NotFound, NotPermitted
from accord.model import Agreement, example_document
from accord.model.enums import OnwardSharing, Status
from accord.service import agreements
from accord.service import disputes as service
from accord.workspace import Workspace

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
COUNCIL, WATER = "gss:E06000002", "ch:02366703"
ARBITER = "gov-org:lrf-scg-chair"
AGREEMENT = "urn:accord:agreement:s4-water-outage"


def s4_document() -> dict[str, Any]:
    doc = example_document()
    doc["id"] = AGREEMENT
    doc["title"] = "Vulnerable residents list to the water company during a supply outage"
    doc["summary_plain_english"] = (
        "The council gives the water company the addresses of residents who depend on water for "
        "medical reasons, so bottled water reaches them first."
    )
    doc["incident"] = {
        **doc["incident"],
        "incident_id": "INC-2026-WATER",
        "title": "Supply outage",
        "declared_by_party": COUNCIL,
        "arbiter": ARBITER,
    }
    doc["confidential_patient_information"] = False
    doc["parties"] = [
        {"org_id": COUNCIL, "name": "Middlesbrough", "org_type": "la_unitary",
         "role": "discloser", "cca_category": "cat1", "dspt_status": "standards_met",
         "contacts": {"dpo": "dpo@middlesbrough.example", "siro": "siro@middlesbrough.example"}},
        {"org_id": WATER, "name": "Northumbrian Water", "org_type": "utility",
         "role": "recipient", "cca_category": "cat2", "dspt_status": "standards_met",
         "contacts": {"dpo": "dpo@water.example"}},
    ]  # fmt: skip
    doc["purposes"] = [
        {
            "id": "priority-water",
            "description": "Deliver bottled water to vulnerable residents first",
            "category": "emergency_response",
        }
    ]
    doc["legal_basis"] = {
        "art6": ["e"],
        "art6_function": "Civil Contingencies Act 2004 s2; Contingency Planning Regs 2005 Part 8",
        "art9": "g",
        "dpa_sch1_paragraph": 6,
        "gateways": ["cca_info_sharing"],
        "confidentiality_basis": "legal_requirement",
        "appropriate_policy_document_ref": "APD-MBC-2025",
    }
    doc["rights"] = {"lead_party": COUNCIL}
    doc["data_items"] = [
        {"name": "uprn", "classification": "quasi_identifier", "standard": "UPRN",
         "justification": "Find the property"},
        {"name": "postcode", "classification": "quasi_identifier", "standard": "POSTCODE",
         "justification": "Route deliveries"},
        {"name": "phone", "classification": "direct_identifier", "standard": "PHONE",
         "justification": "Call ahead of delivery"},
        {"name": "water_dependency", "classification": "special_category_health",
         "justification": "Priority of delivery"},
    ]  # fmt: skip
    doc["flows"] = [
        {
            "id": "vulnerable-to-water",
            "recipient": WATER,
            "projection": ["uprn", "postcode", "phone", "water_dependency"],
            "row_filter": "lad(postcode) == 'E06000002'",
            "frequency": "one_off",
            "access_method": "one_off",
            "onward_sharing": "prohibited",
        }
    ]
    doc["opt_out_policy"] = {
        "apply_ndoo": False,
        "apply_type1": False,
        "rationale": "Not confidential patient information; the opt-outs do not apply",
    }
    doc["cca_request"] = {
        "in_writing": True,
        "requester_name": "Northumbrian Water incident desk",
        "requester_address": "Abbey Road, Pity Me, Durham DH1 5FJ",
        "description": "Addresses and phone numbers of residents who depend on mains water",
        "reason": "To deliver bottled water first during the outage (CCA s2(1)(c))",
        "received_at": "2026-03-16T08:30:00+00:00",
    }
    return doc


def person(party: str, role: ActorRole, name: str) -> Actor:
    return Actor(party=party, role=role, name=name)


COUNCIL_DPO = person(COUNCIL, ActorRole.dpo, "Middlesbrough DPO")
REQUESTER = person(WATER, ActorRole.requester, "Water incident manager")


@pytest.fixture
def ws(tmp_path):
    with Workspace.init(tmp_path / "ws", clock=FixedClock(T0)) as ws:
        agreements.create(ws, Agreement.model_validate(s4_document()), actor="water company")
        agreements.transition(ws, AGREEMENT, "in_review", actor="water company")
        yield ws


def test_s4_an_incomplete_written_request_is_refused_as_input(tmp_path) -> None:
    doc = s4_document()
    doc["cca_request"] = {**doc["cca_request"], "requester_address": None, "reason": " "}
    with Workspace.init(tmp_path / "ws2", clock=FixedClock(T0)) as ws:
        agreements.create(ws, Agreement.model_validate(doc))
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
    assert dispute.current is None and dispute.arbiter == ARBITER  # nothing flows meanwhile
    assert service.get_cca(ws, request.id).dispute_id == dispute.id
    with pytest.raises(NotFound):
        agreements.active_version(ws, AGREEMENT)

    ws.clock.advance(5 * H)
    assert [s.missed_tier for s in service.sweep(ws)] == [1, 2]
    decided = service.decide(
        ws,
        dispute.id,
        decider=person(ARBITER, ActorRole.arbiter, "SCG chair"),
        chosen_party=WATER,
        reasons=(
            "The duty to comply applies; the public-safety ground is not made out for a one-off "
            "share to a Category 2 responder whose onward sharing is prohibited."
        ),
    )
    assert decided.state is DisputeState.decided
    active = agreements.active_version(ws, AGREEMENT)
    flow = active.agreement.flow("vulnerable-to-water")
    assert active.status is Status.active and flow.onward_sharing is OnwardSharing.prohibited
    assert flow.projection == ["uprn", "postcode", "phone", "water_dependency"]
