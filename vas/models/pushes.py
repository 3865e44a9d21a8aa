"""Paid services pushed into tickets (推送付费服务), and mail waiting to go out."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from vas.extensions import db
from vas.models._columns import UTCDateTime
from vas.models._columns import utcnow
from vas.models.accounts import User
from vas.models.vas import ServiceItem
from vas.models.vas import ServiceLevel

PUSH_STATUSES = ("pending", "paid", "withdrawn")


class ServicePush(db.Model):
    """Items an agent offers in a ticket at a fixed pay price (支付价格).

    The pay price is written once, when the push is made (T2); paying moves
    the push from pending to paid by a conditional update, once.
    """

    __tablename__ = "service_pushes"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'paid', 'withdrawn')", name="status"),
        CheckConstraint("pay_price_cents >= 0", name="pay_price_not_negative"),
        CheckConstraint("list_total_cents >= 0", name="list_total_not_negative"),
        CheckConstraint(
            "(status = 'paid') = (paid_at IS NOT NULL)", name="paid_at_iff_paid"
        ),
        CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_at IS NOT NULL)",
            name="withdrawn_at_iff_withdrawn",
        ),
        Index("ix_service_pushes_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    # The reply the push was sent with.
    message_id: Mapped[int] = mapped_column(ForeignKey("ticket_messages.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    level_id: Mapped[int] = mapped_column(ForeignKey("service_levels.id"))
    # Sum of the items at the customer's level when pushed, for reference.
    list_total_cents: Mapped[int]
    # What the customer pays; fixed when pushed.
    pay_price_cents: Mapped[int]
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending"
    )
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    level: Mapped[ServiceLevel] = relationship()
    items: Mapped[list["ServicePushItem"]] = relationship(
        back_populates="push", order_by="ServicePushItem.id"
    )

    def __repr__(self) -> str:
        return f"<ServicePush {self.id} {self.status} {self.pay_price_cents}>"


class ServicePushItem(db.Model):
    """One item of a push, with its level price when pushed."""

    __tablename__ = "service_push_items"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("service_pushes.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    price_cents: Mapped[int]

    push: Mapped[ServicePush] = relationship(back_populates="items")
    item: Mapped[ServiceItem] = relationship()

    def __repr__(self) -> str:
        return f"<ServicePushItem {self.id} item {self.item_id}>"


class OutboxEmail(db.Model):
    """A mail written in the transaction that caused it, sent afterwards.

    Writing mail into the database keeps it atomic with the change it tells
    about: a rolled-back payment leaves no "payment taken" mail behind.
    """

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} to {self.to_address}>"
