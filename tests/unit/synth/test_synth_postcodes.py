"""The synthetic postcode directory: NSPL layout, valid unique postcodes in real areas."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from accord.errors import InputError
from accord.refdata import Geography, validate_postcode
from accord.synth import SynthSummary, write_postcode_directory
from accord.synth.postcodes import SLOT_CAPACITY, postcode_slots


def test_layout_and_counts(directory: SynthSummary) -> None:
    postcodes_written = directory.rows
    table = pq.read_table(directory.path)
    assert table.num_rows == postcodes_written == 40_000
    for column in ("pcds", "dointr", "doterm", "lsoa21", "laua"):
        assert column in table.column_names
    postcodes = table["pcds"].to_pylist()
    assert len(set(postcodes)) == postcodes_written
    assert all(validate_postcode(p) == p for p in postcodes)
    pcd = table["pcd"].to_pylist()
    assert all(
        len(p) == 7 and p.replace(" ", "") == q.replace(" ", "")
        for p, q in zip(pcd, postcodes, strict=True)
    )
    terminated = table["doterm"].null_count
    assert postcodes_written - terminated == directory.counts["terminated"]
    assert 0.005 < directory.counts["terminated"] / postcodes_written < 0.015


def test_every_live_postcode_resolves_to_packaged_areas(
    directory: SynthSummary, geography: Geography
) -> None:
    on = date(2025, 6, 1)
    table = pq.read_table(directory.path)
    live = table.filter(pc.is_null(table["doterm"]))
    routes = geography.postcode_table(on)
    assert geography.unresolvable_postcode_count == 0
    assert routes.num_rows == live.num_rows
    authorities = Geography.load().authorities(on)
    assert set(routes["lad_code"].to_pylist()) == set(authorities["lad_code"].to_pylist())
    assert len(set(routes["utla_code"].to_pylist())) == 153
    for postcode in live["pcds"].to_pylist()[::997]:
        area = geography.resolve(postcode, on=on)
        assert area is not None and area.lsoa21_code.startswith("E01")


def test_authorities_get_postcodes_in_proportion_to_their_lsoas(directory: SynthSummary) -> None:
    table = pq.read_table(directory.path)
    postcodes = Counter(table["laua"].to_pylist())
    lsoas = Counter(Geography.load().lsoa_table(date(2024, 1, 1))["lad_code"].to_pylist())
    per_lsoa = directory.rows / sum(lsoas.values())
    ratios = [postcodes[lad] / (n * per_lsoa) for lad, n in lsoas.items() if n >= 60]
    assert len(ratios) > 200
    assert all(0.75 < r < 1.25 for r in ratios)


def test_same_seed_same_bytes(tmp_path: Path, directory: SynthSummary) -> None:
    rows, seed = directory.rows, directory.seed
    again = write_postcode_directory(tmp_path / "again.parquet", postcodes=rows, seed=seed)
    assert again.sha256 == directory.sha256
    assert again.path.read_bytes() == directory.path.read_bytes()
    other = write_postcode_directory(tmp_path / "other.parquet", postcodes=rows, seed=seed + 1)
    assert other.sha256 != directory.sha256


def test_csv_is_deterministic_and_readable(tmp_path: Path) -> None:
    a = write_postcode_directory(tmp_path / "a.csv", postcodes=2_000, seed=9, fmt="csv")
    b = write_postcode_directory(tmp_path / "b.csv", postcodes=2_000, seed=9, fmt="csv")
    assert a.path.read_bytes() == b.path.read_bytes()
    assert Geography.load(a.path).postcode_count == 2_000


def test_slots_spell_distinct_valid_postcodes() -> None:
    rng = np.random.default_rng(0)
    slots = np.unique(rng.integers(0, SLOT_CAPACITY, size=20_000))
    spelled = postcode_slots(slots).to_pylist()
    assert len(set(spelled)) == len(slots)
    assert all(validate_postcode(p) == p for p in spelled)
    assert not any(c in p[-2:] for p in spelled for c in "CIKMOV")


def test_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        write_postcode_directory(tmp_path / "x.parquet", postcodes=0, seed=1)
    with pytest.raises(InputError):
        write_postcode_directory(tmp_path / "x.parquet", postcodes=10, seed=1, fmt="xlsx")
    with pytest.raises(InputError):
        write_postcode_directory(tmp_path / "x.parquet", postcodes=10, seed=1, terminated_share=1)
    assert not (tmp_path / "x.parquet").exists()
