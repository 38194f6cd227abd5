"""PostgreSQL under faults (issue 19): the connection dropped mid-transaction, and 100 writers.

- A second connection terminates the session's backend (``pg_terminate_backend``) at a chosen
  point inside an approval, an activation, a run's record and a ledger append: the caller gets
  :class:`~accord.errors.StoreUnavailable` saying nothing was saved; nothing of the change is
  stored (no approval, no state change, no ledger leaf); the ledger verifies; a retry
  completes.
- 100 concurrent writers, released together, each append one event in its own transaction:
  every event is a leaf exactly once, the indices are ``0..n-1`` with no gap, the event ids are
  distinct, and the exported log verifies. (The time they take is printed by
  ``benchmarks/ledger_concurrent.py``, never asserted.)
"""

from __future__ import annotations

import threading
from pathlib import Path

import fault_world as world
import killpoints
import psycopg
import pytest

from accord.errors import StoreUnavailable
from accord.ledger.events import DeliveryMade, IncidentDeclared
from accord.service import agreements, approvals
from accord.service._ledger import iso, record
from accord.workspace import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

APPEND = "accord.ledger.log:Ledger._append"
COMMIT = "sqlalchemy.engine.base:Connection._commit_impl"
WRITERS = 100

POINTS = [
    # the last approval (which moves the version to approved)
    ("approve", f"after {APPEND} 1"),  # approval row and leaf written, not committed
    ("approve", f"before {COMMIT} 1 accord.service.approvals:approve"),
    ("activate", f"after {APPEND} 1"),
    ("activate", f"before {COMMIT} 1 accord.service.agreements:transition"),
    ("run", f"after {APPEND} 1"),  # deliveries published, their record not committed
    ("append", f"after {APPEND} 1"),
]


def _terminate_others(url: str) -> None:
    """From a second connection, terminate every other backend on the test's database."""
    name = url.rsplit("/", 1)[1]
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
    assert killed is not None and killed[0] >= 1


def _state(ws: Workspace) -> tuple[object, ...]:
    return (
        world.leaf_hashes(ws),
        sorted(r.signature for r in approvals.recorded(ws, world.APPROVE_ID)),
        [agreements.get(ws, a).status for a in (world.APPROVE_ID, world.ACTIVATE_ID)],
    )


@pytest.mark.parametrize(("op", "point"), POINTS, ids=[f"{o}:{p}" for o, p in POINTS])
def test_a_connection_dropped_mid_transaction_leaves_nothing_and_says_so(
    op: str, point: str, tmp_path: Path, postgres_url: str
) -> None:
    root = tmp_path / "ws"
    world.build(root, database_url=postgres_url)
    with world.open_world(root, database_url=postgres_url) as ws:
        world.do_approve(ws, leave=1)  # four of five given; the fault is in the fifth
        before = _state(ws)
        with (
            pytest.raises(StoreUnavailable) as caught,
            killpoints.at_point(point, lambda: _terminate_others(postgres_url)) as hook,
        ):
            world.OPERATIONS[op](ws)
        assert hook.seen >= hook.nth
        assert "nothing of this change was saved" in caught.value.message
        assert caught.value.exit_code == 10 and caught.value.http_status == 503

        assert _state(ws) == before  # no approval, no state change, no leaf
        world.approvals_agree(ws)
        world.recipients_see(ws)
        assert world.ledger_verifies(ws, tmp_path / "after-drop") == len(before[0])

        world.OPERATIONS[op](ws)  # the retry, on fresh connections
        world.approvals_agree(ws)
        seen = world.recipients_see(ws)
        size = world.ledger_verifies(ws, tmp_path / "after-retry")
        assert size > len(before[0])
        if op == "run":
            assert len(seen.recorded) == 2
        if op == "approve":
            assert agreements.get(ws, world.APPROVE_ID).status.value == "approved"
        if op == "activate":
            assert agreements.get(ws, world.ACTIVATE_ID).status.value == "active"


def test_100_concurrent_writers_each_append_exactly_one_leaf(
    tmp_path: Path, postgres_url: str
) -> None:
    with Workspace.init(tmp_path / "ws", database_url=postgres_url) as ws:
        base = ws.ledger.size()
        barrier = threading.Barrier(WRITERS)
        failures: list[BaseException] = []

        def write(i: int) -> None:
            event = IncidentDeclared(
                at=iso(world.AT), incident_id=f"writer-{i:03d}", title="load", declared_by="t"
            )
            barrier.wait()
            try:
                record(ws, event)
            except BaseException as exc:  # noqa: BLE001 - the test reports any failure
                failures.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not failures, failures[:3]

        size = ws.ledger.size()
        assert size == base + WRITERS
        entries = [ws.ledger.entry(i) for i in range(size)]
        assert [e.index for e in entries] == list(range(size))  # contiguous, from 0
        written = [e.event.incident_id for e in entries if isinstance(e.event, IncidentDeclared)]
        assert sorted(written) == [f"writer-{i:03d}" for i in range(WRITERS)]  # each once
        assert len({e.event_id for e in entries}) == size
        assert not any(isinstance(e.event, DeliveryMade) for e in entries)
        assert world.ledger_verifies(ws, tmp_path / "export") == size
