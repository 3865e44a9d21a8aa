"""Servers as the admin manages them: listing, due dates and status."""

import logging
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from vas.extensions import db
from vas.models import SERVER_STATUSES
from vas.models import Server
from vas.models import User
from vas.services import subscriptions
from vas.services.errors import InvalidInput

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    "active": _l("正常"),
    "suspended": _l("已暂停"),
    "terminated": _l("已终止"),
}


@dataclass(frozen=True)
class ServerFilter:
    customer_id: int | None = None
    status: str | None = None
    keyword: str | None = None


def servers_query(filters: ServerFilter) -> Select:
    """Build the admin servers query, newest first, with owner and product."""
    query = select(Server).options(
        joinedload(Server.customer), joinedload(Server.product)
    )
    if filters.customer_id:
        query = query.where(Server.customer_id == filters.customer_id)
    if filters.status in SERVER_STATUSES:
        query = query.where(Server.status == filters.status)
    if filters.keyword:
        pattern = f"%{filters.keyword.strip()}%"
        query = query.join(Server.customer).where(
            or_(Server.hostname.ilike(pattern), User.email.ilike(pattern))
        )
    return query.order_by(Server.id.desc())


def customer_servers(customer: User) -> list[Server]:
    """Return a customer's servers, soonest due first, live ones before ended."""
    return list(
        db.session.scalars(
            select(Server)
            .options(joinedload(Server.product))
            .where(Server.customer_id == customer.id)
            .order_by((Server.status == "terminated"), Server.due_date, Server.id)
        )
    )


def count_servers(customer_id: int) -> dict[str, int]:
    """Return a customer's server counts per status."""
    rows = db.session.execute(
        select(Server.status, func.count())
        .where(Server.customer_id == customer_id)
        .group_by(Server.status)
    )
    return {status: count for status, count in rows}


def update_server(
    server: Server,
    *,
    due_date: date,
    status: str,
    actor: User,
    today: date | None = None,
) -> Server:
    """Change a server's due date and status as an admin.

    :param today: the provider's day the edit is judged on (default: now).
    """
    if status not in SERVER_STATUSES:
        raise InvalidInput(_l("状态无效。"))
    if server.status == "terminated" and status != "terminated":
        raise InvalidInput(_l("已终止的服务器不能恢复。"))

    before = (server.due_date, server.status)
    if status != server.status:
        server.suspended_for = "admin" if status == "suspended" else None
    server.due_date = due_date
    server.status = status
    db.session.flush()
    # The subscription carries the edit over at once (rule 3, S1).
    subscriptions.follow_server(server, actor=actor, today=today)

    logger.info(
        "admin %s changed server %s from %s to %s",
        actor.id,
        server.id,
        before,
        (due_date, status),
    )
    return server
