"""One populated database for the sweeps: people, a shop, tickets, money.

Built once per backend and shared by every row of the route table, so the
sweeps cost one world rather than one per route. Actions that can succeed
only once (close a ticket, pay an order, refund a charge, retire a level)
get their own object per role and mode: a *slot*. ``World.values(who,
mode)`` gives the ids a URL template names, with the slot objects of that
role and mode, so a route may run for two roles in a row.

Not a test module.
"""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from tests import factories
from tests.conftest import migrate_to_head
from vas.extensions import db
from vas.models import Payment
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import Ticket
from vas.models import User
from vas.services import checkout
from vas.services import items as item_service
from vas.services import levels as level_service
from vas.services import payments
from vas.services import tickets
from vas.services import vas_refunds

ROLES = ("anonymous", "customer_a", "customer_b", "agent_np", "agent", "admin")
MODES = ("page", "fragment")
# The roles whose requests may succeed somewhere, and so get slot objects.
ACTORS = ("customer_a", "agent", "admin")

_names = itertools.count(1)


@dataclass
class World:
    """Ids of the world's rows; ``slots[kind][(who, mode)]`` per actor."""

    people: dict[str, object]
    ids: dict[str, int]
    slots: dict[str, dict] = field(default_factory=dict)

    def values(self, who: str, mode: str) -> dict[str, int]:
        """The ids a URL template may name, as seen by ``who`` in ``mode``."""
        found = dict(self.ids)
        for kind, objects in self.slots.items():
            found[kind] = objects.get((who, mode), objects["default"])
        return found

    def email(self, who: str) -> str:
        return self.people[who].email


def _slots(make) -> dict:
    """Build one object per actor and mode, plus a default for the refused."""
    made = {(who, mode): make() for who in ACTORS for mode in MODES}
    made["default"] = made[("customer_a", "page")]
    return made


def build(app) -> World:
    """Create the world in ``app``'s database and commit it."""
    with app.app_context():
        world = _build()
        db.session.commit()
        return world


def _build() -> World:
    people = {
        "customer_a": factories.customer(
            balance="5000.00", name="Customer A", email="alice@example.test"
        ),
        "customer_b": factories.customer(
            balance="100.00", name="Customer B", email="bob@example.test"
        ),
        "agent_np": factories.agent(name="Agent NoPush"),
        "agent": factories.agent(can_push_services=True, name="Agent Push"),
        "admin": factories.admin(name="Admin"),
        "login": factories.customer(name="Login Only", email="login@example.test"),
    }
    a, admin = people["customer_a"], people["admin"]
    admin_row = db.session.get(User, admin.id)

    tech = factories.department(name="业务技术工单", business_technical=True)
    finance = factories.department(name="财务工单")
    factories.works(
        agent_id=people["agent"].id,
        department_ids=[tech.id, finance.id],
        can_push=True,
    )
    factories.works(agent_id=people["agent_np"].id, department_ids=[finance.id])

    cloud = factories.product(type="cloud", price="99.00", name="Cloud 2C4G")
    base = level_service.ensure_default(admin_row)
    bronze = level_service.create_level(
        name="Bronze", monthly_price=Decimal("50.00"), description="", actor=admin_row
    )
    category = item_service.save_category(
        None, name="System", sort_order=1, is_active=True, actor=admin_row
    )
    item = item_service.create_item(
        category=category,
        name="Disk cleanup",
        description="",
        sort_order=1,
        base_price=Decimal("100.00"),
        actor=admin_row,
    )
    factories.offer_vas(admin_id=admin.id, product_ids=[cloud.id], free_uses=1)

    def subscribe(level_id: int) -> dict:
        return factories.subscription(
            customer_id=a.id, level_id=level_id, product_id=cloud.id
        )

    main = subscribe(bronze.id)
    server_id = main["server"]
    ticket = factories.ticket(
        customer_id=a.id,
        department_id=tech.id,
        server_id=server_id,
        subject="a-web-01 is down",
        body="It answers 502.",
    )
    world = World(
        people=people,
        ids={
            "ticket": ticket.id,
            "server": server_id,
            "subscription": main["subscription"],
            "order": main["order"],
            "product": cloud.id,
            "level": bronze.id,
            "base_level": base.id,
            "category": category.id,
            "item": item.id,
            "customer": a.id,
            "agent_np": people["agent_np"].id,
            "dept": finance.id,
            "tech": tech.id,
            "reply": factories.quick_reply(title="Greeting").id,
            "payment": _topup(a.id),
        },
    )
    world.slots = {
        "open_ticket": _slots(
            lambda: factories.ticket(customer_id=a.id, department_id=finance.id).id
        ),
        "closed_ticket": _slots(lambda: _closed_ticket(a.id, finance.id)),
        "status_ticket": _slots(
            lambda: (
                factories.ticket(
                    customer_id=a.id, department_id=tech.id, server_id=server_id
                ).id
            )
        ),
        "unpaid_order": _slots(lambda: _unpaid_order(a.id, cloud.id, bronze.id)),
        "cancel_order": _slots(lambda: _unpaid_order(a.id, cloud.id, bronze.id)),
        "pending_payment": _slots(lambda: _topup(a.id)),
        "upgrade_server": _slots(lambda: subscribe(base.id)["server"]),
        "charge": _slots(lambda: _charge(subscribe(bronze.id))),
        "spare": _slots(lambda: factories.department(name=_name("Spare")).id),
        "spare_reply": _slots(lambda: factories.quick_reply(title=_name("Spare")).id),
        "toggle_level": _slots(lambda: _retired_level(admin_row)),
        "toggle_item": _slots(lambda: _retired_item(category, admin_row)),
        "push": _slots(
            lambda: (
                factories.push(
                    agent_id=people["agent"].id,
                    ticket_id=ticket.id,
                    item_ids=[item.id],
                    pay_price="10.00",
                ).id
            )
        ),
        "record": _slots(lambda: _record(a.id, server_id, item.id)),
    }
    return world


def _record(customer_id: int, server_id: int, item_id: int) -> dict:
    """A service request's ticket and its pending service record."""
    made = factories.service_request(
        customer_id=customer_id, server_id=server_id, item_id=item_id
    )
    record_id = db.session.scalars(
        sa.select(ServiceRecord.id).where(ServiceRecord.ticket_id == made.id)
    ).one()
    return {"ticket": made.id, "record": record_id}


def _name(prefix: str) -> str:
    return f"{prefix} {next(_names)}"


def _topup(customer_id: int) -> int:
    customer = db.session.get(User, customer_id)
    payment = payments.start_topup(customer, Decimal("10.00"), f"{next(_names):032x}")
    db.session.flush()
    assert db.session.get(Payment, payment.id).status == "pending"
    return payment.id


def _closed_ticket(customer_id: int, department_id: int) -> int:
    made = factories.ticket(customer_id=customer_id, department_id=department_id)
    tickets.close_ticket(
        db.session.get(Ticket, made.id), db.session.get(User, customer_id)
    )
    return made.id


def _unpaid_order(customer_id: int, product_id: int, level_id: int) -> int:
    order = checkout.place_order(
        db.session.get(User, customer_id),
        product_id=product_id,
        months=1,
        level_id=level_id,
        promo_code="",
        intent=f"{next(_names):032x}",
    )
    return order.id


def _charge(made: dict) -> dict:
    """The subscription and the ledger entry of its VAS charge, for a refund."""
    subscription = db.session.get(Subscription, made["subscription"])
    (charge,) = vas_refunds.charges(subscription)
    return {"subscription": subscription.id, "entry": charge.entry.id}


def _retired_level(actor: User) -> int:
    level = level_service.create_level(
        name=_name("Retired"),
        monthly_price=Decimal("9.00"),
        description="",
        actor=actor,
    )
    level_service.retire_level(level, actor=actor)
    return level.id


def _retired_item(category, actor: User) -> int:
    item = item_service.create_item(
        category=category,
        name=_name("Retired item"),
        description="",
        sort_order=9,
        base_price=Decimal("1.00"),
        actor=actor,
    )
    item_service.set_item_active(item, False, actor=actor)
    return item.id


def due_in(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def table_state(app) -> dict[str, list]:
    """Every row of every table, to prove that a request changed nothing."""
    with app.app_context():
        with db.engine.connect() as conn:
            return {
                table.name: sorted(
                    tuple(map(repr, row)) for row in conn.execute(sa.select(table))
                )
                for table in db.metadata.sorted_tables
            }


@contextmanager
def own_database(request, tmp_path_factory, backend: str, name: str) -> Iterator[str]:
    """Yield the URL of a migrated database that one module keeps to itself.

    SQLite: a file in the run's temporary folder; PostgreSQL: a database of
    its own on the test server, dropped afterwards.
    """
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.db'}"
        migrate_to_head(url)
        yield url
        return
    server = request.getfixturevalue("pg_server")
    url = server.create()
    try:
        migrate_to_head(url)
        yield url
    finally:
        server.drop(url)
