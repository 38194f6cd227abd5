"""The per-person index beside each delivery, and suppression by keyed hash, on every backend.

A delivery whose extract carries the NHS number is its own index (``persons.json`` names the
column); any other (the number dropped, pseudonymised) gets ``persons.parquet``, the keyed hash
of each row. :func:`persons.find` finds a person in either, by NHS number or by keyed hash."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.engine import persons
from accord.engine.delivery import MANIFEST
from accord.model import Agreement, example_document
from tests.unit.engine.engine_helpers import NHS, NOW, POP, person, run, tree, write_csv

KEY = b"unit-test-person-index-key-00001"
BACKENDS = ["duckdb", "in_memory"]
KINDS = ["parquet", "csv", "pseudonymised", "dropped"]
"""The kinds of delivery: the NHS number carried (Parquet, CSV), or not (pseudonymised, dropped)."""
CARRIED = {"parquet", "csv"}


def _agreement(kind: str) -> Agreement:
    doc = example_document()
    for f in doc["flows"]:
        if kind == "csv":
            f["delivery_format"] = "csv"
        elif kind == "pseudonymised":
            f["transforms"] = [{"op": "pseudonymise", "field": "nhs_number"}]
        elif kind == "dropped":
            f["transforms"] = [{"op": "drop", "field": "nhs_number"}]
    return Agreement.model_validate(doc)


def _index(d: object) -> list[str]:
    """The keyed hashes of the people a delivery holds, however it is indexed."""
    folder = d.directory  # type: ignore[attr-defined]
    return sorted(pq.read_table(persons.index_delivery(folder, KEY)).column("person").to_pylist())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_each_delivery_indexes_the_keyed_hash_of_every_person_it_holds(
    tmp_path: Path, backend: str, kind: str
) -> None:
    people = [*POP, person(4, "TS1 1AA", nhs_number="999 000 0050")]
    result = run(
        tmp_path,
        write_csv(tmp_path / "s.csv", people),
        agreement=_agreement(kind),
        backend=backend,
        person_key=KEY,
    )
    for d in result.deliveries:
        written = set(tree(d.directory))
        if kind in CARRIED:  # its own index: the run names the column, hashes nothing
            assert persons.INDEX not in written
            record = json.loads((d.directory / persons.KEY_RECORD).read_bytes())
            assert record == {"column": "nhs_number", "form": "nhs_number"}
        else:
            assert persons.KEY_RECORD not in written
            raw = (d.directory / persons.INDEX).read_bytes()
            assert KEY not in raw and not any(n.encode() in raw for n in NHS)
        manifest = json.loads((d.directory / MANIFEST).read_bytes())
        assert persons.INDEX not in manifest["files"]  # never offered to the recipient
        assert persons.KEY_RECORD not in manifest["files"]
    by_flow = {d.flow_id: d for d in result.deliveries}
    # SE10 is Greenwich (E09000011); TS1 is Middlesbrough (E06000002); XX1 is not routable.
    assert _index(by_flow["spl-e09000011"]) == [persons.person_hash(KEY, NHS[0])]
    assert _index(by_flow["spl-e06000002"]) == sorted(
        persons.person_hash(KEY, n) for n in (NHS[1], NHS[2], NHS[4])
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_index_is_the_same_bytes_on_every_backend(tmp_path: Path, kind: str) -> None:
    src = write_csv(tmp_path / "s.csv", POP)
    a = run(tmp_path / "a", src, agreement=_agreement(kind), backend="duckdb", person_key=KEY)
    b = run(tmp_path / "b", src, agreement=_agreement(kind), backend="in_memory", person_key=KEY)
    assert a.run_id == b.run_id
    name = persons.KEY_RECORD if kind in CARRIED else persons.INDEX
    for x, y in zip(a.deliveries, b.deliveries, strict=True):
        assert (x.directory / name).read_bytes() == (y.directory / name).read_bytes()


def test_without_the_key_no_index_is_written(tmp_path: Path) -> None:
    for kind in ("parquet", "dropped"):
        result = run(
            tmp_path / kind, write_csv(tmp_path / "s.csv", POP), agreement=_agreement(kind)
        )
        names = {name for d in result.deliveries for name in tree(d.directory)}
        assert not names & {persons.INDEX, persons.KEY_RECORD}


@pytest.mark.parametrize("kind", ["parquet", "dropped"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_suppressed_person_reaches_no_flow_and_the_manifest_counts_them(
    tmp_path: Path, backend: str, kind: str
) -> None:
    src = write_csv(tmp_path / "s.csv", POP)
    suppressed = [persons.person_hash(KEY, NHS[1]), persons.person_hash(KEY, NHS[0])]
    result = run(
        tmp_path,
        src,
        agreement=_agreement(kind),
        backend=backend,
        person_key=KEY,
        rights=suppressed,
    )
    by_flow = {d.flow_id: d for d in result.deliveries}
    assert _index(by_flow["spl-e09000011"]) == []
    assert _index(by_flow["spl-e06000002"]) == [persons.person_hash(KEY, NHS[2])]
    for d in result.deliveries:
        if kind == "parquet":
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


@pytest.mark.parametrize("kind", ["parquet", "pseudonymised"])
@pytest.mark.parametrize("mode", ["full", "delta"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_later_run_indexes_exactly_what_a_fresh_full_run_would(
    tmp_path: Path, backend: str, mode: str, kind: str
) -> None:
    # Days 2 and 3 build on the day before (incremental on DuckDB, delta-only when asked); a
    # person is found in a later delivery exactly when a first, full run over that day's source
    # delivers them. A delta-only delivery that carries the NHS number holds its additions and
    # what its base held less its removals, back along the chain.
    days = [
        POP,
        [person(0, "TS1 1AA"), *POP[1:], person(4, "SE10 9AA")],  # 0 moves, 4 arrives
        [person(0, "TS1 1AA"), POP[2], person(3, "SE10 9AA"), person(4, "SE10 9AA")],  # 1 goes
    ]
    a = _agreement(kind)
    for i, rows in enumerate(days):
        src = write_csv(tmp_path / f"d{i}.csv", rows)
        now = NOW + timedelta(days=i)
        later = run(
            tmp_path / "a", src, agreement=a, backend=backend, person_key=KEY, delivery=mode,
            now=now,
        )  # fmt: skip
        fresh = run(tmp_path / f"b{i}", src, agreement=a, backend=backend, person_key=KEY, now=now)
        if i == 0:
            continue
        if mode == "delta":
            assert later.delivery_mode == "delta"
        if mode == "delta" and backend == "duckdb" and i == 1:  # fast: only a state delta left
            assert (later.exceptions_path.parent / persons.STATE_DELTA).is_file()
            assert not (later.exceptions_path.parent / persons.STATE).is_file()
        root = tmp_path / "a" / "out" / "deliveries"
        mine = {d.directory for d in later.deliveries}
        for n in NHS:  # by NHS number, before a lookup by hash indexes anything
            h = persons.person_hash(KEY, n)
            found = persons.find(root, [later.agreement_id], h, key=KEY, nhs_number=n)
            want = {d.flow_id for d in fresh.deliveries if h in _delivered(d)}
            assert {d.flow_id for d in later.deliveries if d.directory in found} == want, (i, n)
        for x, y in zip(later.deliveries, fresh.deliveries, strict=True):
            assert _index(x) == _index(y), i
        assert mine
    by_flow = {d.flow_id: d for d in later.deliveries}
    assert _index(by_flow["spl-e09000011"]) == sorted(
        persons.person_hash(KEY, n) for n in (NHS[3], NHS[4])
    )
    assert _index(by_flow["spl-e06000002"]) == sorted(
        persons.person_hash(KEY, n) for n in (NHS[0], NHS[2])
    )


def _delivered(d: object) -> set[str]:
    """The keyed hashes of the people in a full delivery's extract (hashed here)."""
    folder = d.directory  # type: ignore[attr-defined]
    extract = pq.read_table(folder / "extract.parquet")
    if "nhs_number" in extract.column_names and (folder / persons.KEY_RECORD).is_file():
        return {persons.person_hash(KEY, n) for n in extract.column("nhs_number").to_pylist()}
    return set(pq.read_table(folder / persons.INDEX).column("person").to_pylist())


@pytest.mark.parametrize("kind", KINDS)
def test_find_names_every_delivery_that_holds_the_person_and_no_other(
    tmp_path: Path, kind: str
) -> None:
    result = run(
        tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=_agreement(kind), person_key=KEY
    )
    root = tmp_path / "out" / "deliveries"
    aid = result.agreement_id
    by_flow = {d.flow_id: d for d in result.deliveries}
    middlesbrough = by_flow["spl-e06000002"].directory

    def find(n: str, ids: list[str] = [aid], by_number: bool = True) -> list[Path]:  # noqa: B006
        number = n if by_number else None
        return persons.find(root, ids, persons.person_hash(KEY, n), key=KEY, nhs_number=number)

    # By NHS number first (a handler's lookup: nothing is hashed but the number)...
    assert find(NHS[1]) == [middlesbrough]
    assert find("999 000 0026") == [middlesbrough]  # as typed
    assert find(NHS[3]) == []  # not routable
    assert find(NHS[1], ["urn:accord:other"]) == []
    if kind in CARRIED:
        assert not (middlesbrough / persons.INDEX).exists()
    # ...then by keyed hash alone (a decision, the person's own view), which indexes the rest.
    assert find(NHS[1], by_number=False) == [middlesbrough]
    assert find(NHS[3], by_number=False) == []
    assert (middlesbrough / persons.INDEX).is_file()
    assert find(NHS[2]) == find(NHS[2], by_number=False) == [middlesbrough]
    # Purged with the delivery: the folder goes, and nothing finds the person in it.
    shutil.rmtree(middlesbrough)
    assert find(NHS[1]) == find(NHS[1], by_number=False) == []
    assert find(NHS[0]) == [by_flow["spl-e09000011"].directory]


def test_a_hash_lookup_without_the_key_is_refused_not_answered_short(tmp_path: Path) -> None:
    result = run(tmp_path, write_csv(tmp_path / "s.csv", POP), person_key=KEY)
    root = tmp_path / "out" / "deliveries"
    with pytest.raises(ValueError, match="needs the person-index key"):
        persons.find(root, [result.agreement_id], persons.person_hash(KEY, NHS[1]))


def test_a_delta_whose_base_was_purged_is_found_by_what_it_sent(tmp_path: Path) -> None:
    first = run(tmp_path, write_csv(tmp_path / "d1.csv", POP), person_key=KEY)
    moved = [person(0, "TS1 1AA"), *POP[1:]]
    later = run(
        tmp_path,
        write_csv(tmp_path / "d2.csv", moved),
        person_key=KEY,
        delivery="delta",
        now=NOW + timedelta(days=1),
    )
    root = tmp_path / "out" / "deliveries"
    delta = {d.flow_id: d.directory for d in later.deliveries}["spl-e06000002"]

    def find(n: str) -> list[Path]:
        return persons.find(
            root, [later.agreement_id], persons.person_hash(KEY, n), key=KEY, nhs_number=n
        )

    assert delta in find(NHS[1])  # through its base
    shutil.rmtree({d.flow_id: d.directory for d in first.deliveries}["spl-e06000002"])
    assert delta not in find(NHS[1])  # the base is gone: only what the delta sent is left
    assert delta in find(NHS[0])  # in its additions
    indexed = pq.read_table(persons.index_delivery(delta, KEY)).column("person").to_pylist()
    assert indexed == [persons.person_hash(KEY, NHS[0])]


def test_the_sweep_indexes_each_carrying_delivery_once_and_lookups_then_hash_nothing(
    tmp_path: Path,
) -> None:
    first = run(tmp_path, write_csv(tmp_path / "d1.csv", POP), person_key=KEY)
    later = run(
        tmp_path,
        write_csv(tmp_path / "d2.csv", [person(0, "TS1 1AA"), *POP[1:]]),
        person_key=KEY,
        delivery="delta",
        now=NOW + timedelta(days=1),
    )
    root = tmp_path / "out" / "deliveries"
    folders = [d.directory for r in (first, later) for d in r.deliveries]
    assert all(not (f / persons.INDEX).exists() for f in folders)
    # Every delivery of both runs, the delta-only ones after the bases they build on.
    assert persons.index_pending(root, KEY) == len(folders)
    assert all((f / persons.INDEX).is_file() for f in folders)
    stamps = {f: (f / persons.INDEX).stat().st_mtime_ns for f in folders}
    assert persons.index_pending(root, KEY) == 0  # once: nothing left to index
    # A lookup by keyed hash alone now reads those indexes and writes none.
    delta = {d.flow_id: d.directory for d in later.deliveries}["spl-e06000002"]
    found = persons.find(root, [later.agreement_id], persons.person_hash(KEY, NHS[0]), key=KEY)
    assert delta in found
    assert {f: (f / persons.INDEX).stat().st_mtime_ns for f in folders} == stamps
    # Each index is the one a lookup would have built: the people the recipient holds.
    assert sorted(pq.read_table(delta / persons.INDEX).column("person").to_pylist()) == sorted(
        persons.person_hash(KEY, n) for n in (NHS[0], NHS[1], NHS[2])
    )
