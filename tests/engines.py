"""The engines every engine-level test runs on: add an engine here and it joins every suite.

``ENGINES`` is the list the conformance suite (``tests/conformance``), the clause spec suite
(``tests/spec``) and the engine property tests (``tests/generative``) parametrise over. An
engine whose library is not installed is skipped, saying so (``pip install 'accord[spark]'``).
"""

from __future__ import annotations

import importlib.util

import pytest

REFERENCE = "in_memory"
SPARK_MISSING = importlib.util.find_spec("pyspark") is None
SPARK_REASON = "pyspark is not installed (pip install 'accord[spark]'); the Spark engine is SKIPPED"

ENGINES = [
    pytest.param("in_memory", id="in_memory"),
    pytest.param("duckdb", id="duckdb"),
    pytest.param(
        "spark",
        id="spark",
        marks=[pytest.mark.spark, pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON)],
    ),
]
"""Every engine, the reference first."""

OTHER_ENGINES = ENGINES[1:]
"""Every engine but the reference, for tests that compare an engine with it."""
