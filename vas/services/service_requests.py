"""Requesting a service item through a business technical ticket.

A request is covered from one source, tried in this order (Q1): free at the
customer's level, then one free use, then the balance. Ticket, system
message, service record, free-use spend or debit, and the customer's mail
are one transaction (T1): a refusal leaves none of them.

The customer is shown what the request will take from the balance before
submitting; the form sends that amount back and a request whose charge has
changed since (a new price, the last free use gone to another request) is
refused rather than charged differently.
"""

import logging
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from vas.extensions import db
from vas.models import Department
from vas.models import FreeUseGrant
from vas.models import ItemPrice
from vas.models import Server
from vas.models import ServiceCategory
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import Ticket
from vas.models import User
from vas.money import format_money
from vas.services import clock
from vas.services import departments
from vas.services import ledger
from vas.services import mail
from vas.services import matrix
from vas.services import servers
from vas.services import subscriptions
from vas.services import tickets
from vas.services import vas_settings
from vas.services.errors import InvalidInput

logger = logging.getLogger(__name__)

# XXX: system messages are part of the ticket's record, stored in the
# system language as written (the seed's form), not translated when read.
REQUEST_MESSAGES = {
    "balance": (
        "服务等级: %(level)s。服务项目: %(item)s。服务价格: %(price)s。客户已支付"
    ),
    "free_use": (
        "服务等级: %(level)s。服务项目: %(item)s。服务价格: %(price)s。"
        "已使用免费次数 1 次，剩余 %(left)s 次"
    ),
    "free_level": (
        "服务等级: %(level)s。服务项目: %(item)s。服务价格: 免费（%(level)s内免费）"
    ),
}


# Ticket subjects hold at most this many characters.
SUBJECT_LENGTH = 200


class RequestRefused(InvalidInput):
    """A refused request; ``field`` names the form field it belongs beside."""

    def __init__(self, field: str, message):
        self.field = field
        super().__init__(message)


class ChargeChanged(RequestRefused):
    """What the request would take differs from what the customer was shown."""

    status_code = 409

    def __init__(self, message=None):
        super().__init__(
            "item_id", message or _l("费用已变化，请确认新的金额后再提交。")
        )


@dataclass(frozen=True)
class RequestQuote:
    """What a request would cost and how it would be covered, before submitting."""

    subscription: Subscription
    item: ServiceItem
    price_cents: int
    # "free_level", "free_use" or "balance".
    source: str
    free_uses_left: int
    balance_cents: int

    @property
    def charge_cents(self) -> int:
        """What the request takes from the balance."""
        return self.price_cents if self.source == "balance" else 0

    @property
    def shortfall_cents(self) -> int:
        return max(0, self.charge_cents - self.balance_cents)


@dataclass(frozen=True)
class Picker:
    """The item picker of a new request: items by category at the level."""

    subscription: Subscription
    groups: list[tuple[ServiceCategory, list[tuple[ServiceItem, int]]]]
    quote: RequestQuote | None


def live_subscription(
    customer: User, server_id: int | None, *, today: date | None = None
) -> Subscription:
    """Return the customer's live subscription on a server, or refuse.

    :raises RequestRefused: VAS is off, the server is not the customer's or
        has no subscription, or the subscription has expired or is suspended.
    """
    if not vas_settings.current().enabled:
        raise RequestRefused("server", _l("增值服务暂未开放。"))
    subscription = db.session.scalars(
        select(Subscription)
        .options(joinedload(Subscription.level), joinedload(Subscription.server))
        .where(Subscription.server_id == (server_id or 0))
    ).one_or_none()
    if subscription is None or subscription.customer_id != customer.id:
        raise RequestRefused("server", _l("请选择您自己的、已开通增值服务的产品。"))
    if not subscription.is_live_on(today or clock.today()):
        raise RequestRefused("server", _l("该产品的增值服务已到期或已停用，请先续费。"))
    return subscription


def _active_item(item_id: int | None) -> ServiceItem:
    item = db.session.get(ServiceItem, item_id or 0)
    if item is None or not item.is_active or not item.category.is_active:
        raise RequestRefused("item_id", _l("请选择一个可用的服务项目。"))
    return item


def level_price(item_id: int, level_id: int) -> int:
    """Return the price cell of an item at a level, read now (M5)."""
    cents = db.session.scalar(
        select(ItemPrice.price_cents).where(
            ItemPrice.item_id == item_id, ItemPrice.level_id == level_id
        )
    )
    if cents is None:
        raise RequestRefused("item_id", _l("该服务项目在您的服务等级下没有价格。"))
    return cents


def quote(
    customer: User,
    *,
    server_id: int | None,
    item_id: int | None,
    today: date | None = None,
) -> RequestQuote:
    """Work out the price and the covering source of a request, changing nothing.

    Everything is read now from the database (M5): the level's price cell,
    the free uses left and the balance.
    """
    subscription = live_subscription(customer, server_id, today=today)
    item = _active_item(item_id)
    price = level_price(item.id, subscription.level_id)
    return _covered(
        subscription, item, price, balance_cents=ledger.balance_cents(customer.id)
    )


def _covered(
    subscription: Subscription, item: ServiceItem, price: int, *, balance_cents: int
) -> RequestQuote:
    """Pick the covering source: free at the level, a free use, the balance (Q1)."""
    left = subscriptions.free_uses_left(subscription.id)
    if price == 0:
        source = "free_level"
    elif left > 0:
        source = "free_use"
    else:
        source = "balance"
    return RequestQuote(subscription, item, price, source, left, balance_cents)


def picker(
    customer: User, *, server_id: int | None, item_id: int | None
) -> Picker | None:
    """Return the item picker for a server, or None where nothing can be requested.

    The quote is filled when an available item is chosen.
    """
    try:
        subscription = live_subscription(customer, server_id)
    except RequestRefused:
        return None
    groups = matrix.items_at_level(subscription.level_id)
    offered = {item.id: (item, price) for _c, rows in groups for item, price in rows}
    chosen = None
    if item_id in offered:
        item, price = offered[item_id]
        chosen = _covered(
            subscription, item, price, balance_cents=customer.balance_cents
        )
    return Picker(subscription, groups, chosen)


@dataclass(frozen=True)
class TicketChoices:
    """What the new-ticket form offers a customer."""

    departments: list[Department]
    servers: list[Server]
    # The level name of each server with a live subscription.
    levels: dict[int, str]

    @property
    def business(self) -> Department | None:
        """The business technical department, where services are requested."""
        return next((d for d in self.departments if d.is_business_technical), None)


def ticket_choices(customer: User) -> TicketChoices:
    """Return the departments, servers and levels of the new-ticket form (3 queries)."""
    rows = db.session.execute(
        select(Subscription.server_id, ServiceLevel.name)
        .join(ServiceLevel, ServiceLevel.id == Subscription.level_id)
        .where(
            Subscription.customer_id == customer.id,
            Subscription.status == "active",
            Subscription.expires_on >= clock.today(),
        )
    )
    return TicketChoices(
        departments=departments.list_departments(),
        servers=servers.customer_servers(customer),
        levels=dict(rows.all()),
    )


def submit_ticket(
    customer: User,
    *,
    department_id: int | None,
    server_id: int | None,
    item_id: int | None,
    subject: str,
    body: str,
    intent: str,
    expected_charge_cents: int | None,
) -> Ticket:
    """Open a ticket from the customer's form: a service request when an item
    is chosen, a plain ticket otherwise; once per form submission either way.
    """
    if item_id:
        return submit(
            customer,
            department_id=department_id,
            server_id=server_id,
            item_id=item_id,
            subject=subject,
            body=body,
            intent=intent,
            expected_charge_cents=expected_charge_cents,
        )
    return tickets.open_ticket(
        customer,
        department_id=department_id,
        server_id=server_id,
        subject=subject,
        body=body,
        key=ledger.intent_key("ticket", customer.id, intent),
    )


class _Replayed(Exception):
    """Another request with the same intent committed first."""


def submit(
    customer: User,
    *,
    department_id: int | None,
    server_id: int | None,
    item_id: int | None,
    subject: str,
    body: str,
    intent: str,
    expected_charge_cents: int | None,
    today: date | None = None,
) -> Ticket:
    """Open the business technical ticket of a request and cover its price.

    Submitting the same form again (a double click, a retry, a second tab)
    returns the first ticket and charges nothing more (M4).

    :param expected_charge_cents: what the form showed would be taken from
        the balance; None when no amount was shown yet.
    :raises RequestRefused: naming the field (department, server, item).
    :raises ChargeChanged: the charge is not the one shown; nothing changes.
    :raises InsufficientBalance: naming the shortfall; nothing is created.
    """
    key = ledger.intent_key("service_request", customer.id, intent)
    existing = tickets.ticket_by_key(key, customer)
    if existing is not None:
        return existing
    department = departments.business_technical()
    if department is None or not department.is_active:
        raise RequestRefused("department", _l("业务技术工单暂不可用。"))
    if department_id != department.id:
        raise RequestRefused("department", _l("增值服务请通过业务技术工单申请。"))
    priced = quote(customer, server_id=server_id, item_id=item_id, today=today)
    if expected_charge_cents is None:
        raise ChargeChanged(_l("请确认费用后再提交。"))
    if expected_charge_cents != priced.charge_cents:
        raise ChargeChanged()

    try:
        with db.session.begin_nested():
            ticket = _open(customer, department, priced, subject, body, key)
    except (_Replayed, IntegrityError):
        existing = tickets.ticket_by_key(key, customer)
        if existing is None:
            raise
        return existing

    logger.info(
        "customer %s requested item %s on subscription %s (%s, %s cents): ticket %s",
        customer.id,
        priced.item.id,
        priced.subscription.id,
        priced.source,
        priced.price_cents,
        ticket.id,
    )
    return ticket


def _open(
    customer, department, priced: RequestQuote, subject: str, body: str, key: str
) -> Ticket:
    """Write the request: ticket, cover, record, system message, mail (T1)."""
    subscription, item = priced.subscription, priced.item
    ticket = tickets.create_ticket(
        customer,
        department_id=department.id,
        server_id=subscription.server_id,
        subject=(subject.strip() or f"{item.name}（{subscription.server.hostname}）")[
            :SUBJECT_LENGTH
        ],
        body=body,
        key=key,
    )

    grant = entry = None
    if priced.source == "free_use":
        grant = _spend_free_use(subscription.id)
        if grant is None:  # the last free use went to a concurrent request
            raise ChargeChanged()
    elif priced.source == "balance":
        posting = ledger.debit(
            customer.id,
            priced.price_cents,
            cause="service_request",
            subject_type="ticket",
            subject_id=ticket.id,
            key=key,
            actor_id=customer.id,
            memo=item.name,
        )
        if posting.replayed:
            raise _Replayed()
        entry = posting.entry

    db.session.add(
        ServiceRecord(
            subscription_id=subscription.id,
            item_id=item.id,
            level_id=subscription.level_id,
            ticket_id=ticket.id,
            source=priced.source,
            price_cents=priced.price_cents,
            charged_cents=priced.charge_cents,
            grant_id=grant.id if grant else None,
            ledger_entry_id=entry.id if entry else None,
        )
    )
    values = {
        "level": subscription.level.name,
        "item": item.name,
        "price": format_money(priced.price_cents),
    }
    if grant is not None:
        values["left"] = subscriptions.free_uses_left(subscription.id)
    tickets.post_system_message(ticket, REQUEST_MESSAGES[priced.source] % values)
    if entry is not None:
        mail.queue_payment_taken(customer, priced.price_cents, item.name, ticket.id)
    db.session.flush()
    return ticket


def _spend_free_use(subscription_id: int) -> FreeUseGrant | None:
    """Spend one free use by a conditional update, oldest grant first (Q1)."""
    candidates = db.session.scalars(
        select(FreeUseGrant.id)
        .where(
            FreeUseGrant.subscription_id == subscription_id,
            FreeUseGrant.used < FreeUseGrant.granted,
        )
        .order_by(FreeUseGrant.id)
    ).all()
    for grant_id in candidates:
        spent = db.session.execute(
            update(FreeUseGrant)
            .where(
                FreeUseGrant.id == grant_id, FreeUseGrant.used < FreeUseGrant.granted
            )
            .values(used=FreeUseGrant.used + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if spent == 1:
            return db.session.get(FreeUseGrant, grant_id)
    return None
