"""Service categories (服务分类) and items (服务项目).

A new item gets a price in every level's column, all equal to the price
given for 基础服务. Items are retired, never deleted, so history keeps them.
"""

import logging
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from vas.extensions import db
from vas.models import ItemPrice
from vas.models import ServiceCategory
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.models import User
from vas.money import from_cents
from vas.money import to_cents
from vas.services import audit
from vas.services.errors import VasError

logger = logging.getLogger(__name__)


class NameTaken(VasError):
    status_code = 422
    default_message = _l("名称已被使用。")


def list_categories() -> list[ServiceCategory]:
    """Return categories in order, each with its items (retired ones too)."""
    query = select(ServiceCategory).options(selectinload(ServiceCategory.items))
    return list(
        db.session.scalars(
            query.order_by(ServiceCategory.sort_order, ServiceCategory.id)
        )
    )


def _category_snapshot(category: ServiceCategory) -> dict:
    return {
        "name": category.name,
        "sort_order": category.sort_order,
        "is_active": category.is_active,
    }


def _item_snapshot(item: ServiceItem) -> dict:
    return {
        "name": item.name,
        "category_id": item.category_id,
        "description": item.description,
        "sort_order": item.sort_order,
        "is_active": item.is_active,
    }


def _check_category_name(name: str, category_id: int | None = None) -> None:
    query = select(ServiceCategory.id).where(
        func.lower(ServiceCategory.name) == name.lower()
    )
    if category_id is not None:
        query = query.where(ServiceCategory.id != category_id)
    if db.session.scalar(query) is not None:
        raise NameTaken()


def save_category(
    category: ServiceCategory | None,
    *,
    name: str,
    sort_order: int,
    is_active: bool,
    actor: User,
) -> ServiceCategory:
    """Create or change a category."""
    name = name.strip()
    _check_category_name(name, category.id if category else None)

    creating = category is None
    if creating:
        category = ServiceCategory(name=name)
        db.session.add(category)
    before = None if creating else _category_snapshot(category)
    category.name, category.sort_order, category.is_active = name, sort_order, is_active
    db.session.flush()

    after = _category_snapshot(category)
    if after != before:
        action = "category.create" if creating else "category.update"
        audit.record(actor, action, "category", category.id, before, after)
        logger.info("admin %s: %s %s", actor.id, action, category.id)
    return category


def _check_item_name(category_id: int, name: str, item_id: int | None = None) -> None:
    query = select(ServiceItem.id).where(
        ServiceItem.category_id == category_id,
        func.lower(ServiceItem.name) == name.lower(),
    )
    if item_id is not None:
        query = query.where(ServiceItem.id != item_id)
    if db.session.scalar(query) is not None:
        raise NameTaken()


def create_item(
    *,
    category: ServiceCategory,
    name: str,
    description: str,
    sort_order: int,
    base_price: Decimal,
    actor: User,
) -> ServiceItem:
    """Add an item priced at ``base_price`` in every level's column."""
    name = name.strip()
    _check_item_name(category.id, name)

    item = ServiceItem(
        category_id=category.id,
        name=name,
        description=description.strip(),
        sort_order=sort_order,
    )
    db.session.add(item)
    db.session.flush()
    cents = to_cents(base_price)
    for level_id in db.session.scalars(select(ServiceLevel.id)):
        db.session.add(ItemPrice(item_id=item.id, level_id=level_id, price_cents=cents))
    db.session.flush()

    after = _item_snapshot(item) | {"base_price": str(from_cents(cents))}
    audit.record(actor, "item.create", "item", item.id, None, after)
    logger.info("admin %s created item %s (%s)", actor.id, item.id, item.name)
    return item


def update_item(
    item: ServiceItem,
    *,
    category: ServiceCategory,
    name: str,
    description: str,
    sort_order: int,
    actor: User,
) -> ServiceItem:
    """Change an item's name, category, description or order."""
    name = name.strip()
    _check_item_name(category.id, name, item.id)

    before = _item_snapshot(item)
    item.category_id, item.name = category.id, name
    item.description, item.sort_order = description.strip(), sort_order
    _audit_item(item, "item.update", before, actor)
    return item


def set_item_active(item: ServiceItem, active: bool, *, actor: User) -> ServiceItem:
    """Retire an item (no new requests or pushes) or bring it back."""
    before = _item_snapshot(item)
    item.is_active = active
    _audit_item(item, "item.activate" if active else "item.retire", before, actor)
    return item


def _audit_item(item: ServiceItem, action: str, before: dict, actor: User) -> None:
    db.session.flush()
    after = _item_snapshot(item)
    if after != before:
        audit.record(actor, action, "item", item.id, before, after)
        logger.info("admin %s: %s %s", actor.id, action, item.id)
