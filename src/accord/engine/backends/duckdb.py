"""The default backend: the plan as SQL in DuckDB, streaming over the source in one pass.

1. ``checked``: one scan of the source (Parquet natively, CSV as an Arrow stream) types and
   checks every read field, normalises standard fields, joins the postcode table for the
   effective date and flags people on each opt-out list (left joins), and writes the reasons a
   row fails (``''`` when it passes). Only the fields the plan reads are kept.
2. ``routed``: a view, the valid rows joined to each group of flows that share a row filter,
   with the recipients as a small table (``utla(postcode) == recipient.gss`` becomes a hash
   join), each routed row marked opted out or not for that flow (no hashes or reasons). Every
   reader repeats the join, which costs less than copying the routed rows into a table;
3. the state (per-row hashes and outcomes; when a row reaches at most one flow, ``checked``
   joined to the recipients directly) and the counts;
4. per run of flows of one shape (at most ``EXPORT_ROWS`` rows), one sorted ``SELECT`` of the
   projected, transformed columns over its slice of ``routed`` (pseudonyms as HMAC-SHA256 in
   SQL, keys bound as parameters), streamed to the sink as Arrow and cut into one stream per
   flow.

No per-row Python. Memory is bounded by DuckDB's ``memory_limit``; beyond it DuckDB spills to
the run's scratch folder.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from accord.engine import persons, predicate
from accord.engine.backends import duckdb_sql as sql
from accord.engine.backends.base import (
    EXCEPTIONS_SCHEMA,
    Backend,
    Counts,
    ExtractSink,
    FlowCounts,
    Incremental,
    RunInputs,
    extract_schema,
)
from accord.engine.backends.sql_dialect import layered_fields
from accord.engine.plan import Plan, Pseudonymise
from accord.engine.pseudonym import hmac_pads
from accord.engine.sources import ROW, arrow_kind, csv_batches
from accord.errors import Problem, SourceError
from accord.refdata import string_literal

BATCH_ROWS = 1 << 17
EXPORT_ROWS = 1 << 22
"""Rows per sorted export query: flows of one shape are exported in runs of about this many
rows (one run at 2.2M rows; at 22M rows one sort of every routed row ran out of memory)."""


def intake_error(inputs: RunInputs, exc: duckdb.Error) -> SourceError:
    """What a run reports when DuckDB could not read the source: the CSV stream's own error
    (with its row number and the problem), else the error's class only; never a value.

    Every DuckDB path (full, incremental, delta-only) raises this in place of ``exc``.
    """
    if inputs.source.failures:
        return inputs.source.failures[0]
    return SourceError("the source could not be processed", [Problem("source", type(exc).__name__)])


class DuckDBBackend(Backend):
    name = "duckdb"

    def __init__(self, *, memory_limit: str = "512MB", threads: int | None = None) -> None:
        self.memory_limit = memory_limit
        self.threads = threads

    @property
    def incremental(self) -> Incremental:
        from accord.engine.incremental import DuckDBIncremental

        return DuckDBIncremental(self)

    def execute(self, plan: Plan, inputs: RunInputs, sink: ExtractSink) -> Counts:
        with tempfile.TemporaryDirectory(prefix="accord-duckdb-") as scratch:
            con = duckdb.connect(config={"memory_limit": self.memory_limit})
            try:
                con.execute(f"SET temp_directory = {string_literal(scratch)}")
                con.execute("SET preserve_insertion_order = false")
                if self.threads:
                    con.execute(f"SET threads = {int(self.threads)}")
                return self._run(con, plan, inputs, sink)
            except duckdb.Error as exc:
                raise intake_error(inputs, exc) from None
            finally:
                con.close()

    # -- stages --------------------------------------------------------------------------------

    def _run(
        self, con: duckdb.DuckDBPyConnection, plan: Plan, inputs: RunInputs, sink: ExtractSink
    ) -> Counts:
        self._register_inputs(con, plan, inputs)
        con.execute(self._checked_sql(plan, inputs))
        con.execute("DROP VIEW IF EXISTS src")
        self._hold(con, plan)

        exceptions = con.sql(
            f"SELECT {ROW} AS row_number, __reasons AS reason FROM checked "
            f"WHERE __reasons <> '' ORDER BY {ROW}"
        ).to_arrow_reader(BATCH_ROWS)
        sink.write_exceptions(cast_reader(exceptions, EXCEPTIONS_SCHEMA))

        routes = self._routes(con, plan)
        con.execute("CREATE TEMP VIEW routed AS " + " UNION ALL ".join(routes))
        per_flow: dict[int, tuple[int, int]] = {
            i: (rows, out)
            for i, rows, out in con.execute(
                "SELECT __flow, count(*) FILTER (WHERE NOT __opted), "
                "count(*) FILTER (WHERE __opted) FROM routed GROUP BY __flow"
            ).fetchall()
        }
        single = single_route(plan)
        write_state = getattr(sink, "write_state", None)
        if write_state is not None:
            state = state_single_sql(plan) if single else STATE_SQL
            write_state(cast_reader(con.sql(state).to_arrow_reader(BATCH_ROWS), STATE_SCHEMA))
        counts = self._counts(con, plan, single, per_flow)
        for members in shapes(plan).values():
            for part in export_parts(members, per_flow, EXPORT_ROWS):
                self._export(con, plan, inputs, part, sink)
        return counts

    def _export(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: Plan,
        inputs: RunInputs,
        members: list[int],
        sink: ExtractSink,
    ) -> None:
        """One sorted query for flows of the same shape, split into one stream per flow.

        ``members`` is a run of such flows whose extracts hold at most about ``EXPORT_ROWS``
        rows together (:func:`export_parts`): a sort of more wide rows than that can exhaust
        DuckDB's memory limit before it spills."""
        cols = plan.flows[members[0]].outputs()
        pseudo = [j for j, c in enumerate(cols) if isinstance(c.transform, Pseudonymise)]
        join = ""
        if pseudo:
            keys: dict[str, pa.Array] = {"__flow": pa.array(members, pa.int32())}
            for j in pseudo:
                pads = []
                for i in members:
                    t = plan.flows[i].outputs()[j].transform
                    assert isinstance(t, Pseudonymise)
                    pads.append(hmac_pads(inputs.keys[t.key_id]))
                keys[f"__ip_{j}"] = pa.array([a for a, _ in pads], pa.binary())
                keys[f"__op_{j}"] = pa.array([b for _, b in pads], pa.binary())
            name = f"keys_{members[0]}"
            con.register(name, pa.table(keys))
            join = f"JOIN {name} k USING (__flow)"
        select = ", ".join(
            sql.output_sql(c, (f'k."__ip_{j}"', f'k."__op_{j}"') if j in pseudo else None)
            for j, c in enumerate(cols)
        )
        flows = ", ".join(str(i) for i in members)
        reader = con.sql(
            f"SELECT __flow, {select} FROM routed {join} "
            f"WHERE NOT __opted AND __flow IN ({flows}) ORDER BY __flow, {ROW}"
        ).to_arrow_reader(BATCH_ROWS)
        split = Split(reader)
        for i in members:
            fp = plan.flows[i]
            schema = extract_schema(fp)
            sink.write_extract(fp.flow_id, cast_reader(split.reader(i, schema), schema))
        split.finish()

    def _register_inputs(
        self, con: duckdb.DuckDBPyConnection, plan: Plan, inputs: RunInputs
    ) -> None:
        register_source(con, plan, inputs)
        if plan.lookup is not None:
            if inputs.postcodes is None:
                raise SourceError(
                    "the plan routes by postcode but no postcode directory was given",
                    [Problem("geography", "missing")],
                )
            used = sql.areas_used(plan.flows + plan.held)
            con.register(
                "geo",
                inputs.postcodes.select(["postcode", *(a for a in sql.AREA_COLUMNS if a in used)]),
            )
        for kind, table in inputs.opt_outs.items():
            con.register(f"optout_{kind}", table.select(["nhs_number"]))
        if persons.RIGHTS in inputs.opt_outs:
            persons.register_pads(con, inputs.keys)

    def _checked_sql(self, plan: Plan, inputs: RunInputs) -> str:
        """One ``SELECT`` that types, checks and normalises every read field, looks the
        postcode up and flags the opt-outs, as ``CREATE TEMP TABLE checked``.

        The per-field work is layered, one subquery per step, as on every SQL engine
        (:func:`~accord.engine.backends.sql_dialect.layered_fields`); the content hashes the
        next run matches rows on are computed in its first layer."""
        kinds = {n: arrow_kind(t) for n, t in inputs.source.columns}
        h1, h2 = sql.content_hash_sql([f.name for f in plan.source.fields])
        values = layered_fields(
            plan.source.fields, kinds, sql.STEPS, sql.q, "src", [(h1, "__h1"), (h2, "__h2")]
        )

        checks = [
            f"CASE WHEN {sql.check_fails_sql(c, _v(c.field), _v('__m_' + c.field))} "
            f"THEN {string_literal(c.reason)} END"
            for c in plan.validate.checks
        ]
        joins: list[str] = []
        extra: list[str] = []
        if plan.lookup is not None:
            pc = f"v.{sql.q(plan.lookup.field)}"
            joins.append(f"LEFT JOIN geo g ON g.postcode = {pc}")
            checks.append(
                f"CASE WHEN {pc} IS NOT NULL AND g.postcode IS NULL "
                f"THEN 'not_in_directory:{plan.lookup.field}' END"
            )
            # Only the areas a row filter or transform reads: no query names the others.
            used = sql.areas_used(plan.flows + plan.held)
            extra += [f"g.{c} AS {sql.q(a)}" for c, a in sql.AREA_COLUMNS.items() if c in used]
        for kind in sorted(inputs.opt_outs):
            key = f"v.{sql.q(plan.person_key or '')}"
            match = persons.match_sql(kind, key)
            # A mark join (IN), not a left join: no payload columns gathered per row.
            extra.append(
                f"coalesce({match} IN (SELECT nhs_number FROM optout_{kind}), FALSE) AS __oo_{kind}"
            )
        fields = ", ".join(f"v.{sql.q(f.name)}" for f in plan.source.fields)
        reason_sql = ", ".join(["nullif(v.__r0, '')", *checks])
        items = ", ".join([f"concat_ws(';', {reason_sql}) AS __reasons", *extra])
        return (
            f"CREATE TEMP TABLE checked AS SELECT v.{ROW}, v.__h1, v.__h2, {fields}, {items} "
            f"FROM {values} v {' '.join(joins)}"
        )

    @staticmethod
    def _hold(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
        """Valid rows a held flow matches (its recipient no longer exists) become exceptions."""
        for i, (fp, reason) in enumerate(plan.held_reasons):
            attrs = ("gss", "ods", "org_id", "code")
            con.register(
                f"held_{i}",
                pa.table(
                    {f"__r_{a}": pa.array([fp.route.recipient.attr(a)], pa.string()) for a in attrs}
                ),
            )
            match = sql.predicate_sql(fp.route.predicate, plan.effective_date)
            con.execute(
                f"UPDATE checked c SET __reasons = {string_literal(reason)} FROM held_{i} r "
                f"WHERE c.__reasons = '' AND {match}"
            )

    def _routes(self, con: duckdb.DuckDBPyConnection, plan: Plan) -> list[str]:
        """One ``SELECT`` per group of flows that share a row filter: the valid rows of
        ``checked`` joined to the group's recipients (registered as ``recipients_<g>``), each
        marked opted out or not. ``routed`` is a view of their union, not a table: the join to
        a small table costs less than a copy of every routed row, which would also hold its
        memory beside ``checked``'s."""
        selects: list[str] = []
        for g, (pred, members) in enumerate(route_groups(plan).items()):
            con.register(f"recipients_{g}", recipients_table(plan, members))
            selects.append(
                f"SELECT r.__flow, c.* EXCLUDE (__h1, __h2, __reasons), "
                f"({opted_sql(plan)}) AS __opted FROM checked c "
                f"JOIN recipients_{g} r ON {sql.predicate_sql(pred, plan.effective_date)} "
                f"WHERE c.__reasons = ''"
            )
        return selects

    def _counts(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: Plan,
        single: bool,
        per_flow: dict[int, tuple[int, int]],
    ) -> Counts:
        [(total, bad)] = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE __reasons <> '') FROM checked"
        ).fetchall()
        by_reason = dict(
            con.execute(
                "SELECT reason, count(*) FROM (SELECT unnest(string_split(__reasons, ';')) "
                "AS reason FROM checked WHERE __reasons <> '') GROUP BY reason ORDER BY reason"
            ).fetchall()
        )
        if single:  # a row reaches at most one flow: the per-flow counts add up
            delivered = sum(rows for rows, _ in per_flow.values())
            opted = sum(out for _, out in per_flow.values())
        else:
            [(delivered, opted)] = con.execute(
                "SELECT count(*) FILTER (WHERE NOT __opted), count(*) FILTER (WHERE __opted) "
                f"FROM (SELECT {ROW}, bool_and(__opted) AS __opted FROM routed GROUP BY {ROW})"
            ).fetchall()
        return Counts(
            input_rows=total,
            exception_rows=bad,
            exceptions_by_reason={str(k): int(v) for k, v in by_reason.items()},
            opted_out_rows=opted,
            not_entitled_rows=total - bad - delivered - opted,
            delivered_rows=delivered,
            flows={
                fp.flow_id: FlowCounts(*per_flow.get(i, (0, 0))) for i, fp in enumerate(plan.flows)
            },
        )


STATE_SCHEMA = pa.schema(
    [
        (ROW, pa.int64()),
        ("__h1", pa.uint64()),
        ("__h2", pa.uint64()),
        ("__reasons", pa.string()),
        ("__flows", pa.list_(pa.int32())),
        ("__opted", pa.list_(pa.int32())),
    ]
)
"""Per source row: its content hashes and outcome (reasons, flows delivered to, flows where
an opt-out removed it). Flow numbers index ``plan.flows``. Kept beside the run record so the
next run can skip rows it has seen (:mod:`accord.engine.incremental`)."""

STATE_SQL = f"""
SELECT c.{ROW}, c.__h1, c.__h2, c.__reasons,
       coalesce(r.__flows, []::INTEGER[]) AS __flows,
       coalesce(r.__opted, []::INTEGER[]) AS __opted
FROM checked c LEFT JOIN (
    SELECT {ROW},
           list(__flow ORDER BY __flow) FILTER (WHERE NOT __opted) AS __flows,
           list(__flow ORDER BY __flow) FILTER (WHERE __opted) AS __opted
    FROM routed GROUP BY {ROW}
) r USING ({ROW})
ORDER BY c.{ROW}
"""


def state_single_sql(plan: Plan) -> str:
    """``STATE_SQL`` when no row can reach two flows (:func:`single_route`): each row of
    ``checked`` left-joined to the one group's recipients (a small table), not to ``routed``
    by row number, and no aggregation into lists (which DuckDB must hold in memory for every
    source row: at 22M rows, more than its limit); one sort, which spills to disk."""
    pred = sql.predicate_sql(next(iter(route_groups(plan))), plan.effective_date)
    opted = opted_sql(plan)
    return f"""
SELECT c.{ROW}, c.__h1, c.__h2, c.__reasons,
       CASE WHEN r.__flow IS NOT NULL AND NOT ({opted}) THEN [r.__flow] ELSE []::INTEGER[] END
           AS __flows,
       CASE WHEN r.__flow IS NOT NULL AND ({opted}) THEN [r.__flow] ELSE []::INTEGER[] END
           AS __opted
FROM checked c LEFT JOIN recipients_0 r ON c.__reasons = '' AND {pred}
ORDER BY c.{ROW}
"""


def route_groups(plan: Plan) -> dict[Any, list[int]]:
    """Flows grouped by their row filter, in plan order."""
    groups: dict[Any, list[int]] = {}
    for i, fp in enumerate(plan.flows):
        groups.setdefault(fp.route.predicate, []).append(i)
    return groups


def _opt_out_kinds(plan: Plan) -> list[str]:
    return sorted({k for fp in plan.flows if fp.opt_outs for k in fp.opt_outs.lists})


def opted_sql(plan: Plan) -> str:
    """TRUE when an opt-out list that the recipient's flow applies (``r``) holds the row (``c``)."""
    kinds = _opt_out_kinds(plan)
    return " OR ".join(f"(r.__apply_{k} AND c.__oo_{k})" for k in kinds) or "FALSE"


def recipients_table(plan: Plan, members: list[int]) -> pa.Table:
    """The flows ``members`` as rows: flow number, the recipient's attributes a row filter can
    compare with, and which opt-out lists each flow applies."""
    kinds = _opt_out_kinds(plan)
    attrs = ("gss", "ods", "org_id", "code")
    cols: dict[str, pa.Array] = {"__flow": pa.array(members, pa.int32())}
    for attr in attrs:
        values = [plan.flows[i].route.recipient.attr(attr) for i in members]
        cols[f"__r_{attr}"] = pa.array(values, pa.string())
    for kind in kinds:
        applies = [
            kind in (fp.opt_outs.lists if fp.opt_outs else ())
            for fp in (plan.flows[i] for i in members)
        ]
        cols[f"__apply_{kind}"] = pa.array(applies, pa.bool_())
    return pa.table(cols)


def single_route(plan: Plan) -> bool:
    """True when every flow shares one row filter ``<row value> == recipient.<attr>`` and the
    recipients' values of that attribute are distinct: a row then reaches at most one flow."""
    predicates = {fp.route.predicate for fp in plan.flows}
    if len(predicates) != 1:
        return False
    pred = next(iter(predicates))
    if not (isinstance(pred, predicate.Compare) and pred.op == "=="):
        return False
    refs = [o for o in (pred.left, pred.right) if isinstance(o, predicate.RecipientRef)]
    if len(refs) != 1:
        return False
    values = [fp.route.recipient.attr(refs[0].attr) for fp in plan.flows]
    return None not in values and len(set(values)) == len(values)


def export_parts(
    members: list[int], per_flow: dict[int, tuple[int, int]], limit: int
) -> list[list[int]]:
    """``members`` cut into consecutive runs whose delivered rows add up to at most ``limit``
    (a flow with more rows than that is a run of its own)."""
    parts: list[list[int]] = []
    size = 0
    for i in members:
        rows = per_flow.get(i, (0, 0))[0]
        if not parts or size + rows > limit:
            parts.append([])
            size = 0
        parts[-1].append(i)
        size += rows
    return parts


def register_source(con: duckdb.DuckDBPyConnection, plan: Plan, inputs: RunInputs) -> None:
    """The view ``src``: the read columns and ``__row``, only ``inputs.rows`` when given."""
    names = [f.name for f in plan.source.fields]
    if inputs.source.format == "csv":
        con.register("src_stream", csv_batches(inputs.source, names))
        body = "SELECT * FROM src_stream"
    else:
        cols = ", ".join(sql.q(n) for n in names)
        path = string_literal(str(inputs.source.path))
        body = (
            f"SELECT file_row_number + 1 AS {ROW}, {cols} "
            f"FROM read_parquet({path}, file_row_number = true)"
        )
    if inputs.rows is not None:
        con.register("src_rows", inputs.rows.select([ROW]))
        body = f"SELECT * FROM ({body}) WHERE {ROW} IN (SELECT {ROW} FROM src_rows)"
    con.execute(f"CREATE VIEW src AS {body}")


def shapes(plan: Plan) -> dict[tuple[object, ...], list[int]]:
    """Group flows whose extracts have the same columns and transforms (keys aside)."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, fp in enumerate(plan.flows):
        shape = tuple(
            (
                c.name,
                c.field,
                c.type,
                "pseudonym" if isinstance(c.transform, Pseudonymise) else c.transform,
            )
            for c in fp.outputs()
        )
        groups.setdefault(shape, []).append(i)
    return groups


class Split:
    """Cut one stream sorted by ``__flow`` into consecutive per-flow streams."""

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self.batches = iter(reader)
        self.pending: pa.RecordBatch | None = None

    def reader(self, flow: int, schema: pa.Schema) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(
            pa.schema([pa.field("__flow", pa.int32()), *schema]), self._take(flow)
        )

    def _take(self, flow: int) -> Iterator[pa.RecordBatch]:
        while True:
            batch = self.pending if self.pending is not None else next(self.batches, None)
            self.pending = None
            if batch is None:
                return
            if batch.num_rows == 0:
                continue
            flows = batch.column(0).to_numpy()
            if flows[0] != flow:
                self.pending = batch
                return
            end = int(np.searchsorted(flows, flow, side="right"))
            yield batch.slice(0, end)
            if end < batch.num_rows:
                self.pending = batch.slice(end)
                return

    def finish(self) -> None:
        if self.pending is not None or next(self.batches, None) is not None:
            raise AssertionError("rows left over after every flow's extract was written")


def _v(name: str) -> str:
    return f"v.{sql.q(name)}"


def cast_reader(reader: pa.RecordBatchReader, schema: pa.Schema) -> pa.RecordBatchReader:
    """Present DuckDB's Arrow output with the plan's exact Arrow types (by column name)."""

    def batches() -> Any:
        for batch in reader:
            yield pa.RecordBatch.from_arrays(
                [batch.column(f.name).cast(f.type) for f in schema], schema=schema
            )

    return pa.RecordBatchReader.from_batches(schema, batches())
