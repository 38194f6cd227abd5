"""S13: an emergency agreement goes live on a DPIA screening and a due-by date; at the due date,
without a completed DPIA, it is suspended and the SIROs are told (§i S13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.law import Severity, check
from accord.model import Approval
from accord.model.enums import ApprovalRole, DpiaStatus, Mode, Status
from accord.playbook import (
    Notify,
    Suspend,
    activation_blockers,
    due_actions,
    instantiate,
    required_approvals,
)
from accord.playbook.examples import example_inputs

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
S1 = "s1_shielded_patient_list"


@pytest.fixture
def live():
    agreement = instantiate(S1, **example_inputs(S1, NOW))
    approvals = [
        Approval(party=r.party_org_id, role=r.role, decision="approve", timestamp=NOW)
        for r in required_approvals(agreement)
        if r.kind == "approve"
    ]
    return agreement.model_copy(update={"approvals": approvals})


def due_moment(agreement) -> datetime:
    return datetime.combine(agreement.dpia.due_by, datetime.min.time(), tzinfo=UTC)


def test_screening_and_due_by_allow_activation(live):
    assert live.dpia.status is DpiaStatus.screening_only_emergency
    assert live.dpia.screening_ref == "DPIA-SCREEN-INC-2026-001"
    assert activation_blockers(live, NOW) == []
    (provisional,) = check(live, at=NOW).by_code("dpia.required")
    assert provisional.severity is Severity.warning


def test_without_a_due_by_date_activation_is_blocked(live):
    dpia = live.dpia.model_copy(update={"due_by": None})
    blockers = activation_blockers(live.model_copy(update={"dpia": dpia}), NOW)
    assert blockers.codes == ["dpia.provisional-incomplete"]
    assert "due_by" in blockers[0].message


def test_nothing_due_early_a_reminder_before_then_suspension_at_the_due_date(live):
    due = due_moment(live)
    assert due_actions(live, Status.active, NOW) == []
    reminders = due_actions(live, Status.active, due - timedelta(days=1))
    assert all(isinstance(a, Notify) and a.deadline == due for a in reminders)
    assert {a.party for a in reminders} == {
        p.org_id for p in live.parties if p.role.value != "processor"
    }
    actions = due_actions(live, Status.active, due)
    suspend = [a for a in actions if isinstance(a, Suspend)]
    notify = [a for a in actions if isinstance(a, Notify)]
    assert len(suspend) == 1
    assert "not complete" in suspend[0].reason
    assert "Art 35" in suspend[0].citation
    assert {n.role for n in notify} == {ApprovalRole.siro}
    assert "ods:X26" in {n.party for n in notify}
    assert len(notify) == 5  # NHS England and four councils; the processor has no SIRO duty


def test_check_blocks_from_the_due_date(live):
    due = due_moment(live)
    assert "dpia.overdue" not in check(live, at=due - timedelta(days=1)).codes
    (overdue,) = check(live, at=due).by_code("dpia.overdue")
    assert overdue.severity is Severity.blocking
    assert overdue.field == "dpia.due_by"


def test_completed_dpia_or_a_suspended_agreement_needs_no_action(live):
    due = due_moment(live)
    done = live.dpia.model_copy(
        update={"status": DpiaStatus.complete, "completed_on": due.date(), "residual_risk": "low"}
    )
    assert due_actions(live.model_copy(update={"dpia": done}), Status.active, due) == []
    assert due_actions(live, Status.suspended, due) == []


def test_routine_agreements_need_the_completed_dpia_before_activation(live):
    routine = live.model_copy(update={"mode": Mode.routine, "incident": None})
    blockers = activation_blockers(routine, NOW)
    assert "dpia.required" in blockers.codes
    assert due_actions(routine, Status.active, due_moment(live)) == []
