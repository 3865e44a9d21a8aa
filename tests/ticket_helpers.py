"""Helpers of the ticket-desk tests: inert user text, field errors, and a
snapshot of every ticket-desk row to prove that a refusal changed nothing.

Not a test module.
"""

import re
from html.parser import HTMLParser

import sqlalchemy as sa

from tests.sweep import snapshot
from vas.extensions import db
from vas.models import Department
from vas.models import QuickReply
from vas.models import Setting
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import TicketRating
from vas.models import User
from vas.models import agent_departments

# Every element our templates (and WTForms widgets) emit; user text adds none.
OUR_TAGS = set(
    "html head meta title link script body header nav ul ol li a div span form "
    "input button main footer h1 h2 h3 section aside dl dt dd table thead tbody "
    "tfoot tr th td label select option textarea p time br small code strong "
    "details summary fieldset legend".split()
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}
# htmx attributes appear on these elements of ours only, and on these
# (tag, attribute) pairs: the live quote and push total on radios and
# checkboxes, the push button of the reply form.
HTMX_HOSTS = {"form", "a", "body"}
HTMX_ON = {
    ("button", "hx-get"),
    ("button", "hx-target"),
    ("button", "hx-swap"),
    ("button", "hx-post"),
    *(
        ("input", name)
        for name in ("hx-get", "hx-include", "hx-target", "hx-select", "hx-swap")
    ),
}
OOB_HOSTS = {"span", "div", "a", "section"}
HTMX_JS = "/static/vendor/htmx.min.js"

FIELD = re.compile(r'<div class="field[ "].*?(?=<div class="field[ "]|</form>)', re.S)
ERROR = re.compile(r'<div class="field__error">(.*?)</div>')


class Parsed(HTMLParser):
    """The elements, attributes and text of one HTML document or fragment."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.chunks: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


class FormValues(HTMLParser):
    """What a browser sends for the first form posting to ``action``, as shown.

    Text, hidden and checked inputs by their values, each select by its
    selected option (or its first), each text area by its text. Buttons send
    nothing.
    """

    def __init__(self, html: str, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.values: dict[str, str] = {}
        self._inside = self._done = False
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and not self._done:
            self._inside = attributes.get("action") == self.action
        if not self._inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in attributes:
                return
            if kind not in ("submit", "button", "reset"):
                self.values[name] = attributes.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if self._select not in self.values or "selected" in attributes:
                self.values[self._select] = attributes.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form" and self._inside:
            self._inside, self._done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the newline that starts a text area's text.
            text = self.values[self._textarea]
            self.values[self._textarea] = text.removeprefix("\r").removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._inside and self._textarea:
            self.values[self._textarea] += data


def form_values(html: str, action: str) -> dict[str, str]:
    """Return what the page's form posting to ``action`` sends as shown."""
    values = FormValues(html, action).values
    assert values, f"no form posting to {action!r} on the page"
    return values


def _is_safe_url(value: str) -> bool:
    cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
    return cleaned.startswith(("/", "#", "?", "http://", "https://")) or cleaned == ""


def assert_inert(html: str, payload: str) -> None:
    """Assert that ``payload`` shows as text and adds no live markup."""
    page = Parsed(html)
    assert payload in page.text, "the payload is not shown as text"
    for tag, attrs in page.elements:
        assert tag in OUR_TAGS, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("style", "srcdoc"), (tag, name)
            if name in URL_ATTRIBUTES:
                assert _is_safe_url(value), (tag, name, value)
            if name.startswith("hx-") and name != "hx-swap-oob":
                assert tag in HTMX_HOSTS or (tag, name) in HTMX_ON, (tag, name)
            if name == "hx-swap-oob":
                assert tag in OOB_HOSTS, (tag, name)
        if tag == "script":
            assert attrs.get("src") == HTMX_JS, attrs
        if tag == "a" and "nofollow" in attrs.get("rel", ""):
            assert attrs["href"].lower().startswith(("http://", "https://")), attrs


def field_errors(html: str, name: str) -> list[str]:
    """Return the error texts shown beside the form field ``name``."""
    for block in FIELD.findall(html):
        if f'name="{name}"' in block:
            return ERROR.findall(block)
    raise AssertionError(f"no field {name!r} on the page")


# At least 30 hostile strings for ticket subjects, bodies and replies.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    '<a href="javascript:alert(1)">click</a>',
    "<a href=javascript:alert(1)>click</a>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    'http://example.com/"onmouseover="alert(1)',
    "https://example.com/'onfocus='alert(1)' autofocus='",
    "http://example.com/<script>alert(1)</script>",
    "https://x.test/a?b=<img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<math><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">',
    "{{ 7*7 }} {% print 1 %} ${7*7}",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<style>@import 'http://evil.test/x.css';</style>",
    "<link rel=stylesheet href=http://evil.test/x.css>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="http://evil.test/">',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<div hx-get="/admin/" hx-trigger="load">x</div>',
    '<a href="http://ok.test" onclick="alert(1)">x</a>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    'https://example.com/path"><script>alert(1)</script>',
    'http://"onmouseover=alert(1)//',
    '"--><script>alert(1)</script><!--',
    "line one\n<b>line two</b>\nhttps://ok.test/p?q=1&r=2.",
]


def desk_state(app) -> dict:
    """Return row counts, balances and every ticket-desk row's contents."""
    state = snapshot(app)
    with app.app_context():
        rows = {
            "tickets": sa.select(
                Ticket.id,
                Ticket.status,
                Ticket.assignee_id,
                Ticket.department_id,
                Ticket.server_id,
                Ticket.subject,
                Ticket.last_message_at,
                Ticket.waiting_since,
            ),
            "messages": sa.select(
                TicketMessage.id, TicketMessage.body, TicketMessage.is_private
            ),
            "departments": sa.select(
                Department.id,
                Department.name,
                Department.description,
                Department.is_business_technical,
                Department.is_active,
                Department.sort_order,
            ),
            "agent_departments": sa.select(agent_departments),
            "push": sa.select(User.id, User.can_push_services),
            "quick_replies": sa.select(
                QuickReply.id, QuickReply.title, QuickReply.body, QuickReply.sort_order
            ),
            "settings": sa.select(Setting.key, Setting.value),
            "ratings": sa.select(
                TicketRating.id, TicketRating.score, TicketRating.comment
            ),
        }
        for name, query in rows.items():
            state[name] = sorted(tuple(row) for row in db.session.execute(query))
    return state
