"""Create the audit log

Revision ID: 0008_audit_log
Revises: 0007_ticket_desk
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_audit_log"
down_revision = "0007_ticket_desk"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_entries_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        "ix_audit_entries_subject", "audit_entries", ["subject_type", "subject_id"]
    )
    op.create_index("ix_audit_entries_created_at", "audit_entries", ["created_at"])


def downgrade():
    # drop: the audit log exists only from this revision on; its rows go.
    op.drop_index("ix_audit_entries_created_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_subject", table_name="audit_entries")
    op.drop_table("audit_entries")
