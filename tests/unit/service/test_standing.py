"""The world at a date, judged by one rule: ``accord check --at``, activation and the daily sweep
all see an ended legal basis, a lapsed recipient assurance and a recipient that no longer
exists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.cli import main
from accord.clock import FixedClock
from accord.errors import NotPermitted
from accord.model import example_document, parse_agreement
from accord.model.enums import Status
from accord.service import agreements, approvals, assurance, bases, lifecycle, users
from accord.workspace import Workspace

AID = "urn:accord:agreement:example-shielding"
GREENWICH = "gss:E09000011"


def _barnsley_doc() -> dict[str, Any]:
    """The example with Middlesbrough replaced by Barnsley under its code before the 2025 recode
    (gss:E08000016, replaced by gss:E08000038 from 1 April 2025)."""
    text = json.dumps(example_document())
    text = text.replace("E06000002", "E08000016").replace("e06000002", "e08000016")
    doc: dict[str, Any] = json.loads(text)
    for p in doc["parties"]:
        if p["org_id"] == "gss:E08000016":
            p.update(name="Barnsley", org_type="la_metropolitan")
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    return doc


@pytest.fixture
def siro_ws(tmp_path: Path):
    clock = FixedClock(datetime(2026, 3, 16, 9, tzinfo=UTC))
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        siro = users.add_user(ws, "siro@nhse.example", "S", "ods:X26", ["siro"], "pw-long-enough")
        yield ws, clock, siro


def test_activation_refuses_a_recipient_that_does_not_exist_on_the_day(siro_ws) -> None:
    ws, _clock, siro = siro_ws
    agreements.create(ws, parse_agreement(_barnsley_doc()))
    for target in ("in_review", "approved"):
        agreements.transition(ws, AID, target)
    with pytest.raises(NotPermitted) as caught:
        approvals.move(ws, AID, siro, Status.active, "go live")
    assert "parties.2.org_id" in {p.where for p in caught.value.problems}
    assert any("gss:E08000038" in p.reason for p in caught.value.problems)  # in its place
    with pytest.raises(NotPermitted):
        approvals.operator_transition(ws, AID, Status.active)
    assert agreements.get(ws, AID).status is Status.approved


def _codes(capsys: pytest.CaptureFixture[str], argv: list[str], env: dict[str, str]) -> set[str]:
    capsys.readouterr()
    main(argv, env)
    return {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}


def test_check_shows_a_packaged_copi_notice_ended_at_the_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = example_document()
    doc["legal_basis"]["copi_notice_ref"] = "copi-covid19-general-2020"  # ended 30 Jun 2022
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    env = {"ACCORD_HOME": str(tmp_path / "none")}  # no workspace: only the packaged history
    argv = ["check", str(path), "--json", "--at"]
    assert "basis.ended" not in _codes(capsys, [*argv, "2022-06-30"], env)
    assert "basis.ended" in _codes(capsys, [*argv, "2022-07-01"], env)
    assert not (tmp_path / "none").exists()  # check never makes a workspace


def test_check_shows_what_the_sweep_acts_on_an_s251_end_and_a_lapsed_plan(
    siro_ws, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, clock, _siro = siro_ws
    doc = example_document()
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    doc["incident"]["review_by"] = "2026-12-31T09:00:00+00:00"
    doc["review"]["review_date"] = "2026-12-31"
    doc["legal_basis"]["basis_refs"] = ["cag-26-cag-0001"]
    doc["security"] = {"dspt_min": "approaching_standards"}  # a plan in time will do
    bases.record_basis(
        ws,
        {"id": "cag-26-cag-0001", "kind": "approval", "gateway": "s251_reg5",
         "title": "s251 support 26/CAG/0001", "start": "2026-03-01", "end": "2026-05-31"},
        actor="hra",
    )  # fmt: skip
    assurance.record_assurance(
        ws,
        {"party": GREENWICH, "scheme": "dspt", "status": "approaching_standards",
         "effective_from": "2026-03-01", "improvement_plan_until": "2026-04-30"},
        actor="ig",
    )  # fmt: skip
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    env = {"ACCORD_HOME": str(ws.root)}
    argv = ["check", str(path), "--json", "--at"]
    before = _codes(capsys, [*argv, "2026-04-30"], env)
    assert not {"basis.ended", "dspt.recipient-below-min"} & before
    assert "dspt.recipient-below-min" in _codes(capsys, [*argv, "2026-05-01"], env)
    after = _codes(capsys, [*argv, "2026-06-01"], env)
    assert {"basis.ended", "dspt.recipient-below-min"} <= after
    # The sweep's re-check on the same day blocks on exactly the same findings.
    agreements.create(ws, parse_agreement(doc))
    for target in ("in_review", "approved", "active"):
        agreements.transition(ws, AID, target)
    clock.set(datetime(2026, 6, 1, 6, tzinfo=UTC))
    version = agreements.get(ws, AID)
    swept = {f.code for f in lifecycle.recheck(ws, version, clock.now().date()).findings.blocking}
    capsys.readouterr()
    main([*argv, "2026-06-01"], env)
    shown = json.loads(capsys.readouterr().out)["findings"]
    assert swept == {f["code"] for f in shown if f["severity"] == "blocking"}
