"""Benchmark the ledger: append events to a SQLite-backed workspace, then prove and verify.

    .venv/bin/python benchmarks/ledger_append.py --events 1000000

Prints, for a log of ``--events`` entries:

- single-append throughput (one transaction per event, ``--single`` events) and batched
  throughput (``append_many`` in batches of ``--batch``), in events per second;
- the time to sign a tree head, to make and check an inclusion proof (median and worst over
  ``--proofs`` random events) and a consistency proof, at the full size;
- with ``--export``, the time to export the log and to verify the export offline;
- peak resident memory (``resource.getrusage``) after each phase: the log is never held in
  memory, so it should stay flat as the log grows.

Timings are figures to compare runs on the same machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from random import Random

from accord.clock import FixedClock
from accord.ledger.events import DeliveryMade
from accord.ledger.merkle import verify_consistency, verify_inclusion
from accord.ledger.verify import verify_export
from accord.workspace import Workspace

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def events(start: int, count: int) -> Iterator[DeliveryMade]:
    for i in range(start, start + count):
        yield DeliveryMade(
            agreement_id=f"agreement-{i % 97}",
            agreement_version="1.0.0",
            agreement_hash=f"{i % 97:064x}",
            at="2026-03-16T09:00:00.000000Z",
            delivery_id=f"delivery-{i}",
            recipient=f"gss:E06{i % 153:06d}",
            manifest_sha256=f"{i:064x}",
            row_count=i % 5000,
        )


def report(label: str, value: str) -> None:
    print(f"{label:<44} {value}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=5_000, help="appended one at a time")
    parser.add_argument("--batch", type=int, default=10_000, help="events per append_many")
    parser.add_argument("--proofs", type=int, default=200)
    parser.add_argument("--export", action="store_true", help="also export and verify")
    parser.add_argument("--dir", type=Path, default=None, help="workspace folder (default: temp)")
    args = parser.parse_args(argv)

    root = args.dir or Path(tempfile.mkdtemp(prefix="accord-ledger-bench-"))
    ws = Workspace.init(root / "ws", clock=FixedClock(NOW))
    ledger = ws.ledger
    total, single = args.events, min(args.single, args.events)
    report("python", sys.version.split()[0])
    report("events", f"{total:,} (SQLite, WAL, {ws.database_url.split('/')[-1]})")

    started = time.perf_counter()
    for event in events(0, single):
        ledger.append(event, NOW)
    elapsed = time.perf_counter() - started
    report("single append (1 event per transaction)", f"{single / elapsed:,.0f} events/s")

    started = time.perf_counter()
    done = single
    while done < total:
        count = min(args.batch, total - done)
        ledger.append_many(events(done, count), NOW)
        done += count
    elapsed = time.perf_counter() - started
    if total > single:
        batched = total - single
        report(
            f"batched append ({args.batch:,} per transaction)",
            f"{batched / elapsed:,.0f} events/s ({batched:,} in {elapsed:.1f} s)",
        )
    report("peak memory after appends", f"{peak_mib():.0f} MiB")

    started = time.perf_counter()
    head = ledger.tree_head(NOW)
    report(
        "sign tree head", f"{(time.perf_counter() - started) * 1000:.1f} ms (size {head.size:,})"
    )

    rng = Random(20260316)
    times = []
    for _ in range(args.proofs):
        entry = ledger.entry(rng.randrange(total))
        started = time.perf_counter()
        proof = ledger.prove(entry.event_id)
        times.append(time.perf_counter() - started)
        hashes = [bytes.fromhex(h) for h in proof["proof"]]
        verify_inclusion(entry.leaf_hash, entry.index, head.size, hashes, head.root_hash)
    report(
        "inclusion proof (find, prove, self-check)",
        f"median {statistics.median(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms,"
        f" {len(proof['proof'])} hashes",
    )
    started = time.perf_counter()
    old = total // 3 + 1
    consistency = ledger.consistency(old, total)
    report(
        f"consistency proof {old:,} -> {total:,}",
        f"{(time.perf_counter() - started) * 1000:.2f} ms, {len(consistency['proof'])} hashes",
    )
    verify_consistency(
        old,
        total,
        [bytes.fromhex(h) for h in consistency["proof"]],
        bytes.fromhex(consistency["old_root"]),
        head.root_hash,
    )
    report("peak memory after proofs", f"{peak_mib():.0f} MiB")

    if args.export:
        started = time.perf_counter()
        ledger.export(root / "export")
        report("export", f"{time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        summary = verify_export(root / "export")
        elapsed = time.perf_counter() - started
        report("offline verify", f"{elapsed:.1f} s ({summary.size / elapsed:,.0f} events/s)")
        report("peak memory after export and verify", f"{peak_mib():.0f} MiB")
    db = Path(ws.database_url.removeprefix("sqlite:///"))
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    report("database size", f"{size / 2**20:,.0f} MiB")
    ws.close()
    if args.dir is None:
        shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
