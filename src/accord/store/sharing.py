"""Delta Sharing file downloads: one row per signed file link that has served bytes.

- ``sharing_downloads``: keyed by the link's signature, so the first request under a link
  records the download (and its ledger event, in the same transaction) and the many range
  requests a Parquet reader makes under the same link record nothing more.
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from accord.store.base import metadata

__all__ = ["sharing_downloads"]

sharing_downloads = Table(
    "sharing_downloads",
    metadata,
    Column("link", String(64), primary_key=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("recipient", String(200), nullable=False),
    Column("file_id", String(64), nullable=False),
    Column("at", String(32), nullable=False),
)
