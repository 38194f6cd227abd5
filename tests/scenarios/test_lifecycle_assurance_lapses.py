"""Issue 13 (b): a recipient's DSPT lapses. Over simulated months only the identifiable flow to
that council pauses (the other council keeps receiving its residents); the discloser SIRO's
signed exception resumes it until the exception ends by itself, and it pauses again."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.clock import FixedClock
from accord.errors import InputError
from accord.model import example_document, parse_agreement
from accord.model.agreement import Agreement
from accord.service import agreements, assurance, lifecycle, runs, users
from accord.service.register import register_rows
from accord.store.disputes import notifications
from accord.store.lifecycle import assurance_exceptions
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

GREENWICH = "gss:E09000011"
MIDDLESBROUGH = "gss:E06000002"
NHSE = "ods:X26"


def long_lived(agreement_id: str | None = None, **legal_basis: Any) -> Agreement:
    """The example agreement, with its incident review, DPIA and review months away."""
    doc = example_document()
    if agreement_id:
        doc["id"] = agreement_id
        doc["title"] = f"{doc['title']} ({agreement_id.rsplit(':', 1)[-1]})"
    doc["incident"]["review_by"] = "2026-12-31T09:00:00+00:00"
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    doc["review"]["review_date"] = "2026-12-31"
    doc["legal_basis"].update(legal_basis)
    return parse_agreement(doc)


def activate(ws: Workspace, agreement: Agreement, *, amend: bool = False) -> None:
    (agreements.amend if amend else agreements.create)(ws, agreement)
    for target in ("in_review", "approved", "active"):
        agreements.transition(ws, agreement.id, target)


def population(ws: Workspace, tmp: Path) -> Path:
    directory = runs.postcode_directory(ws)
    write_postcode_directory(directory, postcodes=1_500, seed=5)
    source = tmp / "people.parquet"
    write_population(source, rows=600, seed=5, postcode_directory=directory)
    return source


def morning(day: date) -> datetime:
    return datetime.combine(day, time(6, 0), tzinfo=UTC)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def notes(ws: Workspace) -> list[Any]:
    with ws.engine.connect() as conn:
        return conn.execute(select(notifications).order_by(notifications.c.id)).all()


def event_names(ws: Workspace, agreement_id: str) -> list[str]:
    return [e.event.name for e in ws.ledger.entries_for_agreement(agreement_id)]


AGREEMENT = "urn:accord:agreement:example-shielding"
FLOW_G = "spl-e09000011"
FLOW_M = "spl-e06000002"


def _dspt(party: str, status: str, start: str, until: str, **more: Any) -> dict[str, Any]:
    return {"party": party, "scheme": "dspt", "status": status, "framework": "caf_aligned",
            "effective_from": start, "valid_until": until, **more}  # fmt: skip


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("dspt")
    clock = FixedClock(morning(date(2026, 5, 1)))
    ws = Workspace.init(tmp / "ws", clock=clock)
    source = population(ws, tmp)
    geography = runs.load_geography(ws)
    siro = users.add_user(ws, "siro@nhse.example", "NHSE SIRO", NHSE, ["siro"], "pw-123456789")
    # Greenwich published "standards met" a year ago; it is not republished by 30 June.
    assurance.record_assurance(
        ws, _dspt(GREENWICH, "standards_met", "2025-06-30", "2026-06-30"), actor="ig-lead"
    )
    assurance.record_assurance(
        ws, _dspt(MIDDLESBROUGH, "standards_exceeded", "2026-04-01", "2027-06-30"), actor="ig"
    )
    activate(ws, long_lived())
    delivered: dict[str, dict[str, int]] = {}
    swept: dict[str, list[lifecycle.Swept]] = {}
    for day in days(date(2026, 5, 1), date(2026, 7, 25)):
        clock.set(morning(day))
        if day == date(2026, 7, 3):
            assurance.record_exception(
                ws, siro, agreement_id=AGREEMENT, recipient=GREENWICH,
                controls="Named analysts only; access logged daily; weekly review by the SIRO.",
                starts=day, ends=date(2026, 7, 20),
            )  # fmt: skip
        swept[day.isoformat()] = lifecycle.sweep(ws)
        if day.isoformat() in RUN_DAYS:
            result = runs.run(ws, AGREEMENT, source=source, geography=geography)
            delivered[day.isoformat()] = {d.recipient: d.rows for d in result.deliveries}
    return {"ws": ws, "delivered": delivered, "swept": swept, "siro": siro}


RUN_DAYS = ("2026-06-30", "2026-07-01", "2026-07-03", "2026-07-20", "2026-07-21")


def test_only_the_lapsed_councils_flow_pauses_and_the_other_delivers(replay) -> None:
    d = replay["delivered"]
    assert set(d["2026-06-30"]) == {GREENWICH, MIDDLESBROUGH}
    assert set(d["2026-07-01"]) == {MIDDLESBROUGH}
    assert d["2026-07-01"][MIDDLESBROUGH] == d["2026-06-30"][MIDDLESBROUGH] > 0
    assert set(d["2026-07-21"]) == {MIDDLESBROUGH}
    assert agreements.get(replay["ws"], AGREEMENT).status.value == "active"


def test_the_siro_exception_resumes_it_until_it_ends_by_itself(replay) -> None:
    d, swept = replay["delivered"], replay["swept"]
    assert set(d["2026-07-03"]) == set(d["2026-07-20"]) == {GREENWICH, MIDDLESBROUGH}
    assert d["2026-07-03"][GREENWICH] == d["2026-06-30"][GREENWICH] > 0
    actions = {day: [s.action for s in ss] for day, ss in swept.items() if ss}
    assert "flow-suspended" in actions["2026-07-01"] and "assurance-lapsed" in actions["2026-07-01"]
    assert "flow-resumed" in actions["2026-07-03"]
    assert {"exception-ended", "flow-suspended"} <= set(actions["2026-07-21"])
    paused_days = [day for day, a in actions.items() if "flow-suspended" in a]
    assert paused_days == ["2026-07-01", "2026-07-21"]


def test_ledger_events_in_order(replay) -> None:
    ws = replay["ws"]
    names = [
        n for n in event_names(ws, AGREEMENT)
        if n.startswith(("flow-", "assurance-exception"))
    ]  # fmt: skip
    assert names == [
        "flow-suspended", "assurance-exception-recorded", "flow-resumed",
        "assurance-exception-ended", "flow-suspended",
    ]  # fmt: skip
    flow_events = [
        e.event for e in ws.ledger.entries_for_agreement(AGREEMENT)
        if e.event.name.startswith("flow-")
    ]  # fmt: skip
    assert {e.flow_id for e in flow_events} == {FLOW_G}  # type: ignore[attr-defined]
    recorded = next(
        e.event for e in ws.ledger.entries_for_agreement(AGREEMENT)
        if e.event.name == "assurance-exception-recorded"
    )  # fmt: skip
    assert ws.keystore.public_keys().verify_event(recorded) == recorded  # signed by NHSE's key
    every = [ws.ledger.entry(i).event for i in range(ws.ledger.size())]
    changes = [e for e in every if e.name == "assurance-changed"]
    assert [(c.party, c.change, c.status) for c in changes] == [  # type: ignore[attr-defined]
        (GREENWICH, "recorded", "standards_met"),
        (MIDDLESBROUGH, "recorded", "standards_exceeded"),
        (GREENWICH, "lapsed", "not_published"),
    ]


def test_notifications_warn_ahead_then_tell_siro_and_dpo_of_both_sides(replay) -> None:
    ws = replay["ws"]
    warned = sorted(
        n.created_at.date().isoformat() for n in notes(ws)
        if n.party == NHSE and n.role == "siro" and n.subject.startswith("Warning")
        and "dspt" in n.subject
    )  # fmt: skip
    assert warned == ["2026-06-01", "2026-06-17", "2026-06-24"]
    told = {
        (n.created_at.date().isoformat(), n.party, n.role)
        for n in notes(ws)
        if n.subject.startswith(f"Flow {FLOW_G} suspended")
    }
    assert told == {
        (day, p, r)
        for day in ("2026-07-01", "2026-07-21")
        for p in (GREENWICH, NHSE)
        for r in ("siro", "dpo")
    }
    # Middlesbrough's flow is never paused: its only notices are the chases for a receipt of its
    # deliveries (accord.service.chasing), which every recipient without one gets.
    about_m = [n.subject for n in notes(ws) if FLOW_M in n.subject]
    assert about_m and all(s.startswith("Receipt outstanding: delivery ") for s in about_m)


def test_register_shows_the_pause_and_the_exception(replay) -> None:
    ws = replay["ws"]
    rows = {r.flow_id: r for r in register_rows(ws) if not r.withheld}
    assert rows[FLOW_G].status == "suspended" and rows[FLOW_M].status == "active"
    assert "DSPT" in (rows[FLOW_G].flow_suspended_reason or "")
    assert rows[FLOW_M].flow_suspended_reason is None
    assert rows[FLOW_G].assurance_exception is None  # it ended on 20 July
    during = {r.flow_id: r for r in register_rows(ws, now=morning(date(2026, 7, 10)))}
    assert "Named analysts only" in (during[FLOW_G].assurance_exception or "")
    assert "2026-07-20" in (during[FLOW_G].assurance_exception or "")


@pytest.mark.parametrize(
    ("controls", "starts", "ends", "field"),
    [
        ("", date(2026, 7, 22), date(2026, 8, 1), "controls"),
        ("Logged access", date(2026, 7, 22), None, "ends"),
        ("Logged access", date(2026, 8, 1), date(2026, 7, 30), "ends"),
    ],
)
def test_bad_exception_names_the_field_and_records_nothing(
    replay, controls: str, starts: date, ends: date | None, field: str
) -> None:
    ws = replay["ws"]
    size = ws.ledger.size()
    with ws.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(assurance_exceptions)).scalar()
    with pytest.raises(InputError) as caught:
        assurance.record_exception(
            ws, replay["siro"], agreement_id=AGREEMENT, recipient=GREENWICH,
            controls=controls, starts=starts, ends=ends,
        )  # fmt: skip
    assert field in {p.where for p in caught.value.problems}
    with ws.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(assurance_exceptions)).scalar()
    assert after == before and ws.ledger.size() == size


def test_bad_assurance_record_names_the_field(replay) -> None:
    ws = replay["ws"]
    size = ws.ledger.size()
    with pytest.raises(InputError) as caught:
        assurance.record_assurance(
            ws, _dspt(GREENWICH, "standards_met", "2026-07-01", "2026-06-01"), actor="x"
        )
    assert [p.where for p in caught.value.problems] == ["valid_until"]
    with pytest.raises(InputError) as caught:
        assurance.record_assurance(
            ws, _dspt(GREENWICH, "approaching_standards", "2026-07-01", "2027-06-30"), actor="x"
        )
    assert [p.where for p in caught.value.problems] == ["improvement_plan_until"]
    assert ws.ledger.size() == size
