"""Create service levels, categories, items and the price matrix

Revision ID: 0009_vas_configuration
Revises: 0008_audit_log
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_vas_configuration"
down_revision = "0008_audit_log"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "service_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("monthly_price_cents", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "is_default", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "monthly_price_cents >= 0",
            name=op.f("ck_service_levels_price_not_negative"),
        ),
        sa.CheckConstraint(
            "NOT is_default OR (monthly_price_cents = 0 AND is_active)",
            name=op.f("ck_service_levels_default_free_and_active"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_levels")),
        sa.UniqueConstraint("name", name=op.f("uq_service_levels_name")),
    )
    op.create_index(
        "uq_service_levels_default",
        "service_levels",
        ["is_default"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "service_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_service_categories_name")),
    )
    op.create_table(
        "service_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["service_categories.id"],
            name=op.f("fk_service_items_category_id_service_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_items")),
        sa.UniqueConstraint(
            "category_id", "name", name=op.f("uq_service_items_category_id_name")
        ),
    )
    op.create_table(
        "item_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "price_cents >= 0", name=op.f("ck_item_prices_price_not_negative")
        ),
        sa.CheckConstraint(
            "version >= 1", name=op.f("ck_item_prices_version_positive")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["service_items.id"],
            name=op.f("fk_item_prices_item_id_service_items"),
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["service_levels.id"],
            name=op.f("fk_item_prices_level_id_service_levels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_prices")),
        sa.UniqueConstraint(
            "item_id", "level_id", name=op.f("uq_item_prices_item_id_level_id")
        ),
    )
    op.create_index(
        op.f("ix_item_prices_level_id"), "item_prices", ["level_id"], unique=False
    )


def downgrade():
    # drop: levels, categories, items and prices exist only from this revision
    # on; their rows go.
    op.drop_index(op.f("ix_item_prices_level_id"), table_name="item_prices")
    op.drop_table("item_prices")
    op.drop_table("service_items")
    op.drop_table("service_categories")
    op.drop_index("uq_service_levels_default", table_name="service_levels")
    op.drop_table("service_levels")
