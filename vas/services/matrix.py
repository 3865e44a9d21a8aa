"""The price matrix (服务管理): items × active levels, edited cell by cell.

Loading costs a fixed number of queries however many items and levels
exist. A save names the cell version it was edited from and is applied with
a conditional update, so the later of two concurrent edits is refused (P1).
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy import update

from vas.extensions import db
from vas.models import ItemPrice
from vas.models import ServiceCategory
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.models import User
from vas.models._columns import utcnow
from vas.money import format_money
from vas.money import from_cents
from vas.money import to_cents
from vas.services import audit
from vas.services import levels
from vas.services.errors import NotFound
from vas.services.errors import VasError

logger = logging.getLogger(__name__)

# Items as every page lists them: by category, then within it, each by its
# sort order and then by id.
CATALOGUE_ORDER = (
    ServiceCategory.sort_order,
    ServiceCategory.id,
    ServiceItem.sort_order,
    ServiceItem.id,
)


class StalePrice(VasError):
    """Someone saved this cell since it was opened; nothing was changed."""

    status_code = 409

    def __init__(self, current: ItemPrice):
        self.current = current
        super().__init__(
            _l(
                "该价格已被他人改为 %(price)s，您的修改未保存，请确认后重试。",
                price=format_money(current.price_cents),
            )
        )


@dataclass(frozen=True)
class Row:
    item: ServiceItem
    cells: dict[int, ItemPrice]  # by level id


@dataclass(frozen=True)
class Group:
    category: ServiceCategory
    rows: list[Row]


@dataclass(frozen=True)
class Matrix:
    levels: list[ServiceLevel]
    groups: list[Group]


def load_matrix() -> Matrix:
    """Load active items grouped by category against active levels (3 queries)."""
    active_levels = levels.list_levels(active_only=True)
    pairs = db.session.execute(
        select(ServiceItem, ServiceCategory)
        .join(ServiceCategory, ServiceItem.category_id == ServiceCategory.id)
        .where(ServiceItem.is_active, ServiceCategory.is_active)
        .order_by(*CATALOGUE_ORDER)
    ).all()
    level_ids = [level.id for level in active_levels]
    cells: dict[int, dict[int, ItemPrice]] = {}
    if pairs and level_ids:
        prices = db.session.scalars(
            select(ItemPrice).where(
                ItemPrice.item_id.in_([item.id for item, _ in pairs]),
                ItemPrice.level_id.in_(level_ids),
            )
        )
        for price in prices:
            cells.setdefault(price.item_id, {})[price.level_id] = price

    groups: list[Group] = []
    for item, category in pairs:
        if not groups or groups[-1].category.id != category.id:
            groups.append(Group(category=category, rows=[]))
        groups[-1].rows.append(Row(item=item, cells=cells.get(item.id, {})))
    return Matrix(levels=active_levels, groups=groups)


def items_at_level(
    level_id: int,
) -> list[tuple[ServiceCategory, list[tuple[ServiceItem, int]]]]:
    """Return the active items by category with their price at one level.

    What a customer can request and an agent can push (1 query).
    """
    rows = db.session.execute(
        select(ServiceItem, ServiceCategory, ItemPrice.price_cents)
        .join(ServiceCategory, ServiceCategory.id == ServiceItem.category_id)
        .join(ItemPrice, ItemPrice.item_id == ServiceItem.id)
        .where(
            ItemPrice.level_id == level_id,
            ServiceItem.is_active,
            ServiceCategory.is_active,
        )
        .order_by(*CATALOGUE_ORDER)
    ).all()
    groups: list[tuple[ServiceCategory, list[tuple[ServiceItem, int]]]] = []
    for item, category, price in rows:
        if not groups or groups[-1][0].id != category.id:
            groups.append((category, []))
        groups[-1][1].append((item, price))
    return groups


def get_cell(item_id: int, level_id: int) -> ItemPrice:
    """Return one cell of the matrix, or raise NotFound."""
    cell = db.session.scalars(
        select(ItemPrice).where(
            ItemPrice.item_id == item_id, ItemPrice.level_id == level_id
        )
    ).one_or_none()
    if cell is None:
        raise NotFound()
    return cell


def set_price(
    cell: ItemPrice, price: Decimal, *, version: int, actor: User
) -> ItemPrice:
    """Save a cell edited from ``version``; refuse if it changed meanwhile.

    :raises StalePrice: the cell is no longer at ``version``.
    """
    cents = to_cents(price)
    if version != cell.version:
        raise StalePrice(cell)
    if cents == cell.price_cents:
        return cell

    before = cell.price_cents
    changed = db.session.execute(
        update(ItemPrice)
        .where(ItemPrice.id == cell.id, ItemPrice.version == version)
        .values(price_cents=cents, version=ItemPrice.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(cell)
    if changed != 1:
        raise StalePrice(cell)

    audit.record(
        actor,
        "price.update",
        "price",
        f"{cell.item_id}:{cell.level_id}",
        {"price": str(from_cents(before))},
        {"price": str(from_cents(cents))},
    )
    logger.info(
        "admin %s priced item %s at level %s: %d -> %d cents",
        actor.id,
        cell.item_id,
        cell.level_id,
        before,
        cents,
    )
    return cell
