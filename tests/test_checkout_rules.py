"""Checkout rules on the real services: pricing, eligibility, paying once.

The pages are tested in test_checkout_pages.py; here the rules themselves,
as tables where they are tables.
"""

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from vas.extensions import db
from vas.models import FreeUseGrant
from vas.models import LedgerEntry
from vas.models import Order
from vas.models import OrderLine
from vas.models import Product
from vas.models import PromoCode
from vas.models import Server
from vas.models import ServiceLevel
from vas.models import Subscription
from vas.models import User
from vas.services import checkout
from vas.services import ledger
from vas.services import levels
from vas.services import vas_settings
from vas.services.errors import InsufficientBalance


@pytest.fixture
def shop(app, make_admin, make_product, offer_vas):
    """Cloud ¥99/month offering 基础服务 0, 铜牌服务 50, 银牌服务 100."""
    admin = make_admin()
    cloud = make_product(type="cloud", price="99.00")
    with app.app_context():
        actor = db.session.get(User, admin.id)
        levels.ensure_default(actor)
        bronze = levels.create_level(
            name="铜牌服务", monthly_price=Decimal("50"), description="", actor=actor
        )
        silver = levels.create_level(
            name="银牌服务", monthly_price=Decimal("100"), description="", actor=actor
        )
        db.session.add_all(
            [
                PromoCode(code="PCT10", kind="percent", value=10),
                PromoCode(code="PCT100", kind="percent", value=100),
                PromoCode(code="FIX20", kind="fixed", value=2000),
                PromoCode(code="FIX9999", kind="fixed", value=999900),
                PromoCode(code="ONCE", kind="fixed", value=100, max_uses=1),
            ]
        )
        db.session.commit()
        ids = {
            "admin": admin.id,
            "cloud": cloud.id,
            "base": levels.default_level().id,
            "bronze": bronze.id,
            "silver": silver.id,
        }
    offer_vas(admin_id=admin.id, product_ids=[cloud.id], free_uses=2)
    return ids


def _quote(app, product_id, months, level_id, promo=""):
    with app.app_context():
        return checkout.quote(
            db.session.get(Product, product_id),
            months=months,
            level_id=level_id,
            promo_code=promo,
        )


# months, promo,     server list, cycle off, promo off, VAS line at 银牌服务 ¥100
NO_DISCOUNT_ON_VAS = [
    (1, "", 9900, 0, 0, 10000),
    (3, "", 29700, 1485, 0, 30000),
    (6, "", 59400, 4752, 0, 60000),
    (12, "", 118800, 17820, 0, 120000),
    (1, "PCT10", 9900, 0, 990, 10000),
    (12, "PCT10", 118800, 17820, 10098, 120000),
    (1, "PCT100", 9900, 0, 9900, 10000),
    (3, "FIX20", 29700, 1485, 2000, 30000),
    (6, "FIX9999", 59400, 4752, 54648, 60000),
    (12, "fix20", 118800, 17820, 2000, 120000),
]


@pytest.mark.parametrize(
    ("months", "promo", "server_list", "cycle_off", "promo_off", "vas"),
    NO_DISCOUNT_ON_VAS,
)
def test_discounts_reduce_the_server_line_and_never_the_vas_line(
    app, shop, make_customer, months, promo, server_list, cycle_off, promo_off, vas
):
    priced = _quote(app, shop["cloud"], months, shop["silver"], promo)

    assert priced.server_list_cents == server_list
    assert priced.cycle_discount_cents == cycle_off
    assert priced.promo_discount_cents == promo_off
    assert priced.vas_cents == vas == 10000 * months
    assert priced.total_cents == server_list - cycle_off - promo_off + vas

    customer = make_customer()
    with app.app_context():
        order = checkout.place_order(
            db.session.get(User, customer.id),
            product_id=shop["cloud"],
            months=months,
            level_id=shop["silver"],
            promo_code=promo,
            intent="a" * 32,
        )
        db.session.commit()
        lines = {line.kind: line for line in order.lines}
    assert lines["vas"].discount_cents == 0
    assert lines["vas"].amount_cents == vas
    assert lines["server"].discount_cents == cycle_off + promo_off


@pytest.mark.parametrize("product_type", ["web_hosting", "domain", "cloud"])
def test_products_not_offered_never_show_levels_and_refuse_a_forged_level(
    app, shop, make_product, product_type
):
    # The cloud product here is eligible by type but not chosen by the admin.
    other = make_product(type=product_type)

    with app.app_context():
        assert checkout.offer(other.id).levels == []
        with pytest.raises(checkout.CheckoutRefused) as refusal:
            checkout.quote(
                db.session.get(Product, other.id), months=1, level_id=shop["base"]
            )
    assert refusal.value.field == "level_id"


def test_switching_vas_off_withdraws_the_levels_everywhere(app, shop):
    with app.app_context():
        vas_settings.save(
            enabled=False,
            product_ids=[shop["cloud"]],
            free_uses=2,
            actor=db.session.get(User, shop["admin"]),
        )
        db.session.commit()
        assert checkout.offer(shop["cloud"]).levels == []
        with pytest.raises(checkout.CheckoutRefused):
            checkout.quote(
                db.session.get(Product, shop["cloud"]), months=1, level_id=shop["base"]
            )


def test_offer_preselects_the_default_level_and_tips_the_free_uses(app, shop):
    with app.app_context():
        offer = checkout.offer(shop["cloud"])

        assert [level.name for level in offer.levels] == [
            "基础服务",
            "铜牌服务",
            "银牌服务",
        ]
        assert offer.default_level.name == "基础服务"
        assert "2" in offer.free_use_tip


def test_a_retired_level_cannot_be_bought(app, shop):
    with app.app_context():
        levels.retire_level(
            db.session.get(ServiceLevel, shop["bronze"]),
            actor=db.session.get(User, shop["admin"]),
        )
        db.session.commit()
    with pytest.raises(checkout.CheckoutRefused) as refusal:
        _quote(app, shop["cloud"], 1, shop["bronze"])
    assert refusal.value.field == "level_id"


@pytest.mark.parametrize(
    ("code", "message"),
    [("NOPE", "优惠码无效"), ("ONCE-USED", "优惠码已用完")],
)
def test_bad_promo_codes_are_refused_beside_their_field(app, shop, code, message):
    with app.app_context():
        db.session.add(
            PromoCode(
                code="ONCE-USED", kind="fixed", value=100, max_uses=1, used_count=1
            )
        )
        db.session.commit()
    with pytest.raises(checkout.CheckoutRefused) as refusal:
        _quote(app, shop["cloud"], 1, shop["base"], code)
    assert refusal.value.field == "promo_code"
    assert message in str(refusal.value.message)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(
                sa.select(sa.func.count()).select_from(model)
            )
            for model in (Order, Server, Subscription, FreeUseGrant, LedgerEntry)
        }


def test_paying_creates_server_subscription_and_free_uses_in_one_go(
    app, shop, make_customer, today
):
    customer = make_customer(balance="600.00")
    with app.app_context():
        person = db.session.get(User, customer.id)
        order = checkout.place_order(
            person,
            product_id=shop["cloud"],
            months=3,
            level_id=shop["silver"],
            promo_code="PCT10",
            intent="b" * 32,
        )
        paid = checkout.pay_order(person, order.id, today=today)
        db.session.commit()

        assert paid.order.status == "paid"
        assert paid.server.due_date == paid.subscription.expires_on
        assert paid.server.billing_months == 3
        assert paid.subscription.level_id == shop["silver"]
        grant = db.session.scalars(sa.select(FreeUseGrant)).one()
        assert (grant.granted, grant.used, grant.order_id) == (2, 0, order.id)
        promo = db.session.scalars(
            sa.select(PromoCode).where(PromoCode.code == "PCT10")
        ).one()
        assert promo.used_count == 1
        # 297.00 - 14.85 cycle - 28.22 promo + 300.00 VAS = 553.93
        assert order.total_cents == 55393
        assert ledger.balance_cents(customer.id) == 60000 - 55393
        assert ledger.ledger_sum_cents(customer.id) == ledger.balance_cents(customer.id)


def test_too_little_balance_creates_nothing_and_names_the_shortfall(
    app, shop, make_customer
):
    customer = make_customer(balance="100.00")
    with app.app_context():
        order = checkout.place_order(
            db.session.get(User, customer.id),
            product_id=shop["cloud"],
            months=1,
            level_id=shop["silver"],
            promo_code="",
            intent="c" * 32,
        )
        db.session.commit()
        order_id = order.id
    before = _counts(app)

    with app.app_context():
        with pytest.raises(InsufficientBalance) as refusal:
            checkout.pay_order(db.session.get(User, customer.id), order_id)
        db.session.rollback()

    assert "¥99.00" in str(refusal.value.message)  # 199.00 needed, 100.00 held
    assert _counts(app) == before
    with app.app_context():
        assert db.session.get(Order, order_id).status == "unpaid"
        assert ledger.balance_cents(customer.id) == 10000


def test_free_uses_at_zero_grant_nothing(app, shop, make_customer, offer_vas):
    offer_vas(admin_id=shop["admin"], product_ids=[shop["cloud"]], free_uses=0)
    customer = make_customer(balance="1000.00")
    with app.app_context():
        person = db.session.get(User, customer.id)
        assert checkout.offer(shop["cloud"]).free_use_tip is None
        order = checkout.place_order(
            person,
            product_id=shop["cloud"],
            months=1,
            level_id=shop["base"],
            promo_code="",
            intent="d" * 32,
        )
        checkout.pay_order(person, order.id)
        db.session.commit()
    assert _counts(app)["FreeUseGrant"] == 0
    assert _counts(app)["Subscription"] == 1


def test_a_price_changed_after_ordering_is_refused_before_any_charge(
    app, shop, make_customer
):
    customer = make_customer(balance="1000.00")
    with app.app_context():
        person = db.session.get(User, customer.id)
        order = checkout.place_order(
            person,
            product_id=shop["cloud"],
            months=1,
            level_id=shop["silver"],
            promo_code="",
            intent="e" * 32,
        )
        db.session.get(ServiceLevel, shop["silver"]).monthly_price_cents = 12000
        db.session.commit()
        with pytest.raises(checkout.PriceChanged) as refusal:
            checkout.pay_order(person, order.id)
        db.session.rollback()
    assert "¥219.00" in str(refusal.value.message)
    assert ledger_entries_of(app, customer.id) == 1  # the opening credit only


def ledger_entries_of(app, customer_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).where(LedgerEntry.customer_id == customer_id)
        )


def test_the_same_submission_places_one_order(app, shop, make_customer):
    customer = make_customer()
    with app.app_context():
        person = db.session.get(User, customer.id)
        ids = {
            checkout.place_order(
                person,
                product_id=shop["cloud"],
                months=1,
                level_id=shop["base"],
                promo_code="",
                intent="f" * 32,
            ).id
            for _ in range(3)
        }
        db.session.commit()
    assert len(ids) == 1
    assert _counts(app)["Order"] == 1


def test_twenty_concurrent_payments_of_one_order_charge_once(app, shop, make_customer):
    customer = make_customer(balance="1000.00")
    with app.app_context():
        order = checkout.place_order(
            db.session.get(User, customer.id),
            product_id=shop["cloud"],
            months=1,
            level_id=shop["silver"],
            promo_code="",
            intent="0" * 32,
        )
        db.session.commit()
        order_id, total = order.id, order.total_cents
    outcomes, lock = [], threading.Lock()
    start = threading.Barrier(20)

    def pay():
        start.wait()
        with app.app_context():
            try:
                paid = checkout.pay_order(db.session.get(User, customer.id), order_id)
                db.session.commit()
                result = "replay" if paid.replayed else "paid"
            except Exception as exc:  # any failure is a finding
                db.session.rollback()
                result = repr(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=pay) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["paid"] + ["replay"] * 19
    counts = _counts(app)
    assert (counts["Server"], counts["Subscription"]) == (1, 1)
    assert ledger_entries_of(app, customer.id) == 2  # opening credit + one debit
    with app.app_context():
        assert ledger.balance_cents(customer.id) == 100000 - total
        assert ledger.ledger_sum_cents(customer.id) == 100000 - total
        vas_lines = db.session.scalars(
            sa.select(OrderLine).where(OrderLine.kind == "vas")
        ).all()
        assert [line.amount_cents for line in vas_lines] == [10000]
