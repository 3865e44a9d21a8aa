"""Create pushed services and the mail outbox; track delivery of service records

Revision ID: 0011_service_requests_and_pushes
Revises: 0010_subscriptions
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_service_requests_and_pushes"
down_revision = "0010_subscriptions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("idempotency_key", sa.String(length=120), nullable=True)
        )
        batch_op.create_unique_constraint(
            op.f("uq_tickets_idempotency_key"), ["idempotency_key"]
        )

    op.create_table(
        "service_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("list_total_cents", sa.Integer(), nullable=False),
        sa.Column("pay_price_cents", sa.Integer(), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default="pending", nullable=False
        ),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'withdrawn')",
            name=op.f("ck_service_pushes_status"),
        ),
        sa.CheckConstraint(
            "pay_price_cents >= 0",
            name=op.f("ck_service_pushes_pay_price_not_negative"),
        ),
        sa.CheckConstraint(
            "list_total_cents >= 0",
            name=op.f("ck_service_pushes_list_total_not_negative"),
        ),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_at IS NOT NULL)",
            name=op.f("ck_service_pushes_paid_at_iff_paid"),
        ),
        sa.CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_at IS NOT NULL)",
            name=op.f("ck_service_pushes_withdrawn_at_iff_withdrawn"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_service_pushes_ticket_id_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ticket_messages.id"],
            name=op.f("fk_service_pushes_message_id_ticket_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_service_pushes_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_service_pushes_customer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_service_pushes_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["service_levels.id"],
            name=op.f("fk_service_pushes_level_id_service_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_service_pushes_ledger_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_service_pushes_withdrawn_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_pushes")),
    )
    op.create_index("ix_service_pushes_ticket", "service_pushes", ["ticket_id", "id"])

    op.create_table(
        "service_push_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("push_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "price_cents >= 0", name=op.f("ck_service_push_items_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["push_id"],
            ["service_pushes.id"],
            name=op.f("fk_service_push_items_push_id_service_pushes"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["service_items.id"],
            name=op.f("fk_service_push_items_item_id_service_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_push_items")),
    )
    op.create_index(
        op.f("ix_service_push_items_push_id"), "service_push_items", ["push_id"]
    )

    op.create_table(
        "outbox_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_emails")),
    )
    op.create_index("ix_outbox_emails_unsent", "outbox_emails", ["sent_at", "id"])

    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "status",
                sa.String(length=16),
                server_default="pending",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("delivered_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_service_records_push_id_service_pushes"),
            "service_pushes",
            ["push_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            op.f("fk_service_records_delivered_by_id_users"),
            "users",
            ["delivered_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_service_records_push_iff_source_push"),
            "(source = 'push') = (push_id IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            op.f("ck_service_records_status"), "status IN ('pending', 'delivered')"
        )
        batch_op.create_check_constraint(
            op.f("ck_service_records_delivered_at_iff_delivered"),
            "(status = 'delivered') = (delivered_at IS NOT NULL)",
        )
        batch_op.create_index(
            "ix_service_records_ticket", ["ticket_id", "id"], unique=False
        )


def downgrade():
    # drop: pushes and the outbox exist only from this revision on; going below
    # it drops them and the records' delivery columns with their rows, as
    # dropping the feature means.
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.drop_index("ix_service_records_ticket")
        batch_op.drop_constraint(
            op.f("ck_service_records_delivered_at_iff_delivered"), type_="check"
        )
        batch_op.drop_constraint(op.f("ck_service_records_status"), type_="check")
        batch_op.drop_constraint(
            op.f("ck_service_records_push_iff_source_push"), type_="check"
        )
        batch_op.drop_constraint(
            op.f("fk_service_records_delivered_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            op.f("fk_service_records_push_id_service_pushes"), type_="foreignkey"
        )
        batch_op.drop_column("delivered_by_id")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("status")
        batch_op.drop_column("push_id")
    op.drop_table("outbox_emails")
    op.drop_table("service_push_items")
    op.drop_table("service_pushes")
    # drop: a ticket's idempotency key serves paid requests, this revision's
    # feature; tickets keep everything else.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_tickets_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")
