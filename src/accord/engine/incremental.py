"""Incremental runs: only new or changed source rows go through validation and routing.

This is the DuckDB engine's :class:`~accord.engine.backends.base.Incremental` capability: the
driver asks ``engine.run`` and never knows which path ran. Every DuckDB run leaves beside its run
record ``state.parquet``: per source row, two 64-bit
hashes of its raw read columns and its outcome (exception reasons, the flows it was delivered
to, the flows where an opt-out removed it), never a row value; and ``state.json``, the
fingerprint of everything else an outcome depends on: the plan (with its agreement hash) without
the run date, unless a check, an age band or a filter uses the date; the opt-out lists; the
postcode table; the pseudonym keys; the source format and column types; the engine.

A row's outcome depends only on its values and that fingerprint. So when the next run has the
same fingerprint and every flow's delta base is that run:

1. one scan hashes the new source; rows whose hashes the previous state holds are *known*;
2. only the others (*fresh*) are checked, routed and transformed, by the backend restricted to
   them (opt-outs, keys and disclosure rules are the plan's, exactly as in a full run);
3. each flow's extract is the known rows' values, read back from the previous extract through
   the previous state, merged with the fresh rows' values, in source row order;
4. each flow's delta against the previous extract is computed by the one rule
   (:func:`accord.engine.delta.diff_sql`, replace by key) over the tables already built;
5. exceptions, counts and the new state come from known plus fresh outcomes.

The result is byte-identical to a full run on the same inputs
(``tests/generative/test_engine_incremental.py``). Anything else runs in full: another
fingerprint (a new agreement version, opt-out list, postcode table or key), no state, flows with
different bases, a flow without a person key in its extract or not delivered as Parquet, or more
than half the rows fresh.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import rfc8785

from accord.engine import delivery as dl
from accord.engine import delta as dlt
from accord.engine import predicate as p
from accord.engine.backends import duckdb_sql as sql
from accord.engine.backends.base import (
    EXCEPTIONS_SCHEMA,
    Counts,
    ExtractSink,
    FlowCounts,
    Outcome,
    Prior,
    RunInputs,
    extract_schema,
)
from accord.engine.backends.duckdb import (
    BATCH_ROWS,
    STATE_SCHEMA,
    DuckDBBackend,
    Split,
    cast_reader,
    intake_error,
    register_source,
    shapes,
)
from accord.engine.plan import AgeBand, CheckKind, Plan
from accord.engine.sources import ROW, Source
from accord.refdata import string_literal

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
            from accord.engine import delta_fast

            outcome = delta_fast.execute(self.backend, plan, inputs, base, prior.bases, sink)
            if outcome is not None:
                meta["base"] = base.name
        if base is not None and outcome is None:
            outcome = execute(self.backend, plan, inputs, sink, base, prior.bases)
        if outcome is None:
            outcome = Outcome(self.backend.execute(plan, inputs, sink))
        write_meta = getattr(sink, "write_state_meta", None)
        if write_meta is not None:
            write_meta(rfc8785.dumps(meta))
        return outcome


class _Capture:
    """Holds what the backend produces for the fresh rows (a small share of the source)."""

    def __init__(self) -> None:
        self.extracts: dict[str, pa.Table] = {}
        self.state: pa.Table | None = None

    def write_extract(self, flow_id: str, batches: pa.RecordBatchReader) -> None:
        self.extracts[flow_id] = batches.read_all()

    def write_exceptions(self, batches: pa.RecordBatchReader) -> None:
        batches.read_all()  # rebuilt from the combined state with current row numbers

    def write_state(self, batches: pa.RecordBatchReader) -> None:
        self.state = batches.read_all()


def execute(
    backend: DuckDBBackend,
    plan: Plan,
    inputs: RunInputs,
    sink: ExtractSink,
    base: Path,
    bases: dict[str, Path],
) -> Outcome | None:
    """Run over the rows not seen in ``base``; None (nothing written) when a full run is due."""
    con = duckdb.connect(config={"memory_limit": backend.memory_limit})
    try:
        if backend.threads:
            con.execute(f"SET threads = {int(backend.threads)}")
        return _execute(con, backend, plan, inputs, sink, base, bases)
    except duckdb.Error as exc:
        raise intake_error(inputs, exc) from None
    finally:
        con.close()


def _execute(
    con: duckdb.DuckDBPyConnection,
    backend: DuckDBBackend,
    plan: Plan,
    inputs: RunInputs,
    sink: ExtractSink,
    base: Path,
    bases: dict[str, Path],
) -> Outcome | None:
    register_source(con, plan, inputs)
    h1, h2 = sql.content_hash_sql([f.name for f in plan.source.fields])
    con.execute(f"CREATE TEMP TABLE cur AS SELECT {ROW}, {h1} AS __h1, {h2} AS __h2 FROM src")
    state_path = string_literal(str(base / dl.STATE))
    con.execute(f"CREATE TEMP TABLE prev AS SELECT * FROM read_parquet({state_path})")
    con.execute(
        "CREATE TEMP TABLE outcome AS SELECT DISTINCT ON (__h1, __h2) "
        "__h1, __h2, __reasons, __flows, __opted FROM prev"
    )
    con.execute(
        f"CREATE TEMP TABLE known AS SELECT c.{ROW}, c.__h1, c.__h2, o.__reasons, o.__flows, "
        "o.__opted FROM cur c JOIN outcome o USING (__h1, __h2)"
    )
    total, known = con.execute(
        "SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM known)"
    ).fetchall()[0]
    if (total - known) * 2 > total:
        return None
    # The previous extracts, each row tied to the content hashes of the row it came from.
    groups = list(shapes(plan).values())
    for g, members in enumerate(groups):
        if not _previous_values(con, plan, members, bases, g):
            return None

    fresh = con.sql(f"SELECT {ROW} FROM cur ANTI JOIN outcome USING (__h1, __h2)").to_arrow_table()
    # Hashes whose number of rows changed: only keys with such a base row, or a fresh row, can
    # have other rows now, so only their rows go into the deltas.
    con.execute(
        "CREATE TEMP TABLE touched AS SELECT __h1, __h2 FROM (SELECT __h1, __h2, "
        "count(*) FILTER (WHERE __p) AS __np, count(*) FILTER (WHERE NOT __p) AS __n FROM "
        "(SELECT __h1, __h2, TRUE AS __p FROM prev UNION ALL SELECT __h1, __h2, FALSE FROM cur) "
        "GROUP BY ALL) WHERE __np <> __n"
    )
    capture = _Capture()
    backend.execute(plan, dataclasses.replace(inputs, rows=fresh), capture)
    assert capture.state is not None
    con.register("fresh_state", capture.state)
    con.execute(
        "CREATE TEMP TABLE state AS SELECT * FROM known UNION ALL SELECT * FROM fresh_state"
    )

    exceptions = con.sql(
        f"SELECT {ROW} AS row_number, __reasons AS reason FROM state "
        f"WHERE __reasons <> '' ORDER BY {ROW}"
    ).to_arrow_reader(BATCH_ROWS)
    sink.write_exceptions(cast_reader(exceptions, EXCEPTIONS_SCHEMA))

    deltas: dict[str, dlt.Delta] = {}
    for g, members in enumerate(groups):
        deltas.update(_extracts(con, plan, members, capture, sink, g))

    write_state = getattr(sink, "write_state", None)
    if write_state is not None:
        reader = con.sql(f"SELECT * FROM state ORDER BY {ROW}").to_arrow_reader(BATCH_ROWS)
        write_state(cast_reader(reader, STATE_SCHEMA))
    return Outcome(_counts(con, plan), deltas, fresh.num_rows)


def _previous_values(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    members: list[int],
    bases: dict[str, Path],
    g: int,
) -> bool:
    """``pv_<g>``: previous extract rows with flow and hashes; False if they do not line up."""
    names = [sql.q(c.name) for c in plan.flows[members[0]].outputs()]
    files = [str(bases[plan.flows[i].flow_id] / "extract.parquet") for i in members]
    con.register(
        f"files_{g}", pa.table({"filename": files, "__flow": pa.array(members, pa.int32())})
    )
    listed = ", ".join(string_literal(f) for f in files)
    flows = ", ".join(str(i) for i in members)
    con.execute(
        f"CREATE TEMP TABLE pv_{g} AS SELECT m.__flow, p.file_row_number AS __pos, "
        f"{', '.join('p.' + n for n in names)} FROM read_parquet([{listed}], filename = true, "
        f"file_row_number = true) p JOIN files_{g} m USING (filename)"
    )
    con.execute(
        f"CREATE TEMP TABLE ppos_{g} AS SELECT __flow, __h1, __h2, "
        f"row_number() OVER (PARTITION BY __flow ORDER BY {ROW}) - 1 AS __pos "
        f"FROM (SELECT unnest(__flows) AS __flow, {ROW}, __h1, __h2 FROM prev) "
        f"WHERE __flow IN ({flows})"
    )
    a, b = con.execute(
        f"SELECT (SELECT count(*) FROM pv_{g}), (SELECT count(*) FROM ppos_{g})"
    ).fetchall()[0]
    per_flow_ok = con.execute(
        f"SELECT count(*) FROM (SELECT __flow, count(*) n FROM pv_{g} GROUP BY __flow) x "
        f"FULL JOIN (SELECT __flow, count(*) n FROM ppos_{g} GROUP BY __flow) y USING (__flow) "
        "WHERE x.n IS DISTINCT FROM y.n"
    ).fetchall()
    return bool(a == b) and per_flow_ok[0][0] == 0


def _extracts(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    members: list[int],
    capture: _Capture,
    sink: ExtractSink,
    g: int,
) -> dict[str, dlt.Delta]:
    first = plan.flows[members[0]]
    names = [sql.q(c.name) for c in first.outputs()]
    cols = ", ".join(names)
    flows = ", ".join(str(i) for i in members)
    # Fresh rows' values, numbered per flow in source row order.
    pieces = []
    for i in members:
        table = capture.extracts[plan.flows[i].flow_id]
        pieces.append(
            table.add_column(0, "__pos", pa.array(range(table.num_rows), pa.int64())).add_column(
                0, "__flow", pa.array([i] * table.num_rows, pa.int32())
            )
        )
    con.register(f"fv_{g}", pa.concat_tables(pieces))
    con.execute(
        f"CREATE TEMP TABLE vals_{g} AS SELECT DISTINCT ON (q.__flow, q.__h1, q.__h2) "
        f"q.__flow, q.__h1, q.__h2, {', '.join('v.' + n for n in names)} "
        f"FROM ppos_{g} q JOIN pv_{g} v USING (__flow, __pos)"
    )
    con.execute(
        f"CREATE TEMP TABLE curvals_{g} AS "
        f"SELECT k.__flow, k.{ROW}, {', '.join('v.' + n for n in names)} FROM "
        f"(SELECT unnest(__flows) AS __flow, {ROW}, __h1, __h2 FROM known) k "
        f"JOIN vals_{g} v USING (__flow, __h1, __h2) WHERE k.__flow IN ({flows}) "
        f"UNION ALL SELECT f.__flow, f.{ROW}, {', '.join('v.' + n for n in names)} FROM "
        f"(SELECT __flow, {ROW}, row_number() OVER (PARTITION BY __flow ORDER BY {ROW}) - 1 "
        f"AS __pos FROM (SELECT unnest(__flows) AS __flow, {ROW} FROM fresh_state) "
        f"WHERE __flow IN ({flows})) f JOIN fv_{g} v USING (__flow, __pos)"
    )
    reader = con.sql(
        f"SELECT __flow, {cols} FROM curvals_{g} ORDER BY __flow, {ROW}"
    ).to_arrow_reader(BATCH_ROWS)
    split = Split(reader)
    for i in members:
        schema = extract_schema(plan.flows[i])
        sink.write_extract(plan.flows[i].flow_id, cast_reader(split.reader(i, schema), schema))
    split.finish()

    key = plan.key_column(first)
    assert key is not None
    k = sql.q(key)
    con.execute(
        f"CREATE TEMP TABLE tk_{g} AS SELECT DISTINCT __flow, __k FROM (SELECT v.__flow, "
        f"v.{k} AS __k FROM (SELECT __flow, __pos FROM ppos_{g} SEMI JOIN touched "
        f"USING (__h1, __h2)) q JOIN pv_{g} v USING (__flow, __pos) "
        f"UNION ALL SELECT __flow, {k} FROM fv_{g})"
    )
    on = "t.__flow = x.__flow AND t.__k IS NOT DISTINCT FROM x.{}"
    for name, table in (("now", f"curvals_{g}"), ("was", f"pv_{g}")):
        con.execute(
            f"CREATE TEMP TABLE {name}_{g} AS SELECT __flow, {cols} FROM {table} x "
            f"SEMI JOIN tk_{g} t ON {on.format(k)}"
        )
    got = dlt.diff_sql(con, f"now_{g}", f"was_{g}", [c.name for c in first.outputs()], key)
    return {
        plan.flows[i].flow_id: dlt.split(*got, i, extract_schema(plan.flows[i]), key)
        for i in members
    }


def _counts(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    table: str = "state",
    weight: str | None = None,
    base: dict[str, Any] | None = None,
) -> Counts:
    """Counts over ``table``: one per row, or the sum of its ``weight`` column, added to those
    of the ``base`` run's record when given (then ``table`` holds only the changes)."""
    n = "count(*)" if weight is None else f"sum({weight})"
    total, bad, delivered, opted = con.execute(
        f"SELECT {n}, {n} FILTER (WHERE __reasons <> ''), "
        f"{n} FILTER (WHERE len(__flows) > 0), "
        f"{n} FILTER (WHERE len(__flows) = 0 AND len(__opted) > 0) FROM {table}"
    ).fetchall()[0]
    by_reason = dict(
        con.execute(
            f"SELECT reason, {n} FROM (SELECT unnest(string_split(__reasons, ';')) "
            f"AS reason{', ' + weight if weight else ''} FROM {table} WHERE __reasons <> '') "
            f"GROUP BY reason HAVING {n} <> 0 ORDER BY reason"
        ).fetchall()
    )
    rows = dict(
        con.execute(
            f"SELECT f, {n} FROM (SELECT unnest(__flows) AS f"
            f"{', ' + weight if weight else ''} FROM {table}) GROUP BY f"
        ).fetchall()
    )
    out = dict(
        con.execute(
            f"SELECT f, {n} FROM (SELECT unnest(__opted) AS f"
            f"{', ' + weight if weight else ''} FROM {table}) GROUP BY f"
        ).fetchall()
    )
    total, bad, delivered, opted = (int(v or 0) for v in (total, bad, delivered, opted))
    rows = {k: int(v or 0) for k, v in rows.items()}
    out = {k: int(v or 0) for k, v in out.items()}
    if base is not None:
        total += base["input_rows"]
        bad += base["exception_rows"]
        delivered += base["delivered_rows"]
        opted += base["opted_out_rows"]
        for k, v in base["exceptions_by_reason"].items():
            by_reason[k] = by_reason.get(k, 0) + v
        by_reason = {k: v for k, v in sorted(by_reason.items()) if v}
        index = {fp.flow_id: i for i, fp in enumerate(plan.flows)}
        for d in base["deliveries"]:
            i = index[d["flow_id"]]
            rows[i] = rows.get(i, 0) + d["rows"]
            out[i] = out.get(i, 0) + d["opted_out_removed"]
    return Counts(
        input_rows=total,
        exception_rows=bad,
        exceptions_by_reason={str(k): int(v) for k, v in by_reason.items()},
        opted_out_rows=opted,
        not_entitled_rows=total - bad - delivered - opted,
        delivered_rows=delivered,
        flows={
            fp.flow_id: FlowCounts(rows.get(i, 0), out.get(i, 0)) for i, fp in enumerate(plan.flows)
        },
    )
