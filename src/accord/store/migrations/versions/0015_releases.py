"""Release review of aggregate tables: held releases and their reviews.

Revision ID: 0015_releases
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_releases"
down_revision = "0001_spine"
branch_labels = ("releases",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("delivery_id", sa.String(300)),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("agreement_version", sa.String(50), nullable=False),
        sa.Column("agreement_hash", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("approvals", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("decided_at", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_releases"),
    )
    op.create_index("ix_releases_agreement_id", "releases", ["agreement_id"])
    op.create_table(
        "release_reviews",
        sa.Column("delivery_id", sa.String(300)),
        sa.Column("reviewer", sa.Integer, autoincrement=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["releases.delivery_id"],
            name="fk_release_reviews_delivery_id_releases",
        ),
        sa.PrimaryKeyConstraint("delivery_id", "reviewer", name="pk_release_reviews"),
    )


def downgrade() -> None:
    op.drop_table("release_reviews")
    op.drop_index("ix_releases_agreement_id", table_name="releases")
    op.drop_table("releases")
