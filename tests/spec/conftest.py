"""The spec suite's fixtures: every clause test runs on every backend.

A spec test gives an input table, one clause, and the exact extract each recipient receives.
The ``backend`` fixture runs it on every engine of ``tests/engines.py``: the in-memory reference,
DuckDB and Spark.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from engines import ENGINES  # tests/engines.py (see tests/conftest.py)

from accord.engine import run_agreement
from accord.model import Agreement

# The helpers sit beside this file; tests/ has no packages, so put this folder on the path.
sys.path.insert(0, str(Path(__file__).parent))
from engine_spec import (  # noqa: E402
    NOW,
    POSTCODES,
    SECRET,
    Outcome,
    Runner,
    read_delivery,
    write_csv,
)


@pytest.fixture(params=ENGINES)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(backend: str, tmp_path: Path) -> Runner:
    """``run(agreement, rows, **kwargs)`` -> extracts per flow id, exceptions, result."""
    counter = iter(range(1000))

    def go(a: Agreement, rows: list[dict[str, str]], **kwargs: Any) -> Outcome:
        n = next(counter)
        source = kwargs.pop("source", None) or write_csv(tmp_path / f"source-{n}.csv", rows)
        result = run_agreement(
            a,
            status="active",
            source=source,
            out_dir=kwargs.pop("out_dir", tmp_path / "out"),
            secret=kwargs.pop("secret", SECRET),
            geography=kwargs.pop("geography", POSTCODES),
            now=kwargs.pop("now", NOW),
            backend=backend,
            **kwargs,
        )
        extracts = {
            d.flow_id: read_delivery(result, d.flow_id).to_pylist() for d in result.deliveries
        }
        exceptions = pq.read_table(result.exceptions_path).to_pylist()
        return Outcome(result, extracts, exceptions)

    return go
