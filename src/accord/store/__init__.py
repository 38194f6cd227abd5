"""accord.store: persistence through SQLAlchemy (SQLite by default, PostgreSQL when
``ACCORD_DATABASE_URL`` says so) and Alembic migrations.

Owns table definitions and migrations. Imports only ``accord.errors`` and ``accord.store`` modules;
it never imports the model's business rules, the engine, the server or the CLI.
"""

from __future__ import annotations

from sqlalchemy import Engine

from accord.store.base import make_engine, metadata
from accord.store.migrate import upgrade


def open_store(url: str) -> Engine:
    """An engine on ``url`` with the schema brought up to date."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


__all__ = ["make_engine", "metadata", "open_store"]
