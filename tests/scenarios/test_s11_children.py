"""S11: a schools-attendance field is added; children's data needs a compelling reason and is
a DPIA trigger (vulnerable data subjects) (§i S11)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.law import Severity, check
from accord.model import DataItem
from accord.model.enums import DpiaStatus
from accord.playbook import instantiate
from accord.playbook.examples import example_inputs

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
S9 = "s9_dea_multiple_disadvantages"
ATTENDANCE = DataItem(
    name="school_attendance",
    classification="other_personal",
    justification="Irregular school attendance is one of the listed disadvantages",
    about_children=True,
)


@pytest.fixture
def with_attendance():
    base = instantiate(S9, **example_inputs(S9, NOW))
    flows = [
        f.model_copy(update={"projection": [*f.projection, "school_attendance"]})
        for f in base.flows
    ]
    return base.model_copy(update={"data_items": [*base.data_items, ATTENDANCE], "flows": flows})


def test_adding_a_child_field_requires_children_data_and_a_compelling_reason(with_attendance):
    findings = check(with_attendance, at=NOW)
    assert findings.blocking.codes == ["children.undeclared", "children.compelling-reason"]
    (undeclared,) = findings.by_code("children.undeclared")
    assert undeclared.field == f"data_items.{len(with_attendance.data_items) - 1}.about_children"
    assert undeclared.citation.startswith("ICO data sharing code: children")


def test_declared_without_reason_still_blocks(with_attendance):
    findings = check(with_attendance.model_copy(update={"children_data": True}), at=NOW)
    (reason,) = findings.blocking
    assert reason.code == "children.compelling-reason"
    assert reason.severity is Severity.blocking
    assert reason.field == "compelling_reason"


def test_compelling_reason_clears_it_and_the_dpia_trigger_is_flagged(with_attendance):
    declared = with_attendance.model_copy(
        update={
            "children_data": True,
            "compelling_reason": "Families with children missing school get support sooner",
        }
    )
    findings = check(declared, at=NOW)
    assert findings.blocking == []
    triggers = findings.by_code("dpia.trigger")
    vulnerable = [t for t in triggers if "Children or vulnerable people" in t.message]
    assert len(vulnerable) == 1
    assert "children's data" in vulnerable[0].message
    assert "vulnerable" in vulnerable[0].citation


def test_screened_out_dpia_is_blocked_once_children_are_involved(with_attendance):
    declared = with_attendance.model_copy(
        update={"children_data": True, "compelling_reason": "Support families sooner"}
    )
    screened = declared.dpia.model_copy(update={"status": DpiaStatus.not_required_screened})
    findings = check(declared.model_copy(update={"dpia": screened}), at=NOW)
    (dpia,) = findings.blocking
    assert dpia.code == "dpia.required"
    assert "screened out" in dpia.message
    assert "children or vulnerable people" in dpia.message
