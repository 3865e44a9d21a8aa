"""People who sign in: customers, agents and admins."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint
from sqlalchemy import Identity
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import false
from sqlalchemy import true
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from vas.extensions import db
from vas.models._columns import UTCDateTime
from vas.models._columns import utcnow

ROLES = ("customer", "agent", "admin")
# Customer numbers start here, as in the seed's 用户ID column (110086, …).
FIRST_USER_ID = 110000


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('customer', 'agent', 'admin')", name="role"),
        # M2: a balance never goes below zero, whatever the code does.
        CheckConstraint("balance_cents >= 0", name="balance_not_negative"),
        # Keyword search matches parts of these (trigram GIN on PostgreSQL).
        Index(
            "ix_users_email_trgm",
            "email",
            postgresql_using="gin",
            postgresql_ops={"email": "gin_trgm_ops"},
        ),
        Index(
            "ix_users_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Identity(start=FIRST_USER_ID), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    # Prepaid balance in cents; equals the sum of this user's ledger entries.
    balance_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    # Agents only: may push paid services into tickets (工单权限设置).
    can_push_services: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
    is_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role} {self.email}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def is_customer(self) -> bool:
        return self.role == "customer"

    @property
    def is_agent(self) -> bool:
        return self.role == "agent"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("agent", "admin")
