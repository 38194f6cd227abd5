"""Activation judges the same things the daily re-check does: a dated basis that has ended, or a
recipient whose recorded assurance is below the minimum, blocks it (unless a SIRO exception is in
force); and the packaged COPI notice history reads as the shared sources date it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from accord.clock import FixedClock
from accord.errors import NotPermitted
from accord.law.notices import packaged_bases, packaged_basis
from accord.model import example_document, parse_agreement
from accord.model.enums import Status
from accord.service import agreements, approvals, assurance, bases, lifecycle, users
from accord.workspace import Workspace

AID = "urn:accord:agreement:example-shielding"


@pytest.fixture
def approved(tmp_path: Path):
    doc = example_document()
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    doc["legal_basis"]["copi_notice_ref"] = "copi-2026-x"
    clock = FixedClock(datetime(2026, 3, 16, 9, tzinfo=UTC))
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        agreements.create(ws, parse_agreement(doc))
        for target in ("in_review", "approved"):
            agreements.transition(ws, AID, target)
        siro = users.add_user(ws, "siro@nhse.example", "S", "ods:X26", ["siro"], "pw-long-enough")
        yield ws, clock, siro


def test_an_ended_basis_blocks_activation(approved) -> None:
    ws, clock, siro = approved
    bases.record_basis(
        ws,
        {"id": "copi-2026-x", "kind": "notice", "gateway": "copi_reg3_4_notice",
         "title": "Notice X", "start": "2026-03-01", "end": "2026-03-15"},
        actor="dhsc",
    )  # fmt: skip
    with pytest.raises(NotPermitted) as caught:
        approvals.move(ws, AID, siro, Status.active, "go live")
    assert "legal_basis.copi_notice_ref" in {p.where for p in caught.value.problems}
    assert agreements.get(ws, AID).status is Status.approved


def test_a_lapsed_recipient_blocks_until_the_siro_excepts_it(approved) -> None:
    ws, clock, siro = approved
    assurance.record_assurance(
        ws,
        {"party": "gss:E09000011", "scheme": "dspt", "status": "not_met",
         "effective_from": "2026-03-01"},
        actor="ig",
    )  # fmt: skip
    with pytest.raises(NotPermitted) as caught:
        approvals.move(ws, AID, siro, Status.active, "go live")
    assert any(p.where.endswith("dspt_status") for p in caught.value.problems)
    assurance.record_exception(
        ws, siro, agreement_id=AID, recipient="gss:E09000011",
        controls="Named analysts only", starts=None, ends=date(2026, 3, 30),
    )  # fmt: skip
    approvals.move(ws, AID, siro, Status.active, "go live")
    v = agreements.get(ws, AID)
    assert v.status is Status.active
    assert lifecycle.gate(ws, v, clock.now()).paused == {}
    clock.set(datetime(2026, 3, 31, 9, tzinfo=UTC))  # the exception has ended by itself
    assert set(lifecycle.gate(ws, v, clock.now()).paused) == {"spl-e09000011"}


def test_the_packaged_copi_history() -> None:
    general = packaged_basis("copi-covid19-general-2020")
    assert general.start == date(2020, 3, 17) and general.end == date(2020, 9, 30)
    assert [e.end for e in general.extensions] == [
        date(2021, 3, 31), date(2021, 9, 30), date(2022, 3, 31), date(2022, 6, 30)
    ]  # fmt: skip
    assert general.extensions[1].announced is None  # not confirmed by the shared sources
    # As known at the time: on 1 Mar 2021 the end was 31 Mar 2021; from that day, 30 Sep 2021.
    assert general.end_known_on(date(2021, 3, 1)) == date(2021, 3, 31)
    assert general.end_known_on(date(2021, 3, 31)) == date(2021, 9, 30)
    assert general.in_force(date(2022, 6, 30)) and not general.in_force(date(2022, 7, 1))
    opensafely = packaged_basis("copi-covid19-opensafely-2023")
    assert (opensafely.start, opensafely.final_end) == (date(2023, 5, 2), date(2023, 6, 30))
    assert all(b.source for b in packaged_bases())


def test_a_flow_end_date_is_warned_once_per_threshold(tmp_path: Path) -> None:
    doc = example_document()
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    doc["incident"]["review_by"] = "2026-12-31T09:00:00+00:00"
    doc["flows"][0]["end"] = "2026-05-01T00:00:00+00:00"  # its last day is 30 April
    clock = FixedClock(datetime(2026, 3, 16, 9, tzinfo=UTC))
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        agreements.create(ws, parse_agreement(doc))
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, AID, target)
        warned = []
        for n in range(50):  # 16 March to 4 May
            clock.set(datetime(2026, 3, 16, 6, tzinfo=UTC) + timedelta(days=n))
            warned += [
                (clock.now().date().isoformat(), s.detail)
                for s in lifecycle.sweep(ws, policy=lifecycle.Policy(warn_days=(21, 3)))
                if s.action == "warned" and s.detail.startswith("flow")
            ]
        assert warned == [
            ("2026-04-10", "flow spl-e09000011 to gss:E09000011: 21 days"),
            ("2026-04-28", "flow spl-e09000011 to gss:E09000011: 3 days"),
        ]
