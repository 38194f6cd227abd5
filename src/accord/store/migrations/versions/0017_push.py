"""The push queue: deliveries sent to recipients by MESH or into the outbox.

Revision ID: 0017_push
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_push"
down_revision = "0001_spine"
branch_labels = ("push",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_queue",
        sa.Column("delivery_id", sa.String(300)),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("agreement_version", sa.String(50), nullable=False),
        sa.Column("agreement_hash", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("workflow_id", sa.String(64), nullable=True),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("directory", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.String(32), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("message_id", sa.String(100), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("sent_at", sa.String(32), nullable=True),
        sa.Column("acknowledged_at", sa.String(32), nullable=True),
        sa.Column("withdrawn_reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_push_queue"),
    )
    op.create_index("ix_push_queue_agreement_id", "push_queue", ["agreement_id"])
    op.create_index("ix_push_queue_state", "push_queue", ["state"])


def downgrade() -> None:
    op.drop_index("ix_push_queue_state", table_name="push_queue")
    op.drop_index("ix_push_queue_agreement_id", table_name="push_queue")
    op.drop_table("push_queue")
