"""Browser fixtures: Debian Chromium through Playwright, and a live server.

Loaded as a pytest plugin by conftest.py. Without Chromium, browser tests
skip with a reason, unless ``VAS_REQUIRE_BROWSER=1`` makes that a failure.
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
            where = message.location
            tab.console_errors.append(
                f"{message.text} [{where.get('url')}:{where.get('lineNumber')}]"
            )

    tab.on("console", record)
    yield tab
    context.close()


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")


def assert_real_glyphs(page):
    probe = page.evaluate(GLYPH_PROBE)
    assert all(glyph["inked"] > 50 for glyph in probe.values()), probe
    assert len({glyph["hash"] for glyph in probe.values()}) == 3, probe


def switch_to_english(page):
    page.click("button.lang-switch__btn[value=en]")
    page.wait_for_load_state("networkidle")
