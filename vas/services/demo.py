"""Demo data: a small provider with staff, customers, products and servers.

Loading is idempotent (rows are matched by email, name or id) and refuses a
database that holds accounts it did not create, unless forced.
"""

import logging
from datetime import date
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from vas.extensions import db
from vas.models import AppMeta
from vas.models import BillingCycle
from vas.models import Department
from vas.models import Product
from vas.models import PromoCode
from vas.models import Server
from vas.models import User
from vas.money import to_cents
from vas.services import accounts
from vas.services import demo_requests
from vas.services import demo_subscriptions
from vas.services import demo_tickets
from vas.services import demo_vas
from vas.services import ledger

logger = logging.getLogger(__name__)

DEMO_MARK = "demo_data"
DEMO_PASSWORD = "demo1234"

STAFF = (
    ("admin@demo.test", "系统管理员", "admin", False),
    ("agent@demo.test", "张工（技术客服）", "agent", True),
    ("agent2@demo.test", "李工（工单客服）", "agent", False),
)
CUSTOMERS = (
    ("customer@demo.test", "王小明", Decimal("3000.00")),
    ("customer2@demo.test", "陈静", Decimal("1000.00")),
)
CYCLE_DISCOUNTS = {1: 0, 3: 5, 6: 8, 12: 15}
PRODUCTS = (
    ("云服务器 2核4G", "cloud", Decimal("99.00"), "2 vCPU / 4 GB / 60 GB SSD / 5 Mbps"),
    (
        "云服务器 4核8G",
        "cloud",
        Decimal("199.00"),
        "4 vCPU / 8 GB / 100 GB SSD / 10 Mbps",
    ),
    ("裸金属服务器 E5-2680", "bare_metal", Decimal("899.00"), "2×E5-2680 v4 / 64 GB"),
    ("虚拟主机 基础版", "web_hosting", Decimal("15.00"), "5 GB / 1 site"),
    (".com 域名", "domain", Decimal("6.50"), "billed monthly for the demo"),
)
# (server id = 产品ID, customer email, product name, hostname, days to due, status)
SERVERS = (
    (3856, "customer@demo.test", "云服务器 2核4G", "web-01", 20, "active"),
    (459, "customer@demo.test", "裸金属服务器 E5-2680", "db-01", 5, "active"),
    (3851, "customer@demo.test", "云服务器 4核8G", "test-01", -3, "suspended"),
    (3854, "customer2@demo.test", "云服务器 2核4G", "blog", 40, "active"),
    (3860, "customer2@demo.test", "虚拟主机 基础版", "shop", 70, "active"),
)
DEPARTMENTS = (
    ("业务技术工单", "服务器与增值服务技术支持", True),
    ("财务工单", "发票、充值与退款", False),
    ("售前咨询", "选购与报价", False),
)
PROMO_CODES = (("WELCOME10", "percent", 10), ("SAVE20", "fixed", 2000))


class DemoRefused(RuntimeError):
    """The database holds data the demo did not create."""


def load(*, force: bool = False, today: date | None = None) -> None:
    """Load or refresh the demo data in the current database."""
    today = today or date.today()
    marked = db.session.get(AppMeta, DEMO_MARK) is not None
    has_users = db.session.scalar(select(func.count(User.id))) > 0
    if has_users and not marked and not force:
        raise DemoRefused(
            "this database has accounts that the demo did not create; "
            "pass --force to load demo data into it anyway"
        )
    if not marked:
        db.session.add(AppMeta(key=DEMO_MARK, value="loaded"))

    users = _load_people()
    products = _load_products()
    _load_servers(users, products, today)
    _load_departments()
    _load_promo_codes()
    demo_tickets.load(users)
    demo_vas.load(users["admin@demo.test"])
    demo_subscriptions.load(today)
    demo_requests.load(users)
    db.session.flush()
    logger.info("demo data loaded")


def _load_people() -> dict[str, User]:
    users = {}
    for email, name, role, can_push in STAFF:
        users[email] = _user(email, name, role, can_push)
    for email, name, opening in CUSTOMERS:
        user = _user(email, name, "customer", False)
        users[email] = user
        ledger.credit(
            user.id,
            to_cents(opening),
            cause="adjustment",
            subject_type="user",
            subject_id=user.id,
            key=f"demo:opening:{user.id}",
            memo="演示数据初始余额",
        )
    return users


def _user(email: str, name: str, role: str, can_push: bool) -> User:
    user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None:
        return accounts.create_user(
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            role=role,
            can_push_services=can_push,
        )
    user.name, user.role, user.can_push_services = name, role, can_push
    return user


def _load_products() -> dict[str, Product]:
    products = {}
    for order, (name, type_, price, description) in enumerate(PRODUCTS):
        product = db.session.scalars(
            select(Product).where(Product.name == name)
        ).one_or_none()
        if product is None:
            product = Product(name=name, type=type_, monthly_price_cents=0)
            db.session.add(product)
        product.type = type_
        product.monthly_price_cents = to_cents(price)
        product.description = description
        product.sort_order = order
        months_present = {cycle.months for cycle in product.cycles}
        for months, discount in CYCLE_DISCOUNTS.items():
            if months not in months_present:
                product.cycles.append(
                    BillingCycle(months=months, discount_percent=discount)
                )
        products[name] = product
    db.session.flush()
    return products


def _load_servers(users, products, today: date) -> None:
    for server_id, email, product_name, hostname, days, status in SERVERS:
        if db.session.get(Server, server_id) is not None:
            continue
        db.session.add(
            Server(
                id=server_id,
                customer_id=users[email].id,
                product_id=products[product_name].id,
                hostname=hostname,
                ip_address=f"203.0.113.{server_id % 250}",
                status=status,
                due_date=today + timedelta(days=days),
                billing_months=1,
                auto_renew=server_id == 3856,
            )
        )
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        # Explicit ids do not move the sequence; move it past them.
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('servers', 'id'),"
                " (SELECT MAX(id) FROM servers))"
            )
        )


def _load_departments() -> None:
    for order, (name, description, business) in enumerate(DEPARTMENTS):
        department = db.session.scalars(
            select(Department).where(Department.name == name)
        ).one_or_none()
        if department is None:
            department = Department(name=name)
            db.session.add(department)
        department.description = description
        department.is_business_technical = business
        department.sort_order = order


def _load_promo_codes() -> None:
    for code, kind, value in PROMO_CODES:
        if db.session.scalars(select(PromoCode).where(PromoCode.code == code)).first():
            continue
        db.session.add(PromoCode(code=code, kind=kind, value=value))
