"""A delta-only run: stage per recipient additions, removals and a manifest, never an extract.

Two ways to the same files (the property tests hold them to a full run's extracts):

- the fast path (:mod:`accord.engine.delta_fast`) when the DuckDB backend can build on the
  base run's state: only changed rows go through the plan, and the new state is a state delta;
- otherwise the exact general path, on any backend: the plan runs over the whole source into a
  scratch folder that is never published, each recipient's base is reconstructed
  (:func:`accord.engine.deltamode.reconstruct`) and compared by key; the state is written in
  full (this compacts any chain of state deltas).

Either way exceptions and counts are the full run's, and publication is the same atomic rename
of complete staged folders as for full deliveries.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import rfc8785

from accord.engine import delivery as dl
from accord.engine import delta_fast, persons
from accord.engine import deltamode as dm
from accord.engine import incremental as inc
from accord.engine.anomalies import anomaly
from accord.engine.backends.base import Backend, Counts, RunInputs, extract_schema
from accord.engine.extracts import Written, read_extract, write_extract
from accord.engine.optouts import OptOutList
from accord.engine.plan import FlowPlan, Plan
from accord.engine.result import Anomaly, Delivery, RunResult
from accord.engine.sources import file_sha256

Tick = Callable[[str, int, int], None]


def run_delta(
    *,
    plan: Plan,
    layout: dl.Layout,
    staging: Path,
    run_id: str,
    now: datetime,
    engine: Backend,
    inputs: RunInputs,
    lists: dict[str, OptOutList],
    state_fp: str | None,
    fast: bool,
    source_sha: str,
    bases: dict[str, Path],
    previous: str | None,
    anomaly_threshold: float,
    tick: Tick,
) -> RunResult:
    """Stage a delta-only run (``bases``: every flow's base delivery folder); return its result."""
    run_dir = staging / "run"
    run_dir.mkdir(parents=True)
    tick("deliver", 0, len(plan.flows))
    deltas: dict[str, dm.KeyDelta] | None = None
    rows: dict[str, int] = {}
    counts: Counts | None = None
    base_run: Path | None = None
    stateful = engine.incremental
    if fast and state_fp is not None and stateful is not None:
        base_run = inc.usable_base(layout, plan, bases, state_fp)
        if base_run is not None:

            def exceptions(batches: pa.RecordBatchReader) -> None:
                write_extract(run_dir / "exceptions.parquet", batches, "parquet")

            outcome = stateful.delta(plan, inputs, base_run, bases, exceptions)
            if outcome is not None:
                deltas, counts = outcome.deltas, outcome.counts
                rows = {k: v.rows for k, v in counts.flows.items()}
                write_extract(
                    run_dir / delta_fast.STATE_DELTA, outcome.state_delta.to_reader(), "parquet"
                )
                meta = {"fingerprint": state_fp, "base": base_run.name}
                (run_dir / inc.STATE_META).write_bytes(rfc8785.dumps(meta))
    if deltas is None or counts is None:
        dl.clear(run_dir)
        deltas, counts, rows = _general(plan, engine, inputs, staging, bases, state_fp)

    versions = {k: v.version for k, v in lists.items()}
    deliveries: list[Delivery] = []
    anomalies: list[Anomaly] = []
    for i, fp in enumerate(plan.flows):
        base = bases[fp.flow_id]
        delta = deltas[fp.flow_id]
        folder = staging / "flows" / dl.slug(fp.flow_id)
        folder.mkdir(parents=True)
        files, missing = _write_delta(folder, fp, delta)
        base_manifest = (base / dl.MANIFEST).read_bytes()
        prior = json.loads(base_manifest)
        key = plan.key_column(fp)
        info = {
            "since": base.name,
            "apply": dm.APPLY,
            "key": key,
            "additions": delta.additions.num_rows,
            "removals": delta.removals.num_rows,
            "replaced": delta.replaced,
            "reset": False,
            "base": {
                "run_id": base.name,
                "rows": prior["rows"],
                "manifest_sha256": hashlib.sha256(base_manifest).hexdigest(),
                "extract_sha256": prior["files"].get("extract.parquet"),
            },
        }
        if prior["rows"] - delta.replaced + delta.additions.num_rows != rows[fp.flow_id]:
            raise AssertionError("a delta does not reconstruct the recipient's extract")
        staged = dl.StagedFlow(fp.flow_id, folder, Written(rows[fp.flow_id], missing), files)
        data = dl.manifest(
            plan=plan,
            fp=fp,
            run_id=run_id,
            created=now,
            staged=staged,
            opted_out_removed=counts.flows[fp.flow_id].opted_out,
            opt_out_versions=versions,
            exceptions=counts.exception_rows,
            source_sha256=source_sha,
            delta=info,
            delivery=dm.MODE_DELTA,
        )
        digest = dl.write_manifest(staged, data)
        final = layout.flow_dir(fp) / run_id
        deliveries.append(
            Delivery(
                flow_id=fp.flow_id,
                recipient=fp.route.recipient.org_id,
                rows=rows[fp.flow_id],
                opted_out_removed=counts.flows[fp.flow_id].opted_out,
                directory=final,
                manifest_path=final / dl.MANIFEST,
                manifest_sha256=digest,
                files=dict(sorted(files.items())),
                since_run=base.name,
                additions=delta.additions.num_rows,
                removals=delta.removals.num_rows,
            )
        )
        anomalies.append(
            anomaly(
                fp.flow_id,
                fp.route.recipient.org_id,
                prior["rows"],
                rows[fp.flow_id],
                anomaly_threshold,
            )
        )
        tick("deliver", i + 1, len(plan.flows))
    base_state = base_run / dl.STATE if base_run is not None else None
    persons.index_run(plan, inputs.source, staging, inputs.keys, lists, base_state=base_state)
    return RunResult.of_run(
        plan,
        counts,
        run_id=run_id,
        created=now,
        backend=engine.name,
        source_sha256=source_sha,
        exceptions_path=layout.run_dir(run_id) / "exceptions.parquet",
        opt_out_lists=versions,
        deliveries=tuple(deliveries),
        anomalies=tuple(anomalies),
        previous_run=previous,
        delivery_mode=dm.MODE_DELTA,
    )


def _write_delta(
    folder: Path, fp: FlowPlan, delta: dm.KeyDelta
) -> tuple[dict[str, str], dict[str, int]]:
    files: dict[str, str] = {}
    missing: dict[str, int] = {}
    for name, table in (("additions", delta.additions), ("removals", delta.removals)):
        path = folder / f"{name}.parquet"
        written = write_extract(path, table.to_reader(), "parquet")
        files[path.name] = file_sha256(path)
        if name == "additions":
            missing = written.missing
    return files, missing


def _general(
    plan: Plan,
    engine: Backend,
    inputs: RunInputs,
    staging: Path,
    bases: dict[str, Path],
    state_fp: str | None,
) -> tuple[dict[str, dm.KeyDelta], Counts, dict[str, int]]:
    """Run in full into a scratch folder, diff every flow against its reconstructed base."""
    scratch = staging / "scratch"
    scratch.mkdir()
    sink = dl.StagingSink(plan, scratch)
    try:
        counts = engine.execute(plan, inputs, sink)
        sink.finish()
    finally:
        sink.abandon()
    os.rename(scratch / "run", staging / "run")
    if state_fp is not None and sink.state is not None:
        meta = rfc8785.dumps({"fingerprint": state_fp})
        (staging / "run" / inc.STATE_META).write_bytes(meta)
    deltas: dict[str, dm.KeyDelta] = {}
    rows: dict[str, int] = {}
    for fp in plan.flows:
        key = plan.key_column(fp)
        assert key is not None
        schema = extract_schema(fp)
        current = read_extract(sink.flows[fp.flow_id].directory / "extract.parquet", "parquet")
        base = bases[fp.flow_id]
        prior = dm.reconstruct(base.parent, base.name)
        deltas[fp.flow_id] = dm.diff_by_key(current.cast(schema), prior.cast(schema), key)
        rows[fp.flow_id] = current.num_rows
    dl.clear(scratch)
    return deltas, counts, rows
