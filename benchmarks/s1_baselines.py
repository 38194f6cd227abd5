"""Baselines for the S1 benchmark: what the same rows cost without accord.

(b) ``bare_duckdb``: DuckDB joins the population to the postcode table and writes one Parquet
    file per upper-tier authority with ``COPY ... PARTITION_BY``: no validation, no opt-outs,
    no manifests, no atomic publication. The floor for "move these rows to those folders".
(c) ``pandas_governance``: a straightforward pandas script doing the same governance as the
    agreement (NHS number checksum, postcode format and lookup, date check, NDOO removal,
    routing, projection, one file per authority, an exceptions file with row numbers, a manifest
    with each file's SHA-256). Written the way an analyst would write it, not tuned.
(d0) ``snapshot_floor``: the least a delta over a *snapshot* source must do before any
    governance: read the new snapshot, hash each row's read columns (accord's two 64-bit
    hashes) and match the hashes against the base run's, finding the rows that changed. The
    floor of (d): no delta from a whole snapshot can cost less.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from accord.engine.extracts import ROW_GROUP, ZSTD_LEVEL

PROJECTION = ["nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "phone"]


def bare_duckdb(population: Path, postcodes: pa.Table, ndoo: Path, out: Path) -> int:
    """One ``COPY``: the rows whose postcode is in the directory and who are not on the NDOO
    list (about the rows accord delivers: it also drops the ~0.9% that fail a check), the
    delivered columns with the date typed, sorted by authority and source row, written with
    the extract writer's settings (zstd level 1, row groups of ``ROW_GROUP`` rows), one file
    per authority. The DuckDB settings are accord's (memory limit, threads)."""
    con = duckdb.connect(config={"memory_limit": "512MB"})
    try:
        con.register("geo", postcodes.select(["postcode", "utla_code"]))
        cols = ", ".join(
            f"TRY_CAST(p.{c} AS DATE) AS {c}" if c == "date_of_birth" else f"p.{c}"
            for c in PROJECTION
        )
        con.execute(
            f"COPY (SELECT {cols}, g.utla_code "
            f"FROM read_parquet('{population.as_posix()}', file_row_number = true) p "
            "JOIN geo g ON g.postcode = upper(p.postcode) "
            f"ANTI JOIN read_parquet('{ndoo.as_posix()}') o ON o.nhs_number = p.nhs_number "
            "ORDER BY g.utla_code, p.file_row_number) "
            f"TO '{out.as_posix()}' (FORMAT PARQUET, PARTITION_BY (utla_code), "
            f"COMPRESSION zstd, COMPRESSION_LEVEL {ZSTD_LEVEL}, ROW_GROUP_SIZE {ROW_GROUP})"
        )
        return sum(1 for _ in out.rglob("*.parquet"))
    finally:
        con.close()


def snapshot_floor(population: Path, state: Path, fields: list[str]) -> int:
    """The rows whose content hashes the base ``state`` does not hold the same number of times
    (new, gone, duplicated), found with accord's hashes and the DuckDB settings of a run."""
    from accord.engine.backends.duckdb_sql import content_hash_sql

    h1, h2 = content_hash_sql(fields)
    con = duckdb.connect(config={"memory_limit": "512MB"})
    try:
        con.execute(
            f"CREATE TEMP TABLE cur AS SELECT {h1} AS __h1, {h2} AS __h2 "
            f"FROM read_parquet('{population.as_posix()}')"
        )
        found = con.execute(
            "SELECT count(*) FROM (SELECT __h1, __h2 FROM (SELECT __h1, __h2, 1 AS __p "
            f"FROM read_parquet('{state.as_posix()}') UNION ALL SELECT __h1, __h2, 0 FROM cur) "
            "GROUP BY ALL HAVING sum(__p) * 2 <> count(*))"
        ).fetchall()[0][0]
        return int(found)
    finally:
        con.close()


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def _nhs_ok(value: object) -> bool:
    if not isinstance(value, str):
        return False
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(digits[9])


def _postcode(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    compact = "".join(value.split()).upper()
    m = _POSTCODE.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else None


def pandas_governance(
    population: Path, postcodes: pa.Table, ndoo: Path, out: Path, on: date
) -> int:
    import pandas as pd

    people = pd.read_parquet(population, columns=PROJECTION)
    people["row_number"] = range(1, len(people) + 1)
    geo = postcodes.to_pandas()
    opted = set(pd.read_parquet(ndoo, columns=["nhs_number"])["nhs_number"])

    people["nhs_number"] = people["nhs_number"].str.replace(" ", "", regex=False)
    valid_nhs = people["nhs_number"].apply(_nhs_ok)
    people["postcode"] = people["postcode"].apply(_postcode)
    dob = pd.to_datetime(people["date_of_birth"], format="%Y-%m-%d", errors="coerce")
    valid = valid_nhs & people["postcode"].notna() & (dob.isna() | (dob.dt.date <= on))
    in_directory = people["postcode"].isin(geo["postcode"])
    out.mkdir(parents=True, exist_ok=True)
    # The same governance as accord's: rows that fail go to an exceptions file with a reason
    # (row numbers only), and each authority's file gets a manifest with its SHA-256.
    bad = people.loc[~(valid & in_directory), ["row_number"]].copy()
    bad["reason"] = "invalid"
    bad.to_parquet(out / "exceptions.parquet", index=False)
    people = people[valid & in_directory]
    people = people.merge(geo[["postcode", "utla_code"]], on="postcode", how="inner")
    people = people[~people["nhs_number"].isin(opted)]
    files = 0
    for code, group in people.groupby("utla_code"):
        path = out / f"{code}.parquet"
        group[PROJECTION].to_parquet(path, index=False)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest = {"recipient": code, "rows": len(group), "sha256": digest}
        (out / f"{code}.manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        files += 1
    return files
