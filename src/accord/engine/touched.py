"""What changed since a base run, from content hashes: the deltas of a run that builds on it.

The DuckDB engine's incremental capability (:mod:`accord.engine.incremental`) uses this when the
base is a *full* earlier run with a compatible state (same fingerprint, every flow's base is that
run, Parquet extracts with a person key). Row outcomes depend only on a row's content and the
fingerprint, so with ``n_prev(h)`` and ``n_cur(h)`` the number of source rows with content
hashes ``h`` in the base and now:

1. *touched* hashes are those with ``n_prev(h) != n_cur(h)`` (new, gone, duplicated or
   de-duplicated rows); *fresh* rows (``n_prev(h) == 0``) go through the plan, nothing else;
2. per flow, the *touched keys* are the keys of touched base rows (read from the base extract
   by position: the base state lists, in source order, the flows each row reached, and a flow's
   extract holds its rows in that order) and the keys of fresh output rows;
3. for those keys only, the base rows are read from the base extracts and the current rows are
   built as: base rows of untouched hashes, ``n_cur(h)`` copies of a touched known hash's base
   row, and the fresh rows' outputs;
4. the delta is :func:`accord.engine.delta.diff_sql` over those rows only (a key outside them
   has the same rows as in its base, so is in no delta).

Two runs build on this:

- :func:`delta_only`, a delta-only delivery: no extract is written. Exceptions and counts are
  the full run's without building the whole current state: the exceptions are the current rows
  of known hashes whose outcome has reasons (a join to that small subset only) plus the fresh
  rows' exceptions; the counts are the base state's rows, plus ``n_cur(h) - n_prev(h)`` rows (a
  weight, possibly negative) of each touched known hash, plus the fresh rows. The state is
  written as a *state delta*: one row per touched hash with its new count (0: gone) and outcome;
  the base run's ``state.parquet`` plus this delta give the current state as counts per content
  hash. No run builds on a state delta yet: a delta against a delta-only run runs in full.
- :func:`beside_full`, a full delivery: the engine has just run the plan over the whole source
  and written every extract and the state; the deltas come from the hashes that state holds,
  so they cost the touched keys' rows, never a second pass over every extract.

Both return None, having written nothing, when this does not apply (more than half the rows
fresh, base extracts that do not line up with the base state, a missing person key); the
caller then runs in full and the driver diffs whole extracts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accord.engine import delivery as dl
from accord.engine import delta as dlt
from accord.engine.backends import duckdb_sql as sql
from accord.engine.backends.base import (
    EXCEPTIONS_SCHEMA,
    Counts,
    ExtractSink,
    FlowCounts,
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
HASHES = pa.schema([(ROW, pa.int64()), ("__h1", pa.uint64()), ("__h2", pa.uint64())])
"""What :func:`beside_full` needs of the state the full run wrote: each row's content hashes."""


@dataclass(frozen=True)
class Changes:
    """Each flow's delta against its base, and how many rows went through the plan again."""

    deltas: dict[str, dlt.Delta]
    fresh_rows: int


def delta_only(
    backend: DuckDBBackend,
    plan: Plan,
    inputs: RunInputs,
    base: Path,
    bases: dict[str, Path],
    sink: ExtractSink,
) -> Outcome | None:
    """A delta-only delivery over the rows not seen in ``base``; None (nothing written) when
    this path is off."""
    with _connection(backend, inputs) as con:
        register_source(con, plan, inputs)
        h1, h2 = sql.content_hash_sql([f.name for f in plan.source.fields])
        con.execute(f"CREATE TEMP TABLE cur AS SELECT {ROW}, {h1} AS __h1, {h2} AS __h2 FROM src")
        changes = _changes(con, backend, plan, inputs, base, bases)
        if changes is None:
            return None
        # Exceptions: current rows of known hashes with reasons (a join to that small subset of
        # the old outcomes only), and the fresh rows' exceptions.
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
        # Counts: the base run's, plus (n_cur - n_prev) rows of each touched known hash, plus
        # the fresh rows; each weighted, so nothing is built over the whole current state.
        con.execute(
            "CREATE TEMP VIEW weighted AS SELECT o.__reasons, o.__flows, o.__opted, "
            "t.__n - t.__np AS __w FROM touched t JOIN outcome o USING (__h1, __h2) UNION ALL "
            "SELECT __reasons, __flows, __opted, 1::BIGINT FROM fresh_state"
        )
        record = json.loads((base / "run.json").read_bytes())
        total = _counts(con, plan, record)
        return Outcome(total, changes.deltas, changes.fresh_rows, base / dl.STATE)


def beside_full(
    backend: DuckDBBackend,
    plan: Plan,
    inputs: RunInputs,
    base: Path,
    bases: dict[str, Path],
    hashes: Path,
) -> Changes | None:
    """The deltas of a full delivery against ``base``, from the content hashes (a Parquet file
    of schema :data:`HASHES`) the full run just wrote in its state; None when they cannot be
    had so."""
    with _connection(backend, inputs) as con:
        con.execute(f"CREATE VIEW cur AS SELECT * FROM read_parquet({string_literal(str(hashes))})")
        return _changes(con, backend, plan, inputs, base, bases)


@contextmanager
def _connection(backend: DuckDBBackend, inputs: RunInputs) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(config={"memory_limit": backend.memory_limit})
    try:
        if backend.threads:
            con.execute(f"SET threads = {int(backend.threads)}")
        yield con
    except duckdb.Error as exc:
        raise intake_error(inputs, exc) from None
    finally:
        con.close()


def _changes(
    con: duckdb.DuckDBPyConnection,
    backend: DuckDBBackend,
    plan: Plan,
    inputs: RunInputs,
    base: Path,
    bases: dict[str, Path],
) -> Changes | None:
    """Over ``cur`` (each current row's hashes): the tables ``outcome``, ``touched`` and
    ``fresh_state``, and every flow's delta; None when the base cannot be built on."""
    prev = pq.read_table(base / dl.STATE)
    rows = prev[ROW].to_numpy()
    if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        prev = prev.take(pc.sort_indices(prev, [(ROW, "ascending")]))
        rows = prev[ROW].to_numpy()
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
    total, fresh_rows = con.execute(
        "SELECT coalesce(sum(__n), 0), coalesce(sum(__n) FILTER (WHERE __np = 0), 0) FROM hashes"
    ).fetchall()[0]
    if fresh_rows * 2 > total:
        return None
    con.execute(
        "CREATE TEMP TABLE touched AS SELECT __h1, __h2, __n, nullif(__np, 0) AS __np "
        "FROM hashes WHERE __np <> __n"
    )
    positions = _Positions.of(prev, len(plan.flows))
    if not positions.line_up(plan, bases):
        return None
    gone = con.execute(f"SELECT {ROW} FROM prev SEMI JOIN touched USING (__h1, __h2)").fetchnumpy()
    con.register("tpos", positions.entries(np.searchsorted(rows, gone[ROW])))

    fresh = con.sql(
        f"SELECT {ROW} FROM cur SEMI JOIN (SELECT __h1, __h2 FROM hashes WHERE __np = 0) "
        f"USING (__h1, __h2) ORDER BY {ROW}"
    ).to_arrow_table()
    capture = Capture()
    backend.execute(plan, dataclasses.replace(inputs, rows=fresh), capture)
    assert capture.state is not None
    con.register("fresh_state", capture.state)
    deltas: dict[str, dlt.Delta] = {}
    for g, members in enumerate(shapes(plan).values()):
        got = _group(con, plan, members, bases, capture, positions, g)
        if got is None:
            return None
        deltas.update(got)
    return Changes(deltas, fresh.num_rows)


class Capture:
    """Holds what the backend produces for the fresh rows (a small share of the source)."""

    def __init__(self) -> None:
        self.extracts: dict[str, pa.Table] = {}
        self.state: pa.Table | None = None

    def write_extract(self, flow_id: str, batches: pa.RecordBatchReader) -> None:
        self.extracts[flow_id] = batches.read_all()

    def write_exceptions(self, batches: pa.RecordBatchReader) -> None:
        batches.read_all()  # the caller builds the exceptions with current row numbers

    def write_state(self, batches: pa.RecordBatchReader) -> None:
        self.state = batches.read_all()


@dataclass(frozen=True)
class _Positions:
    """Where each base row sits in each base extract, as arrays over the base state's flat
    list of (row, flow) entries: the state lists, in source order, the flows each row reached,
    and a flow's extract holds its rows in that order."""

    flat: np.ndarray  # each entry's flow
    parent: np.ndarray  # each entry's base state row
    order: np.ndarray  # entries by flow, each flow's in source order
    ranked: np.ndarray  # (flow, entry) of ``order`` as one increasing number
    starts: np.ndarray  # each flow's first place in ``order``
    per_flow: np.ndarray  # each flow's rows
    h1: np.ndarray
    h2: np.ndarray

    @classmethod
    def of(cls, prev: pa.Table, n_flows: int) -> _Positions:
        flows = prev["__flows"].combine_chunks()
        flat = pc.list_flatten(flows).to_numpy(zero_copy_only=False)
        parent = pc.list_parent_indices(flows).to_numpy(zero_copy_only=False)
        # A stable sort of small integers is a radix sort: one pass, not n log n.
        narrow = flat.astype(np.int16) if n_flows < 2**15 else flat
        order = np.argsort(narrow, kind="stable")
        ranked = flat[order].astype(np.int64) * max(len(flat), 1) + order
        per_flow = np.bincount(flat, minlength=n_flows)
        starts = np.concatenate([[0], np.cumsum(per_flow)[:-1]]).astype(np.int64)
        h1 = prev["__h1"].to_numpy()
        h2 = prev["__h2"].to_numpy()
        return cls(flat, parent, order, ranked, starts, per_flow, h1, h2)

    def line_up(self, plan: Plan, bases: dict[str, Path]) -> bool:
        """True if each base extract holds as many rows as the base state says it does."""
        return all(
            pq.read_metadata(bases[fp.flow_id] / "extract.parquet").num_rows == self.per_flow[i]
            for i, fp in enumerate(plan.flows)
        )

    def entries(self, rows: np.ndarray) -> pa.Table:
        """``(__flow, __pos)`` of every entry of the base state rows at indices ``rows``: an
        entry's place in its flow's extract is its place in ``order`` less the flow's start."""
        mark = np.zeros(len(self.h1), bool)
        mark[rows] = True
        keep = np.flatnonzero(mark[self.parent])
        flow = self.flat[keep].astype(np.int64)
        at = np.searchsorted(self.ranked, flow * max(len(self.flat), 1) + keep)
        return pa.table({"__flow": pa.array(flow, pa.int32()), "__pos": at - self.starts[flow]})

    def hashes(self, flow: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The content hashes of the base rows at ``pos`` in the extracts of ``flow``."""
        row = self.parent[self.order[self.starts[flow] + pos]]
        return self.h1[row], self.h2[row]


def _group(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    members: list[int],
    bases: dict[str, Path],
    capture: Capture,
    positions: _Positions,
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
        f"SELECT m.__flow, b.{key} AS __k FROM {scan} JOIN tpos t "
        f"ON t.__flow = m.__flow AND t.__pos = b.file_row_number "
        f"UNION ALL SELECT __flow, {key} FROM fv_{g})"
    )
    if con.execute(f"SELECT count(*) FROM tk_{g} WHERE __k IS NULL").fetchall()[0][0]:
        return None  # a missing person key: the driver's diff of whole extracts handles it
    held = con.sql(
        f"SELECT m.__flow, b.file_row_number AS __pos, {', '.join('b.' + n for n in names)} "
        f"FROM {scan} SEMI JOIN tk_{g} t ON t.__flow = m.__flow AND t.__k = b.{key}"
    ).to_arrow_table()
    h1, h2 = positions.hashes(
        held["__flow"].to_numpy().astype(np.int64), held["__pos"].to_numpy().astype(np.int64)
    )
    con.register(
        f"bkh_{g}", held.append_column("__h1", pa.array(h1)).append_column("__h2", pa.array(h2))
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


def _counts(con: duckdb.DuckDBPyConnection, plan: Plan, base: dict[str, Any]) -> Counts:
    """The ``base`` run's counts (its run record) plus those of ``weighted``: the changes, each
    row counted ``__w`` times (negative for rows gone)."""
    total, bad, delivered, opted = (
        int(v or 0)
        for v in con.execute(
            "SELECT sum(__w), sum(__w) FILTER (WHERE __reasons <> ''), "
            "sum(__w) FILTER (WHERE len(__flows) > 0), "
            "sum(__w) FILTER (WHERE len(__flows) = 0 AND len(__opted) > 0) FROM weighted"
        ).fetchall()[0]
    )
    by_reason: dict[str, int] = dict(base["exceptions_by_reason"])
    for reason, n in con.execute(
        "SELECT reason, sum(__w) FROM (SELECT unnest(string_split(__reasons, ';')) AS reason, "
        "__w FROM weighted WHERE __reasons <> '') GROUP BY reason"
    ).fetchall():
        by_reason[reason] = by_reason.get(reason, 0) + int(n)
    index = {fp.flow_id: i for i, fp in enumerate(plan.flows)}
    rows = {index[d["flow_id"]]: d["rows"] for d in base["deliveries"]}
    out = {index[d["flow_id"]]: d["opted_out_removed"] for d in base["deliveries"]}
    for column, into in (("__flows", rows), ("__opted", out)):
        for f, n in con.execute(
            f"SELECT f, sum(__w) FROM (SELECT unnest({column}) AS f, __w FROM weighted) GROUP BY f"
        ).fetchall():
            into[f] = into.get(f, 0) + int(n)
    total += base["input_rows"]
    bad += base["exception_rows"]
    delivered += base["delivered_rows"]
    opted += base["opted_out_rows"]
    return Counts(
        input_rows=total,
        exception_rows=bad,
        exceptions_by_reason={k: v for k, v in sorted(by_reason.items()) if v},
        opted_out_rows=opted,
        not_entitled_rows=total - bad - delivered - opted,
        delivered_rows=delivered,
        flows={
            fp.flow_id: FlowCounts(rows.get(i, 0), out.get(i, 0)) for i, fp in enumerate(plan.flows)
        },
    )
