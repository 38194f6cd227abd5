"""Deltas: what changed for one recipient since its previous delivery.

With a person key in the extract (the NHS number, or its per-recipient pseudonym, which is
stable across runs):

- ``additions``: current rows that are new, or whose values changed (apply as an upsert by key);
- ``removals``: keys delivered before and absent now (a person who left the list, opted out,
  or moved to another authority: a retraction).

Without a key, additions and removals are whole rows (multiset difference). When the columns
changed (a new agreement version with another projection) the delta is a reset: every current
row is an addition and the recipient replaces what it holds.

Both tables are sorted (by key, else by every column) so the files are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from accord.refdata import quote_identifier


@dataclass(frozen=True)
class Delta:
    additions: pa.Table
    removals: pa.Table
    reset: bool = False


def compute_delta(current: pa.Table, previous: pa.Table, key: str | None) -> Delta:
    if current.schema != previous.schema or (key is not None and key not in current.schema.names):
        removal_schema = (
            pa.schema([current.schema.field(key)]) if key is not None else current.schema
        )
        return Delta(current, removal_schema.empty_table(), reset=True)
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")
        con.register("cur", current)
        con.register("prev", previous)
        if key is not None:
            k = quote_identifier(key)
            order = ", ".join([k, *(quote_identifier(n) for n in current.schema.names if n != key)])
            additions = con.execute(
                f"SELECT * FROM (SELECT * FROM cur EXCEPT SELECT * FROM prev) ORDER BY {order}"
            ).to_arrow_table()
            removals = con.execute(
                f"SELECT DISTINCT {k} FROM prev WHERE {k} IS NOT NULL AND {k} NOT IN "
                f"(SELECT {k} FROM cur WHERE {k} IS NOT NULL) ORDER BY {k}"
            ).to_arrow_table()
            removal_schema = pa.schema([current.schema.field(key)])
        else:
            additions = con.execute(
                "SELECT * FROM (SELECT * FROM cur EXCEPT ALL SELECT * FROM prev) ORDER BY ALL"
            ).to_arrow_table()
            removals = con.execute(
                "SELECT * FROM (SELECT * FROM prev EXCEPT ALL SELECT * FROM cur) ORDER BY ALL"
            ).to_arrow_table()
            removal_schema = current.schema
    finally:
        con.close()
    return Delta(additions.cast(current.schema), removals.cast(removal_schema))
