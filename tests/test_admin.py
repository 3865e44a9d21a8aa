"""The admin back office: access, customers, balance adjustments, servers, catalogue."""

import re
import warnings
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import Product
from vas.models import Server
from vas.models import User
from vas.services import ledger
from vas.services import payments
from vas.services.payments import Notification
from vas.services.payments import SandboxGateway

INTENT = re.compile(r'<input[^>]*name="intent"[^>]*value="([0-9a-f]{32})"')
FIELD = re.compile(r'<div class="field[ "].*?(?=<div class="field[ "]|</form>)', re.S)
ERROR = re.compile(r'<div class="field__error">(.*?)</div>')
NEXT_YEAR = date(date.today().year + 1, 3, 14)


PRODUCT_FORM = {
    "name": "Cloud S2",
    "type": "cloud",
    "monthly_price": "199.00",
    "description": "2 vCPU, 4 GB",
    "sort_order": "5",
    "is_active": "y",
    "cycle_1": "0",
    "cycle_3": "5",
    "cycle_6": "",
    "cycle_12": "15",
}


@pytest.fixture
def shop(make_customer, make_product, make_server):
    """One customer with ¥50.00, one product and one server of theirs."""
    customer = make_customer(balance="50.00")
    product = make_product()
    server = make_server(customer_id=customer.id, product_id=product.id)
    return {"customer": customer.id, "product": product.id, "server": server.id}


def _field_errors(html, name):
    """Return the error texts shown beside the form field ``name``."""
    for block in FIELD.findall(html):
        if f'name="{name}"' in block:
            return ERROR.findall(block)
    raise AssertionError(f"no field {name!r} on the page")


def _intent(client, customer_id):
    html = client.get(f"/admin/customers/{customer_id}").get_data(as_text=True)
    return INTENT.search(html).group(1)


def _adjust(client, customer_id, **form):
    """Post the adjustment form as rendered, with ``form`` filled in."""
    data = {"direction": "credit", "intent": _intent(client, customer_id), **form}
    return client.post(f"/admin/customers/{customer_id}/adjustments", data)


def _adjustments(app, customer_id):
    """Return (amount, cause, memo, actor) of the entries an admin made."""
    with app.app_context():
        entries = db.session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.customer_id == customer_id,
                LedgerEntry.actor_id.is_not(None),
            )
            .order_by(LedgerEntry.id)
        )
        return [(e.amount_cents, e.cause, e.memo, e.actor_id) for e in entries]


def _money(app, customer_id):
    with app.app_context():
        return ledger.balance_cents(customer_id), ledger.ledger_sum_cents(customer_id)


def _server(app, server_id):
    with app.app_context():
        server = db.session.get(Server, server_id)
        return server.status, server.due_date


def _products(app):
    """Return every product as (name, price, active, {months: discount})."""
    with app.app_context():
        rows = db.session.scalars(select(Product).order_by(Product.id))
        return [
            (
                p.name,
                p.monthly_price_cents,
                p.is_active,
                {c.months: c.discount_percent for c in p.cycles if c.is_enabled},
            )
            for p in rows
        ]


# Who may reach each admin route, and that a refusal changes nothing:
# tests/test_sweeps.py, with the route table in tests/routes.py.


@pytest.mark.parametrize(
    "url",
    [
        "/admin/customers/{customer}",
        "/admin/servers/{server}/edit",
        "/admin/products/new",
        "/admin/products/{product}/edit",
    ],
)
def test_admin_forms_render_with_warnings_as_errors(client, make_admin, shop, url):
    client.login(make_admin().email)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = client.get(url.format(**shop))

    assert response.status_code == 200


def test_admin_dashboard_shows_customer_count_and_balances_total(
    client, make_admin, make_customer
):
    make_customer(balance="1200.00")
    make_customer(balance="34.50")
    client.login(make_admin().email)

    response = client.get("/admin/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "¥1,234.50" in html
    assert 'stat__value">2<' in html


@pytest.mark.parametrize(
    "query",
    [
        "{id}",
        "zhang.wei@example.test",
        "ZHANG.WEI",
        "张伟",
        "  张伟  ",
    ],
)
def test_customer_search_matches_id_email_or_name(
    client, make_admin, make_customer, query
):
    alice = make_customer(email="zhang.wei@example.test", name="张伟")
    make_customer(email="li.na@example.test", name="李娜")
    admin = make_admin()
    client.login(admin.email)

    response = client.get(
        "/admin/customers", query_string={"q": query.format(id=alice.id)}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<td>zhang.wei@example.test</td>" in html
    assert "li.na@example.test" not in html
    assert admin.email not in html


def test_customer_list_without_query_lists_customers_but_not_staff(
    client, make_admin, make_agent, make_customer
):
    customer = make_customer()
    agent = make_agent()
    admin = make_admin()
    client.login(admin.email)

    html = client.get("/admin/customers").get_data(as_text=True)

    assert f"<td>{customer.email}</td>" in html
    assert agent.email not in html and admin.email not in html


def test_customer_search_without_match_says_so(client, make_admin, make_customer):
    make_customer()
    client.login(make_admin().email)

    html = client.get("/admin/customers?q=nobody-here").get_data(as_text=True)

    assert "没有符合条件的客户。" in html


def test_customer_search_for_htmx_returns_only_the_table(
    htmx_client, make_admin, make_customer
):
    alice = make_customer(email="alice@example.test")
    make_customer(email="bob@example.test")
    htmx_client.login(make_admin().email)

    response = htmx_client.get("/admin/customers?q=alice")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="customers">')
    assert f"<td>{alice.email}</td>" in html and "bob@example.test" not in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_customer_detail_shows_profile_balance_servers_and_ledger(
    client, make_admin, make_customer, make_server
):
    customer = make_customer(balance="1234.50", name="王芳")
    make_server(customer_id=customer.id, hostname="wang-web-01")
    client.login(make_admin().email)

    response = client.get(f"/admin/customers/{customer.id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "王芳" in html and customer.email in html
    assert 'id="balance">¥1,234.50<' in html
    assert "wang-web-01" in html
    assert "opening balance" in html and "后台调整" in html
    assert INTENT.search(html)


def test_customer_detail_of_staff_or_unknown_id_is_404(client, make_admin, make_agent):
    agent = make_agent()
    admin = make_admin()
    client.login(admin.email)

    statuses = [
        client.get(f"/admin/customers/{user_id}").status_code
        for user_id in (agent.id, admin.id, 999_999)
    ]

    assert statuses == [404, 404, 404]


def test_admin_credit_with_reason_writes_one_adjustment_entry(
    app, client, make_admin, make_customer
):
    customer = make_customer()
    admin = make_admin()
    client.login(admin.email)

    response = _adjust(
        client, customer.id, amount="25.50", reason="  compensation for outage  "
    )

    assert response.status_code == 303
    assert response.location == f"/admin/customers/{customer.id}"
    assert _adjustments(app, customer.id) == [
        (2550, "adjustment", "compensation for outage", admin.id)
    ]
    assert _money(app, customer.id) == (2550, 2550)
    html = client.get(response.location).get_data(as_text=True)
    assert "余额已调整。" in html
    assert 'id="balance">¥25.50<' in html and "compensation for outage" in html


def test_admin_debit_with_reason_takes_money_once(
    app, client, make_admin, make_customer
):
    customer = make_customer(balance="50.00")
    admin = make_admin()
    client.login(admin.email)

    response = _adjust(
        client, customer.id, direction="debit", amount="20", reason="chargeback"
    )

    assert response.status_code == 303
    assert _adjustments(app, customer.id) == [
        (-2000, "adjustment", "chargeback", admin.id)
    ]
    assert _money(app, customer.id) == (3000, 3000)


def test_admin_adjustment_over_htmx_answers_with_hx_redirect(
    app, htmx_client, make_admin, make_customer
):
    customer = make_customer()
    htmx_client.login(make_admin().email)

    response = _adjust(htmx_client, customer.id, amount="7.00", reason="goodwill")

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/admin/customers/{customer.id}"
    assert _money(app, customer.id) == (700, 700)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_adjustment_without_reason_is_refused_beside_the_reason(
    app, client, make_admin, make_customer, reason
):
    customer = make_customer(balance="50.00")
    client.login(make_admin().email)

    response = _adjust(client, customer.id, amount="10.00", reason=reason)

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "reason") == ["请填写原因。"]
    assert _adjustments(app, customer.id) == []
    assert _money(app, customer.id) == (5000, 5000)


def test_adjustment_with_an_overlong_reason_is_refused(
    app, client, make_admin, make_customer
):
    customer = make_customer()
    client.login(make_admin().email)

    response = _adjust(client, customer.id, amount="10.00", reason="x" * 501)

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "reason")
    assert _adjustments(app, customer.id) == []


def test_same_adjustment_form_posted_twice_moves_money_once(
    app, client, make_admin, make_customer
):
    customer = make_customer(balance="10.00")
    admin = make_admin()
    client.login(admin.email)
    form = {
        "direction": "credit",
        "amount": "15.00",
        "reason": "refund of overcharge",
        "intent": _intent(client, customer.id),
    }
    url = f"/admin/customers/{customer.id}/adjustments"

    first = client.post(url, form)
    client.get(first.location)
    again = client.post(url, form)
    replay_page = client.get(again.location).get_data(as_text=True)

    assert first.status_code == again.status_code == 303
    assert "该调整已经提交过，未重复执行。" in replay_page
    assert _adjustments(app, customer.id) == [
        (1500, "adjustment", "refund of overcharge", admin.id)
    ]
    assert _money(app, customer.id) == (2500, 2500)


def test_admin_debit_beyond_balance_shows_shortfall_beside_amount(
    app, client, make_admin, make_customer
):
    customer = make_customer(balance="12.00")
    client.login(make_admin().email)

    response = _adjust(
        client, customer.id, direction="debit", amount="20.00", reason="clawback"
    )

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "amount") == [
        "余额不足：需要 ¥20.00，当前余额 ¥12.00，还差 ¥8.00。"
    ]
    assert _adjustments(app, customer.id) == []
    assert _money(app, customer.id) == (1200, 1200)


@pytest.mark.parametrize(
    ("amount",     "message"),
    [
        ("",           "请输入金额。"),
        ("0",          "金额必须大于 0。"),
        ("-5",         "金额不能为负数。"),
        ("abc",        "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("1e3",        "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("NaN",        "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("1.005",      "金额最多两位小数。"),
        ("1000000.01", "金额不能超过 ¥1,000,000.00。"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("direction", ["credit", "debit"])
def test_adjustment_refuses_a_bad_amount_beside_the_field(
    app, client, make_admin, make_customer, direction, amount, message
):
    customer = make_customer(balance="50.00")
    client.login(make_admin().email)

    response = _adjust(
        client, customer.id, direction=direction, amount=amount, reason="typo"
    )

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "amount") == [message]
    assert _adjustments(app, customer.id) == []
    assert _money(app, customer.id) == (5000, 5000)


def test_adjustment_refuses_an_unknown_direction(
    app, client, make_admin, make_customer
):
    customer = make_customer(balance="50.00")
    client.login(make_admin().email)

    response = _adjust(
        client, customer.id, direction="steal", amount="5.00", reason="x"
    )

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "direction")
    assert _money(app, customer.id) == (5000, 5000)


def test_adjustment_without_csrf_token_is_refused(
    app, client, make_admin, make_customer
):
    customer = make_customer(balance="50.00")
    client.login(make_admin().email)

    response = client.post(
        f"/admin/customers/{customer.id}/adjustments",
        {"direction": "credit", "amount": "5", "reason": "x", "intent": "a" * 32},
        csrf=False,
    )

    assert response.status_code == 400
    assert _money(app, customer.id) == (5000, 5000)


def test_adjustment_of_a_staff_account_is_404(app, client, make_admin, make_agent):
    agent = make_agent()
    client.login(make_admin().email)

    response = client.post(
        f"/admin/customers/{agent.id}/adjustments",
        {"direction": "credit", "amount": "5", "reason": "x", "intent": "a" * 32},
    )

    assert response.status_code == 404
    assert _adjustments(app, agent.id) == []


def test_adjustment_with_a_stale_intent_tells_the_admin_why(
    app, client, make_admin, make_customer
):
    customer = make_customer()
    client.login(make_admin().email)

    response = client.post(
        f"/admin/customers/{customer.id}/adjustments",
        {"direction": "credit", "amount": "5", "reason": "x", "intent": "stale"},
    )

    assert response.status_code == 422
    assert _adjustments(app, customer.id) == []
    assert "表单已失效，请刷新页面后重试。" in response.get_data(as_text=True)


def test_server_edit_form_shows_the_current_due_date_and_status(
    client, make_admin, shop
):
    client.login(make_admin().email)

    html = client.get(f"/admin/servers/{shop['server']}/edit").get_data(as_text=True)

    assert re.search(
        r'name="due_date"[^>]*type="date"[^>]*value="\d{4}-\d\d-\d\d"', html
    )
    assert '<option selected value="active">' in html


def test_server_edit_changes_due_date_and_status(app, client, make_admin, shop):
    client.login(make_admin().email)

    response = client.post(
        f"/admin/servers/{shop['server']}/edit",
        {"due_date": NEXT_YEAR.isoformat(), "status": "suspended"},
    )

    assert response.status_code == 303
    assert response.location == "/admin/servers"
    assert _server(app, shop["server"]) == ("suspended", NEXT_YEAR)
    html = client.get("/admin/servers").get_data(as_text=True)
    assert NEXT_YEAR.isoformat() in html and "服务器已更新。" in html


@pytest.mark.parametrize("status", ["active", "suspended"])
def test_terminated_server_cannot_be_revived(
    app, client, make_admin, make_customer, make_server, status
):
    customer = make_customer()
    server = make_server(customer_id=customer.id, status="terminated")
    before = _server(app, server.id)
    client.login(make_admin().email)

    response = client.post(
        f"/admin/servers/{server.id}/edit",
        {"due_date": NEXT_YEAR.isoformat(), "status": status},
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<div class="field__error">已终止的服务器不能恢复。</div>' in html
    assert _server(app, server.id) == before


def test_terminated_server_may_have_its_due_date_corrected(
    app, client, make_admin, make_customer, make_server
):
    customer = make_customer()
    server = make_server(customer_id=customer.id, status="terminated")
    client.login(make_admin().email)

    response = client.post(
        f"/admin/servers/{server.id}/edit",
        {"due_date": NEXT_YEAR.isoformat(), "status": "terminated"},
    )

    assert response.status_code == 303
    assert _server(app, server.id) == ("terminated", NEXT_YEAR)


@pytest.mark.parametrize(
    ("due_date",   "message"),
    [
        ("",           "请选择到期日。"),
        ("2031-02-30", "不是有效的日期值。"),
        ("not-a-date", "不是有效的日期值。"),
        ("30/01/2031", "不是有效的日期值。"),
        ("2031-1-1x",  "不是有效的日期值。"),
    ],
)  # fmt: skip
def test_server_edit_refuses_an_invalid_due_date_beside_the_field(
    app, client, make_admin, shop, due_date, message
):
    before = _server(app, shop["server"])
    client.login(make_admin().email)

    response = client.post(
        f"/admin/servers/{shop['server']}/edit",
        {"due_date": due_date, "status": "suspended"},
    )

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "due_date") == [message]
    assert _server(app, shop["server"]) == before


def test_server_edit_refuses_an_unknown_status_beside_the_field(
    app, client, make_admin, shop
):
    before = _server(app, shop["server"])
    client.login(make_admin().email)

    response = client.post(
        f"/admin/servers/{shop['server']}/edit",
        {"due_date": NEXT_YEAR.isoformat(), "status": "deleted"},
    )

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "status") == [
        "不是有效的选择。"
    ]
    assert _server(app, shop["server"]) == before


def test_unknown_server_or_product_edit_is_404(client, make_admin):
    client.login(make_admin().email)

    statuses = [
        client.get("/admin/servers/999999/edit").status_code,
        client.get("/admin/products/999999/edit").status_code,
    ]

    assert statuses == [404, 404]


@pytest.mark.parametrize(
    ("query",                "visible"),
    [
        ("",                     "ab"),
        ("?status=suspended",    "b"),
        ("?status=bogus",        "ab"),
        ("?q=web",               "a"),
        ("?q=li.na@example",     "b"),
        ("?customer_id={alice}", "a"),
    ],
)  # fmt: skip
def test_server_list_filters_by_status_keyword_and_customer(
    client, make_admin, make_customer, make_server, query, visible
):
    alice = make_customer(email="zhang.wei@example.test")
    bob = make_customer(email="li.na@example.test")
    make_server(customer_id=alice.id, hostname="web-alice")
    make_server(customer_id=bob.id, hostname="db-bob", status="suspended")
    client.login(make_admin().email)

    response = client.get(f"/admin/servers{query.format(alice=alice.id)}")

    html = response.get_data(as_text=True)
    hostnames = {"a": "web-alice", "b": "db-bob"}
    assert response.status_code == 200
    assert {k for k, name in hostnames.items() if name in html} == set(visible)


def test_server_list_for_htmx_returns_only_the_table(
    htmx_client, make_admin, make_customer, make_server
):
    customer = make_customer()
    make_server(customer_id=customer.id, hostname="frag-host")
    htmx_client.login(make_admin().email)

    response = htmx_client.get("/admin/servers?q=frag")

    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="servers">') and "frag-host" in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_admin_creates_a_product_with_the_cycles_offered(app, client, make_admin):
    client.login(make_admin().email)

    response = client.post("/admin/products/new", PRODUCT_FORM)

    assert response.status_code == 303
    assert response.location == "/admin/products"
    assert _products(app) == [("Cloud S2", 19900, True, {1: 0, 3: 5, 12: 15})]
    with app.app_context():
        product = db.session.scalars(select(Product)).one()
        assert (product.type, product.description, product.sort_order) == (
            "cloud",
            "2 vCPU, 4 GB",
            5,
        )
    html = client.get("/admin/products").get_data(as_text=True)
    assert "Cloud S2" in html and "¥199.00" in html and "−15%" in html


def test_product_edit_form_shows_current_price_and_cycles(
    client, make_admin, make_product
):
    product = make_product(price="99.00")
    client.login(make_admin().email)

    html = client.get(f"/admin/products/{product.id}/edit").get_data(as_text=True)

    assert re.search(r'name="monthly_price"[^>]*value="99.00"', html)
    for months, discount in [(1, 0), (3, 5), (6, 8), (12, 15)]:
        assert re.search(rf'name="cycle_{months}"[^>]*value="{discount}"', html)


def test_admin_edits_product_price_cycles_and_sale_status(
    app, client, make_admin, make_product
):
    product = make_product(price="99.00")
    client.login(make_admin().email)
    form = {**PRODUCT_FORM, "monthly_price": "120.50", "cycle_1": "", "cycle_6": "10"}
    del form["is_active"]

    response = client.post(f"/admin/products/{product.id}/edit", form)

    assert response.status_code == 303
    assert _products(app) == [("Cloud S2", 12050, False, {3: 5, 6: 10, 12: 15})]
    html = client.get("/admin/products").get_data(as_text=True)
    assert "已下架" in html and "¥120.50" in html


def test_product_edit_can_offer_a_cycle_again(app, client, make_admin, make_product):
    product = make_product()
    client.login(make_admin().email)
    url = f"/admin/products/{product.id}/edit"

    client.post(url, {**PRODUCT_FORM, "cycle_1": "", "cycle_3": ""})
    client.post(url, {**PRODUCT_FORM, "cycle_1": "2", "cycle_3": ""})

    assert _products(app)[0][3] == {1: 2, 12: 15}


@pytest.mark.parametrize("target", ["new", "edit"])
def test_product_without_any_cycle_is_refused_beside_the_first_cycle(
    app, client, make_admin, make_product, target
):
    product = make_product()
    before = _products(app)
    client.login(make_admin().email)
    url = (
        "/admin/products/new"
        if target == "new"
        else f"/admin/products/{product.id}/edit"
    )
    no_cycles = {f"cycle_{m}": "" for m in (1, 3, 6, 12)}

    response = client.post(url, {**PRODUCT_FORM, **no_cycles})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _field_errors(html, "cycle_1") == ["至少启用一个计费周期。"]
    assert _products(app) == before


@pytest.mark.parametrize(
    ("price",        "message"),
    [
        ("",             "请输入金额。"),
        ("-1",           "金额不能为负数。"),
        ("abc",          "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("1e3",          "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("1.005",        "金额最多两位小数。"),
        ("100000000.00", "金额不能超过 ¥99,999,999.99。"),
    ],
)  # fmt: skip
def test_product_refuses_a_bad_price_beside_the_field(
    app, client, make_admin, price, message
):
    client.login(make_admin().email)

    response = client.post(
        "/admin/products/new", {**PRODUCT_FORM, "monthly_price": price}
    )

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "monthly_price") == [message]
    assert _products(app) == []


@pytest.mark.parametrize(
    ("field",    "value"),
    [
        ("cycle_3",  "91"),
        ("cycle_6",  "-1"),
        ("cycle_12", "abc"),
        ("cycle_1",  "5.5"),
        ("type",     "vps"),
        ("name",     ""),
    ],
)  # fmt: skip
def test_product_refuses_bad_fields_beside_them(
    app, client, make_admin, make_product, field, value
):
    product = make_product()
    before = _products(app)
    client.login(make_admin().email)

    response = client.post(
        f"/admin/products/{product.id}/edit", {**PRODUCT_FORM, field: value}
    )

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), field)
    assert _products(app) == before


def _ledger_rows(app, alice, bob):
    """Give alice an adjustment and bob a top-up, each with its own memo."""
    with app.app_context():
        for customer_id, cause, memo in [
            (alice, "adjustment", "alice-bonus"),
            (bob, "topup", "bob-topup"),
        ]:
            ledger.credit(
                customer_id,
                300,
                cause=cause,
                subject_type="test",
                subject_id=None,
                key=f"test:{memo}",
                memo=memo,
            )
        db.session.commit()


@pytest.mark.parametrize(
    ("query",                               "visible"),
    [
        ("",                                    "ab"),
        ("?customer_id={alice}",                "a"),
        ("?cause=topup",                        "b"),
        ("?cause=adjustment",                   "a"),
        ("?cause=bogus",                        "ab"),
        ("?customer_id={bob}&cause=adjustment", ""),
    ],
)  # fmt: skip
def test_ledger_list_filters_by_customer_and_cause(
    app, client, make_admin, make_customer, query, visible
):
    alice = make_customer()
    bob = make_customer()
    _ledger_rows(app, alice.id, bob.id)
    client.login(make_admin().email)

    response = client.get(f"/admin/ledger{query.format(alice=alice.id, bob=bob.id)}")

    html = response.get_data(as_text=True)
    memos = {"a": "alice-bonus", "b": "bob-topup"}
    assert response.status_code == 200
    assert {k for k, memo in memos.items() if memo in html} == set(visible)


def test_ledger_entries_name_what_they_were_posted_for(
    app, client, make_admin, make_customer
):
    customer = make_customer()
    with app.app_context():
        for n, (subject_type, subject_id) in enumerate(
            [
                ("user", customer.id),
                ("order", 7),
                ("ticket", 12),
                ("subscription", 5),
                ("payment", 3),
                ("push", 9),
                ("payment", None),
            ]
        ):
            ledger.credit(
                customer.id,
                100,
                cause="adjustment",
                subject_type=subject_type,
                subject_id=subject_id,
                key=f"test:subject:{n}",
                memo=f"memo-{n}",
            )
        db.session.commit()
    client.login(make_admin().email)

    html = client.get(f"/admin/ledger?customer_id={customer.id}").get_data(as_text=True)

    for shown in (
        f'<a href="/admin/customers/{customer.id}">用户 {customer.id}</a>',
        '<td class="small">订单 7</td>',
        '<a href="/agent/tickets/12">工单 12</a>',
        '<a href="/admin/vas/subscriptions/5">业务 5</a>',
        '<td class="small">充值单 3</td>',
        '<td class="small">推送 9</td>',
        '<td class="small">—</td>',
    ):
        assert shown in html, shown
    assert "order 7" not in html and f"user {customer.id}" not in html

    client.post("/language", {"locale": "en", "next": "/admin/"})
    english = client.get(f"/admin/ledger?customer_id={customer.id}").get_data(
        as_text=True
    )

    for shown in ("Order 7", "Ticket 12", "Subscription 5", "Top-up 3", "Push 9"):
        assert f">{shown}<" in english, shown


def _payments_in_every_state(app, customer_id):
    """Create a pending ¥11.11, a paid ¥22.22 and a failed ¥33.33 top-up."""
    with app.app_context():
        customer = db.session.get(User, customer_id)
        created = [
            payments.start_topup(customer, Decimal(amount), f"{n:032x}")
            for n, amount in enumerate(["11.11", "22.22", "33.33"], start=1)
        ]
        for payment, status in [(created[1], "paid"), (created[2], "failed")]:
            notification = Notification(
                payment.id, f"T{payment.id}", payment.amount_cents, status
            )
            payments.handle_notification("sandbox", SandboxGateway().sign(notification))
        db.session.commit()


@pytest.mark.parametrize(
    ("query",           "visible"),
    [
        ("",                "pdf"),
        ("?status=pending", "p"),
        ("?status=paid",    "d"),
        ("?status=failed",  "f"),
        ("?status=bogus",   "pdf"),
    ],
)  # fmt: skip
def test_payments_list_filters_by_status(
    app, client, make_admin, make_customer, query, visible
):
    customer = make_customer()
    _payments_in_every_state(app, customer.id)
    client.login(make_admin().email)

    response = client.get(f"/admin/payments{query}")

    html = response.get_data(as_text=True)
    amounts = {"p": "¥11.11", "d": "¥22.22", "f": "¥33.33"}
    assert response.status_code == 200
    assert {k for k, amount in amounts.items() if amount in html} == set(visible)
    assert _money(app, customer.id) == (2222, 2222)
