"""The synthetic population: columns, controlled shares, routing, determinism, streaming."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.errors import InputError
from accord.refdata import (
    Geography,
    postcode_normalise_sql,
    validate_iso_date,
    validate_nhs_number,
    validate_ods_code,
    validate_postcode,
    validate_uprn,
)
from accord.synth import POPULATION_COLUMNS, DataQuality, SynthSummary, write_population

ON = date(2025, 6, 1)


def _rows(summary: SynthSummary) -> list[dict[str, str | None]]:
    return pq.read_table(summary.path).to_pylist()


def _within(count: int, n: int, share: float, sigmas: float = 4.5) -> bool:
    expected = n * share
    spread = sigmas * (n * share * (1 - share)) ** 0.5 + 1
    return abs(count - expected) <= spread


def _fails(validate: object, value: str | None) -> bool:
    try:
        validate(value)  # type: ignore[operator]
    except InputError:
        return True
    return False


def test_columns_are_text_in_order(population: SynthSummary) -> None:
    schema = pq.read_schema(population.path)
    assert tuple(schema.names) == POPULATION_COLUMNS
    assert all(t == pa.string() for t in schema.types)
    assert population.rows == 30_000


def test_nhs_numbers_unique_with_controlled_invalid_share(population: SynthSummary) -> None:
    rows = _rows(population)
    numbers = [r["nhs_number"] for r in rows]
    assert len(set(numbers)) == len(numbers)
    bad = [n for n in numbers if _fails(validate_nhs_number, n)]
    counts = population.counts
    assert len(bad) == counts["invalid_nhs_number"] + counts["malformed_nhs_number"]
    assert _within(counts["invalid_nhs_number"], len(rows), 0.002)
    assert sum(len(n) == 9 for n in bad) == counts["malformed_nhs_number"]
    assert all(n.startswith("999") for n in numbers)
    assert population.details["nhs_prefix"] == "999"


def test_postcode_faults_match_the_summary_and_shares(
    population: SynthSummary, geography: Geography
) -> None:
    rows = _rows(population)
    missing = malformed = unknown = resolved = 0
    for r in rows[::3]:
        postcode = r["postcode"]
        if postcode is None:
            missing += 1
        elif _fails(validate_postcode, postcode):
            malformed += 1
        elif geography.resolve(postcode, on=ON) is None:
            unknown += 1
        else:
            resolved += 1
    n = len(rows[::3])
    assert _within(unknown, n, 0.005) and unknown > 0
    assert malformed > 0 or missing > 0
    assert resolved == n - missing - malformed - unknown


def test_every_known_postcode_routes_in_duckdb(
    population: SynthSummary, geography: Geography
) -> None:
    con = duckdb.connect()
    con.register("routes", geography.postcode_table(ON))
    routed, utlas = con.execute(
        f"SELECT count(r.utla_code), count(DISTINCT r.utla_code) "
        f"FROM read_parquet('{population.path}') p "
        f"LEFT JOIN routes r ON r.postcode = {postcode_normalise_sql('p.postcode')}"
    ).fetchone()
    c = population.counts
    assert routed == population.rows - (
        c["unknown_postcode"] + c["malformed_postcode"] + c["missing_postcode"]
    )
    assert utlas >= 148  # the smallest (Isles of Scilly, City of London) may get nobody


def test_other_columns_are_plausible(population: SynthSummary) -> None:
    rows = _rows(population)
    phones = [r["phone"] for r in rows]
    drama = re.compile(r"07700 900\d{3}|01632 960\d{3}|020 7946 0\d{3}|01\d\d 496 0\d{3}")
    missing_phone = sum(p is None for p in phones)
    invalid_phone = sum(p is not None and not drama.fullmatch(p) for p in phones)
    assert (missing_phone, invalid_phone) == (
        population.counts["missing_phone"],
        population.counts["invalid_phone"],
    )
    assert _within(missing_phone, len(rows), 0.12) and _within(invalid_phone, len(rows), 0.06)
    for r in rows[::7]:
        validate_iso_date(r["date_of_birth"])
        validate_ods_code(r["gp_practice_ods"], kind="gp")
        if r["uprn"] is not None:
            validate_uprn(r["uprn"])
        assert r["sex"] in {"F", "M", "U"}
        assert r["given_name"] and r["family_name"] and r["address_line_1"]
        assert r["diagnosis_snomed"].isdigit()
    groups = Counter(r["clinical_group"] for r in rows)
    assert set(groups) == {
        "transplant",
        "cancer_chemo",
        "respiratory_severe",
        "rare_disease",
        "immunosuppression",
        "pregnant_heart_disease",
    }
    assert max(r["date_of_birth"] for r in rows) <= "2020-03-23"


def test_same_seed_same_bytes_other_seed_differs(
    tmp_path: Path, population: SynthSummary, directory: SynthSummary
) -> None:
    again = write_population(
        tmp_path / "again.parquet",
        rows=population.rows,
        seed=population.seed,
        postcode_directory=directory.path,
    )
    assert again.path.read_bytes() == population.path.read_bytes()
    other = write_population(
        tmp_path / "other.parquet",
        rows=population.rows,
        seed=population.seed + 1,
        postcode_directory=directory.path,
    )
    assert other.sha256 != population.sha256


def test_csv_is_deterministic_and_matches_parquet_values(
    tmp_path: Path, directory: SynthSummary
) -> None:
    kwargs = {"rows": 3_000, "seed": 4, "postcode_directory": directory.path}
    a = write_population(tmp_path / "a.csv", fmt="csv", **kwargs)  # type: ignore[arg-type]
    b = write_population(tmp_path / "b.csv", fmt="csv", **kwargs)  # type: ignore[arg-type]
    p = write_population(tmp_path / "p.parquet", **kwargs)  # type: ignore[arg-type]
    assert a.path.read_bytes() == b.path.read_bytes()
    from_csv = duckdb.sql(
        f"SELECT nhs_number, postcode FROM read_csv('{a.path}', all_varchar=true)"
    ).fetchall()
    from_parquet = duckdb.sql(f"SELECT nhs_number, postcode FROM '{p.path}'").fetchall()
    assert [(n, pc or None) for n, pc in from_csv] == from_parquet


def test_shares_are_parameters(tmp_path: Path, directory: SynthSummary) -> None:
    summary = write_population(
        tmp_path / "p.parquet",
        rows=5_000,
        seed=2,
        postcode_directory=directory.path,
        invalid_nhs_share=0.1,
        unknown_postcode_share=0.2,
        quality=DataQuality(missing_phone_share=0.0, invalid_phone_share=0.0),
    )
    assert _within(summary.counts["invalid_nhs_number"], 5_000, 0.1)
    assert _within(summary.counts["unknown_postcode"], 5_000, 0.2)
    assert summary.counts["missing_phone"] == summary.counts["invalid_phone"] == 0


def test_progress_reports_every_row(tmp_path: Path, directory: SynthSummary) -> None:
    seen: list[int] = []
    write_population(
        tmp_path / "p.parquet",
        rows=1_000,
        seed=1,
        postcode_directory=directory.path,
        progress=seen.append,
    )
    assert sum(seen) == 1_000


def test_arguments_are_checked(tmp_path: Path, directory: SynthSummary) -> None:
    with pytest.raises(InputError):
        write_population(tmp_path / "p.parquet", rows=0, seed=1, postcode_directory=directory.path)
    with pytest.raises(InputError):
        write_population(
            tmp_path / "p.parquet",
            rows=10,
            seed=1,
            postcode_directory=directory.path,
            invalid_nhs_share=0.9,
        )
    with pytest.raises(InputError, match="NHS number prefix"):
        write_population(
            tmp_path / "p.parquet",
            rows=10_000,
            seed=1,
            postcode_directory=directory.path,
            nhs_prefix="999999",
        )
    assert not (tmp_path / "p.parquet").exists()


_STREAMING_PROBE = """
import json, resource, sys
import pyarrow as pa
from accord.synth import write_population
peaks, rss = [], []
for rows in (270_000, 800_000):
    write_population(sys.argv[1], rows=rows, seed=1, postcode_directory=sys.argv[2])
    peaks.append(pa.default_memory_pool().max_memory())
    rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
print(json.dumps({"arrow_peaks": peaks, "rss_peaks": rss}))
"""


@pytest.mark.slow
def test_memory_stays_flat_as_rows_grow(tmp_path: Path, directory: SynthSummary) -> None:
    """Writing 3x more rows must not raise Arrow's peak allocation: rows are streamed."""
    out = subprocess.run(
        [sys.executable, "-c", _STREAMING_PROBE, str(tmp_path / "p.parquet"), str(directory.path)],
        check=True,
        capture_output=True,
        text=True,
    )
    probe = json.loads(out.stdout)
    small, large = probe["arrow_peaks"]
    assert large - small < 64 * 2**20  # 530,000 more rows of ~12 text fields would be far more
    # The process's peak RSS after each size: where it starts depends on the machine (and on
    # coverage tracing: 755 MB in CI once), how much it grows with 3x the rows does not.
    rss_small, rss_large = probe["rss_peaks"]
    assert rss_large - rss_small < 192 * 2**20, probe  # 93 MB here; Python rows would be 400+
    assert pq.read_metadata(tmp_path / "p.parquet").num_rows == 800_000
