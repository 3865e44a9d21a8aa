"""Renewing a server, its subscription riding along in the same payment.

A renewal extends the server by its billing cycle from its current due date
and charges the server line (with the cycle discount; promo codes are for
new purchases) plus the VAS line at the current level price × months,
undiscounted. A downgrade the customer booked applies first.

Once per period (S2): the server's due date moves only by a conditional
update from the due date that was read, and the debit's key names the
server and that due date, so a customer click racing the sync job, or two
sync jobs, renew and charge once.
"""

import logging
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from vas.extensions import db
from vas.models import Order
from vas.models import OrderLine
from vas.models import Server
from vas.models import ServiceLevel
from vas.models import Subscription
from vas.models import SubscriptionEvent
from vas.models import User
from vas.models._columns import utcnow
from vas.services import checkout
from vas.services import clock
from vas.services import ledger
from vas.services import levels
from vas.services import subscriptions
from vas.services.errors import NotFound
from vas.services.errors import VasError

logger = logging.getLogger(__name__)


class RenewalRefused(VasError):
    status_code = 409
    default_message = _l("该服务器不能续费。")


@dataclass(frozen=True)
class RenewalQuote:
    server: Server
    subscription: Subscription | None
    months: int
    server_list_cents: int
    cycle_discount_cents: int
    level: ServiceLevel | None
    vas_cents: int
    new_due_date: date

    @property
    def server_cents(self) -> int:
        return self.server_list_cents - self.cycle_discount_cents

    @property
    def total_cents(self) -> int:
        return self.server_cents + self.vas_cents


def own_server(customer: User, server_id: int) -> Server:
    """Load one of the customer's servers; anyone else's is not found (A1)."""
    server = db.session.get(Server, server_id, options=[joinedload(Server.product)])
    if server is None or server.customer_id != customer.id:
        raise NotFound()
    return server


def renewal_level(subscription: Subscription | None) -> ServiceLevel | None:
    """The level a renewal charges for: the booked downgrade, else the current
    level; a level retired since falls back to 基础服务."""
    if subscription is None or subscription.status == "cancelled":
        return None
    level = subscription.next_level or subscription.level
    if not level.is_active:
        level = levels.default_level() or level
    return level


def quote_renewal(
    server: Server, *, subscription: Subscription | None = None
) -> RenewalQuote:
    """Price one renewal of a server for its billing cycle, from today's prices.

    :param subscription: the server's subscription when the caller has it
        loaded already; otherwise it is looked up.
    """
    if server.status == "terminated":
        raise RenewalRefused(_l("已终止的服务器不能续费。"))
    product = server.product
    cycle = next((c for c in product.cycles if c.months == server.billing_months), None)
    discount_percent = cycle.discount_percent if cycle and cycle.is_enabled else 0

    server_list = product.monthly_price_cents * server.billing_months
    if subscription is None:
        subscription = subscriptions.for_server(server.id)
    level = renewal_level(subscription)
    return RenewalQuote(
        server=server,
        subscription=subscription,
        months=server.billing_months,
        server_list_cents=server_list,
        cycle_discount_cents=checkout._percent_of(server_list, discount_percent),
        level=level,
        vas_cents=level.monthly_price_cents * server.billing_months if level else 0,
        new_due_date=clock.add_months(server.due_date, server.billing_months),
    )


def renew(
    server: Server,
    *,
    actor: User | None,
    period_end: date | None = None,
    expected_total_cents: int | None = None,
    today: date | None = None,
) -> Order:
    """Renew a server and its subscription for one period, charged once.

    :param actor: the customer renewing, or None for the sync job.
    :param period_end: the due date the renewal was asked for (the one the
        customer saw); if the server has moved on since, a second click or
        tab would renew another period, so it is refused instead.
    :raises RenewalRefused: when this period was renewed already.
    :raises InsufficientBalance: naming the shortfall; nothing changes.
    """
    today = today or clock.today()
    if period_end is not None and period_end != server.due_date:
        raise RenewalRefused(_l("该周期已经续费过了。"))
    priced = quote_renewal(server)
    if expected_total_cents is not None and expected_total_cents != priced.total_cents:
        raise checkout.PriceChanged(priced.total_cents)

    old_due = server.due_date
    lifts_expiry = server.status == "suspended" and server.suspended_for == "expiry"
    moved = db.session.execute(
        update(Server)
        .where(Server.id == server.id, Server.due_date == old_due)
        .values(
            due_date=priced.new_due_date,
            status="active" if lifts_expiry else server.status,
            suspended_for=None if lifts_expiry else server.suspended_for,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise RenewalRefused(_l("该周期已经续费过了。"))
    db.session.refresh(server)

    order = Order(
        customer_id=server.customer_id,
        kind="renewal",
        status="paid",
        total_cents=priced.total_cents,
        idempotency_key=f"renewal:{server.id}:{old_due.isoformat()}",
        paid_at=utcnow(),
    )
    order.lines.append(
        OrderLine(
            kind="server",
            description=server.product.name,
            product_id=server.product_id,
            server_id=server.id,
            months=priced.months,
            unit_cents=server.product.monthly_price_cents,
            list_cents=priced.server_list_cents,
            discount_cents=priced.cycle_discount_cents,
            amount_cents=priced.server_cents,
        )
    )
    if priced.level is not None:
        order.lines.append(
            checkout._vas_line(priced.level, priced.months, server_id=server.id)
        )
    db.session.add(order)
    db.session.flush()

    posting = None
    if priced.total_cents > 0:
        posting = ledger.debit(
            server.customer_id,
            priced.total_cents,
            cause="renewal",
            subject_type="order",
            subject_id=order.id,
            key=f"renewal:{server.id}:{old_due.isoformat()}",
            actor_id=actor.id if actor else None,
        )
        if posting.replayed:
            raise RenewalRefused(_l("该周期已经续费过了。"))

    subscription = priced.subscription
    if subscription is not None and subscription.status != "cancelled":
        if priced.level is not None and priced.level.id != subscription.level_id:
            from_level_id = subscription.level_id
            subscription.level_id = priced.level.id
            subscription.next_level_id = None
            db.session.add(
                SubscriptionEvent(
                    subscription_id=subscription.id,
                    kind="downgrade_applied",
                    from_level_id=from_level_id,
                    to_level_id=priced.level.id,
                )
            )
        db.session.add(
            SubscriptionEvent(
                subscription_id=subscription.id,
                kind="renewal",
                to_level_id=priced.level.id if priced.level else None,
                amount_cents=priced.vas_cents,
                ledger_entry_id=posting.entry.id if posting else None,
                actor_id=actor.id if actor else None,
                note=f"{old_due.isoformat()} → {priced.new_due_date.isoformat()}",
            )
        )
        db.session.flush()
        subscriptions.follow_server(server, today=today, actor=actor)

    logger.info(
        "server %s renewed to %s by %s for %s cents (order %s)",
        server.id,
        priced.new_due_date,
        actor.id if actor else "sync",
        priced.total_cents,
        order.id,
    )
    return order


def set_auto_renew(customer: User, server_id: int, on: bool) -> Server:
    """Switch the sync job's automatic renewal of a customer's server on or off.

    :raises RenewalRefused: for a terminated server.
    """
    server = own_server(customer, server_id)
    if server.status == "terminated":
        raise RenewalRefused(_l("已终止的服务器不能续费。"))

    server.auto_renew = on
    db.session.flush()

    logger.info(
        "customer %s set auto-renew of server %s to %s", customer.id, server.id, on
    )
    return server


def due_for_auto_renewal(today: date) -> list[tuple[int, date]]:
    """Return (id, due date) of auto-renewing servers due today or earlier."""
    return list(
        db.session.execute(
            select(Server.id, Server.due_date)
            .where(
                Server.auto_renew,
                Server.status != "terminated",
                Server.due_date <= today,
            )
            .order_by(Server.due_date, Server.id)
        )
    )
