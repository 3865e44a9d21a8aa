"""The customer area: dashboard, own servers, balance history and who may enter."""

import re
from datetime import timedelta

from vas.extensions import db
from vas.services import ledger

CUSTOMER_PAGES = ["/dashboard", "/servers", "/balance", "/balance/top-ups"]


def _credit_entries(app, customer_id, count):
    """Give a customer ``count`` credits of ¥1.00, memos entry-01, entry-02, …"""
    with app.app_context():
        for n in range(1, count + 1):
            ledger.credit(
                customer_id,
                100,
                cause="topup",
                subject_type="test",
                subject_id=None,
                key=f"test:entry:{customer_id}:{n}",
                memo=f"entry-{n:02d}",
            )
        db.session.commit()


def _money(app, customer_id):
    with app.app_context():
        return ledger.balance_cents(customer_id), ledger.ledger_sum_cents(customer_id)


def test_dashboard_shows_balance_in_yuan_with_thousands_separator(
    client, make_customer
):
    customer = make_customer(balance="1234.50")
    client.login(customer.email)

    response = client.get("/dashboard")

    assert response.status_code == 200
    assert "¥1,234.50" in response.get_data(as_text=True)


def test_dashboard_lists_live_servers_due_within_fifteen_days(
    client, make_customer, make_server, today
):
    customer = make_customer()
    other = make_customer()
    # fmt: off
    servers = [
        ("soon-host",    "active",     5),
        ("overdue-host", "suspended",  -2),
        ("later-host",   "active",     40),
        ("ended-host",   "terminated", 3),
    ]
    # fmt: on
    for hostname, status, days in servers:
        make_server(
            customer_id=customer.id,
            status=status,
            due_date=today + timedelta(days=days),
            hostname=hostname,
        )
    make_server(
        customer_id=other.id, due_date=today + timedelta(days=1), hostname="their-host"
    )
    client.login(customer.email)

    html = client.get("/dashboard").get_data(as_text=True)

    assert "soon-host" in html and "overdue-host" in html
    assert (today + timedelta(days=5)).isoformat() in html
    assert "later-host" not in html
    assert "ended-host" not in html
    assert "their-host" not in html


def test_dashboard_without_servers_due_says_so(client, make_customer):
    customer = make_customer()
    client.login(customer.email)

    html = client.get("/dashboard").get_data(as_text=True)

    assert "近期没有到期的产品。" in html


def test_servers_page_lists_only_the_customers_own_servers(
    client, make_customer, make_server
):
    alice = make_customer()
    bob = make_customer()
    make_server(customer_id=alice.id, hostname="alice-web")
    make_server(customer_id=alice.id, status="terminated", hostname="alice-old")
    make_server(customer_id=bob.id, hostname="bob-db")
    client.login(alice.email)

    response = client.get("/servers")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "alice-web" in html and "alice-old" in html
    assert "bob-db" not in html


def test_servers_page_without_servers_shows_the_empty_state(client, make_customer):
    customer = make_customer()
    client.login(customer.email)

    html = client.get("/servers").get_data(as_text=True)

    assert "您还没有购买任何产品。" in html


def test_balance_page_shows_each_entry_with_its_cause_memo_and_sign(
    app, client, make_customer
):
    customer = make_customer(balance="10.00")
    with app.app_context():
        ledger.credit(
            customer.id,
            500,
            cause="topup",
            subject_type="payment",
            subject_id=None,
            key="test:topup",
            memo="gateway top-up",
        )
        ledger.debit(
            customer.id,
            250,
            cause="service_request",
            subject_type="ticket",
            subject_id=None,
            key="test:request",
            memo="disk cleanup",
        )
        db.session.commit()
    client.login(customer.email)

    html = client.get("/balance").get_data(as_text=True)

    for cause, memo in [
        ("后台调整", "opening balance"),
        ("充值", "gateway top-up"),
        ("增值服务请求", "disk cleanup"),
    ]:
        assert re.search(rf"<td>{cause}</td>\s*<td>{memo}</td>", html)
    assert "+¥5.00" in html and "-¥2.50" in html
    assert 'id="balance">¥12.50<' in html
    assert _money(app, customer.id) == (1250, 1250)


def test_balance_entries_link_to_the_order_or_ticket_they_paid_for(
    app, client, make_customer
):
    customer = make_customer(balance="10.00")
    with app.app_context():
        for cause, subject_type, subject_id, memo in [
            ("order", "order", 7, None),
            ("service_request", "ticket", 12, "disk cleanup"),
            ("topup", "payment", 3, None),
        ]:
            post = ledger.credit if cause == "topup" else ledger.debit
            post(
                customer.id,
                100,
                cause=cause,
                subject_type=subject_type,
                subject_id=subject_id,
                key=f"test:{cause}",
                memo=memo,
            )
        db.session.commit()
    client.login(customer.email)

    html = client.get("/balance").get_data(as_text=True)

    assert '<td><a href="/orders/7">订单 7</a></td>' in html
    assert '<td><a href="/tickets/12">工单 12</a> · disk cleanup</td>' in html
    assert re.search(r"<td>充值</td>\s*<td>—</td>", html)

    client.post("/language", {"locale": "en", "next": "/balance"})
    english = client.get("/balance").get_data(as_text=True)

    assert '<a href="/orders/7">Order 7</a>' in english
    assert '<a href="/tickets/12">Ticket 12</a>' in english


def test_balance_history_is_paginated_twenty_entries_a_page(app, client, make_customer):
    customer = make_customer()
    _credit_entries(app, customer.id, 25)
    client.login(customer.email)

    first = client.get("/balance").get_data(as_text=True)
    second = client.get("/balance?page=2").get_data(as_text=True)

    assert "entry-25" in first and "entry-06" in first
    assert "entry-05" not in first
    assert "第 1 / 2 页" in first and "共 25 条" in first
    assert "/balance?page=2" in first
    assert "entry-05" in second and "entry-01" in second
    assert "entry-06" not in second
    assert "第 2 / 2 页" in second


def test_balance_fragment_for_htmx_is_the_ledger_alone(app, htmx_client, make_customer):
    customer = make_customer()
    _credit_entries(app, customer.id, 25)
    htmx_client.login(customer.email)

    response = htmx_client.get("/balance?page=2")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="ledger">')
    assert "entry-05" in html and "entry-06" not in html
    assert "最近充值" not in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_history_restore_request_gets_the_whole_balance_page(
    htmx_client, make_customer
):
    customer = make_customer(balance="3.00")
    htmx_client.login(customer.email)

    response = htmx_client.get(
        "/balance", headers={"HX-History-Restore-Request": "true"}
    )

    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="ledger"' in html


def test_balance_full_page_also_varies_on_hx_request(client, make_customer):
    customer = make_customer()
    client.login(customer.email)

    response = client.get("/balance")

    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")


# Who may reach each customer page: tests/test_sweeps.py (tests/routes.py).
