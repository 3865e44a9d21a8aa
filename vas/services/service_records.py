"""Service records (服务记录) as agents work them: the ticket's subscription
panel, and marking a requested or paid service delivered.

A record is written when a request is covered or a push is paid (see
``service_requests`` and ``pushes``); here it only moves from pending to
delivered, once, by a conditional update.
"""

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from vas.extensions import db
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import Ticket
from vas.models import User
from vas.models._columns import utcnow
from vas.services import subscriptions
from vas.services import tickets
from vas.services.errors import NotFound
from vas.services.errors import VasError

logger = logging.getLogger(__name__)

STATUS_LABELS = {"pending": _l("待交付"), "delivered": _l("已交付")}
# How many of a subscription's latest records the ticket page lists.
PANEL_RECORDS = 20

# XXX: stored as written, like every system message.
DELIVERED_MESSAGE = "服务项目: %(item)s。已交付。"


class AlreadyDelivered(VasError):
    status_code = 409
    default_message = _l("该服务记录已经标记为已交付。")


@dataclass(frozen=True)
class TicketSubscription:
    """The subscription of a ticket's server, as the agent's side panel shows it."""

    subscription: Subscription
    free_uses_left: int
    records: list[ServiceRecord]


def ticket_subscription(
    ticket: Ticket, *, with_records: bool = True
) -> TicketSubscription | None:
    """Return the subscription of the ticket's server with its latest records.

    :param with_records: False leaves the records out (the customer's page
        shows the level and free uses only).
    """
    if ticket.server_id is None:
        return None
    subscription = db.session.scalars(
        select(Subscription)
        .options(joinedload(Subscription.level), joinedload(Subscription.next_level))
        .where(Subscription.server_id == ticket.server_id)
    ).one_or_none()
    if subscription is None:
        return None
    records = []
    if with_records:
        records = db.session.scalars(
            select(ServiceRecord)
            .options(joinedload(ServiceRecord.item), joinedload(ServiceRecord.level))
            .where(ServiceRecord.subscription_id == subscription.id)
            .order_by(ServiceRecord.id.desc())
            .limit(PANEL_RECORDS)
        ).all()
    return TicketSubscription(
        subscription=subscription,
        free_uses_left=subscriptions.free_uses_left(subscription.id),
        records=list(records),
    )


def mark_delivered(staff: User, ticket: Ticket, record_id: int) -> ServiceRecord:
    """Mark a record of this ticket delivered and tell the customer in the thread.

    :raises NotFound: the record belongs to another ticket.
    :raises AlreadyDelivered: it was marked before (by anyone).
    """
    record = db.session.get(ServiceRecord, record_id)
    if record is None or record.ticket_id != ticket.id:
        raise NotFound()

    now = utcnow()
    marked = db.session.execute(
        update(ServiceRecord)
        .where(ServiceRecord.id == record.id, ServiceRecord.status == "pending")
        .values(status="delivered", delivered_at=now, delivered_by_id=staff.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if marked != 1:
        raise AlreadyDelivered()
    db.session.refresh(record)
    tickets.post_system_message(
        ticket, DELIVERED_MESSAGE % {"item": record.item.name}, now=now
    )

    logger.info(
        "staff %s delivered record %s of ticket %s", staff.id, record.id, ticket.id
    )
    return record
