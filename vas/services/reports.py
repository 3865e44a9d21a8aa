"""Figures for the dashboards."""

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import Payment
from vas.models import Server
from vas.models import Ticket
from vas.models import User
from vas.services import tickets


@dataclass(frozen=True)
class AdminFigures:
    customers: int
    active_servers: int
    due_within_7_days: int
    balances_cents: int
    topups_today_cents: int
    open_tickets: int
    recent_entries: list[LedgerEntry]


def admin_figures(today: date | None = None) -> AdminFigures:
    """Gather the admin home page figures."""
    today = today or date.today()
    start_of_day = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    customers, balances = db.session.execute(
        select(
            func.count(User.id), func.coalesce(func.sum(User.balance_cents), 0)
        ).where(User.role == "customer")
    ).one()
    active, due_soon = db.session.execute(
        select(
            func.count(Server.id).filter(Server.status == "active"),
            func.count(Server.id).filter(
                Server.status == "active", Server.due_date <= today + timedelta(days=7)
            ),
        )
    ).one()
    topups = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
            Payment.status == "paid", Payment.paid_at >= start_of_day
        )
    )
    open_tickets = db.session.scalar(
        select(func.count(Ticket.id)).where(Ticket.status.in_(tickets.OPEN_STATUSES))
    )
    recent = db.session.scalars(
        select(LedgerEntry).order_by(LedgerEntry.id.desc()).limit(8)
    )
    return AdminFigures(
        customers=customers,
        active_servers=active,
        due_within_7_days=due_soon,
        balances_cents=int(balances),
        topups_today_cents=int(topups),
        open_tickets=open_tickets,
        recent_entries=list(recent),
    )
