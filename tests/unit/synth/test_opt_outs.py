"""Synthetic NDOO and Type 1 opt-out lists drawn from a population."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.errors import InputError, SourceError
from accord.refdata import validate_nhs_number
from accord.synth import SynthSummary, write_opt_outs, write_population

LIST_DATE = date(2020, 4, 1)


def _list(tmp_path: Path, population: Path, kind: str = "ndoo", **kw: object) -> SynthSummary:
    return write_opt_outs(
        tmp_path / f"{kind}.parquet",
        population=population,
        share=0.03,
        seed=8,
        kind=kind,
        version=f"{kind}-v1",
        list_date=LIST_DATE,
        **kw,  # type: ignore[arg-type]
    )


def test_list_holds_about_the_share_of_valid_numbers(
    tmp_path: Path, population: SynthSummary
) -> None:
    summary = _list(tmp_path, population.path)
    table = pq.read_table(summary.path)
    assert table.column_names == ["nhs_number", "list_kind", "list_version", "list_date"]
    numbers = table["nhs_number"].to_pylist()
    assert len(numbers) == len(set(numbers)) == summary.rows == summary.counts["listed"]
    assert all(validate_nhs_number(n) == n for n in numbers)
    people = set(pq.read_table(population.path, columns=["nhs_number"])["nhs_number"].to_pylist())
    assert set(numbers) <= people
    assert abs(len(numbers) - 0.03 * population.rows) < 4.5 * (0.03 * population.rows) ** 0.5
    assert set(table["list_kind"].to_pylist()) == {"ndoo"}
    assert set(table["list_version"].to_pylist()) == {"ndoo-v1"}
    assert set(table["list_date"].to_pylist()) == {"2020-04-01"}


def test_kinds_differ_and_each_is_deterministic(tmp_path: Path, population: SynthSummary) -> None:
    ndoo = _list(tmp_path, population.path, "ndoo")
    type1 = _list(tmp_path, population.path, "type1")
    again = write_opt_outs(
        tmp_path / "again.parquet",
        population=population.path,
        share=0.03,
        seed=8,
        kind="ndoo",
        version="ndoo-v1",
        list_date=LIST_DATE,
    )
    assert again.path.read_bytes() == ndoo.path.read_bytes()
    a = set(pq.read_table(ndoo.path)["nhs_number"].to_pylist())
    b = set(pq.read_table(type1.path)["nhs_number"].to_pylist())
    assert a != b and a & b  # independent draws overlap a little, as real lists do


def test_csv_population_and_csv_list(tmp_path: Path, directory: SynthSummary) -> None:
    people = write_population(
        tmp_path / "p.csv",
        rows=4_000,
        seed=3,
        postcode_directory=directory.path,
        fmt="csv",
        invalid_nhs_share=0.2,
    )
    summary = _list(tmp_path, people.path, fmt="csv")
    lines = summary.path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"nhs_number","list_kind","list_version","list_date"'
    assert len(lines) - 1 == summary.rows > 0
    for line in lines[1:]:
        validate_nhs_number(line.split(",")[0].strip('"'))


def test_arguments_are_checked(tmp_path: Path, population: SynthSummary) -> None:
    with pytest.raises(InputError, match="kind"):
        _list(tmp_path, population.path, "type2")
    with pytest.raises(InputError):
        write_opt_outs(
            tmp_path / "x.parquet",
            population=population.path,
            share=1.5,
            seed=1,
            version="v",
            list_date=LIST_DATE,
        )
    with pytest.raises(InputError):
        write_opt_outs(
            tmp_path / "x.parquet",
            population=population.path,
            share=0.1,
            seed=1,
            version=" ",
            list_date=LIST_DATE,
        )
    with pytest.raises(SourceError):
        write_opt_outs(
            tmp_path / "x.parquet",
            population=tmp_path / "absent.parquet",
            share=0.1,
            seed=1,
            version="v",
            list_date=LIST_DATE,
        )
    assert not (tmp_path / "x.parquet").exists()
