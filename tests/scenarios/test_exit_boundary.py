"""Boundary change over simulated weeks: Barnsley and Sheffield are recoded on 2025-04-01.

An emergency agreement with Barnsley (E08000016), Sheffield (E08000019) and Greenwich goes live
on 2025-03-03. The first sweep sees the recode within its 30-day look-ahead and proposes the
amendment (successors' flows from 2025-04-01, the old ones ended), routed for review with the
successors' SIRO and DPO asked. On 2025-04-01 the amendment is not yet active: the residents of
Barnsley and Sheffield are held as exceptions, Greenwich's still flow. Once it is active, the
successor codes receive them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest
from boundary_world import (
    BARNSLEY,
    BARNSLEY_25,
    DECLARED,
    GREENWICH,
    SHEFFIELD,
    SHEFFIELD_25,
    agreement,
    write_directory,
    write_source,
)
from sqlalchemy import select

from accord.clock import FixedClock
from accord.model.enums import Status
from accord.refdata import Geography
from accord.service import agreements, lifecycle, runs
from accord.service.register import register_rows
from accord.store.disputes import notifications
from accord.workspace import Workspace


def day(m: int, d: int) -> datetime:
    return datetime(2025, m, d, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("boundary")
    geo = Geography.load(write_directory(tmp / "nspl.csv"))
    source = write_source(tmp / "people.csv")
    a = agreement()
    out: dict[str, object] = {}
    with Workspace.init(tmp / "ws", clock=FixedClock(DECLARED)) as ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        out["first_sweep"] = lifecycle.sweep(ws, day(3, 3))
        out["second_sweep"] = lifecycle.sweep(ws, day(3, 4))
        results = {}
        for when in (day(3, 3), day(3, 31), day(4, 1)):
            ws.clock.set(when)
            results[when.date().isoformat()] = runs.run(ws, a.id, source=source, geography=geo)
        ws.clock.set(day(4, 2))
        proposed = agreements.get(ws, a.id)
        out["proposed"] = proposed
        for target in ("approved", "active"):
            agreements.transition(ws, a.id, target, seq=proposed.seq)
        results["2025-04-02"] = runs.run(ws, a.id, source=source, geography=geo)
        out["runs"] = results
        with ws.engine.connect() as conn:
            out["notes"] = [
                (r.party, r.role, r.subject)
                for r in conn.execute(select(notifications).order_by(notifications.c.id))
            ]
        out["events"] = [e.event for e in ws.ledger.entries_for_agreement(a.id)]
        out["register"] = register_rows(ws, now=day(4, 3))
    return out


def _delivered(result: runs.RunResult) -> dict[str, int]:
    return {d.recipient: d.rows for d in result.deliveries}


def test_the_first_sweep_proposes_the_amendment_once(story: dict[str, object]) -> None:
    first = story["first_sweep"]
    assert [(s.action, s.detail) for s in first] == [  # type: ignore[attr-defined]
        ("amendment-proposed", f"{BARNSLEY},{SHEFFIELD}")
    ]
    assert story["second_sweep"] == []
    proposed = story["proposed"]
    assert proposed.status is Status.in_review  # type: ignore[attr-defined]
    doc = proposed.agreement  # type: ignore[attr-defined]
    by_id = {f.id: f for f in doc.flows}
    assert by_id["spl-e08000016"].end == datetime(2025, 4, 1, tzinfo=UTC)
    assert by_id["spl-e08000038"].recipient == BARNSLEY_25
    assert by_id["spl-e08000038"].start == datetime(2025, 4, 1, tzinfo=UTC)
    assert by_id["spl-e08000039"].recipient == SHEFFIELD_25
    assert {BARNSLEY_25, SHEFFIELD_25} <= {p.org_id for p in doc.parties}


def test_the_successors_siro_and_dpo_are_asked(story: dict[str, object]) -> None:
    asked = {(p, r) for p, r, s in story["notes"] if s.startswith("Approval needed")}  # type: ignore[attr-defined]
    for successor in (BARNSLEY_25, SHEFFIELD_25):
        assert {(successor, "siro"), (successor, "dpo")} <= asked
    assert ("ods:X26", "siro") in asked


def test_deliveries_day_by_day(story: dict[str, object]) -> None:
    results = story["runs"]
    assert _delivered(results["2025-03-03"]) == {BARNSLEY: 4, SHEFFIELD: 2, GREENWICH: 4}  # type: ignore[index]
    assert _delivered(results["2025-03-31"]) == {BARNSLEY: 4, SHEFFIELD: 2, GREENWICH: 4}  # type: ignore[index]
    held = results["2025-04-01"]  # type: ignore[index]
    assert _delivered(held) == {GREENWICH: 4}
    assert held.exceptions_by_reason == {
        "recipient_not_in_existence:spl-e08000016": 4,
        "recipient_not_in_existence:spl-e08000019": 2,
    }
    reasons = pq.read_table(held.exceptions_path).column("reason").to_pylist()
    assert all(r.startswith("recipient_not_in_existence:") for r in reasons)
    after = results["2025-04-02"]  # type: ignore[index]
    assert _delivered(after) == {BARNSLEY_25: 4, SHEFFIELD_25: 2, GREENWICH: 4}
    assert after.exception_rows == 0


def test_each_change_is_a_ledger_event(story: dict[str, object]) -> None:
    events = story["events"]
    proposed = [e for e in events if e.name == "boundary-amendment-proposed"]  # type: ignore[attr-defined]
    assert [(e.ceased, e.successors, e.effective_date) for e in proposed] == [
        (BARNSLEY, (BARNSLEY_25,), "2025-04-01"),
        (SHEFFIELD, (SHEFFIELD_25,), "2025-04-01"),
    ]
    assert {e.agreement_version for e in proposed} == {"1.1.0"}
    made = [e for e in events if e.name == "delivery-made"]  # type: ignore[attr-defined]
    assert not [e for e in made if e.recipient == BARNSLEY and e.at >= "2025-04-01"]


def test_the_register_shows_the_successor_flows(story: dict[str, object]) -> None:
    rows = story["register"]
    live = {r.flow_id: r for r in rows if r.version == "1.1.0"}  # type: ignore[attr-defined]
    assert {"spl-e08000038", "spl-e08000039"} <= set(live)
    assert live["spl-e08000016"].end_date.startswith("2025-04-01")
