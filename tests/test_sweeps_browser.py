"""What Chromium itself says: no CSP violation on any role's main pages, and
no hostile text that runs.

The HTTP sweeps parse every answer; these tests let a real browser load the
pages, run htmx and report through its console, a ``securitypolicyviolation``
listener and its dialog event. The pages are the same on both databases, so
they run on SQLite.
"""

import pytest
import sqlalchemy as sa

from tests.browser import sign_in
from tests.ticket_helpers import XSS_PAYLOADS
from vas.extensions import db
from vas.models import Department
from vas.models import QuickReply
from vas.models import Server
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import User

pytestmark = pytest.mark.browser

# Installed before any page script: every CSP violation the page raises.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""

MAIN_PAGES = {
    "customer@demo.test": [
        "/dashboard",
        "/servers",
        "/servers/{server}",
        "/balance",
        "/balance/top-ups",
        "/orders",
        "/orders/new",
        "/orders/new/{product}",
        "/service-levels",
        "/tickets",
        "/tickets/new",
        "/tickets/{ticket}",
    ],
    "agent2@demo.test": ["/agent/", "/agent/tickets", "/agent/tickets/mine"],
    "agent@demo.test": [
        "/agent/",
        "/agent/tickets",
        "/agent/tickets/mine",
        "/agent/tickets/{ticket}",
    ],
    "admin@demo.test": [
        "/admin/",
        "/admin/customers",
        "/admin/customers/{customer}",
        "/admin/ledger",
        "/admin/payments",
        "/admin/servers",
        "/admin/servers/{server}/edit",
        "/admin/products",
        "/admin/settings/vas",
        "/admin/vas/levels",
        "/admin/vas/items",
        "/admin/vas/matrix",
        "/admin/vas/subscriptions",
        "/admin/audit",
        "/admin/departments",
        "/admin/ticket-permissions",
        "/admin/quick-replies",
        "/admin/ticket-settings",
        "/admin/ticket-ratings",
    ],
}


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("the browser sees the same pages on both databases")


def _demo_ids(app) -> dict:
    with app.app_context():
        customer = db.session.scalars(
            sa.select(User).filter_by(email="customer@demo.test")
        ).one()
        server = db.session.scalars(
            sa.select(Server)
            .filter_by(customer_id=customer.id, status="active")
            .order_by(Server.id)
        ).first()
        ticket = db.session.scalars(
            sa.select(Ticket).filter_by(customer_id=customer.id).order_by(Ticket.id)
        ).first()
        return {
            "customer": customer.id,
            "server": server.id,
            "product": server.product_id,
            "ticket": ticket.id,
        }


def _visit(page, base, path) -> list[str]:
    """Load a page; return what the browser reported against it."""
    page.goto(base + path, wait_until="load")  # deferred scripts have run
    reported = page.evaluate("window.__violations || []")
    return [f"{path}: {v}" for v in reported]


def _policy_messages(page) -> list[str]:
    return [m for m in page.console_errors if "Content Security Policy" in m]


def test_main_pages_of_each_role_raise_no_csp_violation(
    sqlite_only, app, live_server, browser
):
    ids = _demo_ids(app)
    reported, visited = [], 0

    for email, paths in MAIN_PAGES.items():
        context = browser.new_context()
        context.add_init_script(LISTEN)
        page = context.new_page()
        messages = []
        page.on("console", lambda m, messages=messages: messages.append(m.text))
        sign_in(page, live_server, email)
        for path in paths:
            reported += _visit(page, live_server, path.format(**ids))
            visited += 1
        reported += [m for m in messages if "Content Security Policy" in m]
        context.close()

    assert visited == sum(len(paths) for paths in MAIN_PAGES.values())
    assert reported == []


def test_the_listener_reports_a_violation(sqlite_only, live_server, browser):
    """Negative control: markup that slipped into a page is reported."""
    context = browser.new_context()
    context.add_init_script(LISTEN)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _visit(page, live_server, "/login")

    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend',"
        " '<img src=x onerror=alert(1)><div onclick=alert(2)>x</div>')"
    )
    page.click("text=x", position={"x": 1, "y": 1})
    page.wait_for_timeout(200)
    reported = page.evaluate("window.__violations")
    context.close()

    assert dialogs == []  # the policy stopped it
    assert any(v.startswith("script-src") for v in reported), reported


SAMPLE = XSS_PAYLOADS[:12] + [p for p in XSS_PAYLOADS if "textarea" in p]


def _plant(app, payloads) -> dict:
    """Put hostile text where each role's pages show it (as the forms would)."""
    ids = _demo_ids(app)
    with app.app_context():
        customer = db.session.get(User, ids["customer"])
        ticket = db.session.get(Ticket, ids["ticket"])
        joined = "\n".join(payloads)
        customer.name = payloads[1][:100]
        ticket.subject = payloads[0][:200]
        db.session.add(
            TicketMessage(
                ticket_id=ticket.id,
                author_id=customer.id,
                author_kind="customer",
                body=joined,
            )
        )
        for n, payload in enumerate(payloads):
            db.session.add(QuickReply(title=f"{n} {payload}"[:100], body=payload))
            db.session.add(Department(name=f"{n} {payload}"[:60], description=payload))
        level = db.session.scalars(
            sa.select(ServiceLevel)
            .filter_by(is_default=False)
            .order_by(ServiceLevel.id)
        ).first()
        level.name = payloads[2][:40]
        level.description = joined
        item = db.session.scalars(
            sa.select(ServiceItem).order_by(ServiceItem.id)
        ).first()
        item.name = payloads[3][:120]
        item.description = joined
        db.session.commit()
    return ids


HOSTILE_VIEWS = {
    "customer@demo.test": [
        "/dashboard",
        "/tickets",
        "/tickets/{ticket}",
        "/tickets/new",
        "/servers/{server}",
        "/service-levels",
    ],
    "agent@demo.test": ["/agent/tickets", "/agent/tickets/{ticket}"],
    "admin@demo.test": [
        "/admin/customers",
        "/admin/customers/{customer}",
        "/admin/vas/levels",
        "/admin/vas/items",
        "/admin/vas/matrix",
        "/admin/vas/subscriptions",
        "/admin/quick-replies",
        "/admin/departments",
        "/admin/ticket-permissions",
    ],
}
# Elements and attributes only a payload could bring into these pages (our
# one <details> is the agent's push panel).
PLANTED = (
    "img, svg, iframe, object, embed, video, math, details:not(#push-panel),"
    " style, base,"
    " [onload], [onerror], [onclick], [onfocus], [onmouseover], [ontoggle],"
    " [style], a[href^='javascript' i], [hx-trigger='load'],"
    " meta[http-equiv], link[href*='evil']"
)


def test_hostile_text_never_runs_in_chromium(sqlite_only, app, live_server, browser):
    ids = _plant(app, SAMPLE)
    dialogs, reported, planted, shown = [], [], [], []

    for email, paths in HOSTILE_VIEWS.items():
        context = browser.new_context()
        context.add_init_script(LISTEN)
        page = context.new_page()
        messages = []
        page.on("console", lambda m, messages=messages: messages.append(m.text))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        sign_in(page, live_server, email)
        for path in paths:
            url = path.format(**ids)
            reported += _visit(page, live_server, url)
            found = page.evaluate(
                f"Array.from(document.querySelectorAll(`{PLANTED}`),"
                " e => e.outerHTML.slice(0, 80))"
            )
            planted += [f"{url}: {html}" for html in found]
            if path == "/tickets/{ticket}":
                shown.append(page.inner_text("body"))
        reported += [m for m in messages if "Content Security Policy" in m]
        context.close()

    assert dialogs == []
    assert planted == []
    assert reported == []
    assert all(p.split()[0] in shown[0] for p in SAMPLE)  # shown, as text
