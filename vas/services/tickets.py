"""Ticket states and what people do to tickets: open, reply, close, assign.

The states are a written table (``TRANSITIONS``): every (status, event) cell
names either the next status or the exception that refuses the event, so an
illegal transition is refused with a message that says why.
"""

import logging
from datetime import datetime
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from vas.extensions import db
from vas.models import Department
from vas.models import Server
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import User
from vas.models import agent_departments
from vas.models._columns import utcnow
from vas.services import audit
from vas.services import settings
from vas.services.errors import InvalidInput
from vas.services.errors import VasError

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    "open": _l("待处理"),
    "answered": _l("已回复"),
    "customer_reply": _l("客户回复"),
    "closed": _l("已关闭"),
}
OPEN_STATUSES = ("open", "customer_reply", "answered")
# Statuses in which the customer waits for staff; the queue puts them first.
WAITING_STATUSES = ("open", "customer_reply")
# The statuses an agent may set by hand (change status), as events.
STATUS_EVENTS = {"answered": "mark_answered", "closed": "close", "open": "reopen"}
# Answered tickets close after at most a year without a customer reply.
MAX_AUTO_CLOSE_DAYS = 365


class TicketRefused(VasError):
    """A ticket event the current status does not allow."""

    status_code = 409


class TicketClosed(TicketRefused):
    default_message = _l("工单已关闭，请先重新打开工单。")


class TicketAlreadyClosed(TicketRefused):
    default_message = _l("工单已经是已关闭状态。")


class TicketNotClosed(TicketRefused):
    default_message = _l("只有已关闭的工单才能重新打开。")


class TicketNotAnswered(TicketRefused):
    default_message = _l("只有已回复的工单才能自动关闭。")


class TicketAlreadyAnswered(TicketRefused):
    default_message = _l("工单已经是已回复状态。")


class StatusNotSettable(TicketRefused):
    default_message = _l("不能手动设置为该状态。")


class DepartmentUnavailable(InvalidInput):
    default_message = _l("请选择一个可用的工单分类。")


class ServerNotOwned(InvalidInput):
    default_message = _l("请选择您自己的产品。")


class ServerRequired(InvalidInput):
    default_message = _l("业务技术工单需要选择相关产品。")


class AssigneeNotEligible(InvalidInput):
    default_message = _l("只能分配给负责该工单分类的客服。")


# fmt: off
TRANSITIONS: dict[tuple[str, str], str | type[TicketRefused]] = {
    ("open",           "customer_reply"): "open",
    ("open",           "staff_reply"):    "answered",
    ("open",           "mark_answered"):  "answered",
    ("open",           "close"):          "closed",
    ("open",           "reopen"):         TicketNotClosed,
    ("open",           "auto_close"):     TicketNotAnswered,
    ("open",           "private_note"):   "open",
    ("answered",       "customer_reply"): "customer_reply",
    ("answered",       "staff_reply"):    "answered",
    ("answered",       "mark_answered"):  TicketAlreadyAnswered,
    ("answered",       "close"):          "closed",
    ("answered",       "reopen"):         TicketNotClosed,
    ("answered",       "auto_close"):     "closed",
    ("answered",       "private_note"):   "answered",
    ("customer_reply", "customer_reply"): "customer_reply",
    ("customer_reply", "staff_reply"):    "answered",
    ("customer_reply", "mark_answered"):  "answered",
    ("customer_reply", "close"):          "closed",
    ("customer_reply", "reopen"):         TicketNotClosed,
    ("customer_reply", "auto_close"):     TicketNotAnswered,
    ("customer_reply", "private_note"):   "customer_reply",
    ("closed",         "customer_reply"): "customer_reply",  # reopen by replying
    ("closed",         "staff_reply"):    TicketClosed,
    ("closed",         "mark_answered"):  TicketClosed,
    ("closed",         "close"):          TicketAlreadyClosed,
    ("closed",         "reopen"):         "open",
    ("closed",         "auto_close"):     TicketNotAnswered,
    ("closed",         "private_note"):   "closed",
}
# fmt: on
EVENTS = tuple(dict.fromkeys(event for _status, event in TRANSITIONS))
# The statuses the sync job closes from, read off the table.
AUTO_CLOSE_FROM = tuple(
    status
    for (status, event), outcome in TRANSITIONS.items()
    if event == "auto_close" and outcome == "closed"
)

# XXX: system messages are part of the ticket's record and are stored in the
# system language as written, not translated when read.
SYSTEM_MESSAGES = {
    "close_customer": "客户已关闭工单。",
    "close_staff": "工单已由客服关闭。",
    "reopen": "工单已重新打开。",
    "auto_close": "工单在 %(days)s 天内没有客户回复，已自动关闭。",
}


def next_status(status: str, event: str) -> str:
    """Return the status ``event`` leads to from ``status``, or raise its refusal."""
    outcome = TRANSITIONS[(status, event)]
    if isinstance(outcome, type):
        raise outcome()
    return outcome


def _apply(ticket: Ticket, event: str, now: datetime) -> None:
    """Move a ticket through the table; the customer's wait starts or stops."""
    status = next_status(ticket.status, event)
    if status in WAITING_STATUSES:
        ticket.waiting_since = ticket.waiting_since or now
    else:
        ticket.waiting_since = None
    ticket.status = status


def _message(
    ticket: Ticket,
    body: str,
    *,
    author: User | None,
    kind: str,
    now: datetime,
    private: bool = False,
) -> TicketMessage:
    message = TicketMessage(
        ticket=ticket,
        author_id=author.id if author else None,
        author_kind=kind,
        body=body,
        is_private=private,
        created_at=now,
    )
    db.session.add(message)
    if not private:  # a private note must not show up as activity to customers
        ticket.last_message_at = now
    return message


def works_department(user: User, department_id: int) -> bool:
    """Tell whether a staff member works a department (admins work all)."""
    if user.is_admin:
        return True
    if not user.is_agent:
        return False
    return (
        db.session.scalar(
            select(agent_departments.c.agent_id).where(
                agent_departments.c.agent_id == user.id,
                agent_departments.c.department_id == department_id,
            )
        )
        is not None
    )


def create_ticket(
    customer: User,
    *,
    department_id: int | None,
    server_id: int | None,
    subject: str,
    body: str,
    key: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Insert a customer's ticket with its first message, and flush.

    A second ticket under the same ``key`` fails the flush with an
    IntegrityError; :func:`open_ticket` turns that into a replay, and the
    service-request flow does so inside its own savepoint.

    :raises ServerRequired: a business technical ticket names no server.
    """
    now = now or utcnow()
    department = db.session.get(Department, department_id or 0)
    if department is None or not department.is_active:
        raise DepartmentUnavailable()
    server = db.session.get(Server, server_id) if server_id else None
    if server_id and (server is None or server.customer_id != customer.id):
        logger.warning("customer %s named server %s", customer.id, server_id)
        raise ServerNotOwned()
    if department.is_business_technical and server is None:
        raise ServerRequired()

    ticket = Ticket(
        customer_id=customer.id,
        department_id=department.id,
        server_id=server.id if server else None,
        subject=subject.strip(),
        status="open",
        created_at=now,
        last_message_at=now,
        waiting_since=now,
        idempotency_key=key,
    )
    db.session.add(ticket)
    _message(ticket, body.strip(), author=customer, kind="customer", now=now)
    db.session.flush()

    logger.info("customer %s opened ticket %s", customer.id, ticket.id)
    return ticket


def open_ticket(
    customer: User,
    *,
    department_id: int | None,
    server_id: int | None,
    subject: str,
    body: str,
    key: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket for a customer, once per ``key`` (a form submission).

    Submitting the same form again returns the ticket it opened first.
    """
    if key:
        existing = ticket_by_key(key, customer)
        if existing is not None:
            return existing
    try:
        with db.session.begin_nested():
            return create_ticket(
                customer,
                department_id=department_id,
                server_id=server_id,
                subject=subject,
                body=body,
                key=key,
                now=now,
            )
    except IntegrityError:
        existing = ticket_by_key(key, customer) if key else None
        if existing is None:
            raise
        return existing


def ticket_by_key(key: str, customer: User) -> Ticket | None:
    """Return the ticket a form submission opened, if it did."""
    ticket = db.session.scalars(
        select(Ticket).where(Ticket.idempotency_key == key)
    ).one_or_none()
    if ticket is not None and ticket.customer_id != customer.id:
        # A key is built from the customer's own id, so this is tampering.
        logger.warning("ticket key %s reused by customer %s", key, customer.id)
        raise InvalidInput()
    return ticket


def post_system_message(
    ticket: Ticket,
    body: str,
    *,
    event: str | None = None,
    now: datetime | None = None,
) -> TicketMessage:
    """Add a system message that customer and staff both see.

    :param event: moves the ticket through the table too, e.g.
        ``"customer_reply"`` when the customer acted (paid a push).
    """
    now = now or utcnow()
    if event is not None:
        _apply(ticket, event, now)
    message = _message(ticket, body, author=None, kind="system", now=now)
    db.session.flush()
    return message


def post_customer_reply(
    ticket: Ticket, customer: User, body: str, *, now: datetime | None = None
) -> TicketMessage:
    """Add the owner's reply; a reply to a closed ticket reopens it."""
    now = now or utcnow()
    if ticket.customer_id != customer.id:
        raise InvalidInput()

    _apply(ticket, "customer_reply", now)
    message = _message(ticket, body.strip(), author=customer, kind="customer", now=now)
    db.session.flush()

    logger.info("customer %s replied to ticket %s", customer.id, ticket.id)
    return message


def post_staff_reply(
    ticket: Ticket,
    agent: User,
    body: str,
    *,
    private: bool,
    now: datetime | None = None,
) -> TicketMessage:
    """Add a staff reply; a private reply (私密回复) changes no status."""
    now = now or utcnow()

    _apply(ticket, "private_note" if private else "staff_reply", now)
    message = _message(
        ticket, body.strip(), author=agent, kind="agent", now=now, private=private
    )
    db.session.flush()

    logger.info(
        "staff %s replied to ticket %s%s",
        agent.id,
        ticket.id,
        " privately" if private else "",
    )
    return message


def close_ticket(ticket: Ticket, actor: User, *, now: datetime | None = None) -> None:
    """Close a ticket, by its owner or by staff."""
    now = now or utcnow()

    _apply(ticket, "close", now)
    key = "close_customer" if actor.is_customer else "close_staff"
    _message(ticket, SYSTEM_MESSAGES[key], author=None, kind="system", now=now)
    db.session.flush()

    logger.info("user %s closed ticket %s", actor.id, ticket.id)


def change_status(
    ticket: Ticket, actor: User, status: str, *, now: datetime | None = None
) -> None:
    """Set a ticket's status by hand, as staff, through the transition table."""
    now = now or utcnow()
    if status not in STATUS_EVENTS:
        raise StatusNotSettable()
    if status == "closed":
        close_ticket(ticket, actor, now=now)
        return

    before = ticket.status
    _apply(ticket, STATUS_EVENTS[status], now)
    if status == "open":
        _message(ticket, SYSTEM_MESSAGES["reopen"], author=None, kind="system", now=now)
    db.session.flush()

    logger.info(
        "staff %s changed ticket %s from %s to %s", actor.id, ticket.id, before, status
    )


def assign_ticket(ticket: Ticket, assignee_id: int | None, actor: User) -> None:
    """Give a ticket to a staff member who works its department, or to no one."""
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and not (
        assignee is not None
        and assignee.is_enabled
        and works_department(assignee, ticket.department_id)
    ):
        raise AssigneeNotEligible()

    ticket.assignee = assignee
    db.session.flush()

    logger.info("staff %s assigned ticket %s to %s", actor.id, ticket.id, assignee_id)


def auto_close_answered(now: datetime | None = None) -> list[int]:
    """Close answered tickets that had no customer reply for the set days.

    The close is a conditional UPDATE: of two runs at once, each ticket is
    closed (and gets its system message) by exactly one of them.
    """
    now = now or utcnow()
    days = int(settings.get("tickets.auto_close_days"))
    if days <= 0:
        return []

    cutoff = now - timedelta(days=days)
    closed = list(
        db.session.scalars(
            update(Ticket)
            .where(Ticket.status.in_(AUTO_CLOSE_FROM), Ticket.last_message_at < cutoff)
            .values(status="closed", waiting_since=None, last_message_at=now)
            .returning(Ticket.id)
            .execution_options(synchronize_session=False)
        )
    )
    body = SYSTEM_MESSAGES["auto_close"] % {"days": days}
    for ticket_id in closed:
        db.session.add(
            TicketMessage(
                ticket_id=ticket_id,
                author_kind="system",
                body=body,
                created_at=now,
            )
        )
    db.session.flush()

    logger.info("auto-closed %s answered tickets after %s days", len(closed), days)
    return sorted(closed)


def save_settings(*, auto_close_days: int, actor: User) -> None:
    """Store the ticket settings (工单设置); a change writes one audit row."""
    if not 0 <= auto_close_days <= MAX_AUTO_CLOSE_DAYS:
        raise InvalidInput(_l("天数必须是 0 到 365 之间的整数。"))

    key = "tickets.auto_close_days"
    if settings.get(key) != auto_close_days:
        before, after = settings.put(key, auto_close_days, actor=actor)
        audit.record(actor, "setting.update", "setting", key, before, after)

    logger.info("admin %s saved ticket settings", actor.id)
