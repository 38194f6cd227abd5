"""Delta-only deliveries: additions and removals by person key, and how a recipient applies them.

When a run is asked for a delta (``run_agreement(..., previous=RUN)``, ``accord run --since``),
each recipient's delivery holds only ``additions.parquet``, ``removals.parquet`` and
``manifest.json``; no full extract is written. The rule for applying them is *replace by key*:

    reconstructed = [rows of the base whose key is in neither additions nor removals]
                    + additions

- ``additions`` holds, for every person key whose rows changed (new, edited, moved in,
  duplicated or de-duplicated), *all* of that key's current rows, with their multiplicity;
- ``removals`` holds the keys (one column, the extract's key column) that had rows in the base
  and have none now (left the list, opted out, moved authority, became invalid).

A key whose rows are the same multiset as in the base appears in neither file. A missing key
(``NULL``) is a key like any other. The reconstruction equals, as a multiset of rows, the extract a
full run on the same inputs delivers; extracts are in source row order, deltas and
reconstructions in *canonical order*: by key, then by every column (:func:`canonical`).

The base is the recipient's delivery in the named run: a full extract, or itself a delta whose
base is resolved the same way (:func:`reconstruct`). The manifest carries the base run, the base
extract's SHA-256 (or, for a delta base, its reconstructed row count), the number of base rows
the delta replaces, and the reconstructed row count; :func:`verify_delta` applies a delivery to a
base and checks every count. A SHA-256 of the whole reconstruction is deliberately not recorded:
it needs every row's values, which costs about as much as writing the full extract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from accord.errors import NotFound, Problem, VerificationError
from accord.refdata import quote_identifier

MODE_FULL = "full"
MODE_DELTA = "delta"
APPLY = "replace-by-key"


@dataclass(frozen=True)
class KeyDelta:
    additions: pa.Table
    removals: pa.Table
    replaced: int  # base rows whose key is in additions or removals


def canonical(table: pa.Table, key: str) -> pa.Table:
    """Rows sorted by key, then every column, nulls last (the order deltas are written in)."""
    con = duckdb.connect()
    try:
        con.register("t", table)
        out = con.sql(f"SELECT * FROM t ORDER BY {_order(table.schema.names, key)}")
        return out.to_arrow_table().cast(table.schema)
    finally:
        con.close()


def _order(names: list[str], key: str) -> str:
    cols = [quote_identifier(n) for n in [key, *(n for n in names if n != key)]]
    return ", ".join(f"{c} ASC NULLS LAST" for c in cols)


def diff_by_key(current: pa.Table, base: pa.Table, key: str) -> KeyDelta:
    """The replace-by-key delta from ``base`` to ``current`` (same schema)."""
    if current.schema != base.schema:
        raise AssertionError("a delta needs the base and the current extract in one schema")
    con = duckdb.connect()
    try:
        con.register("cur", current)
        con.register("base", base)
        k = quote_identifier(key)
        con.execute(
            "CREATE TEMP TABLE changed AS SELECT DISTINCT k FROM ("
            f"SELECT {k} AS k FROM (SELECT * FROM cur EXCEPT ALL SELECT * FROM base) "
            f"UNION ALL SELECT {k} FROM (SELECT * FROM base EXCEPT ALL SELECT * FROM cur))"
        )
        semi = f"EXISTS (SELECT 1 FROM changed c WHERE c.k IS NOT DISTINCT FROM t.{k})"
        additions = con.sql(
            f"SELECT * FROM cur t WHERE {semi} ORDER BY {_order(current.schema.names, key)}"
        ).to_arrow_table()
        removals = con.sql(
            f"SELECT c.k AS {k} FROM changed c WHERE NOT EXISTS "
            f"(SELECT 1 FROM cur t WHERE t.{k} IS NOT DISTINCT FROM c.k) "
            "ORDER BY c.k ASC NULLS LAST"
        ).to_arrow_table()
        replaced = con.execute(f"SELECT count(*) FROM base t WHERE {semi}").fetchall()[0][0]
    finally:
        con.close()
    return KeyDelta(
        additions.cast(current.schema),
        removals.cast(pa.schema([current.schema.field(key)])),
        int(replaced),
    )


def apply_delta(base: pa.Table, additions: pa.Table, removals: pa.Table, key: str) -> pa.Table:
    """The recipient's rule: drop every base row whose key is added or removed, add additions."""
    con = duckdb.connect()
    try:
        con.register("base", base)
        con.register("adds", additions)
        con.register("rems", removals)
        k = quote_identifier(key)
        kept = con.sql(
            f"SELECT * FROM base b WHERE NOT EXISTS (SELECT 1 FROM adds a WHERE a.{k} IS NOT "
            f"DISTINCT FROM b.{k}) AND NOT EXISTS (SELECT 1 FROM rems r WHERE r.{k} IS NOT "
            f"DISTINCT FROM b.{k})"
        ).to_arrow_table()
    finally:
        con.close()
    return canonical(pa.concat_tables([kept.cast(base.schema), additions.cast(base.schema)]), key)


def read_manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_bytes())
    return data


def reconstruct(flow_dir: Path, run_id: str, *, _depth: int = 0) -> pa.Table:
    """The extract a recipient holds after the delivery of ``run_id`` (canonical order if a
    delta, source order if a full extract)."""
    folder = flow_dir / run_id
    if not (folder / "manifest.json").is_file():
        raise NotFound(
            "no earlier delivery to reconstruct the delta base from",
            [Problem("previous", f"run {run_id} was not delivered to this flow")],
        )
    manifest = read_manifest(folder)
    if manifest.get("delivery", MODE_FULL) != MODE_DELTA:
        return pq.read_table(folder / "extract.parquet")
    if _depth > 10_000:  # pragma: no cover - a cycle cannot be made by run ids derived from inputs
        raise VerificationError("a delta chain does not end in a full delivery")
    delta = manifest["delta"]
    base = reconstruct(flow_dir, delta["since"], _depth=_depth + 1)
    adds = pq.read_table(folder / "additions.parquet")
    rems = pq.read_table(folder / "removals.parquet")
    return apply_delta(base.cast(adds.schema), adds, rems, delta["key"])


def verify_delta(base: pa.Table, folder: Path) -> pa.Table:
    """Apply the delta delivery in ``folder`` to ``base``; check its counts; return the result.

    Raises :class:`VerificationError` when the base is not the one the delta was made against
    (its row count, or the rows the delta replaces, differ) or the result has another size.
    """
    manifest = read_manifest(folder)
    delta = manifest.get("delta") or {}
    if manifest.get("delivery") != MODE_DELTA:
        raise VerificationError("not a delta delivery", [Problem("manifest", "delivery")])
    key = delta["key"]
    adds = pq.read_table(folder / "additions.parquet")
    rems = pq.read_table(folder / "removals.parquet")
    touched = set(adds[key].to_pylist()) | set(rems[key].to_pylist())
    replaced = sum(1 for v in base[key].to_pylist() if v in touched)
    got = apply_delta(base.cast(adds.schema), adds, rems, key)
    checks = [
        ("base.rows", delta["base"]["rows"], base.num_rows),
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
