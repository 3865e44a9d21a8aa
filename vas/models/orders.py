"""Orders a customer places, and their priced lines."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from vas.extensions import db
from vas.models._columns import UTCDateTime
from vas.models._columns import utcnow
from vas.models.accounts import User


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("status IN ('unpaid', 'paid', 'cancelled')", name="status"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        CheckConstraint("kind IN ('new', 'renewal', 'upgrade')", name="kind"),
        Index("ix_orders_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16), default="new")
    status: Mapped[str] = mapped_column(String(16), default="unpaid")
    promo_code_id: Mapped[int | None] = mapped_column(ForeignKey("promo_codes.id"))
    # Sum of the lines' amounts, fixed when the order is placed.
    total_cents: Mapped[int]
    # One order per checkout form submission, however often it is sent.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[User] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.status} {self.total_cents}>"


class OrderLine(db.Model):
    """One priced line; the discount is stored so the charge can be explained."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("kind IN ('server', 'vas')", name="kind"),
        CheckConstraint("months IN (1, 3, 6, 12)", name="months"),
        CheckConstraint("list_cents >= 0", name="list_not_negative"),
        CheckConstraint(
            "discount_cents >= 0 AND discount_cents <= list_cents", name="discount"
        ),
        CheckConstraint("amount_cents = list_cents - discount_cents", name="amount"),
        # VAS takes no discount of any kind (rule 7).
        CheckConstraint("kind <> 'vas' OR discount_cents = 0", name="vas_undiscounted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id"))
    # The service level a VAS line buys (None on server lines).
    level_id: Mapped[int | None] = mapped_column(ForeignKey("service_levels.id"))
    months: Mapped[int]
    # Monthly price read from the catalogue when the order was placed.
    unit_cents: Mapped[int]
    list_cents: Mapped[int]
    discount_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    amount_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")

    def __repr__(self) -> str:
        return f"<OrderLine {self.id} {self.kind} {self.amount_cents}>"
