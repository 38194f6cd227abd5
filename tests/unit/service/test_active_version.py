"""The active version keeps running while a new one is drafted; activation hands over once.

Every consumer of "the agreement" that acts on it (runs, Delta Sharing shares, the register,
``accord sweep``) reads the version in force, never merely the latest.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from accord.clock import FixedClock
from accord.errors import NotActive
from accord.ledger.events import DeliveryMade, VersionSuperseded
from accord.model import Agreement, example_document, parse_agreement
from accord.model.enums import Status
from accord.refdata import Geography
from accord.service import agreements, lifecycle, runs
from accord.service.register import register_rows
from accord.service.sharing import shares_for
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

DOC = example_document()
DOC["dpia"]["due_by"] = "2026-04-01"  # before the incident's review date (2026-04-13)
A = parse_agreement(DOC)
GREENWICH = "gss:E09000011"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("data")
    directory, source = folder / "postcodes.parquet", folder / "people.parquet"
    write_postcode_directory(directory, postcodes=300, seed=5)
    write_population(source, rows=400, seed=5, postcode_directory=directory)
    return directory, source


@pytest.fixture
def live(tmp_path: Path, data: tuple[Path, Path]) -> Iterator[tuple[Workspace, Path, Geography]]:
    assert A.incident is not None
    directory, source = data
    with Workspace.init(tmp_path / "ws", clock=FixedClock(A.incident.declared_at)) as ws:
        shutil.copyfile(directory, runs.postcode_directory(ws))
        agreements.create(ws, A)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, A.id, target)
        yield ws, source, runs.load_geography(ws)


def _amendment() -> Agreement:
    """Version 1.1.0: Greenwich's flow only (the other recipient's flow is dropped)."""
    flows = [f for f in A.flows if f.recipient == GREENWICH]
    return A.model_copy(update={"version": "1.1.0", "flows": flows})


def _run(ws: Workspace, source: Path, geography: Geography) -> set[tuple[str, str]]:
    result = runs.run(ws, A.id, source=source, geography=geography)
    return {(result.agreement_version, d.recipient) for d in result.deliveries}


def test_a_draft_amendment_does_not_stop_the_active_version(live) -> None:
    ws, source, geography = live
    v1 = agreements.get(ws, A.id)
    agreements.amend(ws, _amendment())
    ws.clock.advance(timedelta(hours=1))
    assert _run(ws, source, geography) == {("1.0.0", GREENWICH), ("1.0.0", "gss:E06000002")}
    for target in ("in_review", "approved"):  # still v1 until v2 is active
        agreements.transition(ws, A.id, target)
        ws.clock.advance(timedelta(hours=1))
        assert {v for v, _ in _run(ws, source, geography)} == {"1.0.0"}
    made = [e.event for e in ws.ledger.entries_for_agreement(A.id)]
    hashes = {e.agreement_hash for e in made if isinstance(e, DeliveryMade)}
    assert hashes == {v1.hash}


def test_activation_hands_over_in_one_event_and_runs_then_use_the_new_version(live) -> None:
    ws, source, geography = live
    v1 = agreements.get(ws, A.id)
    v2 = agreements.amend(ws, _amendment())
    agreements.transition(ws, A.id, "in_review")
    agreements.transition(ws, A.id, "approved")
    before = ws.ledger.size()
    agreements.transition(ws, A.id, "active", actor="siro@nhs.example")
    handover = ws.ledger.entries_for_agreement(A.id)[before:]
    assert [e.event.name for e in handover] == ["version-superseded"]
    event = handover[0].event
    assert isinstance(event, VersionSuperseded)
    assert (event.superseded_version, event.superseded_hash) == ("1.0.0", v1.hash)
    assert (event.agreement_version, event.agreement_hash) == ("1.1.0", v2.hash)
    assert (event.superseded_state, event.from_state, event.actor) == (
        "active",
        "approved",
        "siro@nhs.example",
    )
    assert [v.status for v in agreements.versions(ws, A.id)] == [Status.superseded, Status.active]
    assert _run(ws, source, geography) == {("1.1.0", GREENWICH)}


def test_a_first_activation_is_still_one_state_change(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "ws", clock=FixedClock(datetime(2026, 3, 16, tzinfo=UTC))) as ws:
        agreements.create(ws, A)
        agreements.transition(ws, A.id, "in_review")
        agreements.transition(ws, A.id, "approved")
        before = ws.ledger.size()
        agreements.transition(ws, A.id, "active")
        names = [e.event.name for e in ws.ledger.entries_for_agreement(A.id)[before:]]
    assert names == ["agreement-state-changed"]


def test_shares_offer_the_active_versions_deliveries_until_the_handover(live) -> None:
    ws, source, geography = live
    v1 = agreements.get(ws, A.id)
    _run(ws, source, geography)
    v2 = agreements.amend(ws, _amendment())
    agreements.transition(ws, A.id, "in_review")
    agreements.transition(ws, A.id, "approved")
    (share,) = shares_for(ws, "gss:E06000002")
    assert [(t.agreement_hash, t.version) for t in share.tables] == [(v1.hash, 1)]
    agreements.transition(ws, A.id, "active")
    # v2 has no flow to E06000002: its share is gone; Greenwich's history restarts under v2.
    assert shares_for(ws, "gss:E06000002") == []
    assert shares_for(ws, GREENWICH)[0].tables == ()
    ws.clock.advance(timedelta(hours=1))
    _run(ws, source, geography)
    (table,) = shares_for(ws, GREENWICH)[0].tables
    assert (table.agreement_hash, table.version) == (v2.hash, 1)


def test_the_register_shows_the_version_in_force_not_an_abandoned_draft(live) -> None:
    ws, _, _ = live
    agreements.amend(ws, _amendment())
    agreements.transition(ws, A.id, "terminated", reason="amendment withdrawn")
    ws.clock.advance(timedelta(days=2))  # past the publication delay
    rows = register_rows(ws)
    assert {(r.version, r.status) for r in rows} == {("1.0.0", "active")}
    assert len(rows) == 2


def test_sweep_acts_on_the_active_version_beside_a_draft(live) -> None:
    ws, source, geography = live
    agreements.amend(ws, _amendment())
    ws.clock.set(datetime.combine(A.dpia.due_by, time.min, tzinfo=UTC))
    swept = lifecycle.sweep(ws)
    assert [(s.seq, s.action) for s in swept if s.action != "notified"] == [(1, "suspended")]
    assert [v.status for v in agreements.versions(ws, A.id)] == [Status.suspended, Status.draft]
    with pytest.raises(NotActive, match="not active"):
        runs.run(ws, A.id, source=source, geography=geography)
