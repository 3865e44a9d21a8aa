"""The value-added services switch, the products it is offered on, free uses.

Only cloud-server and bare-metal products can carry VAS (rule 1). Switching
VAS on for the first time creates the default level 基础服务 at ¥0.00.
"""

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from vas.extensions import db
from vas.models import VAS_CAPABLE_TYPES
from vas.models import Product
from vas.models import User
from vas.services import audit
from vas.services import levels
from vas.services import settings
from vas.services.errors import InvalidInput

logger = logging.getLogger(__name__)

MAX_FREE_USES = 100


class NotEligible(InvalidInput):
    default_message = _l("只有云服务器和裸金属服务器产品可以开通增值服务。")


@dataclass(frozen=True)
class VasSettings:
    enabled: bool
    product_ids: tuple[int, ...]
    free_uses_per_order: int


def current() -> VasSettings:
    """Return the VAS settings in force."""
    return VasSettings(
        enabled=bool(settings.get("vas.enabled")),
        product_ids=tuple(settings.get("vas.product_ids")),
        free_uses_per_order=int(settings.get("vas.free_uses_per_order")),
    )


def products_for_choice() -> list[Product]:
    """Return every product, VAS-capable ones first, for the eligibility list."""
    products = db.session.scalars(
        select(Product).order_by(Product.sort_order, Product.id)
    )
    return sorted(products, key=lambda p: p.type not in VAS_CAPABLE_TYPES)


def is_offered_on(product: Product) -> bool:
    """Tell whether a customer ordering this product may pick a level."""
    config = current()
    return (
        config.enabled and product.is_vas_capable and product.id in config.product_ids
    )


def free_use_tip(count: int) -> str | None:
    """Return the tip shown on the purchase page, or None when nothing is gifted."""
    if count <= 0:
        return None
    # markup: a count, never text typed by anyone
    return ngettext(
        "购买即赠送 %(num)s 次免费增值服务（按订单赠送）。",
        "购买即赠送 %(num)s 次免费增值服务（按订单赠送）。",
        count,
    )


def save(
    *, enabled: bool, product_ids: list[int], free_uses: int, actor: User
) -> VasSettings:
    """Store the VAS settings; each changed key writes one audit row.

    :raises NotEligible: a chosen product is missing or not a cloud or
        bare-metal server.
    """
    if not 0 <= free_uses <= MAX_FREE_USES:
        raise InvalidInput(_l("赠送次数必须是 0 到 100 之间的整数。"))
    chosen = sorted(set(product_ids))
    if chosen:
        capable = set(
            db.session.scalars(
                select(Product.id).where(
                    Product.id.in_(chosen), Product.type.in_(VAS_CAPABLE_TYPES)
                )
            )
        )
        if capable != set(chosen):
            raise NotEligible()

    wanted = {
        "vas.enabled": enabled,
        "vas.product_ids": chosen,
        "vas.free_uses_per_order": free_uses,
    }
    for key, value in wanted.items():
        if settings.get(key) != value:
            before, after = settings.put(key, value, actor=actor)
            audit.record(actor, "setting.update", "setting", key, before, after)
    if enabled:
        levels.ensure_default(actor)

    logger.info("admin %s saved VAS settings %s", actor.id, wanted)
    return current()
