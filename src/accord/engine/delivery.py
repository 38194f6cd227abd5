"""Atomic deliveries: staged, then renamed into place; manifests; ``latest`` pointers.

Layout under the run's output folder (agreement and organisation ids with ``:`` written ``_``)::

    deliveries/<agreement>/<recipient>/<flow>/<run_id>/extract.parquet   (or extract.csv)
                                                      /additions.parquet  removals.parquet
                                                      /manifest.json
    deliveries/<agreement>/<recipient>/<flow>/latest                    (text: the run id)
    runs/<agreement>/<run_id>/exceptions.parquet    run.json            (stay with the discloser)
                             /state.parquet  state.json     (per-row hashes and outcomes)
                             /state-delta.parquet   (a delta-only run: changes to its base's state)

A delta-only delivery (:mod:`accord.engine.delta`) has no extract: only additions,
removals and the manifest, whose ``rows`` is the row count once the delta is applied.
    runs/<agreement>/latest
    .staging/<run_id>/                                                  (never read by recipients)

A backend streams each extract into the staging folder; only when every extract, delta and
manifest of the run is complete are the flow folders renamed into place, one ``os.rename`` each,
and then the ``latest`` pointers replaced (write a temp file, ``os.replace``). A recipient sees
a whole delivery or none. A delivery folder that already exists for the run id is left as it is:
the run id is derived from the inputs, so it already holds these bytes.

The exceptions file holds ``row_number`` and ``reason`` only, never the row's values: the
discloser finds the row in their own source by its number.

The manifest is canonical JSON (RFC 8785). It carries hashes and counts, never the pseudonym key.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import rfc8785

from accord.engine.aggregate import count_table
from accord.engine.backends.base import EXCEPTIONS_SCHEMA, extract_schema
from accord.engine.extracts import Written, write_extract
from accord.engine.plan import FlowPlan, Plan
from accord.engine.sources import file_sha256

MANIFEST = "manifest.json"
STATE = "state.parquet"
STATE_DELTA = "state-delta.parquet"
STATE_META = "state.json"
LATEST = "latest"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def slug(value: str) -> str:
    return _UNSAFE.sub("_", value)


@dataclass(frozen=True)
class Layout:
    root: Path
    agreement_id: str

    def flow_dir(self, fp: FlowPlan) -> Path:
        return (
            self.root
            / "deliveries"
            / slug(self.agreement_id)
            / slug(fp.route.recipient.org_id)
            / slug(fp.flow_id)
        )

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / slug(self.agreement_id) / run_id

    def runs_dir(self) -> Path:
        return self.root / "runs" / slug(self.agreement_id)

    def staging(self, run_id: str) -> Path:
        return self.root / ".staging" / f"{slug(self.agreement_id)}-{run_id}"


def read_pointer(folder: Path) -> str | None:
    path = folder / LATEST
    if not path.is_file():
        return None
    value = path.read_text(encoding="utf-8").strip()
    return value or None


def write_pointer(folder: Path, run_id: str) -> None:
    tmp = folder / f".{LATEST}.tmp"
    tmp.write_text(run_id + "\n", encoding="utf-8")
    os.replace(tmp, folder / LATEST)


@dataclass
class StagedFlow:
    flow_id: str
    directory: Path
    written: Written
    files: dict[str, str] = field(default_factory=dict)
    disclosure: dict[str, Any] | None = None  # an aggregate flow's profile and report


class StagingSink:
    """Receives a backend's streams and writes them into the run's staging folder.

    A small extract (at most ``BUFFER_ROWS`` rows) is read into memory and written, and hashed,
    on a worker thread while the backend goes on to the next flow; a larger one is written as it
    streams. Either way each file is written by :func:`write_extract` alone, so the bytes do not
    depend on the thread. :meth:`finish` waits for the writers (and raises what they raised);
    ``flows`` is complete only after it.
    """

    BUFFER_ROWS = 1 << 18
    WORKERS = 2

    def __init__(
        self, plan: Plan, staging: Path, tick: Callable[[str, int, int], None] | None = None
    ) -> None:
        self.plan = plan
        self.staging = staging
        self.tick = tick or (lambda stage, done, total: None)
        self.flows: dict[str, StagedFlow] = {}
        self.exceptions: Written | None = None
        self.state: Written | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def write_extract(self, flow_id: str, batches: pa.RecordBatchReader) -> None:
        fp = self.plan.flow(flow_id)
        if batches.schema != extract_schema(fp):
            raise AssertionError("a backend produced columns the plan does not deliver")
        folder = self.staging / "flows" / slug(flow_id)
        folder.mkdir(parents=True)
        name = f"extract.{fp.write.format}"
        if fp.aggregate is not None:
            # The aggregate stage: the rows are counted here and never written.
            table, disclosure = count_table(fp, batches)
            self._write(flow_id, folder, name, table.to_reader(), fp.write.format)
            self.flows[flow_id].disclosure = disclosure
            return
        head: list[pa.RecordBatch] = []
        rows = 0
        for batch in batches:
            head.append(batch)
            rows += batch.num_rows
            if rows > self.BUFFER_ROWS:
                reader = pa.RecordBatchReader.from_batches(
                    batches.schema, itertools.chain(head, batches)
                )
                self._write(flow_id, folder, name, reader, fp.write.format)
                return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.WORKERS, thread_name_prefix="accord-extract")
        while len(self._pending) >= 2 * self.WORKERS:  # bound what is held in memory
            self._pending.pop(0).result()
        reader = pa.RecordBatchReader.from_batches(batches.schema, head)
        self._pending.append(
            self._pool.submit(self._write, flow_id, folder, name, reader, fp.write.format)
        )

    def _write(
        self, flow_id: str, folder: Path, name: str, reader: pa.RecordBatchReader, fmt: str
    ) -> None:
        written = write_extract(folder / name, reader, fmt)
        self.flows[flow_id] = StagedFlow(
            flow_id, folder, written, {name: file_sha256(folder / name)}
        )
        self.tick("deliver", len(self.flows), len(self.plan.flows))

    def finish(self) -> None:
        """Wait for every extract being written; raise the first error a writer met."""
        try:
            while self._pending:
                self._pending.pop(0).result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def abandon(self) -> None:
        """Stop the writers of a run that failed: wait for them, keep none of their errors (the
        run's own error is what the caller sees), so the staging folder can be removed."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def write_exceptions(self, batches: pa.RecordBatchReader) -> None:
        if batches.schema != EXCEPTIONS_SCHEMA:
            raise AssertionError("exceptions must be row_number and reason only")
        self.tick("deliver", 0, len(self.plan.flows))
        folder = self.staging / "run"
        folder.mkdir(parents=True)
        self.exceptions = write_extract(folder / "exceptions.parquet", batches, "parquet")

    def write_state(self, batches: pa.RecordBatchReader) -> None:
        """Per-row hashes and outcomes (no row values), for the next run to build on."""
        folder = self.staging / "run"
        folder.mkdir(parents=True, exist_ok=True)
        repeated = [n for n in batches.schema.names if n not in _UNIQUE_STATE_COLUMNS]
        self.state = write_extract(folder / STATE, batches, "parquet", dictionary=repeated)

    def write_state_delta(self, batches: pa.RecordBatchReader) -> None:
        """Changes to the base run's state (:mod:`accord.engine.touched`): no full state."""
        (self.staging / "run").mkdir(parents=True, exist_ok=True)
        self.state = write_extract(self.staging / "run" / STATE_DELTA, batches, "parquet")

    def write_state_meta(self, meta: bytes) -> None:
        """``state.json`` beside the state this run wrote (none: nothing to build on)."""
        if self.state is not None:
            (self.staging / "run" / STATE_META).write_bytes(meta)

    def write_routes(self, batches: pa.RecordBatchReader) -> None:
        """Per valid row, the flows it reached (a backend without a state gives these for the
        per-person index, :mod:`accord.engine.persons`)."""
        folder = self.staging / "run"
        folder.mkdir(parents=True, exist_ok=True)
        write_extract(folder / "routes.parquet", batches, "parquet", dictionary=["__flows"])


_UNIQUE_STATE_COLUMNS = {"__row", "__h1", "__h2"}


def manifest(
    *,
    plan: Plan,
    fp: FlowPlan,
    run_id: str,
    created: datetime,
    staged: StagedFlow,
    opted_out_removed: int,
    opt_out_versions: dict[str, str],
    exceptions: int,
    source_sha256: str,
    delta: dict[str, Any] | None,
    delivery: str | None = None,
    rights_removed: int | None = None,
) -> bytes:
    lists = fp.opt_outs.lists if fp.opt_outs else ()
    body: dict[str, Any] = {
        "manifest_version": 1,
        "agreement": {
            "id": plan.agreement_id,
            "version": plan.agreement_version,
            "hash": plan.agreement_hash,
        },
        "flow": fp.flow_id,
        "recipient": fp.route.recipient.org_id,
        "run_id": run_id,
        "created": created.isoformat(),
        "effective_date": plan.effective_date.isoformat(),
        "format": fp.write.format,
        "rows": staged.written.rows,
        "columns": [{"name": name, "type": kind} for name, kind in fp.delivered()],
        "files": dict(sorted(staged.files.items())),
        "opt_outs": {
            "lists": {k: opt_out_versions[k] for k in lists},
            "rows_removed": opted_out_removed,
        },
        "exceptions": exceptions,
        "source_sha256": source_sha256,
        "data_quality": {"missing_values": staged.written.missing},
        "delta": delta,
    }
    if staged.disclosure is not None:
        body["disclosure"] = staged.disclosure
    if rights_removed is not None:  # of rows_removed: people whose objection was upheld
        body["opt_outs"]["rights_removed"] = rights_removed
    if delivery is not None:  # "delta": no extract; ``rows`` is the reconstructed row count
        body["delivery"] = delivery
    return rfc8785.dumps(body)


def write_manifest(staged: StagedFlow, data: bytes) -> str:
    (staged.directory / MANIFEST).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def publish(staged_dir: Path, final: Path) -> bool:
    """Rename a complete staged folder into place; False if that run is already delivered."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        return False
    os.rename(staged_dir, final)
    return True


def clear(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
