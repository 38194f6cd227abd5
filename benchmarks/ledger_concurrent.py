"""Benchmark concurrent ledger writers on PostgreSQL: N writers at once against one after another.

    .venv/bin/python benchmarks/ledger_concurrent.py --writers 100
    .venv/bin/python benchmarks/ledger_concurrent.py --url postgresql+psycopg://...

Makes a fresh database on the server at 127.0.0.1:5432 (or uses ``--url``), then:

- baseline: ``--writers`` events appended one after another, one transaction each;
- concurrent: ``--writers`` threads released together by a barrier, one event each, each in its
  own transaction through the workspace's connection pool (as API requests are);

and prints both wall times, their ratio, and that the log came out whole (every event once,
indices contiguous, the export verifies). Figures to compare on one machine, never asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from accord.clock import FixedClock
from accord.ledger.events import IncidentDeclared
from accord.ledger.verify import verify_export
from accord.service._ledger import iso, record
from accord.workspace import Workspace

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


def _event(tag: str) -> IncidentDeclared:
    return IncidentDeclared(at=iso(NOW), incident_id=tag, title="bench", declared_by="bench")


def sequential(ws: Workspace, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        record(ws, _event(f"seq-{i}"))
    return time.perf_counter() - start


def concurrent(ws: Workspace, n: int) -> float:
    barrier = threading.Barrier(n + 1)
    failures: list[BaseException] = []

    def write(i: int) -> None:
        barrier.wait()
        try:
            record(ws, _event(f"con-{i}"))
        except BaseException as exc:  # noqa: BLE001 - counted and printed below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} writers failed, first: {failures[0]!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=100)
    parser.add_argument("--url", help="a PostgreSQL URL to use instead of a fresh database")
    args = parser.parse_args()
    name = None
    url = args.url
    if url is None:
        name = f"accord_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace.init(Path(tmp) / "ws", database_url=url, clock=FixedClock(NOW))
            with ws:
                base = ws.ledger.size()
                seq = sequential(ws, args.writers)
                con = concurrent(ws, args.writers)
                size = ws.ledger.size()
                tags = [ws.ledger.entry(i).event for i in range(base, size)]
                ids = sorted(getattr(e, "incident_id", "") for e in tags)
                whole = size == base + 2 * args.writers and len(set(ids)) == 2 * args.writers
                ws.ledger.export(Path(tmp) / "export", now=NOW)
                verified = verify_export(Path(tmp) / "export").size
    finally:
        if name is not None:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    n = args.writers
    print(f"writers: {n} (PostgreSQL, one event each, one transaction each)")
    print(f"one after another: {seq:.3f} s ({n / seq:.0f} appends/s)")
    print(f"all at once:       {con:.3f} s ({n / con:.0f} appends/s)")
    print(f"concurrent / sequential: {con / seq:.2f}x")
    print(f"log whole: {whole} (size {size}, every event once); export verifies: {verified} leaves")


if __name__ == "__main__":
    main()
