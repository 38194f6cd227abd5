"""Tables for the people who use accord's server: users, their browser sessions and API tokens,
and the approvals they record on agreement versions.

Secrets are never stored: a password is an argon2 hash, a session or API token is kept as the
SHA-256 of the random value handed to its holder. An approval row keeps the party's detached
signature over the agreement hash, so the decision can be checked without trusting this table.
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
)

from accord.store.base import metadata

__all__ = ["api_tokens", "approvals", "user_sessions", "users"]

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("party_org_id", String(80), nullable=False, index=True),
    # Space-separated role names, sorted (see accord.service.users.Role).
    Column("roles", String(400), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("agreement_hash", String(64), nullable=False),
    Column("party_org_id", String(80), nullable=False),
    Column("role", String(40), nullable=False),
    Column("decision", String(40), nullable=False),
    Column("reasons", Text, nullable=True),
    Column("conditions", Text, nullable=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("approver_name", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("signature", Text, nullable=False),
    Column("ledger_index", Integer, nullable=True),
)
