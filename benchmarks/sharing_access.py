"""Benchmark the record of Delta Sharing access: what one ledger event per query costs, and how
many events a real reader's file download makes.

    .venv/bin/python benchmarks/sharing_access.py --rows 20000 --repeat 30

Builds a workspace with the example agreement, two deliveries (a full one and a daily delta),
serves it with uvicorn on 127.0.0.1 and prints:

- the median time of a table-metadata request (the catalog's work, nothing recorded: the
  baseline) and of a snapshot query (the same work plus its ``sharing-queried`` event), and
  their ratio;
- for ``delta_sharing.load_as_pandas`` and ``load_table_changes_as_pandas``: the HTTP requests
  the reader made for files (range requests included) and the ledger events recorded.

Timings are figures to compare runs on the same machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import delta_sharing
import httpx
import uvicorn

from accord.clock import FixedClock
from accord.model import example_agreement
from accord.server.app import create_app
from accord.service import agreements, runs, sharing_profiles, users
from accord.synth import DailyChanges, write_delta, write_population, write_postcode_directory
from accord.workspace import Workspace

DAY0 = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
SHARE = "urn_accord_agreement_example-shielding"
TABLE = "spl-e09000011"


def _world(root: Path, rows: int, clock: FixedClock) -> Workspace:
    ws = Workspace.init(root / "ws", clock=clock)
    agreement = example_agreement()
    agreements.create(ws, agreement, actor="bench")
    for state in ("in_review", "approved", "active"):
        agreements.transition(ws, agreement.id, state, actor="bench")
    users.add_user(ws, "svc@g.example", "Svc", "gss:E09000011", ["recipient_service"], "x" * 16)
    directory = runs.postcode_directory(ws)
    write_postcode_directory(directory, postcodes=max(rows // 4, 100), seed=1)
    common: dict[str, Any] = {"rows": rows, "seed": 1, "postcode_directory": directory}
    write_population(root / "day0.parquet", **common)
    write_delta(root / "day1.parquet", day=1, changes=DailyChanges(0.01, 0.01, 0.01), **common)
    geography = runs.load_geography(ws)
    runs.run(ws, agreement.id, source=root / "day0.parquet", geography=geography)
    clock.set(DAY0 + timedelta(days=1))
    runs.run(ws, agreement.id, source=root / "day1.parquet", geography=geography)
    return ws


class Counting:
    """ASGI wrapper counting requests for data files."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.files = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/delta-sharing/files/"):
            self.files += 1
        await self.app(scope, receive, send)


def _median_ms(call: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    clock = FixedClock(DAY0)
    with tempfile.TemporaryDirectory() as tmp:
        ws = _world(Path(tmp), args.rows, clock)
        clock.set(DAY0 + timedelta(days=1, hours=1))
        app = Counting(create_app(ws))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.01)
        endpoint = f"http://127.0.0.1:{port}/delta-sharing"
        profile = Path(tmp) / "p.share"
        sharing_profiles.write_profile(ws, "svc@g.example", profile, endpoint=endpoint)
        token = json.loads(profile.read_text())["bearerToken"]
        headers = {"Authorization": f"Bearer {token}"}
        table = f"{endpoint}/shares/{SHARE}/schemas/deliveries/tables/{TABLE}"
        with httpx.Client(headers=headers) as client:
            meta = _median_ms(lambda: client.get(f"{table}/metadata"), args.repeat)
            query = _median_ms(lambda: client.post(f"{table}/query", json={}), args.repeat)
        print(f"rows {args.rows}, ledger {ws.ledger.size()} entries")
        print(f"metadata request (baseline, nothing recorded): {meta:8.2f} ms median")
        print(f"snapshot query (+1 ledger event):              {query:8.2f} ms median")
        print(f"ratio query/metadata: {query / meta:.2f}")
        url = f"{profile}#{SHARE}.deliveries.{TABLE}"
        for name, read in (
            ("load_as_pandas", lambda: delta_sharing.load_as_pandas(url)),
            (
                "load_table_changes_as_pandas",
                lambda: delta_sharing.load_table_changes_as_pandas(url, starting_version=1),
            ),
        ):
            before, app.files = ws.ledger.size(), 0
            read()
            print(f"{name}: {app.files} file requests, {ws.ledger.size() - before} ledger events")
        server.should_exit = True
        ws.close()


if __name__ == "__main__":
    main()
