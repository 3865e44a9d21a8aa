"""Service levels (服务等级): the default 基础服务 plus at most four more.

A level is never deleted: history (subscriptions, service records) keeps
pointing at it, so a level is retired instead and still shows by name.
"""

import logging
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import select

from vas.extensions import db
from vas.models import ItemPrice
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.models import User
from vas.money import from_cents
from vas.money import to_cents
from vas.services import audit
from vas.services.errors import VasError

logger = logging.getLogger(__name__)

DEFAULT_LEVEL_NAME = "基础服务"
# The seed: "最多新增四个级别" besides the default level.
MAX_EXTRA_ACTIVE = 4


class LevelLimitReached(VasError):
    status_code = 409
    default_message = _l("除基础服务外，最多只能同时启用 4 个服务等级。")


class DefaultLevelFixed(VasError):
    status_code = 409
    default_message = _l("基础服务是默认等级：不能停用，月价格固定为 ¥0.00。")


class LevelNameTaken(VasError):
    status_code = 422
    default_message = _l("已有同名的服务等级。")


def list_levels(*, active_only: bool = False) -> list[ServiceLevel]:
    """Return levels in display order: the default first, then by order."""
    query = select(ServiceLevel)
    if active_only:
        query = query.where(ServiceLevel.is_active)
    order = (ServiceLevel.is_default.desc(), ServiceLevel.sort_order, ServiceLevel.id)
    return list(db.session.scalars(query.order_by(*order)))


def default_level() -> ServiceLevel | None:
    """Return 基础服务, if VAS was ever switched on."""
    return db.session.scalars(
        select(ServiceLevel).where(ServiceLevel.is_default)
    ).one_or_none()


def ensure_default(actor: User | None) -> ServiceLevel:
    """Create 基础服务 at ¥0.00 unless it exists; return it."""
    level = default_level()
    if level is not None:
        return level

    level = ServiceLevel(
        name=DEFAULT_LEVEL_NAME, monthly_price_cents=0, is_default=True, sort_order=0
    )
    db.session.add(level)
    db.session.flush()
    _fill_column(level, source=None)
    audit.record(actor, "level.create", "level", level.id, None, _snapshot(level))

    logger.info("created the default level %s", level.id)
    return level


def _snapshot(level: ServiceLevel) -> dict:
    return {
        "name": level.name,
        "monthly_price": str(from_cents(level.monthly_price_cents)),
        "description": level.description,
        "sort_order": level.sort_order,
        "is_active": level.is_active,
    }


def _lock_levels() -> None:
    """Serialise level changes that count active levels.

    PostgreSQL locks the default level's row; SQLite's writers are already
    serialised by BEGIN IMMEDIATE.
    """
    db.session.execute(
        select(ServiceLevel.id).where(ServiceLevel.is_default).with_for_update()
    ).all()


def _check_room() -> None:
    active = db.session.scalar(
        select(func.count(ServiceLevel.id)).where(
            ServiceLevel.is_active, ServiceLevel.is_default.is_(False)
        )
    )
    if active >= MAX_EXTRA_ACTIVE:
        raise LevelLimitReached()


def _check_name(name: str, level_id: int | None = None) -> None:
    query = select(ServiceLevel.id).where(func.lower(ServiceLevel.name) == name.lower())
    if level_id is not None:
        query = query.where(ServiceLevel.id != level_id)
    if db.session.scalar(query) is not None:
        raise LevelNameTaken()


def _fill_column(level: ServiceLevel, source: ServiceLevel | None) -> None:
    """Give a new level a price for every item: the source level's, else 0."""
    prices = {}
    if source is not None:
        prices = dict(
            db.session.execute(
                select(ItemPrice.item_id, ItemPrice.price_cents).where(
                    ItemPrice.level_id == source.id
                )
            ).all()
        )
    for item_id in db.session.scalars(select(ServiceItem.id)):
        db.session.add(
            ItemPrice(
                item_id=item_id, level_id=level.id, price_cents=prices.get(item_id, 0)
            )
        )
    db.session.flush()


def create_level(
    *, name: str, monthly_price: Decimal, description: str, actor: User
) -> ServiceLevel:
    """Add an active level; it starts with the 基础服务 column of item prices.

    :raises LevelLimitReached: four levels besides 基础服务 are active already.
    """
    base = ensure_default(actor)
    _lock_levels()
    _check_room()
    name = name.strip()
    _check_name(name)

    last = db.session.scalar(select(func.max(ServiceLevel.sort_order))) or 0
    level = ServiceLevel(
        name=name,
        monthly_price_cents=to_cents(monthly_price),
        description=description.strip(),
        sort_order=last + 1,
    )
    db.session.add(level)
    db.session.flush()
    _fill_column(level, source=base)
    audit.record(actor, "level.create", "level", level.id, None, _snapshot(level))

    logger.info("admin %s created level %s (%s)", actor.id, level.id, level.name)
    return level


def update_level(
    level: ServiceLevel,
    *,
    name: str,
    monthly_price: Decimal,
    description: str,
    actor: User,
) -> ServiceLevel:
    """Change a level's name, monthly price or description.

    :raises DefaultLevelFixed: a price other than 0 for 基础服务.
    """
    cents = to_cents(monthly_price)
    if level.is_default and cents != 0:
        raise DefaultLevelFixed()
    name = name.strip()
    _check_name(name, level.id)

    before = _snapshot(level)
    level.name, level.monthly_price_cents = name, cents
    level.description = description.strip()
    _audit_if_changed(level, "level.update", before, actor)
    return level


def _audit_if_changed(level: ServiceLevel, action: str, before: dict, actor: User):
    db.session.flush()
    after = _snapshot(level)
    if after != before:
        audit.record(actor, action, "level", level.id, before, after)
        logger.info("admin %s: %s %s", actor.id, action, level.id)


def move_level(level: ServiceLevel, *, up: bool, actor: User) -> None:
    """Swap a level with its neighbour in the display order (基础服务 stays first)."""
    if level.is_default:
        raise DefaultLevelFixed()
    others = [lv for lv in list_levels() if not lv.is_default]
    index = others.index(level)
    target = index - 1 if up else index + 1
    if not 0 <= target < len(others):
        return

    for position, each in enumerate(others, start=1):
        each.sort_order = position  # normalise gaps before swapping
    neighbour = others[target]
    before = _snapshot(level)
    level.sort_order, neighbour.sort_order = neighbour.sort_order, level.sort_order
    _audit_if_changed(level, "level.update", before, actor)


def retire_level(level: ServiceLevel, *, actor: User) -> None:
    """Stop selling a level; it stays for history.

    :raises DefaultLevelFixed: for 基础服务.
    """
    if level.is_default:
        raise DefaultLevelFixed()
    if not level.is_active:
        return
    before = _snapshot(level)
    level.is_active = False
    _audit_if_changed(level, "level.retire", before, actor)


def activate_level(level: ServiceLevel, *, actor: User) -> None:
    """Sell a retired level again, within the limit of four.

    :raises LevelLimitReached: four levels besides 基础服务 are active already.
    """
    if level.is_active:
        return
    _lock_levels()
    _check_room()
    before = _snapshot(level)
    level.is_active = True
    _audit_if_changed(level, "level.activate", before, actor)
