"""Customers as their own pages and the admin's pages show them."""

from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import Payment
from vas.models import Server
from vas.models import User

DUE_SOON_DAYS = 15


@dataclass(frozen=True)
class Overview:
    balance_cents: int
    server_counts: dict[str, int]
    due_soon: list[Server]
    recent_entries: list[LedgerEntry]


def overview(customer: User, *, today: date | None = None) -> Overview:
    """Gather what the customer dashboard shows."""
    today = today or date.today()
    counts = dict(
        db.session.execute(
            select(Server.status, func.count())
            .where(Server.customer_id == customer.id)
            .group_by(Server.status)
        ).all()
    )
    due_soon = db.session.scalars(
        select(Server)
        .where(
            Server.customer_id == customer.id,
            Server.status != "terminated",
            Server.due_date <= today + timedelta(days=DUE_SOON_DAYS),
        )
        .order_by(Server.due_date)
        .limit(5)
    )
    recent = db.session.scalars(ledger_query(customer.id).limit(5))
    return Overview(
        balance_cents=customer.balance_cents,
        server_counts=counts,
        due_soon=list(due_soon),
        recent_entries=list(recent),
    )


def ledger_query(customer_id: int) -> Select:
    """Build the query of a customer's ledger entries, newest first."""
    return (
        select(LedgerEntry)
        .where(LedgerEntry.customer_id == customer_id)
        .order_by(LedgerEntry.id.desc())
    )


def recent_payments(customer_id: int, limit: int = 5) -> list[Payment]:
    """Return a customer's latest top-up payments."""
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.customer_id == customer_id)
            .order_by(Payment.id.desc())
            .limit(limit)
        )
    )


def customers_query(keyword: str | None = None) -> Select:
    """Build the admin customers query; the keyword matches ID, email or name."""
    query = select(User).where(User.role == "customer")
    keyword = (keyword or "").strip()
    if keyword:
        pattern = f"%{keyword}%"
        query = query.where(
            or_(
                User.email.ilike(pattern),
                User.name.ilike(pattern),
                cast(User.id, String) == keyword,
            )
        )
    return query.order_by(User.id.desc())


def staff_query() -> Select:
    """Build the query of agents and admins."""
    return select(User).where(User.role != "customer").order_by(User.id)


def all_ledger_query(
    customer_id: int | None = None, cause: str | None = None
) -> Select:
    """Build the admin ledger query across customers, newest first."""
    query = select(LedgerEntry)
    if customer_id:
        query = query.where(LedgerEntry.customer_id == customer_id)
    if cause:
        query = query.where(LedgerEntry.cause == cause)
    return query.order_by(LedgerEntry.id.desc())


def all_payments_query(status: str | None = None) -> Select:
    """Build the admin top-up payments query, newest first."""
    query = select(Payment)
    if status:
        query = query.where(Payment.status == status)
    return query.order_by(Payment.id.desc())
