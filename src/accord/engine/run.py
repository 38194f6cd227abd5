"""Run an active agreement's flows over a source file: the one gate row data passes through.

:func:`run_agreement` refuses before reading any row when the agreement version is not active,
a clause cannot be enforced, the source is not the declared format or lacks a column, or an
opt-out list the decision needs is missing. Then one pipeline, whatever the engine and the
delivery mode: the engine runs the compiled plan into a staging folder (building on the previous
run's state inside the engine, when it declares that capability: ``Backend.incremental``), each
delivery gets its delta against its previous one (:mod:`accord.engine.delta`) and its manifest,
and :mod:`accord.engine.delivery` publishes every recipient's delivery atomically.

The run id is derived from the inputs (agreement hash, flows, source, opt-out lists, postcode
table, effective date, a keyed fingerprint of the secret, and the delta base), so re-running the
same inputs finds the recorded run and returns it marked ``rerun`` without writing anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import rfc8785

from accord.engine import delivery as dl
from accord.engine import delta as dlt
from accord.engine import persons
from accord.engine.aggregate import schema as delivered_schema
from accord.engine.anomalies import DEFAULT_THRESHOLD, anomaly
from accord.engine.backends.base import Backend, Prior, RunInputs
from accord.engine.compile import compile_plan
from accord.engine.extracts import Written, read_extract
from accord.engine.optouts import OptOutList, read_opt_out_list
from accord.engine.plan import FlowPlan, Plan, Pseudonymise
from accord.engine.pseudonym import derive_key
from accord.engine.result import Anomaly, Delivery, RunResult
from accord.engine.sources import check_columns, file_sha256, open_source
from accord.errors import ConfigError, NotActive, NotFound, Problem, SourceError
from accord.model import Agreement
from accord.model.enums import Status

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stages ``check``, ``deliver``, ``publish``."""

RUN_RECORD = "run.json"


class PostcodeSource(Protocol):
    def postcode_table(self, on: date) -> pa.Table: ...


def get_backend(name: str | Backend, settings: dict[str, str] | None = None) -> Backend:
    """The engine called ``name``; ``settings`` configure it (Spark: ``spark.*`` settings)."""
    if isinstance(name, Backend):
        return name
    if name == "duckdb":
        from accord.engine.backends.duckdb import DuckDBBackend

        return DuckDBBackend()
    if name == "in_memory":
        from accord.engine.backends.in_memory import InMemoryBackend

        return InMemoryBackend()
    if name == "spark":
        from accord.engine.backends.spark import SparkBackend

        return SparkBackend(settings=settings)
    raise ConfigError(
        "unknown engine backend", [Problem("backend", "known: duckdb, in_memory, spark")]
    )


def run_agreement(
    agreement: Agreement,
    *,
    status: Status | str,
    source: Path,
    out_dir: Path,
    secret: bytes,
    geography: PostcodeSource | pa.Table | None,
    now: datetime,
    opt_out_lists: dict[str, Path] | None = None,
    backend: str | Backend = "duckdb",
    flows: list[str] | None = None,
    previous: str | None = None,
    source_format: str | None = None,
    anomaly_threshold: float = DEFAULT_THRESHOLD,
    progress: Progress | None = None,
    incremental: bool = True,
    delivery: str | None = None,
    stored_hash: str | None = None,
    person_key: bytes | None = None,
    rights: Iterable[str] = (),
) -> RunResult:
    """Enforce the agreement's flows over ``source`` and deliver into ``out_dir``.

    ``previous`` names the run to compute deltas against (default: each flow's latest delivery).
    When that run left a compatible state (:mod:`accord.engine.incremental`), only new or
    changed rows are processed; the deliveries are the same bytes as a full run's.
    ``incremental=False`` always runs in full.

    ``delivery`` is ``"full"`` (every delivery holds the whole extract, plus additions and
    removals against its previous delivery) or ``"delta"`` (additions and removals only); both
    have the one meaning of :mod:`accord.engine.delta`. Default ``"full"``: a delta-only
    delivery is asked for by name, because a recipient must hold the base to use it (Delta
    Sharing serves full deliveries). A delta that cannot be made (a first delivery, a new
    agreement version or columns, a CSV flow, a flow without a person key) falls back to a full
    delivery, and the result says so (``delivery_mode``, ``delivery_note``).

    ``stored_hash`` is the version's hash as stored and signed (see :mod:`accord.model.canonical`);
    the manifests and ledger events carry it.

    ``person_key`` (the instance's person-index key) makes every delivery carry its per-person
    index; ``rights`` (keyed hashes under that key of people whose objection or restriction
    was upheld) are removed before routing from every flow (:mod:`accord.engine.persons`).
    """
    mode = delivery or dlt.MODE_FULL
    if mode not in {dlt.MODE_FULL, dlt.MODE_DELTA}:
        raise ConfigError("unknown delivery mode", [Problem("delivery", "full or delta")])
    if Status(status) is not Status.active:
        raise NotActive(
            "the agreement version is not active; nothing runs",
            [Problem("status", f"{Status(status).value}, must be active")],
        )
    if now.tzinfo is None:
        raise ConfigError("the run time must be timezone-aware", [Problem("now", "naive")])
    tick = progress or (lambda stage, done, total: None)
    tick("check", 0, 1)
    out_dir = Path(out_dir)
    engine = get_backend(backend)
    plan = compile_plan(
        agreement,
        effective_date=now.date(),
        flows=flows,
        stored_hash=stored_hash,
        read_person_key=person_key is not None,
    )
    rights = tuple(rights)
    if rights:
        if person_key is None:
            raise ConfigError(
                "suppressions need the person-index key",
                [Problem("person_key", "pass the key the hashes were made with")],
            )
        plan = persons.with_rights(plan)
    engine.check(plan)
    src = open_source(Path(source), source_format)
    check_columns(src, plan.source)
    lists = _opt_out_lists(plan, opt_out_lists or {})
    if persons.RIGHTS in plan.opt_out_lists:
        lists[persons.RIGHTS] = persons.suppression_list(rights)
    postcodes = _postcodes(plan, geography)
    source_sha = file_sha256(src.path)
    keys = {
        t.key_id: derive_key(secret, agreement_id=plan.agreement_id, key_id=t.key_id)
        for fp in plan.flows
        for t in fp.transforms
        if isinstance(t, Pseudonymise)
    }
    if person_key is not None:
        keys[persons.KEY_ID] = person_key
    postcodes_fp = _fingerprint(postcodes)
    secret_fp = hmac.new(secret, b"accord/run-id", hashlib.sha256).hexdigest()
    run_id = _run_id(plan, source_sha, lists, postcodes_fp, secret_fp, previous, mode)
    layout = dl.Layout(out_dir, plan.agreement_id)
    record = layout.run_dir(run_id) / RUN_RECORD
    if record.is_file():
        tick("check", 1, 1)
        return RunResult.from_record(json.loads(record.read_bytes()), out_dir, rerun=True)
    bases = _bases(plan, layout, previous, run_id)
    note = _delta_refusal(plan, bases) if mode == dlt.MODE_DELTA else None
    if note is not None:
        mode = dlt.MODE_FULL
    tick("check", 1, 1)

    staging = layout.staging(run_id)
    dl.clear(staging)
    staging.mkdir(parents=True)
    sink = dl.StagingSink(plan, staging, tick)
    con = duckdb.connect()
    try:
        inputs = RunInputs(src, postcodes, {k: v.numbers for k, v in lists.items()}, keys)
        opt_outs = {k: v.sha256 for k, v in lists.items()}
        only_delta = mode == dlt.MODE_DELTA
        prior = Prior(
            bases, layout.runs_dir(), opt_outs, postcodes_fp, secret_fp, incremental, not only_delta
        )
        outcome = engine.run(plan, inputs, sink, prior)
        sink.finish()
        counts = outcome.counts
        staged = {f.flow_id: sink.flows.get(f.flow_id) or _staged(staging, f) for f in plan.flows}
        removed = persons.index_run(plan, src, staging, keys, lists, base_state=outcome.base_state)
        versions = {k: v.version for k, v in lists.items()}
        deliveries: list[Delivery] = []
        anomalies: list[Anomaly] = []
        deltas = outcome.deltas or _deltas(plan, staged, bases, con)
        for i, fp in enumerate(plan.flows):
            base = bases.get(fp.flow_id)
            key = plan.key_column(fp)
            rows = counts.flows[fp.flow_id].rows
            s = staged[fp.flow_id]
            info = None
            if base is not None:
                d = deltas[fp.flow_id]
                files, missing = dlt.write(s.directory, fp.write.format, d)
                s.files.update(files)
                info = dlt.entry(d, base, key)
                if only_delta:
                    s = _without_extract(s, fp, dlt.rows_after(d, info["base"]["rows"]), missing)
                    if s.written.rows != rows:
                        raise AssertionError("a delta does not rebuild the recipient's extract")
                    tick("deliver", i + 1, len(plan.flows))
            data = dl.manifest(
                plan=plan,
                fp=fp,
                run_id=run_id,
                created=now,
                staged=s,
                opted_out_removed=counts.flows[fp.flow_id].opted_out,
                opt_out_versions=versions,
                exceptions=counts.exception_rows,
                source_sha256=source_sha,
                delta=info,
                rights_removed=removed.get(fp.flow_id),
                delivery=dlt.MODE_DELTA if only_delta else None,
            )
            digest = dl.write_manifest(s, data)
            final = layout.flow_dir(fp) / run_id
            deliveries.append(
                Delivery(
                    flow_id=fp.flow_id,
                    recipient=fp.route.recipient.org_id,
                    rows=s.written.rows,
                    opted_out_removed=counts.flows[fp.flow_id].opted_out,
                    directory=final,
                    manifest_path=final / dl.MANIFEST,
                    manifest_sha256=digest,
                    files=dict(sorted(s.files.items())),
                    since_run=base.name if base else None,
                    additions=info["additions"] if info else None,
                    removals=info["removals"] if info else None,
                )
            )
            if info is not None:
                org, before = fp.route.recipient.org_id, info["base"]["rows"]
                anomalies.append(
                    anomaly(fp.flow_id, org, before, s.written.rows, anomaly_threshold)
                )
        result = RunResult.of_run(
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
            delivery_mode=mode,
            delivery_note=note,
        )
        _publish(plan, layout, staging, result, tick)
    finally:
        con.close()
        sink.abandon()  # no writer left running into a folder about to be removed
        dl.clear(staging)
    return result


def _staged(staging: Path, fp: FlowPlan) -> dl.StagedFlow:
    """The folder of a delivery the engine wrote no extract for (a delta from its state)."""
    folder = staging / "flows" / dl.slug(fp.flow_id)
    folder.mkdir(parents=True, exist_ok=True)
    return dl.StagedFlow(fp.flow_id, folder, Written(0, {}))


DIFF_ROWS = 1_000_000
"""At most this many current rows (about) in one :func:`accord.engine.delta.diff_files`."""


def _deltas(
    plan: Plan,
    staged: dict[str, dl.StagedFlow],
    bases: dict[str, Path],
    con: duckdb.DuckDBPyConnection,
) -> dict[str, dlt.Delta]:
    """Each flow's delta against its base when the engine gave none: the whole staged extract
    against what the recipient holds. Flows of one shape whose extract and base are Parquet
    full deliveries with the same columns are diffed together, up to :data:`DIFF_ROWS` rows a
    query; any other flow by itself (:func:`_diff`)."""
    out: dict[str, dlt.Delta] = {}
    together: dict[tuple[str | None, str], list[tuple[int, Path, Path]]] = {}
    for i, fp in enumerate(plan.flows):
        base = bases.get(fp.flow_id)
        if base is None:
            continue
        key = plan.key_column(fp)
        s = staged[fp.flow_id]
        prior = dlt.read_manifest(base)
        if (
            fp.write.format == "parquet"
            and prior["format"] == "parquet"
            and prior.get("delivery", dlt.MODE_FULL) == dlt.MODE_FULL
            and prior["columns"] == _columns(fp)
        ):
            shape = (key, repr(fp.delivered()))
            together.setdefault(shape, []).append(
                (i, s.directory / "extract.parquet", base / "extract.parquet")
            )
        else:
            out[fp.flow_id] = _diff(fp, key, s, base, con)
    for (key, _), members in together.items():
        names = [c["name"] for c in _columns(plan.flows[members[0][0]])]
        part: list[tuple[int, Path, Path]] = []
        held = 0
        for n, member in enumerate(members):
            part.append(member)
            held += staged[plan.flows[member[0]].flow_id].written.rows
            if held < DIFF_ROWS and n + 1 < len(members):
                continue
            got = dlt.diff_files(con, part, names, key)
            for i, _, _ in part:
                fp = plan.flows[i]
                out[fp.flow_id] = dlt.split(*got, i, delivered_schema(fp), key)
            part, held = [], 0
    return out


def _diff(
    fp: FlowPlan, key: str | None, s: dl.StagedFlow, base: Path, con: duckdb.DuckDBPyConnection
) -> dlt.Delta:
    """The delta from what the recipient holds after ``base`` to the staged extract."""
    fmt = fp.write.format
    schema = delivered_schema(fp)
    current = read_extract(s.directory / f"extract.{fmt}", fmt, schema)
    prior = json.loads((base / dl.MANIFEST).read_bytes())
    if prior["format"] != fmt or prior["columns"] != _columns(fp):
        return dlt.reset(current, prior["rows"], key)
    return dlt.diff(current, dlt.held(base, schema).cast(schema), key, con)


def _without_extract(
    s: dl.StagedFlow, fp: FlowPlan, rows: int, missing: dict[str, int]
) -> dl.StagedFlow:
    """A delta-only delivery: the extract is not delivered; ``rows`` is once applied."""
    name = f"extract.{fp.write.format}"
    (s.directory / name).unlink(missing_ok=True)
    files = {k: v for k, v in s.files.items() if k != name}
    return dl.StagedFlow(s.flow_id, s.directory, Written(rows, missing), files, s.disclosure)


def _columns(fp: FlowPlan) -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in fp.delivered()]


def _publish(
    plan: Plan, layout: dl.Layout, staging: Path, result: RunResult, tick: Progress
) -> None:
    """Rename everything into place, then move the pointers, then write the run record."""
    total = len(plan.flows)
    for i, fp in enumerate(plan.flows):
        dl.publish(staging / "flows" / dl.slug(fp.flow_id), layout.flow_dir(fp) / result.run_id)
        tick("publish", i + 1, total)
    run_dir = layout.run_dir(result.run_id)
    dl.publish(staging / "run", run_dir)
    for fp in plan.flows:
        dl.write_pointer(layout.flow_dir(fp), result.run_id)
    tmp = run_dir / f".{RUN_RECORD}.tmp"
    tmp.write_bytes(rfc8785.dumps(result.to_record(layout.root)))
    os.replace(tmp, run_dir / RUN_RECORD)
    dl.write_pointer(layout.runs_dir(), result.run_id)


def _opt_out_lists(plan: Plan, paths: dict[str, Path]) -> dict[str, OptOutList]:
    wanted = [k for k in plan.opt_out_lists if k != persons.RIGHTS]  # given as hashes
    missing = [k for k in wanted if k not in paths]
    if missing:
        raise SourceError(
            "the opt-out decision needs a list that was not given",
            [Problem(f"opt_out_lists.{k}", "required by the opt-out decision") for k in missing],
        )
    return {k: read_opt_out_list(k, Path(paths[k])) for k in wanted}


def _postcodes(plan: Plan, geography: PostcodeSource | pa.Table | None) -> pa.Table | None:
    if plan.lookup is None:
        return None
    if geography is None:
        raise ConfigError(
            "the row filter routes by postcode but no postcode directory was given",
            [Problem("geography", "missing")],
        )
    if isinstance(geography, pa.Table):
        return geography
    return geography.postcode_table(plan.lookup.on)


def _bases(plan: Plan, layout: dl.Layout, previous: str | None, run_id: str) -> dict[str, Path]:
    """Each flow's previous delivery folder to diff against, if it has one."""
    out: dict[str, Path] = {}
    for fp in plan.flows:
        folder = layout.flow_dir(fp)
        base = previous if previous is not None else dl.read_pointer(folder)
        if base is None or base == run_id:
            continue
        if not (folder / base / dl.MANIFEST).is_file():
            raise NotFound(
                "no earlier delivery to compute the delta against",
                [Problem(f"flows.{fp.flow_id}", f"run {base} was not delivered to it")],
            )
        out[fp.flow_id] = folder / base
    return out


def _delta_refusal(plan: Plan, bases: dict[str, Path]) -> str | None:
    """Why this run cannot deliver deltas only (then it delivers in full), or None."""
    for fp in plan.flows:
        base = bases.get(fp.flow_id)
        if base is None:
            return f"flow {fp.flow_id}: first delivery, nothing to compute a delta against"
        if fp.write.format != "parquet":
            return f"flow {fp.flow_id}: deltas only for Parquet deliveries"
        if plan.key_column(fp) is None:
            return f"flow {fp.flow_id}: the extract has no person key"
        manifest = json.loads((base / dl.MANIFEST).read_bytes())
        if manifest["agreement"]["hash"] != plan.agreement_hash:
            return f"flow {fp.flow_id}: the base was delivered under another agreement version"
        if manifest["columns"] != _columns(fp) or manifest["format"] != "parquet":
            return f"flow {fp.flow_id}: the base has other columns"
    return None


def _fingerprint(table: pa.Table | None) -> str | None:
    if table is None:
        return None
    con = duckdb.connect()
    try:
        con.register("t", table)
        row = con.execute(
            "SELECT count(*), bit_xor(hash(postcode, lsoa21, lad_code, utla_code)) FROM t"
        ).fetchone()
    finally:
        con.close()
    return f"{row[0]}:{row[1]}" if row else None


def _run_id(
    plan: Plan,
    source_sha: str,
    lists: dict[str, OptOutList],
    postcodes_fp: str | None,
    secret_fp: str,
    previous: str | None,
    mode: str = dlt.MODE_FULL,
) -> str:
    material: dict[str, Any] = {
        "agreement_hash": plan.agreement_hash,
        "flows": [fp.flow_id for fp in plan.flows],
        "source": source_sha,
        "opt_outs": {k: v.sha256 for k, v in sorted(lists.items())},
        "postcodes": postcodes_fp,
        "effective_date": plan.effective_date.isoformat(),
        "secret": secret_fp,
        "previous": previous,
        "engine": 1,
    }
    if mode == dlt.MODE_DELTA:
        material["delivery"] = mode
    return hashlib.sha256(rfc8785.dumps(material)).hexdigest()[:24]
