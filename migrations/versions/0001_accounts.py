"""Create accounts

Revision ID: 0001_accounts
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_accounts"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "app_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_meta")),
    )
    op.create_table(
        "users",
        sa.Column(
            "id", sa.Integer(), sa.Identity(always=False, start=110000), nullable=False
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("balance_cents", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "can_push_services", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("is_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('customer', 'agent', 'admin')", name=op.f("ck_users_role")
        ),
        sa.CheckConstraint(
            "balance_cents >= 0", name=op.f("ck_users_balance_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "sqlite":
        # Customer numbers start at 110000, as in the seed; PostgreSQL gets
        # this from the identity's START WITH.
        op.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('users', 109999)")


def downgrade():
    # drop: below the first revision there are no accounts; every row goes.
    op.drop_table("users")
    op.drop_table("app_meta")
