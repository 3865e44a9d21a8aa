"""The periodic job (``flask --app wsgi vas sync``), one step at a time.

Each step is safe to run twice at once: renewals move a due date only by a
conditional update, expiries are conditional updates, repairs compare and
set. The caller commits after each step, so a failing step keeps the work
of the ones before it.
"""

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from sqlalchemy import case
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from vas.extensions import db
from vas.models import Server
from vas.models import Subscription
from vas.services import renewals
from vas.services import subscriptions
from vas.services.errors import VasError

logger = logging.getLogger(__name__)


@dataclass
class SyncReport:
    renewed: list[int] = field(default_factory=list)
    not_renewed: dict[int, str] = field(default_factory=dict)
    expired: list[int] = field(default_factory=list)
    repaired: list[int] = field(default_factory=list)


def apply_auto_renewals(today: date, report: SyncReport) -> None:
    """Renew auto-renewing servers that are due, each on its own savepoint.

    A server the balance does not cover is left for the expiry step; a
    server another run renewed meanwhile is skipped.
    """
    for server_id, due_date in renewals.due_for_auto_renewal(today):
        server = db.session.get(Server, server_id)
        try:
            with db.session.begin_nested():
                renewals.renew(server, actor=None, period_end=due_date, today=today)
        except VasError as refusal:
            db.session.expire(server)
            report.not_renewed[server_id] = str(refusal.message)
            logger.info("server %s not auto-renewed: %s", server_id, refusal.message)
        else:
            report.renewed.append(server_id)


def expire_overdue(today: date, report: SyncReport) -> None:
    """Suspend active servers past their due date; their subscriptions expire.

    A subscription whose server an admin had suspended expires too once the
    due date has passed.
    """
    expired = list(
        db.session.scalars(
            update(Server)
            .where(Server.status == "active", Server.due_date < today)
            .values(status="suspended", suspended_for="expiry")
            .returning(Server.id)
            .execution_options(synchronize_session=False)
        )
    )
    lapsed = db.session.scalars(
        select(Subscription.server_id).where(
            Subscription.status.in_(("active", "suspended")),
            Subscription.expires_on < today,
        )
    ).all()
    for server_id in sorted(set(expired) | set(lapsed)):
        server = db.session.get(Server, server_id)
        db.session.refresh(server)
        subscriptions.follow_server(server, today=today)
        if server_id in expired:
            logger.info("server %s expired on %s", server_id, server.due_date)
    report.expired.extend(expired)


def _expected_status(today: date):
    return case(
        (Server.status == "terminated", "cancelled"),
        (Server.due_date < today, "expired"),
        (Server.status == "suspended", "suspended"),
        else_="active",
    )


def repair_subscriptions(today: date, report: SyncReport) -> None:
    """Put back any subscription whose expiry or status left its server's (S1)."""
    expected = _expected_status(today)
    drifted = list(
        db.session.scalars(
            select(Server)
            .join(Subscription, Subscription.server_id == Server.id)
            .where(
                or_(
                    Subscription.expires_on != Server.due_date,
                    Subscription.status != expected,
                )
            )
            .order_by(Server.id)
        )
    )
    for server in drifted:
        subscription = subscriptions.follow_server(server, today=today, kind="repair")
        report.repaired.append(subscription.id)
