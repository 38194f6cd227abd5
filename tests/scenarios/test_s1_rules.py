"""S1: the shielded patient list to every upper-tier local authority, from a pre-approved
template, under a COPI regulation 3(4) notice (domain/rules.md §i S1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.errors import InputError, NotPermitted
from accord.law import Severity, check, decide_opt_outs
from accord.model import Approval, Party
from accord.model.enums import Classification, OnwardSharing, PartyRole, Relationship
from accord.playbook import activation_blockers, instantiate, required_approvals, stages
from accord.playbook.examples import council, councils, example_inputs, letters_processor

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
S1 = "s1_shielded_patient_list"


@pytest.fixture
def agreement():
    return instantiate(S1, **example_inputs(S1, NOW))


def test_one_flow_per_upper_tier_recipient_routed_by_postcode(agreement):
    la_flows = [f for f in agreement.flows if f.recipient.startswith("gss:")]
    assert sorted(f.recipient for f in la_flows) == sorted(p.org_id for p in councils(4))
    assert {f.row_filter for f in la_flows} == {"utla(postcode) == recipient.gss"}
    assert all(f.onward_sharing is OnwardSharing.prohibited for f in agreement.flows)
    assert all(f.linkage_permitted == ["test_and_trace"] for f in la_flows)


def test_projection_drops_clinical_fields(agreement):
    special = {
        d.name
        for d in agreement.data_items
        if d.classification is Classification.special_category_health
    }
    assert special == {"clinical_group", "diagnosis_snomed"}
    for flow in agreement.flows:
        assert not special & set(flow.projection), flow.id


def test_no_blocking_finding_and_the_gateway_is_cited(agreement):
    findings = check(agreement, at=NOW)
    assert findings.blocking == []
    (used,) = findings.by_code("gateway.used")
    copi = "Health Service (Control of Patient Information) Regulations 2002 reg 3(4)"
    assert used.citation == copi
    assert used.source_url.startswith("https://legislation.gov.uk/uksi/2002/1438/regulation/3")


def test_ndoo_not_applied_under_copi_and_the_decision_is_recorded(agreement):
    assert agreement.opt_out_policy is not None
    assert agreement.opt_out_policy.apply_ndoo is False
    assert "COPI regulation 3" in agreement.opt_out_policy.rationale
    computed = decide_opt_outs(agreement)
    assert computed.apply_ndoo is False
    (decision,) = check(agreement, at=NOW).by_code("optout.decision")
    assert "National data opt-out does not apply" in decision.message
    assert "reg 3" in decision.citation
    assert not check(agreement, at=NOW).by_code("optout.mismatch")


def test_applying_ndoo_anyway_is_flagged_as_removing_people(agreement):
    policy = agreement.opt_out_policy.model_copy(update={"apply_ndoo": True})
    findings = check(agreement.model_copy(update={"opt_out_policy": policy}), at=NOW)
    (mismatch,) = findings.by_code("optout.mismatch")
    assert mismatch.severity is Severity.warning
    assert mismatch.field == "opt_out_policy.apply_ndoo"


def test_processor_is_a_party_with_an_art28_contract(agreement):
    assert agreement.relationship is Relationship.separate_controllers
    (processor,) = [p for p in agreement.parties if p.role is PartyRole.processor]
    assert processor.org_id == letters_processor().org_id
    assert "Art 28 contract" in agreement.art28_contract_ref
    letters = agreement.flow("spl-letters-02081330")
    assert letters.projection == ["given_name", "family_name", "address_line_1", "postcode"]
    findings = check(agreement.model_copy(update={"art28_contract_ref": None}), at=NOW)
    (missing,) = findings.by_code("art28.missing")
    assert missing.severity is Severity.blocking
    assert missing.citation == "UK GDPR Art 28(3)"


def test_without_a_processor_there_is_no_contract_to_cite():
    inputs = example_inputs(S1, NOW) | {"processor": None}
    agreement = instantiate(S1, **inputs)
    assert agreement.art28_contract_ref is None
    assert all(f.recipient.startswith("gss:") for f in agreement.flows)
    assert check(agreement, at=NOW).blocking == []


def test_a_district_council_is_not_an_upper_tier_recipient():
    inputs = example_inputs(S1, NOW)
    inputs["recipients"] = [council("E07000008", "Cambridge City Council", "la_district")]
    with pytest.raises(InputError) as err:
        instantiate(S1, **inputs)
    assert err.value.problems[0].where == "recipients.0"


def test_the_notice_must_be_referenced(agreement):
    basis = agreement.legal_basis.model_copy(update={"copi_notice_ref": None})
    findings = check(agreement.model_copy(update={"legal_basis": basis}), at=NOW)
    assert findings.blocking.codes == ["gateway.copi-notice-ref"]


def test_a_recipient_below_dspt_minimum_is_blocked():
    inputs = example_inputs(S1, NOW)
    weak = council("E06000002", "Middlesbrough Council", "la_unitary", dspt_status="not_met")
    inputs["recipients"] = [inputs["recipients"][0], weak]
    findings = check(instantiate(S1, **inputs), at=NOW)
    (dspt,) = findings.by_code("dspt.recipient-below-min")
    assert dspt.field == "parties.2.dspt_status"
    assert "Middlesbrough" in dspt.message


def test_provisional_dpia_then_live_within_four_hours(agreement):
    findings = check(agreement, at=NOW)
    (dpia,) = findings.by_code("dpia.required")
    assert dpia.severity is Severity.warning
    assert agreement.dpia.due_by == (NOW - timedelta(hours=1) + timedelta(days=30)).date()
    # Sign-off: the SIRO of every controller, and NHS England's Caldicott Guardian (CPI).
    approvals = [
        Approval(party=r.party_org_id, role=r.role, decision="approve", timestamp=NOW)
        for r in required_approvals(agreement)
        if r.kind == "approve"
    ]
    assert {(r.party_org_id, r.role.value) for r in required_approvals(agreement)} >= {
        ("ods:X26", "caldicott_guardian"),
        ("ods:X26", "siro"),
        ("gss:E09000011", "siro"),
    }
    signed_at = NOW + timedelta(hours=2)
    assert activation_blockers(agreement, signed_at).codes.count("approval.missing") == 6
    live = agreement.model_copy(update={"approvals": approvals})
    assert activation_blockers(live, signed_at) == []
    target = next(s for s in stages() if s.id == "go_live").target(agreement.incident.declared_at)
    assert signed_at <= target


def test_raise_if_blocking_names_each_problem_with_its_citation(agreement):
    broken = agreement.model_copy(update={"art28_contract_ref": None})
    with pytest.raises(NotPermitted) as err:
        check(broken, at=NOW).raise_if_blocking()
    (problem,) = err.value.problems
    assert problem.where == "art28_contract_ref"
    assert problem.reason.endswith("(UK GDPR Art 28(3))")


def test_instantiation_is_deterministic():
    a = instantiate(S1, **example_inputs(S1, NOW))
    b = instantiate(S1, **example_inputs(S1, NOW))
    assert a == b
    assert isinstance(a.parties[0], Party)
