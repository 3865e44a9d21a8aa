"""The append-only balance ledger.

Each entry moves one customer's balance and records the balance after it.
The database refuses updates and deletes of entries (triggers created by the
migration), so history cannot be rewritten; a refund is a new entry that
points at the one it reverses.
"""

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

LEDGER_CAUSES = (
    "topup",
    "adjustment",
    "order",
    "renewal",
    "upgrade",
    "service_request",
    "push",
    "refund",
)


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after_cents >= 0", name="balance_not_negative"),
        CheckConstraint(
            "cause IN ('topup', 'adjustment', 'order', 'renewal', 'upgrade',"
            " 'service_request', 'push', 'refund')",
            name="cause",
        ),
        CheckConstraint(
            "(cause = 'refund') = (reverses_id IS NOT NULL)", name="refund_reverses"
        ),
        Index("ix_ledger_entries_customer_id_id", "customer_id", "id"),
        Index("ix_ledger_entries_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Positive credits the balance, negative debits it.
    amount_cents: Mapped[int]
    # The customer's balance right after this entry was applied.
    balance_after_cents: Mapped[int]
    cause: Mapped[str] = mapped_column(String(24))
    # The row this money belongs to, e.g. ("order", 12) or ("payment", 7).
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    # One customer intent moves money once: a replay hits this unique key.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    # A refund names the entry it reverses; each entry is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entries.id"), unique=True
    )
    memo: Mapped[str] = mapped_column(Text, default="", server_default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[User] = relationship(foreign_keys=[customer_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.id} {self.cause} {self.amount_cents:+d}>"

    @property
    def is_credit(self) -> bool:
        return self.amount_cents > 0
