"""Index the subscriptions list and the agent queue for large tables

The level-and-status filter of the subscriptions list reads newest first,
so its index ends with the id; the agent queue filtered by status and
department reads longest waiting first, so its index ends with
``waiting_since``. Keyword search matches parts of emails, names and
hostnames: on PostgreSQL trigram GIN indexes (extension ``pg_trgm``) serve
``ILIKE '%…%'``; SQLite gets plain indexes of the same names, so both
schemas match the models.

Revision ID: 0012_indexes_for_large_lists
Revises: 0011_service_requests_and_pushes
Create Date: 2026-12-04
"""

from alembic import op

revision = "0012_indexes_for_large_lists"
down_revision = "0011_service_requests_and_pushes"
branch_labels = None
depends_on = None

# (index, table, column) of the keyword searches.
SEARCH_INDEXES = (
    ("ix_users_email_trgm", "users", "email"),
    ("ix_users_name_trgm", "users", "name"),
    ("ix_servers_hostname_trgm", "servers", "hostname"),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_level_status")
        batch_op.create_index(
            "ix_subscriptions_level_status_id", ["level_id", "status", "id"]
        )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_department")
        batch_op.create_index(
            "ix_tickets_status_department_waiting",
            ["status", "department_id", "waiting_since"],
        )

    if _postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in SEARCH_INDEXES:
        if _postgresql():
            op.create_index(
                name,
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
        else:
            op.create_index(name, table, [column])


def downgrade():
    for name, table, _column in SEARCH_INDEXES:
        op.drop_index(name, table_name=table)
    # The extension stays: other objects in the database may use it, and dropping
    # it needs rights that the application role may not have.

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_department_waiting")
        batch_op.create_index(
            "ix_tickets_status_department", ["status", "department_id"]
        )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_level_status_id")
        batch_op.create_index("ix_subscriptions_level_status", ["level_id", "status"])
