"""A label never weakens protection in the service either: a flow labelled aggregate that still
delivers person-level rows cannot go active, and assurance checks still reach its recipient."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.clock import FixedClock
from accord.errors import NotPermitted
from accord.model import example_document, parse_agreement
from accord.model.enums import Status
from accord.service import agreements, approvals, assurance, users
from accord.workspace import Workspace

AID = "urn:accord:agreement:example-shielding"


def _doc(label: str) -> dict:
    doc = example_document()
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    doc["flows"][0]["identifiability"] = label  # Greenwich: NHS numbers, names, phone numbers
    return doc


def test_a_mislabelled_flow_cannot_go_active(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 16, 9, tzinfo=UTC))
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        agreements.create(ws, parse_agreement(_doc("aggregate")))
        for target in ("in_review", "approved"):
            agreements.transition(ws, AID, target)
        siro = users.add_user(ws, "siro@nhse.example", "S", "ods:X26", ["siro"], "pw-long-enough")
        with pytest.raises(NotPermitted) as caught:
            approvals.move(ws, AID, siro, Status.active, "go live")
        assert "flows.0.projection.0" in {p.where for p in caught.value.problems}
        assert any(
            "labelled aggregate but nhs_number is a direct identifier" in p.reason
            for p in caught.value.problems
        )
        assert agreements.get(ws, AID).status is Status.approved


@pytest.mark.parametrize("label", ["aggregate", "anonymised_ico_compliant"])
def test_certificates_are_still_required_of_a_mislabelled_flows_recipient(
    tmp_path: Path, label: str
) -> None:
    doc = _doc(label)
    doc["security"] = {"certifications_required": ["cyber_essentials"]}
    with Workspace.init(tmp_path / "ws", clock=FixedClock(datetime(2026, 3, 16, tzinfo=UTC))) as ws:
        found = assurance.certificate_findings(
            ws, parse_agreement(doc), datetime(2026, 3, 16).date()
        )
    assert {f.field.split(".assurance")[0] for f in found} == {"parties.1", "parties.2"}
