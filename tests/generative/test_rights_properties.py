"""A suppressed person never reaches any recipient; the per-person index says who was sent.

On random populations and agreements (the generators of ``test_engine_properties``), with a
random set of people whose objection was upheld (given as keyed hashes only), on both backends:

1. no delivered row belongs to a suppressed person, in any flow;
2. each delivery's index holds the keyed hash of the person of each row of its extract (a row
   without an NHS number has none), whether the run wrote it (the number not delivered) or the
   extract is its own index (``persons.json``; hashed on first lookup by hash);
3. the DuckDB backend (and, on fewer examples, Spark) writes the same index files and
   manifests as the in-memory reference.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from engines import SPARK_MISSING, SPARK_REASON
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_properties import (
    NOW,
    POSTCODES,
    SECRET,
    VALID_NHS,
    _agreement,
    _write,
    flows_strategy,
    rows_strategy,
)

from accord.engine import RunResult, persons, run_agreement

KEY = b"generative-person-index-key-0001"


def _run(backend: str, folder: Path, flows: list[dict[str, Any]], rights: list[str]) -> RunResult:
    return run_agreement(
        _agreement(flows, False),
        status="active",
        source=folder / "source.csv",
        out_dir=folder / backend,
        secret=SECRET,
        geography=POSTCODES,
        now=NOW,
        backend=backend,
        person_key=KEY,
        rights=rights,
    )


CASES = given(
    rows=rows_strategy,
    flows=flows_strategy(),
    suppressed=st.lists(st.sampled_from(VALID_NHS), unique=True, max_size=3),
)


@settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@CASES
def test_a_suppressed_person_never_reaches_any_recipient(
    rows: list[dict[str, str]], flows: list[dict[str, Any]], suppressed: list[str]
) -> None:
    _check(rows, flows, suppressed, "duckdb")


@pytest.mark.spark
@pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON)
@settings(
    derandomize=True,
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@CASES
def test_a_suppressed_person_never_reaches_any_recipient_on_spark(
    rows: list[dict[str, str]], flows: list[dict[str, Any]], suppressed: list[str]
) -> None:
    _check(rows, flows, suppressed, "spark")


def _check(
    rows: list[dict[str, str]], flows: list[dict[str, Any]], suppressed: list[str], engine: str
) -> None:
    hashes = [persons.person_hash(KEY, n) for n in suppressed]
    folder = Path(tempfile.mkdtemp(prefix="accord-rights-"))
    try:
        _write(folder / "source.csv", rows)
        results = {b: _run(b, folder, flows, hashes) for b in ("in_memory", engine)}
        reference, duck = results["in_memory"], results[engine]
        for d in reference.deliveries:  # 3. (before a lookup adds an index beside any)
            other = duck.delivery(d.flow_id)
            assert other.manifest_sha256 == d.manifest_sha256
            for name in (persons.INDEX, persons.KEY_RECORD):
                mine, theirs = d.directory / name, other.directory / name
                assert mine.is_file() == theirs.is_file()
                assert not mine.is_file() or mine.read_bytes() == theirs.read_bytes()
            assert (d.directory / persons.INDEX).is_file() != (
                d.directory / persons.KEY_RECORD
            ).is_file()
        assert duck.opted_out_rows == reference.opted_out_rows
        by_rid = {f"r{i}": r for i, r in enumerate(rows)}
        for result in results.values():
            for f in flows:
                d = result.delivery(f["id"])
                rids = pq.read_table(d.directory / "extract.parquet")["rid"].to_pylist()
                sent = {by_rid[rid]["nhs_number"] for rid in rids}
                assert not sent & set(suppressed)  # 1.
                index = persons.index_delivery(d.directory, KEY)
                people = pq.read_table(index)["person"].to_pylist()
                expected = {persons.person_hash(KEY, n) for n in sent if n}
                missing = sum(1 for rid in rids if not by_rid[rid]["nhs_number"])
                assert set(people) == expected and len(people) == len(rids) - missing  # 2.
                assert not set(people) & set(hashes)
    finally:
        shutil.rmtree(folder)
