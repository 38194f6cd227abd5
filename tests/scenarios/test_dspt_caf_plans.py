"""DSPT statuses as the toolkit publishes them since its alignment with the NCSC Cyber Assessment
Framework: an improvement plan ("Approaching Standards", or "Standards Not Fully Met (Plan
Agreed)") has an end date, and under the CAF-aligned toolkit no plan runs past 30 June 2026. On
the day a plan lapses the daily sweep pauses the identifiable flows to that recipient only; the
owners were warned before. Records stored before these statuses existed read as they did."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accord.clock import FixedClock
from accord.errors import InputError
from accord.law import check, default_registry
from accord.model import agreement_hash, example_document, parse_agreement
from accord.model.enums import DsptStatus, Status
from accord.service import agreements, assurance, lifecycle
from accord.store.disputes import notifications
from accord.store.lifecycle import party_assurance
from accord.workspace import Workspace

AID = "urn:accord:agreement:example-shielding"
GREENWICH, MIDDLESBROUGH = "gss:E09000011", "gss:E06000002"
FLOW_G, FLOW_M = "spl-e09000011", "spl-e06000002"


def _doc(dspt_min: str = "plan_agreed") -> dict[str, Any]:
    doc = example_document()
    doc["incident"]["review_by"] = "2026-12-31T09:00:00+00:00"
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    doc["review"]["review_date"] = "2026-12-31"
    doc["security"] = {"dspt_min": dspt_min}  # the agreement accepts a recipient on a plan
    return doc


def _plan(party: str, status: str, framework: str, until: str) -> dict[str, Any]:
    return {"party": party, "scheme": "dspt", "status": status, "framework": framework,
            "effective_from": "2026-03-01", "valid_until": "2027-03-31",
            "improvement_plan_until": until}  # fmt: skip


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(6), tzinfo=UTC)


@pytest.fixture
def ws(tmp_path: Path):
    clock = FixedClock(_morning(date(2026, 3, 16)))
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        yield ws


def test_the_toolkit_statuses_and_their_ranks_are_law_data() -> None:
    reg = default_registry()
    assert {r.status for r in reg.dspt_statuses} == set(DsptStatus)
    labels = {r.status.value: (r.label, r.rank, r.improvement_plan) for r in reg.dspt_statuses}
    assert labels["plan_agreed"] == ("Standards Not Fully Met (Plan Agreed)", 2, True)
    assert labels["approaching_standards"][1:] == (2, True)
    assert labels["not_met"] == ("Standards Not Met", 1, False)
    caf = {r.status.value: r.plan_last_day.get("caf_aligned") for r in reg.dspt_statuses}
    assert caf["plan_agreed"] == caf["approaching_standards"] == date(2026, 6, 30)
    assert "dsptoolkit.nhs.uk/News/154" in " ".join(reg.dspt(DsptStatus.plan_agreed).source_urls)


def test_the_minimum_compares_ranks_from_the_law_data() -> None:
    doc = _doc("plan_agreed")
    for p in doc["parties"][1:]:
        p["dspt_status"] = "approaching_standards"  # the same rank: meets the minimum
    assert not check(parse_agreement(doc), date(2026, 3, 16)).by_code("dspt.recipient-below-min")
    doc["parties"][1]["dspt_status"] = "not_met"
    (below,) = check(parse_agreement(doc), date(2026, 3, 16)).by_code("dspt.recipient-below-min")
    assert "Standards Not Met" in below.message and "Standards Not Fully Met" in below.message


def test_a_lapsed_caf_plan_pauses_only_that_recipients_flow_on_the_day(ws) -> None:
    clock = ws.clock
    # Greenwich's plan says 30 September, but the CAF-aligned toolkit allows none past 30 June;
    # Middlesbrough's plan under the NDG standards runs to its own day.
    assurance.record_assurance(
        ws, _plan(GREENWICH, "plan_agreed", "caf_aligned", "2026-09-30"), actor="ig"
    )
    assurance.record_assurance(
        ws, _plan(MIDDLESBROUGH, "approaching_standards", "ndg_standards", "2026-09-30"), actor="ig"
    )
    agreements.create(ws, parse_agreement(_doc()))
    for target in ("in_review", "approved", "active"):
        agreements.transition(ws, AID, target)
    swept: dict[str, list[lifecycle.Swept]] = {}
    day = date(2026, 5, 25)
    while day <= date(2026, 10, 2):
        clock.set(_morning(day))
        swept[day.isoformat()] = lifecycle.sweep(ws)
        day += timedelta(days=1)
    suspended = {
        d: [s.detail.split(":")[0] for s in ss if s.action == "flow-suspended"]
        for d, ss in swept.items()
    }
    assert {d: f for d, f in suspended.items() if f} == {
        "2026-07-01": [FLOW_G],  # the CAF deadline, not the plan's own day
        "2026-10-01": [FLOW_M],  # the NDG plan lapses on its own day
    }
    lapsed = [d for d, ss in swept.items() if any(s.action == "assurance-lapsed" for s in ss)]
    assert lapsed == ["2026-07-01", "2026-10-01"]
    warned = [
        (d, s.detail) for d, ss in swept.items() for s in ss
        if s.action == "warned" and "improvement plan" in s.detail and "Greenwich" in s.detail
    ]  # fmt: skip
    assert [d for d, _ in warned] == ["2026-06-01", "2026-06-17", "2026-06-24"]  # 30, 14, 7 days
    v = agreements.get(ws, AID)
    assert v.status is Status.active  # the rest of the agreement keeps running
    with ws.engine.connect() as conn:
        told = conn.execute(
            select(notifications.c.party, notifications.c.role).where(
                notifications.c.subject.like(f"Flow {FLOW_G} suspended on 2026-07-01%")
            )
        ).all()
    assert {(t.party, t.role) for t in told} >= {(GREENWICH, "siro"), ("ods:X26", "dpo")}
    names = [e.event.name for e in ws.ledger.entries_for_agreement(AID)]
    assert names.count("flow-suspended") == 2


def test_a_plan_status_needs_its_end_date_and_no_other_status_has_one(ws) -> None:
    size = ws.ledger.size()
    with pytest.raises(InputError) as caught:
        assurance.record_assurance(
            ws, {**_plan(GREENWICH, "plan_agreed", "caf_aligned", "2026-06-30"),
                 "improvement_plan_until": None}, actor="ig",
        )  # fmt: skip
    assert [p.where for p in caught.value.problems] == ["improvement_plan_until"]
    with pytest.raises(InputError):
        assurance.record_assurance(
            ws, _plan(GREENWICH, "standards_met", "caf_aligned", "2026-06-30"), actor="ig"
        )
    assert ws.ledger.size() == size


def test_records_and_agreements_stored_before_read_as_they_did(ws) -> None:
    # A record as the earlier code wrote it (no framework), straight into the table.
    old = {
        **_plan(GREENWICH, "approaching_standards", "ndg_standards", "2026-09-30"),
        "framework": None,
        "reference": None,
        "source_url": None,
    }
    with ws.engine.begin() as conn:
        conn.execute(
            party_assurance.insert().values(
                party=GREENWICH, scheme="dspt", status="approaching_standards",
                effective_from=date(2026, 3, 1), recorded_at=ws.clock.now(), recorded_by="old",
                lapsed_at=None, document=json.dumps(old, sort_keys=True),
            )
        )  # fmt: skip
    (held,) = assurance.history(ws, GREENWICH)
    assert held.status_on(date(2026, 9, 30)) == "approaching_standards"  # no framework: no cap
    assert held.status_on(date(2026, 10, 1)) == "not_met"
    # An agreement stored with the earlier statuses keeps its value and its hash.
    doc = _doc("standards_met")
    doc["parties"][1]["dspt_status"] = "not_met"
    stored = agreements.create(ws, parse_agreement(doc))
    again = agreements.get(ws, AID)
    assert again.agreement.parties[1].dspt_status is DsptStatus.not_met
    assert again.hash == stored.hash == agreement_hash(again.agreement)
