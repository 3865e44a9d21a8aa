"""Create the product catalogue

Revision ID: 0002_catalog
Revises: 0001_accounts
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_catalog"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("monthly_price_cents", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('cloud', 'bare_metal', 'web_hosting', 'domain')",
            name=op.f("ck_products_type"),
        ),
        sa.CheckConstraint(
            "monthly_price_cents >= 0", name=op.f("ck_products_price_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_table(
        "billing_cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("discount_percent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "discount_percent >= 0 AND discount_percent <= 90",
            name=op.f("ck_billing_cycles_discount"),
        ),
        sa.CheckConstraint(
            "months IN (1, 3, 6, 12)", name=op.f("ck_billing_cycles_months")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_billing_cycles_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_cycles")),
        sa.UniqueConstraint(
            "product_id", "months", name=op.f("uq_billing_cycles_product_id_months")
        ),
    )
    with op.batch_alter_table("billing_cycles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_cycles_product_id"), ["product_id"], unique=False
        )
    op.create_table(
        "promo_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("used_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'percent' AND value > 0 AND value <= 100)"
            " OR (kind = 'fixed' AND value > 0)",
            name=op.f("ck_promo_codes_value"),
        ),
        sa.CheckConstraint(
            "kind IN ('percent', 'fixed')", name=op.f("ck_promo_codes_kind")
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR (max_uses > 0 AND used_count <= max_uses)",
            name=op.f("ck_promo_codes_uses"),
        ),
        sa.CheckConstraint(
            "used_count >= 0", name=op.f("ck_promo_codes_used_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_promo_codes_code")),
    )


def downgrade():
    # drop: the catalogue exists only from this revision on; its rows go.
    op.drop_table("promo_codes")
    op.drop_table("billing_cycles")
    op.drop_table("products")
