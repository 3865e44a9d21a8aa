"""Support tickets: departments, tickets and their messages."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
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

    def __repr__(self) -> str:
        return f"<Department {self.id} {self.name!r}>"


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'answered', 'customer_reply', 'closed')",
            name="status",
        ),
        Index("ix_tickets_status_department", "status", "department_id"),
        Index("ix_tickets_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[User] = relationship()
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
