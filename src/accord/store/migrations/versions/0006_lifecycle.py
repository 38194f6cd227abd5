"""Dated legal bases, party assurance over time, assurance exceptions, per-flow suspensions.

Revision ID: 0006_lifecycle
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_lifecycle"
down_revision = "0001_spine"
branch_labels = ("lifecycle",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_bases",
        sa.Column("id", sa.String(90), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("final_end", sa.Date, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(300), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_table(
        "party_assurance",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("party", sa.String(200), nullable=False),
        sa.Column("scheme", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(300), nullable=False),
        sa.Column("lapsed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("ix_party_assurance_party", "party_assurance", ["party"])
    op.create_table(
        "assurance_exceptions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("discloser", sa.String(200), nullable=False),
        sa.Column("starts", sa.Date, nullable=False),
        sa.Column("ends", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(300), nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_assurance_exceptions_agreement_id", "assurance_exceptions", ["agreement_id"]
    )
    op.create_table(
        "flow_suspensions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("agreement_hash", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(90), nullable=False),
        sa.Column("cause", sa.String(300), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_reason", sa.Text, nullable=True),
        sa.UniqueConstraint(
            "agreement_hash", "flow_id", "cause", "since", name="uq_flow_suspensions"
        ),
    )
    op.create_index("ix_flow_suspensions_agreement_id", "flow_suspensions", ["agreement_id"])


def downgrade() -> None:
    op.drop_table("flow_suspensions")
    op.drop_table("assurance_exceptions")
    op.drop_table("party_assurance")
    op.drop_table("legal_bases")
