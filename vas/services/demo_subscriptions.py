"""Demo subscriptions: the demo servers as if bought with a level at checkout.

Each gets a paid new-purchase order with its server and VAS lines, paid from
the customer's demo balance, and the free uses that order gives, so the
ledger, the order history and the subscriptions list all agree.
"""

import logging
from datetime import date

from sqlalchemy import select

from vas.extensions import db
from vas.models import Order
from vas.models import OrderLine
from vas.models import Server
from vas.models import ServiceLevel
from vas.models._columns import utcnow
from vas.services import checkout
from vas.services import ledger
from vas.services import subscriptions
from vas.services import vas_settings

logger = logging.getLogger(__name__)

# (server id = 产品ID, level name)
SUBSCRIPTIONS = (
    (3856, "铜牌服务"),
    (459, "基础服务"),
    (3854, "金牌服务"),
)


def load(today: date) -> None:
    """Attach the demo subscriptions to their servers, once."""
    free_uses = vas_settings.current().free_uses_per_order
    for server_id, level_name in SUBSCRIPTIONS:
        if subscriptions.for_server(server_id) is not None:
            continue
        server = db.session.get(Server, server_id)
        level = db.session.scalars(
            select(ServiceLevel).where(ServiceLevel.name == level_name)
        ).one()
        order = _paid_order(server, level)
        subscription = subscriptions.create(order, server, level, free_uses=free_uses)
        subscriptions.follow_server(server, today=today)
        logger.info("demo subscription %s on server %s", subscription.id, server_id)


def _paid_order(server: Server, level: ServiceLevel) -> Order:
    product = server.product
    months = server.billing_months
    server_cents = product.monthly_price_cents * months
    vas_line = checkout._vas_line(level, months, server_id=server.id)
    order = Order(
        customer_id=server.customer_id,
        kind="new",
        status="paid",
        total_cents=server_cents + vas_line.amount_cents,
        idempotency_key=f"demo:order:{server.id}",
        paid_at=utcnow(),
    )
    order.lines.append(
        OrderLine(
            kind="server",
            description=product.name,
            product_id=product.id,
            server_id=server.id,
            months=months,
            unit_cents=product.monthly_price_cents,
            list_cents=server_cents,
            discount_cents=0,
            amount_cents=server_cents,
        )
    )
    order.lines.append(vas_line)
    db.session.add(order)
    db.session.flush()
    ledger.debit(
        server.customer_id,
        order.total_cents,
        cause="order",
        subject_type="order",
        subject_id=order.id,
        key=f"order:{order.id}",
        memo="演示数据订单",
    )
    return order
