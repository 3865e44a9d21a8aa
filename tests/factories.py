"""Factories that build rows through the real services, committed.

Each returns a detached snapshot (``Made``) holding the row's id and the
fields tests usually need, so no session has to stay open across requests.
"""

import functools
import itertools
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import Decimal

from vas.extensions import db
from vas.models import BillingCycle
from vas.models import Product
from vas.models import Server
from vas.money import to_cents
from vas.services import accounts
from vas.services import ledger

PASSWORD = "correct-horse-1"
_sequence = itertools.count(1)


@dataclass(frozen=True)
class Made:
    id: int
    email: str = ""
    role: str = ""


def bind(app, factory):
    @functools.wraps(factory)
    def make(**overrides):
        with app.app_context():
            made = factory(**overrides)
            db.session.commit()
            return made

    return make


def _user(role: str, **overrides) -> Made:
    n = next(_sequence)
    user = accounts.create_user(
        email=overrides.pop("email", f"{role}{n}@example.test"),
        name=overrides.pop("name", f"{role.title()} {n}"),
        password=overrides.pop("password", PASSWORD),
        role=role,
        can_push_services=overrides.pop("can_push_services", False),
    )
    balance = Decimal(str(overrides.pop("balance", "0")))
    if overrides:
        raise TypeError(f"unknown overrides {sorted(overrides)}")
    if balance:
        ledger.credit(
            user.id,
            to_cents(balance),
            cause="adjustment",
            subject_type="user",
            subject_id=user.id,
            key=f"test:opening:{user.id}",
            memo="opening balance",
        )
    return Made(id=user.id, email=user.email, role=role)


def funds(*, customer_id: int, cents: int) -> Made:
    """Credit a customer's balance by an admin adjustment, as a top-up would."""
    n = next(_sequence)
    ledger.credit(
        customer_id,
        cents,
        cause="adjustment",
        subject_type="user",
        subject_id=customer_id,
        key=f"test:funds:{customer_id}:{n}",
    )
    return Made(id=customer_id)


def customer(**overrides) -> Made:
    return _user("customer", **overrides)


def agent(**overrides) -> Made:
    return _user("agent", **overrides)


def admin(**overrides) -> Made:
    return _user("admin", **overrides)


def product(
    *, type: str = "cloud", price: str = "99.00", name: str | None = None
) -> Made:
    row = Product(
        name=name or f"Product {next(_sequence)}",
        type=type,
        monthly_price_cents=to_cents(Decimal(price)),
    )
    row.cycles = [
        BillingCycle(months=m, discount_percent=d)
        for m, d in ((1, 0), (3, 5), (6, 8), (12, 15))
    ]
    db.session.add(row)
    db.session.flush()
    return Made(id=row.id)


def server(
    *,
    customer_id: int,
    product_id: int | None = None,
    status: str = "active",
    due_date: date | None = None,
    hostname: str | None = None,
) -> Made:
    if product_id is None:
        product_id = product().id
    row = Server(
        customer_id=customer_id,
        product_id=product_id,
        hostname=hostname or f"host-{next(_sequence)}",
        status=status,
        due_date=due_date or date.today() + timedelta(days=30),
    )
    db.session.add(row)
    db.session.flush()
    return Made(id=row.id)


def vas_catalog(*, admin_id: int, items: int = 2, extra_levels: int = 1) -> dict:
    """Switch VAS on and build levels, one category and items (all priced 100).

    Returns the ids: ``{"levels": [...], "category": id, "items": [...]}``.
    """
    from vas.models import ServiceCategory
    from vas.models import User
    from vas.services import items as item_service
    from vas.services import levels as level_service

    actor = db.session.get(User, admin_id)
    base = level_service.ensure_default(actor)
    level_ids = [base.id]
    for n in range(extra_levels):
        level = level_service.create_level(
            name=f"Level {next(_sequence)}-{n}",
            monthly_price=Decimal("50.00") * (n + 1),
            description="",
            actor=actor,
        )
        level_ids.append(level.id)
    category = item_service.save_category(
        None,
        name=f"Category {next(_sequence)}",
        sort_order=1,
        is_active=True,
        actor=actor,
    )
    item_ids = [
        item_service.create_item(
            category=db.session.get(ServiceCategory, category.id),
            name=f"Item {next(_sequence)}",
            description="",
            sort_order=n,
            base_price=Decimal("100.00"),
            actor=actor,
        ).id
        for n in range(items)
    ]
    return {"levels": level_ids, "category": category.id, "items": item_ids}


def offer_vas(*, admin_id: int, product_ids, free_uses: int = 1) -> None:
    """Switch VAS on for these products (added to those already chosen)."""
    from vas.models import User
    from vas.services import vas_settings

    config = vas_settings.current()
    vas_settings.save(
        enabled=True,
        product_ids=sorted(set(config.product_ids) | set(product_ids)),
        free_uses=free_uses,
        actor=db.session.get(User, admin_id),
    )


def subscription(
    *,
    customer_id: int,
    level_id: int,
    product_id: int | None = None,
    months: int = 1,
    today: date | None = None,
) -> dict:
    """Buy a server with a level through the real checkout, paid from a
    balance credited for exactly this order. VAS must be offered on the
    product (see :func:`offer_vas`); free uses follow the settings.

    Returns ``{"subscription": id, "server": id, "order": id}``.
    """
    from vas.models import User
    from vas.services import checkout

    customer = db.session.get(User, customer_id)
    if product_id is None:
        product_id = product().id
    priced = checkout.quote(
        db.session.get(Product, product_id), months=months, level_id=level_id
    )
    n = next(_sequence)
    if priced.total_cents:
        ledger.credit(
            customer_id,
            priced.total_cents,
            cause="adjustment",
            subject_type="user",
            subject_id=customer_id,
            key=f"test:order-funds:{customer_id}:{n}",
        )
    order = checkout.place_order(
        customer,
        product_id=product_id,
        months=months,
        level_id=level_id,
        promo_code="",
        intent=f"{n:032x}",
    )
    paid = checkout.pay_order(customer, order.id, today=today)
    return {
        "subscription": paid.subscription.id,
        "server": paid.server.id,
        "order": order.id,
    }


# Ticket desk (issue 3) ------------------------------------------------------


def department(
    *, name: str | None = None, business_technical: bool = False, active: bool = True
) -> Made:
    from vas.models import Department

    row = Department(
        name=name or f"Department {next(_sequence)}",
        is_business_technical=business_technical,
        is_active=active,
    )
    db.session.add(row)
    db.session.flush()
    return Made(id=row.id)


def works(*, agent_id: int, department_ids, can_push: bool = False) -> Made:
    """Set the departments an agent works (工单权限设置)."""
    from vas.models import User
    from vas.services import departments

    agent = db.session.get(User, agent_id)
    departments.set_agent_permissions(
        agent,
        department_ids=set(department_ids),
        can_push_services=can_push,
        actor=agent,
    )
    return Made(id=agent_id)


def ticket(
    *,
    customer_id: int,
    department_id: int,
    server_id: int | None = None,
    subject: str | None = None,
    body: str = "Please help.",
    now=None,
) -> Made:
    from vas.models import User
    from vas.services import tickets

    row = tickets.open_ticket(
        db.session.get(User, customer_id),
        department_id=department_id,
        server_id=server_id,
        subject=subject or f"Ticket {next(_sequence)}",
        body=body,
        now=now,
    )
    return Made(id=row.id)


def reply(
    *, ticket_id: int, author_id: int, body: str, private: bool = False, now=None
) -> Made:
    """Post a reply as the ticket's customer or as staff."""
    from vas.models import Ticket
    from vas.models import User
    from vas.services import tickets

    row = db.session.get(Ticket, ticket_id)
    author = db.session.get(User, author_id)
    if author.is_customer:
        message = tickets.post_customer_reply(row, author, body, now=now)
    else:
        message = tickets.post_staff_reply(row, author, body, private=private, now=now)
    return Made(id=message.id)


def close(*, ticket_id: int, actor_id: int, now=None) -> Made:
    from vas.models import Ticket
    from vas.models import User
    from vas.services import tickets

    tickets.close_ticket(
        db.session.get(Ticket, ticket_id), db.session.get(User, actor_id), now=now
    )
    return Made(id=ticket_id)


def quick_reply(*, title: str | None = None, body: str = "Hello from the desk") -> Made:
    from vas.models import QuickReply

    row = QuickReply(title=title or f"Template {next(_sequence)}", body=body)
    db.session.add(row)
    db.session.flush()
    return Made(id=row.id)


# Service requests and pushes (issue 6) -------------------------------------


def service_request(
    *,
    customer_id: int,
    server_id: int,
    item_id: int,
    body: str = "Please do it.",
    intent: str | None = None,
) -> Made:
    """Request an item through the real service, accepting the quoted charge."""
    from vas.models import User
    from vas.services import departments
    from vas.services import service_requests

    customer = db.session.get(User, customer_id)
    quoted = service_requests.quote(customer, server_id=server_id, item_id=item_id)
    row = service_requests.submit(
        customer,
        department_id=departments.business_technical().id,
        server_id=server_id,
        item_id=item_id,
        subject="",
        body=body,
        intent=intent or f"{next(_sequence):032x}",
        expected_charge_cents=quoted.charge_cents,
    )
    return Made(id=row.id)


def push(
    *,
    agent_id: int,
    ticket_id: int,
    item_ids,
    pay_price: str | None = None,
    body: str = "Here is the offer.",
) -> Made:
    """Push items into a ticket as a staff member, through the real service."""
    from vas.models import Ticket
    from vas.models import User
    from vas.services import pushes

    pushed = pushes.push(
        db.session.get(User, agent_id),
        db.session.get(Ticket, ticket_id),
        item_ids=list(item_ids),
        pay_price=Decimal(pay_price) if pay_price is not None else None,
        body=body,
    )
    return Made(id=pushed.id)


def set_price(*, admin_id: int, item_id: int, level_id: int, price: str) -> Made:
    """Set one cell of the price matrix as an admin."""
    from vas.models import User
    from vas.services import matrix

    cell = matrix.get_cell(item_id, level_id)
    matrix.set_price(
        cell, Decimal(price), version=cell.version, actor=db.session.get(User, admin_id)
    )
    return Made(id=cell.id)
