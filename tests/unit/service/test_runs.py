"""The run service: the engine delivers, the service records every delivery in the ledger, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.clock import FixedClock
from accord.engine import run_agreement
from accord.errors import NotPermitted
from accord.ledger.events import DeliveryMade
from accord.model import Agreement, example_agreement
from accord.refdata import Geography
from accord.service import agreements, runs, users
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Workspace, Path, Geography]]:
    a = example_agreement()
    assert a.incident is not None
    with Workspace.init(tmp_path / "ws", clock=FixedClock(a.incident.declared_at)) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=2_000, seed=3)
        source = tmp_path / "people.parquet"
        write_population(source, rows=1_000, seed=3, postcode_directory=directory)
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        yield ws, source, runs.load_geography(ws)


def _deliveries(ws: Workspace) -> list[DeliveryMade]:
    entries = ws.ledger.entries_for_agreement(example_agreement().id)
    return [e.event for e in entries if isinstance(e.event, DeliveryMade)]


def test_each_delivery_is_recorded_once_and_a_rerun_adds_only_a_rerun_record(live) -> None:
    ws, source, geography = live
    first = runs.run(ws, example_agreement().id, source=source, geography=geography)
    recorded = _deliveries(ws)
    assert sorted(d.recipient for d in recorded) == ["gss:E06000002", "gss:E09000011"]
    assert {d.manifest_sha256 for d in recorded} == {d.manifest_sha256 for d in first.deliveries}
    size = ws.ledger.size()
    again = runs.run(ws, example_agreement().id, source=source, geography=geography)
    assert again.rerun and len(_deliveries(ws)) == 2
    assert ws.ledger.size() == size + 1  # the run-recorded event of the re-run


def test_a_rerun_records_deliveries_a_crash_left_unrecorded(live) -> None:
    ws, source, geography = live
    version = agreements.get(ws, example_agreement().id)
    # The engine published the deliveries, then the process died before the service recorded.
    published = run_agreement(
        version.agreement,
        status=version.status,
        source=source,
        out_dir=ws.root,
        secret=ws.pseudonym_secret(),
        geography=geography,
        now=ws.clock.now(),
    )
    assert _deliveries(ws) == []
    again = runs.run(ws, example_agreement().id, source=source, geography=geography)
    assert again.rerun and again.run_id == published.run_id
    assert sorted(d.delivery_id for d in _deliveries(ws)) == sorted(
        f"{published.run_id}/{d.flow_id}" for d in published.deliveries
    )


def test_an_aggregate_flow_runs_and_is_recorded_through_the_service(tmp_path: Path) -> None:
    # Issue 15: an agreement whose flows count people by age band and LSOA goes active (the
    # label matches what leaves) and its tables are recorded like any delivery.
    doc = example_agreement().model_dump(mode="json")
    for f in doc["flows"]:
        f.update(
            identifiability="aggregate",
            projection=["date_of_birth", "postcode"],
            transforms=[
                {"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"},
                {"op": "postcode_to", "field": "postcode", "level": "lsoa"},
            ],
            aggregate={"group_by": ["date_of_birth", "postcode"], "profile": "opensafely"},
        )
    a = Agreement.model_validate(doc)
    assert a.incident is not None
    with Workspace.init(tmp_path / "ws", clock=FixedClock(a.incident.declared_at)) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=2_000, seed=3)
        source = tmp_path / "people.parquet"
        write_population(source, rows=1_000, seed=3, postcode_directory=directory)
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        geography = runs.load_geography(ws)
        with pytest.raises(NotPermitted, match="name who asked for it"):
            runs.run(ws, a.id, source=source, geography=geography)  # a table needs its requester
        analyst = users.add_user(
            ws, "req@nhs.example", "Rae", "ods:X26", ["requester"], "correct horse battery"
        )
        result = runs.run(ws, a.id, source=source, geography=geography, requested_by=analyst)
        recorded = _deliveries(ws)
    assert {d.manifest_sha256 for d in recorded} == {d.manifest_sha256 for d in result.deliveries}
    for d in result.deliveries:
        table = pq.read_table(d.directory / "extract.parquet")
        assert table.column_names == [
            "date_of_birth", "postcode", "count", "suppressed", "is_total", "partial"
        ]  # fmt: skip
        counts = [v for v in table.column("count").to_pylist() if v is not None]
        assert all(v % 5 == 0 and (v == 0 or v > 7) for v in counts)
