"""The stages x roles table and who signs off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.model import example_agreement
from accord.model.enums import ApprovalRole
from accord.playbook import instantiate, required_approvals, stages
from accord.playbook.durations import parse_duration
from accord.playbook.examples import example_inputs
from accord.playbook.stages import playbook

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)


def test_fourteen_stages_with_every_role_and_the_emergency_targets():
    table = stages()
    assert [s.number for s in table] == list(range(14))
    assert all(set(s.raci) == set(playbook().roles) for s in table)
    targets = {s.id: s.target_offset for s in table}
    assert targets["request"] == timedelta(hours=1)
    assert targets["sign_off"] == timedelta(hours=4)
    assert targets["go_live"] == timedelta(hours=4)
    assert targets["review"] == timedelta(days=28)
    assert targets["prepare"] is None
    assert playbook().stage("dpia").raci["siro"] == "A"


def test_parse_duration():
    assert parse_duration("P1DT2H") == timedelta(days=1, hours=2)
    with pytest.raises(ValueError):
        parse_duration("P6M")


def test_siro_always_cg_for_cpi_dpo_consulted_legal_consulted_for_a_template_gateway():
    a = instantiate("s1_shielded_patient_list", **example_inputs("s1_shielded_patient_list", NOW))
    reqs = {(r.party_org_id, r.role, r.kind) for r in required_approvals(a)}
    assert ("ods:X26", ApprovalRole.siro, "approve") in reqs
    assert ("ods:X26", ApprovalRole.caldicott_guardian, "approve") in reqs
    assert ("ods:X26", ApprovalRole.dpo, "consult") in reqs
    assert ("ods:X26", ApprovalRole.legal, "consult") in reqs
    assert ("gss:E09000011", ApprovalRole.siro, "approve") in reqs
    assert not any(p == "ch:02081330" for p, _, _ in reqs)  # the processor signs nothing
    assert not any(
        r == ApprovalRole.caldicott_guardian and p.startswith("gss:") for p, r, _ in reqs
    )


def test_no_cg_without_cpi_and_legal_approves_a_novel_gateway():
    a = instantiate(
        "s9_dea_multiple_disadvantages", **example_inputs("s9_dea_multiple_disadvantages", NOW)
    )
    roles = {(r.role, r.kind) for r in required_approvals(a)}
    assert (ApprovalRole.caldicott_guardian, "approve") not in roles
    assert (ApprovalRole.legal, "consult") in roles
    bespoke = example_agreement()  # not from a template: its gateway is novel
    assert (ApprovalRole.legal, "approve") in {
        (r.role, r.kind) for r in required_approvals(bespoke)
    }
