"""Pushing paid services into tickets (推送付费服务) and paying them in place.

An agent with the push permission, working the ticket's department, ticks
items at the customer's level prices and sets a pay price (支付价格, the list
total unless edited); the push rides on a reply. The customer pays it from
the balance inside the ticket: debit, push marked paid, system message, one
service record per item and the mail, in one transaction. A push is paid
once, only by the ticket's owner, at the price fixed when it was pushed (T2).
"""

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload

from vas.extensions import db
from vas.models import ItemPrice
from vas.models import ServiceCategory
from vas.models import ServiceItem
from vas.models import ServicePush
from vas.models import ServicePushItem
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import Ticket
from vas.models import User
from vas.models._columns import utcnow
from vas.money import MoneyError
from vas.money import format_money
from vas.money import from_cents
from vas.money import parse_amount
from vas.money import to_cents
from vas.services import clock
from vas.services import ledger
from vas.services import mail
from vas.services import matrix
from vas.services import subscriptions
from vas.services import tickets
from vas.services.errors import Forbidden
from vas.services.errors import InvalidInput
from vas.services.errors import NotFound
from vas.services.errors import VasError

logger = logging.getLogger(__name__)

# XXX: stored as written (the seed's wording), like every system message.
PUSH_MESSAGES = {
    "paid": "服务等级: %(level)s。服务项目: %(items)s。服务价格: %(price)s。客户已支付",
    "withdrawn": "推送的付费服务已撤回：%(items)s（%(price)s）。",
}
STATUS_LABELS = {
    "pending": _l("待支付"),
    "paid": _l("已支付"),
    "withdrawn": _l("已撤回"),
}


class PushRefused(InvalidInput):
    """A refused push; ``field`` names the form field it belongs beside."""

    def __init__(self, field: str, message):
        self.field = field
        super().__init__(message)


class PushNotAllowed(Forbidden):
    default_message = _l("您不能在该工单中推送付费服务。")


class PushNotPayable(VasError):
    status_code = 409
    default_message = _l("该付费服务不能支付。")


@dataclass(frozen=True)
class PushPanel:
    """What the push panel offers for one ticket: items by category, priced."""

    subscription: Subscription
    groups: list[tuple[ServiceCategory, list[tuple[ServiceItem, int]]]]


def may_push(agent: User, ticket: Ticket) -> bool:
    """Tell whether a staff member may push into a ticket, its server aside.

    Admins may; an agent needs the push permission (工单权限设置) and to work
    the department. Only open business technical tickets take pushes.
    """
    allowed = agent.is_admin or (agent.is_agent and agent.can_push_services)
    return (
        allowed
        and ticket.department.is_business_technical
        and ticket.status != "closed"
        and tickets.works_department(agent, ticket.department_id)
    )


def can_push(agent: User, ticket: Ticket, *, today: date | None = None) -> bool:
    """Tell whether this staff member may push into this ticket now."""
    return may_push(agent, ticket) and _live_subscription(ticket, today) is not None


def _live_subscription(ticket: Ticket, today: date | None) -> Subscription | None:
    if ticket.server_id is None:
        return None
    subscription = subscriptions.for_server(ticket.server_id)
    if subscription is None or not subscription.is_live_on(today or clock.today()):
        return None
    return subscription


def panel(
    agent: User, ticket: Ticket, subscription: Subscription | None
) -> PushPanel | None:
    """Return what an agent can push into a ticket, or None if they may not.

    :param subscription: the subscription of the ticket's server, already
        loaded by the page.
    """
    if subscription is None or not subscription.is_live_on(clock.today()):
        return None
    if not may_push(agent, ticket):
        return None
    return PushPanel(subscription, matrix.items_at_level(subscription.level_id))


def list_prices(subscription: Subscription, item_ids: list[int]) -> dict[int, int]:
    """Return the chosen items' prices at the subscription's level, read now.

    :raises PushRefused: an item is unknown, retired or has no price there.
    """
    prices = dict(
        db.session.execute(
            select(ItemPrice.item_id, ItemPrice.price_cents)
            .join(ServiceItem, ServiceItem.id == ItemPrice.item_id)
            .join(ServiceCategory, ServiceCategory.id == ServiceItem.category_id)
            .where(
                ItemPrice.level_id == subscription.level_id,
                ItemPrice.item_id.in_(item_ids or [-1]),
                ServiceItem.is_active,
                ServiceCategory.is_active,
            )
        ).all()
    )
    if set(prices) != set(item_ids):
        raise PushRefused("item_ids", _l("请选择可用的服务项目。"))
    return prices


def list_total(agent: User, ticket: Ticket, item_ids: list[int]) -> int:
    """Sum the ticked items at the customer's level, for the live total.

    Items that are not offered are left out rather than refused: the panel
    only ever shows what it offers.
    """
    if not can_push(agent, ticket):
        raise PushNotAllowed()
    subscription = _live_subscription(ticket, None)
    offered = {
        item.id: price
        for _category, rows in matrix.items_at_level(subscription.level_id)
        for item, price in rows
    }
    return sum(offered[item_id] for item_id in set(item_ids) if item_id in offered)


def live_pricing(
    agent: User,
    ticket: Ticket,
    item_ids: list[int],
    *,
    typed: str,
    shown_total_cents: int | None,
) -> tuple[int, str]:
    """Return the ticked items' list total and what the pay price box holds.

    The box follows the list total until the agent types another price:
    while it still holds the total it was last filled with (or nothing), it
    takes the new total; an edited price is kept as typed.
    """
    total = list_total(agent, ticket, item_ids)
    typed = (typed or "").strip()
    if not typed or _is_amount(typed, shown_total_cents):
        return total, str(from_cents(total))
    return total, typed


def _is_amount(text: str, cents: int | None) -> bool:
    if cents is None:
        return False
    try:
        return parse_amount(text) == from_cents(cents)
    except MoneyError:
        return False


def push(
    agent: User,
    ticket: Ticket,
    *,
    item_ids: list[int],
    pay_price: Decimal | None,
    body: str,
    today: date | None = None,
) -> ServicePush:
    """Send a reply with a push of items at a fixed pay price.

    :param pay_price: the 支付价格 typed by the agent, or None for the list
        total. It is written once and never changes afterwards.
    :raises PushNotAllowed: without the permission (a forged push).
    :raises PushRefused: no items, a retired item, or a pay price of 0.
    """
    if not can_push(agent, ticket, today=today):
        logger.warning("staff %s tried to push into ticket %s", agent.id, ticket.id)
        raise PushNotAllowed()
    item_ids = sorted(set(item_ids))
    if not item_ids:
        raise PushRefused("item_ids", _l("请至少选择一个服务项目。"))
    subscription = _live_subscription(ticket, today)
    prices = list_prices(subscription, item_ids)
    total = sum(prices.values())
    pay_cents = total if pay_price is None else to_cents(pay_price)
    if pay_cents <= 0:
        raise PushRefused("pay_price", _l("支付价格必须大于 0。"))

    message = tickets.post_staff_reply(ticket, agent, body, private=False)
    pushed = ServicePush(
        ticket_id=ticket.id,
        message_id=message.id,
        subscription_id=subscription.id,
        customer_id=ticket.customer_id,
        agent_id=agent.id,
        level_id=subscription.level_id,
        list_total_cents=total,
        pay_price_cents=pay_cents,
        status="pending",
    )
    pushed.items = [
        ServicePushItem(item_id=item_id, price_cents=prices[item_id])
        for item_id in item_ids
    ]
    db.session.add(pushed)
    db.session.flush()
    mail.queue_push_arrived(ticket.customer, pushed, ticket)

    logger.info(
        "staff %s pushed items %s into ticket %s at %s cents (list %s)",
        agent.id,
        item_ids,
        ticket.id,
        pay_cents,
        total,
    )
    return pushed


def ticket_push(ticket: Ticket, push_id: int) -> ServicePush:
    """Load a push of this ticket; a push of any other ticket is not found (A1).

    The ticket itself was loaded through its owner's or staff's check.
    """
    pushed = db.session.get(ServicePush, push_id)
    if pushed is None or pushed.ticket_id != ticket.id:
        raise NotFound()
    return pushed


def pay(customer: User, ticket: Ticket, push_id: int) -> ServicePush:
    """Pay a pending push of the customer's own ticket from the balance, once.

    The push leaves "pending" by a conditional update and the debit's key
    is the push itself, so fifty clicks at once pay once.

    :raises PushNotPayable: withdrawn, or paid already.
    :raises InsufficientBalance: naming the shortfall; nothing changes.
    """
    pushed = ticket_push(ticket, push_id)
    if pushed.customer_id != customer.id or ticket.customer_id != customer.id:
        raise NotFound()
    if pushed.status != "pending":
        raise _not_payable(pushed)

    claimed = db.session.execute(
        update(ServicePush)
        .where(
            ServicePush.id == pushed.id,
            ServicePush.customer_id == customer.id,
            ServicePush.status == "pending",
        )
        .values(status="paid", paid_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(pushed)
        raise _not_payable(pushed)

    entry = ledger.debit(
        customer.id,
        pushed.pay_price_cents,
        cause="push",
        subject_type="push",
        subject_id=pushed.id,
        key=f"push:{pushed.id}",
        actor_id=customer.id,
    ).entry
    db.session.refresh(pushed)
    pushed.ledger_entry_id = entry.id
    shares = _split(pushed.pay_price_cents, pushed.items)
    for item, charged in zip(pushed.items, shares, strict=True):
        db.session.add(
            ServiceRecord(
                subscription_id=pushed.subscription_id,
                item_id=item.item_id,
                level_id=pushed.level_id,
                ticket_id=pushed.ticket_id,
                source="push",
                price_cents=item.price_cents,
                charged_cents=charged,
                ledger_entry_id=entry.id,
                push_id=pushed.id,
            )
        )
    names = "、".join(item.item.name for item in pushed.items)
    tickets.post_system_message(
        ticket,
        PUSH_MESSAGES["paid"]
        % {
            "level": pushed.level.name,
            "items": names,
            "price": format_money(pushed.pay_price_cents),
        },
        event="customer_reply",
    )
    mail.queue_payment_taken(customer, pushed.pay_price_cents, names, ticket.id)
    db.session.flush()

    logger.info(
        "customer %s paid push %s (%s cents)",
        customer.id,
        pushed.id,
        pushed.pay_price_cents,
    )
    return pushed


def _not_payable(pushed: ServicePush) -> PushNotPayable:
    if pushed.status == "paid":
        return PushNotPayable(_l("该付费服务已经支付过了。"))
    return PushNotPayable(_l("该付费服务已撤回，不能支付。"))


def _split(total: int, items: list[ServicePushItem]) -> list[int]:
    """Share a pay price over items in proportion to their prices, to the cent.

    Whole cents go by the largest remainders, so the shares add up exactly
    to the pay price; with all prices zero, the shares are equal.
    """
    weights = [item.price_cents for item in items]
    if sum(weights) == 0:
        weights = [1] * len(items)
    scale = sum(weights)
    exact = [Decimal(total) * weight / scale for weight in weights]
    shares = [int(value) for value in exact]
    order = sorted(
        range(len(items)), key=lambda i: (exact[i] - shares[i], -i), reverse=True
    )
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def withdraw(staff: User, ticket: Ticket, push_id: int) -> ServicePush:
    """Withdraw a pending push of a ticket the staff member works; it can no
    longer be paid.

    :raises PushNotPayable: the push is paid or withdrawn already.
    """
    pushed = ticket_push(ticket, push_id)

    withdrawn = db.session.execute(
        update(ServicePush)
        .where(ServicePush.id == pushed.id, ServicePush.status == "pending")
        .values(status="withdrawn", withdrawn_at=utcnow(), withdrawn_by_id=staff.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if withdrawn != 1:
        db.session.refresh(pushed)
        raise PushNotPayable(_l("只有待支付的推送可以撤回。"))
    db.session.refresh(pushed)
    tickets.post_system_message(
        ticket,
        PUSH_MESSAGES["withdrawn"]
        % {
            "items": "、".join(item.item.name for item in pushed.items),
            "price": format_money(pushed.pay_price_cents),
        },
    )

    logger.info("staff %s withdrew push %s", staff.id, pushed.id)
    return pushed


def pushes_by_message(ticket_id: int) -> dict[int, ServicePush]:
    """Return a ticket's pushes keyed by the reply they came with (2 queries)."""
    found = db.session.scalars(
        select(ServicePush)
        .options(
            joinedload(ServicePush.level),
            selectinload(ServicePush.items).joinedload(ServicePushItem.item),
        )
        .where(ServicePush.ticket_id == ticket_id)
        .order_by(ServicePush.id)
    ).all()
    return {pushed.message_id: pushed for pushed in found}
