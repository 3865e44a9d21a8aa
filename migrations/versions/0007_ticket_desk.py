"""Add the ticket desk: assignees, agent departments, quick replies, ratings

Revision ID: 0007_ticket_desk
Revises: 0006_settings
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_ticket_desk"
down_revision = "0006_settings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            op.f("fk_tickets_assignee_id_users"), "users", ["assignee_id"], ["id"]
        )
        batch_op.create_index(
            "ix_tickets_assignee_status", ["assignee_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_waiting_since", ["waiting_since"], unique=False
        )
    # Tickets already waiting for staff start their wait at their last message.
    op.execute(
        "UPDATE tickets SET waiting_since = last_message_at"
        " WHERE status IN ('open', 'customer_reply')"
    )

    op.create_table(
        "agent_departments",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["users.id"],
            name=op.f("fk_agent_departments_agent_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_agent_departments_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "agent_id", "department_id", name=op.f("pk_agent_departments")
        ),
    )
    op.create_table(
        "quick_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quick_replies")),
        sa.UniqueConstraint("title", name=op.f("uq_quick_replies_title")),
    )
    op.create_table(
        "ticket_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "score BETWEEN 1 AND 5", name=op.f("ck_ticket_ratings_score")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_ticket_ratings_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_ticket_ratings_customer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ticket_ratings_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_ratings_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_ratings")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_ticket_ratings_ticket_id")),
    )


def downgrade():
    # drop: ratings, quick replies and agent departments exist only from this
    # revision on; their rows go.
    op.drop_table("ticket_ratings")
    op.drop_table("quick_replies")
    op.drop_table("agent_departments")
    # drop: who a ticket is assigned to and since when it waits are this
    # revision's columns; tickets keep everything else.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_waiting_since")
        batch_op.drop_index("ix_tickets_assignee_status")
        batch_op.drop_constraint(
            op.f("fk_tickets_assignee_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("waiting_since")
        batch_op.drop_column("assignee_id")
