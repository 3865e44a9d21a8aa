"""Demo value-added services: the seed's levels, items and price table.

Loaded by ``demo.load``; idempotent like the rest of the demo data.
"""

from decimal import Decimal

from sqlalchemy import select

from vas.extensions import db
from vas.models import VAS_CAPABLE_TYPES
from vas.models import ItemPrice
from vas.models import Product
from vas.models import ServiceCategory
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.models import User
from vas.money import to_cents
from vas.services import items
from vas.services import levels
from vas.services import vas_settings

# The seed's levels besides 基础服务, with their monthly prices.
LEVELS = (("铜牌服务", "50.00"), ("银牌服务", "100.00"), ("金牌服务", "150.00"))
CATEGORIES = ("系统设置", "站点设置", "数据库设置", "其他设置")
# (category, item, prices at 基础 / 铜牌 / 银牌 / 金牌) — the seed's table.
ITEMS = (
    (
        "系统设置",
        "服务器负载高/意外重启/带宽跑高/异常现象排查",
        ("100", "50", "0", "0"),
    ),
    ("系统设置", "端口调整/安全组/安全策略配置", ("100", "0", "0", "0")),
    ("系统设置", "磁盘扩容/合并/分区挂载", ("100", "0", "0", "0")),
    ("系统设置", "磁盘占满清理", ("100", "0", "0", "0")),
    (
        "系统设置",
        "托管租用主机系统重装(不含数据/重装有风险/清理前备份好数据)",
        ("100", "80", "60", "40"),
    ),
    ("站点设置", "web配置/参数调整", ("200", "100", "0", "0")),
    ("站点设置", "网站助手/WDCP/BT宝塔非系统问题排查", ("100", "80", "50", "40")),
    (
        "数据库设置",
        "服务器远程/WDCP/BT宝塔管理账号密码重置/修改",
        ("100", "50", "0", "0"),
    ),
    ("其他设置", "畸形/异常类文件删除/应用卸载", ("100", "50", "0", "0")),
    ("其他设置", "网络不通/远程连接不上/丢包延时高", ("20", "0", "0", "0")),
)
FREE_USES_PER_ORDER = 1


def load(admin: User) -> None:
    """Switch VAS on for the demo servers and load the seed's configuration."""
    eligible = db.session.scalars(
        select(Product.id).where(Product.type.in_(VAS_CAPABLE_TYPES))
    ).all()
    vas_settings.save(
        enabled=True,
        product_ids=list(eligible),
        free_uses=FREE_USES_PER_ORDER,
        actor=admin,
    )
    level_ids = [levels.ensure_default(admin).id]
    for name, price in LEVELS:
        level = _by_name(ServiceLevel, name) or levels.create_level(
            name=name, monthly_price=Decimal(price), description="", actor=admin
        )
        level_ids.append(level.id)

    for order, name in enumerate(CATEGORIES, start=1):
        if _by_name(ServiceCategory, name) is None:
            items.save_category(
                None, name=name, sort_order=order, is_active=True, actor=admin
            )
    for order, (category_name, name, prices) in enumerate(ITEMS, start=1):
        if _by_name(ServiceItem, name) is not None:
            continue
        item = items.create_item(
            category=_by_name(ServiceCategory, category_name),
            name=name,
            description="",
            sort_order=order,
            base_price=Decimal(prices[0]),
            actor=admin,
        )
        for level_id, price in zip(level_ids, prices, strict=True):
            cell = db.session.scalars(
                select(ItemPrice).where(
                    ItemPrice.item_id == item.id, ItemPrice.level_id == level_id
                )
            ).one()
            cell.price_cents = to_cents(Decimal(price))
    db.session.flush()


def _by_name(model, name: str):
    return db.session.scalars(select(model).where(model.name == name)).first()
