"""The agent side: queue, 我的工单, ticket page (工单信息), replies, private
notes, quick replies, status and assignment; department limits; query counts.
"""

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.ticket_helpers import desk_state
from tests.ticket_helpers import field_errors
from vas.extensions import db
from vas.models import Ticket
from vas.models import TicketMessage

HOUR = timedelta(hours=1)
NOW = datetime.now(UTC)


def _state(app, ticket_id):
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        messages = db.session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id)
        )
        return (
            ticket.status,
            ticket.assignee_id,
            [(m.author_kind, m.body, m.is_private) for m in messages],
        )


@pytest.fixture
def agent(client, desk):
    client.login(desk.agent.email)
    return client


def _ids_in_queue(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/agent/tickets/(\d+)"', html)]


def test_queue_lists_only_departments_the_agent_works(make_client, desk, make_ticket):
    finance = make_ticket(customer_id=desk.customer_b.id, department_id=desk.finance.id)
    clients = {}
    for who in ("agent", "agent_np", "admin"):
        clients[who] = make_client()
        clients[who].login(getattr(desk, who).email)

    seen = {
        who: _ids_in_queue(c.get("/agent/tickets").get_data(as_text=True))
        for who, c in clients.items()
    }

    assert sorted(seen["agent"]) == sorted([desk.ticket.id, finance.id])
    assert seen["agent_np"] == [finance.id]
    assert sorted(seen["admin"]) == sorted([desk.ticket.id, finance.id])


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "", None),
        ("htmx", "", None),
        ("post", "/replies", {"body": "x", "send": "y"}),
        ("post", "/status", {"status": "closed"}),
        ("post", "/assignee", {"assignee": ""}),
        ("get", "/quick-replies/{reply}", None),
    ],
)
def test_a_ticket_outside_the_agents_departments_is_404(
    app, make_client, desk, make_quick_reply, method, path, data
):
    reply = make_quick_reply()
    client = make_client(htmx=method == "htmx")
    client.login(desk.agent_np.email)
    before = desk_state(app)

    url = f"/agent/tickets/{desk.ticket.id}{path.format(reply=reply.id)}"
    response = client.post(url, data) if method == "post" else client.get(url)

    assert response.status_code == 404
    assert "a-web-01 is down" not in response.get_data(as_text=True)
    assert desk_state(app) == before


def _queue(make_ticket, make_reply, desk):
    """Four tickets waiting different times, one answered, one of customer B."""
    made = {}
    for name, hours in (("oldest", 30), ("middle", 10), ("newest", 1)):
        made[name] = make_ticket(
            customer_id=desk.customer_a.id,
            department_id=desk.finance.id,
            subject=f"{name} question",
            now=NOW - hours * HOUR,
        ).id
    made["answered"] = make_ticket(
        customer_id=desk.customer_b.id,
        department_id=desk.finance.id,
        subject="refund please",
        now=NOW - 50 * HOUR,
    ).id
    make_reply(ticket_id=made["answered"], author_id=desk.agent.id, body="ok", now=NOW)
    return made


def test_queue_puts_the_longest_waiting_first_and_answered_last(
    agent, desk, make_ticket, make_reply
):
    made = _queue(make_ticket, make_reply, desk)

    html = agent.get(f"/agent/tickets?department_id={desk.finance.id}").get_data(
        as_text=True
    )

    assert _ids_in_queue(html) == [
        made["oldest"],
        made["middle"],
        made["newest"],
        made["answered"],
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=answered", ["answered"]),
        ("status=open&department_id={finance}", ["oldest", "middle", "newest"]),
        ("department_id={tech}", ["desk"]),
        ("customer_id={customer_b}", ["answered"]),
        ("q=middle", ["middle"]),
        ("q=REFUND", ["answered"]),
        ("q={middle_id}", ["middle"]),
        ("q=Customer B", ["answered"]),
        ("status=closed", []),
        ("status=bogus&customer_id={customer_b}", ["answered"]),
    ],
)
def test_queue_filters_by_status_department_customer_and_keyword(
    agent, desk, make_ticket, make_reply, query, expected
):
    made = _queue(make_ticket, make_reply, desk)
    made["desk"] = desk.ticket.id
    url = "/agent/tickets?" + query.format(
        finance=desk.finance.id,
        tech=desk.tech.id,
        customer_b=desk.customer_b.id,
        middle_id=made["middle"],
    )

    html = agent.get(url).get_data(as_text=True)

    assert _ids_in_queue(html) == [made[name] for name in expected]


def test_queue_counts_tickets_per_status_under_the_other_filters(
    agent, desk, make_ticket, make_reply
):
    _queue(make_ticket, make_reply, desk)

    html = agent.get(
        f"/agent/tickets?status=answered&department_id={desk.finance.id}"
    ).get_data(as_text=True)

    assert 'id="count-open">待处理 <span class="status-counts__n">3</span>' in html
    assert 'id="count-answered">已回复 <span class="status-counts__n">1</span>' in html
    assert 'id="count-closed">已关闭 <span class="status-counts__n">0</span>' in html


def test_queue_is_paginated_and_answers_htmx_with_the_queue_only(
    make_client, desk, make_ticket
):
    for _ in range(25):
        make_ticket(customer_id=desk.customer_a.id, department_id=desk.finance.id)
    htmx = make_client(htmx=True)
    htmx.login(desk.agent.email)

    first = htmx.get("/agent/tickets").get_data(as_text=True)
    second = htmx.get("/agent/tickets?page=2").get_data(as_text=True)

    assert first.lstrip().startswith('<div id="queue">')
    assert len(_ids_in_queue(first)) == 20 and len(_ids_in_queue(second)) == 6
    assert not set(_ids_in_queue(first)) & set(_ids_in_queue(second))
    assert "第 2 / 2 页" in second


def test_my_tickets_are_the_ones_assigned_to_me(agent, app, desk, make_ticket):
    mine = make_ticket(customer_id=desk.customer_a.id, department_id=desk.finance.id)
    agent.post(f"/agent/tickets/{mine.id}/assignee", {"assignee": str(desk.agent.id)})

    html = agent.get("/agent/tickets/mine").get_data(as_text=True)

    assert _ids_in_queue(html) == [mine.id]
    assert "<h1>我的工单</h1>" in html


def test_ticket_page_shows_the_customer_panel(agent, desk):
    html = agent.get(f"/agent/tickets/{desk.ticket.id}").get_data(as_text=True)

    assert f'<dd id="customer-id">{desk.customer_a.id}</dd>' in html
    assert '<dd id="customer-balance">¥88.00</dd>' in html
    server_panel = html.split('id="ticket-server"')[1].split("</dl>")[0]
    assert f"<dd>{desk.server.id}</dd>" in server_panel
    assert "云服务器" in server_panel and "a-web-01" in server_panel
    assert (datetime.now().date() + timedelta(days=30)).isoformat() in server_panel


def test_htmx_reply_appears_in_place_and_updates_the_badge(app, make_client, desk):
    htmx = make_client(htmx=True)
    htmx.login(desk.agent.email)

    response = htmx.post(
        f"/agent/tickets/{desk.ticket.id}/replies",
        {"body": "Restarted nginx.", "send": "y"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="conversation">')
    assert "Restarted nginx." in html
    assert (
        f'<span id="ticket-status-{desk.ticket.id}" class="badge badge--ok"'
        ' hx-swap-oob="true">已回复</span>'
    ) in html
    assert _state(app, desk.ticket.id)[0] == "answered"


def test_reply_without_htmx_answers_303(app, agent, desk):
    response = agent.post(
        f"/agent/tickets/{desk.ticket.id}/replies", {"body": "Done.", "send": "y"}
    )

    assert response.status_code == 303
    assert response.location == f"/agent/tickets/{desk.ticket.id}"
    assert _state(app, desk.ticket.id)[2][-1] == ("agent", "Done.", False)


def test_private_reply_is_kept_for_staff_and_changes_no_status(app, agent, desk):
    response = agent.post(
        f"/agent/tickets/{desk.ticket.id}/replies",
        {"body": "Customer sounds upset.", "send_private": "y"},
    )

    status, _, messages = _state(app, desk.ticket.id)
    assert response.status_code == 303
    assert status == "open"
    assert messages[-1] == ("agent", "Customer sounds upset.", True)
    html = agent.get(response.location).get_data(as_text=True)
    assert "message--private" in html and "Customer sounds upset." in html


@pytest.mark.parametrize("htmx", [False, True])
def test_empty_staff_reply_is_refused_beside_the_box(app, make_client, desk, htmx):
    client = make_client(htmx=htmx)
    client.login(desk.agent.email)
    before = desk_state(app)

    response = client.post(
        f"/agent/tickets/{desk.ticket.id}/replies", {"body": "", "send": "y"}
    )

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "body") == ["请填写内容。"]
    assert desk_state(app) == before


def test_staff_reply_to_a_closed_ticket_is_refused_with_the_reason(
    app, agent, desk, close_ticket
):
    close_ticket(ticket_id=desk.ticket.id, actor_id=desk.agent.id)
    before = desk_state(app)

    response = agent.post(
        f"/agent/tickets/{desk.ticket.id}/replies", {"body": "late", "send": "y"}
    )

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "body") == [
        "工单已关闭，请先重新打开工单。"
    ]
    assert desk_state(app) == before


def test_quick_reply_goes_into_the_reply_box_after_the_draft(
    make_client, desk, make_quick_reply
):
    template = make_quick_reply(title="Greeting", body="您好，<请稍候>。")
    htmx = make_client(htmx=True)
    htmx.login(desk.agent.email)
    url = f"/agent/tickets/{desk.ticket.id}/quick-replies/{template.id}"

    empty = htmx.get(url)
    drafted = htmx.get(url, query_string={"body": "Dear customer,"})

    assert empty.get_data(as_text=True).strip() == (
        '<div id="reply-body">\n  <div class="field">\n'
        '  <label class="required" for="body">回复内容</label>\n'
        '  <textarea id="body" maxlength="10000" name="body" required rows="6">\r\n'
        "您好，&lt;请稍候&gt;。</textarea>\n</div>\n</div>"
    )
    assert "Dear customer,\n\n您好，&lt;请稍候&gt;。</textarea>" in drafted.get_data(
        as_text=True
    )


def test_quick_reply_without_htmx_opens_the_page_with_the_box_filled(
    agent, desk, make_quick_reply
):
    template = make_quick_reply(body="Template text")

    response = agent.get(f"/agent/tickets/{desk.ticket.id}/quick-replies/{template.id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in html and "\nTemplate text</textarea>" in html


def test_ticket_page_offers_every_quick_reply_as_an_htmx_button(
    agent, desk, make_quick_reply
):
    template = make_quick_reply(title="Ask for logs")

    html = agent.get(f"/agent/tickets/{desk.ticket.id}").get_data(as_text=True)

    url = f"/agent/tickets/{desk.ticket.id}/quick-replies/{template.id}"
    assert f'hx-get="{url}"' in html
    assert 'hx-target="#reply-body"' in html and 'hx-swap="outerHTML"' in html
    assert ">Ask for logs</a>" in html


@pytest.mark.parametrize(
    ("start", "target", "after", "error"),
    [
        ("open", "closed", "closed", None),
        ("open", "answered", "answered", None),
        ("open", "open", "open", "只有已关闭的工单才能重新打开。"),
        ("closed", "open", "open", None),
        ("closed", "closed", "closed", "工单已经是已关闭状态。"),
        ("closed", "answered", "closed", "工单已关闭，请先重新打开工单。"),
        ("open", "customer_reply", "open", "不能手动设置为该状态。"),
        ("open", "bogus", "open", "不能手动设置为该状态。"),
    ],
)
def test_status_change_follows_the_table(
    app, agent, desk, close_ticket, start, target, after, error
):
    if start == "closed":
        close_ticket(ticket_id=desk.ticket.id, actor_id=desk.agent.id)
    before = desk_state(app)

    response = agent.post(f"/agent/tickets/{desk.ticket.id}/status", {"status": target})

    assert _state(app, desk.ticket.id)[0] == after
    if error is None:
        assert response.status_code == 303
    else:
        assert response.status_code == 422
        assert field_errors(response.get_data(as_text=True), "status") == [error]
        assert desk_state(app) == before


def test_assign_to_an_agent_who_works_the_department(app, agent, desk):
    response = agent.post(
        f"/agent/tickets/{desk.ticket.id}/assignee", {"assignee": str(desk.agent.id)}
    )
    unassign = agent.post(f"/agent/tickets/{desk.ticket.id}/assignee", {"assignee": ""})

    assert (response.status_code, unassign.status_code) == (303, 303)
    assert _state(app, desk.ticket.id)[1] is None


@pytest.mark.parametrize("who", ["agent_np", "customer_a", "nobody"])
def test_assign_to_someone_outside_the_department_is_refused(app, agent, desk, who):
    target = "999999" if who == "nobody" else str(getattr(desk, who).id)
    before = desk_state(app)

    response = agent.post(
        f"/agent/tickets/{desk.ticket.id}/assignee", {"assignee": target}
    )

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "assignee") == [
        "只能分配给负责该工单分类的客服。"
    ]
    assert desk_state(app) == before


# Hostile text on every agent page and fragment: tests/test_xss.py.


def _grow(desk, make_ticket, make_reply, make_quick_reply, tickets, messages):
    """Add tickets to the finance queue and messages to the desk ticket."""
    for n in range(tickets):
        made = make_ticket(
            customer_id=(desk.customer_a if n % 2 else desk.customer_b).id,
            department_id=desk.finance.id,
        )
        if n % 3 == 0:
            make_reply(ticket_id=made.id, author_id=desk.agent.id, body="ok")
    for n in range(messages):
        make_reply(
            ticket_id=desk.ticket.id,
            author_id=desk.agent.id if n % 2 else desk.customer_a.id,
            body=f"message {n}",
            private=n % 4 == 1,
        )
    make_quick_reply()


# Today: queue 6, ticket page 8, customer list 3, customer ticket 5 statements
# (a ticket whose server has no subscription; test_pushes.py measures the
# pages of a VAS ticket with pushes and service records).
QUERY_BOUND = 9


def test_query_counts_do_not_grow_with_tickets_or_messages(
    app, make_client, count_queries, desk, make_ticket, make_reply, make_quick_reply
):
    agent_page, agent_htmx = make_client(), make_client(htmx=True)
    customer_page, customer_htmx = make_client(), make_client(htmx=True)
    for client in (agent_page, agent_htmx):
        client.login(desk.agent.email)
    for client in (customer_page, customer_htmx):
        client.login(desk.customer_a.email)
    ticket = f"/tickets/{desk.ticket.id}"
    requests = [
        (agent_page, "/agent/tickets"),
        (agent_htmx, "/agent/tickets"),
        (agent_page, f"/agent/tickets?status=open&department_id={desk.tech.id}"),
        (agent_page, "/agent/tickets/mine"),
        (agent_page, f"/agent{ticket}"),
        (agent_htmx, f"/agent{ticket}"),
        (customer_page, "/tickets"),
        (customer_htmx, "/tickets"),
        (customer_page, ticket),
        (customer_htmx, ticket),
    ]

    def measure():
        counts = []
        for client, url in requests:
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return counts

    _grow(desk, make_ticket, make_reply, make_quick_reply, tickets=2, messages=2)
    few = measure()
    _grow(desk, make_ticket, make_reply, make_quick_reply, tickets=40, messages=60)
    many = measure()

    assert few == many
    assert max(many) <= QUERY_BOUND, many


# --- the workspace (工作台) ---------------------------------------------------


def _set_status(app, ticket_id, status):
    with app.app_context():
        db.session.get(Ticket, ticket_id).status = status
        db.session.commit()


def test_workspace_counts_open_tickets_per_department_and_links_to_them(
    app, agent, desk, make_ticket, count_queries
):
    finance = [
        make_ticket(customer_id=desk.customer_b.id, department_id=desk.finance.id)
        for _ in range(3)
    ]
    _set_status(app, finance[0].id, "answered")
    _set_status(app, finance[1].id, "closed")

    with count_queries() as few:
        page = agent.get("/agent/").get_data(as_text=True)
    for _ in range(5):
        make_ticket(customer_id=desk.customer_b.id, department_id=desk.finance.id)
    with count_queries() as many:
        more = agent.get("/agent/").get_data(as_text=True)

    def cell(html, department, status):
        link = re.escape(
            f'/agent/tickets?status={status}&amp;department_id={department.id}">'
        )
        return re.search(link + r"(\d+\+?)</a>", html).group(1)

    assert cell(page, desk.tech, "open") == "1"
    assert cell(page, desk.finance, "open") == "1"
    assert cell(page, desk.finance, "answered") == "1"
    assert cell(page, desk.finance, "customer_reply") == "0"
    assert cell(more, desk.finance, "open") == "6"
    assert few.count == many.count <= 4, many.statements


def test_workspace_shows_only_the_agents_departments(app, client, desk):
    client.login(desk.agent_np.email)

    page = client.get("/agent/").get_data(as_text=True)

    assert f"department_id={desk.finance.id}" in page
    assert f"department_id={desk.tech.id}" not in page


def test_open_counts_stop_at_the_cap(app, desk, make_ticket):
    from vas.models import Department
    from vas.services import ticket_queries

    for _ in range(3):
        make_ticket(customer_id=desk.customer_b.id, department_id=desk.finance.id)
    with app.app_context():
        finance = db.session.get(Department, desk.finance.id)
        counts = ticket_queries.open_counts([finance], cap=2)

    assert str(counts[(finance.id, "open")]) == "2+"
    assert str(counts[(finance.id, "answered")]) == "0"
