"""Ratings (工单评价): a customer rates a closed ticket once; admins read them."""

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from vas.extensions import db
from vas.models import Department
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import TicketRating
from vas.models import User
from vas.services.errors import InvalidInput
from vas.services.errors import VasError

logger = logging.getLogger(__name__)

SCORES = range(1, 6)


class AlreadyRated(VasError):
    status_code = 409
    default_message = _l("该工单已经评价过。")


class RatingNotAllowed(VasError):
    status_code = 409
    default_message = _l("工单关闭后才能评价。")


def rate_ticket(
    ticket: Ticket, customer: User, *, score: int | None, comment: str
) -> TicketRating:
    """Record the owner's rating (1–5) of a closed ticket, once."""
    if ticket.customer_id != customer.id:
        raise InvalidInput()
    if ticket.status != "closed":
        raise RatingNotAllowed()
    if score not in SCORES:
        raise InvalidInput(_l("评分应为 1 到 5。"))
    if db.session.scalar(
        select(TicketRating.id).where(TicketRating.ticket_id == ticket.id)
    ):
        raise AlreadyRated()

    rating = TicketRating(
        ticket_id=ticket.id,
        customer_id=customer.id,
        agent_id=ticket.assignee_id or _last_agent_id(ticket.id),
        department_id=ticket.department_id,
        score=score,
        comment=comment.strip(),
    )
    try:
        with db.session.begin_nested():  # a double submit loses to the unique key
            db.session.add(rating)
    except IntegrityError as exc:
        raise AlreadyRated() from exc

    logger.info("customer %s rated ticket %s: %s", customer.id, ticket.id, score)
    return rating


def _last_agent_id(ticket_id: int) -> int | None:
    return db.session.scalar(
        select(TicketMessage.author_id)
        .where(
            TicketMessage.ticket_id == ticket_id,
            TicketMessage.author_kind == "agent",
        )
        .order_by(TicketMessage.id.desc())
        .limit(1)
    )


def rating_for(ticket: Ticket) -> TicketRating | None:
    """Return the rating a ticket received, if any."""
    return db.session.scalars(
        select(TicketRating).where(TicketRating.ticket_id == ticket.id)
    ).one_or_none()


@dataclass(frozen=True)
class RatingFilter:
    agent_id: int | None = None
    department_id: int | None = None


def ratings_query(filters: RatingFilter) -> Select:
    """Build the admin list of ratings, newest first."""
    query = select(TicketRating).options(
        joinedload(TicketRating.ticket),
        joinedload(TicketRating.agent),
        joinedload(TicketRating.department),
    )
    if filters.agent_id:
        query = query.where(TicketRating.agent_id == filters.agent_id)
    if filters.department_id:
        query = query.where(TicketRating.department_id == filters.department_id)
    return query.order_by(TicketRating.id.desc())


@dataclass(frozen=True)
class RatingSummary:
    id: int | None
    name: str | None
    count: int
    average: float


def ratings_by_agent() -> list[RatingSummary]:
    """Return each rated agent's rating count and average score."""
    rows = db.session.execute(
        select(
            TicketRating.agent_id,
            User.name,
            func.count(TicketRating.id),
            func.avg(TicketRating.score),
        )
        .outerjoin(User, User.id == TicketRating.agent_id)
        .group_by(TicketRating.agent_id, User.name)
        .order_by(TicketRating.agent_id)
    )
    return [RatingSummary(i, n, c, float(a)) for i, n, c, a in rows]


def ratings_by_department() -> list[RatingSummary]:
    """Return each department's rating count and average score."""
    rows = db.session.execute(
        select(
            Department.id,
            Department.name,
            func.count(TicketRating.id),
            func.avg(TicketRating.score),
        )
        .join(TicketRating, TicketRating.department_id == Department.id)
        .group_by(Department.id, Department.name, Department.sort_order)
        .order_by(Department.sort_order, Department.id)
    )
    return [RatingSummary(i, n, c, float(a)) for i, n, c, a in rows]
