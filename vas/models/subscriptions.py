"""Subscriptions: a server's service level, its free uses and service records.

A subscription lives and ends with its server (rule 3): its expiry is the
server's due date and its status follows the server's, so every service
that changes a server updates its subscription in the same transaction.
"""

from datetime import date
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from vas.extensions import db
from vas.models._columns import UTCDateTime
from vas.models._columns import utcnow
from vas.models.accounts import User
from vas.models.servers import Server
from vas.models.vas import ServiceItem
from vas.models.vas import ServiceLevel

# 正常, 已到期, 已停用, 已取消.
SUBSCRIPTION_STATUSES = ("active", "expired", "suspended", "cancelled")
# Where a service record's price came from, in the order they are tried (Q1).
RECORD_SOURCES = ("free_level", "free_use", "balance", "push")
# A service record is pending until an agent marks it delivered.
RECORD_STATUSES = ("pending", "delivered")
SUBSCRIPTION_EVENTS = (
    "created",
    "upgrade",
    "downgrade",
    "downgrade_cancelled",
    "downgrade_applied",
    "renewal",
    "status",
    "repair",
    "refund",
)


class Subscription(db.Model):
    """A server's service level (已开通服务); one per server, for its life."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'expired', 'suspended', 'cancelled')", name="status"
        ),
        Index("ix_subscriptions_customer_id", "customer_id", "id"),
        # The list filtered by level and status, newest first.
        Index("ix_subscriptions_level_status_id", "level_id", "status", "id"),
        Index("ix_subscriptions_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # At most one subscription per server, ever (S1).
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id"), unique=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("service_levels.id"))
    # A downgrade waits here until the next renewal applies it.
    next_level_id: Mapped[int | None] = mapped_column(ForeignKey("service_levels.id"))
    # The order that created it (None for subscriptions made by an admin tool).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Always the server's due date (S1).
    expires_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    customer: Mapped[User] = relationship()
    server: Mapped[Server] = relationship()
    level: Mapped[ServiceLevel] = relationship(foreign_keys=[level_id])
    next_level: Mapped[ServiceLevel | None] = relationship(foreign_keys=[next_level_id])

    def __repr__(self) -> str:
        return f"<Subscription {self.id} server {self.server_id} {self.status}>"

    def is_live_on(self, today: date) -> bool:
        """Whether services can be requested on it that day (正常, not past
        its expiry even if the sync job has not marked it yet)."""
        return self.status == "active" and self.expires_on >= today


class FreeUseGrant(db.Model):
    """Free uses one paid order gave a subscription (rule 5); 0 <= used <= granted."""

    __tablename__ = "free_use_grants"
    __table_args__ = (
        UniqueConstraint("subscription_id", "order_id"),
        CheckConstraint("granted > 0", name="granted_positive"),
        CheckConstraint("used >= 0 AND used <= granted", name="used_within_granted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id"), index=True
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    granted: Mapped[int]
    # Spent only by a conditional update (used < granted), never read-then-write.
    used: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<FreeUseGrant {self.id} {self.used}/{self.granted}>"


class ServiceRecord(db.Model):
    """One delivered service (服务记录), with what it cost and how it was paid."""

    __tablename__ = "service_records"
    __table_args__ = (
        CheckConstraint(
            "source IN ('free_level', 'free_use', 'balance', 'push')", name="source"
        ),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("charged_cents >= 0", name="charged_not_negative"),
        CheckConstraint(
            "(source = 'free_use') = (grant_id IS NOT NULL)", name="grant_iff_free_use"
        ),
        CheckConstraint(
            "(source = 'push') = (push_id IS NOT NULL)", name="push_iff_source_push"
        ),
        CheckConstraint("status IN ('pending', 'delivered')", name="status"),
        CheckConstraint(
            "(status = 'delivered') = (delivered_at IS NOT NULL)",
            name="delivered_at_iff_delivered",
        ),
        Index("ix_service_records_subscription", "subscription_id", "id"),
        Index("ix_service_records_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    # The level the customer held when the service was requested.
    level_id: Mapped[int] = mapped_column(ForeignKey("service_levels.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    source: Mapped[str] = mapped_column(String(16))
    # The price cell read when the charge committed (M5) and what was taken.
    price_cents: Mapped[int]
    charged_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("free_use_grants.id"))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    # The paid push this record delivers (source "push").
    push_id: Mapped[int | None] = mapped_column(ForeignKey("service_pushes.id"))
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending"
    )
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ServiceItem] = relationship()
    level: Mapped[ServiceLevel] = relationship()
    delivered_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ServiceRecord {self.id} {self.source} {self.charged_cents}>"


class SubscriptionEvent(db.Model):
    """The history of a subscription: level changes, renewals, repairs, refunds."""

    __tablename__ = "subscription_events"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('created', 'upgrade', 'downgrade', 'downgrade_cancelled',"
            " 'downgrade_applied', 'renewal', 'status', 'repair', 'refund')",
            name="kind",
        ),
        Index("ix_subscription_events_subscription", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    kind: Mapped[str] = mapped_column(String(24))
    from_level_id: Mapped[int | None] = mapped_column(ForeignKey("service_levels.id"))
    to_level_id: Mapped[int | None] = mapped_column(ForeignKey("service_levels.id"))
    # Money moved by this event (positive = charged, negative = refunded).
    amount_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    from_level: Mapped[ServiceLevel | None] = relationship(foreign_keys=[from_level_id])
    to_level: Mapped[ServiceLevel | None] = relationship(foreign_keys=[to_level_id])
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<SubscriptionEvent {self.id} {self.kind}>"
