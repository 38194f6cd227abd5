"""Tables for exit and retention, and for boundary-change amendments.

``recipient_states`` is append-only history: each row is one step of a recipient's (or one
flow's, when ``flow_id`` is set) exit lifecycle; the latest row per (agreement, party, flow) is
its state. ``deletion_certificates`` holds each signed certificate, ``purges`` each delivered
extract folder the instance deleted at the end of its retention, ``boundary_amendments`` each
amendment proposed because a recipient ceased to exist (one per agreement, body and date).

Times are stored in UTC.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Integer, String, Table, Text, UniqueConstraint

from accord.store.base import metadata

recipient_states = Table(
    "recipient_states",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("party", String(200), nullable=False),
    Column("flow_id", String(100), nullable=True),
    Column("state", String(20), nullable=False),
    Column("purpose", String(300), nullable=True),
    Column("until", Date, nullable=True),
    Column("reason", Text, nullable=True),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

deletion_certificates = Table(
    "deletion_certificates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("party", String(200), nullable=False),
    Column("delivery_id", String(200), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("deleted_on", Date, nullable=False),
    Column("signature", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("party", "delivery_id", name="uq_deletion_certificate"),
)

purges = Table(
    "purges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("party", String(200), nullable=False),
    Column("delivery_id", String(200), nullable=False, unique=True),
    Column("file_count", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

boundary_amendments = Table(
    "boundary_amendments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("party", String(200), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("from_seq", Integer, nullable=False),
    Column("new_seq", Integer, nullable=False),
    Column("successors", String(400), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("agreement_id", "party", "effective_date", name="uq_boundary_amendment"),
)
