"""Chromium: a customer checks out a server with 银牌服务 and lands on its page."""

import re

import pytest

from tests.browser import assert_real_glyphs
from tests.browser import sign_in
from tests.browser import switch_to_english

pytestmark = pytest.mark.browser

PRODUCT = "云服务器 2核4G"  # the demo's ¥99.00/月 cloud server


def _total(page) -> str:
    return page.locator("#order-total").inner_text().strip()


def test_customer_buys_a_server_with_a_level_and_sees_it_highlighted(
    live_server, page, backend, artifacts
):
    sign_in(page, live_server, "customer@demo.test")
    page.goto(f"{live_server}/orders/new")
    card = page.locator("section.product-card", has_text=PRODUCT)
    card.locator("a.btn").click()
    page.wait_for_load_state("networkidle")

    assert_real_glyphs(page)
    assert _total(page) == "¥99.00"
    assert page.locator(".vas-tip").inner_text().startswith("购买即赠送 1 次")

    page.locator("label.choice", has_text="银牌服务").click()
    page.wait_for_function(
        "() => document.querySelector('#order-total').innerText.trim() === '¥199.00'"
    )
    assert "¥100.00 × 1 个月" in page.locator("#order-summary").inner_text()

    page.fill("#promo_code", "welcome10")
    page.wait_for_function(
        "() => document.querySelector('#order-total').innerText.trim() === '¥189.10'"
    )
    assert page.input_value("#promo_code") == "welcome10"  # only the summary swapped
    assert (
        page.locator("label.choice", has_text="银牌服务").locator("input").is_checked()
    )
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar stays on top
    page.screenshot(path=artifacts / f"checkout-zh-{backend}.png", full_page=True)

    page.click("button[name=action][value=pay]")
    page.wait_for_url(re.compile(r".*/servers/\d+$"))
    page.wait_for_load_state("networkidle")

    assert "支付成功" in page.locator("#flashes").inner_text()
    current = page.locator("table.matrix--customer thead th.is-current")
    assert current.count() == 1 and "银牌服务" in current.inner_text()
    assert page.locator("td.is-current .badge--free").count() >= 1
    assert page.locator("strong.free-uses").inner_text() == "1"
    assert_real_glyphs(page)
    page.screenshot(path=artifacts / f"product-zh-{backend}.png", full_page=True)

    page.select_option("#level_id", label="金牌服务 · ¥150.00/月")
    page.locator("#level-change form").wait_for()
    assert "确认升级并支付" in page.locator("#level-change").inner_text()

    page.locator("section.vas-panel").screenshot(
        path=artifacts / f"level-change-zh-{backend}.png"
    )
    switch_to_english(page)
    assert page.locator("table.matrix--customer thead th.is-current").count() == 1
    page.screenshot(path=artifacts / f"product-en-{backend}.png", full_page=True)
    assert page.console_errors == []
