"""Scenario S18 on the Spark engine: the whole emergency exercise with ``engine="spark"``, held to
the same exercise on DuckDB (same seed, same clock).

Each workspace has its own secret, which run ids depend on, so deliveries are matched by flow
folder and creation time; every delivered file (extracts, additions, removals) must have the same
SHA-256, and the after-action figures must agree. 1,000 people keep it to about a minute:
most of it is Spark's start and its per-query overhead, not rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from engines import SPARK_MISSING, SPARK_REASON  # tests/engines.py

from accord.exercise import Options, run_exercise
from accord.exercise.result import ExerciseResult

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON),
]

START = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


def _files(out: Path) -> dict[str, str]:
    """Every delivered file's SHA-256 as its manifest records it, by flow folder, creation time
    and file name."""
    root = out / "workspace" / "deliveries"
    found: dict[str, str] = {}
    for manifest in sorted(root.glob("*/*/*/*/manifest.json")):
        flow = manifest.parent.parent.relative_to(root).as_posix()
        data = json.loads(manifest.read_bytes())
        for name, sha in data["files"].items():
            found[f"{flow}/{data['created']}/{name}"] = sha
    return found


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ExerciseResult, Path]]:
    runs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path_factory.mktemp(f"exercise-{engine}") / "ex"
        options = Options(out=out, rows=1_000, seed=7, engine=engine)
        runs[engine] = (run_exercise(options, start=START), out)
    return runs


def test_the_exercise_on_spark_completes_every_stage_as_on_duckdb(
    both: dict[str, tuple[ExerciseResult, Path]],
) -> None:
    duck, spark = both["duckdb"][0], both["spark"][0]
    assert spark.population == duck.population == 1_000
    assert spark.delivered_rows == duck.delivered_rows > 0
    assert spark.exceptions == duck.exceptions
    assert spark.exceptions_by_reason == duck.exceptions_by_reason
    assert spark.rows_per_recipient == duck.rows_per_recipient
    assert spark.recipients_served == duck.recipients_served >= 100
    assert spark.ledger_verdict.startswith("OK") and duck.ledger_verdict.startswith("OK")
    for engine, (_, out) in both.items():  # each engine really ran every run of its exercise
        records = list((out / "workspace" / "runs").glob("*/*/run.json"))
        assert len(records) >= 3
        assert {json.loads(r.read_bytes())["backend"] for r in records} == {engine}


def test_the_exercise_on_spark_delivers_the_same_bytes_as_on_duckdb(
    both: dict[str, tuple[ExerciseResult, Path]],
) -> None:
    duck, spark = _files(both["duckdb"][1]), _files(both["spark"][1])
    # three runs (go live, the day-1 delta, the day-2 lapse) across 153 councils
    assert len(duck) > 300
    assert spark == duck
