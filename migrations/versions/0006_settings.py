"""Create run-time settings

Revision ID: 0006_settings
Revises: 0005_tickets
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_settings"
down_revision = "0005_tickets"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_settings_updated_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )


def downgrade():
    # drop: run-time settings exist only from this revision on; they go.
    op.drop_table("settings")
