"""Top-ups: the form, the sandbox gateway and its signed notifications (M1, M4, M7)."""

import re

import pytest
from sqlalchemy import func
from sqlalchemy import select

from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import Payment
from vas.services import ledger
from vas.services.payments import Notification
from vas.services.payments import SandboxGateway

INTENT = re.compile(r'<input[^>]*name="intent"[^>]*value="([0-9a-f]{32})"')
FIELD = re.compile(r'<div class="field[ "].*?(?=<div class="field[ "]|</form>)', re.S)
ERROR = re.compile(r'<div class="field__error">(.*?)</div>')
NOTIFY = "/payments/notify/sandbox"


def _field_errors(html, name):
    """Return the error texts shown beside the form field ``name``."""
    for block in FIELD.findall(html):
        if f'name="{name}"' in block:
            return ERROR.findall(block)
    raise AssertionError(f"no field {name!r} on the page")


def _intent(client):
    html = client.get("/balance/top-ups").get_data(as_text=True)
    return INTENT.search(html).group(1)


def _start_topup(client, amount):
    """Submit the top-up form once; return the new payment's id."""
    response = client.post(
        "/balance/top-ups", {"amount": amount, "intent": _intent(client)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(response.location.rsplit("/", 1)[1])


def _signed(app, payment_id, amount_cents, status="paid", txn_id=None):
    """Sign a notification the way the sandbox gateway does."""
    with app.app_context():
        return SandboxGateway().sign(
            Notification(
                payment_id=payment_id,
                txn_id=txn_id or f"SBX{payment_id:010d}",
                amount_cents=amount_cents,
                status=status,
            )
        )


def _payment(app, payment_id):
    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        return payment.status, payment.gateway_txn_id, payment.amount_cents


def _payment_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Payment.id)))


def _money(app, customer_id):
    """Return balance, ledger sum and number of top-up entries of a customer."""
    with app.app_context():
        topups = db.session.scalar(
            select(func.count(LedgerEntry.id)).where(
                LedgerEntry.customer_id == customer_id, LedgerEntry.cause == "topup"
            )
        )
        return (
            ledger.balance_cents(customer_id),
            ledger.ledger_sum_cents(customer_id),
            topups,
        )


def test_top_up_form_carries_an_amount_field_and_a_fresh_intent(client, make_customer):
    customer = make_customer(balance="8.00")
    client.login(customer.email)

    first = client.get("/balance/top-ups").get_data(as_text=True)
    second = client.get("/balance/top-ups").get_data(as_text=True)

    assert 'name="amount"' in first and "¥8.00" in first
    assert INTENT.search(first).group(1) != INTENT.search(second).group(1)


@pytest.mark.parametrize(
    ("amount",   "message"),
    [
        ("",         "请输入金额。"),
        ("   ",      "请输入金额。"),
        ("0",        "金额必须大于 0。"),
        ("0.00",     "金额必须大于 0。"),
        ("-5",       "金额不能为负数。"),
        ("abc",      "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("1e3",      "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("NaN",      "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("1,000",    "金额格式不正确，请输入如 100 或 99.50 的数字。"),
        ("1.005",    "金额最多两位小数。"),
        ("50000.01", "金额不能超过 ¥50,000.00。"),
    ],
)  # fmt: skip
def test_top_up_refuses_a_bad_amount_beside_the_field(
    app, client, make_customer, amount, message
):
    customer = make_customer()
    client.login(customer.email)

    response = client.post(
        "/balance/top-ups", {"amount": amount, "intent": _intent(client)}
    )

    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "amount") == [message]
    assert _payment_count(app) == 0


@pytest.mark.parametrize(
    ("amount",     "cents"),
    [
        ("0.01",       1),
        ("100",        10000),
        ("99.5",       9950),
        ("¥88",        8800),
        ("１２．５０", 1250),
        ("50000.00",   5000000),
    ],
)  # fmt: skip
def test_top_up_accepts_an_amount_and_hands_over_to_the_gateway(
    app, client, make_customer, amount, cents
):
    customer = make_customer()
    client.login(customer.email)

    payment_id = _start_topup(client, amount)

    assert _payment(app, payment_id) == ("pending", None, cents)
    assert _money(app, customer.id) == (0, 0, 0)


def test_same_top_up_form_posted_twice_creates_one_pending_payment(
    app, client, make_customer
):
    customer = make_customer()
    client.login(customer.email)
    form = {"amount": "30.00", "intent": _intent(client)}

    first = client.post("/balance/top-ups", form)
    again = client.post("/balance/top-ups", form)

    assert first.status_code == again.status_code == 303
    assert first.location == again.location
    assert _payment_count(app) == 1
    payment_id = int(first.location.rsplit("/", 1)[1])
    assert _payment(app, payment_id) == ("pending", None, 3000)


def test_top_up_without_csrf_token_is_refused(app, client, make_customer):
    customer = make_customer()
    client.login(customer.email)

    response = client.post(
        "/balance/top-ups", {"amount": "10", "intent": _intent(client)}, csrf=False
    )

    assert response.status_code == 400
    assert _payment_count(app) == 0


def test_top_up_with_a_stale_intent_tells_the_customer_why(app, client, make_customer):
    customer = make_customer()
    client.login(customer.email)

    response = client.post("/balance/top-ups", {"amount": "10", "intent": "stale"})

    assert response.status_code == 422
    assert _payment_count(app) == 0
    assert "表单已失效，请刷新页面后重试。" in response.get_data(as_text=True)


def test_sandbox_page_shows_the_amount_and_pending_status(client, make_customer):
    customer = make_customer()
    client.login(customer.email)
    payment_id = _start_topup(client, "1234.50")

    response = client.get(f"/payments/sandbox/{payment_id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "¥1,234.50" in html and "待支付" in html
    assert 'name="succeed"' in html and 'name="fail"' in html


def test_sandbox_success_credits_the_balance_once(app, client, make_customer):
    customer = make_customer(balance="5.00")
    client.login(customer.email)
    payment_id = _start_topup(client, "100.00")

    first = client.post(f"/payments/sandbox/{payment_id}", {"succeed": "1"})
    again = client.post(f"/payments/sandbox/{payment_id}", {"succeed": "1"})

    assert first.status_code == again.status_code == 303
    assert first.location == "/balance"
    assert _payment(app, payment_id) == ("paid", f"SBX{payment_id:010d}", 10000)
    assert _money(app, customer.id) == (10500, 10500, 1)
    html = client.get("/balance").get_data(as_text=True)
    assert "充值成功，余额已到账。" in html
    assert 'badge--ok">已到账<' in html and 'id="balance">¥105.00<' in html


def test_replayed_paid_notification_does_not_credit_again(
    app, client, make_client, make_customer
):
    customer = make_customer()
    client.login(customer.email)
    payment_id = _start_topup(client, "40.00")
    client.post(f"/payments/sandbox/{payment_id}", {"succeed": "1"})
    gateway = make_client()

    response = gateway.post(NOTIFY, _signed(app, payment_id, 4000), csrf=False)

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "success"
    assert _payment(app, payment_id)[0] == "paid"
    assert _money(app, customer.id) == (4000, 4000, 1)


def test_gateway_notification_alone_credits_once_however_often_it_arrives(
    app, client, make_client, make_customer
):
    customer = make_customer(balance="1.00")
    client.login(customer.email)
    payment_id = _start_topup(client, "25.00")
    gateway = make_client()
    notification = _signed(app, payment_id, 2500)

    statuses = [
        gateway.post(NOTIFY, notification, csrf=False).status_code for _ in range(3)
    ]

    assert statuses == [200, 200, 200]
    assert _payment(app, payment_id) == ("paid", f"SBX{payment_id:010d}", 2500)
    assert _money(app, customer.id) == (2600, 2600, 1)


def test_sandbox_failure_leaves_the_balance_and_marks_the_payment_failed(
    app, client, make_customer
):
    customer = make_customer(balance="5.00")
    client.login(customer.email)
    payment_id = _start_topup(client, "60.00")

    failed = client.post(f"/payments/sandbox/{payment_id}", {"fail": "1"})
    html = client.get("/balance").get_data(as_text=True)
    later = client.post(f"/payments/sandbox/{payment_id}", {"succeed": "1"})

    assert failed.status_code == later.status_code == 303
    assert "支付未完成，余额未变动。" in html and 'badge--danger">支付失败<' in html
    assert _payment(app, payment_id)[0] == "failed"
    assert _money(app, customer.id) == (500, 500, 0)


def test_settling_without_csrf_token_is_refused(app, client, make_customer):
    customer = make_customer()
    client.login(customer.email)
    payment_id = _start_topup(client, "10.00")

    response = client.post(
        f"/payments/sandbox/{payment_id}", {"succeed": "1"}, csrf=False
    )

    assert response.status_code == 400
    assert _payment(app, payment_id) == ("pending", None, 1000)
    assert _money(app, customer.id) == (0, 0, 0)


@pytest.mark.parametrize(
    ("change",                   "resign", "status"),
    [
        ({"signature": "0" * 64},    False,    400),
        ({"signature": None},        False,    400),
        ({"amount_cents": "1"},      False,    400),
        ({"amount_cents": "999999"}, False,    400),
        ({"txn_id": "SBX-FORGED"},   False,    400),
        ({"status": "failed"},       False,    400),
        ({"amount_cents": "1"},      True,     409),
        ({"amount_cents": "abc"},    False,    400),
        ({"status": "refunded"},     True,     400),
        ({"payment_id": "999999"},   True,     404),
    ],
)  # fmt: skip
def test_tampered_notification_is_refused_and_changes_nothing(
    app, client, make_client, make_customer, change, resign, status
):
    customer = make_customer(balance="2.00")
    client.login(customer.email)
    payment_id = _start_topup(client, "30.00")
    fields = {**_signed(app, payment_id, 3000), **change}
    fields = {k: v for k, v in fields.items() if v is not None}
    if resign:
        fields = _signed(
            app,
            int(fields["payment_id"]),
            int(fields["amount_cents"]),
            fields["status"],
            fields["txn_id"],
        )

    response = make_client().post(NOTIFY, fields, csrf=False)

    assert response.status_code == status
    assert _payment(app, payment_id) == ("pending", None, 3000)
    assert _money(app, customer.id) == (200, 200, 0)


def test_second_transaction_for_a_paid_payment_is_refused(
    app, client, make_client, make_customer
):
    customer = make_customer()
    client.login(customer.email)
    payment_id = _start_topup(client, "20.00")
    client.post(f"/payments/sandbox/{payment_id}", {"succeed": "1"})

    response = make_client().post(
        NOTIFY, _signed(app, payment_id, 2000, txn_id="SBX-SECOND"), csrf=False
    )

    assert response.status_code == 409
    assert _payment(app, payment_id) == ("paid", f"SBX{payment_id:010d}", 2000)
    assert _money(app, customer.id) == (2000, 2000, 1)


def test_notification_for_an_unknown_gateway_is_404(
    app, client, make_client, make_customer
):
    customer = make_customer()
    client.login(customer.email)
    payment_id = _start_topup(client, "20.00")

    response = make_client().post(
        "/payments/notify/alipay", _signed(app, payment_id, 2000), csrf=False
    )

    assert response.status_code == 404
    assert _payment(app, payment_id) == ("pending", None, 2000)


@pytest.mark.parametrize(
    ("method", "data"),
    [
        ("get",    {}),
        ("post",   {"succeed": "1"}),
        ("post",   {"fail": "1"}),
    ],
)  # fmt: skip
def test_another_customers_sandbox_page_is_404_and_changes_nothing(
    app, client, make_client, make_customer, method, data
):
    alice = make_customer(balance="3.00")
    bob = make_customer(balance="4.00")
    client.login(alice.email)
    payment_id = _start_topup(client, "50.00")
    intruder = make_client()
    intruder.login(bob.email)

    if method == "get":
        response = intruder.get(f"/payments/sandbox/{payment_id}")
    else:
        response = intruder.post(f"/payments/sandbox/{payment_id}", data)

    assert response.status_code == 404
    assert _payment(app, payment_id) == ("pending", None, 5000)
    assert _money(app, alice.id) == (300, 300, 0)
    assert _money(app, bob.id) == (400, 400, 0)


def test_anonymous_visitor_of_the_sandbox_is_sent_to_login(make_client):
    response = make_client().get("/payments/sandbox/1")

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("factory", ["make_agent", "make_admin"])
def test_staff_cannot_open_or_settle_a_sandbox_payment(
    request, app, client, make_client, make_customer, factory
):
    customer = make_customer()
    client.login(customer.email)
    payment_id = _start_topup(client, "15.00")
    staff = make_client()
    staff.login(request.getfixturevalue(factory)().email)

    shown = staff.get(f"/payments/sandbox/{payment_id}")
    settled = staff.post(f"/payments/sandbox/{payment_id}", {"succeed": "1"})

    assert shown.status_code == settled.status_code == 403
    assert _payment(app, payment_id) == ("pending", None, 1500)


def test_balance_equals_ledger_sum_after_mixed_top_ups(app, client, make_customer):
    customer = make_customer(balance="0.30")
    client.login(customer.email)
    outcomes = [("0.10", "succeed"), ("0.10", "fail"), ("0.20", "succeed")]

    for amount, choice in outcomes:
        payment_id = _start_topup(client, amount)
        client.post(f"/payments/sandbox/{payment_id}", {choice: "1"})
    pending = _start_topup(client, "7.77")

    assert _payment(app, pending)[0] == "pending"
    assert _money(app, customer.id) == (60, 60, 2)
