"""Requesting a service item through a business technical ticket.

The covering rule as a table (free at the level, then a free use, then the
balance), what the form shows before submitting, the refusals that leave
nothing behind, one charge per form submission, and the concurrency
figures of GUARANTEES.md (37 of 200 paid requests, 3 free uses of 100).
"""

import re
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import Client
from tests.money_harness import audit
from tests.money_harness import hammer
from tests.sweep import snapshot
from tests.ticket_helpers import field_errors
from tests.ticket_helpers import form_values
from vas.extensions import db
from vas.models import FreeUseGrant
from vas.models import LedgerEntry
from vas.models import OutboxEmail
from vas.models import Server
from vas.models import ServiceItem
from vas.models import ServiceRecord
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import User
from vas.services import departments
from vas.services import ledger
from vas.services import service_requests
from vas.services import vas_settings
from vas.services.errors import InsufficientBalance
from vas.services.service_requests import ChargeChanged


def _form(vd, item_id, **overrides) -> dict:
    data = {
        "department": str(vd.desk.tech.id),
        "server": str(vd.server),
        "item_id": str(item_id),
        "subject": "",
        "body": "Please tune nginx.",
        "intent": uuid.uuid4().hex,
    }
    data.update(overrides)
    return data


def _quoted(app, vd, item_id) -> int:
    with app.app_context():
        customer = db.session.get(User, vd.desk.customer_a.id)
        return service_requests.quote(
            customer, server_id=vd.server, item_id=item_id
        ).charge_cents


def _submit(client, app, vd, item_id, **overrides):
    data = _form(vd, item_id, **overrides)
    data.setdefault("expected_charge", str(_quoted(app, vd, item_id)))
    return client.post("/tickets/new", data)


def _free_uses_left(app, subscription_id) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(
                    func.coalesce(func.sum(FreeUseGrant.granted - FreeUseGrant.used), 0)
                ).where(FreeUseGrant.subscription_id == subscription_id)
            )
        )


def _records(app, subscription_id) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            select(ServiceRecord)
            .where(ServiceRecord.subscription_id == subscription_id)
            .order_by(ServiceRecord.id)
        )
        return [(r.item_id, r.source, r.price_cents, r.charged_cents) for r in rows]


@pytest.fixture
def customer_a(client, vas_desk):
    client.login(vas_desk.desk.customer_a.email)
    return client


# --- the covering rule, as a table ------------------------------------------

# (price at the level, free uses left, balance) → (source, text in the system
# message, ledger effect in cents, free uses after). None: refused, nothing
# written.
FREE = "服务价格: 免费（"
USED_LAST = "已使用免费次数 1 次，剩余 0 次"
USED_ONE = "已使用免费次数 1 次，剩余 1 次"
PAID_100 = "服务价格: ¥100.00。客户已支付"
PAID_CENT = "服务价格: ¥0.01。客户已支付"
# fmt: off
COVERING = [
    # price    uses  balance   source        message    ledger  uses after
    ("0",       1,   "0",      "free_level", FREE,      0,      1),
    ("0",       0,   "0",      "free_level", FREE,      0,      0),
    ("100.00",  1,   "0",      "free_use",   USED_LAST, 0,      0),
    ("100.00",  2,   "500",    "free_use",   USED_ONE,  0,      1),
    ("100.00",  0,   "150.00", "balance",    PAID_100,  -10000, 0),
    ("100.00",  0,   "100.00", "balance",    PAID_100,  -10000, 0),
    ("0.01",    0,   "0.01",   "balance",    PAID_CENT, -1,     0),
    ("100.00",  0,   "99.99",  None,         None,      0,      0),
    ("100.00",  0,   "0",      None,         None,      0,      0),
]
# fmt: on


@pytest.mark.parametrize(
    ("price", "uses", "balance", "source", "message", "moved", "uses_after"), COVERING
)
def test_a_request_is_covered_by_one_source_in_order(
    app,
    make_admin,
    make_customer,
    make_vas_catalog,
    make_product,
    offer_vas,
    make_subscription,
    make_department,
    set_price,
    price,
    uses,
    balance,
    source,
    message,
    moved,
    uses_after,
):
    admin = make_admin()
    make_department(name="业务技术工单", business_technical=True)
    catalog = make_vas_catalog(admin_id=admin.id, items=1, extra_levels=1)
    level, (item,) = catalog["levels"][1], catalog["items"]
    product = make_product(type="cloud")
    offer_vas(admin_id=admin.id, product_ids=[product.id], free_uses=uses)
    customer = make_customer(balance=balance)
    bought = make_subscription(
        customer_id=customer.id, level_id=level, product_id=product.id
    )
    set_price(admin_id=admin.id, item_id=item, level_id=level, price=price)
    before = snapshot(app)

    with app.app_context():
        who = db.session.get(User, customer.id)
        quoted = service_requests.quote(who, server_id=bought["server"], item_id=item)
        try:
            ticket = service_requests.submit(
                who,
                department_id=departments.business_technical().id,
                server_id=bought["server"],
                item_id=item,
                subject="",
                body="Please.",
                intent=uuid.uuid4().hex,
                expected_charge_cents=quoted.charge_cents,
            )
            db.session.commit()
        except InsufficientBalance as refusal:
            db.session.rollback()
            assert source is None
            assert refusal.shortfall > 0
            assert snapshot(app) == before
            return
        ticket_id = ticket.id
        texts = [
            m.body
            for m in db.session.scalars(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
            )
        ]
        entries = db.session.scalars(
            select(LedgerEntry.amount_cents).where(
                LedgerEntry.subject_type == "ticket",
                LedgerEntry.subject_id == ticket_id,
            )
        ).all()

    assert quoted.source == source
    (record,) = _records(app, bought["subscription"])
    assert record == (item, source, int(round(float(price) * 100)), -moved)
    assert sum(entries) == moved
    assert any(message in text for text in texts), texts
    assert _free_uses_left(app, bought["subscription"]) == uses_after
    with app.app_context():
        assert ledger.balance_cents(customer.id) == ledger.ledger_sum_cents(customer.id)


# --- the form ---------------------------------------------------------------


def test_new_ticket_form_offers_items_at_the_servers_level(customer_a, vas_desk):
    page = customer_a.get(
        f"/tickets/new?department={vas_desk.desk.tech.id}&server={vas_desk.server}"
    ).get_data(as_text=True)

    assert 'id="service-request"' in page and "service-picker" in page
    assert page.count('name="item_id"') == 4  # three items and "none"
    assert "免费" in page and "¥100.00" in page
    assert f'value="{vas_desk.free_item}"' in page


def test_quote_fragment_shows_price_source_free_uses_and_balance(make_client, vas_desk):
    htmx = make_client(htmx=True)
    htmx.login(vas_desk.desk.customer_a.email)
    url = (
        f"/tickets/new/service-quote?department={vas_desk.desk.tech.id}"
        f"&server={vas_desk.server}&item_id={vas_desk.paid_item}"
    )

    response = htmx.get(url)
    fragment = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith('<div id="service-request"')
    assert "<html" not in fragment
    assert "使用 1 次免费次数" in fragment
    assert 'name="expected_charge" value="0"' in fragment
    assert "¥88.00" in fragment  # the balance


def test_quote_shows_the_shortfall_and_a_top_up_link(
    app, make_client, vas_desk, make_service_request
):
    make_service_request(
        customer_id=vas_desk.desk.customer_a.id,
        server_id=vas_desk.server,
        item_id=vas_desk.paid_item,
    )  # spends the one free use
    htmx = make_client(htmx=True)
    htmx.login(vas_desk.desk.customer_a.email)

    fragment = htmx.get(
        f"/tickets/new/service-quote?department={vas_desk.desk.tech.id}"
        f"&server={vas_desk.server}&item_id={vas_desk.paid_item}"
    ).get_data(as_text=True)

    assert "从余额扣除 ¥100.00" in fragment
    assert "还差 ¥12.00" in fragment
    assert 'href="/balance/top-ups"' in fragment


def test_no_picker_for_a_server_without_a_live_subscription(customer_a, vas_desk):
    page = customer_a.get(
        f"/tickets/new?department={vas_desk.desk.tech.id}"
        f"&server={vas_desk.desk.server.id}"
    ).get_data(as_text=True)

    assert "service-picker" not in page
    assert "该产品没有可用的增值服务" in page


# --- submitting ---------------------------------------------------------------


def test_free_use_request_opens_the_ticket_with_the_seed_message(
    app, customer_a, vas_desk
):
    response = _submit(customer_a, app, vas_desk, vas_desk.paid_item)

    assert response.status_code == 303
    ticket_id = int(response.location.rsplit("/", 1)[1])
    page = customer_a.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "服务项目: Item" in page and "已使用免费次数 1 次，剩余 0 次" in page
    assert _free_uses_left(app, vas_desk.subscription) == 0
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.department_id == vas_desk.desk.tech.id
        assert ticket.server_id == vas_desk.server
        assert ticket.subject.startswith("Item")  # defaults to the item's name


def test_paid_request_is_charged_before_the_ticket_and_mailed(
    app, customer_a, vas_desk, paid_requests
):
    paid_requests(2000)

    response = _submit(customer_a, app, vas_desk, vas_desk.paid_item, subject="Tune")

    assert response.status_code == 303
    ticket_id = int(response.location.rsplit("/", 1)[1])
    page = customer_a.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "服务价格: ¥100.00。客户已支付" in page
    with app.app_context():
        entry = db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.subject_type == "ticket",
                LedgerEntry.subject_id == ticket_id,
            )
        ).one()
        assert (entry.cause, entry.amount_cents) == ("service_request", -10000)
        assert ledger.balance_cents(vas_desk.desk.customer_a.id) == 800
        mails = db.session.scalars(select(OutboxEmail.subject)).all()
        assert any("¥100.00" in subject for subject in mails)
    assert _records(app, vas_desk.subscription)[-1] == (
        vas_desk.paid_item,
        "balance",
        10000,
        10000,
    )


def test_free_at_level_request_is_submitted_without_charge(app, customer_a, vas_desk):
    before = _free_uses_left(app, vas_desk.subscription)

    response = _submit(customer_a, app, vas_desk, vas_desk.free_item)

    assert response.status_code == 303
    assert _free_uses_left(app, vas_desk.subscription) == before
    assert _records(app, vas_desk.subscription) == [
        (vas_desk.free_item, "free_level", 0, 0)
    ]


def test_too_little_balance_refuses_with_the_shortfall_and_creates_nothing(
    app, customer_a, vas_desk, make_service_request
):
    make_service_request(
        customer_id=vas_desk.desk.customer_a.id,
        server_id=vas_desk.server,
        item_id=vas_desk.other_item,
    )
    before = snapshot(app)

    response = _submit(customer_a, app, vas_desk, vas_desk.paid_item)
    html = response.get_data(as_text=True)

    assert response.status_code == 402
    assert "还差 ¥12.00" in html and 'href="/balance/top-ups"' in html
    assert "Please tune nginx." in html  # what was typed is kept
    assert snapshot(app) == before


def test_a_double_submit_opens_one_ticket_and_charges_once(app, customer_a, vas_desk):
    data = _form(vas_desk, vas_desk.paid_item)
    data["expected_charge"] = str(_quoted(app, vas_desk, vas_desk.paid_item))

    first = customer_a.post("/tickets/new", data)
    again = customer_a.post("/tickets/new", data)

    assert first.status_code == again.status_code == 303
    assert first.location == again.location
    assert _records(app, vas_desk.subscription) == [
        (vas_desk.paid_item, "free_use", 10000, 0)
    ]


def test_a_price_changed_since_the_quote_is_refused(
    app, customer_a, vas_desk, set_price, paid_requests
):
    paid_requests()  # no free use left: the next request is charged
    shown = _quoted(app, vas_desk, vas_desk.free_item)  # free at the level: 0
    set_price(
        admin_id=vas_desk.desk.admin.id,
        item_id=vas_desk.free_item,
        level_id=vas_desk.level,
        price="50.00",
    )
    before = snapshot(app)

    response = _submit(
        customer_a, app, vas_desk, vas_desk.free_item, expected_charge=str(shown)
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 409
    assert "费用已变化" in html
    assert 'name="expected_charge" value="5000"' in html  # the new quote
    assert snapshot(app) == before


def test_without_a_shown_charge_the_form_asks_to_confirm_first(
    app, customer_a, vas_desk
):
    before = snapshot(app)

    response = customer_a.post("/tickets/new", _form(vas_desk, vas_desk.paid_item))

    assert response.status_code == 409
    assert "请确认费用后再提交" in response.get_data(as_text=True)
    assert snapshot(app) == before


def _retire(app, item_id):
    with app.app_context():
        db.session.get(ServiceItem, item_id).is_active = False
        db.session.commit()


def _suspend(app, server_id):
    from vas.services import servers

    with app.app_context():
        server = db.session.get(Server, server_id)
        admin = db.session.scalars(select(User).where(User.role == "admin")).first()
        servers.update_server(
            server, due_date=server.due_date, status="suspended", actor=admin
        )
        db.session.commit()


def _switch_off(app):
    with app.app_context():
        config = vas_settings.current()
        admin = db.session.scalars(select(User).where(User.role == "admin")).first()
        vas_settings.save(
            enabled=False,
            product_ids=config.product_ids,
            free_uses=config.free_uses_per_order,
            actor=admin,
        )
        db.session.commit()


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("retired item", "item_id"),
        ("suspended server", "server"),
        ("another customer's server", "server"),
        ("server without a subscription", "server"),
        ("vas switched off", "server"),
        ("not business technical", "department"),
    ],
)
def test_refused_requests_leave_nothing_behind(
    app, customer_a, vas_desk, make_subscription, make_customer, case, field
):
    overrides = {"expected_charge": "0"}
    if case == "retired item":
        _retire(app, vas_desk.paid_item)
    elif case == "suspended server":
        _suspend(app, vas_desk.server)
    elif case == "another customer's server":
        other = make_customer()
        bought = make_subscription(
            customer_id=other.id, level_id=vas_desk.level, product_id=vas_desk.product
        )
        overrides["server"] = str(bought["server"])
    elif case == "server without a subscription":
        overrides["server"] = str(vas_desk.desk.server.id)
    elif case == "vas switched off":
        _switch_off(app)
    else:
        overrides["department"] = str(vas_desk.desk.finance.id)
    before = snapshot(app)

    response = customer_a.post(
        "/tickets/new", _form(vas_desk, vas_desk.paid_item, **overrides)
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 422, case
    if field == "item_id":
        assert "请选择一个可用的服务项目" in html
    else:
        assert field_errors(html, field), (case, html[:3000])
    assert snapshot(app) == before


# --- concurrency (GUARANTEES.md) --------------------------------------------


def _request_as_a(vd, *, body, expected_charge_cents, item_id=None, intent=None):
    """Submit a service request for A's server, in the caller's app context."""
    customer = db.session.get(User, vd.desk.customer_a.id)
    return service_requests.submit(
        customer,
        department_id=vd.desk.tech.id,
        server_id=vd.server,
        item_id=item_id or vd.paid_item,
        subject="",
        body=body,
        intent=intent or uuid.uuid4().hex,
        expected_charge_cents=expected_charge_cents,
    )


def _funded_paid_world(app, vd, balance_cents):
    """Spend the free use, then set A's balance to exactly ``balance_cents``."""
    with app.app_context():
        customer = db.session.get(User, vd.desk.customer_a.id)
        quoted = service_requests.quote(
            customer, server_id=vd.server, item_id=vd.other_item
        )
        _request_as_a(
            vd,
            item_id=vd.other_item,
            body="first",
            expected_charge_cents=quoted.charge_cents,
        )
        have = ledger.balance_cents(customer.id)
        if have != balance_cents:
            move = ledger.credit if balance_cents > have else ledger.debit
            move(
                customer.id,
                abs(balance_cents - have),
                cause="adjustment",
                subject_type="user",
                subject_id=customer.id,
                key="test:set-balance",
            )
        db.session.commit()


def test_thirty_seven_of_two_hundred_paid_requests_succeed(app, vas_desk, set_price):
    """200 requests at ¥1.00 from 50 threads on a balance of ¥37.00 (T1)."""
    set_price(
        admin_id=vas_desk.desk.admin.id,
        item_id=vas_desk.paid_item,
        level_id=vas_desk.level,
        price="1.00",
    )
    _funded_paid_world(app, vas_desk, 3700)
    customer_id = vas_desk.desk.customer_a.id

    def request_once(thread, n):
        _request_as_a(vas_desk, body=f"request {thread}-{n}", expected_charge_cents=100)

    outcome = hammer(app, request_once, threads=50, attempts=200)

    assert outcome.refused == 163
    problems = audit(
        app,
        customer_id,
        outcome,
        expected_successes=37,
        expected_balance=0,
        cause="service_request",
    )
    assert problems == []
    with app.app_context():
        paid = db.session.scalars(
            select(ServiceRecord).where(
                ServiceRecord.subscription_id == vas_desk.subscription,
                ServiceRecord.item_id == vas_desk.paid_item,
            )
        ).all()
        entries = db.session.scalar(
            select(func.count()).where(LedgerEntry.cause == "service_request")
        )
        tickets_opened = db.session.scalar(
            select(func.count()).where(
                Ticket.customer_id == customer_id,
                Ticket.idempotency_key.is_not(None),
            )
        )
    assert len(paid) == 37 and all(r.source == "balance" for r in paid)
    assert all(r.ledger_entry_id is not None for r in paid)
    assert entries == 37
    assert tickets_opened == 38  # the first request plus 37 paid ones


def test_three_free_uses_are_spent_by_exactly_three_of_a_hundred(app, vas_desk):
    with app.app_context():
        grant_id = db.session.scalars(
            select(FreeUseGrant.id).where(
                FreeUseGrant.subscription_id == vas_desk.subscription
            )
        ).one()
        db.session.execute(
            sa.update(FreeUseGrant)
            .where(FreeUseGrant.id == grant_id)
            .values(granted=3, used=0)
        )
        db.session.commit()
    customer_id = vas_desk.desk.customer_a.id
    balance = _state_balance(app, customer_id)

    def request_once(thread, n):
        # The page showed a free use: no charge expected.
        _request_as_a(vas_desk, body=f"free {thread}-{n}", expected_charge_cents=0)

    outcome = hammer(
        app, request_once, threads=50, attempts=100, refusals=(ChargeChanged,)
    )

    assert outcome.errors == []
    assert (outcome.succeeded, outcome.refused) == (3, 97)
    assert _free_uses_left(app, vas_desk.subscription) == 0
    with app.app_context():
        used = db.session.scalar(
            select(FreeUseGrant.used).where(FreeUseGrant.id == grant_id)
        )
        records = db.session.scalars(
            select(ServiceRecord.source).where(
                ServiceRecord.subscription_id == vas_desk.subscription
            )
        ).all()
    assert used == 3 and records == ["free_use"] * 3
    assert _state_balance(app, customer_id) == balance  # nothing was charged


def _state_balance(app, customer_id):
    with app.app_context():
        return ledger.balance_cents(customer_id)


def test_one_request_submitted_fifty_times_at_once_charges_once(
    app, vas_desk, set_price
):
    _funded_paid_world(app, vas_desk, 10000)
    customer_id = vas_desk.desk.customer_a.id
    intent = uuid.uuid4().hex
    opened = []

    def request_once(thread, n):
        ticket = _request_as_a(
            vas_desk, body="same intent", intent=intent, expected_charge_cents=10000
        )
        opened.append(ticket.id)

    outcome = hammer(app, request_once, threads=50, attempts=50)

    assert outcome.errors == []
    assert outcome.succeeded == 50 and len(set(opened)) == 1
    with app.app_context():
        key = ledger.intent_key("service_request", customer_id, intent)
        entries = db.session.scalar(
            select(func.count()).where(LedgerEntry.idempotency_key == key)
        )
    assert entries == 1
    assert _state_balance(app, customer_id) == 0


def test_requests_through_http_keep_csrf_and_ownership(app, vas_desk, make_customer):
    intruder = make_customer()
    client = Client(app)
    client.login(intruder.email)
    before = snapshot(app)

    response = client.post(
        "/tickets/new", _form(vas_desk, vas_desk.paid_item, expected_charge="0")
    )

    assert response.status_code == 422
    assert snapshot(app) == before


def test_product_page_links_to_a_preselected_request_form(customer_a, vas_desk):
    page = customer_a.get(f"/servers/{vas_desk.server}").get_data(as_text=True)

    link = re.search(r'id="request-service" href="([^"]+)"', page)
    assert link, "no request link on the product page"
    form = customer_a.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "service-picker" in form
    assert f'<option selected value="{vas_desk.server}">' in form


def test_the_form_the_product_page_links_to_can_be_sent_as_shown(
    app, customer_a, vas_desk
):
    page = customer_a.get(f"/servers/{vas_desk.server}").get_data(as_text=True)
    link = re.search(r'id="request-service" href="([^"]+)"', page).group(1)
    shown = customer_a.get(link.replace("&amp;", "&")).get_data(as_text=True)
    sent = form_values(shown, "/tickets/new")

    assert re.fullmatch(r"[0-9a-f]{32}", sent["intent"])
    assert (sent["department"], sent["server"]) == (
        str(vas_desk.desk.tech.id),
        str(vas_desk.server),
    )

    sent.update(item_id=str(vas_desk.paid_item), body="Please tune nginx.")
    sent["expected_charge"] = str(_quoted(app, vas_desk, vas_desk.paid_item))
    response = customer_a.post("/tickets/new", sent)

    assert response.status_code == 303
    assert _records(app, vas_desk.subscription) == [
        (vas_desk.paid_item, "free_use", 10000, 0)
    ]


def test_a_request_sent_without_its_intent_can_be_sent_again_as_shown(
    app, customer_a, vas_desk
):
    before = snapshot(app)
    data = _form(vas_desk, vas_desk.paid_item)
    del data["intent"]
    data["expected_charge"] = str(_quoted(app, vas_desk, vas_desk.paid_item))

    refused = customer_a.post("/tickets/new", data)
    shown = refused.get_data(as_text=True)

    assert refused.status_code == 422
    assert "表单已失效，请刷新页面后重试。" in shown
    assert snapshot(app) == before

    again = customer_a.post("/tickets/new", form_values(shown, "/tickets/new"))

    assert again.status_code == 303
    assert len(_records(app, vas_desk.subscription)) == 1


def test_a_long_item_name_and_hostname_still_make_a_subject(app, customer_a, vas_desk):
    with app.app_context():
        db.session.get(ServiceItem, vas_desk.paid_item).name = "项" * 120
        db.session.get(Server, vas_desk.server).hostname = "h" * 120
        db.session.commit()

    response = _submit(customer_a, app, vas_desk, vas_desk.paid_item)

    assert response.status_code == 303
    with app.app_context():
        ticket = db.session.get(Ticket, int(response.location.rsplit("/", 1)[1]))
        assert len(ticket.subject) == 200 and ticket.subject.startswith("项" * 120)


def test_extra_fields_do_not_change_what_a_request_costs(
    app, customer_a, vas_desk, paid_requests
):
    paid_requests(2000)
    extra = {
        "price_cents": "0",
        "charged_cents": "0",
        "source": "free_level",
        "balance_cents": "99999999",
        "customer_id": str(vas_desk.desk.customer_b.id),
        "level_id": str(vas_desk.base),
    }

    response = _submit(
        customer_a, app, vas_desk, vas_desk.paid_item, expected_charge="0", **extra
    )

    assert response.status_code == 409  # the charge is ¥100.00, not what was sent
    response = _submit(customer_a, app, vas_desk, vas_desk.paid_item, **extra)
    assert response.status_code == 303
    ticket_id = int(response.location.rsplit("/", 1)[1])
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.customer_id == vas_desk.desk.customer_a.id
        assert ledger.balance_cents(vas_desk.desk.customer_a.id) == 800
    assert _records(app, vas_desk.subscription)[-1] == (
        vas_desk.paid_item,
        "balance",
        10000,
        10000,
    )


# --- query counts ------------------------------------------------------------


def test_a_paid_request_costs_a_fixed_number_of_queries(
    app, customer_a, vas_desk, make_service_request, paid_requests, count_queries
):
    customer_id = vas_desk.desk.customer_a.id
    paid_requests(1_000_000)

    def paid_request():
        data = _form(vas_desk, vas_desk.paid_item, expected_charge="10000")
        return customer_a.post("/tickets/new", data)

    def measure() -> int:
        with count_queries() as counter:
            assert paid_request().status_code == 303
        return counter.count

    def grow(n: int) -> None:
        for _ in range(n):
            make_service_request(
                customer_id=customer_id,
                server_id=vas_desk.server,
                item_id=vas_desk.free_item,
            )
            assert paid_request().status_code == 303

    grow(1)  # the client has its CSRF token from here on
    few = measure()
    grow(10)
    many = measure()

    assert few == many, (few, many)
    # Today 22: the user; the form's choices (levels, departments, servers);
    # the intent; the department; settings; subscription, item, category,
    # price, balance and free uses; the ticket and its opening message; the
    # debit (its key, the conditional update, the entry); the record; the
    # ticket's activity and its system message; the mail.
    assert many <= 24, many
