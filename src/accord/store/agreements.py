"""Tables for agreements and their versions.

A version row's ``document``, ``hash`` and ``previous_hash`` are written once and never updated;
only ``status`` moves, and every move is a row in ``agreement_status_changes``.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from accord.store.base import metadata

agreements = Table(
    "agreements",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("incident_id", String(80), nullable=True, index=True),
    Column("latest_seq", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("agreement_id", String(200), ForeignKey("agreements.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("version", String(40), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("previous_hash", String(64), nullable=True),
    Column("document", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("ratified", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("agreement_id", "version", name="uq_agreement_versions_semver"),
)

agreement_status_changes = Table(
    "agreement_status_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    Column("actor", String(200), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)
