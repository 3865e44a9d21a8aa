"""Servers: a customer's purchased product. Their IDs are the seed's 产品ID."""

from datetime import date
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import false
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from vas.extensions import db
from vas.models._columns import UTCDateTime
from vas.models._columns import utcnow
from vas.models.accounts import User
from vas.models.catalog import Product

SERVER_STATUSES = ("active", "suspended", "terminated")


class Server(db.Model):
    __tablename__ = "servers"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'suspended', 'terminated')", name="status"
        ),
        CheckConstraint("billing_months IN (1, 3, 6, 12)", name="billing_months"),
        Index("ix_servers_customer_status", "customer_id", "status"),
        Index("ix_servers_due_date", "due_date"),
        # Keyword search matches parts of it (trigram GIN on PostgreSQL).
        Index(
            "ix_servers_hostname_trgm",
            "hostname",
            postgresql_using="gin",
            postgresql_ops={"hostname": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    hostname: Mapped[str] = mapped_column(String(120))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Last day the server is paid for; renewals move it by the billing cycle.
    due_date: Mapped[date]
    # Why a suspended server is suspended: "expiry" (the sync job, lifted by a
    # renewal) or "admin" (lifted only by an admin); None when not suspended.
    suspended_for: Mapped[str | None] = mapped_column(String(16))
    billing_months: Mapped[int] = mapped_column(default=1, server_default="1")
    auto_renew: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[User] = relationship()
    product: Mapped[Product] = relationship()

    def __repr__(self) -> str:
        return f"<Server {self.id} {self.status} due {self.due_date}>"
