"""Fixtures shared by the whole suite: database URLs for both stores, workspaces, clocks."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings

# tests/engines.py (the engines every engine suite runs on) is imported by name from any folder.
sys.path.insert(0, str(Path(__file__).parent))

from engines import ENGINES  # noqa: E402

from accord.clock import FixedClock  # noqa: E402
from accord.workspace import Workspace  # noqa: E402

HERE = str(Path(__file__).parent)
if HERE not in sys.path:  # mesh_sandbox.py sits here (pytest's importlib import mode)
    sys.path.insert(0, HERE)

import mesh_sandbox  # noqa: E402

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
START = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def _postgres_answers() -> bool:
    try:
        with psycopg.connect(PG_ADMIN):
            return True
    except psycopg.OperationalError:
        return False


PG_AVAILABLE = _postgres_answers()
PG_REASON = "no PostgreSQL server answers on 127.0.0.1:5432; the PostgreSQL store run is SKIPPED"

STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[pytest.mark.postgres, pytest.mark.skipif(not PG_AVAILABLE, reason=PG_REASON)],
    ),
]


def pytest_configure(config: pytest.Config) -> None:
    # Measuring coverage (scripts/test.sh) slows every example, so Hypothesis's per-example
    # deadline would fail tests on timing alone; under --cov it is off (the examples are the same).
    if getattr(config.option, "cov_source", None):
        settings.register_profile("coverage", deadline=None)
        settings.load_profile("coverage")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every Spark test in one xdist group (scripts/test.sh: --dist loadgroup), so one worker
    # starts one JVM and the others never run a second local[2] Spark beside it.
    for item in items:
        if item.get_closest_marker("spark") is not None:
            item.add_marker(pytest.mark.xdist_group("spark"))


def pytest_report_header(config: pytest.Config) -> str:
    return "postgres: " + ("127.0.0.1:5432 answers" if PG_AVAILABLE else PG_REASON)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"accord_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'accord.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def workspace(tmp_path: Path, database_url: str, clock: FixedClock) -> Iterator[Workspace]:
    """A workspace on each store (SQLite, then PostgreSQL)."""
    with Workspace.init(tmp_path / "ws", database_url=database_url, clock=clock) as ws:
        yield ws


@pytest.fixture
def sqlite_workspace(tmp_path: Path, clock: FixedClock) -> Iterator[Workspace]:
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        yield ws


@pytest.fixture(scope="session")
def mesh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[mesh_sandbox.MeshServer]:
    """NHS England's MESH sandbox on 127.0.0.1 over mutual TLS, for the whole session
    (``tests/mesh_sandbox.py`` says why this one and not ``fake-mesh``)."""
    python = mesh_sandbox.sandbox_python()
    if python is None:
        pytest.skip(mesh_sandbox.SKIP_REASON)
    yield from mesh_sandbox.start(python, tmp_path_factory.mktemp("mesh"))


SPARK_TEST_SETTINGS = {
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.codegen.wholeStage": "false",
    "spark.driver.memory": "1g",
}
"""Small inputs: one shuffle partition and no whole-stage code generation (its compile time
dominates a query over a few rows). The engine is the same; only the session is tuned."""


@pytest.fixture(scope="session")
def spark_session() -> object:
    """The process's one SparkSession, started once for the whole run with test settings."""
    from accord.engine.backends.spark import session

    return session(SPARK_TEST_SETTINGS)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine of ``tests/engines.py`` in turn (Spark's session started once)."""
    if request.param == "spark":
        request.getfixturevalue("spark_session")
    return str(request.param)
