"""Production-sized demo data, for measuring pages at scale.

``flask vas demo --scale N`` adds, beside the ordinary demo, N times
200,000 customers with 1,000,000 servers and subscriptions, 2,000,000
tickets (each with its opening message) and 5,000,000 ledger entries.

Rows go in by bulk: ``COPY`` on PostgreSQL, multi-row inserts elsewhere.
They are written right the first time, because ledger entries cannot be
updated afterwards (triggers): each customer's entries are planned from a
seed of their own, once to know the final balance stored with the customer
and once more to write the entries, so the balance equals the sum of the
entries (M1), every ``balance_after`` follows from the one before and never
goes below zero (M2), and every idempotency key is unique (M4).
"""

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from vas.extensions import db
from vas.models import AppMeta
from vas.models import Department
from vas.models import LedgerEntry
from vas.models import Product
from vas.models import Server
from vas.models import ServiceLevel
from vas.models import Subscription
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import User
from vas.services import accounts
from vas.services import bulk_rows

logger = logging.getLogger(__name__)

SCALE_MARK = "demo_scale"
FULL = {
    "customers": 200_000,
    "servers": 1_000_000,
    "tickets": 2_000_000,
    "ledger": 5_000_000,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
HOST_WORDS = ("web", "db", "app", "api", "cache", "mail", "shop", "blog", "git")
SUBJECTS = (
    "网站打不开，提示 502",
    "磁盘空间占满，需要清理",
    "申请开具发票",
    "SSL 证书安装",
    "MySQL 连接数过多",
    "服务器无法 SSH 登录",
    "续费价格咨询",
    "带宽升级咨询",
)
# Ticket statuses and server outcomes, with their weights.
TICKET_MIX = (("open", 3), ("answered", 3), ("customer_reply", 1), ("closed", 3))
DEBIT_CAUSES = ("order", "renewal", "service_request", "upgrade", "push")


# The tables the generator writes, in the order their rows go in.
WRITTEN = (User, Server, Subscription, Ticket, TicketMessage, LedgerEntry)


class ScaleRefused(RuntimeError):
    """The scaled data is already loaded, or the demo catalogue is missing."""


@dataclass(frozen=True)
class Sizes:
    customers: int
    servers: int
    tickets: int
    ledger: int

    @classmethod
    def of(cls, factor: float) -> "Sizes":
        """Return the row counts for ``factor`` (1 is full production size)."""
        if factor <= 0:
            raise ValueError("scale must be above 0")
        counts = {name: max(1, round(full * factor)) for name, full in FULL.items()}
        # Every customer has at least one server and one ledger entry.
        counts["servers"] = max(counts["servers"], counts["customers"])
        counts["ledger"] = max(counts["ledger"], counts["customers"])
        return cls(**counts)


def generate(factor: float, *, today: date | None = None, seed: int = 8) -> Sizes:
    """Add the scaled customers, servers, subscriptions, tickets and ledger.

    Runs inside the caller's transaction, after the ordinary demo is loaded.
    """
    if db.session.get(AppMeta, SCALE_MARK) is not None:
        raise ScaleRefused("scaled demo data is already loaded in this database")
    sizes = Sizes.of(factor)
    today = today or date.today()
    context = _Context.load(today, seed)
    db.session.add(AppMeta(key=SCALE_MARK, value=f"{factor:g}"))
    db.session.flush()

    writer = bulk_rows.writer()
    first_user = _next_id(User)
    first_server = _next_id(Server)
    logger.info("scale %s: writing %s", factor, sizes)
    writer.write(User.__table__, _users(context, sizes, first_user))
    writer.write(Server.__table__, _servers(context, sizes, first_user, first_server))
    writer.write(
        Subscription.__table__,
        _subscriptions(
            context, sizes, first_user, first_server, _next_id(Subscription)
        ),
    )
    first_ticket = _next_id(Ticket)
    writer.write(
        Ticket.__table__,
        _tickets(context, sizes, first_user, first_server, first_ticket),
    )
    writer.write(
        TicketMessage.__table__,
        _messages(context, sizes, first_user, first_ticket, _next_id(TicketMessage)),
    )
    writer.write(
        LedgerEntry.__table__,
        _ledger(context, sizes, first_user, _next_id(LedgerEntry)),
    )
    written = [model.__tablename__ for model in WRITTEN]
    bulk_rows.move_sequences(written)
    bulk_rows.analyze(written)
    logger.info("scale %s: done", factor)
    return sizes


# --- what every row needs --------------------------------------------------


@dataclass(frozen=True)
class _Context:
    today: date
    now: datetime
    seed: int
    password_hash: str
    products: list[int]
    levels: list[int]
    departments: list[int]
    business_department: int

    @classmethod
    def load(cls, today: date, seed: int) -> "_Context":
        products = list(
            db.session.scalars(
                select(Product.id)
                .where(Product.type.in_(("cloud", "bare_metal")))
                .order_by(Product.id)
            )
        )
        levels = list(
            db.session.scalars(
                select(ServiceLevel.id)
                .where(ServiceLevel.is_active)
                .order_by(ServiceLevel.sort_order, ServiceLevel.id)
            )
        )
        departments = list(
            db.session.scalars(select(Department.id).order_by(Department.id))
        )
        business = db.session.scalar(
            select(Department.id).where(Department.is_business_technical)
        )
        if not (products and levels and departments and business):
            raise ScaleRefused("load the ordinary demo first (products, levels)")
        return cls(
            today=today,
            now=datetime.combine(today, datetime.min.time(), tzinfo=UTC),
            seed=seed,
            # One hash for every generated customer: they all sign in with the
            # demo password, and hashing 200,000 times would take hours.
            password_hash=accounts.hash_password("demo1234"),
            products=products,
            levels=levels,
            departments=departments,
            business_department=business,
        )


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _owner(index: int, count: int, owners: int) -> int:
    """Spread ``count`` rows over ``owners`` in contiguous runs (0-based)."""
    return index * owners // count


def _first_of(owner: int, count: int, owners: int) -> int:
    """Return the first row index that ``_owner`` gives to ``owner``."""
    return -(-owner * count // owners)


# --- rows ------------------------------------------------------------------


def _users(context: _Context, sizes: Sizes, first: int) -> Iterator[dict]:
    for index in range(sizes.customers):
        user_id = first + index
        rng = random.Random(context.seed * 1_000_003 + user_id)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        yield {
            "id": user_id,
            "email": f"c{user_id}@scale.test",
            "name": f"{name}{user_id}",
            "password_hash": context.password_hash,
            "role": "customer",
            "balance_cents": _final_balance(context, sizes, index, user_id),
            "can_push_services": False,
            "is_enabled": True,
            "locale": None,
            "created_at": context.now - timedelta(days=rng.randrange(1, 1500)),
            "last_login_at": None,
        }


def _server_state(rng: random.Random, today: date) -> tuple[str, str | None, date]:
    """Pick a server's status, why it is suspended, and its due date."""
    roll = rng.random()
    if roll < 0.85:
        return "active", None, today + timedelta(days=rng.randrange(1, 366))
    if roll < 0.95:
        return "suspended", "expiry", today - timedelta(days=rng.randrange(1, 90))
    return "terminated", None, today - timedelta(days=rng.randrange(30, 400))


def _servers(context, sizes: Sizes, first_user: int, first: int) -> Iterator[dict]:
    for index in range(sizes.servers):
        server_id = first + index
        rng = random.Random(context.seed * 2_000_003 + server_id)
        status, suspended_for, due = _server_state(rng, context.today)
        yield {
            "id": server_id,
            "customer_id": first_user + _owner(index, sizes.servers, sizes.customers),
            "product_id": rng.choice(context.products),
            "hostname": f"{rng.choice(HOST_WORDS)}-{server_id}",
            "ip_address": f"10.{server_id >> 16 & 255}.{server_id >> 8 & 255}."
            f"{server_id & 255}",
            "status": status,
            "due_date": due,
            "suspended_for": suspended_for,
            "billing_months": rng.choice((1, 1, 1, 3, 6, 12)),
            "auto_renew": rng.random() < 0.3,
            "created_at": context.now - timedelta(days=rng.randrange(1, 1000)),
        }


_SUBSCRIPTION_STATUS = {"active": "active", "suspended": "expired"}


def _subscriptions(context, sizes, first_user, first_server, first) -> Iterator[dict]:
    # The same seed as the server, so status and expiry follow it (S1).
    for index in range(sizes.servers):
        server_id = first_server + index
        rng = random.Random(context.seed * 2_000_003 + server_id)
        status, _why, due = _server_state(rng, context.today)
        created = context.now - timedelta(days=rng.randrange(1, 1000))
        yield {
            "id": first + index,
            "customer_id": first_user + _owner(index, sizes.servers, sizes.customers),
            "server_id": server_id,
            "level_id": context.levels[index % len(context.levels)],
            "next_level_id": None,
            "order_id": None,
            "status": _SUBSCRIPTION_STATUS.get(status, "cancelled"),
            "expires_on": due,
            "created_at": created,
            "updated_at": created,
        }


def _tickets(context, sizes, first_user, first_server, first) -> Iterator[dict]:
    statuses = [status for status, weight in TICKET_MIX for _ in range(weight)]
    for index in range(sizes.tickets):
        ticket_id = first + index
        rng = random.Random(context.seed * 3_000_017 + ticket_id)
        created = _opened_at(context, rng)
        last = created + timedelta(minutes=rng.randrange(0, 600))
        owner = _owner(index, sizes.tickets, sizes.customers)
        department = context.departments[index % len(context.departments)]
        server_id = None
        if department == context.business_department:
            start = _first_of(owner, sizes.servers, sizes.customers)
            end = _first_of(owner + 1, sizes.servers, sizes.customers)
            server_id = first_server + rng.randrange(start, max(start + 1, end))
        status = rng.choice(statuses)
        yield {
            "id": ticket_id,
            "customer_id": first_user + owner,
            "department_id": department,
            "server_id": server_id,
            "assignee_id": None,
            "subject": f"{rng.choice(SUBJECTS)} #{ticket_id}",
            "status": status,
            "created_at": created,
            "last_message_at": last,
            "waiting_since": last if status in ("open", "customer_reply") else None,
            "idempotency_key": None,
        }


def _opened_at(context: _Context, rng: random.Random) -> datetime:
    """Draw when a ticket was opened: the first draw from the ticket's seed."""
    return context.now - timedelta(minutes=rng.randrange(10, 525_600))


def _messages(context, sizes, first_user, first_ticket, first) -> Iterator[dict]:
    for index in range(sizes.tickets):
        ticket_id = first_ticket + index
        # The ticket's seed: the opening message is as old as its ticket.
        rng = random.Random(context.seed * 3_000_017 + ticket_id)
        created = _opened_at(context, rng)
        yield {
            "id": first + index,
            "ticket_id": ticket_id,
            "author_id": first_user + _owner(index, sizes.tickets, sizes.customers),
            "author_kind": "customer",
            "body": f"您好，{rng.choice(SUBJECTS)}，麻烦尽快处理。",
            "is_private": False,
            "created_at": created,
        }


# --- the ledger ------------------------------------------------------------


def _entry_count(sizes: Sizes, index: int) -> int:
    return _first_of(index + 1, sizes.ledger, sizes.customers) - _first_of(
        index, sizes.ledger, sizes.customers
    )


def _plan(context, sizes, index: int, user_id: int) -> Iterator[tuple[int, str]]:
    """Yield one customer's ``(amount_cents, cause)`` in order, never overdrawn.

    The first entry is a top-up; then debits that the balance covers, with a
    top-up whenever it runs low. Integer cents throughout.
    """
    rng = random.Random(context.seed * 4_000_037 + user_id)
    balance = 0
    for position in range(_entry_count(sizes, index)):
        if position == 0 or balance < 5_000 or rng.random() < 0.15:
            amount = rng.randrange(10, 300) * 1_000  # ¥100.00 to ¥2,990.00
            yield amount, "topup"
            balance += amount
            continue
        amount = min(balance, rng.randrange(1, 400) * 50)
        yield -amount, rng.choice(DEBIT_CAUSES)
        balance -= amount


def _final_balance(context, sizes, index: int, user_id: int) -> int:
    return sum(amount for amount, _cause in _plan(context, sizes, index, user_id))


def _ledger(context, sizes: Sizes, first_user: int, first: int) -> Iterator[dict]:
    entry_id = first
    for index in range(sizes.customers):
        user_id = first_user + index
        balance = 0
        when = context.now - timedelta(days=400)
        for position, (amount, cause) in enumerate(
            _plan(context, sizes, index, user_id)
        ):
            balance += amount
            when += timedelta(hours=7)
            yield {
                "id": entry_id,
                "customer_id": user_id,
                "amount_cents": amount,
                "balance_after_cents": balance,
                "cause": cause,
                "subject_type": "payment" if cause == "topup" else "order",
                "subject_id": None,
                "idempotency_key": f"scale:{user_id}:{position}",
                "reverses_id": None,
                "memo": "",
                "actor_id": None,
                "created_at": when,
            }
            entry_id += 1
