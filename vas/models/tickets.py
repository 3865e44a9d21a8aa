"""Support tickets: departments, tickets, messages, quick replies and ratings."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import false
from sqlalchemy import text
from sqlalchemy import true
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from vas.extensions import db
from vas.models._columns import UTCDateTime
from vas.models._columns import utcnow
from vas.models.accounts import User
from vas.models.servers import Server

TICKET_STATUSES = ("open", "answered", "customer_reply", "closed")

# Which departments an agent works (工单权限设置); admins work all of them.
agent_departments = Table(
    "agent_departments",
    db.metadata,
    Column("agent_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "department_id",
        ForeignKey("departments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (
        # Exactly one department delivers value-added services (业务技术工单).
        Index(
            "uq_departments_business_technical",
            "is_business_technical",
            unique=True,
            sqlite_where=text("is_business_technical"),
            postgresql_where=text("is_business_technical"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_business_technical: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")

    agents: Mapped[list[User]] = relationship(
        secondary=agent_departments, order_by=User.id
    )

    def __repr__(self) -> str:
        return f"<Department {self.id} {self.name!r}>"


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'answered', 'customer_reply', 'closed')",
            name="status",
        ),
        # The agent queue by status and department, longest waiting first.
        Index(
            "ix_tickets_status_department_waiting",
            "status",
            "department_id",
            "waiting_since",
        ),
        Index("ix_tickets_customer_id_id", "customer_id", "id"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_waiting_since", "waiting_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id"))
    # The agent who owns the ticket (我的工单); None until someone takes it.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Time of the last message the customer can see; private notes leave it.
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Since when the customer waits for staff; None while the ball is theirs.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The form submission that opened it: a resubmission finds this ticket (M4).
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    customer: Mapped[User] = relationship(foreign_keys=[customer_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    department: Mapped[Department] = relationship()
    server: Mapped[Server | None] = relationship()
    messages: Mapped[list["TicketMessage"]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id"
    )

    def __repr__(self) -> str:
        return f"<Ticket {self.id} {self.status} {self.subject!r}>"


class TicketMessage(db.Model):
    __tablename__ = "ticket_messages"
    __table_args__ = (
        CheckConstraint(
            "author_kind IN ('customer', 'agent', 'system')", name="author_kind"
        ),
        # System messages have no author; people's messages always do.
        CheckConstraint(
            "(author_kind = 'system') = (author_id IS NULL)", name="author"
        ),
        Index("ix_ticket_messages_ticket_id_id", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    # Private replies (私密回复) are shown to staff only.
    is_private: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TicketMessage {self.id} {self.author_kind}>"


class QuickReply(db.Model):
    """A reply template (快捷回复模板) an agent inserts into the reply box."""

    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100), unique=True)
    body: Mapped[str] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<QuickReply {self.id} {self.title!r}>"


class TicketRating(db.Model):
    """A customer's rating (工单评价) of a closed ticket: once per ticket."""

    __tablename__ = "ticket_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The agent credited: the assignee, else the last agent who replied.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The department when rated, so moving a ticket later keeps the report true.
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])
    department: Mapped[Department] = relationship()

    def __repr__(self) -> str:
        return f"<TicketRating {self.id} ticket {self.ticket_id} {self.score}>"
