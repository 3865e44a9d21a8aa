"""Reading tickets: who may see which, the queue, threads and rating reports.

Every loader checks who is asking (A1): a customer gets only their own
tickets, an agent only tickets of departments they work, an admin all. Each
page loads its rows in a fixed number of queries, however many there are.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import cast
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.orm import joinedload

from vas.extensions import db
from vas.models import TICKET_STATUSES
from vas.models import Department
from vas.models import Server
from vas.models import ServiceLevel
from vas.models import Subscription
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import User
from vas.models import agent_departments
from vas.services.errors import NotFound
from vas.services.tickets import OPEN_STATUSES

logger = logging.getLogger(__name__)

# The queue's tabs count each status up to here and show "1000+" beyond;
# the list under them counts up to vas.web.COUNT_CAP.
STATUS_COUNT_CAP = 1_000


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    department_id: int | None = None
    customer_id: int | None = None
    keyword: str | None = None
    assignee_id: int | None = None


def _with_people():
    return (
        joinedload(Ticket.customer),
        joinedload(Ticket.department),
        joinedload(Ticket.assignee),
        joinedload(Ticket.server).joinedload(Server.product),
    )


def _worked_by(user: User):
    """Return the condition limiting tickets to departments ``user`` works."""
    if user.is_admin:
        return true()
    if not user.is_agent:
        return false()
    return Ticket.department_id.in_(
        select(agent_departments.c.department_id).where(
            agent_departments.c.agent_id == user.id
        )
    )


def staff_ticket_or_404(ticket_id: int, user: User) -> Ticket:
    """Load a ticket for staff, or 404 outside the departments they work."""
    ticket = db.session.scalars(
        select(Ticket)
        .options(*_with_people())
        .where(Ticket.id == ticket_id, _worked_by(user))
    ).one_or_none()
    if ticket is None:
        logger.warning("staff %s refused ticket %s", user.id, ticket_id)
        raise NotFound()
    return ticket


def customer_ticket_or_404(ticket_id: int, customer: User) -> Ticket:
    """Load a customer's own ticket, or 404 for anyone else's."""
    ticket = db.session.scalars(
        select(Ticket)
        .options(
            joinedload(Ticket.department),
            joinedload(Ticket.server).joinedload(Server.product),
        )
        .where(Ticket.id == ticket_id, Ticket.customer_id == customer.id)
    ).one_or_none()
    if ticket is None:
        logger.warning("customer %s refused ticket %s", customer.id, ticket_id)
        raise NotFound()
    return ticket


def thread(ticket: Ticket, *, include_private: bool) -> list[TicketMessage]:
    """Return a ticket's messages, oldest first; private ones for staff only."""
    query = (
        select(TicketMessage)
        .options(joinedload(TicketMessage.author))
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.id)
    )
    if not include_private:
        query = query.where(TicketMessage.is_private.is_(False))
    return list(db.session.scalars(query))


def customer_tickets_query(customer: User) -> Select:
    """Build the query of a customer's tickets, latest activity first."""
    return (
        select(Ticket)
        .options(joinedload(Ticket.department), joinedload(Ticket.server))
        .where(Ticket.customer_id == customer.id)
        .order_by(Ticket.last_message_at.desc(), Ticket.id.desc())
    )


def _filtered(query: Select, user: User, filters: QueueFilter) -> Select:
    query = query.where(_worked_by(user))
    if filters.department_id:
        query = query.where(Ticket.department_id == filters.department_id)
    if filters.customer_id:
        query = query.where(Ticket.customer_id == filters.customer_id)
    if filters.assignee_id:
        query = query.where(Ticket.assignee_id == filters.assignee_id)
    keyword = (filters.keyword or "").strip()
    if keyword:
        pattern = f"%{keyword}%"
        customers = select(User.id).where(
            or_(User.email.ilike(pattern), User.name.ilike(pattern))
        )
        query = query.where(
            or_(
                Ticket.subject.ilike(pattern),
                cast(Ticket.id, String) == keyword,
                Ticket.customer_id.in_(customers),
            )
        )
    return query


def _with_status(query: Select, filters: QueueFilter) -> Select:
    if filters.status in TICKET_STATUSES:
        query = query.where(Ticket.status == filters.status)
    return query


def queue_query(user: User, filters: QueueFilter) -> Select:
    """Build the agent queue: longest waiting first, then latest activity.

    ``NULLS LAST`` rather than a sort on ``waiting_since IS NULL`` lets the
    index on (status, department, waiting_since) deliver the rows in order.
    """
    query = _filtered(select(Ticket).options(*_with_people()), user, filters)
    return _with_status(query, filters).order_by(
        Ticket.waiting_since.asc().nulls_last(),
        Ticket.last_message_at.desc(),
        Ticket.id,
    )


def queue_count_query(user: User, filters: QueueFilter) -> Select:
    """Select the ids of the queue's tickets: what its pages count, no joins."""
    return _with_status(_filtered(select(Ticket.id), user, filters), filters)


class Count(int):
    """A count that may have stopped at its cap; it then shows as "N+".

    Adding counts keeps the mark, so the sum over statuses says "N+" too.
    """

    capped: bool = False

    def __new__(cls, value: int, capped: bool = False):
        count = super().__new__(cls, value)
        count.capped = capped
        return count

    def __add__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return Count(
            int(self) + int(other), self.capped or getattr(other, "capped", False)
        )

    __radd__ = __add__

    def __str__(self) -> str:
        return f"{int(self)}+" if self.capped else str(int(self))

    __html__ = __str__


def _capped_counts(queries: dict, cap: int) -> dict:
    """Count the rows of each query up to ``cap``, all in one statement.

    Each count stops at ``cap + 1`` rows, so it costs an index scan of at most
    that length however many rows match; a count past the cap shows "N+".
    """
    if not queries:
        return {}
    counted = [
        select(func.count()).select_from(query.limit(cap + 1).subquery())
        for query in queries.values()
    ]
    row = db.session.execute(select(*(c.scalar_subquery() for c in counted))).one()
    return {
        key: Count(min(value, cap), value > cap)
        for key, value in zip(queries, row, strict=True)
    }


def queue_counts(
    user: User, filters: QueueFilter, *, cap: int = STATUS_COUNT_CAP
) -> dict[str, Count]:
    """Count the queue's tickets per status under every filter but the status.

    Each status is counted up to ``cap`` (one statement for all four), so a
    department with a million closed tickets costs as little as a new one.
    """
    ids = _filtered(select(Ticket.id), user, filters)
    return _capped_counts(
        {status: ids.where(Ticket.status == status) for status in TICKET_STATUSES},
        cap,
    )


def open_counts(
    departments: list[Department], *, cap: int = STATUS_COUNT_CAP
) -> dict[tuple[int, str], Count]:
    """Count each department's open tickets per open status, each up to ``cap``.

    Keyed by (department id, status): the workspace costs the same with two
    million tickets as with twenty.
    """
    return _capped_counts(
        {
            (department.id, status): select(Ticket.id).where(
                Ticket.department_id == department.id, Ticket.status == status
            )
            for department in departments
            for status in OPEN_STATUSES
        },
        cap,
    )


def levels_by_server(ticket_rows: list[Ticket]) -> dict[int, ServiceLevel]:
    """Return the level of each listed business technical ticket's server that
    has a subscription, keyed by server id (1 query): the queue's VAS marks.
    """
    server_ids = {
        t.server_id
        for t in ticket_rows
        if t.server_id and t.department.is_business_technical
    }
    rows = db.session.execute(
        select(Subscription.server_id, ServiceLevel)
        .join(ServiceLevel, ServiceLevel.id == Subscription.level_id)
        .where(Subscription.server_id.in_(server_ids))
    )
    return {server_id: level for server_id, level in rows}


def assignable_staff(ticket: Ticket) -> list[User]:
    """Return the enabled staff who may own a ticket: its agents and admins."""
    agents = select(agent_departments.c.agent_id).where(
        agent_departments.c.department_id == ticket.department_id
    )
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_enabled,
                or_(
                    User.role == "admin",
                    (User.role == "agent") & User.id.in_(agents),
                ),
            )
            .order_by(User.role.desc(), User.id)
        )
    )


def visible_departments(user: User) -> list[Department]:
    """Return the departments a staff member works, in display order."""
    query = select(Department).order_by(Department.sort_order, Department.id)
    if not user.is_admin:
        query = query.join(
            agent_departments, agent_departments.c.department_id == Department.id
        ).where(agent_departments.c.agent_id == user.id)
    return list(db.session.scalars(query))
