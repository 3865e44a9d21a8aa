"""Checkout: pricing an order, placing it and paying it from the balance.

Prices are always read here, on the server (M5): the form sends a product,
a billing cycle, a level and a promo code, never an amount. The server line
takes the cycle discount and the promo code; the VAS line is level price ×
months and takes no discount of any kind (rule 7).

Paying is one transaction: the debit, the order marked paid, the server with
its due date, the subscription with the same expiry and the free uses of
this order. Any refusal rolls all of it back.
"""

import logging
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from vas.extensions import db
from vas.models import BillingCycle
from vas.models import Order
from vas.models import OrderLine
from vas.models import Product
from vas.models import PromoCode
from vas.models import Server
from vas.models import ServiceLevel
from vas.models import Subscription
from vas.models import User
from vas.models._columns import utcnow
from vas.services import clock
from vas.services import ledger
from vas.services import levels
from vas.services import subscriptions
from vas.services import vas_settings
from vas.services.errors import InvalidInput
from vas.services.errors import NotFound
from vas.services.errors import VasError

logger = logging.getLogger(__name__)


class CheckoutRefused(InvalidInput):
    """A refused choice; ``field`` names the form field it belongs beside."""

    def __init__(self, field: str, message):
        self.field = field
        super().__init__(message)


class OrderNotPayable(VasError):
    status_code = 409
    default_message = _l("该订单不能支付。")


class PriceChanged(VasError):
    """The order's prices moved since it was placed; nothing was charged."""

    status_code = 409

    def __init__(self, total_cents: int):
        from vas.money import format_money

        self.total_cents = total_cents
        super().__init__(
            _l(
                "价格已变化，现在应付 %(total)s。请确认后重新下单。",
                total=format_money(total_cents),
            )
        )


@dataclass(frozen=True)
class Offer:
    """What the order form offers for one product."""

    product: Product
    cycles: list[BillingCycle]
    levels: list[ServiceLevel]  # empty when VAS is not offered on the product
    default_level: ServiceLevel | None
    free_use_tip: str | None


@dataclass(frozen=True)
class Quote:
    """An order priced on the server; every amount in cents."""

    product: Product
    months: int
    cycle_discount_percent: int
    server_list_cents: int
    cycle_discount_cents: int
    promo: PromoCode | None
    promo_discount_cents: int
    level: ServiceLevel | None
    level_monthly_cents: int
    vas_cents: int

    @property
    def server_cents(self) -> int:
        return (
            self.server_list_cents
            - self.cycle_discount_cents
            - self.promo_discount_cents
        )

    @property
    def discount_cents(self) -> int:
        return self.cycle_discount_cents + self.promo_discount_cents

    @property
    def total_cents(self) -> int:
        return self.server_cents + self.vas_cents


@dataclass(frozen=True)
class PaidOrder:
    order: Order
    server: Server
    subscription: Subscription | None
    replayed: bool


def orderable_products() -> list[Product]:
    """Return the active products a customer can order, in display order."""
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.is_active)
            .order_by(Product.sort_order, Product.id)
        )
    )


def offer(product_id: int) -> Offer:
    """Return the choices of the order form for an active product."""
    product = db.session.get(Product, product_id)
    if product is None or not product.is_active:
        raise NotFound()
    cycles = [cycle for cycle in product.cycles if cycle.is_enabled]
    if vas_settings.is_offered_on(product):
        on_sale = levels.list_levels(active_only=True)
        config = vas_settings.current()
        tip = vas_settings.free_use_tip(config.free_uses_per_order)
    else:
        on_sale, tip = [], None
    default = next((level for level in on_sale if level.is_default), None)
    return Offer(product, cycles, on_sale, default, tip)


def _percent_of(cents: int, percent: int) -> int:
    """A whole-percent share of an amount, rounded half-up to cents once."""
    exact = Decimal(cents) * percent / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def find_promo(code: str, *, now=None) -> PromoCode:
    """Return a usable promo code by its text (case-insensitive).

    :raises CheckoutRefused: for an unknown, inactive, expired or used-up code.
    """
    now = now or utcnow()
    promo = db.session.scalars(
        select(PromoCode).where(PromoCode.code == code.strip().upper())
    ).one_or_none()
    if promo is None or not promo.is_active:
        raise CheckoutRefused("promo_code", _l("优惠码无效。"))
    if promo.expires_at is not None and promo.expires_at <= now:
        raise CheckoutRefused("promo_code", _l("优惠码已过期。"))
    if promo.max_uses is not None and promo.used_count >= promo.max_uses:
        raise CheckoutRefused("promo_code", _l("优惠码已用完。"))
    return promo


def quote(
    product: Product,
    *,
    months: int,
    level_id: int | None,
    promo_code: str = "",
) -> Quote:
    """Price an order of ``product`` from what is in the database now.

    :param level_id: the chosen level, or None for no VAS. A level on a
        product that does not offer VAS is refused, not ignored.
    :raises CheckoutRefused: naming the field a refusal belongs to.
    """
    cycle = next(
        (c for c in product.cycles if c.months == months and c.is_enabled), None
    )
    if cycle is None:
        raise CheckoutRefused("months", _l("请选择可用的计费周期。"))

    level = None
    if level_id is not None:
        if not vas_settings.is_offered_on(product):
            raise CheckoutRefused("level_id", _l("该产品不提供增值服务。"))
        level = db.session.get(ServiceLevel, level_id)
        if level is None or not level.is_active:
            raise CheckoutRefused("level_id", _l("请选择可用的服务等级。"))

    server_list = product.monthly_price_cents * months
    cycle_discount = _percent_of(server_list, cycle.discount_percent)
    after_cycle = server_list - cycle_discount

    promo, promo_discount = None, 0
    if promo_code and promo_code.strip():
        promo = find_promo(promo_code)
        if promo.kind == "percent":
            promo_discount = _percent_of(after_cycle, promo.value)
        else:
            promo_discount = min(promo.value, after_cycle)

    level_monthly = level.monthly_price_cents if level else 0
    return Quote(
        product=product,
        months=months,
        cycle_discount_percent=cycle.discount_percent,
        server_list_cents=server_list,
        cycle_discount_cents=cycle_discount,
        promo=promo,
        promo_discount_cents=promo_discount,
        level=level,
        level_monthly_cents=level_monthly,
        vas_cents=level_monthly * months,
    )


def place_order(
    customer: User,
    *,
    product_id: int,
    months: int,
    level_id: int | None,
    promo_code: str,
    intent: str,
    expected_total_cents: int | None = None,
) -> Order:
    """Create an unpaid order, once per form submission (``intent``).

    :param expected_total_cents: the total the customer was shown; a
        different total now is refused so nobody pays what they did not see.
    """
    key = f"checkout:{customer.id}:{intent}"
    existing = _order_by_key(key, customer)
    if existing is not None:
        return existing

    product = db.session.get(Product, product_id)
    if product is None or not product.is_active:
        raise CheckoutRefused("product", _l("该产品已下架。"))
    priced = quote(product, months=months, level_id=level_id, promo_code=promo_code)
    if expected_total_cents is not None and expected_total_cents != priced.total_cents:
        raise PriceChanged(priced.total_cents)

    order = Order(
        customer_id=customer.id,
        kind="new",
        status="unpaid",
        promo_code_id=priced.promo.id if priced.promo else None,
        total_cents=priced.total_cents,
        idempotency_key=key,
    )
    order.lines.append(_server_line(priced))
    if priced.level is not None:
        order.lines.append(_vas_line(priced.level, priced.months))
    try:
        with db.session.begin_nested():
            db.session.add(order)
    except IntegrityError:
        # The same submission raced in from another request: use its order.
        existing = _order_by_key(key, customer)
        if existing is None:
            raise
        return existing

    logger.info(
        "customer %s placed order %s for product %s (%s cents)",
        customer.id,
        order.id,
        product.id,
        order.total_cents,
    )
    return order


def _order_by_key(key: str, customer: User) -> Order | None:
    order = db.session.scalars(
        select(Order).where(Order.idempotency_key == key)
    ).one_or_none()
    if order is not None and order.customer_id != customer.id:
        raise InvalidInput()
    return order


def _server_line(priced: Quote) -> OrderLine:
    return OrderLine(
        kind="server",
        description=priced.product.name,
        product_id=priced.product.id,
        months=priced.months,
        unit_cents=priced.product.monthly_price_cents,
        list_cents=priced.server_list_cents,
        discount_cents=priced.discount_cents,
        amount_cents=priced.server_cents,
    )


def _vas_line(level: ServiceLevel, months: int, server_id: int | None = None):
    """The VAS line: level price × months, never discounted (rule 7)."""
    amount = level.monthly_price_cents * months
    return OrderLine(
        kind="vas",
        description=level.name,
        level_id=level.id,
        server_id=server_id,
        months=months,
        unit_cents=level.monthly_price_cents,
        list_cents=amount,
        discount_cents=0,
        amount_cents=amount,
    )


def own_order(customer: User, order_id: int) -> Order:
    """Load one of the customer's orders; anyone else's is not found (A1)."""
    order = db.session.get(Order, order_id)
    if order is None or order.customer_id != customer.id:
        raise NotFound()
    return order


def pay_order(customer: User, order_id: int, *, today: date | None = None) -> PaidOrder:
    """Pay an unpaid new-purchase order from the balance, all or nothing.

    The order's total is priced again from the database; if it moved since
    the order was placed, nothing is charged (M5). Paying twice (a double
    click, two tabs) charges once: the debit key is the order itself and the
    order leaves "unpaid" by a conditional update.

    :raises InsufficientBalance: naming the shortfall; nothing changes.
    """
    today = today or clock.today()
    order = own_order(customer, order_id)
    if order.status == "paid":
        return _already_paid(order)
    if order.status != "unpaid" or order.kind != "new":
        raise OrderNotPayable()

    server_line = next(line for line in order.lines if line.kind == "server")
    vas_line = next((line for line in order.lines if line.kind == "vas"), None)
    product = db.session.get(Product, server_line.product_id)
    if product is None or not product.is_active:
        raise OrderNotPayable(_l("该产品已下架，订单不能支付。"))
    promo = (
        db.session.get(PromoCode, order.promo_code_id) if order.promo_code_id else None
    )
    try:
        priced = quote(
            product,
            months=server_line.months,
            level_id=vas_line.level_id if vas_line else None,
            promo_code=promo.code if promo else "",
        )
    except CheckoutRefused as refusal:
        raise OrderNotPayable(refusal.message) from refusal
    if priced.total_cents != order.total_cents:
        raise PriceChanged(priced.total_cents)

    claimed = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.customer_id == customer.id,
            Order.status == "unpaid",
        )
        .values(status="paid", paid_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        # Another request paid it between our read and our update.
        db.session.refresh(order)
        if order.status == "paid":
            return _already_paid(order)
        raise OrderNotPayable()

    if order.total_cents > 0:
        ledger.debit(
            customer.id,
            order.total_cents,
            cause="order",
            subject_type="order",
            subject_id=order.id,
            key=f"order:{order.id}",
            actor_id=customer.id,
        )
    if promo is not None:
        _count_promo_use(promo)

    server = Server(
        customer_id=customer.id,
        product_id=product.id,
        hostname=f"{product.type.replace('_', '-')}-{order.id}",
        status="active",
        due_date=clock.add_months(today, server_line.months),
        billing_months=server_line.months,
    )
    db.session.add(server)
    db.session.flush()
    server_line.server_id = server.id

    subscription = None
    if vas_line is not None:
        vas_line.server_id = server.id
        subscription = subscriptions.create(
            order,
            server,
            priced.level,
            free_uses=vas_settings.current().free_uses_per_order,
        )
    db.session.flush()
    db.session.refresh(order)

    logger.info(
        "order %s paid: server %s, subscription %s",
        order.id,
        server.id,
        subscription.id if subscription else None,
    )
    return PaidOrder(order, server, subscription, replayed=False)


def _already_paid(order: Order) -> PaidOrder:
    server_id = next(line.server_id for line in order.lines if line.kind == "server")
    server = db.session.get(Server, server_id)
    return PaidOrder(order, server, subscriptions.for_server(server_id), replayed=True)


def _count_promo_use(promo: PromoCode) -> None:
    counted = db.session.execute(
        update(PromoCode)
        .where(
            PromoCode.id == promo.id,
            PromoCode.is_active,
            or_(
                PromoCode.max_uses.is_(None), PromoCode.used_count < PromoCode.max_uses
            ),
        )
        .values(used_count=PromoCode.used_count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if counted != 1:
        raise OrderNotPayable(_l("优惠码已用完，请重新下单。"))


def customer_orders(customer: User):
    """Build the query of a customer's orders, newest first."""
    return (
        select(Order).where(Order.customer_id == customer.id).order_by(Order.id.desc())
    )


def cancel_order(customer: User, order_id: int) -> Order:
    """Cancel one of the customer's unpaid orders."""
    order = own_order(customer, order_id)
    cancelled = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == "unpaid")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount
    if cancelled != 1:
        raise OrderNotPayable(_l("只有未支付的订单可以取消。"))
    db.session.refresh(order)
    logger.info("customer %s cancelled order %s", customer.id, order.id)
    return order
