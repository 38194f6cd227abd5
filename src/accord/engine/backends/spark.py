"""The scale backend: the plan as Spark SQL, run by Apache Spark (local mode or a cluster).

The same stages as the DuckDB backend, each one Spark SQL query over temporary views:

1. ``checked``: the source (Parquet read by Spark, its row number from ``_metadata.row_index``;
   a CSV is first streamed by the shared reader into Parquet in the run's scratch folder, so
   its row numbers and parsing are exactly the other engines') typed and checked field by
   field, joined to the postcode directory and to each opt-out list (both broadcast, so the
   rows keep the source's partitions: runs of consecutive rows), with the reasons a row
   fails, and the rows a held flow matches made exceptions;
2. ``routed``: the valid rows joined to each group of flows that share a row filter, with the
   recipients as a small broadcast table, each routed row marked opted out or not;
3. the projected, transformed columns (pseudonyms as HMAC-SHA256 in SQL: ``sha2(opad ||
   unhex(sha2(ipad || value)))``, the pads a joined key table, never SQL text), sorted by flow
   and row number within each partition and written by the executors as Parquet part files
   into the scratch folder; the driver reads them back in the order of their row ranges
   (``spark_parts``), which is a global sort's order without its sampling pass and shuffle.

When every row reaches at most one flow and every flow has one shape (the national list to
each authority), the run is one job: the exceptions and the opted-out rows ride in the same
sorted output (the exceptions as flow -1), and the driver counts each part as it hands it over.
Otherwise ``checked`` is cached once (memory, then disk), the exceptions, the counts (one
query) and each shape's extract read it, and a union of row filters is sorted globally.

The driver streams the part files into the delivery layer's sink, which writes every extract
with the one deterministic writer all engines share, stages it and publishes it atomically
(``docs/explanation/spark-engine.md`` describes the commit protocol, and what changes on an
object store). No Python runs per row.

Spark is configured with the usual ``spark.*`` settings (``SparkBackend(settings=...)``,
``accord run --engine spark --spark-conf spark.master=...``); without ``spark.master`` it runs
in ``local[2]`` (in local mode ``LOCAL_DEFAULTS`` apply too, and two shuffle partitions per
core). One SparkSession serves the process, started at the first Spark run: Spark allows one
per JVM, so the settings of the first run are the session's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accord.engine import persons
from accord.engine.backends import spark_parts as parts
from accord.engine.backends import spark_sql as sql
from accord.engine.backends.base import (
    EXCEPTIONS_SCHEMA,
    Backend,
    Counts,
    ExtractSink,
    FlowCounts,
    RunInputs,
    extract_schema,
)
from accord.engine.backends.duckdb import Split, shapes, single_route
from accord.engine.backends.duckdb_sql import AREA_COLUMNS, areas_used
from accord.engine.backends.sql_dialect import layered_fields
from accord.engine.persons import RIGHTS
from accord.engine.plan import CheckKind, Plan, Pseudonymise
from accord.engine.pseudonym import hmac_pads
from accord.engine.sources import ROW, arrow_kind, csv_batches
from accord.errors import ConfigError, Problem, SourceError, UnsupportedClause

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

EXTRA = "spark"
DEFAULTS = {
    "spark.master": "local[2]",
    "spark.app.name": "accord",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    # the checked rows are persisted once and read by every later stage: stored plain, they
    # cost neither the compression nor a decompression at each read
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.compression.codec": "zstd",
    # errors only from the JVM, from its first line (setLogLevel comes after the start-up chatter)
    "spark.driver.extraJavaOptions": "-Dlog4j2.configurationFile="
    + Path(__file__).with_name("spark-log4j2.properties").as_uri(),
}
"""Settings a run needs (time zone, timestamp type) or that suit one machine; any may be
overridden. ``spark.master`` decides where the work runs."""

LOCAL_DEFAULTS = {
    # the part files are read back once by the driver on the same machine, from the page
    # cache: written plain (no codec, no dictionaries) they cost least to write and to read
    "spark.sql.parquet.compression.codec": "uncompressed",
    "spark.hadoop.parquet.enable.dictionary": "false",
}
"""Defaults for local mode only (``spark.master`` unset or ``local...``); any may be overridden.
Shuffle partitions are two per local core (:func:`configuration`), adaptive execution
coalescing what is small."""

SMALL_ROWS = 10_000
"""Driver-side tables up to this size travel inside the query plan, larger ones as Parquet."""

_LOCK = threading.Lock()
_SESSION: list[SparkSession] = []
"""The process's one SparkSession (Spark allows one per JVM), started by the first run."""


def session(settings: dict[str, str] | None = None) -> SparkSession:
    """The process's SparkSession, started on first use with ``DEFAULTS`` and ``settings``."""
    with _LOCK:
        if _SESSION:
            return _SESSION[0]
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise ConfigError(
                "the Spark engine needs pyspark, which is not installed",
                [Problem("engine", f"pip install 'accord[{EXTRA}]'")],
            ) from None
        builder = SparkSession.builder
        for key, value in configuration(settings).items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        _SESSION.append(spark)
        return spark


def configuration(settings: dict[str, str] | None = None) -> dict[str, str]:
    """The settings a session starts with: ``DEFAULTS``, in local mode ``LOCAL_DEFAULTS`` and
    two shuffle partitions per core, then ``settings`` over them."""
    given = dict(settings or {})
    conf = dict(DEFAULTS)
    master = given.get("spark.master", conf["spark.master"])
    cores = local_cores(master)
    if cores is not None:
        conf.update(LOCAL_DEFAULTS)
        conf["spark.sql.shuffle.partitions"] = str(2 * cores)
    return {**conf, **given}


def local_cores(master: str) -> int | None:
    """The cores a ``local``, ``local[N]``, ``local[*]`` or ``local[N,F]`` master uses (None:
    not local mode)."""
    if master == "local":
        return 1
    if not (master.startswith("local[") and master.endswith("]")):
        return None
    n = master[len("local[") : -1].split(",")[0].strip()
    if n == "*":
        return os.cpu_count() or 1
    return int(n) if n.isdigit() and int(n) > 0 else None


def available() -> bool:
    """Whether pyspark can be imported (the ``spark`` extra is installed)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


class SparkBackend(Backend):
    name = "spark"

    def __init__(
        self, *, settings: dict[str, str] | None = None, scratch: Path | None = None
    ) -> None:
        if not available():
            raise ConfigError(
                "the Spark engine needs pyspark, which is not installed",
                [Problem("engine", f"pip install 'accord[{EXTRA}]'")],
            )
        bad = [k for k in settings or {} if not k.startswith("spark.")]
        if bad:
            raise ConfigError(
                "Spark settings are named spark.*",
                [Problem(f"spark_conf.{k}", "not spark.*") for k in bad],
            )
        self.settings = dict(settings or {})
        self.scratch = scratch
        """Where runs stage their working files: on a cluster, storage every executor and
        the driver share (default: the driver's temporary folder, right for local mode)."""

    def check(self, plan: Plan) -> None:
        """Refuse, before any row is read, a pattern Java's regular expressions read otherwise."""
        super().check(plan)
        for c in plan.validate.checks:
            if c.kind is CheckKind.pattern and not _portable(str(c.value)):
                raise UnsupportedClause(
                    "the spark backend cannot enforce this pattern exactly",
                    [Problem(f"checks.{c.field}", "pattern syntax that Java reads differently")],
                )

    def execute(self, plan: Plan, inputs: RunInputs, sink: ExtractSink) -> Counts:
        if inputs.rows is not None:
            raise AssertionError("the spark backend always reads the whole source")
        spark = session(self.settings)
        scratch = Path(tempfile.mkdtemp(prefix="accord-spark-", dir=self.scratch))
        run = _Run(spark, plan, inputs, scratch)
        try:
            return run.execute(sink)
        except Exception as exc:
            if not _from_spark(exc):
                raise
            # Spark's messages can quote a value (a cast that failed): report the class only.
            raise SourceError(
                "the source could not be processed", [Problem("source", type(exc).__name__)]
            ) from None
        finally:
            run.close()
            shutil.rmtree(scratch, ignore_errors=True)


def _from_spark(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by Spark or its Java gateway (not by accord's own code)."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    return isinstance(exc, PySparkException | Py4JError)


_PYTHON_ONLY = ("(?P", "(?#", "\\Z", "(?(")


def _portable(pattern: str) -> bool:
    """False for syntax Python's ``re`` (the reference) and Java's regex read differently."""
    return not any(token in pattern for token in _PYTHON_ONLY)


class _Run:
    """One execution: temporary views named for the run, dropped by :meth:`close`."""

    def __init__(self, spark: SparkSession, plan: Plan, inputs: RunInputs, scratch: Path) -> None:
        self.spark = spark
        self.plan = plan
        self.inputs = inputs
        self.scratch = scratch
        self.prefix = f"accord_{uuid.uuid4().hex[:12]}_"
        self.views: list[str] = []
        self.persisted: list[DataFrame] = []
        self.pads = ""
        self.source_rows = 0
        """The rows the source holds (every one reaches ``checked``)."""
        self.row_filters: dict[Any, list[int]] = {}
        """The flows of each row filter (each a part of the union that routes rows)."""
        for i, fp in enumerate(plan.flows):
            self.row_filters.setdefault(fp.route.predicate, []).append(i)

    def view(self, name: str, df: DataFrame) -> str:
        full = self.prefix + name
        df.createOrReplaceTempView(full)
        self.views.append(full)
        return full

    def table(self, name: str, table: pa.Table) -> str:
        """A driver-side Arrow table as a view: a small one is sent with the query plan, a
        large one (the postcode directory) goes through Parquet in the scratch folder."""
        if table.num_rows <= SMALL_ROWS:
            return self.view(name, self.spark.createDataFrame(table))
        path = self.scratch / f"{name}.parquet"
        pq.write_table(table, path)
        return self.view(name, self.spark.read.parquet(str(path)))

    def close(self) -> None:
        for df in self.persisted:
            df.unpersist()
        for name in self.views:
            self.spark.catalog.dropTempView(name)

    # -- stages --------------------------------------------------------------------------------

    def execute(self, sink: ExtractSink) -> Counts:
        plan = self.plan
        src = self._source()
        geo = self._postcodes()
        optouts = {  # each list's distinct numbers, so the join to it keeps one row a row
            k: self.table(f"optout_{k}", pa.table({"nhs_number": pc.unique(t["nhs_number"])}))
            for k, t in sorted(self.inputs.opt_outs.items())
        }
        if RIGHTS in optouts:  # matched by keyed hash: the key's pads, a joined one-row table
            inner, outer = hmac_pads(self.inputs.keys[persons.KEY_ID])
            pads = pa.table(
                {"ip": pa.array([inner], pa.binary()), "op": pa.array([outer], pa.binary())}
            )
            self.pads = self.table("person_pads", pads)
        checked_df = self.spark.sql(self._checked_sql(src, geo, optouts))
        routes = getattr(sink, "write_routes", None) if persons.KEY_ID in self.inputs.keys else None
        if routes is None and single_route(plan) and len(shapes(plan)) == 1:
            checked = self.view("checked", checked_df)
            return self._in_one_pass(self._routed_sql(checked, exceptions=True), sink)
        checked_df = checked_df.persist()
        self.persisted.append(checked_df)
        checked = self.view("checked", checked_df)

        exceptions = self._in_order(
            f"SELECT {ROW} AS row_number, __reasons AS reason FROM {checked} WHERE __reasons <> ''",
            ("row_number",),
            "exceptions",
            contiguous=True,
        )
        sink.write_exceptions(parts.stream(exceptions, EXCEPTIONS_SCHEMA))

        routed = self.view("routed", self.spark.sql(self._routed_sql(checked)))
        counts = self._counts(checked, routed)
        for g, members in enumerate(shapes(plan).values()):
            self._export(routed, members, sink, g)
        if routes is not None:
            routes(parts.stream(parts.part_files(self._routes(routed)), persons.ROUTES_SCHEMA))
        return counts

    def _in_one_pass(self, routed_sql: str, sink: ExtractSink) -> Counts:
        """The whole run as one Spark job, when every row reaches at most one flow and every
        flow has one shape: the checked rows (not cached) routed, the exceptions and the
        opted-out rows kept beside the delivered ones, written sorted by flow (the exceptions
        as flow -1, first) and source row; the driver hands each part of the stream over and
        counts it. No cache to build, no second scan, no counting query."""
        plan = self.plan
        members = list(range(len(plan.flows)))
        select, join = self._projection(members, 0, outer=True)
        files = self._in_order(
            f"SELECT /*+ BROADCAST(k) */ r.__flow AS __flow, r.{ROW} AS {ROW}, "
            f"r.__opted AS __opted, nullif(r.__reasons, '') AS __reason, {select} "
            f"FROM ({routed_sql}) r {join}",
            ("__flow", ROW),
            "run",
            contiguous=True,
        )
        schema = extract_schema(plan.flows[0])
        everything = pa.schema(
            [
                pa.field("__flow", pa.int32()),
                pa.field(ROW, pa.int64()),
                pa.field("__opted", pa.bool_()),
                pa.field("__reason", pa.string()),
                *schema,
            ]
        )
        rest = pa.schema(list(everything)[1:])
        split = Split(parts.by_flow(files, everything))
        exceptions = _Tally()
        sink.write_exceptions(exceptions.exceptions(split.reader(-1, rest)))
        per_flow = {}
        for i in members:
            tally = _Tally()
            sink.write_extract(
                plan.flows[i].flow_id, tally.delivered(split.reader(i, rest), schema)
            )
            per_flow[i] = FlowCounts(tally.rows, tally.opted)
        split.finish()
        delivered = sum(c.rows for c in per_flow.values())
        opted = sum(c.opted_out for c in per_flow.values())
        return Counts(
            input_rows=self.source_rows,
            exception_rows=exceptions.rows,
            exceptions_by_reason=dict(sorted(exceptions.reasons.items())),
            opted_out_rows=opted,
            not_entitled_rows=self.source_rows - exceptions.rows - delivered - opted,
            delivered_rows=delivered,
            flows={fp.flow_id: per_flow[i] for i, fp in enumerate(plan.flows)},
        )

    def _routes(self, routed: str) -> Path:
        """Per routed row, the flows it was delivered to and those an opt-out removed it from
        (what :mod:`accord.engine.persons` builds the index and the suppression counts from)."""
        return self._write(
            f"SELECT {ROW}, "
            "array_sort(collect_list(CASE WHEN NOT __opted THEN __flow END)) AS __flows, "
            "array_sort(collect_list(CASE WHEN __opted THEN __flow END)) AS __opted "
            f"FROM {routed} GROUP BY {ROW} ORDER BY {ROW}",
            "routes",
        )

    def _source(self) -> str:
        names = [f.name for f in self.plan.source.fields]
        source = self.inputs.source
        if source.format == "csv":
            path = self.scratch / "source.parquet"
            reader = csv_batches(source, names)  # raises SourceError naming the row
            with pq.ParquetWriter(path, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
                    self.source_rows += batch.num_rows
            return self.view("src", self.spark.read.parquet(str(path)))
        self.source_rows = pq.ParquetFile(source.path).metadata.num_rows
        df = self.spark.read.parquet(str(source.path))
        row = f"_metadata.row_index + 1 AS {ROW}"
        return self.view("src", df.selectExpr(row, *(sql.q(n) for n in names)))

    def _postcodes(self) -> str | None:
        plan = self.plan
        if plan.lookup is None:
            return None
        if self.inputs.postcodes is None:
            raise SourceError(
                "the plan routes by postcode but no postcode directory was given",
                [Problem("geography", "missing")],
            )
        used = areas_used(plan.flows + plan.held)
        table = self.inputs.postcodes.select(["postcode", *(a for a in AREA_COLUMNS if a in used)])
        return self.table("geo", table)

    def _checked_sql(self, src: str, geo: str | None, optouts: dict[str, str]) -> str:
        plan = self.plan
        kinds = {n: arrow_kind(t) for n, t in self.inputs.source.columns}
        values = layered_fields(plan.source.fields, kinds, sql.STEPS, sql.q, src)
        checks = [
            f"CASE WHEN {sql.check_fails_sql(c, _v(c.field), _v('__m_' + c.field))} "
            f"THEN {sql.text(c.reason)} END"
            for c in plan.validate.checks
        ]
        joins: list[str] = []
        extra: dict[str, str] = {}  # name: expression, carried on to the checked rows
        # the directory and the opt-out lists are broadcast, whatever their size: the checked
        # rows keep the source's partitions (runs of consecutive rows, no shuffle), which the
        # sorts of the exceptions and the extracts build on (Run._in_order)
        small: list[str] = []
        if plan.lookup is not None and geo is not None:
            postcode = _v(plan.lookup.field)
            joins.append(f"LEFT JOIN {geo} g ON g.postcode = {postcode}")
            small.append("g")
            checks.append(
                f"CASE WHEN {postcode} IS NOT NULL AND g.postcode IS NULL "
                f"THEN 'not_in_directory:{plan.lookup.field}' END"
            )
            used = areas_used(plan.flows + plan.held)  # an area no flow reads is not kept
            extra.update({sql.q(a): f"g.{c}" for c, a in AREA_COLUMNS.items() if c in used})
        for kind, view in optouts.items():
            key = _v(plan.person_key or "")
            if kind == RIGHTS:  # the keyed hash of the key, over the pads of a joined table
                joins.append(f"CROSS JOIN {self.pads} pp")
                key = sql.hmac_sql(key, ("pp.ip", "pp.op"))
            joins.append(f"LEFT JOIN {view} o_{kind} ON o_{kind}.nhs_number = {key}")
            extra[f"__oo_{kind}"] = f"(o_{kind}.nhs_number IS NOT NULL)"
            small.append(f"o_{kind}")
        fields = ", ".join(_v(f.name) for f in plan.source.fields)
        reason_sql = ", ".join(["nullif(v.__r0, '')", *checks])
        hint = f"/*+ BROADCAST({', '.join(small)}) */ " if small else ""
        carried = "".join(f", {e} AS {name}" for name, e in extra.items())
        body = (
            f"SELECT {hint}v.{ROW}, {fields}, concat_ws(';', {reason_sql}) AS __reasons0"
            f"{carried} FROM {values} v {' '.join(joins)}"
        )
        held = [
            f"CASE WHEN {sql.predicate_sql(fp.route.predicate, plan.effective_date, _attrs(fp))} "
            f"THEN {sql.text(reason)} END"
            for fp, reason in plan.held_reasons
        ]
        reasons_sql = (
            f"CASE WHEN c.__reasons0 = '' THEN concat_ws(';', {', '.join(held)}) "
            "ELSE c.__reasons0 END"
            if held
            else "c.__reasons0"
        )
        kept = [ROW, *(sql.q(f.name) for f in plan.source.fields), *extra]
        return (
            f"SELECT {', '.join(f'c.{k}' for k in kept)}, {reasons_sql} AS __reasons "
            f"FROM ({body}) c"
        )

    def _routed_sql(self, checked: str, *, exceptions: bool = False) -> str:
        """The valid rows joined to the flows of each row filter, each marked opted out or
        not; with ``exceptions`` (one row filter only), also every row with a reason, as flow
        -1."""
        plan = self.plan
        if exceptions and len(self.row_filters) != 1:
            raise AssertionError("exceptions beside the routed rows need one row filter")
        kinds = sorted({k for fp in plan.flows if fp.opt_outs for k in fp.opt_outs.lists})
        attrs = ("gss", "ods", "org_id", "code")
        selects = []
        for g, (pred, members) in enumerate(self.row_filters.items()):
            columns: dict[str, pa.Array] = {"__flow": pa.array(members, pa.int32())}
            for a in attrs:
                values = [plan.flows[i].route.recipient.attr(a) for i in members]
                columns[f"__r_{a}"] = pa.array(values, pa.string())
            lists = [o.lists if (o := plan.flows[i].opt_outs) else () for i in members]
            for kind in kinds:
                applied = [kind in applied_lists for applied_lists in lists]
                columns[f"__apply_{kind}"] = pa.array(applied, pa.bool_())
            recipients = self.table(f"recipients_{g}", pa.table(columns))
            opted = " OR ".join(f"(r.__apply_{k} AND c.__oo_{k})" for k in kinds) or "FALSE"
            on = sql.predicate_sql(pred, plan.effective_date)
            if exceptions:
                selects.append(
                    "SELECT /*+ BROADCAST(r) */ coalesce(r.__flow, -1) AS __flow, c.*, "
                    f"coalesce({opted}, FALSE) AS __opted FROM {checked} c "
                    f"LEFT JOIN {recipients} r ON c.__reasons = '' AND ({on}) "
                    "WHERE r.__flow IS NOT NULL OR c.__reasons <> ''"
                )
                continue
            selects.append(
                f"SELECT /*+ BROADCAST(r) */ r.__flow, c.*, ({opted}) AS __opted "
                f"FROM {checked} c JOIN {recipients} r ON {on} WHERE c.__reasons = ''"
            )
        return " UNION ALL ".join(selects)

    def _counts(self, checked: str, routed: str) -> Counts:
        """The run's counts, in one query: per flow its delivered and opted-out rows, and the
        checked rows by their reasons (the distinct sets of reasons are few)."""
        spark = self.spark
        per_flow: dict[int, tuple[int, int]] = {}
        total = bad = 0
        by_reason: dict[str, int] = {}
        for flow, rows, out, reasons in spark.sql(
            "SELECT __flow, count_if(NOT __opted), count_if(__opted), CAST(NULL AS STRING) "
            f"FROM {routed} GROUP BY __flow UNION ALL "
            f"SELECT NULL, count(*), 0, __reasons FROM {checked} GROUP BY __reasons"
        ).collect():
            if flow is not None:
                per_flow[int(flow)] = (int(rows), int(out))
                continue
            total += int(rows)
            if reasons:
                bad += int(rows)
                for reason in str(reasons).split(";"):
                    by_reason[reason] = by_reason.get(reason, 0) + int(rows)
        if single_route(self.plan):  # a row reaches at most one flow: its counts are the run's
            delivered = sum(rows for rows, _ in per_flow.values())
            opted = sum(out for _, out in per_flow.values())
        else:
            delivered, opted = spark.sql(
                f"SELECT count_if(NOT o), count_if(o) FROM "
                f"(SELECT bool_and(__opted) AS o FROM {routed} GROUP BY {ROW})"
            ).collect()[0]
        delivered, opted = int(delivered or 0), int(opted or 0)
        return Counts(
            input_rows=total,
            exception_rows=bad,
            exceptions_by_reason=dict(sorted(by_reason.items())),
            opted_out_rows=opted,
            not_entitled_rows=total - bad - delivered - opted,
            delivered_rows=delivered,
            flows={
                fp.flow_id: FlowCounts(*per_flow.get(i, (0, 0)))
                for i, fp in enumerate(self.plan.flows)
            },
        )

    def _export(self, routed: str, members: list[int], sink: ExtractSink, g: int) -> None:
        plan = self.plan
        select, join = self._projection(members, g)
        flows = ", ".join(str(i) for i in members)
        files = self._in_order(
            f"SELECT /*+ BROADCAST(k) */ r.__flow AS __flow, r.{ROW} AS {ROW}, {select} "
            f"FROM {routed} r {join} WHERE NOT r.__opted AND r.__flow IN ({flows})",
            ("__flow", ROW),
            f"extract_{g}",
            contiguous=len(self.row_filters) == 1,
        )
        schema = extract_schema(plan.flows[members[0]])
        with_flow = pa.schema([pa.field("__flow", pa.int32()), *schema])
        split = Split(parts.by_flow(files, with_flow))
        for i in members:
            fp = plan.flows[i]
            sink.write_extract(fp.flow_id, _drop_flow(split.reader(i, schema), schema))
        split.finish()

    def _projection(self, members: list[int], g: int, *, outer: bool = False) -> tuple[str, str]:
        """The SELECT items of the extract columns of ``members`` (flows of one shape) over
        routed rows ``r``, and the join to their pseudonym keys ``k`` (a left join when
        ``outer``, for rows of no flow)."""
        plan = self.plan
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
                    pads.append(hmac_pads(self.inputs.keys[t.key_id]))
                keys[f"__ip_{j}"] = pa.array([a for a, _ in pads], pa.binary())
                keys[f"__op_{j}"] = pa.array([b for _, b in pads], pa.binary())
            view = self.table(f"keys_{g}", pa.table(keys))
            join = f"{'LEFT ' if outer else ''}JOIN {view} k ON k.__flow = r.__flow"
        select = ", ".join(
            sql.output_sql(c, (f"k.__ip_{j}", f"k.__op_{j}") if j in pseudo else None)
            for j, c in enumerate(cols)
        )
        return select, join

    def _in_order(
        self, query: str, keys: tuple[str, ...], name: str, *, contiguous: bool
    ) -> list[Path]:
        """Run ``query`` sorted by ``keys`` (the source row, after the flow if there is one)
        into part files, and return the files in the order to read them.

        When the query's rows come from one scan of ``checked`` (``contiguous``: no union of
        row filters between), each partition is sorted on its own and the files, if their
        statistics show their ranges of source rows follow one another, are read in that order
        (:mod:`accord.engine.backends.spark_parts`); otherwise the query is sorted as one. The
        partition's sort is by one integer, the flow in the bits above the row's 40 (Spark's
        radix sort then orders by its prefix alone, about three times faster than by two
        keys)."""
        row = keys[-1]
        if contiguous:
            key = row if len(keys) == 1 else f"shiftleft(CAST({keys[0]} AS BIGINT), 40) + {row}"
            files = parts.in_row_order(self._write(f"{query} SORT BY {key}", name), row)
            if files is not None:
                return files
        return parts.part_files(self._write(f"{query} ORDER BY {', '.join(keys)}", name))

    def _write(self, query: str, name: str) -> Path:
        """Run ``query`` on the executors into Parquet part files, in order, in the scratch."""
        folder = self.scratch / name
        self.spark.sql(query).write.mode("overwrite").parquet(str(folder))
        return folder


def _v(name: str) -> str:
    return f"v.{sql.q(name)}"


def _attrs(fp: Any) -> dict[str, str | None]:
    return {a: fp.route.recipient.attr(a) for a in ("gss", "ods", "org_id", "code")}


def _drop_flow(reader: pa.RecordBatchReader, schema: pa.Schema) -> pa.RecordBatchReader:
    """The columns of ``schema`` (by name) of every batch of ``reader``."""

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            yield pa.RecordBatch.from_arrays([batch.column(f.name) for f in schema], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


class _Tally:
    """Counts what passes through a stream of the one-pass run as the sink reads it."""

    def __init__(self) -> None:
        self.rows = 0
        self.opted = 0
        self.reasons: dict[str, int] = {}

    def exceptions(self, reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
        """The exceptions (flow -1) as ``EXCEPTIONS_SCHEMA``, counted by reason."""

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                self.rows += batch.num_rows
                reasons = batch.column("__reason")
                found = pc.value_counts(pc.list_flatten(pc.split_pattern(reasons, ";")))
                for item in found.to_pylist():
                    key = str(item["values"])
                    self.reasons[key] = self.reasons.get(key, 0) + int(item["counts"])
                yield pa.RecordBatch.from_arrays(
                    [batch.column(ROW), reasons], schema=EXCEPTIONS_SCHEMA
                )

        return pa.RecordBatchReader.from_batches(EXCEPTIONS_SCHEMA, batches())

    def delivered(self, reader: pa.RecordBatchReader, schema: pa.Schema) -> pa.RecordBatchReader:
        """One flow's rows less those opted out, as ``schema``, each kind counted."""

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                opted = batch.column("__opted")
                out = pc.sum(opted).as_py() or 0
                self.opted += out
                if out:
                    batch = batch.filter(pc.invert(opted))
                self.rows += batch.num_rows
                yield batch

        return _drop_flow(pa.RecordBatchReader.from_batches(reader.schema, batches()), schema)
