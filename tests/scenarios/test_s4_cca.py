"""S4: a council's vulnerable-residents list to a Category 2 utility on a written request under
the Civil Contingencies Act, refusal with reasons, and the DUAA emergency basis (§i S4)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from accord.errors import InputError, NotPermitted
from accord.law import Severity, available_refusal_grounds, check, refuse_cca_request
from accord.model.enums import Art6Basis, OnwardSharing
from accord.playbook import instantiate
from accord.playbook.examples import council, example_inputs

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
S4 = "s4_vulnerable_residents_utility"


@pytest.fixture
def agreement():
    return instantiate(S4, **example_inputs(S4, NOW))


def test_complete_request_no_blocking_and_a_duty_to_comply(agreement):
    findings = check(agreement, at=NOW)
    assert findings.blocking == []
    (duty,) = findings.by_code("cca.duty-to-comply")
    assert "refuses on a stated ground" in duty.message
    assert all(f.onward_sharing is OnwardSharing.prohibited for f in agreement.flows)
    assert agreement.cca_request.requester_name == "Thames Water Utilities Ltd"


def test_template_refuses_to_invent_the_requester_address():
    inputs = example_inputs(S4, NOW)
    del inputs["overrides"]
    with pytest.raises(InputError) as err:
        instantiate(S4, **inputs)
    assert [p.where for p in err.value.problems] == ["cca_request.requester_address"]


def test_incomplete_written_request_is_blocking(agreement):
    request = agreement.cca_request.model_copy(update={"reason": None, "in_writing": False})
    findings = check(agreement.model_copy(update={"cca_request": request}), at=NOW)
    (incomplete,) = findings.by_code("cca.request-incomplete")
    assert incomplete.severity is Severity.blocking
    assert "in_writing" in incomplete.message and "reason" in incomplete.message
    assert "Contingency Planning Regulations 2005 Part 8" in incomplete.citation
    assert "cca.duty-to-comply" not in findings.codes


def test_onward_sharing_must_be_prohibited(agreement):
    flows = [
        f.model_copy(update={"onward_sharing": "permitted_to_listed"}) for f in agreement.flows
    ]
    findings = check(agreement.model_copy(update={"flows": flows}), at=NOW)
    (onward,) = findings.by_code("cca.onward-sharing")
    assert onward.field == "flows.0.onward_sharing"
    assert "used only for the function it was requested for" in onward.citation


def test_emergency_recognised_legitimate_interest_not_before_5_february_2026(agreement):
    before = check(agreement, at=date(2026, 2, 4))
    assert set(before.blocking.codes) == {"gateway.not-in-force", "art6.not-in-force"}
    (gw,) = before.by_code("gateway.not-in-force")
    assert "SI 2026/82" in gw.citation
    assert check(agreement, at=date(2026, 2, 5)).blocking == []


def test_a_public_authority_cannot_rely_on_ea(agreement):
    inputs = example_inputs(S4, NOW)
    basis = agreement.legal_basis.model_copy(update={"art6": [Art6Basis.ea]})
    findings = check(agreement.model_copy(update={"legal_basis": basis}), at=NOW)
    (pa,) = findings.by_code("art6.public-authority-ea-f")
    assert pa.field == "parties.0"
    assert inputs["discloser"].name in pa.message
    assert pa.citation.startswith("UK GDPR Art 6(1), closing words")


def test_refusal_must_cite_a_ground_and_give_reasons(agreement):
    grounds = {g.id for g in available_refusal_grounds(agreement, NOW)}
    assert "sensitive_personal_data" not in grounds
    assert "sensitive_commercial" in grounds
    with pytest.raises(NotPermitted) as err:
        refuse_cca_request(agreement, ground="sensitive_personal_data", reasons="privacy", at=NOW)
    assert "duty to comply stands" in err.value.message
    with pytest.raises(InputError):
        refuse_cca_request(agreement, ground="sensitive_public_safety", reasons="  ", at=NOW)
    refusal = refuse_cca_request(
        agreement, ground="sensitive_public_safety", reasons="Lists attract targeting", at=NOW
    )
    assert refusal.citation.startswith("Contingency Planning Regulations 2005 Part 8")
    assert "escalate" in refusal.escalation


def test_personal_data_ground_holds_when_the_share_would_breach_dp_law(agreement):
    basis = agreement.legal_basis.model_copy(update={"appropriate_policy_document_ref": None})
    unlawful = agreement.model_copy(update={"legal_basis": basis})
    assert "sch1.apd-missing" in check(unlawful, at=NOW).blocking.codes
    grounds = {g.id for g in available_refusal_grounds(unlawful, NOW)}
    assert "sensitive_personal_data" in grounds
    refusal = refuse_cca_request(
        unlawful, ground="sensitive_personal_data", reasons="No APD for para 18", at=NOW
    )
    assert refusal.ground == "sensitive_personal_data"


def test_a_category_2_responder_must_be_the_requester():
    inputs = example_inputs(S4, NOW)
    inputs["recipients"] = [council("E06000002", "Middlesbrough Council", "la_unitary")]
    with pytest.raises(InputError):
        instantiate(S4, **inputs)


def test_onward_sharing_is_allowed_with_the_councils_consent(agreement):
    """Sensitive information may go onward with its originator's consent (not banned outright)."""
    flows = [
        f.model_copy(update={"onward_sharing": "permitted_to_listed"}) for f in agreement.flows
    ]
    request = agreement.cca_request.model_copy(
        update={"onward_disclosure_consent_ref": "Council consent to share with the NHS trust"}
    )
    findings = check(agreement.model_copy(update={"flows": flows, "cca_request": request}), at=NOW)
    assert findings.blocking == []


def test_a_local_outage_alone_does_not_give_the_utility_a_recognised_legitimate_interest(
    agreement,
):
    """The council's duty uses the CCA Part 1 meaning of emergency; the utility's Art 6(1)(ea)
    needs the Part 2 meaning (Annex 1 paras 3-4)."""
    local = agreement.incident.model_copy(update={"cca_part2_emergency": False})
    findings = check(agreement.model_copy(update={"incident": local}), at=NOW)
    assert set(findings.blocking.codes) == {"gateway.no-emergency", "art6.ea-no-annex1-condition"}
    assert "cca.duty-to-comply" in findings.codes
    (cond,) = check(agreement, at=NOW).by_code("art6.ea-condition")
    assert "Annex 1 paras 3-4" in cond.citation and "Part 2" in cond.message
