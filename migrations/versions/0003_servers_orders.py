"""Create servers and orders

Revision ID: 0003_servers_orders
Revises: 0002_catalog
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_servers_orders"
down_revision = "0002_catalog"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=120), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("billing_months", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "auto_renew", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'terminated')",
            name=op.f("ck_servers_status"),
        ),
        sa.CheckConstraint(
            "billing_months IN (1, 3, 6, 12)", name=op.f("ck_servers_billing_months")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_servers_customer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_servers_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servers")),
    )
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_servers_customer_status", ["customer_id", "status"], unique=False
        )
        batch_op.create_index("ix_servers_due_date", ["due_date"], unique=False)
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("promo_code_id", sa.Integer(), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('new', 'renewal', 'upgrade')", name=op.f("ck_orders_kind")
        ),
        sa.CheckConstraint(
            "status IN ('unpaid', 'paid', 'cancelled')", name=op.f("ck_orders_status")
        ),
        sa.CheckConstraint(
            "total_cents >= 0", name=op.f("ck_orders_total_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_orders_customer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["promo_code_id"],
            ["promo_codes.id"],
            name=op.f("fk_orders_promo_code_id_promo_codes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_orders_idempotency_key")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_customer_created", ["customer_id", "created_at"], unique=False
        )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("server_id", sa.Integer(), nullable=True),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("unit_cents", sa.Integer(), nullable=False),
        sa.Column("list_cents", sa.Integer(), nullable=False),
        sa.Column("discount_cents", sa.Integer(), server_default="0", nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('server', 'vas')", name=op.f("ck_order_lines_kind")
        ),
        sa.CheckConstraint(
            "amount_cents = list_cents - discount_cents",
            name=op.f("ck_order_lines_amount"),
        ),
        sa.CheckConstraint(
            "discount_cents >= 0 AND discount_cents <= list_cents",
            name=op.f("ck_order_lines_discount"),
        ),
        sa.CheckConstraint(
            "list_cents >= 0", name=op.f("ck_order_lines_list_not_negative")
        ),
        sa.CheckConstraint(
            "months IN (1, 3, 6, 12)", name=op.f("ck_order_lines_months")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_lines_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_order_lines_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False
        )


def downgrade():
    # drop: servers and orders exist only from this revision on; their rows go.
    op.drop_table("order_lines")
    op.drop_table("orders")
    op.drop_table("servers")
