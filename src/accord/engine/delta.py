"""Deltas: what changed for one recipient since its previous delivery.

With a person key in the extract (the NHS number, or its per-recipient pseudonym, which is
stable across runs):

- ``additions``: current rows that are new, or whose values changed (apply as an upsert by key);
- ``removals``: keys delivered before and absent now (a person who left the list, opted out,
  or moved to another authority: a retraction).

Without a key, additions and removals are whole rows (multiset difference). When the columns
changed (a new agreement version with another projection, or another format) the delta is a
reset: every current row is an addition and the recipient replaces what it holds.

Both tables are sorted (by key, then every column) so the files are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import duckdb
import pyarrow as pa

from accord.refdata import quote_identifier


@dataclass(frozen=True)
class Delta:
    additions: pa.Table
    removals: pa.Table
    reset: bool = False


class DeltaMaker:
    """Computes deltas for many flows over one DuckDB connection."""

    def __init__(self) -> None:
        self.con = duckdb.connect()

    def __enter__(self) -> DeltaMaker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.con.close()

    def delta(self, current: pa.Table, previous: pa.Table, key: str | None) -> Delta:
        if current.schema != previous.schema or (
            key is not None and key not in current.schema.names
        ):
            removal_schema = (
                pa.schema([current.schema.field(key)])
                if key is not None and key in current.schema.names
                else current.schema
            )
            return Delta(current, removal_schema.empty_table(), reset=True)
        con = self.con
        con.register("cur", current)
        con.register("prev", previous)
        try:
            columns = [quote_identifier(n) for n in current.schema.names]
            if key is not None:
                k = quote_identifier(key)
                order = ", ".join([k, *(c for c in columns if c != k)])
                additions = con.sql(
                    f"SELECT * FROM (SELECT * FROM cur EXCEPT SELECT * FROM prev) ORDER BY {order}"
                ).to_arrow_table()
                removals = con.sql(
                    f"SELECT DISTINCT {k} FROM prev WHERE {k} IS NOT NULL AND {k} NOT IN "
                    f"(SELECT {k} FROM cur WHERE {k} IS NOT NULL) ORDER BY {k}"
                ).to_arrow_table()
                removal_schema = pa.schema([current.schema.field(key)])
            else:
                order = ", ".join(columns)
                additions = con.sql(
                    "SELECT * FROM (SELECT * FROM cur EXCEPT ALL SELECT * FROM prev) "
                    f"ORDER BY {order}"
                ).to_arrow_table()
                removals = con.sql(
                    "SELECT * FROM (SELECT * FROM prev EXCEPT ALL SELECT * FROM cur) "
                    f"ORDER BY {order}"
                ).to_arrow_table()
                removal_schema = current.schema
        finally:
            con.unregister("cur")
            con.unregister("prev")
        return Delta(additions.cast(current.schema), removals.cast(removal_schema))
