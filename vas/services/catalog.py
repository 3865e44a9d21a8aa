"""The product catalogue: products, their billing cycles, promo codes."""

import logging
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from vas.extensions import db
from vas.models import PRODUCT_TYPES
from vas.models import BillingCycle
from vas.models import Product
from vas.models.catalog import CYCLE_MONTHS
from vas.money import to_cents
from vas.services.errors import InvalidInput

logger = logging.getLogger(__name__)

PRODUCT_TYPE_LABELS = {
    "cloud": _l("云服务器"),
    "bare_metal": _l("裸金属服务器"),
    "web_hosting": _l("虚拟主机"),
    "domain": _l("域名"),
}


def list_products(*, include_inactive: bool = True) -> list[Product]:
    """Return products in display order, with their cycles loaded."""
    query = select(Product).options(selectinload(Product.cycles))
    if not include_inactive:
        query = query.where(Product.is_active)
    return list(db.session.scalars(query.order_by(Product.sort_order, Product.id)))


def save_product(
    product: Product | None,
    *,
    name: str,
    type: str,
    monthly_price: Decimal,
    description: str,
    is_active: bool,
    sort_order: int,
    cycle_discounts: dict[int, int | None],
) -> Product:
    """Create or update a product and its billing cycles.

    :param cycle_discounts: months → whole-percent discount, or ``None`` to
        stop offering that cycle.
    """
    if type not in PRODUCT_TYPES:
        raise InvalidInput(_l("产品类型无效。"))
    if not any(value is not None for value in cycle_discounts.values()):
        raise InvalidInput(_l("至少启用一个计费周期。"))

    if product is None:
        product = Product(type=type, monthly_price_cents=0)
        db.session.add(product)
    product.name = name.strip()
    product.type = type
    product.monthly_price_cents = to_cents(monthly_price)
    product.description = description.strip()
    product.is_active = is_active
    product.sort_order = sort_order

    by_months = {cycle.months: cycle for cycle in product.cycles}
    for months in CYCLE_MONTHS:
        discount = cycle_discounts.get(months)
        cycle = by_months.get(months)
        if cycle is None:
            cycle = BillingCycle(months=months, is_enabled=False)
            product.cycles.append(cycle)
        cycle.is_enabled = discount is not None
        cycle.discount_percent = discount or 0
    db.session.flush()

    logger.info("saved product %s (%s)", product.id, product.name)
    return product
