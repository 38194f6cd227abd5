"""Deltas against each recipient's previous delivery, and volume anomalies."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from engine_helpers import NOW, POP, person, run, write_csv

from accord.engine import delta as dlt
from accord.engine.anomalies import anomaly


def test_delta_additions_removals_and_retraction_on_move(tmp_path: Path) -> None:
    first = run(tmp_path, write_csv(tmp_path / "d0.csv", POP))
    assert all(d.since_run is None for d in first.deliveries)
    day1 = [
        person(0, "TS1 1AA"),  # moved from Greenwich to Middlesbrough
        person(1, "TS1 1AA", phone="0999"),  # changed phone
        # person 2 left the list
        person(4, "SE10 9AA"),  # new
    ]
    second = run(tmp_path, write_csv(tmp_path / "d1.csv", day1), now=NOW + timedelta(days=1))
    g, m = second.delivery("spl-e09000011"), second.delivery("spl-e06000002")
    assert g.since_run == m.since_run == first.run_id
    folder = g.directory
    assert pq.read_table(folder / "additions.parquet")["nhs_number"].to_pylist() == ["9990000050"]
    assert pq.read_table(folder / "removals.parquet").to_pylist() == [{"nhs_number": "9990000018"}]
    adds = pq.read_table(m.directory / "additions.parquet").to_pylist()
    assert [(r["nhs_number"], r["phone"]) for r in adds] == [
        ("9990000018", "01234"),
        ("9990000026", "0999"),
    ]
    assert pq.read_table(m.directory / "removals.parquet")["nhs_number"].to_pylist() == [
        "9990000034"
    ]
    assert (m.additions, m.removals) == (2, 1)
    manifest = json.loads(m.manifest_path.read_bytes())
    assert manifest["delta"]["since"] == first.run_id
    assert set(manifest["files"]) == {"extract.parquet", "additions.parquet", "removals.parquet"}


def test_delta_against_a_named_earlier_run(tmp_path: Path) -> None:
    first = run(tmp_path, write_csv(tmp_path / "d0.csv", POP))
    run(tmp_path, write_csv(tmp_path / "d1.csv", POP[:1]), now=NOW + timedelta(days=1))
    third = run(
        tmp_path,
        write_csv(tmp_path / "d2.csv", POP),
        now=NOW + timedelta(days=2),
        previous=first.run_id,
    )
    assert all(d.since_run == first.run_id for d in third.deliveries)
    assert all(d.additions == 0 and d.removals == 0 for d in third.deliveries)


def test_delta_without_key_is_whole_rows() -> None:
    cur = pa.table({"a": ["x", "y", "y"]})
    prev = pa.table({"a": ["y", "z"]})
    d = dlt.diff(cur, prev, None)
    assert (d.apply, d.replaced) == ("multiset", 1)
    assert d.additions["a"].to_pylist() == ["x", "y"]
    assert d.removals["a"].to_pylist() == ["z"]
    assert dlt.apply(prev, d.additions, d.removals, d.apply, None).equals(dlt.canonical(cur, None))


def test_delta_with_other_columns_is_a_reset(tmp_path: Path) -> None:
    first = run(tmp_path, write_csv(tmp_path / "d0.csv", POP))
    for d in first.deliveries:  # as if delivered under another projection
        manifest = json.loads(d.manifest_path.read_bytes())
        manifest["columns"] = manifest["columns"][:1]
        d.manifest_path.write_text(json.dumps(manifest))
    day1 = write_csv(tmp_path / "d1.csv", POP)
    second = run(tmp_path, day1, now=NOW + timedelta(days=1), incremental=False)
    for d in second.deliveries:
        delta = json.loads(d.manifest_path.read_bytes())["delta"]
        assert (delta["reset"], delta["apply"]) == (True, "replace-all")
        assert (d.additions, d.removals) == (d.rows, 0)


def test_anomalies_flag_large_changes(tmp_path: Path) -> None:
    run(tmp_path, write_csv(tmp_path / "d0.csv", POP))
    grown = POP + [person(4, "TS1 2BB")]
    second = run(
        tmp_path,
        write_csv(tmp_path / "d1.csv", grown),
        now=NOW + timedelta(days=1),
        anomaly_threshold=0.4,
    )
    by_flow = {a.flow_id: a for a in second.anomalies}
    grew = by_flow["spl-e06000002"]
    assert (grew.previous_rows, grew.rows, grew.change, grew.flagged) == (2, 3, 0.5, True)
    assert by_flow["spl-e09000011"].change == 0.0 and not by_flow["spl-e09000011"].flagged
    assert second.flagged == (grew,)


def test_anomaly_rule() -> None:
    assert anomaly("f", "r", 100, 150).flagged is False
    assert anomaly("f", "r", 100, 151).flagged is True
    assert anomaly("f", "r", 100, 40).flagged is True
    assert anomaly("f", "r", 0, 5).flagged is True and anomaly("f", "r", 0, 5).change is None
    assert anomaly("f", "r", 0, 0).flagged is False
