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
