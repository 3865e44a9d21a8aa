"""Customer tickets: open, list, read, reply (htmx and not), close, rate.

Also: another customer's ticket is 404 everywhere, private replies never
reach a customer page or fragment, and hostile text renders inert.
"""

import re
import uuid

import pytest
from sqlalchemy import select

from tests.ticket_helpers import XSS_PAYLOADS
from tests.ticket_helpers import assert_inert
from tests.ticket_helpers import desk_state
from tests.ticket_helpers import field_errors
from vas.extensions import db
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import TicketRating
from vas.text import linkify_plain_text

PRIVATE = "PRIVATE-NOTE-7f3a"


def _ticket(app, ticket_id):
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        messages = db.session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id)
        )
        return ticket.status, [(m.author_kind, m.body) for m in messages]


def _tickets(app):
    with app.app_context():
        return db.session.scalars(select(Ticket).order_by(Ticket.id)).all()


@pytest.fixture
def customer_a(client, desk):
    client.login(desk.customer_a.email)
    return client


def _new_ticket(client, desk, **form):
    data = {
        "department": str(desk.tech.id),
        "server": str(desk.server.id),
        "subject": "Disk full",
        "body": "The disk is full.",
        "intent": uuid.uuid4().hex,
        **form,
    }
    return client.post("/tickets/new", data)


def test_customer_opens_a_business_technical_ticket_about_their_server(
    app, customer_a, desk
):
    response = _new_ticket(customer_a, desk)

    ticket = _tickets(app)[-1]
    assert response.status_code == 303
    assert response.location == f"/tickets/{ticket.id}"
    assert (ticket.customer_id, ticket.department_id, ticket.server_id) == (
        desk.customer_a.id,
        desk.tech.id,
        desk.server.id,
    )
    html = customer_a.get(response.location).get_data(as_text=True)
    assert "Disk full" in html and "The disk is full." in html
    assert "工单已提交" in html and "待处理" in html and "a-web-01" in html


def test_the_new_ticket_form_offers_only_own_servers_and_active_departments(
    customer_a, desk, make_server, make_department
):
    other = make_server(customer_id=desk.customer_b.id, hostname="b-secret-host")
    make_department(name="Retired desk", active=False)

    html = customer_a.get("/tickets/new").get_data(as_text=True)

    assert "a-web-01" in html and "b-secret-host" not in html
    servers = re.search(r'<select id="server".*?</select>', html, re.S).group(0)
    assert f'value="{other.id}"' not in servers
    assert "业务技术工单" in html and "Retired desk" not in html


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"server": ""}, "server", "业务技术工单需要选择相关产品。"),
        ({"server": "999999"}, "server", "请选择您自己的产品。"),
        ({"department": "999999"}, "department", "请选择一个可用的工单分类。"),
        ({"department": "abc"}, "department", "请选择一个可用的工单分类。"),
        ({"subject": "  "}, "subject", "请填写标题。"),
        ({"subject": "x" * 201}, "subject", "标题不能超过 200 个字符。"),
        ({"body": ""}, "body", "请填写内容。"),
        ({"body": "x" * 10_001}, "body", "内容不能超过 10000 个字符。"),
    ],
)
def test_a_refused_ticket_shows_the_error_beside_its_field_and_writes_nothing(
    app, customer_a, desk, form, field, message
):
    before = desk_state(app)

    response = _new_ticket(customer_a, desk, **form)

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field) == [message]
    assert desk_state(app) == before


def test_another_customers_server_is_refused(app, customer_a, desk, make_server):
    other = make_server(customer_id=desk.customer_b.id)
    before = desk_state(app)

    response = _new_ticket(customer_a, desk, server=str(other.id))

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "server") == [
        "请选择您自己的产品。"
    ]
    assert desk_state(app) == before


def test_a_server_is_optional_outside_business_technical(app, customer_a, desk):
    response = _new_ticket(customer_a, desk, department=str(desk.finance.id), server="")

    assert response.status_code == 303
    assert _tickets(app)[-1].server_id is None


def test_inactive_department_is_refused(app, customer_a, desk, make_department):
    retired = make_department(name="Retired", active=False)

    response = _new_ticket(customer_a, desk, department=str(retired.id), server="")

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "department")


def test_list_shows_only_own_tickets_with_status_and_last_update(
    customer_a, desk, make_ticket
):
    make_ticket(
        customer_id=desk.customer_b.id, department_id=desk.finance.id, subject="B's"
    )

    html = customer_a.get("/tickets").get_data(as_text=True)

    assert "a-web-01 is down" in html and "B&#39;s" not in html
    assert "待处理" in html and "最后更新" in html


def test_list_pages_and_answers_htmx_with_the_table(htmx_client, desk, make_ticket):
    for _ in range(22):
        make_ticket(customer_id=desk.customer_a.id, department_id=desk.finance.id)
    htmx_client.login(desk.customer_a.email)

    first = htmx_client.get("/tickets")
    second = htmx_client.get("/tickets?page=2")

    assert first.get_data(as_text=True).lstrip().startswith('<div id="tickets">')
    assert "第 1 / 2 页" in first.get_data(as_text=True)
    assert second.get_data(as_text=True).count("<tr>") == 3 + 1  # rows + header
    assert "HX-Request" in first.headers["Vary"]


@pytest.mark.parametrize("htmx", [False, True])
def test_ticket_page_and_fragment_show_the_thread(make_client, desk, htmx):
    client = make_client(htmx=htmx)
    client.login(desk.customer_a.email)

    response = client.get(f"/tickets/{desk.ticket.id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "It answers 502." in html
    assert ("<html" in html) is not htmx
    assert 'id="conversation"' in html


def test_htmx_reply_appears_in_place_with_the_badge_out_of_band(
    app, htmx_client, desk, make_reply
):
    make_reply(ticket_id=desk.ticket.id, author_id=desk.agent.id, body="Rebooted.")
    htmx_client.login(desk.customer_a.email)

    response = htmx_client.post(
        f"/tickets/{desk.ticket.id}/replies", {"body": "Still down."}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="conversation">')
    assert "Still down." in html and "Rebooted." in html
    assert (
        f'<span id="ticket-status-{desk.ticket.id}" class="badge badge--danger"'
        ' hx-swap-oob="true">客户回复</span>'
    ) in html
    assert 'id="flashes"' in html and "回复已发送。" in html
    assert _ticket(app, desk.ticket.id)[0] == "customer_reply"


def test_reply_without_htmx_answers_303(app, customer_a, desk):
    response = customer_a.post(
        f"/tickets/{desk.ticket.id}/replies", {"body": "More details."}
    )

    assert response.status_code == 303
    assert response.location == f"/tickets/{desk.ticket.id}"
    assert _ticket(app, desk.ticket.id)[1][-1] == ("customer", "More details.")


@pytest.mark.parametrize("htmx", [False, True])
def test_empty_reply_is_refused_beside_the_box(app, make_client, desk, htmx):
    client = make_client(htmx=htmx)
    client.login(desk.customer_a.email)
    before = desk_state(app)

    response = client.post(f"/tickets/{desk.ticket.id}/replies", {"body": "  \n "})

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "body") == ["请填写内容。"]
    assert desk_state(app) == before


def test_reply_to_a_closed_ticket_reopens_it(app, customer_a, desk, close_ticket):
    close_ticket(ticket_id=desk.ticket.id, actor_id=desk.customer_a.id)

    customer_a.post(f"/tickets/{desk.ticket.id}/replies", {"body": "It is back."})

    assert _ticket(app, desk.ticket.id)[0] == "customer_reply"


def test_customer_closes_the_ticket_once(app, customer_a, desk):
    first = customer_a.post(f"/tickets/{desk.ticket.id}/close")
    before = desk_state(app)
    second = customer_a.post(f"/tickets/{desk.ticket.id}/close")

    assert first.status_code == 303
    assert _ticket(app, desk.ticket.id) == (
        "closed",
        [("customer", "It answers 502."), ("system", "客户已关闭工单。")],
    )
    assert second.status_code == 409
    assert "工单已经是已关闭状态。" in second.get_data(as_text=True)
    assert desk_state(app) == before


def test_system_messages_look_different_from_peoples(customer_a, desk, close_ticket):
    close_ticket(ticket_id=desk.ticket.id, actor_id=desk.customer_a.id)

    html = customer_a.get(f"/tickets/{desk.ticket.id}").get_data(as_text=True)

    assert 'class="message message--customer"' in html
    assert 'class="message message--system"' in html
    assert "系统消息" in html


def _rate(client, ticket_id, **form):
    return client.post(f"/tickets/{ticket_id}/rating", {"score": "4", **form})


def _ratings(app):
    with app.app_context():
        return [
            (r.ticket_id, r.score, r.comment, r.agent_id)
            for r in db.session.scalars(select(TicketRating))
        ]


def test_owner_rates_a_closed_ticket_once(
    app, customer_a, desk, make_reply, close_ticket
):
    make_reply(ticket_id=desk.ticket.id, author_id=desk.agent.id, body="Fixed.")
    close_ticket(ticket_id=desk.ticket.id, actor_id=desk.customer_a.id)

    first = _rate(customer_a, desk.ticket.id, comment="Quick <b>help</b>")
    second = _rate(customer_a, desk.ticket.id, score="1", comment="again")

    assert first.status_code == 303
    assert second.status_code == 422
    assert '<div class="field__error" role="alert">该工单已经评价过。</div>' in (
        second.get_data(as_text=True)
    )
    assert _ratings(app) == [(desk.ticket.id, 4, "Quick <b>help</b>", desk.agent.id)]
    html = customer_a.get(f"/tickets/{desk.ticket.id}").get_data(as_text=True)
    assert "4 分" in html and "Quick &lt;b&gt;help&lt;/b&gt;" in html


def test_a_rating_reads_one_point_or_many_in_english(
    app, customer_a, desk, make_reply, close_ticket
):
    make_reply(ticket_id=desk.ticket.id, author_id=desk.agent.id, body="Fixed.")
    close_ticket(ticket_id=desk.ticket.id, actor_id=desk.customer_a.id)
    customer_a.post("/language", {"locale": "en", "next": "/tickets"})

    form = customer_a.get(f"/tickets/{desk.ticket.id}").get_data(as_text=True)
    _rate(customer_a, desk.ticket.id, score="1", comment="")
    rated = customer_a.get(f"/tickets/{desk.ticket.id}").get_data(as_text=True)

    assert " 1 point</label>" in form and " 4 points</label>" in form
    assert '<span class="rating__score">1 point</span>' in rated


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("0", "评分应为 1 到 5。"),
        ("6", "评分应为 1 到 5。"),
        ("x", "评分应为 1 到 5。"),
    ],
)
def test_a_score_outside_one_to_five_is_refused(
    app, customer_a, desk, close_ticket, score, message
):
    close_ticket(ticket_id=desk.ticket.id, actor_id=desk.customer_a.id)

    response = _rate(customer_a, desk.ticket.id, score=score)

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "score") == [message]
    assert _ratings(app) == []


def test_an_open_ticket_cannot_be_rated(app, customer_a, desk):
    response = _rate(customer_a, desk.ticket.id)

    assert response.status_code == 422
    assert '<div class="field__error" role="alert">工单关闭后才能评价。</div>' in (
        response.get_data(as_text=True)
    )
    assert _ratings(app) == []


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "", None),
        ("htmx", "", None),
        ("post", "/replies", {"body": "hijack"}),
        ("post", "/close", {}),
        ("post", "/rating", {"score": "1"}),
    ],
)
def test_another_customers_ticket_is_404_and_nothing_changes(
    app, make_client, desk, close_ticket, method, path, data
):
    close_ticket(ticket_id=desk.ticket.id, actor_id=desk.customer_a.id)
    client = make_client(htmx=method == "htmx")
    client.login(desk.customer_b.email)
    before = desk_state(app)

    url = f"/tickets/{desk.ticket.id}{path}"
    response = client.post(url, data) if method == "post" else client.get(url)

    assert response.status_code == 404
    assert "a-web-01 is down" not in response.get_data(as_text=True)
    assert desk_state(app) == before


def test_private_replies_never_reach_a_customer_page_or_fragment(
    app, make_client, desk, make_reply, close_ticket, make_ticket
):
    make_reply(
        ticket_id=desk.ticket.id, author_id=desk.agent.id, body=PRIVATE, private=True
    )
    make_reply(ticket_id=desk.ticket.id, author_id=desk.agent.id, body="Public.")
    page, htmx = make_client(), make_client(htmx=True)
    page.login(desk.customer_a.email)
    htmx.login(desk.customer_a.email)
    ticket = f"/tickets/{desk.ticket.id}"
    seen = []

    seen.append(page.get("/tickets"))
    seen.append(htmx.get("/tickets"))
    seen.append(page.get("/dashboard"))
    seen.append(page.get(ticket))
    seen.append(htmx.get(ticket))
    seen.append(htmx.post(f"{ticket}/replies", {"body": "htmx reply"}))
    seen.append(htmx.post(f"{ticket}/replies", {"body": ""}))  # 422 fragment
    seen.append(page.post(f"{ticket}/replies", {"body": ""}))  # 422 page
    seen.append(page.post(f"{ticket}/rating", {"score": "5"}))  # 422, still open
    seen.append(
        page.post(f"{ticket}/replies", {"body": "page reply"}, follow_redirects=True)
    )
    seen.append(page.post(f"{ticket}/close", follow_redirects=True))
    seen.append(page.post(f"{ticket}/rating", {"score": "5"}, follow_redirects=True))

    assert [r.status_code for r in seen] == [200] * 6 + [422] * 3 + [200] * 3
    for response in seen:
        html = response.get_data(as_text=True)
        assert PRIVATE not in html
        assert "私密回复" not in html and "message--private" not in html
    assert "Public." in seen[3].get_data(as_text=True)


# Hostile text on every customer page and fragment: tests/test_xss.py.


def test_the_inert_check_sees_live_markup():
    """Negative control: the checker above fails on unescaped payloads."""
    caught = 0
    for payload in XSS_PAYLOADS:
        try:
            assert_inert(f"<div>{payload}</div>", payload)
        except AssertionError:
            caught += 1

    assert caught >= 30


# fmt: off
LINKIFY = [
    ("plain", "plain"),
    ("a\nb", "a<br>\nb"),
    ("a\r\nb", "a<br>\nb"),
    ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
    ("see https://ok.test/a?b=1&c=2.",
     'see <a href="https://ok.test/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">'
     "https://ok.test/a?b=1&amp;c=2</a>."),
    ("HTTP://OK.TEST", '<a href="HTTP://OK.TEST" rel="nofollow noopener noreferrer">'
     "HTTP://OK.TEST</a>"),
    ('http://x.test/"onmouseover=alert(1)',
     '<a href="http://x.test/" rel="nofollow noopener noreferrer">http://x.test/</a>'
     "&#34;onmouseover=alert(1)"),
    ("访问 http://例子.cn/路径。谢谢",
     '访问 <a href="http://例子.cn/路径" rel="nofollow noopener noreferrer">'
     "http://例子.cn/路径</a>。谢谢"),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("data:text/html,<script>", "data:text/html,&lt;script&gt;"),
    ("ftp://files.test/x", "ftp://files.test/x"),
    ("http://", "http://"),
    ("http:///etc/passwd", "http:///etc/passwd"),
    ("<a href='https://ok.test'>x</a>",
     "&lt;a href=&#39;<a href=\"https://ok.test\" rel=\"nofollow noopener noreferrer\">"
     "https://ok.test</a>&#39;&gt;x&lt;/a&gt;"),
    ("", ""),
]
# fmt: on


@pytest.mark.parametrize(("text", "markup"), LINKIFY)
def test_message_text_is_escaped_with_breaks_and_http_links_only(text, markup):
    assert str(linkify_plain_text(text)) == markup
