"""The per-person index of deliveries, and suppression of people whose rights request was upheld.

Every run that is given the instance's person-index key writes, beside each delivery's extract,
``persons.parquet``: one column ``person``, the keyed hash (lower-case hex HMAC-SHA256 under that
key) of the person key of every row delivered, in the extract's row order. The key never leaves the
instance, so the file tells a recipient nothing, and it is not in the manifest's ``files`` (never
offered to the recipient); it is published, kept and purged with the delivery folder it sits in.
The fields delivered are the manifest's ``columns``.

The index is built in DuckDB SQL from the run's *routes*: per source row, the flows it was
delivered to (``__flows``) and those where an opt-out removed it (``__opted``). The DuckDB backend
leaves them as its state (``state.parquet``); the in-memory reference hands them to the sink's
``write_routes``. One scan of the source's person key, a join on the row number, HMAC in SQL over
the key pads (:func:`accord.engine.pseudonym.hmac_pads`): no per-row Python.

A suppression is the opt-out stage's own mechanism: an opt-out list of kind ``rights`` whose
members are keyed hashes rather than NHS numbers (:func:`suppression_list`); :func:`with_rights`
makes every flow with a person key apply it, before routing, in every backend.

>>> key = b"k" * 32
>>> person_hash(key, "943 476 5919") == person_hash(key, "9434765919")
True
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from accord.engine.backends import duckdb_sql as sql
from accord.engine.delivery import slug
from accord.engine.extracts import write_extract
from accord.engine.optouts import OptOutList
from accord.engine.plan import Plan, RemoveOptOuts
from accord.engine.pseudonym import hmac_pads, pseudonym
from accord.engine.sources import ROW, Source
from accord.refdata import string_literal, validate_nhs_number

RIGHTS = "rights"
"""The opt-out kind of people whose objection or restriction was upheld (keyed hashes)."""
KEY_ID = "person-index"
"""Where the person-index key sits in :attr:`RunInputs.keys`."""
INDEX = "persons.parquet"
INDEX_SCHEMA = pa.schema([pa.field("person", pa.string())])
ROUTES = "routes.parquet"
ROUTES_SCHEMA = pa.schema(
    [(ROW, pa.int64()), ("__flows", pa.list_(pa.int32())), ("__opted", pa.list_(pa.int32()))]
)
STATE = "state.parquet"
STATE_DELTA = "state-delta.parquet"


def person_hash(key: bytes, nhs_number: str) -> str:
    """The keyed hash of one person key (an NHS number, normalised first)."""
    return pseudonym(key, validate_nhs_number(nhs_number))


def suppression_list(hashes: Iterable[str]) -> OptOutList:
    """The ``rights`` opt-out list: distinct keyed hashes; its version names its content."""
    members = sorted(set(hashes))
    digest = hashlib.sha256("\n".join(members).encode()).hexdigest()
    table = pa.table({"nhs_number": pa.array(members, pa.string())})
    return OptOutList(RIGHTS, f"sha256:{digest[:16]}", table, digest)


def with_rights(plan: Plan) -> Plan:
    """``plan`` with every flow applying the ``rights`` list (a plan without a person key:
    unchanged, it has no one to match)."""
    if plan.person_key is None:
        return plan
    flows = []
    for fp in plan.flows:
        lists = set(fp.opt_outs.lists if fp.opt_outs else ()) | {RIGHTS}
        flows.append(
            dataclasses.replace(fp, opt_outs=RemoveOptOuts(tuple(sorted(lists)), plan.person_key))
        )
    return dataclasses.replace(plan, flows=tuple(flows))


# -- SQL ----------------------------------------------------------------------------------------


def register_pads(con: duckdb.DuckDBPyConnection, keys: dict[str, bytes]) -> None:
    """The one-row table ``person_pads`` (the key's HMAC pads, bound, never a literal)."""
    inner, outer = hmac_pads(keys[KEY_ID])
    con.register(
        "person_pads",
        pa.table({"ip": pa.array([inner], pa.binary()), "op": pa.array([outer], pa.binary())}),
    )


def hash_sql(value: str, pads: tuple[str, str] | None = None) -> str:
    """Hex HMAC-SHA256 of ``value`` (text) under the key in ``person_pads`` (``pads``: columns
    holding its pads, when the query joins that table; else scalar subqueries)."""
    inner, outer = pads or ("(SELECT ip FROM person_pads)", "(SELECT op FROM person_pads)")
    text = f"encode(CAST({value} AS VARCHAR))"
    return f"sha256({outer} || unhex(sha256({inner} || {text})))"


def match_sql(kind: str, key: str) -> str:
    """What an opt-out list of ``kind`` is matched against: the key, or its keyed hash."""
    return hash_sql(key) if kind == RIGHTS else key


def _key_sql(plan: Plan) -> str:
    """The person key (an NHS_NUMBER field) normalised as the backends normalise it, NULL when
    missing. Only rows a backend delivered are indexed, and those passed its validation, so
    the key needs no check here (the check digit arithmetic was most of this scan's cost)."""
    assert plan.person_key is not None
    pre, _, _ = sql.standard_sql(
        next(f for f in plan.source.fields if f.name == plan.person_key),
        f"CAST({sql.q(plan.person_key)} AS VARCHAR)",
    )
    return f"nullif({pre}, '')"


# -- the index ---------------------------------------------------------------------------------


def index_run(
    plan: Plan,
    source: Source,
    staging: Path,
    keys: dict[str, bytes],
    lists: dict[str, OptOutList],
    *,
    base_state: Path | None = None,
) -> dict[str, int]:
    """The stage a run calls once its flows are staged (``staging/flows/<flow>``): write each
    delivery's index when the run has the key; return the rows the ``rights`` list removed per
    flow (empty when the list was not applied, or no index was written)."""
    if KEY_ID not in keys:
        return {}
    routes = routes_sql(plan, staging / "run", base_state)
    if routes is None:
        return {}
    folders = {
        fp.flow_id: staging / "flows" / slug(fp.flow_id)
        for fp in plan.flows
        if (staging / "flows" / slug(fp.flow_id)).is_dir()
    }
    rights = lists.get(RIGHTS)
    removed = write_indexes(
        plan, source, routes, keys, folders, rights=rights.numbers if rights else None
    )
    return removed if rights else {}


# -- building it ----------------------------------------------------------------------------------


def routes_sql(plan: Plan, run_dir: Path, base_state: Path | None = None) -> str | None:
    """A query of the routes a run left in its (staged) run folder: its state or routes by row
    number; or, for a delta-only run that wrote a state delta, the base run's state
    (``base_state``) amended by that delta, matched by content hash to ``cur`` (the source's
    row numbers and content hashes). None: no routes."""
    for name in (STATE, ROUTES):
        if (run_dir / name).is_file():
            path = string_literal(str(run_dir / name))
            return f"SELECT {ROW}, __flows, __opted FROM read_parquet({path})"
    delta = run_dir / STATE_DELTA
    if base_state is None or not delta.is_file():
        return None
    d, b = string_literal(str(delta)), string_literal(str(base_state))
    return (
        f"SELECT s.{ROW}, o.__flows, o.__opted FROM cur s JOIN ("
        f"SELECT __h1, __h2, __flows, __opted FROM read_parquet({d}) WHERE __n > 0 "
        "UNION ALL SELECT * FROM (SELECT DISTINCT ON (__h1, __h2) __h1, __h2, __flows, __opted "
        f"FROM read_parquet({b})) ANTI JOIN read_parquet({d}) USING (__h1, __h2)"
        ") o USING (__h1, __h2)"
    )


def write_indexes(
    plan: Plan,
    source: Source,
    routes: str,
    keys: dict[str, bytes],
    folders: dict[str, Path],
    *,
    rights: pa.Table | None = None,
    memory_limit: str = "512MB",
) -> dict[str, int]:
    """Write ``persons.parquet`` into each flow's staged folder (``folders``: flow id -> folder)
    from ``routes`` (:func:`routes_sql`);
    return, per flow, how many routed rows the ``rights`` list (``rights``) removed."""
    from accord.engine.backends.base import RunInputs
    from accord.engine.backends.duckdb import Split, cast_reader, register_source

    suppressed = {fp.flow_id: 0 for fp in plan.flows}
    if plan.person_key is None:
        return suppressed
    con = duckdb.connect(config={"memory_limit": memory_limit})
    try:
        con.execute("SET preserve_insertion_order = false")
        register_source(con, plan, RunInputs(source))
        register_pads(con, keys)
        hashes = ""
        if "__h1" in routes:  # matched by content hash: one scan gives the hashes and the key
            h1, h2 = sql.content_hash_sql([f.name for f in plan.source.fields])
            hashes = f", {h1} AS __h1, {h2} AS __h2"
        con.execute(
            f"CREATE TEMP TABLE cur AS SELECT {ROW}, {_key_sql(plan)} AS __key{hashes} FROM src"
        )
        con.execute(
            f"CREATE TEMP TABLE keyed AS SELECT r.{ROW}, r.__flows, r.__opted, "
            f"{hash_sql('s.__key', ('k.ip', 'k.op'))} AS person FROM "
            f"(SELECT * FROM ({routes}) WHERE len(__flows) > 0 OR len(__opted) > 0) r JOIN "
            f"cur s USING ({ROW}) CROSS JOIN person_pads k WHERE s.__key IS NOT NULL"
        )
        wanted = [
            i
            for i, fp in enumerate(plan.flows)
            if fp.aggregate is None and fp.flow_id in folders  # an aggregate flow: counts only
        ]
        listed = ", ".join(str(i) for i in wanted) or "NULL"
        reader = con.sql(
            f"SELECT __flow, person FROM (SELECT unnest(__flows) AS __flow, {ROW}, person "
            f"FROM keyed) WHERE __flow IN ({listed}) ORDER BY __flow, {ROW}"
        ).to_arrow_reader(1 << 17)
        split = Split(reader)
        for i in wanted:
            part = cast_reader(split.reader(i, INDEX_SCHEMA), INDEX_SCHEMA)
            write_extract(folders[plan.flows[i].flow_id] / INDEX, part, "parquet", dictionary=False)
        split.finish()
        if rights is not None and rights.num_rows:
            con.register("rights_list", rights.select(["nhs_number"]))
            for i, n in con.execute(
                "SELECT f, count(*) FROM (SELECT unnest(__opted) AS f, person FROM keyed) "
                "WHERE person IN (SELECT nhs_number FROM rights_list) GROUP BY f"
            ).fetchall():
                suppressed[plan.flows[i].flow_id] = int(n)
    finally:
        con.close()
    return suppressed


# -- looking a person up -----------------------------------------------------------------------


def find(deliveries: Path, agreement_ids: Iterable[str], person: str) -> list[Path]:
    """The delivery folders (under ``deliveries``, of ``agreement_ids`` only) whose index holds
    ``person`` (a keyed hash), in path order: one DuckDB query over the index files."""
    files = [
        str(p)
        for a in sorted(set(agreement_ids))
        for p in sorted((deliveries / slug(a)).glob(f"*/*/*/{INDEX}"))
    ]
    if not files:
        return []
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT filename FROM read_parquet($files, filename = true) "
            "WHERE person = $person ORDER BY filename",
            {"files": files, "person": person},
        ).fetchall()
    finally:
        con.close()
    return [Path(r[0]).parent for r in rows]
