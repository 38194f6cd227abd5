"""Exit and retention: recipient states, deletion certificates, purges, boundary amendments.

Revision ID: 0007_retention
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_retention"
down_revision = "0001_spine"
branch_labels = ("retention",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recipient_states",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("party", sa.String(200), nullable=False),
        sa.Column("flow_id", sa.String(100), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(300), nullable=True),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_recipient_states_agreement_id", "recipient_states", ["agreement_id"])
    op.create_table(
        "deletion_certificates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("party", sa.String(200), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("deleted_on", sa.Date, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("party", "delivery_id", name="uq_deletion_certificate"),
    )
    op.create_index(
        "ix_deletion_certificates_agreement_id", "deletion_certificates", ["agreement_id"]
    )
    op.create_table(
        "purges",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("party", sa.String(200), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=False, unique=True),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_purges_agreement_id", "purges", ["agreement_id"])
    op.create_table(
        "boundary_amendments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("party", sa.String(200), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("from_seq", sa.Integer, nullable=False),
        sa.Column("new_seq", sa.Integer, nullable=False),
        sa.Column("successors", sa.String(400), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "agreement_id", "party", "effective_date", name="uq_boundary_amendment"
        ),
    )
    op.create_index("ix_boundary_amendments_agreement_id", "boundary_amendments", ["agreement_id"])


def downgrade() -> None:
    op.drop_table("boundary_amendments")
    op.drop_table("purges")
    op.drop_table("deletion_certificates")
    op.drop_table("recipient_states")
