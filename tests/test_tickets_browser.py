"""Real Chromium through the ticket desk: a customer opens a business
technical ticket about a server, an agent finds it in the queue, inserts a
quick reply, sends it and a private note; the customer sees the reply only.

Uses the browser fixtures of ``tests/browser.py``; screenshots land in
``test-results/``.
"""

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.browser

SUBJECT = "web-01 打不开 CHROMIUM-7731"
QUICK_REPLY = "您好，工单已收到，技术人员正在处理，请耐心等待。"
NOTE = "内部备注：先查 nginx 日志 NOTE-5520"


@pytest.fixture
def agent_page(browser):
    """A second browser, for the agent, that records console errors too."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.console_errors = []

    def record(message):
        if message.type == "error" and "status of 422" not in message.text:
            tab.console_errors.append(message.text)

    tab.on("console", record)
    yield tab
    context.close()


def _open_ticket(page, base):
    sign_in(page, base, "customer@demo.test")
    page.click(".subnav a:has-text('工单')")
    page.click("a:has-text('提交工单')")
    page.select_option("select[name=department]", label="业务技术工单")
    page.select_option("select[name=server]", value="3856")
    page.fill("input[name=subject]", SUBJECT)
    page.fill("textarea[name=body]", "从早上开始 502。\n详情见 https://www.example.com")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/tickets/*")
    return page.url.rsplit("/", 1)[1]


def test_customer_ticket_agent_quick_reply_private_note(
    live_server, page, agent_page, backend, artifacts
):
    ticket_id = _open_ticket(page, live_server)

    assert page.locator(f"#ticket-status-{ticket_id}").inner_text() == "待处理"
    assert page.locator(".message__body a[href='https://www.example.com']").count() == 1

    sign_in(agent_page, live_server, "agent@demo.test")
    agent_page.goto(f"{live_server}/agent/tickets")
    agent_page.screenshot(path=artifacts / f"ticket-queue-{backend}.png")
    agent_page.fill("input[name=q]", "CHROMIUM-7731")
    agent_page.click(".filters button[type=submit]")
    agent_page.wait_for_url("**q=CHROMIUM-7731*")
    assert agent_page.locator("#queue tbody tr").count() == 1
    agent_page.click(f"#queue a[href='/agent/tickets/{ticket_id}']")
    agent_page.wait_for_url(f"**/agent/tickets/{ticket_id}")
    panel = agent_page.locator(".customer-panel")
    assert "3856" in panel.inner_text() and "云服务器" in panel.inner_text()

    agent_page.fill("textarea[name=body]", "王先生：")
    agent_page.click("a.quick-reply:has-text('已收到，正在处理')")
    box = agent_page.locator("#reply-body textarea[name=body]")
    box.wait_for()
    agent_page.wait_for_function(
        "text => document.querySelector('#reply-body textarea').value.includes(text)",
        arg=QUICK_REPLY,
    )
    assert box.input_value() == f"王先生：\n\n{QUICK_REPLY}"
    box.press("Control+End")
    box.type(" 预计 30 分钟内回复。")
    agent_page.click("button[name=send]")
    agent_page.locator(
        ".message--agent", has_text=f"{QUICK_REPLY} 预计 30 分钟内回复。"
    ).wait_for()
    status = agent_page.locator(f"#ticket-status-{ticket_id}")
    assert status.inner_text() == "已回复"  # swapped out of band
    assert agent_page.locator("#reply-body textarea").input_value() == ""

    agent_page.fill("textarea[name=body]", NOTE)
    agent_page.click("button[name=send_private]")
    agent_page.locator(".message--private", has_text="NOTE-5520").wait_for()
    assert status.inner_text() == "已回复"
    agent_page.screenshot(
        path=artifacts / f"ticket-agent-{backend}.png", full_page=True
    )

    page.reload()
    thread = page.locator(".thread").inner_text()
    assert QUICK_REPLY in thread and "预计 30 分钟内回复。" in thread
    assert "NOTE-5520" not in page.content()
    assert page.locator(f"#ticket-status-{ticket_id}").inner_text() == "已回复"
    page.screenshot(path=artifacts / f"ticket-customer-{backend}.png", full_page=True)

    page.fill("textarea[name=body]", "谢谢，已经恢复。")
    page.click("form.reply-form button[type=submit]")
    page.locator(".message--customer", has_text="谢谢，已经恢复。").wait_for()
    assert page.locator(f"#ticket-status-{ticket_id}").inner_text() == "客户回复"
    assert page.console_errors == []
    assert agent_page.console_errors == []


def test_agent_pages_of_the_desk_raise_no_csp_violation(live_server, page, artifacts):
    sign_in(page, live_server, "admin@demo.test")
    for path in (
        "/agent/tickets",
        "/agent/tickets/mine",
        "/agent/tickets/1",
        "/admin/departments",
        "/admin/ticket-permissions",
        "/admin/quick-replies",
        "/admin/ticket-settings",
        "/admin/ticket-ratings",
    ):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")

    page.goto(live_server + "/admin/ticket-permissions")
    card = page.locator(".permission", has_text="李工")
    card.get_by_label("业务技术工单").check()
    card.locator("button[type=submit]").click()
    page.locator(".flash--success", has_text="工单权限已保存").wait_for()
    page.screenshot(path=artifacts / "ticket-permissions.png", full_page=True)
    assert page.console_errors == []
