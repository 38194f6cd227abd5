"""Daily deltas: about 1% of people change each day (added, removed, moved elsewhere)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.errors import InputError
from accord.refdata import Geography, validate_postcode
from accord.synth import DailyChanges, SynthSummary, write_delta

ON = date(2025, 6, 1)


def _by_number(path: Path) -> dict[str, dict[str, str | None]]:
    return {r["nhs_number"]: r for r in pq.read_table(path).to_pylist()}


def _utla(geography: Geography, postcode: str | None) -> str | None:
    if postcode is None:
        return None
    try:
        area = geography.resolve(validate_postcode(postcode), on=ON)
    except InputError:
        return None
    return None if area is None else area.utla_code


@pytest.fixture(scope="module")
def days(
    tmp_path_factory: pytest.TempPathFactory, population: SynthSummary, directory: SynthSummary
) -> list[SynthSummary]:
    folder = tmp_path_factory.mktemp("delta")
    return [
        write_delta(
            folder / f"day{d}.parquet",
            rows=population.rows,
            seed=population.seed,
            day=d,
            postcode_directory=directory.path,
        )
        for d in (0, 1, 2)
    ]


def test_day_zero_is_the_population(days: list[SynthSummary], population: SynthSummary) -> None:
    assert days[0].path.read_bytes() == population.path.read_bytes()


def test_one_day_of_changes(days: list[SynthSummary], geography: Geography) -> None:
    before, after = _by_number(days[0].path), _by_number(days[1].path)
    added = after.keys() - before.keys()
    removed = before.keys() - after.keys()
    moved = [
        n for n in before.keys() & after.keys() if before[n]["postcode"] != after[n]["postcode"]
    ]
    counts = days[1].counts
    assert (len(added), len(removed), len(moved)) == (
        counts["added"],
        counts["removed"],
        counts["moved"],
    )
    assert counts["added"] == round(days[0].rows * DailyChanges().add_share)
    changed = len(added) + len(removed) + len(moved)
    assert 0.006 < changed / days[0].rows < 0.014
    assert days[1].rows == days[0].rows + len(added) - len(removed)
    for number in moved:
        old, new = before[number], after[number]
        assert _utla(geography, new["postcode"]) is not None
        assert _utla(geography, new["postcode"]) != _utla(geography, old["postcode"])
        assert (old["given_name"], old["date_of_birth"]) == (
            new["given_name"],
            new["date_of_birth"],
        )
    for number in list(before.keys() & after.keys())[:500]:
        if number not in moved:
            assert before[number] == after[number]


def test_changes_persist_and_numbers_stay_unique(days: list[SynthSummary]) -> None:
    day0, day1, day2 = (_by_number(s.path) for s in days)
    assert not (day0.keys() - day1.keys()) & day2.keys()  # the removed stay removed
    assert len(day1.keys() - day2.keys()) == days[2].counts["removed"]
    assert len(day2.keys() - day1.keys()) == days[2].counts["added"]
    joined_day1 = day1.keys() - day0.keys()
    kept = joined_day1 & day2.keys()
    assert len(kept) >= len(joined_day1) - 5  # a few may leave the next day
    for number in kept:
        assert day1[number]["date_of_birth"] == day2[number]["date_of_birth"]
    assert len(day2) == days[2].rows  # NHS numbers unique, including everyone added


def test_deltas_are_deterministic(
    tmp_path: Path, days: list[SynthSummary], population: SynthSummary, directory: SynthSummary
) -> None:
    again = write_delta(
        tmp_path / "d2.parquet",
        rows=population.rows,
        seed=population.seed,
        day=2,
        postcode_directory=directory.path,
    )
    assert again.sha256 == days[2].sha256


def test_arguments_are_checked(tmp_path: Path, directory: SynthSummary) -> None:
    with pytest.raises(InputError):
        write_delta(
            tmp_path / "d.parquet", rows=10, seed=1, day=-1, postcode_directory=directory.path
        )
    with pytest.raises(InputError):
        DailyChanges(add_share=0.9)
    with pytest.raises(InputError, match="NHS number prefix"):
        write_delta(
            tmp_path / "d.parquet",
            rows=8_000,
            seed=1,
            day=200,
            postcode_directory=directory.path,
            nhs_prefix="99999",
        )
