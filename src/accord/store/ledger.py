"""The ledger's tables: entries (the leaves), tree nodes, and signed tree heads.

Design of the stored tree: besides each leaf hash (in ``ledger_entries``), every *complete*
interior node is stored once, in ``ledger_nodes``, keyed by ``(level, node_index)``: the node at
level ``l`` and index ``i`` is the root of the perfect subtree over leaves ``[i * 2**l,
(i + 1) * 2**l)``. Appending leaf ``n`` completes exactly the nodes on its right edge (one per
trailing 1 bit of ``n``), about one node per leaf on average, and they are written in the same
transaction as the leaf. From these:

- the root of any tree size is the fold of ``popcount(size)`` stored nodes (the compact range
  ``[0, size)``), so a tree head never reads the leaves;
- every hash an RFC 9162 inclusion or consistency proof needs is a stored node or the fold of
  a few of them, so a proof at a million leaves is a few dozen primary-key lookups.

There is no separate "current head" row to keep in step: the log's size is ``max(leaf_index) +
1`` and a signed tree head is only a commitment over a prefix. A crash after a leaf commits but
before a head is signed leaves a valid log whose newest leaves are simply not yet covered.

Appends are serialised by the writer (``accord.ledger.log``): ``BEGIN IMMEDIATE`` on SQLite, a
transaction-level advisory lock on PostgreSQL; the primary key on ``leaf_index`` is the last
line of defence against two leaves at one index.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, SmallInteger, String, Table, Text

from accord.store.base import metadata

__all__ = ["ledger_entries", "ledger_nodes", "ledger_tree_heads"]

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(40), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("agreement_id", String(200), nullable=True),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    # The RFC 8785 canonical JSON of the event: exactly the bytes the leaf hash covers.
    Column("payload", Text, nullable=False),
    Column("appended_at", String(32), nullable=False),
    Index("ix_ledger_entries_agreement_id", "agreement_id", "leaf_index"),
)

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("node_index", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

ledger_tree_heads = Table(
    "ledger_tree_heads",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("timestamp", String(32), nullable=False),
    Column("signature", LargeBinary, nullable=False),
    # The whole signed checkpoint note, byte for byte as signed (origin, key name included).
    Column("checkpoint", Text, nullable=False),
)
