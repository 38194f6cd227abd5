"""The change feed's delete rows for a delta applied by key, derived once and kept.

A ``replace-by-key`` delta (:mod:`accord.engine.delta`) replaces *every* base row of each key
in its ``additions`` or ``removals``, and its ``removals`` name keys only. A change-feed reader
applies deletes and inserts row by row, so the feed's deletes are those replaced base rows in
full, with their multiplicity (:func:`deletes`): then, as multisets of rows::

    base - deletes + additions == current

and there are as many of them as the manifest's ``delta.replaced``. A missing key (``NULL``)
matches a missing key, as in the delta itself.

:func:`derive` writes them once per (base extract, additions, removals, key), into a file under
the workspace's ``cache/sharing`` folder named by the SHA-256 of those inputs, never into a
delivery's folder (whose files its manifest lists); a second query reads the file and its
description (rows, size, SHA-256) back. The rows are in canonical order (by key, then every
column, nulls last), so the file's bytes depend only on its inputs. :func:`prune` removes the
files of deliveries no longer offered, :func:`forget` every file of one flow to one party.

This module reads row values (the previous delivery's extract), and writes them only into that
file, which is served to the same recipient the extract was delivered to.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from accord.engine.delivery import slug
from accord.engine.delta import canonical
from accord.engine.extracts import write_extract
from accord.engine.sources import file_sha256
from accord.errors import Problem, VerificationError
from accord.refdata import quote_identifier

CACHE = Path("cache") / "sharing"
_VERSION = "deletes-1"  # part of every cache name: change it when the derivation changes


def deletes_sql(
    con: duckdb.DuckDBPyConnection, base: str, additions: str, removals: str, key: str
) -> duckdb.DuckDBPyRelation:
    """The rows of relation ``base`` whose ``key`` is in ``additions`` or ``removals``."""
    k = quote_identifier(key)
    return con.sql(
        f"SELECT b.* FROM {base} b SEMI JOIN (SELECT {k} FROM {additions} UNION "
        f"SELECT {k} FROM {removals}) c ON b.{k} IS NOT DISTINCT FROM c.{k}"
    )


def deletes(base: pa.Table, additions: pa.Table, removals: pa.Table, key: str) -> pa.Table:
    """The base rows a by-key delta replaces, in canonical order (``base``'s schema)."""
    con = duckdb.connect()
    try:
        con.register("__base", base)
        con.register("__adds", additions)
        con.register("__rems", removals)
        rows = deletes_sql(con, "__base", "__adds", "__rems", key).to_arrow_table()
    finally:
        con.close()
    return canonical(rows.cast(base.schema), key)


@dataclass(frozen=True)
class Derived:
    """A derived file: where it is, and what the feed says of it."""

    path: Path
    rows: int
    size: int
    sha256: str


@dataclass(frozen=True)
class Inputs:
    """What one delete file is derived from: three Parquet files (with their SHA-256, as the
    manifests record them), the key, and the delivery they belong to."""

    base: Path
    base_sha256: str
    additions: Path
    additions_sha256: str
    removals: Path
    removals_sha256: str
    key: str
    replaced: int  # the manifest's ``delta.replaced``: how many rows there must be

    @property
    def digest(self) -> str:
        parts = [
            _VERSION,
            self.base_sha256,
            self.additions_sha256,
            self.removals_sha256,
            self.key,
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def cache_dir(root: Path, agreement_id: str, party: str, flow_id: str) -> Path:
    """The folder of one flow's derived files to one party."""
    return root / CACHE / slug(agreement_id) / slug(party) / slug(flow_id)


def derive(folder: Path, inputs: Inputs) -> Derived:
    """The delete file for ``inputs`` in ``folder``: read back if already derived, else
    computed by DuckDB from the files and written (atomically).

    Raises :class:`VerificationError` when the rows found are not ``inputs.replaced`` (the
    base is not the one the delta was made against).
    """
    path = folder / f"{inputs.digest}.parquet"
    about = folder / f"{inputs.digest}.json"
    known = _read(path, about)
    if known is not None:
        return known
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{inputs.digest}.{uuid.uuid4().hex}.tmp"
    try:
        schema = pq.read_schema(inputs.base)
        con = duckdb.connect()
        try:
            con.read_parquet(str(inputs.base)).create_view("__base")
            con.read_parquet(str(inputs.additions)).create_view("__adds")
            con.read_parquet(str(inputs.removals)).create_view("__rems")
            rows = deletes_sql(con, "__base", "__adds", "__rems", inputs.key).to_arrow_table()
        finally:
            con.close()
        if rows.num_rows != inputs.replaced:
            raise VerificationError(
                "the delta does not apply to the version before it; its deletes are not served",
                [Problem("delta.replaced", f"expected {inputs.replaced}, found {rows.num_rows}")],
            )
        table = canonical(rows.cast(schema), inputs.key)
        write_extract(tmp, table.to_reader(), "parquet")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    found = Derived(path, table.num_rows, path.stat().st_size, file_sha256(path))
    note = about.with_name(f".{about.name}.{uuid.uuid4().hex}.tmp")
    note.write_text(json.dumps({"rows": found.rows, "size": found.size, "sha256": found.sha256}))
    os.replace(note, about)
    return found


def prune(folder: Path, keep: set[str]) -> int:
    """Remove the derived files in ``folder`` whose inputs' digest is not in ``keep`` (their
    deliveries are no longer offered: purged, or of an agreement version no longer active);
    the number removed. Files being written (dot names) are left alone."""
    removed = 0
    for p in folder.glob("[!.]*") if folder.is_dir() else ():
        if p.name.partition(".")[0] not in keep:
            p.unlink(missing_ok=True)
            removed += p.suffix == ".parquet"
    return removed


def forget(root: Path, agreement_id: str, party: str, flow_id: str) -> None:
    """Remove every file derived for one flow to one party (when its deliveries are purged:
    they hold those deliveries' rows, and can be derived again while the deliveries exist)."""
    shutil.rmtree(cache_dir(root, agreement_id, party, flow_id), ignore_errors=True)


def _read(path: Path, about: Path) -> Derived | None:
    """A file derived before, if it and its description are whole."""
    try:
        said = json.loads(about.read_bytes())
        size = path.stat().st_size
    except (OSError, ValueError):
        return None
    if said.get("size") != size:
        return None
    return Derived(path, int(said["rows"]), size, str(said["sha256"]))


__all__ = [
    "CACHE",
    "Derived",
    "Inputs",
    "cache_dir",
    "deletes",
    "deletes_sql",
    "derive",
    "forget",
    "prune",
]
