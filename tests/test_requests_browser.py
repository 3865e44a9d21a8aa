"""Chromium, end to end: service requests, a pushed service paid in place,
and the record counts in 业务列表.

On the demo data: customer@demo.test's bare-metal server db-01 (459) is on
基础服务 and its free use is spent; customer2@demo.test's blog (3854) is on
金牌服务.
"""

import re

import pytest

from tests.browser import assert_real_glyphs
from tests.browser import sign_in
from tests.browser import switch_to_english

pytestmark = pytest.mark.browser


def _new_context_page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not re.search(r"status of 4(02|09|22)", m.text)
            and page.console_errors.append(m.text)
        ),
    )
    return context, page


def _request(page, base, server_id, tab, item, *, from_server_page=False):
    """Pick ``item`` on the new-ticket form, opened blank or from the server."""
    if from_server_page:
        page.goto(f"{base}/servers/{server_id}")
        page.click("#request-service")
    else:
        page.goto(f"{base}/tickets/new")
        page.select_option("#server", str(server_id))
    page.locator(".service-picker").wait_for()
    page.click(f"label.tabs__label:has-text('{tab}')")
    page.locator("label.choice--item", has_text=item).click()
    page.locator(".request-quote__source").wait_for()


def test_requests_push_and_payment_in_place(
    live_server, page, browser, backend, artifacts
):
    # A 基础服务 customer requests a priced item and sees it charged.
    sign_in(page, live_server, "customer@demo.test")
    assert "¥1,952.00" in page.locator("#balance-badge").inner_text()
    _request(page, live_server, 459, "站点设置", "web配置/参数调整")
    quote = page.locator("#request-quote").inner_text()
    assert "从余额扣除 ¥200.00" in quote and "¥1,952.00" in quote
    page.fill("#body", "Nginx 的 worker 数需要调整，谢谢。")
    page.screenshot(path=artifacts / f"request-form-zh-{backend}.png", full_page=True)
    page.click("form.ticket-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/tickets/\d+$"))
    ticket_url = page.url
    assert "¥1,752.00" in page.locator("#balance-badge").inner_text()
    thread = page.locator("ol.thread").inner_text()
    assert (
        "服务等级: 基础服务。服务项目: web配置/参数调整。服务价格: ¥200.00。" in thread
    )
    assert "客户已支付" in thread

    # A 金牌服务 customer requests an item free at that level.
    other_context, other = _new_context_page(browser)
    sign_in(other, live_server, "customer2@demo.test")
    _request(
        other,
        live_server,
        3854,
        "系统设置",
        "磁盘扩容/合并/分区挂载",
        from_server_page=True,
    )
    assert "等级内免费" in other.locator("#request-quote").inner_text()
    other.fill("#body", "新挂了一块 200G 数据盘，请帮忙分区挂载到 /data。")
    other.click("form.ticket-form button[type=submit]")
    other.wait_for_url(re.compile(r".*/tickets/\d+$"))
    assert "服务价格: 免费" in other.locator("ol.thread").inner_text()
    assert "¥751.00" in other.locator("#balance-badge").inner_text()
    assert other.console_errors == []
    other_context.close()

    # The agent pushes two items with an edited pay price.
    agent_context, agent = _new_context_page(browser)
    sign_in(agent, live_server, "agent@demo.test")
    ticket_id = ticket_url.rsplit("/", 1)[1]
    agent.goto(f"{live_server}/agent/tickets")
    row = agent.locator(
        "tr", has=agent.locator(f"a[href='/agent/tickets/{ticket_id}']")
    )
    assert row.locator(".badge--vas").inner_text() == "基础服务"
    agent.goto(f"{live_server}/agent/tickets/{ticket_id}")
    assert "基础服务" in agent.locator("#vas-panel").inner_text()
    agent.click("#push-panel summary")
    agent.locator("#push-panel label.choice", has_text="磁盘占满清理").click()
    agent.wait_for_function(
        "() => document.querySelector('#push-list-total').innerText === '¥100.00'"
    )
    agent.click("#push-panel label.tabs__label:has-text('站点设置')")
    agent.locator("#push-panel label.choice", has_text="网站助手").click()
    agent.wait_for_function(
        "() => document.querySelector('#push-list-total').innerText === '¥200.00'"
    )
    assert agent.input_value("#pay_price") == "200.00"
    agent.fill("#pay_price", "150.00")
    agent.fill(
        "#reply-body textarea", "您好，清理磁盘并排查面板问题，合计优惠价 ¥150.00。"
    )
    agent.screenshot(path=artifacts / f"push-panel-zh-{backend}.png", full_page=True)
    agent.click("#push-panel button[type=submit]")
    agent.locator(".push .push__price").wait_for()
    assert "¥150.00" in agent.locator(".push").last.inner_text()
    assert agent.console_errors == []

    # The customer pays in the ticket: badge and thread update, no reload.
    page.reload()
    page.evaluate("window.__stayed = true")
    pay = page.locator(".push button", has_text="支付 ¥150.00")
    assert pay.count() == 1
    pay.click()
    page.wait_for_function(
        "() => document.querySelector('#balance-badge').innerText.includes('¥1,602.00')"
    )
    assert page.evaluate("window.__stayed") is True  # swapped in place
    assert page.url == ticket_url
    assert "已支付" in page.locator(".push").last.inner_text()
    assert "客户已支付" in page.locator("ol.thread").inner_text()
    assert_real_glyphs(page)
    page.screenshot(path=artifacts / f"push-paid-zh-{backend}.png", full_page=True)
    switch_to_english(page)
    assert "Pay price" in page.locator(".push").last.inner_text()
    page.screenshot(path=artifacts / f"push-paid-en-{backend}.png", full_page=True)
    assert page.console_errors == []

    # 业务列表 counts the new records: db-01 had the demo's free-use record,
    # now also the paid request and the two pushed items.
    agent_context.close()
    admin_context, admin = _new_context_page(browser)
    sign_in(admin, live_server, "admin@demo.test")
    admin.goto(f"{live_server}/admin/vas/subscriptions?q=459")
    cells = admin.locator("#subscriptions tbody tr").first.locator("td")
    assert cells.nth(4).inner_text().startswith("459")
    assert cells.nth(5).inner_text() == "4"
    admin.screenshot(path=artifacts / f"subscriptions-records-{backend}.png")
    assert admin.console_errors == []
    admin_context.close()
