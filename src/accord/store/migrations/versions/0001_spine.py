"""The spine: agreements, their versions and status changes.

Revision ID: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_spine"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("incident_id", sa.String(80), nullable=True),
        sa.Column("latest_seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_agreements_incident_id", "agreements", ["incident_id"])
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(200), sa.ForeignKey("agreements.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("previous_hash", sa.String(64), nullable=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("ratified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("agreement_id", "version", name="uq_agreement_versions_semver"),
    )
    op.create_table(
        "agreement_status_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_agreement_status_changes_agreement_id", "agreement_status_changes", ["agreement_id"]
    )


def downgrade() -> None:
    op.drop_table("agreement_status_changes")
    op.drop_table("agreement_versions")
    op.drop_table("agreements")
