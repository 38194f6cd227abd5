"""Witnessing tables: the witnesses this instance sends its heads to, their cosignatures, and
(when this instance is itself a witness for other parties' logs) the last head it saw of each.

- ``ledger_witnesses``: one row per configured witness (its note name, ``add-checkpoint`` URL,
  cosigner verifier key, and the size it last cosigned for this instance's log);
- ``ledger_cosignatures``: each cosignature line a witness returned, by tree size; the signed
  head with its cosignatures is the instance's note plus these lines;
- ``witness_logs``: the logs this instance witnesses, one row per origin and key: the log's
  verifier key, and the latest checkpoint it cosigned (size, root, the note). Checking the old
  size and storing the new head is one compare-and-set ``UPDATE`` on this row, so two racing
  requests can never roll a log back (C2SP tlog-witness, add-checkpoint).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, LargeBinary, String, Table, Text

from accord.store.base import metadata

__all__ = ["ledger_cosignatures", "ledger_witnesses", "witness_logs"]

ledger_witnesses = Table(
    "ledger_witnesses",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("verifier_key", Text, nullable=False),
    Column("cosigned_size", BigInteger, nullable=False),
)

ledger_cosignatures = Table(
    "ledger_cosignatures",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("signature_line", Text, nullable=False),
)

witness_logs = Table(
    "witness_logs",
    metadata,
    Column("origin", String(200), primary_key=True),
    # ``name+hexhash`` of the log's verifier key: two logs may share an origin (every accord
    # instance defaults to ``accord/ledger``) but never a key.
    Column("key_id", String(220), primary_key=True),
    Column("verifier_key", Text, nullable=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=True),
    Column("checkpoint", Text, nullable=True),
    Column("updated_at", String(32), nullable=True),
)
