"""An auditor verifies a log with the ledger alone: no pyarrow, duckdb, numpy, SQLAlchemy,
pydantic, FastAPI or Typer (issue 12, item 6).

The checks run in a fresh interpreter whose meta path refuses every package outside the
ledger's own dependencies, so an eager import anywhere on the path fails the test.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.ledger.events import DeliveryMade
from accord.ledger.keys import KeyStore
from accord.ledger.log import Ledger
from accord.store import open_store

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[3] / "src"
BLOCKED = (
    "pyarrow", "duckdb", "numpy", "pandas", "sqlalchemy", "alembic", "pydantic", "fastapi",
    "starlette", "uvicorn", "typer", "rich", "jinja2", "httpx", "yaml", "argon2", "psycopg",
)  # fmt: skip

BLOCKER = textwrap.dedent(
    f"""
    import sys
    from importlib.abc import MetaPathFinder

    sys.path.insert(0, {str(SRC)!r})

    class Blocker(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {BLOCKED!r}:
                raise ModuleNotFoundError(f"blocked for this test: {{name}}", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    for name in list(sys.modules):
        if name.split(".")[0] in {BLOCKED!r}:
            del sys.modules[name]
    """
)


def run_blocked(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = BLOCKER + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-I", "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ledger")
    engine = open_store(f"sqlite:///{root / 'accord.sqlite'}")
    keys = KeyStore(root / "keys")
    ledger = Ledger(engine, keys)
    ledger.append_many(
        [
            DeliveryMade(
                agreement_id="a",
                agreement_version="1.0.0",
                agreement_hash="ab" * 32,
                at="2026-03-16T09:00:00Z",
                delivery_id=f"d-{i}",
                recipient="gss:E06000001",
                manifest_sha256="cd" * 32,
                row_count=i,
            )  # fmt: skip
            for i in range(7)
        ],
        NOW,
    )
    ledger.export(root / "export", now=NOW)
    engine.dispose()
    return root / "export"


def test_the_blocker_really_blocks() -> None:
    done = run_blocked("import accord.engine")
    assert done.returncode != 0 and "blocked for this test" in done.stderr


def test_merkle_and_verify_import_without_the_data_stack(export: Path) -> None:
    done = run_blocked(
        """
        import sys
        import accord
        import accord.ledger.merkle
        from accord.ledger.verify import verify_export
        print(verify_export(sys.argv[1]).verdict())
        print(accord.__version__)
        """,
        str(export),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: 7 events verified against 1 signed tree heads")
    assert "0.1.0" in done.stdout


def test_python_m_accord_ledger_verifies_and_fails_with_exit_6(export: Path) -> None:
    run = "import runpy; runpy.run_module('accord.ledger', run_name='__main__')"
    ok = run_blocked(f"import sys; sys.argv[0] = 'x'; {run}", "verify", str(export))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("\n") == 1 and ok.stdout.startswith("OK: 7 events verified")

    entries = export / "entries.jsonl"
    original = entries.read_text()
    try:
        entries.write_text(original.replace('"row_count":4', '"row_count":5'))
        bad = run_blocked(f"import sys; sys.argv[0] = 'x'; {run}", "verify", str(export))
    finally:
        entries.write_text(original)
    assert bad.returncode == 6, bad.stderr
    assert bad.stdout.startswith("FAILED: ledger fails verification at index 4")
