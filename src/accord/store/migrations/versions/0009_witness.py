"""Witnessing: configured witnesses, their cosignatures, and the logs this instance witnesses.

Revision ID: 0009_witness
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_witness"
down_revision = "0001_spine"
branch_labels = ("witness",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_witnesses",
        sa.Column("name", sa.String(200)),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("verifier_key", sa.Text, nullable=False),
        sa.Column("cosigned_size", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_ledger_witnesses"),
    )
    op.create_table(
        "ledger_cosignatures",
        sa.Column("tree_size", sa.BigInteger, autoincrement=False),
        sa.Column("witness", sa.String(200)),
        sa.Column("signature_line", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("tree_size", "witness", name="pk_ledger_cosignatures"),
    )
    op.create_table(
        "witness_logs",
        sa.Column("origin", sa.String(200)),
        sa.Column("key_id", sa.String(220)),
        sa.Column("verifier_key", sa.Text, nullable=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("checkpoint", sa.Text, nullable=True),
        sa.Column("updated_at", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("origin", "key_id", name="pk_witness_logs"),
    )


def downgrade() -> None:
    op.drop_table("witness_logs")
    op.drop_table("ledger_cosignatures")
    op.drop_table("ledger_witnesses")
