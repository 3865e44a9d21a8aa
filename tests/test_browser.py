"""Real Chromium: people sign in, see real CJK glyphs and switch to English.

Screenshots land in ``test-results/``. Without Chromium these tests skip with
a reason, unless ``VAS_REQUIRE_BROWSER=1`` makes its absence a failure.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from vas.extensions import db
from vas.services import demo

CHROMIUM = Path(os.environ.get("VAS_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("VAS_REQUIRE_BROWSER") == "1"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser

# Draws two different ideographs in the page's own font: if the font has no
# CJK glyphs both come out as the same "tofu" box (or nothing at all).
GLYPH_PROBE = """
() => {
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 64;
  const g = canvas.getContext('2d');
  const family = getComputedStyle(document.body).fontFamily;
  const draw = (ch) => {
    g.clearRect(0, 0, 64, 64);
    g.font = `48px ${family}`;
    g.fillStyle = '#000';
    g.fillText(ch, 4, 52);
    const data = g.getImageData(0, 0, 64, 64).data;
    let inked = 0, hash = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i] > 0) inked++;
      hash = (hash * 31 + data[i]) >>> 0;
    }
    return {inked, hash};
  };
  return {a: draw('服'), b: draw('务'), c: draw('费')};
}
"""


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: browser tests skipped"
        if REQUIRE:
            pytest.fail(message + " (VAS_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def live_server(app):
    """Serve the test app over real HTTP, with the demo data loaded."""
    with app.app_context():
        demo.load()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.console_errors = []

    def record(message):
        # A refused form answers 422 on purpose; Chromium logs that as an error.
        if message.type == "error" and "status of 422" not in message.text:
            tab.console_errors.append(message.text)

    tab.on("console", record)
    yield tab
    context.close()


def _sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")


def _assert_real_glyphs(page):
    probe = page.evaluate(GLYPH_PROBE)
    assert all(glyph["inked"] > 50 for glyph in probe.values()), probe
    assert len({glyph["hash"] for glyph in probe.values()}) == 3, probe


def _switch_to_english(page):
    page.click("button.lang-switch__btn[value=en]")
    page.wait_for_load_state("networkidle")


def test_admin_signs_in_and_reads_both_languages(live_server, page, backend, artifacts):
    _sign_in(page, live_server, "admin@demo.test")

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
    _assert_real_glyphs(page)
    page.hover(".topnav__item:has-text('服务')")
    assert page.locator(".topnav__menu", has_text="增值服务").first.is_visible()
    page.screenshot(path=artifacts / f"admin-zh-{backend}.png", full_page=True)

    _switch_to_english(page)

    assert page.url.endswith("/admin/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".topnav__link", has_text="Members").count() == 1
    page.screenshot(path=artifacts / f"admin-en-{backend}.png", full_page=True)
    assert page.console_errors == []


def test_customer_signs_in_and_reads_both_languages(
    live_server, page, backend, artifacts
):
    _sign_in(page, live_server, "customer@demo.test")

    assert page.url.endswith("/dashboard")
    assert page.get_by_text("账户余额").count() >= 1
    assert page.get_by_text("¥1,000.00").count() >= 1
    _assert_real_glyphs(page)
    page.screenshot(path=artifacts / f"customer-zh-{backend}.png", full_page=True)

    _switch_to_english(page)

    assert page.get_by_text("Account balance").count() >= 1
    page.screenshot(path=artifacts / f"customer-en-{backend}.png", full_page=True)
    assert page.console_errors == []


def test_customer_tops_up_through_the_sandbox_gateway(live_server, page, artifacts):
    _sign_in(page, live_server, "customer@demo.test")
    page.goto(f"{live_server}/balance/top-ups")

    page.fill("input[name=amount]", "1e3")
    page.click("form.form button[type=submit]")
    assert page.locator(".field__error").count() == 1
    page.fill("input[name=amount]", "250.50")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/payments/sandbox/*")
    page.click("input[name=succeed]")
    page.wait_for_url("**/balance")

    assert page.locator("#balance").inner_text() == "¥1,250.50"
    assert page.locator(".flash--success").count() == 1
    page.screenshot(path=artifacts / "customer-balance-after-topup.png", full_page=True)
    assert page.console_errors == []


def test_pages_raise_no_csp_violation(live_server, page):
    visited = []
    _sign_in(page, live_server, "admin@demo.test")
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
