"""Pushing paid services into tickets and paying them in place (T2).

Who gets the push panel, the live list total and pay price, a push riding on
a reply with its price fixed, paying once and only as the ticket's owner,
withdrawing, delivering the records, mail, query counts, and 50 concurrent
payments of one push.
"""

import re

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.money_harness import hammer
from tests.sweep import snapshot
from tests.ticket_helpers import field_errors
from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import OutboxEmail
from vas.models import ServicePush
from vas.models import ServiceRecord
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import User
from vas.services import ledger
from vas.services import pushes
from vas.services.pushes import PushNotPayable


def _push_form(vd, items, pay_price, body="Offer: tune and clean.") -> dict:
    return {
        "body": body,
        "item_ids": [str(item) for item in items],
        "pay_price": pay_price,
        "shown_total": "0",
    }


def _push(app, vd, pay_price=None, items=None):
    """Push two ¥100 items as the agent, through the real service."""
    from tests import factories

    with app.app_context():
        made = factories.push(
            agent_id=vd.desk.agent.id,
            ticket_id=vd.ticket,
            item_ids=items or [vd.paid_item, vd.other_item],
            pay_price=pay_price,
        )
        db.session.commit()
        return made.id


def _push_row(app, push_id) -> ServicePush:
    with app.app_context():
        row = db.session.get(ServicePush, push_id)
        db.session.expunge(row)
        return row


@pytest.fixture
def agent(make_client, vas_desk):
    client = make_client(htmx=True)
    client.login(vas_desk.desk.agent.email)
    return client


@pytest.fixture
def customer_a(make_client, vas_desk):
    client = make_client(htmx=True)
    client.login(vas_desk.desk.customer_a.email)
    return client


# --- the panel ---------------------------------------------------------------


def test_agent_with_the_permission_gets_the_push_panel(make_client, vas_desk):
    client = make_client()
    client.login(vas_desk.desk.agent.email)

    page = client.get(f"/agent/tickets/{vas_desk.ticket}").get_data(as_text=True)

    assert 'id="push-panel"' in page and "推送付费服务" in page
    assert page.count('name="item_ids"') == 3
    assert 'name="pay_price"' in page
    assert "tabs__label" in page


@pytest.mark.parametrize(
    "case", ["no permission", "other department", "no subscription", "closed"]
)
def test_no_push_panel_without_permission_or_outside_vas_tickets(
    app, make_client, make_agent, set_departments, make_ticket, vas_desk, case
):
    desk = vas_desk.desk
    ticket_id = vas_desk.ticket
    who = desk.agent
    if case == "no permission":
        who = make_agent(name="Tech no push")
        set_departments(agent_id=who.id, department_ids=[desk.tech.id])
    elif case == "other department":
        ticket_id = make_ticket(
            customer_id=desk.customer_a.id,
            department_id=desk.finance.id,
            server_id=vas_desk.server,
        ).id
    elif case == "no subscription":
        ticket_id = desk.ticket.id  # about a server without a subscription
    else:
        from vas.services import tickets

        with app.app_context():
            tickets.close_ticket(
                db.session.get(Ticket, ticket_id), db.session.get(User, who.id)
            )
            db.session.commit()
    client = make_client()
    client.login(who.email)

    page = client.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)

    assert 'id="push-panel"' not in page, case


def test_live_total_follows_ticks_until_the_price_is_edited(agent, vas_desk):
    url = f"/agent/tickets/{vas_desk.ticket}/push-total"
    one = f"item_ids={vas_desk.paid_item}"
    two = f"{one}&item_ids={vas_desk.other_item}&item_ids={vas_desk.free_item}"

    first = agent.get(f"{url}?{one}&pay_price=0.00&shown_total=0")
    second = agent.get(f"{url}?{two}&pay_price=100.00&shown_total=10000")
    edited = agent.get(f"{url}?{two}&pay_price=150&shown_total=10000")

    assert first.status_code == 200
    assert 'id="push-list-total">¥100.00' in first.get_data(as_text=True)
    assert 'value="100.00"' in first.get_data(as_text=True)
    assert 'id="push-list-total">¥200.00' in second.get_data(as_text=True)
    assert 'value="200.00"' in second.get_data(as_text=True)
    assert 'value="150"' in edited.get_data(as_text=True)  # the agent's price stays


# --- pushing ----------------------------------------------------------------


def test_push_rides_on_a_reply_at_a_fixed_pay_price(app, agent, vas_desk):
    response = agent.post(
        f"/agent/tickets/{vas_desk.ticket}/pushes",
        _push_form(vas_desk, [vas_desk.paid_item, vas_desk.other_item], "150.00"),
    )
    fragment = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'id="conversation"' in fragment and "Offer: tune and clean." in fragment
    assert "¥150.00" in fragment and "¥200.00" in fragment  # pay and list price
    with app.app_context():
        pushed = db.session.scalars(select(ServicePush)).one()
        assert (pushed.list_total_cents, pushed.pay_price_cents) == (20000, 15000)
        assert pushed.status == "pending"
        assert [i.price_cents for i in pushed.items] == [10000, 10000]
        message = db.session.get(TicketMessage, pushed.message_id)
        assert message.body == "Offer: tune and clean." and not message.is_private
        assert db.session.get(Ticket, vas_desk.ticket).status == "answered"
        mail = db.session.scalars(select(OutboxEmail)).one()
        assert "推送了付费服务" in mail.subject and "¥150.00" in mail.body


@pytest.mark.parametrize(
    ("items", "pay_price", "field", "text"),
    [
        ([], "10.00", "item_ids", "请至少选择一个服务项目"),
        (["paid"], "0", "pay_price", "金额必须大于 0"),
        (["paid"], "1.234", "pay_price", "最多两位小数"),
        (["paid"], "-5", "pay_price", "不能为负数"),
        (["paid"], "1e3", "pay_price", "金额格式不正确"),
        (["paid"], "", "pay_price", "请输入金额"),
        (["retired"], "10.00", "item_ids", "请选择可用的服务项目"),
    ],
)
def test_a_bad_push_is_refused_beside_its_field_and_keeps_the_reply(
    app, make_client, vas_desk, items, pay_price, field, text
):
    if items == ["retired"]:
        from vas.models import ServiceItem

        with app.app_context():
            db.session.get(ServiceItem, vas_desk.other_item).is_active = False
            db.session.commit()
    chosen = [
        {"paid": vas_desk.paid_item, "retired": vas_desk.other_item}[i] for i in items
    ]
    client = make_client()
    client.login(vas_desk.desk.agent.email)
    before = snapshot(app)

    response = client.post(
        f"/agent/tickets/{vas_desk.ticket}/pushes",
        _push_form(vas_desk, chosen, pay_price, body="Kept reply text"),
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    errors = field_errors(html, field) if field == "pay_price" else [html]
    assert any(text in error for error in errors), (field, errors[:1])
    assert "Kept reply text" in html
    assert 'id="push-panel" open' in html
    assert snapshot(app) == before


def test_a_forged_push_is_refused(
    app, make_client, make_agent, set_departments, vas_desk
):
    tech_no_push = make_agent(name="Tech no push")
    set_departments(agent_id=tech_no_push.id, department_ids=[vas_desk.desk.tech.id])
    outsider = make_client()
    outsider.login(vas_desk.desk.agent_np.email)  # does not work the department
    forger = make_client()
    forger.login(tech_no_push.email)
    form = _push_form(vas_desk, [vas_desk.paid_item], "1.00")
    before = snapshot(app)

    refused = forger.post(f"/agent/tickets/{vas_desk.ticket}/pushes", form)
    hidden = outsider.post(f"/agent/tickets/{vas_desk.ticket}/pushes", form)
    total = forger.get(f"/agent/tickets/{vas_desk.ticket}/push-total")

    assert refused.status_code == 403
    assert hidden.status_code == 404
    assert total.status_code == 403
    assert snapshot(app) == before


# --- paying -----------------------------------------------------------------


def test_customer_pays_a_push_in_place(app, customer_a, vas_desk):
    push_id = _push(app, vas_desk, pay_price="55.55")

    response = customer_a.post(f"/tickets/{vas_desk.ticket}/pushes/{push_id}/payment")
    fragment = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'id="conversation"' in fragment
    assert re.search(r'id="balance-badge"[^>]*hx-swap-oob="true"', fragment)
    assert "¥32.45" in fragment  # 88.00 - 55.55, in the badge
    assert 'hx-swap-oob="true">客户回复' in fragment  # the status badge
    assert "客户已支付" in fragment and "已支付" in fragment
    with app.app_context():
        pushed = db.session.get(ServicePush, push_id)
        entry = db.session.get(LedgerEntry, pushed.ledger_entry_id)
        records = db.session.scalars(
            select(ServiceRecord).where(ServiceRecord.push_id == push_id)
        ).all()
        assert pushed.status == "paid" and pushed.paid_at is not None
        assert (entry.cause, entry.amount_cents) == ("push", -5555)
        assert sorted(r.charged_cents for r in records) == [2777, 2778]
        assert {r.source for r in records} == {"push"}
        assert {r.price_cents for r in records} == {10000}
        assert ledger.balance_cents(vas_desk.desk.customer_a.id) == 3245
        subjects = db.session.scalars(select(OutboxEmail.subject)).all()
        assert any("已从余额扣款 ¥55.55" in s for s in subjects)


def test_the_pay_price_is_the_one_pushed_even_after_a_price_edit(
    app, customer_a, vas_desk, set_price, fund
):
    push_id = _push(app, vas_desk, items=[vas_desk.paid_item])
    set_price(
        admin_id=vas_desk.desk.admin.id,
        item_id=vas_desk.paid_item,
        level_id=vas_desk.level,
        price="1.00",
    )
    fund(customer_id=vas_desk.desk.customer_a.id, cents=2000)

    customer_a.post(f"/tickets/{vas_desk.ticket}/pushes/{push_id}/payment")

    with app.app_context():
        assert ledger.balance_cents(vas_desk.desk.customer_a.id) == 800  # 108 - 100


def test_too_little_balance_shows_the_shortfall_on_the_push(app, customer_a, vas_desk):
    push_id = _push(app, vas_desk)  # ¥200.00 against ¥88.00
    before = snapshot(app)

    response = customer_a.post(f"/tickets/{vas_desk.ticket}/pushes/{push_id}/payment")
    fragment = response.get_data(as_text=True)

    assert response.status_code == 402
    assert "还差 ¥112.00" in fragment and 'href="/balance/top-ups"' in fragment
    assert "待支付" in fragment  # still payable
    assert snapshot(app) == before


def test_a_push_is_paid_once_and_only_by_the_tickets_owner(
    app, customer_a, make_client, vas_desk, fund
):
    push_id = _push(app, vas_desk, pay_price="10.00")
    other = make_client(htmx=True)
    other.login(vas_desk.desk.customer_b.email)
    fund(customer_id=vas_desk.desk.customer_b.id, cents=10000)
    url = f"/tickets/{vas_desk.ticket}/pushes/{push_id}/payment"
    before = snapshot(app)

    stranger = other.post(url)
    assert stranger.status_code == 404
    assert snapshot(app) == before

    first = customer_a.post(url)
    again = customer_a.post(url)

    assert first.status_code == 200
    assert again.status_code == 409
    assert "已经支付过了" in again.get_data(as_text=True)
    with app.app_context():
        entries = db.session.scalar(
            select(func.count()).where(LedgerEntry.cause == "push")
        )
    assert entries == 1


def test_a_push_of_another_ticket_is_not_found(app, customer_a, make_ticket, vas_desk):
    push_id = _push(app, vas_desk, pay_price="10.00")
    elsewhere = make_ticket(
        customer_id=vas_desk.desk.customer_a.id,
        department_id=vas_desk.desk.tech.id,
        server_id=vas_desk.server,
    )

    response = customer_a.post(f"/tickets/{elsewhere.id}/pushes/{push_id}/payment")

    assert response.status_code == 404
    assert _push_row(app, push_id).status == "pending"


def test_a_withdrawn_push_cannot_be_paid(app, agent, customer_a, vas_desk):
    push_id = _push(app, vas_desk, pay_price="10.00")

    withdrawn = agent.post(
        f"/agent/tickets/{vas_desk.ticket}/pushes/{push_id}/withdraw"
    )
    again = agent.post(f"/agent/tickets/{vas_desk.ticket}/pushes/{push_id}/withdraw")
    paid = customer_a.post(f"/tickets/{vas_desk.ticket}/pushes/{push_id}/payment")

    assert withdrawn.status_code == 200
    assert "推送的付费服务已撤回" in withdrawn.get_data(as_text=True)
    assert again.status_code == 409
    assert paid.status_code == 409
    assert "已撤回" in paid.get_data(as_text=True)
    row = _push_row(app, push_id)
    assert row.status == "withdrawn" and row.withdrawn_by_id == vas_desk.desk.agent.id


def test_fifty_concurrent_payments_of_one_push_pay_once(app, vas_desk):
    push_id = _push(app, vas_desk, pay_price="1.00")
    customer_id = vas_desk.desk.customer_a.id

    def pay(thread, n):
        ticket = db.session.get(Ticket, vas_desk.ticket)
        pushes.pay(db.session.get(User, customer_id), ticket, push_id)

    outcome = hammer(app, pay, threads=50, attempts=50, refusals=(PushNotPayable,))

    assert outcome.errors == []
    assert (outcome.succeeded, outcome.refused) == (1, 49)
    with app.app_context():
        entries = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.cause == "push")
        ).all()
        records = db.session.scalar(
            select(func.count()).where(ServiceRecord.push_id == push_id)
        )
        messages = db.session.scalar(
            select(func.count()).where(
                TicketMessage.ticket_id == vas_desk.ticket,
                TicketMessage.body.contains("客户已支付"),
            )
        )
        assert len(entries) == 1 and entries[0].amount_cents == -100
        assert records == 2 and messages == 1
        assert ledger.balance_cents(customer_id) == ledger.ledger_sum_cents(customer_id)
        assert ledger.balance_cents(customer_id) == 8700


# --- delivering -------------------------------------------------------------


def test_agent_marks_a_record_delivered_once(
    app, make_client, vas_desk, make_service_request
):
    ticket = make_service_request(
        customer_id=vas_desk.desk.customer_a.id,
        server_id=vas_desk.server,
        item_id=vas_desk.paid_item,
    )
    with app.app_context():
        record_id = db.session.scalars(
            select(ServiceRecord.id).where(ServiceRecord.ticket_id == ticket.id)
        ).one()
    agent = make_client()
    agent.login(vas_desk.desk.agent.email)
    url = f"/agent/tickets/{ticket.id}/records/{record_id}/delivered"

    page = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    first = agent.post(url)
    again = agent.post(url)
    elsewhere = agent.post(
        f"/agent/tickets/{vas_desk.ticket}/records/{record_id}/delivered"
    )

    assert "标记已交付" in page and "待交付" in page
    assert first.status_code == 303
    assert again.status_code == 409
    assert elsewhere.status_code == 404
    with app.app_context():
        record = db.session.get(ServiceRecord, record_id)
        assert record.status == "delivered"
        assert record.delivered_by_id == vas_desk.desk.agent.id
    customer = make_client()
    customer.login(vas_desk.desk.customer_a.email)
    assert "已交付" in customer.get(f"/tickets/{ticket.id}").get_data(as_text=True)


# --- what agents see --------------------------------------------------------


def test_queue_marks_vas_tickets_with_the_customers_level(app, make_client, vas_desk):
    from vas.models import ServiceLevel

    with app.app_context():
        level_name = db.session.get(ServiceLevel, vas_desk.level).name
    agent = make_client()
    agent.login(vas_desk.desk.agent.email)

    queue = agent.get("/agent/tickets").get_data(as_text=True)

    row = queue.split(f'href="/agent/tickets/{vas_desk.ticket}"')[1].split("</tr>")[0]
    assert f'badge--vas" title="增值服务等级">{level_name}' in row
    plain = queue.split(f'href="/agent/tickets/{vas_desk.desk.ticket.id}"')[1]
    assert "badge--vas" not in plain.split("</tr>")[0]


def test_agent_ticket_page_shows_the_subscription_and_every_vas_message(
    app, make_client, vas_desk, make_service_request
):
    ticket = make_service_request(
        customer_id=vas_desk.desk.customer_a.id,
        server_id=vas_desk.server,
        item_id=vas_desk.paid_item,
    )
    agent = make_client()
    agent.login(vas_desk.desk.agent.email)

    page = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)

    panel = page.split('id="vas-panel"')[1].split("</section>")[0]
    assert 'id="vas-free-uses">0<' in panel
    assert "免费次数" in panel and "本工单" in panel
    assert "服务等级: Level" in page and "已使用免费次数 1 次" in page


# --- query counts ------------------------------------------------------------


def test_ticket_pages_with_pushes_cost_a_fixed_number_of_queries(
    app, make_client, count_queries, vas_desk, make_service_request
):
    agent_page, agent_htmx = make_client(), make_client(htmx=True)
    customer_page, customer_htmx = make_client(), make_client(htmx=True)
    for client in (agent_page, agent_htmx):
        client.login(vas_desk.desk.agent.email)
    for client in (customer_page, customer_htmx):
        client.login(vas_desk.desk.customer_a.email)
    ticket = vas_desk.ticket
    requests = [
        (agent_page, f"/agent/tickets/{ticket}"),
        (agent_htmx, f"/agent/tickets/{ticket}"),
        (agent_page, "/agent/tickets"),
        (customer_page, f"/tickets/{ticket}"),
        (customer_htmx, f"/tickets/{ticket}"),
        (
            customer_page,
            f"/tickets/new?department={vas_desk.desk.tech.id}"
            f"&server={vas_desk.server}&item_id={vas_desk.paid_item}",
        ),
        (
            customer_htmx,
            f"/tickets/new/service-quote?department={vas_desk.desk.tech.id}"
            f"&server={vas_desk.server}&item_id={vas_desk.paid_item}",
        ),
    ]

    def grow(n):
        for _ in range(n):
            _push(app, vas_desk, pay_price="1.00")
            make_service_request(
                customer_id=vas_desk.desk.customer_a.id,
                server_id=vas_desk.server,
                item_id=vas_desk.free_item,
            )

    def measure():
        counts = []
        for client, url in requests:
            with count_queries() as counter:
                assert client.get(url).status_code == 200, url
            counts.append(counter.count)
        return counts

    grow(1)
    few = measure()
    grow(8)
    many = measure()

    assert few == many, (few, many)
    # Today: agent ticket 13 (page and fragment), queue 6, customer ticket 6,
    # new ticket with an item quoted 8, the quote fragment 8.
    assert max(many) <= 14, many


EXTRA = {
    "price_cents": "1",
    "pay_price_cents": "1",
    "list_total_cents": "1",
    "status": "paid",
    "customer_id": "1",
    "agent_id": "1",
    "balance_cents": "99999999",
    "ledger_entry_id": "1",
}


def test_extra_fields_change_neither_a_push_nor_what_its_payment_takes(
    app, agent, customer_a, vas_desk
):
    agent.post(
        f"/agent/tickets/{vas_desk.ticket}/pushes",
        {**_push_form(vas_desk, [vas_desk.paid_item], "12.34"), **EXTRA},
    )
    with app.app_context():
        pushed = db.session.scalars(select(ServicePush)).one()
        assert (pushed.status, pushed.pay_price_cents) == ("pending", 1234)
        assert (pushed.customer_id, pushed.agent_id) == (
            vas_desk.desk.customer_a.id,
            vas_desk.desk.agent.id,
        )
        push_id = pushed.id

    customer_a.post(f"/tickets/{vas_desk.ticket}/pushes/{push_id}/payment", EXTRA)

    with app.app_context():
        assert ledger.balance_cents(vas_desk.desk.customer_a.id) == 8800 - 1234
