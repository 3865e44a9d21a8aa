"""The product detail page (用户详情页): facts, level, matrix, level changes
and renewal, with every refusal writing nothing and 404 for anyone else."""

import re
from datetime import date
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import Client
from tests.sweep import snapshot
from tests.ticket_helpers import assert_inert
from vas.extensions import db
from vas.models import ItemPrice
from vas.models import Server
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.models import Subscription
from vas.services import ledger
from vas.services import subscriptions


@pytest.fixture
def shop(
    app,
    make_admin,
    make_customer,
    make_product,
    make_vas_catalog,
    offer_vas,
    make_subscription,
    make_server,
):
    """Customer A holds a 3-month server at the ¥50 level with 2 free uses."""
    admin = make_admin()
    catalog = make_vas_catalog(admin_id=admin.id, items=3, extra_levels=2)
    product = make_product(price="99.00", name="Cloud 2C4G")
    offer_vas(admin_id=admin.id, product_ids=[product.id], free_uses=2)
    base, bronze, silver = catalog["levels"]
    with app.app_context():
        cell = db.session.scalars(
            select(ItemPrice).where(
                ItemPrice.item_id == catalog["items"][0], ItemPrice.level_id == bronze
            )
        ).one()
        cell.price_cents = 0
        db.session.commit()
    customer = make_customer(balance="500.00")
    bought = make_subscription(
        customer_id=customer.id, level_id=bronze, product_id=product.id, months=3
    )
    return SimpleNamespace(
        admin=admin,
        product=product,
        base=base,
        bronze=bronze,
        silver=silver,
        items=catalog["items"],
        customer=customer,
        other=make_customer(balance="500.00"),
        server=bought["server"],
        subscription=bought["subscription"],
        bare=make_server(customer_id=customer.id, hostname="no-vas-host").id,
    )


@pytest.fixture
def customer(client, shop):
    client.login(shop.customer.email)
    return client


def _state(app, shop):
    with app.app_context():
        subscription = db.session.get(Subscription, shop.subscription)
        server = db.session.get(Server, shop.server)
        return {
            "level": subscription.level_id,
            "next_level": subscription.next_level_id,
            "expires": subscription.expires_on,
            "due": server.due_date,
            "balance": ledger.balance_cents(shop.customer.id),
        }


def _quote(app, shop, level_id):
    with app.app_context():
        return subscriptions.quote_change(
            db.session.get(Subscription, shop.subscription),
            db.session.get(ServiceLevel, level_id),
        )


# --- the page -------------------------------------------------------------


def test_the_page_shows_facts_level_free_uses_and_the_matrix(customer, shop):
    response = customer.get(f"/servers/{shop.server}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert f"产品ID {shop.server}" in html
    assert "Cloud 2C4G" in html and "云服务器" in html and "3 个月" in html
    assert '<strong class="current-level">' in html
    assert "正常" in html and "剩余免费次数" in html
    assert '<strong class="free-uses">2</strong>' in html
    head = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    assert head.count("is-current") == 1 and "当前等级" in head
    current = re.findall(r'<td class="matrix__cell is-current">(.*?)</td>', html, re.S)
    assert len(current) == 3
    assert "badge--free" in current[0] and "¥100.00" in current[1]
    assert html.count("badge--free") == 1


def test_the_servers_list_links_to_the_page(customer, shop):
    html = customer.get("/servers").get_data(as_text=True)

    assert f'href="/servers/{shop.server}"' in html


def test_a_server_without_vas_shows_facts_and_renewal_only(customer, shop):
    html = customer.get(f"/servers/{shop.bare}").get_data(as_text=True)

    assert "no-vas-host" in html and "该产品未开通增值服务" in html
    assert "matrix--customer" not in html
    assert f"/servers/{shop.bare}/renew" in html
    assert customer.get(
        f"/servers/{shop.bare}/level-change?level_id=1"
    ).status_code == (404)


def test_the_renewal_box_prices_vas_without_discount(customer, shop):
    html = customer.get(f"/servers/{shop.server}").get_data(as_text=True)
    box = re.search(r'<section class="card renewal".*?</section>', html, re.S).group(0)

    # 297.00 − 5% (14.85) + 50.00 × 3 undiscounted = 432.15
    for amount in ("¥297.00", "-¥14.85", "¥150.00", "¥432.15"):
        assert amount in box, amount
    assert "不参与任何折扣" in box and 'name="expected_total" value="43215"' in box
    assert 'type="submit">续费</button>' in box


def test_the_renewal_box_reads_renewal_and_renew_in_english(customer, shop):
    customer.post("/language", {"locale": "en", "next": "/dashboard"})

    html = customer.get(f"/servers/{shop.server}").get_data(as_text=True)
    box = re.search(r'<section class="card renewal".*?</section>', html, re.S).group(0)

    assert '<h2 class="card__title">Renewal</h2>' in box
    assert 'type="submit">Renew</button>' in box
    assert "× 3 months" in box


# --- previews -------------------------------------------------------------


def test_upgrade_preview_charges_the_rest_of_the_period(app, make_client, shop):
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)
    change = _quote(app, shop, shop.silver)

    response = htmx.get(f"/servers/{shop.server}/level-change?level_id={shop.silver}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="level-change"')
    assert f"剩余 {change.days_left} / {change.period_days} 天" in html
    assert f'name="expected_cents" type="hidden" value="{change.charge_cents}"' in html
    assert change.charge_cents > 0 and "确认升级并支付" in html


def test_preview_without_htmx_is_the_whole_page(customer, shop):
    response = customer.get(
        f"/servers/{shop.server}/level-change?level_id={shop.silver}"
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<html" in html and "确认升级并支付" in html and "matrix--customer" in html
    assert "HX-Request" in response.headers["Vary"]


def test_downgrade_preview_applies_at_renewal_without_refund(make_client, shop, app):
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)
    expires = _state(app, shop)["expires"].isoformat()

    html = htmx.get(
        f"/servers/{shop.server}/level-change?level_id={shop.base}"
    ).get_data(as_text=True)

    assert f"下次续费（{expires}）时生效" in html and "不退还" in html
    assert "确认预约降级" in html


def test_preview_of_the_current_level_shows_the_refusal(make_client, shop):
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)

    html = htmx.get(
        f"/servers/{shop.server}/level-change?level_id={shop.bronze}"
    ).get_data(as_text=True)

    assert "您已经是该服务等级" in html and "<form" not in html


def test_preview_of_an_unknown_level_is_404(customer, shop):
    url = f"/servers/{shop.server}/level-change?level_id=99999"
    assert customer.get(url).status_code == 404


# --- changing level -------------------------------------------------------


def _change(client, shop, level_id, expected, intent="c" * 32):
    return client.post(
        f"/servers/{shop.server}/level-change",
        {"level_id": str(level_id), "expected_cents": str(expected), "intent": intent},
    )


def test_upgrade_charges_once_and_redirects_back(app, customer, shop):
    before = _state(app, shop)
    charge = _quote(app, shop, shop.silver).charge_cents

    first = _change(customer, shop, shop.silver, charge)
    landed = customer.get(f"/servers/{shop.server}").get_data(as_text=True)
    again = _change(customer, shop, shop.silver, charge)

    assert first.status_code == 303
    assert urlsplit(first.location).path == f"/servers/{shop.server}"
    assert "已升级为" in landed
    assert again.status_code == 409  # already at that level: no second charge
    after = _state(app, shop)
    assert after["level"] == shop.silver
    assert after["balance"] == before["balance"] - charge


def test_a_charge_that_moved_is_refused_and_nothing_changes(app, customer, shop):
    before = _state(app, shop)

    response = _change(customer, shop, shop.silver, 1)

    assert response.status_code == 409
    assert "费用已变化" in response.get_data(as_text=True)
    assert _state(app, shop) == before


def test_upgrade_with_too_little_balance_shows_the_shortfall(
    app, client, shop, make_customer, make_subscription
):
    poor = make_customer()
    bought = make_subscription(
        customer_id=poor.id, level_id=shop.base, product_id=shop.product.id
    )
    client.login(poor.email)
    before = snapshot(app)
    with app.app_context():
        charge = subscriptions.quote_change(
            db.session.get(Subscription, bought["subscription"]),
            db.session.get(ServiceLevel, shop.silver),
        ).charge_cents

    response = client.post(
        f"/servers/{bought['server']}/level-change",
        {
            "level_id": str(shop.silver),
            "expected_cents": str(charge),
            "intent": "e" * 32,
        },
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 402
    assert "余额不足" in html and "还差" in html and "/balance/top-ups" in html
    assert snapshot(app) == before


def test_downgrade_waits_for_renewal_and_shows_on_the_page(app, customer, shop):
    before = _state(app, shop)

    response = _change(customer, shop, shop.base, 0)

    assert response.status_code == 303
    after = _state(app, shop)
    assert after["level"] == shop.bronze and after["next_level"] == shop.base
    assert after["balance"] == before["balance"]
    html = customer.get(f"/servers/{shop.server}").get_data(as_text=True)
    assert "已预约在" in html and "基础服务" in html


# --- renewal --------------------------------------------------------------


def test_renewal_moves_the_due_date_and_charges_the_quote(app, customer, shop):
    before = _state(app, shop)

    response = customer.post(
        f"/servers/{shop.server}/renew", {"expected_total": "43215"}
    )

    assert response.status_code == 303
    after = _state(app, shop)
    assert after["due"] > before["due"] and after["expires"] == after["due"]
    assert after["balance"] == before["balance"] - 43215
    assert "续费成功" in customer.get(f"/servers/{shop.server}").get_data(as_text=True)


def test_renewal_at_a_moved_price_is_refused(app, customer, shop):
    before = _state(app, shop)

    response = customer.post(f"/servers/{shop.server}/renew", {"expected_total": "1"})

    assert response.status_code == 409
    assert "价格已变化" in response.get_data(as_text=True)
    assert _state(app, shop) == before


def test_renewal_with_too_little_balance_changes_nothing(
    app, client, shop, make_customer, make_subscription
):
    poor = make_customer()
    bought = make_subscription(
        customer_id=poor.id, level_id=shop.silver, product_id=shop.product.id
    )
    client.login(poor.email)
    with app.app_context():
        due = db.session.get(Server, bought["server"]).due_date
    before = snapshot(app)

    response = client.post(
        f"/servers/{bought['server']}/renew", {"expected_total": "19900"}
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 402
    assert "还差 ¥199.00" in html and "/balance/top-ups" in html
    assert due.isoformat() in html  # the page shows the due date that stays
    assert snapshot(app) == before


# --- who may do what ------------------------------------------------------


def _routes(shop, server_id):
    return [
        ("GET", f"/servers/{server_id}"),
        ("GET", f"/servers/{server_id}/level-change?level_id={shop.silver}"),
        ("POST", f"/servers/{server_id}/level-change"),
        ("POST", f"/servers/{server_id}/renew"),
    ]


def _post_data(shop):
    return {
        "level_id": str(shop.silver),
        "expected_cents": "0",
        "intent": "f" * 32,
        "expected_total": "43215",
    }


def test_another_customers_server_is_404_everywhere_and_nothing_changes(
    app, make_client, shop
):
    before = snapshot(app)
    for htmx in (False, True):
        intruder = make_client(htmx=htmx)
        intruder.login(shop.other.email)
        for method, url in _routes(shop, shop.server):
            if method == "GET":
                response = intruder.get(url)
            else:
                response = intruder.post(url, _post_data(shop))
            assert response.status_code == 404, (method, url, htmx)

    assert snapshot(app) == before


@pytest.mark.parametrize("role", ["anonymous", "agent", "admin"])
def test_only_the_customer_may_use_the_page(app, shop, make_agent, make_admin, role):
    client = Client(app)
    if role == "agent":
        client.login(make_agent().email)
    elif role == "admin":
        client.login(make_admin().email)
    before = snapshot(app)

    for method, url in _routes(shop, shop.server):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, _post_data(shop), csrf=role != "anonymous")
        if role == "anonymous":
            assert response.status_code in (302, 400), (method, url)
            if method == "GET":
                assert urlsplit(response.location).path == "/login"
        else:
            assert response.status_code == 403, (method, url)

    assert snapshot(app) == before


def test_changes_and_renewals_need_a_csrf_token(app, customer, shop):
    before = snapshot(app)

    for method, url in _routes(shop, shop.server):
        if method == "POST":
            response = customer.post(url, _post_data(shop), csrf=False)
            assert response.status_code == 400, url

    assert snapshot(app) == before


# --- cost and safety ------------------------------------------------------


def test_the_page_costs_a_fixed_number_of_queries(
    app, customer, shop, make_customer, make_subscription, count_queries
):
    url = f"/servers/{shop.server}"
    with count_queries() as few:
        assert customer.get(url).status_code == 200

    with app.app_context():
        from tests import factories

        factories.vas_catalog(admin_id=shop.admin.id, items=6, extra_levels=1)
        db.session.commit()
    for _ in range(3):
        other = make_customer()
        make_subscription(
            customer_id=other.id, level_id=shop.silver, product_id=shop.product.id
        )
    with count_queries() as many:
        assert customer.get(url).status_code == 200

    assert few.count == many.count, many.statements
    # The user, the server with its product, the subscription, the billing
    # cycles, the levels, the items, the prices and the free uses left.
    assert many.count <= 8, many.statements


XSS = "<img src=x onerror=alert(1)>"


def test_hostile_level_and_item_names_render_inert(app, customer, make_client, shop):
    with app.app_context():
        db.session.get(ServiceLevel, shop.bronze).name = XSS
        db.session.get(ServiceItem, shop.items[0]).name = XSS
        db.session.commit()
    htmx = make_client(htmx=True)
    htmx.login(shop.customer.email)

    page = customer.get(f"/servers/{shop.server}").get_data(as_text=True)
    preview = htmx.get(
        f"/servers/{shop.server}/level-change?level_id={shop.bronze}"
    ).get_data(as_text=True)
    levels_page = customer.get("/service-levels").get_data(as_text=True)

    for html in (page, levels_page):
        assert "<img" not in html
        assert_inert(html, XSS)
    assert "<img" not in preview


def test_today_is_inside_the_period(shop, app):
    """Guard for the previews above: the period has days left to charge."""
    state = _state(app, shop)
    assert state["expires"] > date.today()


# --- automatic renewal ---------------------------------------------------


def _auto_renew(app, server_id) -> bool:
    with app.app_context():
        return db.session.get(Server, server_id).auto_renew


def test_customer_switches_auto_renewal_on_and_the_sync_job_renews(app, customer, shop):
    page = customer.get(f"/servers/{shop.server}").get_data(as_text=True)
    assert 'name="auto_renew" value="1"' in page

    response = customer.post(f"/servers/{shop.server}/auto-renew", {"auto_renew": "1"})

    assert response.status_code == 303
    assert _auto_renew(app, shop.server) is True
    with app.app_context():
        due = db.session.get(Server, shop.server).due_date
    result = app.test_cli_runner().invoke(args=["vas", "sync", "--today", str(due)])
    assert "Renewed 1 server(s)" in result.output, result.output
    with app.app_context():
        server = db.session.get(Server, shop.server)
        subscription = db.session.get(Subscription, shop.subscription)
        assert server.due_date > due and subscription.expires_on == server.due_date

    customer.post(f"/servers/{shop.server}/auto-renew", {"auto_renew": "0"})
    assert _auto_renew(app, shop.server) is False


def test_another_customer_cannot_switch_auto_renewal(app, make_client, shop):
    other = make_client()
    other.login(shop.other.email)
    before = snapshot(app)

    response = other.post(f"/servers/{shop.server}/auto-renew", {"auto_renew": "1"})

    assert response.status_code == 404
    assert snapshot(app) == before
