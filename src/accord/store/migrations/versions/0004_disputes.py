"""Disputes: disputes, their steps, CCA requests, notifications and their deliveries.

Revision ID: 0004_disputes
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_disputes"
down_revision = "0001_spine"
branch_labels = ("disputes",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.String(90), primary_key=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("flow_id", sa.String(90), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("pending_effect", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_disputes"),
    )
    op.create_index("ix_disputes_agreement_id", "disputes", ["agreement_id"])
    op.create_index("ix_disputes_state", "disputes", ["state"])
    op.create_index("ix_disputes_deadline", "disputes", ["deadline"])
    op.create_table(
        "dispute_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "dispute_id",
            sa.String(90),
            sa.ForeignKey("disputes.id", name="fk_dispute_steps_dispute_id_disputes"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dispute_steps"),
        sa.UniqueConstraint("dispute_id", "seq", name="uq_dispute_steps_dispute_id"),
    )
    op.create_index("ix_dispute_steps_dispute_id", "dispute_steps", ["dispute_id"])
    op.create_table(
        "cca_requests",
        sa.Column("id", sa.String(90), primary_key=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("discloser", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispute_id", sa.String(90), nullable=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cca_requests"),
    )
    op.create_index("ix_cca_requests_agreement_id", "cca_requests", ["agreement_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dispute_id", sa.String(90), nullable=True),
        sa.Column("step_seq", sa.Integer, nullable=True),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("agreement_version", sa.String(40), nullable=False),
        sa.Column("agreement_hash", sa.String(64), nullable=False),
        sa.Column("party", sa.String(200), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("address", sa.String(320), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_dispute_id", "notifications", ["dispute_id"])
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "notification_id",
            sa.Integer,
            sa.ForeignKey(
                "notifications.id", name="fk_notification_deliveries_notification_id_notifications"
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notification_deliveries"),
        sa.UniqueConstraint(
            "notification_id", "channel", name="uq_notification_deliveries_notification_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_deliveries")
    op.drop_table("notifications")
    op.drop_table("cca_requests")
    op.drop_table("dispute_steps")
    op.drop_table("disputes")
