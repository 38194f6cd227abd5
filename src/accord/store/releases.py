"""Release review tables: aggregate tables held until two independent reviewers approve them.

- ``releases``: one row per held aggregate delivery (its ledger ``delivery_id``): the recipient,
  flow and disclosure profile, who requested the run, the state (``pending``, ``released``,
  ``withheld``) and the number of approvals so far. A review moves the row with one
  compare-and-set ``UPDATE`` on (state, approvals), so two racing reviews never both count.
- ``release_reviews``: each review, one per (delivery, reviewer): the primary key is what makes
  "never the same person twice" hold under concurrency too.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from accord.store.base import metadata

__all__ = ["release_reviews", "releases"]

releases = Table(
    "releases",
    metadata,
    Column("delivery_id", String(300), primary_key=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("agreement_version", String(50), nullable=False),
    Column("agreement_hash", String(64), nullable=False),
    Column("run_id", String(100), nullable=False),
    Column("flow_id", String(200), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("profile", String(100), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("requested_by", Integer, nullable=False),  # the user id of whoever ran it
    Column("state", String(20), nullable=False),
    Column("approvals", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("decided_at", String(32), nullable=True),
)

release_reviews = Table(
    "release_reviews",
    metadata,
    Column(
        "delivery_id",
        String(300),
        ForeignKey("releases.delivery_id"),
        primary_key=True,
    ),
    Column("reviewer", Integer, primary_key=True, autoincrement=False),
    Column("decision", String(20), nullable=False),
    Column("note", Text, nullable=True),
    Column("at", String(32), nullable=False),
)
