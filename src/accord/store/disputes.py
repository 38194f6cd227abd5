"""Tables for disputes, their steps, Civil Contingencies Act requests, and notifications.

A dispute row keeps the whole :class:`accord.disputes.model.Dispute` as JSON in ``document``
and copies the fields the scheduler queries (``state``, ``deadline``) into columns; ``revision``
rises by one on every step, and a step is stored only if the revision it read is still there,
so two sweepers never apply one escalation twice. ``pending_effect`` holds terms a step decided
but the agreement lifecycle has not yet carried out (a restart finishes them).

Times are stored in UTC.
"""

from __future__ import annotations

from sqlalchemy import (
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

disputes = Table(
    "disputes",
    metadata,
    Column("id", String(90), primary_key=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("flow_id", String(90), nullable=False),
    Column("state", String(24), nullable=False, index=True),
    Column("tier", Integer, nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=True, index=True),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("pending_effect", Text, nullable=True),
)

dispute_steps = Table(
    "dispute_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dispute_id", String(90), ForeignKey("disputes.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("name", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(300), nullable=False),
    Column("detail", Text, nullable=False),
    UniqueConstraint("dispute_id", "seq", name="uq_dispute_steps_dispute_id"),
)

cca_requests = Table(
    "cca_requests",
    metadata,
    Column("id", String(90), primary_key=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("requester", String(200), nullable=False),
    Column("discloser", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("responded_at", DateTime(timezone=True), nullable=True),
    Column("dispute_id", String(90), nullable=True),
    Column("document", Text, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dispute_id", String(90), nullable=True, index=True),
    Column("step_seq", Integer, nullable=True),
    Column("agreement_id", String(200), nullable=False),
    Column("agreement_version", String(40), nullable=False),
    Column("agreement_hash", String(64), nullable=False),
    Column("party", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("address", String(320), nullable=True),
    Column("subject", String(300), nullable=False),
    Column("message", Text, nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notification_id", Integer, ForeignKey("notifications.id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint(
        "notification_id", "channel", name="uq_notification_deliveries_notification_id"
    ),
)
