"""What the provider sells: products, their billing cycles, promo codes."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import true
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from vas.extensions import db
from vas.models._columns import UTCDateTime
from vas.models._columns import utcnow

# 云服务器, 裸金属服务器, 虚拟主机, 域名. Only the first two may carry VAS.
PRODUCT_TYPES = ("cloud", "bare_metal", "web_hosting", "domain")
VAS_CAPABLE_TYPES = ("cloud", "bare_metal")
CYCLE_MONTHS = (1, 3, 6, 12)


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(
            "type IN ('cloud', 'bare_metal', 'web_hosting', 'domain')", name="type"
        ),
        CheckConstraint("monthly_price_cents >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Price of one month before any cycle discount or promo code.
    monthly_price_cents: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cycles: Mapped[list["BillingCycle"]] = relationship(
        back_populates="product",
        order_by="BillingCycle.months",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.type} {self.name!r}>"

    @property
    def is_vas_capable(self) -> bool:
        return self.type in VAS_CAPABLE_TYPES


class BillingCycle(db.Model):
    """A billing period a product can be bought for, with its own discount."""

    __tablename__ = "billing_cycles"
    __table_args__ = (
        UniqueConstraint("product_id", "months"),
        CheckConstraint("months IN (1, 3, 6, 12)", name="months"),
        CheckConstraint(
            "discount_percent >= 0 AND discount_percent <= 90", name="discount"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    months: Mapped[int]
    # Whole percent taken off the server line for this cycle (never off VAS).
    discount_percent: Mapped[int] = mapped_column(default=0, server_default="0")
    is_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())

    product: Mapped[Product] = relationship(back_populates="cycles")

    def __repr__(self) -> str:
        return (
            f"<BillingCycle {self.product_id} {self.months}m -{self.discount_percent}%>"
        )


class PromoCode(db.Model):
    """A code that takes a percent or a fixed amount off the server line."""

    __tablename__ = "promo_codes"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'fixed')", name="kind"),
        CheckConstraint(
            "(kind = 'percent' AND value > 0 AND value <= 100)"
            " OR (kind = 'fixed' AND value > 0)",
            name="value",
        ),
        CheckConstraint(
            "max_uses IS NULL OR (max_uses > 0 AND used_count <= max_uses)",
            name="uses",
        ),
        CheckConstraint("used_count >= 0", name="used_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    # Whole percent for kind 'percent', cents for kind 'fixed'.
    value: Mapped[int]
    max_uses: Mapped[int | None]
    used_count: Mapped[int] = mapped_column(default=0, server_default="0")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PromoCode {self.code} {self.kind} {self.value}>"
