"""Create the balance ledger and top-up payments

Revision ID: 0004_ledger_payments
Revises: 0003_servers_orders
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_ledger_payments"
down_revision = "0003_servers_orders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("balance_after_cents", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.Text(), server_default="", nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(cause = 'refund') = (reverses_id IS NOT NULL)",
            name=op.f("ck_ledger_entries_refund_reverses"),
        ),
        sa.CheckConstraint(
            "cause IN ('topup', 'adjustment', 'order', 'renewal', 'upgrade',"
            " 'service_request', 'push', 'refund')",
            name=op.f("ck_ledger_entries_cause"),
        ),
        sa.CheckConstraint(
            "amount_cents <> 0", name=op.f("ck_ledger_entries_amount_not_zero")
        ),
        sa.CheckConstraint(
            "balance_after_cents >= 0",
            name=op.f("ck_ledger_entries_balance_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_ledger_entries_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_ledger_entries_customer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_entries_reverses_id_ledger_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_ledger_entries_idempotency_key")
        ),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_entries_reverses_id")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_customer_id_id", ["customer_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_entries_subject", ["subject_type", "subject_id"], unique=False
        )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gateway_txn_id", sa.String(length=100), nullable=True),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'failed')", name=op.f("ck_payments_status")
        ),
        sa.CheckConstraint(
            "amount_cents > 0", name=op.f("ck_payments_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_payments_customer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "gateway", "gateway_txn_id", name=op.f("uq_payments_gateway_gateway_txn_id")
        ),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_payments_idempotency_key")
        ),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_customer_id"), ["customer_id"], unique=False
        )
    _create_append_only_triggers()


def _create_append_only_triggers():
    """Refuse UPDATE and DELETE of ledger entries in the database itself (M3)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'ledger entries are append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_append_only"
            " BEFORE UPDATE OR DELETE ON ledger_entries"
            " FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()"
        )
        return
    op.execute(
        "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries"
        " BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries"
        " BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END"
    )


def _drop_append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entries_append_only ON ledger_entries")
        op.execute("DROP FUNCTION ledger_entries_append_only()")
        return
    op.execute("DROP TRIGGER ledger_entries_no_update")
    op.execute("DROP TRIGGER ledger_entries_no_delete")


def downgrade():
    _drop_append_only_triggers()
    # drop: the ledger and top-ups exist only from this revision on; their
    # rows go, so back the database up first (README, Backup and restore).
    op.drop_table("payments")
    op.drop_table("ledger_entries")
