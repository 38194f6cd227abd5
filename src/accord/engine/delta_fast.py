"""The fast path of a delta-only run: only changed rows, and no full extract written.

It builds on a *full* earlier run with a compatible state (:mod:`accord.engine.incremental`:
same fingerprint, every flow's base is that run, Parquet extracts with a person key). Row
outcomes depend only on a row's content and the fingerprint, so with ``n_prev(h)`` and
``n_cur(h)`` the number of source rows with content hashes ``h`` in the base and now:

1. *touched* hashes are those with ``n_prev(h) != n_cur(h)`` (new, gone, duplicated or
   de-duplicated rows); *fresh* rows (``n_prev(h) == 0``) go through the plan, nothing else;
2. per flow, the *touched keys* are the keys of touched base rows (read from the base extract
   by position: the base state lists, in source order, the rows each flow received) and the keys
   of fresh output rows;
3. for those keys only, the base rows are read from the base extracts and the current rows are
   built as: base rows of untouched hashes, ``n_cur(h)`` copies of a touched known hash's base
   row, and the fresh rows' outputs;
4. the delta is :func:`accord.engine.delta.diff_sql` over those rows only (a key outside them
   has the same rows as in its base, so is in no delta).

Exceptions and counts are the full run's, without building the whole current state: the
exceptions are the current rows of known hashes whose outcome has reasons (a join to that small
subset only) plus the fresh rows' exceptions; the counts are the base state's rows, plus
``n_cur(h) - n_prev(h)`` rows (a weight, possibly negative) of each touched known hash, plus the
fresh rows. The new state is written as a *state delta*: one row per touched hash with
its new count (0: gone) and outcome; the base run's ``state.parquet`` plus this delta give the
current state as counts per content hash. No run builds on a state delta yet: a delta against a
delta-only run takes the general path, which writes the state in full again.

Returns None, having written nothing, when the fast path does not apply (more than half the
rows fresh, base extracts that do not line up with the base state, a missing person key).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accord.engine import delivery as dl
from accord.engine import delta as dlt
from accord.engine import incremental as inc
from accord.engine.backends import duckdb_sql as sql
from accord.engine.backends.base import (
    EXCEPTIONS_SCHEMA,
    ExtractSink,
    Outcome,
    RunInputs,
    extract_schema,
)
from accord.engine.backends.duckdb import (
    BATCH_ROWS,
    DuckDBBackend,
    cast_reader,
    intake_error,
    register_source,
    shapes,
)
from accord.engine.plan import Plan
from accord.engine.sources import ROW
from accord.refdata import string_literal

STATE_DELTA = dl.STATE_DELTA
STATE_DELTA_SCHEMA = pa.schema(
    [
        ("__h1", pa.uint64()),
        ("__h2", pa.uint64()),
        ("__n", pa.int64()),
        ("__reasons", pa.string()),
        ("__flows", pa.list_(pa.int32())),
        ("__opted", pa.list_(pa.int32())),
    ]
)


def execute(
    backend: DuckDBBackend,
    plan: Plan,
    inputs: RunInputs,
    base: Path,
    bases: dict[str, Path],
    sink: ExtractSink,
) -> Outcome | None:
    """Run over the rows not seen in ``base``; None (nothing written) when this path is off."""
    con = duckdb.connect(config={"memory_limit": backend.memory_limit})
    try:
        if backend.threads:
            con.execute(f"SET threads = {int(backend.threads)}")
        return _execute(con, backend, plan, inputs, base, bases, sink)
    except duckdb.Error as exc:
        raise intake_error(inputs, exc) from None
    finally:
        con.close()


def _execute(
    con: duckdb.DuckDBPyConnection,
    backend: DuckDBBackend,
    plan: Plan,
    inputs: RunInputs,
    base: Path,
    bases: dict[str, Path],
    sink: ExtractSink,
) -> Outcome | None:
    register_source(con, plan, inputs)
    h1, h2 = sql.content_hash_sql([f.name for f in plan.source.fields])
    con.execute(f"CREATE TEMP TABLE cur AS SELECT {ROW}, {h1} AS __h1, {h2} AS __h2 FROM src")
    prev = pq.read_table(base / dl.STATE)
    con.register("prev", prev)
    # One aggregation over base and current rows: per content hash, its rows in each.
    con.execute(
        "CREATE TEMP TABLE hashes AS SELECT __h1, __h2, count(*) FILTER (WHERE __p) AS __np, "
        "count(*) FILTER (WHERE NOT __p) AS __n FROM (SELECT __h1, __h2, TRUE AS __p FROM prev "
        "UNION ALL SELECT __h1, __h2, FALSE FROM cur) GROUP BY ALL"
    )
    duplicated = con.execute("SELECT count(*) FROM hashes WHERE __np > 1").fetchall()[0][0]
    # Rows with the same hashes have the same outcome: keep one base row per hash (the state
    # holds one per row, so only when the base repeated a row is there anything to drop).
    con.execute(
        "CREATE TEMP TABLE outcome AS SELECT DISTINCT ON (__h1, __h2) "
        "__h1, __h2, __reasons, __flows, __opted FROM prev"
        if duplicated
        else "CREATE TEMP VIEW outcome AS SELECT __h1, __h2, __reasons, __flows, __opted FROM prev"
    )
    # Totals from the per-hash counts: no join of every current row to the old outcomes.
    total, fresh_rows = con.execute(
        "SELECT coalesce(sum(__n), 0), coalesce(sum(__n) FILTER (WHERE __np = 0), 0) FROM hashes"
    ).fetchall()[0]
    if fresh_rows * 2 > total:
        return None
    con.execute(
        "CREATE TEMP TABLE touched AS SELECT __h1, __h2, __n, nullif(__np, 0) AS __np "
        "FROM hashes WHERE __np <> __n"
    )
    groups = list(shapes(plan).values())
    if not _positions(con, plan, prev, bases):
        return None

    fresh = con.sql(
        f"SELECT {ROW} FROM cur SEMI JOIN (SELECT __h1, __h2 FROM hashes WHERE __np = 0) "
        f"USING (__h1, __h2) ORDER BY {ROW}"
    ).to_arrow_table()
    capture = inc._Capture()
    backend.execute(plan, dataclasses.replace(inputs, rows=fresh), capture)
    assert capture.state is not None
    con.register("fresh_state", capture.state)
    deltas: dict[str, dlt.Delta] = {}
    for g, members in enumerate(groups):
        got = _group(con, plan, members, bases, capture, g)
        if got is None:
            return None
        deltas.update(got)

    # Exceptions: current rows of known hashes with reasons (a join to that small subset of the
    # old outcomes only), and the fresh rows' exceptions.
    exceptions = con.sql(
        f"SELECT c.{ROW} AS row_number, o.__reasons AS reason FROM cur c JOIN "
        "(SELECT __h1, __h2, __reasons FROM outcome WHERE __reasons <> '') o "
        f"USING (__h1, __h2) UNION ALL SELECT {ROW}, __reasons FROM fresh_state "
        "WHERE __reasons <> '' ORDER BY row_number"
    ).to_arrow_reader(BATCH_ROWS)
    sink.write_exceptions(cast_reader(exceptions, EXCEPTIONS_SCHEMA))
    state_delta = con.sql(
        "SELECT t.__h1, t.__h2, t.__n, o.__reasons, o.__flows, o.__opted FROM touched t "
        "JOIN (SELECT * FROM outcome UNION ALL SELECT DISTINCT ON (__h1, __h2) __h1, __h2, "
        "__reasons, __flows, __opted FROM fresh_state ANTI JOIN outcome USING (__h1, __h2)) o "
        "USING (__h1, __h2) ORDER BY t.__h1, t.__h2"
    ).to_arrow_reader(BATCH_ROWS)
    write_state_delta = getattr(sink, "write_state_delta", None)
    if write_state_delta is not None:
        write_state_delta(cast_reader(state_delta, STATE_DELTA_SCHEMA))
    # Counts: the base run's, plus (n_cur - n_prev) rows of each touched known hash, plus the
    # fresh rows; each weighted, so nothing is built over the whole current state.
    con.execute(
        "CREATE TEMP VIEW weighted AS SELECT o.__reasons, o.__flows, o.__opted, "
        "t.__n - t.__np AS __w FROM touched t JOIN outcome o USING (__h1, __h2) UNION ALL "
        "SELECT __reasons, __flows, __opted, 1::BIGINT FROM fresh_state"
    )
    record = json.loads((base / "run.json").read_bytes())
    counts = inc._counts(con, plan, "weighted", "__w", record)
    return Outcome(counts, deltas, fresh.num_rows, base / dl.STATE)


def _positions(
    con: duckdb.DuckDBPyConnection, plan: Plan, prev: pa.Table, bases: dict[str, Path]
) -> bool:
    """``ppos``: each base row's flow, position in that flow's extract and content hashes;
    False if the base extracts do not hold exactly the rows the base state says they do."""
    rows = prev[ROW].to_numpy()
    if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        prev = prev.take(pc.sort_indices(prev, [(ROW, "ascending")]))
    flows = prev["__flows"].combine_chunks()
    flat = pc.list_flatten(flows).to_numpy(zero_copy_only=False).astype(np.int32)
    parent = pc.list_parent_indices(flows).to_numpy(zero_copy_only=False)
    order = np.argsort(flat, kind="stable")  # by flow, each flow's rows in source order
    per_flow = np.bincount(flat, minlength=len(plan.flows))
    starts = np.concatenate([[0], np.cumsum(per_flow)[:-1]])
    pos = np.empty(len(flat), np.int64)
    pos[order] = np.arange(len(flat), dtype=np.int64) - starts[flat[order]]
    for i, fp in enumerate(plan.flows):
        path = bases[fp.flow_id] / "extract.parquet"
        if pq.read_metadata(path).num_rows != per_flow[i]:
            return False
    take = pa.array(parent)
    con.register(
        "ppos",
        pa.table(
            {
                "__flow": flat,
                "__pos": pos,
                "__h1": prev["__h1"].take(take),
                "__h2": prev["__h2"].take(take),
            }
        ),
    )
    return True


def _group(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    members: list[int],
    bases: dict[str, Path],
    capture: inc._Capture,
    g: int,
) -> dict[str, dlt.Delta] | None:
    first = plan.flows[members[0]]
    names = [sql.q(c.name) for c in first.outputs()]
    cols = ", ".join(names)
    key_name = plan.key_column(first)
    assert key_name is not None
    key = sql.q(key_name)
    files = [str(bases[plan.flows[i].flow_id] / "extract.parquet") for i in members]
    con.register(
        f"files_{g}", pa.table({"filename": files, "__flow": pa.array(members, pa.int32())})
    )
    listed = ", ".join(string_literal(f) for f in files)
    scan = (
        f"read_parquet([{listed}], filename = true, file_row_number = true) b "
        f"JOIN files_{g} m USING (filename)"
    )
    pieces = []
    for i in members:
        table = capture.extracts[plan.flows[i].flow_id]
        pieces.append(table.add_column(0, "__flow", pa.array([i] * table.num_rows, pa.int32())))
    con.register(f"fv_{g}", pa.concat_tables(pieces))
    con.execute(
        f"CREATE TEMP TABLE tk_{g} AS SELECT DISTINCT __flow, __k FROM ("
        f"SELECT m.__flow, b.{key} AS __k FROM {scan} JOIN (SELECT __flow, __pos FROM ppos "
        f"SEMI JOIN touched USING (__h1, __h2)) t "
        f"ON t.__flow = m.__flow AND t.__pos = b.file_row_number "
        f"UNION ALL SELECT __flow, {key} FROM fv_{g})"
    )
    if con.execute(f"SELECT count(*) FROM tk_{g} WHERE __k IS NULL").fetchall()[0][0]:
        return None  # a missing person key: the exact general path handles it
    con.execute(
        f"CREATE TEMP TABLE bk_{g} AS SELECT m.__flow, b.file_row_number AS __pos, "
        f"{', '.join('b.' + n for n in names)} FROM {scan} "
        f"SEMI JOIN tk_{g} t ON t.__flow = m.__flow AND t.__k = b.{key}"
    )
    con.execute(
        f"CREATE TEMP TABLE bkh_{g} AS SELECT b.*, p.__h1, p.__h2 FROM bk_{g} b "
        f"JOIN ppos p USING (__flow, __pos)"
    )
    con.execute(
        f"CREATE TEMP TABLE ck_{g} AS "
        f"SELECT __flow, {cols} FROM bkh_{g} ANTI JOIN touched USING (__h1, __h2) "
        f"UNION ALL SELECT __flow, {cols} FROM (SELECT d.*, unnest(range(t.__n)) AS __i FROM "
        f"(SELECT DISTINCT ON (__flow, __h1, __h2) * FROM bkh_{g}) d "
        f"JOIN touched t USING (__h1, __h2) WHERE t.__n > 0) "
        f"UNION ALL SELECT __flow, {cols} FROM fv_{g}"
    )
    got = dlt.diff_sql(con, f"ck_{g}", f"bkh_{g}", [c.name for c in first.outputs()], key_name)
    return {
        plan.flows[i].flow_id: dlt.split(*got, i, extract_schema(plan.flows[i]), key_name)
        for i in members
    }
