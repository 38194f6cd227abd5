"""Engine creation and the one SQLAlchemy ``MetaData`` every accord table belongs to.

Each subsystem declares its tables in its own ``accord.store`` module against
:data:`metadata`; Alembic migrations in ``accord/store/migrations`` create them.
"""

from __future__ import annotations

from sqlalchemy import Engine, ExceptionContext, MetaData, create_engine, event

from accord.errors import Problem, StoreUnavailable

DEFAULT_SQLITE_NAME = "accord.sqlite"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets foreign keys and a busy timeout.

    A connection lost mid-statement or mid-commit (the server restarted, the session was
    terminated, the network dropped) raises :class:`~accord.errors.StoreUnavailable`: the
    database has rolled the transaction back, so the message can say nothing was saved.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "handle_error", _connection_lost)
    return engine


def _connection_lost(context: ExceptionContext) -> None:
    """Turn a dropped connection into the one error a person can act on."""
    if context.is_pre_ping or not context.is_disconnect:
        return  # a stale pooled connection is replaced silently; other errors are as they are
    raise StoreUnavailable(
        "the database connection was lost mid-transaction; the database rolled it back, so"
        " nothing of this change was saved (its ledger events neither)",
        [Problem("database", "retry once the database answers again")],
    ) from context.original_exception
