"""Create subscriptions, free-use grants, service records and their history

Revision ID: 0010_subscriptions
Revises: 0009_vas_configuration
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_subscriptions"
down_revision = "0009_vas_configuration"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("servers", sa.Column("suspended_for", sa.String(16), nullable=True))
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_order_lines_level_id_service_levels"),
            "service_levels",
            ["level_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_order_lines_vas_undiscounted"),
            "kind <> 'vas' OR discount_cents = 0",
        )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("next_level_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'expired', 'suspended', 'cancelled')",
            name=op.f("ck_subscriptions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_subscriptions_customer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name=op.f("fk_subscriptions_server_id_servers"),
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["service_levels.id"],
            name=op.f("fk_subscriptions_level_id_service_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["next_level_id"],
            ["service_levels.id"],
            name=op.f("fk_subscriptions_next_level_id_service_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_subscriptions_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("server_id", name=op.f("uq_subscriptions_server_id")),
    )
    op.create_index(
        "ix_subscriptions_customer_id", "subscriptions", ["customer_id", "id"]
    )
    op.create_index(
        "ix_subscriptions_level_status", "subscriptions", ["level_id", "status"]
    )
    op.create_index("ix_subscriptions_status", "subscriptions", ["status", "id"])

    op.create_table(
        "free_use_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "granted > 0", name=op.f("ck_free_use_grants_granted_positive")
        ),
        sa.CheckConstraint(
            "used >= 0 AND used <= granted",
            name=op.f("ck_free_use_grants_used_within_granted"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_free_use_grants_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_free_use_grants_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_free_use_grants")),
        sa.UniqueConstraint(
            "subscription_id",
            "order_id",
            name=op.f("uq_free_use_grants_subscription_id_order_id"),
        ),
    )
    op.create_index(
        op.f("ix_free_use_grants_subscription_id"),
        "free_use_grants",
        ["subscription_id"],
    )

    op.create_table(
        "service_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("charged_cents", sa.Integer(), server_default="0", nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('free_level', 'free_use', 'balance', 'push')",
            name=op.f("ck_service_records_source"),
        ),
        sa.CheckConstraint(
            "price_cents >= 0", name=op.f("ck_service_records_price_not_negative")
        ),
        sa.CheckConstraint(
            "charged_cents >= 0", name=op.f("ck_service_records_charged_not_negative")
        ),
        sa.CheckConstraint(
            "(source = 'free_use') = (grant_id IS NOT NULL)",
            name=op.f("ck_service_records_grant_iff_free_use"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_service_records_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["service_items.id"],
            name=op.f("fk_service_records_item_id_service_items"),
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["service_levels.id"],
            name=op.f("fk_service_records_level_id_service_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_service_records_ticket_id_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["free_use_grants.id"],
            name=op.f("fk_service_records_grant_id_free_use_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_service_records_ledger_entry_id_ledger_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_records")),
    )
    op.create_index(
        "ix_service_records_subscription",
        "service_records",
        ["subscription_id", "id"],
    )

    op.create_table(
        "subscription_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("from_level_id", sa.Integer(), nullable=True),
        sa.Column("to_level_id", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('created', 'upgrade', 'downgrade', 'downgrade_cancelled',"
            " 'downgrade_applied', 'renewal', 'status', 'repair', 'refund')",
            name=op.f("ck_subscription_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_events_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["from_level_id"],
            ["service_levels.id"],
            name=op.f("fk_subscription_events_from_level_id_service_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["to_level_id"],
            ["service_levels.id"],
            name=op.f("fk_subscription_events_to_level_id_service_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_subscription_events_ledger_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_subscription_events_actor_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_events")),
    )
    op.create_index(
        "ix_subscription_events_subscription",
        "subscription_events",
        ["subscription_id", "id"],
    )


def downgrade():
    # drop: subscriptions, free uses and service records exist only from this
    # revision on; their rows go.
    op.drop_table("subscription_events")
    op.drop_table("service_records")
    op.drop_table("free_use_grants")
    op.drop_table("subscriptions")
    # drop: an order line's level and a server's suspension cause are this
    # revision's columns; lines and servers keep everything else.
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_order_lines_vas_undiscounted"), type_="check")
        batch_op.drop_constraint(
            op.f("fk_order_lines_level_id_service_levels"), type_="foreignkey"
        )
        batch_op.drop_column("level_id")
    op.drop_column("servers", "suspended_for")
