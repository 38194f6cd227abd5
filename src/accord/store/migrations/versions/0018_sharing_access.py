"""Delta Sharing access: the signed file links that have served a download.

Revision ID: 0018_sharing_access
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_sharing_access"
down_revision = "0001_spine"
branch_labels = ("sharing",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_downloads",
        sa.Column("link", sa.String(64)),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("file_id", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("link", name="pk_sharing_downloads"),
    )
    op.create_index("ix_sharing_downloads_agreement_id", "sharing_downloads", ["agreement_id"])


def downgrade() -> None:
    op.drop_index("ix_sharing_downloads_agreement_id", table_name="sharing_downloads")
    op.drop_table("sharing_downloads")
