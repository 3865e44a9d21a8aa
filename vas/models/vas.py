"""Value-added services configuration: levels, categories, items, the price matrix."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy import text
from sqlalchemy import true
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from vas.extensions import db
from vas.models._columns import UTCDateTime
from vas.models._columns import utcnow


class ServiceLevel(db.Model):
    """A monthly support level (服务等级); 基础服务 is the default, always free."""

    __tablename__ = "service_levels"
    __table_args__ = (
        CheckConstraint("monthly_price_cents >= 0", name="price_not_negative"),
        # 基础服务 costs nothing and is never retired.
        CheckConstraint(
            "NOT is_default OR (monthly_price_cents = 0 AND is_active)",
            name="default_free_and_active",
        ),
        Index(
            "uq_service_levels_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    monthly_price_cents: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    is_default: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Retired levels stay for history (subscriptions, records) but are not sold.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ServiceLevel {self.id} {self.name!r} {self.monthly_price_cents}>"


class ServiceCategory(db.Model):
    """A group of items (服务分类), shown as a tab and a block of matrix rows."""

    __tablename__ = "service_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())

    items: Mapped[list["ServiceItem"]] = relationship(
        back_populates="category", order_by="ServiceItem.sort_order, ServiceItem.id"
    )

    def __repr__(self) -> str:
        return f"<ServiceCategory {self.id} {self.name!r}>"


class ServiceItem(db.Model):
    """A service a customer can request (服务项目), priced per level."""

    __tablename__ = "service_items"
    __table_args__ = (UniqueConstraint("category_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    # Retired items stay for history but cannot be requested or pushed.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[ServiceCategory] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<ServiceItem {self.id} {self.name!r}>"


class ItemPrice(db.Model):
    """One cell of the price matrix: what an item costs at a level (0 = free).

    ``version`` grows with every change; a save names the version it was
    edited from, so a stale save is refused instead of overwriting (P1).
    """

    __tablename__ = "item_prices"
    __table_args__ = (
        UniqueConstraint("item_id", "level_id"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    level_id: Mapped[int] = mapped_column(ForeignKey("service_levels.id"), index=True)
    price_cents: Mapped[int]
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    def __repr__(self) -> str:
        return (
            f"<ItemPrice item {self.item_id} level {self.level_id} {self.price_cents}>"
        )
