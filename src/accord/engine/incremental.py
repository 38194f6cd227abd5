"""Incremental runs: a run that builds on the previous run's per-row state.

This is the DuckDB engine's :class:`~accord.engine.backends.base.Incremental` capability: the
driver asks ``engine.run`` and never knows which path ran. Every DuckDB run leaves beside its run
record ``state.parquet``: per source row, two 64-bit hashes of its raw read columns and its
outcome (exception reasons, the flows it was delivered to, the flows where an opt-out removed
it), never a row value; and ``state.json``, the fingerprint of everything else an outcome
depends on: the plan (with its agreement hash) without the run date, unless a check, an age band
or a filter uses the date; the opt-out lists; the postcode table; the pseudonym keys; the source
format and column types; the engine.

A row's outcome depends only on its values and that fingerprint. So when the next run has the
same fingerprint and every flow's delta base is that run (:func:`usable_base`), what changed is
found from the hashes alone (:mod:`accord.engine.touched`):

- a *delta-only* delivery puts only new or changed rows through the plan and writes no extract;
- a *full* delivery runs the plan over the whole source (the extracts are a full run's bytes, by
  construction) and takes each flow's delta from the hashes, reading only the rows of keys that
  changed instead of diffing every whole extract against its base.

Anything else runs in full and the driver diffs whole extracts: another fingerprint (a new
agreement version, opt-out list, postcode table or key), no state, flows with different bases, a
flow without a person key in its extract or not delivered as Parquet, or more than half the rows
fresh (``tests/generative/test_engine_incremental.py`` checks every file against a run with
``incremental=False``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import rfc8785

from accord.engine import delivery as dl
from accord.engine import predicate as p
from accord.engine import touched
from accord.engine.backends.base import ExtractSink, Outcome, Prior, RunInputs
from accord.engine.backends.duckdb import DuckDBBackend
from accord.engine.plan import AgeBand, CheckKind, Plan
from accord.engine.sources import Source

STATE_META = dl.STATE_META
_RESERVED = {"filename", "file_row_number"}


def fingerprint(
    plan: Plan, opt_outs: dict[str, str], postcodes: str | None, secret: str, source: Source
) -> str:
    """What, besides a row's own values, decides its outcome (``opt_outs``: kind -> sha256)."""
    undated = plan
    if not uses_date(plan):
        lookup = plan.lookup and dataclasses.replace(plan.lookup, on=date.min)
        undated = dataclasses.replace(plan, effective_date=date.min, lookup=lookup)
    material: dict[str, Any] = {
        "plan": repr(undated),
        "field_types": [list(map(list, fp.field_types)) for fp in plan.flows],
        "opt_outs": dict(sorted(opt_outs.items())),
        "postcodes": postcodes,
        "secret": secret,
        "source": [source.format, [[n, str(t)] for n, t in source.columns]],
        "engine": ["duckdb", duckdb.__version__, 1],
    }
    return hashlib.sha256(rfc8785.dumps(material)).hexdigest()


def uses_date(plan: Plan) -> bool:
    """True when an outcome can change with the run date alone."""
    if any(c.kind is CheckKind.not_after for c in plan.validate.checks):
        return True
    for fp in plan.flows:
        if any(isinstance(t, AgeBand) for t in fp.transforms):
            return True
        if any(isinstance(o, p.Call) and o.func == "age" for o in p.operands(fp.route.predicate)):
            return True
    return False


def usable_base(prior: Prior, plan: Plan, fingerprint: str) -> Path | None:
    """The previous run's folder when this run can build on it, else None (run in full)."""
    bases = prior.bases
    if len(bases) != len(plan.flows) or len({b.name for b in bases.values()}) != 1:
        return None
    folder = prior.runs / next(iter(bases.values())).name
    meta, state = folder / STATE_META, folder / dl.STATE
    if not (meta.is_file() and state.is_file()):
        return None
    if json.loads(meta.read_bytes()).get("fingerprint") != fingerprint:
        return None
    for fp in plan.flows:
        names = {c.name for c in fp.outputs()}
        if fp.write.format != "parquet" or plan.key_column(fp) is None or names & _RESERVED:
            return None
        if not (bases[fp.flow_id] / "extract.parquet").is_file():
            return None
    return folder


@dataclass(frozen=True)
class DuckDBIncremental:
    """The DuckDB backend's :class:`~accord.engine.backends.base.Incremental` capability: it
    builds on the previous run's state when the fingerprint and bases allow, else runs in full;
    either way it leaves ``state.json`` beside the state it wrote."""

    backend: DuckDBBackend

    def run(self, plan: Plan, inputs: RunInputs, sink: ExtractSink, prior: Prior) -> Outcome:
        mark = fingerprint(plan, prior.opt_outs, prior.postcodes, prior.secret, inputs.source)
        base = usable_base(prior, plan, mark) if prior.build else None
        meta: dict[str, str] = {"fingerprint": mark}
        outcome: Outcome | None = None
        if base is not None and not prior.extracts:
            outcome = touched.delta_only(self.backend, plan, inputs, base, prior.bases, sink)
            if outcome is not None:
                meta["base"] = base.name
        if outcome is None:
            with tempfile.TemporaryDirectory(prefix="accord-hashes-") as scratch:
                tee = _HashTee(sink, Path(scratch) / "hashes.parquet")
                outcome = Outcome(self.backend.execute(plan, inputs, tee))
                if base is not None and tee.written:
                    got = touched.beside_full(
                        self.backend, plan, inputs, base, prior.bases, tee.path
                    )
                    if got is not None:
                        outcome = Outcome(outcome.counts, got.deltas, got.fresh_rows)
        write_meta = getattr(sink, "write_state_meta", None)
        if write_meta is not None:
            write_meta(rfc8785.dumps(meta))
        return outcome


class _HashTee:
    """The run's sink, copying each row's content hashes to ``path`` (a scratch Parquet file,
    so a large run holds none of them in memory) as its state goes by."""

    def __init__(self, sink: ExtractSink, path: Path) -> None:
        self.sink = sink
        self.path = path
        self.written = False

    def write_extract(self, flow_id: str, batches: pa.RecordBatchReader) -> None:
        self.sink.write_extract(flow_id, batches)

    def write_exceptions(self, batches: pa.RecordBatchReader) -> None:
        self.sink.write_exceptions(batches)

    def write_state(self, batches: pa.RecordBatchReader) -> None:
        write = getattr(self.sink, "write_state", None)
        if write is None:
            return
        with pq.ParquetWriter(self.path, touched.HASHES, compression="none") as out:

            def passing() -> Iterator[pa.RecordBatch]:
                for batch in batches:
                    out.write_batch(batch.select(touched.HASHES.names))
                    yield batch

            write(pa.RecordBatchReader.from_batches(batches.schema, passing()))
        self.written = True
