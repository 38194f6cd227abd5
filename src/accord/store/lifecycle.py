"""Tables for agreements as the world changes: dated legal bases, party assurance over time,
the SIRO's assurance exceptions, and per-flow suspensions.

Each record keeps its validated model as JSON in ``document`` and copies the columns the sweep
queries. Rows are appended, never edited, except the columns that close them: a suspension's
``lifted_at``, an assurance record's ``lapsed_at`` (set once, when a sweep first sees it lapse)
and an exception's ``ended_at``. Times are stored in UTC.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Integer, String, Table, Text, UniqueConstraint

from accord.store.base import metadata

__all__ = ["assurance_exceptions", "flow_suspensions", "legal_bases", "party_assurance"]

legal_bases = Table(
    "legal_bases",
    metadata,
    Column("id", String(90), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("start", Date, nullable=False),
    Column("final_end", Date, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(300), nullable=False),
    Column("document", Text, nullable=False),
)

party_assurance = Table(
    "party_assurance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("party", String(200), nullable=False, index=True),
    Column("scheme", String(40), nullable=False),
    Column("status", String(40), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(300), nullable=False),
    Column("lapsed_at", DateTime(timezone=True), nullable=True),
    Column("document", Text, nullable=False),
)

assurance_exceptions = Table(
    "assurance_exceptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("recipient", String(200), nullable=False),
    Column("discloser", String(200), nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(300), nullable=False),
    Column("signature", Text, nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("document", Text, nullable=False),
)

flow_suspensions = Table(
    "flow_suspensions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("agreement_hash", String(64), nullable=False),
    Column("flow_id", String(90), nullable=False),
    Column("cause", String(300), nullable=False),
    Column("reason", Text, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("lifted_at", DateTime(timezone=True), nullable=True),
    Column("lifted_reason", Text, nullable=True),
    # One open suspension per flow and cause: lifted rows keep their own opening time.
    UniqueConstraint("agreement_hash", "flow_id", "cause", "since", name="uq_flow_suspensions"),
)
