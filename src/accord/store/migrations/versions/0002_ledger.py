"""The ledger: entries (Merkle leaves), complete interior nodes, signed tree heads.

Revision ID: 0002_ledger
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_ledger"
down_revision = "0001_spine"
branch_labels = ("ledger",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("agreement_id", sa.String(200), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("appended_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name="pk_ledger_entries"),
        sa.UniqueConstraint("event_id", name="uq_ledger_entries_event_id"),
    )
    op.create_index(
        "ix_ledger_entries_agreement_id", "ledger_entries", ["agreement_id", "leaf_index"]
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger, autoincrement=False),
        sa.Column("node_index", sa.BigInteger, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name="pk_ledger_nodes"),
    )
    op.create_table(
        "ledger_tree_heads",
        sa.Column("tree_size", sa.BigInteger, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp", sa.String(32), nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("checkpoint", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name="pk_ledger_tree_heads"),
    )


def downgrade() -> None:
    op.drop_table("ledger_tree_heads")
    op.drop_table("ledger_nodes")
    op.drop_index("ix_ledger_entries_agreement_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
