"""People's rights: requests, suppressions, reminders and verification codes.

Revision ID: 0016_rights
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_rights"
down_revision = "0001_spine"
branch_labels = ("rights",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rights_requests",
        sa.Column("request_id", sa.String(40)),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("agreement_version", sa.String(50), nullable=False),
        sa.Column("agreement_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("received_by", sa.String(200), nullable=False),
        sa.Column("lead_party", sa.String(200), nullable=False),
        sa.Column("received_on", sa.String(10), nullable=False),
        sa.Column("due_on", sa.String(10), nullable=False),
        sa.Column("extended", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("decided_at", sa.String(32), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name="pk_rights_requests"),
    )
    op.create_index("ix_rights_requests_agreement_id", "rights_requests", ["agreement_id"])
    op.create_index("ix_rights_requests_person", "rights_requests", ["person"])
    op.create_table(
        "rights_suppressions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("since", sa.String(32), nullable=False),
        sa.Column("lifted_at", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rights_suppressions"),
    )
    op.create_index("ix_rights_suppressions_request_id", "rights_suppressions", ["request_id"])
    op.create_index("ix_rights_suppressions_agreement_id", "rights_suppressions", ["agreement_id"])
    op.create_table(
        "rights_reminders",
        sa.Column("request_id", sa.String(40)),
        sa.Column("reminder", sa.String(20)),
        sa.Column("at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "reminder", name="pk_rights_reminders"),
    )
    op.create_table(
        "rights_codes",
        sa.Column("code_sha256", sa.String(64)),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("code_sha256", name="pk_rights_codes"),
    )


def downgrade() -> None:
    op.drop_table("rights_codes")
    op.drop_table("rights_reminders")
    op.drop_index("ix_rights_suppressions_agreement_id", table_name="rights_suppressions")
    op.drop_index("ix_rights_suppressions_request_id", table_name="rights_suppressions")
    op.drop_table("rights_suppressions")
    op.drop_index("ix_rights_requests_person", table_name="rights_requests")
    op.drop_index("ix_rights_requests_agreement_id", table_name="rights_requests")
    op.drop_table("rights_requests")
