"""Deltas: what changed for one recipient since its previous delivery, with one meaning.

Every delivery made against an earlier one carries ``additions`` and ``removals`` beside its
manifest, whether it also holds the whole extract (``delivery: full``) or only the delta
(``delivery: delta``, no extract). The manifest's ``delta.apply`` says how a recipient applies
them to what it holds:

- ``replace-by-key`` (the extract has a person key: the NHS number, or its per-recipient
  pseudonym, stable across runs)::

      current = [rows of the base whose key is in neither additions nor removals] + additions

  ``additions`` holds, for every key whose rows changed (new, edited, moved in, duplicated or
  de-duplicated), *all* of that key's current rows with their multiplicity; ``removals`` holds
  the keys (one column) that had rows in the base and have none now (left the list, opted out,
  moved authority, became invalid). A key whose rows are the same multiset as in the base is in
  neither. A missing key (``NULL``) is a key like any other.
- ``multiset`` (no key): ``current = (base - removals) + additions`` over whole rows.
- ``replace-all`` (``reset: true``: the columns or the format changed): additions are every
  current row; the recipient replaces what it holds.

The result equals, as a multiset of rows, the extract a full run on the same inputs delivers;
extracts are in source row order, deltas and reconstructions in *canonical order*: by key, then
every column, nulls last (:func:`canonical`). The manifest carries the base run, the base
extract's SHA-256, its rows, the base rows the delta ``replaced``, and ``rows`` once applied;
:func:`verify_delta` applies a delivery to a base and checks every count.

All deltas are computed here, by one SQL text (:func:`diff_sql`), whether over two whole
extracts (:func:`diff`) or, on an engine's incremental path, over only the rows of keys that
can have changed, for many flows at once (a ``__flow`` column).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accord.engine.extracts import read_extract, write_extract
from accord.engine.sources import file_sha256
from accord.errors import NotFound, Problem, VerificationError
from accord.refdata import quote_identifier, string_literal

MODE_FULL = "full"
MODE_DELTA = "delta"
BY_KEY = "replace-by-key"
MULTISET = "multiset"
RESET = "replace-all"
GROUP = "__flow"


@dataclass(frozen=True)
class Delta:
    additions: pa.Table
    removals: pa.Table
    replaced: int  # base rows the delta replaces (by key) or removes (multiset)
    apply: str = BY_KEY

    @property
    def reset(self) -> bool:
        return self.apply == RESET


def reset(current: pa.Table, base_rows: int, key: str | None) -> Delta:
    """Every current row is an addition; the recipient replaces all it holds."""
    names = [key] if key is not None and key in current.schema.names else current.schema.names
    empty = pa.schema([current.schema.field(n) for n in names]).empty_table()
    return Delta(current, empty, base_rows, RESET)


def _order(names: list[str], key: str | None) -> str:
    first = [key] if key is not None else []
    cols = [quote_identifier(n) for n in [*first, *(n for n in names if n != key)]]
    return ", ".join(f"{c} ASC NULLS LAST" for c in cols)


def diff_sql(
    con: duckdb.DuckDBPyConnection, cur: str, base: str, names: list[str], key: str | None
) -> tuple[pa.Table, pa.Table, dict[int, int]]:
    """The delta from relation ``base`` to ``cur`` (each ``__flow`` plus ``names``), per flow:
    (additions and removals with ``__flow``, in canonical order; base rows replaced per flow)."""
    g = GROUP
    cols = ", ".join(quote_identifier(n) for n in names)
    order = f"{g}, {_order(names, key)}"
    if key is None:
        additions = con.sql(
            f"SELECT * FROM (SELECT {g}, {cols} FROM {cur} EXCEPT ALL "
            f"SELECT {g}, {cols} FROM {base}) ORDER BY {order}"
        ).to_arrow_table()
        removals = con.sql(
            f"SELECT * FROM (SELECT {g}, {cols} FROM {base} EXCEPT ALL "
            f"SELECT {g}, {cols} FROM {cur}) ORDER BY {order}"
        ).to_arrow_table()
        per_flow = removals.group_by(g).aggregate([(g, "count")]).to_pylist()
        return additions, removals, {int(r[g]): int(r[f"{g}_count"]) for r in per_flow}
    k = quote_identifier(key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __changed AS SELECT DISTINCT {g}, {k} FROM ("
        f"SELECT {g}, {k} FROM (SELECT {g}, {cols} FROM {cur} EXCEPT ALL "
        f"SELECT {g}, {cols} FROM {base}) UNION ALL SELECT {g}, {k} FROM "
        f"(SELECT {g}, {cols} FROM {base} EXCEPT ALL SELECT {g}, {cols} FROM {cur}))"
    )
    on = f"c.{g} = t.{g} AND c.{k} IS NOT DISTINCT FROM t.{k}"
    additions = con.sql(
        f"SELECT t.{g}, {', '.join('t.' + quote_identifier(n) for n in names)} FROM {cur} t "
        f"SEMI JOIN __changed c ON {on} ORDER BY {order}"
    ).to_arrow_table()
    removals = con.sql(
        f"SELECT c.{g}, c.{k} FROM __changed c ANTI JOIN {cur} t ON {on} "
        f"ORDER BY c.{g}, c.{k} ASC NULLS LAST"
    ).to_arrow_table()
    replaced = con.execute(
        f"SELECT t.{g}, count(*) FROM {base} t SEMI JOIN __changed c ON {on} GROUP BY ALL"
    ).fetchall()
    con.execute("DROP TABLE __changed")
    return additions, removals, {int(f): int(n) for f, n in replaced}


def split(
    additions: pa.Table,
    removals: pa.Table,
    replaced: dict[int, int],
    flow: int,
    schema: pa.Schema,
    key: str | None,
) -> Delta:
    """One flow's :class:`Delta` out of :func:`diff_sql`'s tables (``schema``: the extract's)."""
    adds = additions.filter(pc.equal(additions[GROUP], flow)).drop_columns([GROUP])
    rems = removals.filter(pc.equal(removals[GROUP], flow)).drop_columns([GROUP])
    rem_schema = pa.schema([schema.field(key)]) if key is not None else schema
    return Delta(
        adds.cast(schema),
        rems.cast(rem_schema),
        replaced.get(flow, 0),
        MULTISET if key is None else BY_KEY,
    )


def diff(
    current: pa.Table, base: pa.Table, key: str | None, con: duckdb.DuckDBPyConnection | None = None
) -> Delta:
    """The delta from ``base`` to ``current`` (one schema) by the one rule."""
    if current.schema != base.schema:
        raise AssertionError("a delta needs the base and the current extract in one schema")
    own = con is None
    con = con or duckdb.connect()
    flow = pa.array([0] * current.num_rows, pa.int32())
    con.register("__cur", current.add_column(0, GROUP, flow))
    con.register("__base", base.add_column(0, GROUP, pa.array([0] * base.num_rows, pa.int32())))
    try:
        got = diff_sql(con, "__cur", "__base", current.schema.names, key)
    finally:
        con.unregister("__cur")
        con.unregister("__base")
        if own:
            con.close()
    return split(*got, 0, current.schema, key)


def diff_files(
    con: duckdb.DuckDBPyConnection,
    flows: list[tuple[int, Path, Path]],
    names: list[str],
    key: str | None,
) -> tuple[pa.Table, pa.Table, dict[int, int]]:
    """:func:`diff_sql` over many flows' Parquet extracts of one shape at once: ``flows`` as
    (flow number, current extract, base extract); one query, not one per recipient."""
    cols = ", ".join(quote_identifier(n) for n in names)
    for side, at in (("__cur", 1), ("__base", 2)):
        paths = [str(f[at]) for f in flows]
        con.register(
            f"{side}_files",
            pa.table({"filename": paths, GROUP: pa.array([f[0] for f in flows], pa.int32())}),
        )
        listed = ", ".join(string_literal(p) for p in paths)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {side} AS SELECT m.{GROUP}, {cols} FROM "
            f"read_parquet([{listed}], filename = true) b JOIN {side}_files m USING (filename)"
        )
    try:
        return diff_sql(con, "__cur", "__base", names, key)
    finally:
        for side in ("__cur", "__base"):
            con.execute(f"DROP TABLE {side}")
            con.unregister(f"{side}_files")


def canonical(table: pa.Table, key: str | None) -> pa.Table:
    """Rows sorted by key, then every column, nulls last (the order deltas are written in)."""
    con = duckdb.connect()
    try:
        con.register("t", table)
        out = con.sql(f"SELECT * FROM t ORDER BY {_order(table.schema.names, key)}")
        return out.to_arrow_table().cast(table.schema)
    finally:
        con.close()


def apply(
    base: pa.Table, additions: pa.Table, removals: pa.Table, how: str, key: str | None
) -> pa.Table:
    """The recipient's rule ``how`` (``delta.apply``): the rows it holds once applied."""
    if how == RESET:
        return canonical(additions.cast(base.schema), key)
    con = duckdb.connect()
    try:
        con.register("base", base)
        con.register("adds", additions.cast(base.schema))
        con.register("rems", removals)
        if how == MULTISET:
            kept = con.sql("SELECT * FROM base EXCEPT ALL SELECT * FROM rems")
        else:
            k = quote_identifier(key or "")
            kept = con.sql(
                f"SELECT * FROM base b WHERE NOT EXISTS (SELECT 1 FROM adds a WHERE a.{k} IS NOT "
                f"DISTINCT FROM b.{k}) AND NOT EXISTS (SELECT 1 FROM rems r WHERE r.{k} IS NOT "
                f"DISTINCT FROM b.{k})"
            )
        rows = kept.to_arrow_table().cast(base.schema)
    finally:
        con.close()
    return canonical(pa.concat_tables([rows, additions.cast(base.schema)]), key)


def read_manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_bytes())
    return data


def held(folder: Path, schema: pa.Schema | None = None, *, _depth: int = 0) -> pa.Table:
    """What the recipient holds after the delivery in ``folder``: its extract (source order), or
    a delta delivery applied to what it held before (canonical order)."""
    if not (folder / "manifest.json").is_file():
        raise NotFound(
            "no earlier delivery to reconstruct the delta base from",
            [Problem("previous", f"run {folder.name} was not delivered to this flow")],
        )
    manifest = read_manifest(folder)
    fmt = manifest["format"]
    if manifest.get("delivery", MODE_FULL) != MODE_DELTA:
        return read_extract(folder / f"extract.{fmt}", fmt, schema if fmt == "csv" else None)
    if _depth > 10_000:  # pragma: no cover - a cycle cannot be made by run ids derived from inputs
        raise VerificationError("a delta chain does not end in a full delivery")
    delta = manifest["delta"]
    base = held(folder.parent / delta["since"], schema, _depth=_depth + 1)
    adds = pq.read_table(folder / "additions.parquet")
    rems = pq.read_table(folder / "removals.parquet")
    return apply(base.cast(adds.schema), adds, rems, delta["apply"], delta["key"])


def reconstruct(flow_dir: Path, run_id: str) -> pa.Table:
    """The extract a recipient holds after the delivery of ``run_id`` to ``flow_dir``."""
    return held(flow_dir / run_id)


def write(folder: Path, fmt: str, delta: Delta) -> tuple[dict[str, str], dict[str, int]]:
    """Write ``additions`` and ``removals`` into ``folder``: their SHA-256 by file name, and
    the missing values in the additions."""
    files: dict[str, str] = {}
    missing: dict[str, int] = {}
    for name, table in (("additions", delta.additions), ("removals", delta.removals)):
        path = folder / f"{name}.{fmt}"
        written = write_extract(path, table.to_reader(), fmt)
        files[path.name] = file_sha256(path)
        missing = missing or written.missing
    return files, missing


def entry(delta: Delta, base: Path, key: str | None) -> dict[str, Any]:
    """The manifest's ``delta``: how to apply it, its sizes, and the base it applies to."""
    data = (base / "manifest.json").read_bytes()
    prior = json.loads(data)
    return {
        "since": base.name,
        "apply": delta.apply,
        "key": key,
        "additions": delta.additions.num_rows,
        "removals": delta.removals.num_rows,
        "replaced": delta.replaced,
        "reset": delta.reset,
        "base": {
            "run_id": base.name,
            "rows": prior["rows"],
            "manifest_sha256": hashlib.sha256(data).hexdigest(),
            "extract_sha256": prior["files"].get(f"extract.{prior['format']}"),
        },
    }


def rows_after(delta: Delta, base_rows: int) -> int:
    return base_rows - delta.replaced + int(delta.additions.num_rows)


def verify_delta(base: pa.Table, folder: Path) -> pa.Table:
    """Apply the delivery's delta in ``folder`` to ``base``; check its counts; return the result.

    Raises :class:`VerificationError` when the delivery has no delta, the base is not the one
    the delta was made against (its row count, or the rows the delta replaces, differ) or the
    result has another size.
    """
    manifest = read_manifest(folder)
    delta = manifest.get("delta")
    if not delta:
        raise VerificationError("not a delivery with a delta", [Problem("manifest", "delta")])
    fmt = manifest["format"]
    key, how = delta["key"], delta["apply"]
    adds = read_extract(folder / f"additions.{fmt}", fmt, base.schema if fmt == "csv" else None)
    rem_schema = pa.schema([base.schema.field(key)]) if how == BY_KEY else base.schema
    rems = read_extract(folder / f"removals.{fmt}", fmt, rem_schema if fmt == "csv" else None)
    if how == BY_KEY:
        touched = set(adds[key].to_pylist()) | set(rems[key].to_pylist())
        replaced = sum(1 for v in base[key].to_pylist() if v in touched)
    else:
        replaced = base.num_rows if how == RESET else rems.num_rows
    got = apply(base.cast(adds.schema), adds, rems, how, key)
    checks = [
        ("delta.base.rows", delta["base"]["rows"], base.num_rows),
        ("delta.replaced", delta["replaced"], replaced),
        ("rows", manifest["rows"], got.num_rows),
    ]
    for where, expected, computed in checks:
        if expected != computed:
            raise VerificationError(
                "the delta does not apply to this base",
                [Problem(where, f"expected {expected}, computed {computed}")],
            )
    return got
