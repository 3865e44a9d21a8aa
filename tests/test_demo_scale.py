"""The production-sized demo generator, run tiny: its rows keep every invariant."""

from datetime import date

import sqlalchemy as sa

from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import Server
from vas.models import Subscription
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import User
from vas.services import demo_scale

# 40 customers, 200 servers and subscriptions, 400 tickets, 1,000 entries.
SCALE = "0.0002"


def _count(model, *where) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(model).where(*where)
    )


def test_a_tiny_scale_builds_every_table_in_proportion(app):
    result = app.test_cli_runner().invoke(args=["vas", "demo", "--scale", SCALE])

    assert result.exit_code == 0, result.output
    assert "Added 40 customers, 200 servers" in result.output
    with app.app_context():
        scaled = User.email.like("%@scale.test")
        assert _count(User, scaled) == 40
        assert _count(Server, Server.hostname.like("%-%")) >= 200
        assert _count(Subscription) == 200 + 3  # and the ordinary demo's three
        assert _count(Ticket, Ticket.subject.like("%#%")) == 400
        assert _count(TicketMessage) >= 400
        assert _count(LedgerEntry, LedgerEntry.idempotency_key.like("scale:%")) == 1000


def test_the_scaled_ledger_keeps_its_invariants(app):
    app.test_cli_runner().invoke(args=["vas", "demo", "--scale", SCALE])

    with app.app_context():
        balances = {
            user_id: balance
            for user_id, balance in db.session.execute(
                sa.select(User.id, User.balance_cents)
            )
        }
        entries = db.session.execute(
            sa.select(
                LedgerEntry.customer_id,
                LedgerEntry.amount_cents,
                LedgerEntry.balance_after_cents,
                LedgerEntry.idempotency_key,
            ).order_by(LedgerEntry.customer_id, LedgerEntry.id)
        ).all()

    running: dict[int, int] = {}
    for customer_id, amount, balance_after, _key in entries:
        assert isinstance(amount, int) and amount != 0
        running[customer_id] = running.get(customer_id, 0) + amount
        assert balance_after == running[customer_id] >= 0  # M2, balance_after
    for customer_id, balance in balances.items():
        assert balance == running.get(customer_id, 0)  # M1
    keys = [key for *_rest, key in entries]
    assert len(keys) == len(set(keys))  # M4


def test_scaled_subscriptions_follow_their_servers(app):
    app.test_cli_runner().invoke(args=["vas", "demo", "--scale", SCALE])

    today = date.today()
    with app.app_context():
        pairs = db.session.execute(
            sa.select(Subscription, Server).join(
                Server, Server.id == Subscription.server_id
            )
        ).all()
        for subscription, server in pairs:
            assert subscription.expires_on == server.due_date  # S1
            assert subscription.customer_id == server.customer_id
            expected = (
                "cancelled"
                if server.status == "terminated"
                else "expired"
                if server.due_date < today
                else "active"
            )
            assert subscription.status == expected, (subscription, server)


def test_scaling_twice_is_refused_and_changes_nothing(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["vas", "demo", "--scale", SCALE])
    with app.app_context():
        before = _count(LedgerEntry)

    result = runner.invoke(args=["vas", "demo", "--scale", SCALE])

    assert result.exit_code != 0
    assert "already loaded" in result.output
    with app.app_context():
        assert _count(LedgerEntry) == before


def test_sizes_scale_from_the_full_production_size():
    full = demo_scale.Sizes.of(1)

    assert (full.customers, full.servers, full.tickets, full.ledger) == (
        200_000,
        1_000_000,
        2_000_000,
        5_000_000,
    )
    assert demo_scale.Sizes.of(0.5).servers == 500_000
