"""The per-person index of deliveries, and suppression of people whose rights request was upheld.

Every run that is given the instance's person-index key indexes each delivery it makes, beside
the delivery's extract, in one of two ways:

- a delivery whose extract carries the person key as delivered (the normalised NHS number, no
  transform) is its own index: the run writes only ``persons.json``, naming the column. The
  discloser holds the extract already; hashing it again cost more than the run;
- any other (the key dropped, pseudonymised) gets ``persons.parquet``: one column ``person``,
  the keyed hash (lower-case hex HMAC-SHA256 under that key) of the person key of every row
  delivered, in the extract's row order.

The key never leaves the instance, so neither file tells a recipient anything, and neither is in
the manifest's ``files`` (never offered to the recipient); both are published, kept and purged
with the delivery folder they sit in. The fields delivered are the manifest's ``columns``.

``persons.parquet`` is built in DuckDB SQL from the run's *routes*: per source row, the flows it
was delivered to (``__flows``) and those where an opt-out removed it (``__opted``). The DuckDB
backend leaves them as its state (``state.parquet``); the in-memory reference and Spark hand
them to the sink's ``write_routes``. One scan of the source's person key, a join on the row
number, HMAC in SQL over the key pads (:func:`accord.engine.pseudonym.hmac_pads`), only for the
rows of flows that need it: no per-row Python, and no pass at all when every delivery carries
its key and no suppression is in force.

:func:`find` finds a person by NHS number in the deliveries that carry it (their extracts, or a
delta-only delivery's chain) and by keyed hash in the others; given the keyed hash alone, it
first indexes each carrying delivery by keyed hash, once (:func:`index_delivery`).

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
import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from accord.engine.backends import duckdb_sql as sql
from accord.engine.delivery import MANIFEST, slug
from accord.engine.extracts import write_extract
from accord.engine.optouts import OptOutList
from accord.engine.plan import FlowPlan, Plan, RemoveOptOuts
from accord.engine.pseudonym import hmac_pads, pseudonym
from accord.engine.sources import ROW, Source
from accord.refdata import string_literal, validate_nhs_number

RIGHTS = "rights"
"""The opt-out kind of people whose objection or restriction was upheld (keyed hashes)."""
KEY_ID = "person-index"
"""Where the person-index key sits in :attr:`RunInputs.keys`."""
INDEX = "persons.parquet"
KEY_RECORD = "persons.json"
"""Beside a delivery whose extract carries the person key: which column, in which form."""
NHS_FORM = "nhs_number"
"""The form of a carried key: the normalised NHS number (ten digits), as the engines deliver it."""
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


def carried_key(plan: Plan, fp: FlowPlan) -> str | None:
    """The extract column that carries the person key as delivered (the normalised NHS number,
    untransformed), if the flow delivers one: such a delivery is its own index."""
    if fp.aggregate is not None or plan.person_key is None:
        return None
    for col in fp.outputs():
        if col.field == plan.person_key and col.transform is None:
            return col.name
    return None


def index_run(
    plan: Plan,
    source: Source,
    staging: Path,
    keys: dict[str, bytes],
    lists: dict[str, OptOutList],
    *,
    base_state: Path | None = None,
) -> dict[str, int]:
    """The stage a run calls once its flows are staged (``staging/flows/<flow>``): index each
    delivery when the run has the key; return the rows the ``rights`` list removed per flow
    (empty when the list was not applied, or no index was written).

    A delivery whose extract carries the person key gets ``persons.json`` (the column, a few
    bytes); only the others (the key dropped, pseudonymised) get ``persons.parquet``, the keyed
    hash of each row, from a pass over the source's key and the routes. When every delivery
    carries its key and no suppression is in force, that pass is skipped."""
    if KEY_ID not in keys or plan.person_key is None:
        return {}
    folders = {
        fp.flow_id: staging / "flows" / slug(fp.flow_id)
        for fp in plan.flows
        if fp.aggregate is None and (staging / "flows" / slug(fp.flow_id)).is_dir()
    }
    hashed = {}
    for fp in plan.flows:
        if fp.flow_id not in folders:
            continue
        column = carried_key(plan, fp)
        if column is None:
            hashed[fp.flow_id] = folders[fp.flow_id]
        else:
            write_key_record(folders[fp.flow_id], column)
    rights = lists.get(RIGHTS)
    suppressing = rights is not None and rights.numbers.num_rows > 0
    if not hashed and not suppressing:
        return {fp.flow_id: 0 for fp in plan.flows} if rights else {}
    routes = routes_sql(plan, staging / "run", base_state)
    if routes is None:
        return {}
    removed = write_indexes(
        plan, source, routes, keys, hashed, rights=rights.numbers if rights else None
    )
    return removed if rights else {}


def write_key_record(folder: Path, column: str) -> None:
    """``persons.json``: the delivery's extract is its own index, by ``column``."""
    record = {"column": column, "form": NHS_FORM}
    (folder / KEY_RECORD).write_bytes(json.dumps(record, sort_keys=True).encode() + b"\n")


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
        wanted = [
            i
            for i, fp in enumerate(plan.flows)
            if fp.aggregate is None and fp.flow_id in folders  # an aggregate flow: counts only
        ]
        listed = ", ".join(str(i) for i in wanted) or "NULL"
        # Only the rows an indexed flow delivered, and (for the count) those an opt-out removed.
        reached = f"list_has_any(__flows, [{listed}])" if wanted else "false"
        opted = "len(__opted) > 0" if rights is not None and rights.num_rows else "false"
        con.execute(
            f"CREATE TEMP TABLE keyed AS SELECT r.{ROW}, r.__flows, r.__opted, "
            f"{hash_sql('s.__key', ('k.ip', 'k.op'))} AS person FROM "
            f"(SELECT * FROM ({routes}) WHERE {reached} OR {opted}) r JOIN "
            f"cur s USING ({ROW}) CROSS JOIN person_pads k WHERE s.__key IS NOT NULL"
        )
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


def find(
    deliveries: Path,
    agreement_ids: Iterable[str],
    person: str,
    *,
    key: bytes | None = None,
    nhs_number: str | None = None,
) -> list[Path]:
    """The delivery folders (under ``deliveries``, of ``agreement_ids`` only) that included
    ``person`` (a keyed hash under ``key``), in path order.

    A delivery indexed by keyed hash (``persons.parquet``) is searched for ``person``; one that
    carries the person key (``persons.json``) is searched for ``nhs_number`` (the number
    ``person`` is the hash of) in its own extract, or, for a delta-only delivery, in its
    additions and, unless its removals took the person out, in the delivery it builds on. A
    lookup by hash alone (``nhs_number`` None) first indexes each such delivery by keyed hash
    under ``key`` (:func:`index_delivery`, once: the index stays beside the delivery)."""
    folders: list[Path] = []
    for a in sorted(set(agreement_ids)):
        root = deliveries / slug(a)
        found = {p.parent for name in (INDEX, KEY_RECORD) for p in root.glob(f"*/*/*/{name}")}
        folders.extend(sorted(found))
    if not folders:
        return []
    number = validate_nhs_number(nhs_number) if nhs_number is not None else None
    carried = [f for f in folders if not (f / INDEX).is_file()]
    if number is None and carried:
        if key is None:
            raise ValueError("a lookup by keyed hash alone needs the person-index key")
        _index_all(carried, key)
        carried = []
    hashed = [str(f / INDEX) for f in folders if (f / INDEX).is_file()]
    hits: set[Path] = set()
    con = duckdb.connect()
    try:
        if hashed:
            rows = con.execute(
                "SELECT DISTINCT filename FROM read_parquet($files, filename = true) "
                "WHERE person = $person",
                {"files": hashed, "person": person},
            ).fetchall()
            hits |= {Path(r[0]).parent for r in rows}
        if carried:
            assert number is not None
            hits |= _carrying(con, carried, number, person)
    finally:
        con.close()
    return sorted(hits)


def index_pending(deliveries: Path, key: bytes) -> int:
    """Index by keyed hash, once, every delivery under ``deliveries`` that carries the person
    key and has no ``persons.parquet`` yet (:func:`index_delivery`); return how many. The sweep
    calls it after runs, so the hashing a lookup by hash alone would otherwise do on its first
    call is done off both the delivery's path and the handler's."""
    records = deliveries.glob(f"*/*/*/*/{KEY_RECORD}")
    pending = sorted(p.parent for p in records if not (p.parent / INDEX).is_file())
    return _index_all(pending, key)


def _index_all(folders: list[Path], key: bytes) -> int:
    """:func:`index_delivery` for each folder, skipping one purged meanwhile; how many indexed."""
    done = 0
    con = duckdb.connect()
    try:
        for folder in folders:
            if (folder / INDEX).is_file():
                continue  # indexed as the base of a delivery before it in this list
            try:
                index_delivery(folder, key, con)
            except (FileNotFoundError, duckdb.IOException):
                if (folder / MANIFEST).is_file():
                    raise
                continue  # purged while we looked: it holds no one now
            done += 1
    finally:
        con.close()
    return done


def index_delivery(folder: Path, key: bytes, con: duckdb.DuckDBPyConnection | None = None) -> Path:
    """``persons.parquet`` of a delivery that carries the person key, made from its extract
    when it is not there yet: the keyed hash under ``key`` of each person it holds. A delta-only
    delivery's is its additions' and its base's less its removals: the bases along the chain
    are indexed first, oldest first, so each step reads one index and one delta. Written beside
    each delivery (kept and purged with it), atomically."""
    chain: list[Path] = []
    f: Path | None = folder
    while f is not None and not (f / INDEX).is_file():
        chain.append(f)
        f = _base(f)
    own = con is None
    db = duckdb.connect() if con is None else con
    try:
        register_pads(db, {KEY_ID: key})
        for f in reversed(chain):
            reader = db.sql(_people_sql(f)).to_arrow_reader(1 << 17)
            tmp = f / f".{INDEX}.{secrets.token_hex(6)}.tmp"
            try:
                write_extract(tmp, reader, "parquet", dictionary=False)
                os.replace(tmp, f / INDEX)
            finally:
                tmp.unlink(missing_ok=True)
    finally:
        if own:
            db.close()
    return folder / INDEX


def _record(folder: Path) -> tuple[str, dict[str, object]]:
    """The carried key's column and the delivery's manifest."""
    record = json.loads((folder / KEY_RECORD).read_bytes())
    if record.get("form") != NHS_FORM:
        raise ValueError(f"unknown person key form in {KEY_RECORD}")
    return str(record["column"]), json.loads((folder / MANIFEST).read_bytes())


def _read_sql(folder: Path, name: str) -> str:
    path = string_literal(str(folder / name))
    if name.endswith(".csv"):
        return f"read_csv({path}, header = true, all_varchar = true)"
    return f"read_parquet({path})"


def _extract_name(manifest: dict[str, object]) -> str:
    files = manifest.get("files")
    assert isinstance(files, dict)
    return next(str(n) for n in sorted(files) if str(n).startswith("extract."))


def _delta(manifest: dict[str, object]) -> dict[str, object] | None:
    """A delta-only delivery's ``delta`` block (None: the delivery holds a full extract)."""
    delta = manifest.get("delta")
    if manifest.get("delivery") != "delta" or not isinstance(delta, dict):
        return None
    return delta


def _base(folder: Path) -> Path | None:
    """The delivery a delta-only carrying delivery builds on, while it is there (None: a full
    delivery, a reset, or a base purged, when only what this one sent is left)."""
    column, manifest = _record(folder)
    delta = _delta(manifest)
    if delta is None or delta.get("reset"):
        return None
    base = folder.parent / str(delta.get("since"))
    return base if (base / INDEX).is_file() or (base / KEY_RECORD).is_file() else None


def _keys(folder: Path, name: str) -> str:
    """A query of the person keys (column ``k``, text, no NULLs) in one file of a delivery."""
    column, _ = _record(folder)
    return (
        f"SELECT CAST({sql.q(column)} AS VARCHAR) AS k FROM {_read_sql(folder, name)} "
        f"WHERE {sql.q(column)} IS NOT NULL"
    )


def _people_sql(folder: Path) -> str:
    """The keyed hashes (column ``person``) of the people a carrying delivery holds, over
    ``person_pads``; a delta-only one's base must be indexed already."""
    _, manifest = _record(folder)
    if _delta(manifest) is None:
        return f"SELECT {hash_sql('k')} AS person FROM ({_keys(folder, _extract_name(manifest))})"
    adds = f"SELECT {hash_sql('k')} AS person FROM ({_keys(folder, 'additions.parquet')})"
    base = _base(folder)
    if base is None:
        return adds
    rems = f"SELECT {hash_sql('k')} AS person FROM ({_keys(folder, 'removals.parquet')})"
    return (
        f"{adds} UNION ALL SELECT person FROM read_parquet({string_literal(str(base / INDEX))}) "
        f"WHERE person NOT IN ({rems}) AND person NOT IN ({adds})"
    )


def _holds(con: duckdb.DuckDBPyConnection, folder: Path, number: str, person: str) -> bool:
    """Whether a delta-only carrying delivery holds the person: in its additions; else, unless
    a reset or its removals took them out, in its base (back along the chain)."""
    f: Path | None = folder
    while f is not None:
        if (f / INDEX).is_file():
            return (
                _count(
                    con,
                    f"SELECT person AS k FROM read_parquet({string_literal(str(f / INDEX))})",
                    person,
                )
                > 0
            )
        _, manifest = _record(f)
        if _delta(manifest) is None:
            return _count(con, _keys(f, _extract_name(manifest)), number) > 0
        if _count(con, _keys(f, "additions.parquet"), number):
            return True
        base = _base(f)
        if base is None or _count(con, _keys(f, "removals.parquet"), number):
            return False
        f = base
    return False


def _count(con: duckdb.DuckDBPyConnection, keys: str, value: str) -> int:
    row = con.execute(f"SELECT count(*) FROM ({keys}) WHERE k = $v", {"v": value}).fetchone()
    return int(row[0]) if row else 0


def _carrying(
    con: duckdb.DuckDBPyConnection, folders: list[Path], number: str, person: str
) -> set[Path]:
    """The carrying deliveries (``folders``) that hold ``number``: full extracts in one query
    per column and format, delta-only deliveries through their chain."""
    groups: dict[tuple[str, str], list[str]] = {}
    hits: set[Path] = set()
    for folder in folders:
        column, manifest = _record(folder)
        if _delta(manifest) is not None:
            if _holds(con, folder, number, person):
                hits.add(folder)
            continue
        name = _extract_name(manifest)
        groups.setdefault((column, name), []).append(str(folder / name))
    for (column, name), files in groups.items():
        reader = (
            "read_csv($files, header = true, all_varchar = true, filename = true, "
            "union_by_name = true)"
            if name.endswith(".csv")
            else "read_parquet($files, filename = true)"
        )
        rows = con.execute(
            f"SELECT DISTINCT filename FROM {reader} WHERE CAST({sql.q(column)} AS VARCHAR) = $n",
            {"files": files, "n": number},
        ).fetchall()
        hits |= {Path(r[0]).parent for r in rows}
    return hits
