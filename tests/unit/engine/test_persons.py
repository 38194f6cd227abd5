"""The per-person index beside each delivery, and suppression by keyed hash, on every backend."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.engine import persons
from accord.engine.delivery import MANIFEST
from tests.unit.engine.engine_helpers import NHS, NOW, POP, person, run, tree, write_csv

KEY = b"unit-test-person-index-key-00001"
BACKENDS = ["duckdb", "in_memory"]


def _index(d: object) -> list[str]:
    folder = d.directory  # type: ignore[attr-defined]
    return sorted(pq.read_table(folder / persons.INDEX).column("person").to_pylist())


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_delivery_indexes_the_keyed_hash_of_every_person_it_holds(
    tmp_path: Path, backend: str
) -> None:
    people = [*POP, person(4, "TS1 1AA", nhs_number="999 000 0050")]
    result = run(tmp_path, write_csv(tmp_path / "s.csv", people), backend=backend, person_key=KEY)
    by_flow = {d.flow_id: d for d in result.deliveries}
    # SE10 is Greenwich (E09000011); TS1 is Middlesbrough (E06000002); XX1 is not routable.
    assert _index(by_flow["spl-e09000011"]) == [persons.person_hash(KEY, NHS[0])]
    assert _index(by_flow["spl-e06000002"]) == sorted(
        persons.person_hash(KEY, n) for n in (NHS[1], NHS[2], NHS[4])
    )
    for d in result.deliveries:
        manifest = json.loads((d.directory / MANIFEST).read_bytes())
        assert persons.INDEX not in manifest["files"]  # never offered to the recipient
        raw = (d.directory / persons.INDEX).read_bytes()
        assert KEY not in raw and not any(n.encode() in raw for n in NHS)


def test_the_index_is_the_same_bytes_on_every_backend(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "s.csv", POP)
    a = run(tmp_path / "a", src, backend="duckdb", person_key=KEY)
    b = run(tmp_path / "b", src, backend="in_memory", person_key=KEY)
    assert a.run_id == b.run_id
    for x, y in zip(a.deliveries, b.deliveries, strict=True):
        assert (x.directory / persons.INDEX).read_bytes() == (
            y.directory / persons.INDEX
        ).read_bytes()


def test_without_the_key_no_index_is_written(tmp_path: Path) -> None:
    result = run(tmp_path, write_csv(tmp_path / "s.csv", POP))
    assert not any(persons.INDEX in name for d in result.deliveries for name in tree(d.directory))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_suppressed_person_reaches_no_flow_and_the_manifest_counts_them(
    tmp_path: Path, backend: str
) -> None:
    src = write_csv(tmp_path / "s.csv", POP)
    suppressed = [persons.person_hash(KEY, NHS[1]), persons.person_hash(KEY, NHS[0])]
    result = run(tmp_path, src, backend=backend, person_key=KEY, rights=suppressed)
    by_flow = {d.flow_id: d for d in result.deliveries}
    assert _index(by_flow["spl-e09000011"]) == []
    assert _index(by_flow["spl-e06000002"]) == [persons.person_hash(KEY, NHS[2])]
    for d in result.deliveries:
        extract = pq.read_table(d.directory / "extract.parquet")
        assert not {NHS[0], NHS[1]} & set(extract.column("nhs_number").to_pylist())
        manifest = json.loads((d.directory / MANIFEST).read_bytes())
        assert manifest["opt_outs"]["rights_removed"] == 1
        assert manifest["opt_outs"]["lists"]["rights"].startswith("sha256:")
    assert result.opted_out_rows == 2
    assert result.opt_out_lists["rights"] == persons.suppression_list(suppressed).version


def test_suppression_needs_the_key(tmp_path: Path) -> None:
    from accord.errors import ConfigError

    with pytest.raises(ConfigError):
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), rights=["00"])


@pytest.mark.parametrize("mode", ["full", "delta"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_later_run_indexes_exactly_what_a_fresh_full_run_would(
    tmp_path: Path, backend: str, mode: str
) -> None:
    # Day 2 builds on day 1 (incremental on DuckDB, delta-only when asked); its index must be
    # the index a first, full run over the day-2 source writes.
    day1 = write_csv(tmp_path / "d1.csv", POP)
    moved = [person(0, "TS1 1AA"), *POP[1:], person(4, "SE10 9AA")]
    day2 = write_csv(tmp_path / "d2.csv", moved)
    run(tmp_path / "a", day1, backend=backend, person_key=KEY)
    later = run(
        tmp_path / "a",
        day2,
        backend=backend,
        person_key=KEY,
        delivery=mode,
        now=NOW + timedelta(days=1),
    )
    fresh = run(tmp_path / "b", day2, backend=backend, person_key=KEY, now=NOW + timedelta(days=1))
    if mode == "delta":
        assert later.delivery_mode == "delta"
    if mode == "delta" and backend == "duckdb":  # the fast path: only a state delta was left
        assert (later.exceptions_path.parent / persons.STATE_DELTA).is_file()
        assert not (later.exceptions_path.parent / persons.STATE).is_file()
    for x, y in zip(later.deliveries, fresh.deliveries, strict=True):
        assert _index(x) == _index(y)
    by_flow = {d.flow_id: d for d in later.deliveries}
    assert persons.person_hash(KEY, NHS[0]) in _index(by_flow["spl-e06000002"])
    assert _index(by_flow["spl-e09000011"]) == [persons.person_hash(KEY, NHS[4])]


def test_find_names_every_delivery_that_holds_the_person_and_no_other(tmp_path: Path) -> None:
    result = run(tmp_path, write_csv(tmp_path / "s.csv", POP), person_key=KEY)
    root = tmp_path / "out" / "deliveries"
    aid = result.agreement_id
    by_flow = {d.flow_id: d for d in result.deliveries}
    assert persons.find(root, [aid], persons.person_hash(KEY, NHS[1])) == [
        by_flow["spl-e06000002"].directory
    ]
    assert persons.find(root, [aid], persons.person_hash(KEY, NHS[3])) == []  # not routable
    assert persons.find(root, ["urn:accord:other"], persons.person_hash(KEY, NHS[1])) == []
