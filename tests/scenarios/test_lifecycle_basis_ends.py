"""Issue 13 (a): a COPI notice ends. Over simulated months, daily sweeps warn the owners 30, 14
and 7 days before, suspend the agreement resting on the notice on the day it has ended, and keep
running the agreement that was re-papered onto a later notice (a new version, activated)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accord.clock import FixedClock
from accord.errors import NotActive
from accord.model import example_document, parse_agreement
from accord.model.agreement import Agreement
from accord.model.enums import Status
from accord.service import agreements, bases, lifecycle, runs
from accord.service.register import register_rows
from accord.store.disputes import notifications
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


A = "urn:accord:agreement:shielding-a"
B = "urn:accord:agreement:shielding-b"
NOTICE = {
    "id": "copi-2026-shielding",
    "kind": "notice",
    "gateway": "copi_reg3_4_notice",
    "title": "COPI reg 3(4) notice for the 2026 shielding response",
    "start": "2026-03-16",
    "end": "2026-05-31",
}
LATER = {**NOTICE, "id": "copi-2026-shielding-2", "title": "Second COPI reg 3(4) notice",
         "start": "2026-05-20", "end": "2026-12-31"}  # fmt: skip


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("basis")
    clock = FixedClock(morning(date(2026, 3, 16)))
    ws = Workspace.init(tmp / "ws", clock=clock)
    source = population(ws, tmp)
    geography = runs.load_geography(ws)
    bases.record_basis(ws, NOTICE, actor="dhsc-ig")
    activate(ws, long_lived(A, copi_notice_ref=NOTICE["id"]))
    activate(ws, long_lived(B, copi_notice_ref=NOTICE["id"]))
    delivered: dict[tuple[str, str], dict[str, int]] = {}
    refused: dict[tuple[str, str], str] = {}
    swept: dict[str, list[lifecycle.Swept]] = {}
    for day in days(date(2026, 3, 16), date(2026, 6, 3)):
        clock.set(morning(day))
        if day == date(2026, 5, 21):  # B is re-papered onto the later notice, approved as usual
            bases.record_basis(ws, LATER, actor="dhsc-ig")
            v1 = agreements.get(ws, B).agreement
            v2 = v1.model_copy(update={"version": "1.1.0"}).model_copy(
                update={
                    "legal_basis": v1.legal_basis.model_copy(
                        update={"copi_notice_ref": LATER["id"]}
                    )
                }
            )
            activate(ws, v2, amend=True)
        swept[day.isoformat()] = lifecycle.sweep(ws)
        if day in (date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 2)):
            for agreement_id in (A, B):
                key = (day.isoformat(), agreement_id)
                try:
                    result = runs.run(ws, agreement_id, source=source, geography=geography)
                except NotActive as exc:
                    refused[key] = str(exc)
                    continue
                delivered[key] = {d.recipient: d.rows for d in result.deliveries}
    return {"ws": ws, "delivered": delivered, "refused": refused, "swept": swept}


def test_the_agreement_on_the_ended_notice_is_suspended_on_the_day(replay) -> None:
    ws, swept = replay["ws"], replay["swept"]
    assert agreements.get(ws, A).status is Status.suspended
    actions = {d: [s.action for s in ss if s.agreement_id == A] for d, ss in swept.items()}
    assert "suspended" in actions["2026-06-01"]
    assert all("suspended" not in a for d, a in actions.items() if d != "2026-06-01")
    changes = agreements.status_changes(ws, A)
    assert changes[-1].to_status is Status.suspended
    assert "ended on 2026-05-31" in (changes[-1].reason or "")


def test_deliveries_stop_for_a_and_go_on_for_the_repapered_b(replay) -> None:
    delivered, refused = replay["delivered"], replay["refused"]
    assert set(delivered[("2026-05-31", A)]) == {GREENWICH, MIDDLESBROUGH}
    assert set(delivered[("2026-05-31", B)]) == {GREENWICH, MIDDLESBROUGH}
    assert ("2026-06-01", A) in refused and ("2026-06-02", A) in refused
    for day in ("2026-06-01", "2026-06-02"):
        assert delivered[(day, B)] == delivered[("2026-05-31", B)]  # every resident, each day
        assert all(n > 0 for n in delivered[(day, B)].values())
    assert agreements.active_version(replay["ws"], B).version == "1.1.0"


def test_owners_warned_once_at_30_14_and_7_days(replay) -> None:
    ws = replay["ws"]
    warned = [
        (n.created_at.date().isoformat(), n.subject.split(")")[0])
        for n in notes(ws)
        if n.agreement_id == A and n.party == NHSE and n.role == "siro"
        and "basis copi-2026-shielding " in n.subject
    ]  # fmt: skip
    assert warned == [
        ("2026-05-02", "Warning (30 days"),
        ("2026-05-18", "Warning (14 days"),
        ("2026-05-25", "Warning (7 days"),
    ]
    dpo = [
        n for n in notes(ws) if n.agreement_id == A and n.role == "dpo" and "Warning" in n.subject
    ]
    assert len(dpo) == 3


def test_suspension_told_to_siro_and_dpo_of_every_party_and_in_ledger_and_register(replay) -> None:
    ws = replay["ws"]
    told = {
        (n.party, n.role)
        for n in notes(ws)
        if n.agreement_id == A and n.subject.startswith("Agreement suspended on 2026-06-01")
    }
    assert told == {(p, r) for p in (NHSE, GREENWICH, MIDDLESBROUGH) for r in ("siro", "dpo")}
    assert event_names(ws, A)[-1] == "agreement-state-changed"
    rows = {(r.agreement_id, r.status, r.version) for r in register_rows(ws) if not r.withheld}
    assert (A, "suspended", "1.0.0") in rows and (B, "active", "1.1.0") in rows
    assert (B, "suspended", "1.1.0") not in rows


def test_a_second_sweep_on_the_same_day_does_nothing(replay) -> None:
    ws = replay["ws"]
    assert lifecycle.sweep(ws) == []
