"""Checkout and orders as a customer sees them: products, the live summary,
pay now or later, the orders list, and every refusal writing nothing."""

import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import Client
from tests.sweep import snapshot
from vas.extensions import db
from vas.models import FreeUseGrant
from vas.models import ItemPrice
from vas.models import LedgerEntry
from vas.models import Order
from vas.models import PromoCode
from vas.models import Server
from vas.models import Subscription
from vas.services import ledger


@pytest.fixture
def shop(app, make_admin, make_customer, make_product, make_vas_catalog, offer_vas):
    """A VAS product (¥99.00/月), a web-hosting product, levels 基础/50/100."""
    admin = make_admin()
    catalog = make_vas_catalog(admin_id=admin.id, items=2, extra_levels=2)
    product = make_product(price="99.00", name="Cloud 2C4G")
    plain = make_product(type="web_hosting", price="15.00", name="Hosting Basic")
    offer_vas(admin_id=admin.id, product_ids=[product.id], free_uses=2)
    with app.app_context():
        db.session.add_all(
            [
                PromoCode(code="TEN", kind="percent", value=10),
                PromoCode(code="OFF20", kind="fixed", value=2000),
            ]
        )
        db.session.commit()
    base, bronze, silver = catalog["levels"]
    return SimpleNamespace(
        admin=admin,
        product=product,
        plain=plain,
        base=base,
        bronze=bronze,
        silver=silver,
        items=catalog["items"],
        customer=make_customer(balance="1000.00"),
        other=make_customer(balance="1000.00"),
    )


@pytest.fixture
def customer(client, shop):
    client.login(shop.customer.email)
    return client


def _form(shop, **fields):
    data = {
        "months": "3",
        "level_id": str(shop.silver),
        "promo_code": "",
        "intent": "a" * 32,
        "expected_total": "58215",
        "action": "pay",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def _counts(app, customer_id):
    with app.app_context():

        def count(model, column):
            return db.session.scalar(
                select(func.count()).select_from(model).where(column == customer_id)
            )

        return {
            "orders": count(Order, Order.customer_id),
            "servers": count(Server, Server.customer_id),
            "subscriptions": count(Subscription, Subscription.customer_id),
            "ledger": count(LedgerEntry, LedgerEntry.customer_id),
            "balance": ledger.balance_cents(customer_id),
        }


# --- products and levels --------------------------------------------------


def test_products_page_lists_orderable_products_with_type_and_price(customer, shop):
    html = customer.get("/orders/new").get_data(as_text=True)

    assert "Cloud 2C4G" in html and "Hosting Basic" in html
    assert "云服务器" in html and "虚拟主机" in html
    assert "¥99.00" in html and "¥15.00" in html
    assert f"/orders/new/{shop.product.id}" in html
    assert f"/orders/new/{shop.plain.id}" in html


def test_service_levels_page_shows_the_matrix_with_free_badges(app, customer, shop):
    with app.app_context():
        cell = db.session.scalars(
            select(ItemPrice).where(
                ItemPrice.item_id == shop.items[0], ItemPrice.level_id == shop.silver
            )
        ).one()
        cell.price_cents = 0
        db.session.commit()

    html = customer.get("/service-levels").get_data(as_text=True)

    assert "基础服务" in html and "¥100.00/月" in html
    assert html.count("badge--free") == 1
    assert "matrix__group" in html


# --- the checkout form ----------------------------------------------------


def test_checkout_offers_cycles_levels_with_base_preselected_and_the_tip(
    customer, shop
):
    response = customer.get(f"/orders/new/{shop.product.id}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    for months in (1, 3, 6, 12):
        assert f'name="months" value="{months}"' in html
    assert "优惠 15%" in html
    assert f'name="level_id" value="{shop.base}" checked' in html
    assert f'name="level_id" value="{shop.silver}">' in html
    assert "/service-levels" in html
    assert "购买即赠送 2 次免费增值服务" in html
    assert 'name="intent"' in html and 'name="expected_total" value="9900"' in html
    assert "立即支付" in html and "稍后支付" in html


def test_checkout_of_a_product_without_vas_shows_no_levels_and_no_tip(customer, shop):
    html = customer.get(f"/orders/new/{shop.plain.id}").get_data(as_text=True)

    assert 'name="level_id"' not in html
    assert "免费增值服务" not in html
    assert "/service-levels" not in html


def test_no_tip_when_no_free_uses_are_gifted(customer, shop, offer_vas):
    offer_vas(admin_id=shop.admin.id, product_ids=[shop.product.id], free_uses=0)

    html = customer.get(f"/orders/new/{shop.product.id}").get_data(as_text=True)

    assert 'name="level_id"' in html
    assert "免费增值服务" not in html


def test_unknown_product_is_404(customer, shop):
    assert customer.get("/orders/new/99999").status_code == 404


def test_summary_prices_the_server_line_with_discounts_and_vas_without(
    make_client, shop
):
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)

    response = htmx.post(
        f"/orders/new/{shop.product.id}/summary", _form(shop, promo_code="ten")
    )
    html = response.get_data(as_text=True)

    # 99 × 3 = 297.00; 5% = 14.85; 10% of 282.15 = 28.215 → 28.22 (half up).
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="order-summary"')
    assert "<html" not in html and 'name="months"' not in html
    for amount in ("¥297.00", "-¥14.85", "-¥28.22", "¥253.93", "¥300.00", "¥553.93"):
        assert amount in html, amount
    assert "¥100.00 × 3 个月" in html and "不参与任何折扣" in html
    assert 'name="expected_total" value="55393"' in html


def test_the_summary_counts_months_in_english_as_one_or_many(make_client, shop):
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)
    htmx.post("/language", {"locale": "en", "next": "/dashboard"})
    url = f"/orders/new/{shop.product.id}/summary"

    one = htmx.post(url, _form(shop, months="1")).get_data(as_text=True)
    three = htmx.post(url, _form(shop, months="3")).get_data(as_text=True)

    assert "¥99.00 × 1 month<" in one and "¥100.00 × 1 month " in one
    assert "1 months" not in one
    assert "¥99.00 × 3 months<" in three and "¥100.00 × 3 months " in three


def test_a_bad_promo_code_shows_beside_its_field_and_the_rest_still_prices(
    make_client, shop
):
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)

    response = htmx.post(
        f"/orders/new/{shop.product.id}/summary", _form(shop, promo_code="NOPE")
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert re.search(
        r'<div id="promo_code-errors" class="field__errors" hx-swap-oob="true">'
        r'<div class="field__error" role="alert">优惠码无效。</div>',
        html,
    )
    assert "¥582.15" in html  # 282.15 + 300.00, no promo
    assert 'name="expected_total" value="58215"' in html


def test_a_too_long_promo_code_is_refused_beside_its_field(app, customer, shop):
    before = _counts(app, shop.customer.id)

    response = customer.post(
        f"/orders/new/{shop.product.id}", _form(shop, promo_code="X" * 41)
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert re.search(
        r'<div id="promo_code-errors" class="field__errors">'
        r'<div class="field__error" role="alert">优惠码不能超过 40 个字符。</div>',
        html,
    )
    assert _counts(app, shop.customer.id) == before


def test_summary_needs_a_csrf_token(make_client, shop):
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)

    response = htmx.post(
        f"/orders/new/{shop.product.id}/summary", _form(shop), csrf=False
    )

    assert response.status_code == 400


def test_a_forged_level_on_a_product_without_vas_is_refused_beside_the_field(
    app, customer, shop
):
    before = _counts(app, shop.customer.id)

    response = customer.post(
        f"/orders/new/{shop.plain.id}",
        _form(shop, months="1", level_id=str(shop.silver), expected_total="1500"),
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert re.search(
        r'<div id="level_id-errors" class="field__errors">'
        r'<div class="field__error" role="alert">该产品不提供增值服务。</div>',
        html,
    )
    assert _counts(app, shop.customer.id) == before


def test_apply_re_renders_the_page_with_the_promo_priced(app, customer, shop):
    before = _counts(app, shop.customer.id)

    response = customer.post(
        f"/orders/new/{shop.product.id}",
        _form(shop, promo_code="OFF20", action="apply"),
    )

    assert response.status_code == 200
    assert "¥562.15" in response.get_data(as_text=True)
    assert _counts(app, shop.customer.id) == before


# --- paying ---------------------------------------------------------------


def test_pay_now_opens_the_server_and_lands_on_its_page(app, customer, shop):
    response = customer.post(f"/orders/new/{shop.product.id}", _form(shop))

    assert response.status_code == 303
    path = urlsplit(response.location).path
    assert re.fullmatch(r"/servers/\d+", path)
    server_id = int(path.rsplit("/", 1)[1])
    with app.app_context():
        server = db.session.get(Server, server_id)
        subscription = db.session.scalars(
            select(Subscription).where(Subscription.server_id == server_id)
        ).one()
        grant = db.session.scalars(
            select(FreeUseGrant).where(FreeUseGrant.subscription_id == subscription.id)
        ).one()
        assert server.customer_id == shop.customer.id
        assert server.billing_months == 3
        assert subscription.level_id == shop.silver
        assert subscription.expires_on == server.due_date
        assert grant.granted == 2
        assert ledger.balance_cents(shop.customer.id) == 100000 - 58215
    page = customer.get(path).get_data(as_text=True)
    assert "支付成功，产品已开通。" in page


def test_pay_later_places_an_unpaid_order_and_opens_it(app, customer, shop):
    before = _counts(app, shop.customer.id)

    response = customer.post(
        f"/orders/new/{shop.product.id}", _form(shop, action="later")
    )

    assert response.status_code == 303
    path = urlsplit(response.location).path
    assert re.fullmatch(r"/orders/\d+", path)
    after = _counts(app, shop.customer.id)
    assert after["orders"] == before["orders"] + 1
    assert after["servers"] == before["servers"]
    assert after["balance"] == before["balance"]
    html = customer.get(path).get_data(as_text=True)
    assert "待支付" in html and "订单已创建" in html


def test_a_double_submit_creates_one_order_and_charges_once(app, customer, shop):
    before = _counts(app, shop.customer.id)

    first = customer.post(f"/orders/new/{shop.product.id}", _form(shop))
    second = customer.post(f"/orders/new/{shop.product.id}", _form(shop))

    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    after = _counts(app, shop.customer.id)
    assert after["orders"] == before["orders"] + 1
    assert after["servers"] == before["servers"] + 1
    assert after["ledger"] == before["ledger"] + 1
    assert after["balance"] == before["balance"] - 58215


def test_too_little_balance_answers_402_with_the_shortfall_and_writes_nothing(
    app, client, shop, make_customer
):
    poor = make_customer(balance="100.00")
    client.login(poor.email)
    before = _counts(app, poor.id)
    tables = snapshot(app)

    response = client.post(f"/orders/new/{shop.product.id}", _form(shop))
    html = response.get_data(as_text=True)

    assert response.status_code == 402
    assert "还差 ¥482.15" in html
    assert 'href="/balance/top-ups"' in html
    assert 'name="promo_code"' in html  # the form is shown again
    assert _counts(app, poor.id) == before
    assert snapshot(app) == tables


def test_a_total_that_moved_is_refused_and_nothing_is_written(app, customer, shop):
    before = _counts(app, shop.customer.id)

    response = customer.post(
        f"/orders/new/{shop.product.id}", _form(shop, expected_total="100")
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 409
    assert "价格已变化" in html
    assert 'name="expected_total" value="58215"' in html
    assert _counts(app, shop.customer.id) == before


def test_a_missing_intent_is_refused(app, customer, shop):
    before = _counts(app, shop.customer.id)

    response = customer.post(f"/orders/new/{shop.product.id}", _form(shop, intent=""))

    assert response.status_code == 422
    assert "表单已失效" in response.get_data(as_text=True)
    assert _counts(app, shop.customer.id) == before


# --- orders ---------------------------------------------------------------


def _place_later(client, shop, n, **fields):
    response = client.post(
        f"/orders/new/{shop.product.id}",
        _form(shop, action="later", intent=f"{n:032x}", **fields),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    return int(urlsplit(response.location).path.rsplit("/", 1)[1])


def test_orders_list_newest_first_with_pay_and_cancel_on_unpaid(customer, shop):
    first = _place_later(customer, shop, 1)
    second = _place_later(customer, shop, 2, months="1", expected_total="19900")
    customer.post(f"/orders/{first}/cancel")

    html = customer.get("/orders").get_data(as_text=True)

    assert html.index(f'/orders/{second}"') < html.index(f'/orders/{first}"')
    assert f"/orders/{second}/pay" in html and f"/orders/{second}/cancel" in html
    assert f"/orders/{first}/pay" not in html
    assert "已取消" in html and "待支付" in html and "新购" in html
    assert "¥199.00" in html


def test_orders_list_pages_and_answers_htmx_with_the_table(customer, shop):
    for n in range(22):
        _place_later(customer, shop, n + 1)

    response = customer.get("/orders?page=2", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)

    assert html.lstrip().startswith('<div id="orders">')
    assert "第 2 / 2 页" in html
    assert "HX-Request" in response.headers["Vary"]


def test_order_page_shows_its_lines_vas_undiscounted(customer, shop):
    order_id = _place_later(customer, shop, 1)

    html = customer.get(f"/orders/{order_id}").get_data(as_text=True)

    assert "Cloud 2C4G" in html and "-¥14.85" in html
    assert "增值服务" in html and "¥300.00" in html and "不参与任何折扣" in html
    assert "¥582.15" in html


def test_paying_an_unpaid_order_opens_the_server(app, customer, shop):
    order_id = _place_later(customer, shop, 1)

    response = customer.post(f"/orders/{order_id}/pay")

    assert response.status_code == 303
    assert urlsplit(response.location).path.startswith("/servers/")
    with app.app_context():
        assert db.session.get(Order, order_id).status == "paid"


def test_paying_with_too_little_balance_shows_the_shortfall_and_stays_unpaid(
    app, client, shop, make_customer
):
    poor = make_customer(balance="100.00")
    client.login(poor.email)
    order_id = _place_later(client, shop, 1)
    before = _counts(app, poor.id)

    response = client.post(f"/orders/{order_id}/pay")
    html = response.get_data(as_text=True)

    assert response.status_code == 402
    assert "还差 ¥482.15" in html and "/balance/top-ups" in html
    assert _counts(app, poor.id) == before
    with app.app_context():
        assert db.session.get(Order, order_id).status == "unpaid"


def test_cancelling_an_order_once(app, customer, shop):
    order_id = _place_later(customer, shop, 1)

    first = customer.post(f"/orders/{order_id}/cancel")
    second = customer.post(f"/orders/{order_id}/cancel")
    paying = customer.post(f"/orders/{order_id}/pay")

    assert first.status_code == 303
    assert second.status_code == 409
    assert "只有未支付的订单可以取消" in second.get_data(as_text=True)
    assert paying.status_code == 409
    with app.app_context():
        assert db.session.get(Order, order_id).status == "cancelled"


# --- who may do what ------------------------------------------------------


def _routes(shop, order_id):
    return [
        ("GET", "/orders/new"),
        ("GET", "/service-levels"),
        ("GET", f"/orders/new/{shop.product.id}"),
        ("POST", f"/orders/new/{shop.product.id}"),
        ("POST", f"/orders/new/{shop.product.id}/summary"),
        ("GET", "/orders"),
        ("GET", f"/orders/{order_id}"),
        ("POST", f"/orders/{order_id}/pay"),
        ("POST", f"/orders/{order_id}/cancel"),
    ]


def test_another_customers_order_is_404_everywhere_and_nothing_changes(
    app, customer, make_client, shop
):
    order_id = _place_later(customer, shop, 1)
    intruder = make_client()
    intruder.login(shop.other.email)
    htmx = make_client(htmx=True)
    htmx.login(shop.other.email)
    before = snapshot(app)

    for client in (intruder, htmx):
        assert client.get(f"/orders/{order_id}").status_code == 404
        assert client.post(f"/orders/{order_id}/pay").status_code == 404
        assert client.post(f"/orders/{order_id}/cancel").status_code == 404
    assert f'/orders/{order_id}"' not in intruder.get("/orders").get_data(as_text=True)

    assert snapshot(app) == before


@pytest.mark.parametrize("role", ["anonymous", "agent", "admin"])
def test_only_customers_may_check_out(
    app, customer, shop, make_agent, make_admin, role
):
    order_id = _place_later(customer, shop, 1)
    client = Client(app)
    if role == "agent":
        client.login(make_agent().email)
    elif role == "admin":
        client.login(make_admin().email)
    before = snapshot(app)

    for method, url in _routes(shop, order_id):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, _form(shop), csrf=role != "anonymous")
        if role == "anonymous":
            assert response.status_code in (302, 400), (method, url)
            if method == "GET":
                assert urlsplit(response.location).path == "/login"
        else:
            assert response.status_code == 403, (method, url)

    assert snapshot(app) == before


def test_every_unsafe_route_needs_a_csrf_token(app, customer, shop):
    order_id = _place_later(customer, shop, 1)
    before = snapshot(app)

    for method, url in _routes(shop, order_id):
        if method == "POST":
            response = customer.post(url, _form(shop, intent="b" * 32), csrf=False)
            assert response.status_code == 400, url

    assert snapshot(app) == before


# --- query counts ---------------------------------------------------------


def _grow(app, make_customer, shop, n):
    """More customers, orders and promo codes that the pages must not loop over."""
    for _ in range(n):
        other = Client(app)
        other.login(make_customer(balance="10.00").email)
        _place_later(other, shop, n)


def test_summary_fragment_costs_a_fixed_number_of_queries(
    app, make_client, make_customer, shop, count_queries
):
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)
    url = f"/orders/new/{shop.product.id}/summary"
    htmx.post(url, _form(shop))
    with count_queries() as few:
        assert htmx.post(url, _form(shop, promo_code="TEN")).status_code == 200

    _grow(app, make_customer, shop, 6)
    with count_queries() as many:
        assert htmx.post(url, _form(shop, promo_code="TEN")).status_code == 200

    assert few.count == many.count, many.statements
    assert many.count <= 16


def test_the_summary_only_reads(app, make_client, shop, count_queries, backend):
    """Pricing the form takes no write lock on SQLite and is READ ONLY on PG."""
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)
    read_only = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if backend == "postgresql":
            read_only.append(conn.connection.driver_connection.read_only)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "after_cursor_execute", record)
    try:
        with count_queries() as summary:
            url = f"/orders/new/{shop.product.id}/summary"
            assert htmx.post(url, _form(shop)).status_code == 200
    finally:
        sa.event.remove(engine, "after_cursor_execute", record)

    if backend == "postgresql":
        assert read_only and all(read_only)
    else:
        assert "BEGIN DEFERRED" in summary.statements
        assert "BEGIN IMMEDIATE" not in summary.statements


@pytest.mark.parametrize("page", ["/orders", "/orders/new", "checkout"])
def test_order_pages_cost_a_fixed_number_of_queries(
    app, customer, make_customer, shop, count_queries, page
):
    url = f"/orders/new/{shop.product.id}" if page == "checkout" else page
    for n in range(3):
        _place_later(customer, shop, n + 1)
    with count_queries() as few:
        assert customer.get(url).status_code == 200

    for n in range(12):
        _place_later(customer, shop, n + 10)
    _grow(app, make_customer, shop, 3)
    with count_queries() as many:
        assert customer.get(url).status_code == 200

    assert few.count == many.count, many.statements
    assert many.count <= 16
