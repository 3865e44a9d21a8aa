"""Subscriptions over time: level changes, proration, renewals and the sync job.

S1 (expiry equals the server's due date) and S2 (a renewal or upgrade is
charged once per period) are checked on the real services and databases,
with concurrent runs where a race could break them.
"""

import logging
import threading
from datetime import date
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import Server
from vas.models import ServiceLevel
from vas.models import Subscription
from vas.models import SubscriptionEvent
from vas.models import User
from vas.services import clock
from vas.services import ledger
from vas.services import levels
from vas.services import renewals
from vas.services import subscriptions
from vas.services import sync
from vas.services.subscriptions import prorate

DAY = date(2026, 12, 3)


@pytest.fixture
def plan(app, make_admin, make_product, offer_vas):
    """Cloud ¥99/month offering 基础服务 0, 铜牌服务 50, 银牌服务 100, 金牌服务 150."""
    admin = make_admin()
    cloud = make_product(type="cloud", price="99.00")
    with app.app_context():
        actor = db.session.get(User, admin.id)
        ids = {"admin": admin.id, "cloud": cloud.id}
        ids["base"] = levels.ensure_default(actor).id
        for key, name, price in (
            ("bronze", "铜牌服务", "50"),
            ("silver", "银牌服务", "100"),
            ("gold", "金牌服务", "150"),
        ):
            ids[key] = levels.create_level(
                name=name, monthly_price=Decimal(price), description="", actor=actor
            ).id
        db.session.commit()
    offer_vas(admin_id=admin.id, product_ids=[cloud.id], free_uses=1)
    return ids


@pytest.fixture
def bought(plan, make_customer, make_subscription):
    """A customer with ¥1,000.00 left after buying a cloud server on 铜牌服务."""

    def buy(level="bronze", months=1, balance="1000.00"):
        customer = make_customer(balance=balance)
        made = make_subscription(
            customer_id=customer.id,
            level_id=plan[level],
            product_id=plan["cloud"],
            months=months,
            today=DAY,
        )
        return {"customer": customer.id, **made}

    return buy


# difference/month, months, days left, period days -> cents (half-up once)
PRORATION = [
    (5000, 1, 31, 31, 5000),
    (5000, 1, 0, 31, 0),
    (5000, 1, 1, 31, 161),  # 161.29
    (5000, 1, 15, 31, 2419),  # 2419.35
    (5000, 1, 10, 30, 1667),  # 1666.67
    (10000, 1, 14, 28, 5000),
    (2, 1, 1, 4, 1),  # 0.5 rounds half-up
    (1, 1, 1, 3, 0),  # 0.33
    (5000, 3, 73, 90, 12167),  # 12166.67
    (10000, 12, 200, 365, 65753),  # 65753.42
    (15000, 6, 181, 181, 90000),
    (5000, 1, 40, 31, 5000),  # never more than the whole period
]


@pytest.mark.parametrize(
    ("difference", "months", "days_left", "period_days", "cents"), PRORATION
)
def test_proration_table(difference, months, days_left, period_days, cents):
    assert (
        prorate(difference, months=months, days_left=days_left, period_days=period_days)
        == cents
    )


# level bought, upgrade to, months, days after purchase -> cents charged
UPGRADES = [
    ("bronze", "silver", 1, 0, 5000),
    ("bronze", "gold", 1, 16, 4839),  # 10000 × 15/31 = 4838.71
    ("base", "silver", 3, 17, 24333),  # 30000 × 73/90 = 24333.33
    ("silver", "gold", 12, 165, 32877),  # 60000 × 200/365 = 32876.71
    ("bronze", "silver", 1, 31, 0),  # the last day: nothing left to charge
]


@pytest.mark.parametrize(("start", "target", "months", "after", "cents"), UPGRADES)
def test_an_upgrade_charges_the_prorated_difference_on_both_databases(
    app, plan, bought, start, target, months, after, cents
):
    made = bought(level=start, months=months, balance="2000.00")
    with app.app_context():
        customer = db.session.get(User, made["customer"])
        before = ledger.balance_cents(customer.id)
        quoted = subscriptions.quote_change(
            db.session.get(Subscription, made["subscription"]),
            db.session.get(ServiceLevel, plan[target]),
            today=DAY + timedelta(days=after),
        )
        change = subscriptions.change_level(
            customer,
            made["subscription"],
            plan[target],
            intent="a" * 32,
            expected_cents=quoted.charge_cents,
            today=DAY + timedelta(days=after),
        )
        db.session.commit()

        assert (change.kind, change.charge_cents) == ("upgrade", cents)
        assert ledger.balance_cents(customer.id) == before - cents
        assert (
            db.session.get(Subscription, made["subscription"]).level_id == plan[target]
        )
        if cents:
            entry = db.session.scalars(
                sa.select(LedgerEntry).where(LedgerEntry.cause == "upgrade")
            ).one()
            assert entry.amount_cents == -cents


def test_a_downgrade_waits_for_the_renewal_and_refunds_nothing(app, plan, bought):
    made = bought(level="gold")
    with app.app_context():
        customer = db.session.get(User, made["customer"])
        before = ledger.balance_cents(customer.id)
        change = subscriptions.change_level(
            customer, made["subscription"], plan["bronze"], intent="b" * 32, today=DAY
        )
        db.session.commit()
        subscription = db.session.get(Subscription, made["subscription"])

        assert (change.kind, change.charge_cents) == ("downgrade", 0)
        assert (subscription.level_id, subscription.next_level_id) == (
            plan["gold"],
            plan["bronze"],
        )
        assert ledger.balance_cents(customer.id) == before

        server = db.session.get(Server, made["server"])
        quote = renewals.quote_renewal(server)
        assert (quote.level.id, quote.vas_cents) == (plan["bronze"], 5000)
        renewals.renew(server, actor=customer, today=DAY)
        db.session.commit()

        subscription = db.session.get(Subscription, made["subscription"])
        assert (subscription.level_id, subscription.next_level_id) == (
            plan["bronze"],
            None,
        )
        assert ledger.balance_cents(customer.id) == before - 9900 - 5000
        kinds = db.session.scalars(
            sa.select(SubscriptionEvent.kind).order_by(SubscriptionEvent.id)
        ).all()
        assert kinds == ["created", "downgrade", "downgrade_applied", "renewal"]


def test_choosing_the_current_level_again_cancels_a_booked_downgrade(app, plan, bought):
    made = bought(level="silver")
    with app.app_context():
        customer = db.session.get(User, made["customer"])
        subscriptions.change_level(
            customer, made["subscription"], plan["base"], intent="c" * 32, today=DAY
        )
        change = subscriptions.change_level(
            customer, made["subscription"], plan["silver"], intent="d" * 32, today=DAY
        )
        db.session.commit()
        assert change.kind == "cancel_downgrade"
        assert db.session.get(Subscription, made["subscription"]).next_level_id is None

        with pytest.raises(subscriptions.LevelChangeRefused):
            subscriptions.quote_change(
                db.session.get(Subscription, made["subscription"]),
                db.session.get(ServiceLevel, plan["silver"]),
                today=DAY,
            )


def test_a_moved_quote_is_refused_with_nothing_charged(app, plan, bought):
    made = bought(level="bronze")
    with app.app_context():
        customer = db.session.get(User, made["customer"])
        before = ledger.balance_cents(customer.id)
        with pytest.raises(subscriptions.QuoteChanged):
            subscriptions.change_level(
                customer,
                made["subscription"],
                plan["gold"],
                intent="e" * 32,
                expected_cents=1,
                today=DAY,
            )
        db.session.rollback()
        assert ledger.balance_cents(customer.id) == before


def test_another_customers_subscription_is_not_found(app, plan, bought, make_customer):
    made = bought()
    stranger = make_customer(balance="1000.00")
    with app.app_context():
        with pytest.raises(Exception) as refusal:
            subscriptions.change_level(
                db.session.get(User, stranger.id),
                made["subscription"],
                plan["gold"],
                intent="f" * 32,
                today=DAY,
            )
    assert type(refusal.value).__name__ == "NotFound"


def _race(app, action, threads: int) -> list[str]:
    outcomes, lock = [], threading.Lock()
    start = threading.Barrier(threads)

    def work(n):
        start.wait()
        with app.app_context():
            try:
                result = action(n)
                db.session.commit()
            except Exception as exc:  # a refusal is an outcome, not a crash
                db.session.rollback()
                result = type(exc).__name__
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a thread hung"
    return outcomes


def test_twenty_concurrent_upgrades_to_one_level_charge_once(app, plan, bought):
    made = bought(level="bronze")

    def upgrade(n):
        change = subscriptions.change_level(
            db.session.get(User, made["customer"]),
            made["subscription"],
            plan["gold"],
            intent=f"{n:032x}",
            today=DAY,
        )
        return change.kind

    outcomes = _race(app, upgrade, 20)

    assert outcomes.count("upgrade") >= 1
    assert set(outcomes) <= {"upgrade", "LevelChangeRefused"}
    with app.app_context():
        charges = db.session.scalars(
            sa.select(LedgerEntry.amount_cents).where(LedgerEntry.cause == "upgrade")
        ).all()
        assert charges == [-10000]
        assert ledger.ledger_sum_cents(made["customer"]) == ledger.balance_cents(
            made["customer"]
        )


def test_a_renewal_is_charged_once_when_a_click_races_another(app, plan, bought):
    made = bought(level="silver")

    def renew(n):
        server = db.session.get(Server, made["server"])
        customer = db.session.get(User, made["customer"])
        renewals.renew(server, actor=customer, period_end=due, today=DAY)
        return "renewed"

    with app.app_context():
        due = db.session.get(Server, made["server"]).due_date
    outcomes = _race(app, renew, 10)

    assert sorted(outcomes) == ["RenewalRefused"] * 9 + ["renewed"]
    with app.app_context():
        server = db.session.get(Server, made["server"])
        assert server.due_date == clock.add_months(due, 1)
        assert db.session.get(Subscription, made["subscription"]).expires_on == (
            server.due_date
        )
        renewals_charged = db.session.scalars(
            sa.select(LedgerEntry.amount_cents).where(LedgerEntry.cause == "renewal")
        ).all()
        assert renewals_charged == [-(9900 + 10000)]


def _sync(app, today: date) -> sync.SyncReport:
    report = sync.SyncReport()
    with app.app_context():
        for step in (
            sync.apply_auto_renewals,
            sync.expire_overdue,
            sync.repair_subscriptions,
        ):
            step(today, report)
            db.session.commit()
    return report


def _set_server(app, server_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Server).where(Server.id == server_id).values(**values)
        )
        db.session.commit()


def test_sync_expires_overdue_servers_and_their_subscriptions(app, plan, bought):
    made = bought()
    with app.app_context():
        due = db.session.get(Server, made["server"]).due_date

    report = _sync(app, due + timedelta(days=1))

    assert report.expired == [made["server"]]
    with app.app_context():
        server = db.session.get(Server, made["server"])
        subscription = db.session.get(Subscription, made["subscription"])
        assert (server.status, server.suspended_for) == ("suspended", "expiry")
        assert (subscription.status, subscription.expires_on) == ("expired", due)


def test_sync_renews_auto_renewing_servers_and_lifts_the_expiry(app, plan, bought):
    made = bought(level="silver")
    with app.app_context():
        due = db.session.get(Server, made["server"]).due_date
    _sync(app, due + timedelta(days=1))  # expires: auto-renew is still off
    _set_server(app, made["server"], auto_renew=True)

    report = _sync(app, due + timedelta(days=2))

    assert report.renewed == [made["server"]]
    with app.app_context():
        server = db.session.get(Server, made["server"])
        subscription = db.session.get(Subscription, made["subscription"])
        assert server.due_date == clock.add_months(due, 1)
        assert (server.status, server.suspended_for) == ("active", None)
        assert (subscription.status, subscription.expires_on) == (
            "active",
            server.due_date,
        )


def test_sync_leaves_a_server_the_balance_does_not_cover(app, plan, bought):
    made = bought(level="silver", balance="0")
    _set_server(app, made["server"], auto_renew=True)
    with app.app_context():
        due = db.session.get(Server, made["server"]).due_date

    report = _sync(app, due + timedelta(days=1))

    assert report.renewed == []
    assert "余额不足" in report.not_renewed[made["server"]]
    assert report.expired == [made["server"]]
    with app.app_context():
        assert ledger.balance_cents(made["customer"]) == 0


def test_sync_repairs_drifted_subscriptions_and_logs_each(app, plan, bought, caplog):
    first, second = bought(), bought()
    with app.app_context():
        db.session.execute(
            sa.update(Subscription)
            .where(Subscription.id == first["subscription"])
            .values(expires_on=date(2030, 1, 1))
        )
        db.session.execute(
            sa.update(Subscription)
            .where(Subscription.id == second["subscription"])
            .values(status="cancelled")
        )
        db.session.commit()

    with caplog.at_level(logging.WARNING, logger="vas.services.subscriptions"):
        report = _sync(app, DAY)

    assert sorted(report.repaired) == sorted(
        [first["subscription"], second["subscription"]]
    )
    assert len([r for r in caplog.records if "repaired subscription" in r.message]) == 2
    with app.app_context():
        for made in (first, second):
            server = db.session.get(Server, made["server"])
            subscription = db.session.get(Subscription, made["subscription"])
            assert (subscription.expires_on, subscription.status) == (
                server.due_date,
                "active",
            )
    assert _sync(app, DAY).repaired == []


def test_two_sync_runs_at_once_charge_each_renewal_once(app, plan, bought):
    made = [bought(level=level) for level in ("bronze", "silver", "gold", "base")]
    for each in made:
        _set_server(app, each["server"], auto_renew=True)
    with app.app_context():
        day = max(db.session.get(Server, m["server"]).due_date for m in made)

    def run(n):
        report = sync.SyncReport()
        for step in (
            sync.apply_auto_renewals,
            sync.expire_overdue,
            sync.repair_subscriptions,
        ):
            step(day, report)
            db.session.commit()
        return ",".join(map(str, sorted(report.renewed)))

    outcomes = _race(app, run, 2)

    renewed = [int(x) for outcome in outcomes for x in outcome.split(",") if x]
    assert sorted(renewed) == sorted(m["server"] for m in made)
    with app.app_context():
        for each in made:
            charged = db.session.scalar(
                sa.select(sa.func.count()).where(
                    LedgerEntry.customer_id == each["customer"],
                    LedgerEntry.cause == "renewal",
                )
            )
            assert charged == 1
            server = db.session.get(Server, each["server"])
            subscription = db.session.get(Subscription, each["subscription"])
            assert subscription.expires_on == server.due_date
            assert ledger.ledger_sum_cents(each["customer"]) == ledger.balance_cents(
                each["customer"]
            )


def test_a_renewal_of_a_retired_level_falls_back_to_the_default(app, plan, bought):
    made = bought(level="gold")
    with app.app_context():
        levels.retire_level(
            db.session.get(ServiceLevel, plan["gold"]),
            actor=db.session.get(User, plan["admin"]),
        )
        server = db.session.get(Server, made["server"])
        renewals.renew(server, actor=None, today=DAY)
        db.session.commit()
        subscription = db.session.get(Subscription, made["subscription"])
        assert subscription.level_id == plan["base"]
        assert subscription.expires_on == server.due_date


def test_the_sync_command_reports_each_step(app, plan, bought):
    made = bought()
    with app.app_context():
        due = db.session.get(Server, made["server"]).due_date

    result = app.test_cli_runner().invoke(
        args=["vas", "sync", "--today", (due + timedelta(days=1)).isoformat()]
    )

    assert result.exit_code == 0, result.output
    assert "expired 1" in result.output
    with app.app_context():
        assert db.session.get(Subscription, made["subscription"]).status == "expired"
