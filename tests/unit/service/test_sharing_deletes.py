"""The change feed's delete rows: for any base and current extract, with the delta the engine
makes (:func:`accord.engine.delta.diff`), ``base - deletes + additions == current`` as
multisets of rows, missing keys and duplicated rows included."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.engine.delta import BY_KEY, MULTISET, diff
from accord.errors import VerificationError
from accord.service import sharing_deletes
from accord.service.sharing_deletes import Inputs, deletes, derive, prune

SCHEMA = pa.schema([("k", pa.string()), ("v", pa.int64()), ("w", pa.string())])
Row = tuple[str | None, int | None, str | None]

# Small domains, so that keys collide, rows repeat and many keys keep their rows.
rows = st.tuples(
    st.sampled_from([None, "a", "b", "c", "d"]),
    st.sampled_from([None, 0, 1]),
    st.sampled_from([None, "x", "y"]),
)


@st.composite
def extracts(draw: st.DrawFn) -> tuple[list[Row], list[Row]]:
    """A base, and a current extract made of some of its rows (any number of times each) and
    new ones, in any order."""
    base = draw(st.lists(rows, max_size=14))
    kept = draw(st.lists(st.sampled_from(base), max_size=14)) if base else []
    new = draw(st.lists(rows, max_size=6))
    return base, draw(st.permutations(kept + new))


def _table(data: list[Row]) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in data], SCHEMA)


def _bag(table: pa.Table) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(r.values()) for r in table.to_pylist())


def _replayed(base: pa.Table, removed: pa.Table, added: pa.Table) -> Counter[tuple[Any, ...]]:
    held, gone = _bag(base), _bag(removed)
    assert not gone - held, "a delete row the base does not hold"
    return held - gone + _bag(added)


@settings(derandomize=True, max_examples=80, deadline=None)
@given(extracts())
def test_base_minus_deletes_plus_additions_is_the_current_extract(
    pair: tuple[list[Row], list[Row]],
) -> None:
    base, current = _table(pair[0]), _table(pair[1])
    delta = diff(current, base, "k")
    assert delta.apply == BY_KEY
    got = deletes(base, delta.additions, delta.removals, "k")
    assert got.schema == SCHEMA
    assert got.num_rows == delta.replaced
    assert _replayed(base, got, delta.additions) == _bag(current)
    # Only rows of the keys the delta names are deleted, and every row of those keys is.
    named = set(delta.additions["k"].to_pylist()) | set(delta.removals["k"].to_pylist())
    assert _bag(got) == _bag(base.filter(pa.array([r[0] in named for r in pair[0]], pa.bool_())))


@settings(derandomize=True, max_examples=40, deadline=None)
@given(extracts())
def test_a_multiset_delta_is_its_own_change_feed(pair: tuple[list[Row], list[Row]]) -> None:
    """Without a key the removals are whole rows: the feed serves them as they are."""
    base, current = _table(pair[0]), _table(pair[1])
    delta = diff(current, base, None)
    assert delta.apply == MULTISET
    assert _replayed(base, delta.removals, delta.additions) == _bag(current)


def _inputs(
    folder: Path, base: list[Row], current: list[Row], replaced: int | None = None
) -> Inputs:
    delta = diff(_table(current), _table(base), "k")
    paths = {}
    for name, table in (("b", _table(base)), ("a", delta.additions), ("r", delta.removals)):
        paths[name] = folder / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return Inputs(
        paths["b"], "b" * 64, paths["a"], "a" * 64, paths["r"], "r" * 64, "k",
        delta.replaced if replaced is None else replaced,
    )  # fmt: skip


BASE: list[Row] = [("a", 1, "x"), ("a", 1, "x"), (None, 0, "y"), ("b", 0, None), ("c", 1, "y")]
CURRENT: list[Row] = [("a", 1, "x"), (None, 1, "y"), ("c", 1, "y"), ("d", 0, "x")]


def test_the_delete_file_is_derived_once_and_read_back(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, BASE, CURRENT)
    cache = tmp_path / "cache"
    first = derive(cache, inputs)
    assert first.path.parent == cache and first.path.stem == inputs.digest
    table = pq.read_table(first.path)
    # a (its two rows became one), the missing key (edited) and b (removed): four rows.
    assert first.rows == table.num_rows == inputs.replaced == 4
    assert table.to_pylist()[-1] == {"k": None, "v": 0, "w": "y"}  # canonical: nulls last
    made = first.path.stat()
    again = derive(cache, inputs)
    assert again == first
    assert (first.path.stat().st_ino, first.path.stat().st_mtime_ns) == (
        made.st_ino, made.st_mtime_ns,
    )  # fmt: skip
    # Other inputs (a new base extract, say) make another file.
    other = dataclasses.replace(inputs, base_sha256="c" * 64)
    assert derive(cache, other).path != first.path
    assert sorted(p.name for p in cache.iterdir() if p.suffix == ".parquet") == sorted(
        [f"{inputs.digest}.parquet", f"{other.digest}.parquet"]
    )
    # Files no longer offered are removed with their descriptions.
    assert prune(cache, {other.digest}) == 1
    assert sorted(p.stem for p in cache.iterdir()) == [other.digest, other.digest]
    # A file whose description is lost is derived again.
    (cache / f"{other.digest}.json").unlink()
    assert derive(cache, other).rows == 4


def test_a_base_that_is_not_the_deltas_is_refused(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, BASE, CURRENT, replaced=3)
    with pytest.raises(VerificationError, match="does not apply"):
        derive(tmp_path / "cache", inputs)
    assert not list((tmp_path / "cache").iterdir())  # nothing half-written is left


def test_the_cache_sits_under_the_workspace_by_flow(tmp_path: Path) -> None:
    got = sharing_deletes.cache_dir(tmp_path, "urn:accord:agreement:x", "gss:E09000011", "f/1")
    assert (
        got == tmp_path / "cache" / "sharing" / "urn_accord_agreement_x" / "gss_E09000011" / "f_1"
    )
