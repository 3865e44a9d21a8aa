"""Real Chromium: people sign in, see real CJK glyphs and switch to English.

Screenshots land in ``test-results/``.
"""

import pytest

from tests.browser import assert_real_glyphs
from tests.browser import sign_in
from tests.browser import switch_to_english

pytestmark = pytest.mark.browser


def test_admin_signs_in_and_reads_both_languages(live_server, page, backend, artifacts):
    sign_in(page, live_server, "admin@demo.test")

    assert page.url.endswith("/admin/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    for label in (
        "首页",
        "会员",
        "财务",
        "业务",
        "生产",
        "服务",
        "档案",
        "站务",
        "系统",
    ):
        assert page.locator(".topnav__link", has_text=label).count() >= 1
    assert_real_glyphs(page)
    page.hover(".topnav__item:has-text('服务')")
    assert page.locator(".topnav__menu", has_text="增值服务").first.is_visible()
    page.screenshot(path=artifacts / f"admin-zh-{backend}.png", full_page=True)

    switch_to_english(page)

    assert page.url.endswith("/admin/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".topnav__link", has_text="Members").count() == 1
    page.screenshot(path=artifacts / f"admin-en-{backend}.png", full_page=True)
    assert page.console_errors == []


def test_customer_signs_in_and_reads_both_languages(
    live_server, page, backend, artifacts
):
    sign_in(page, live_server, "customer@demo.test")

    assert page.url.endswith("/dashboard")
    assert page.get_by_text("账户余额").count() >= 1
    assert page.get_by_text("¥1,952.00").count() >= 1
    assert_real_glyphs(page)
    page.screenshot(path=artifacts / f"customer-zh-{backend}.png", full_page=True)

    switch_to_english(page)

    assert page.get_by_text("Account balance").count() >= 1
    page.screenshot(path=artifacts / f"customer-en-{backend}.png", full_page=True)
    assert page.console_errors == []


def test_customer_tops_up_through_the_sandbox_gateway(live_server, page, artifacts):
    sign_in(page, live_server, "customer@demo.test")
    page.goto(f"{live_server}/balance/top-ups")

    page.fill("input[name=amount]", "1e3")
    page.click("form.form button[type=submit]")
    assert page.locator(".field__error").count() == 1
    page.fill("input[name=amount]", "250.50")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/payments/sandbox/*")
    page.click("input[name=succeed]")
    page.wait_for_url("**/balance")

    assert page.locator("#balance").inner_text() == "¥2,202.50"
    assert page.locator(".flash--success").count() == 1
    page.screenshot(path=artifacts / "customer-balance-after-topup.png", full_page=True)
    assert page.console_errors == []


def test_pages_raise_no_csp_violation(live_server, page):
    visited = []
    sign_in(page, live_server, "admin@demo.test")
    for path in ("/admin/", "/admin/customers", "/admin/servers", "/admin/products"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        visited.append(path)

    page.goto(live_server + "/admin/customers")
    page.fill("input[name=q]", "110003")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**q=110003*")

    assert page.locator("#customers tbody tr").count() == 1
    assert "q=110003" in page.url  # htmx pushed the filter into the address
    assert page.console_errors == [], visited
