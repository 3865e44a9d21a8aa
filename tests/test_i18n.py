"""Chinese first, with a complete English catalogue."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "vas" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def _source_messages() -> set[tuple[str | None, str]]:
    """Every (context, message) the code and templates translate."""
    method_map = [("vas/**.py", "python"), ("vas/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def _catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def test_every_ui_string_has_an_english_translation():
    catalogue = _catalogue()
    missing = sorted(
        (context or "", message)
        for context, message in _source_messages()
        if not getattr(catalogue.get(message, context=context), "string", "")
    )

    assert missing == []


def test_a_name_for_one_and_the_page_listing_them_differ_in_english(client, make_admin):
    client.login(make_admin().email)
    client.post("/language", {"locale": "en", "next": "/admin/"})

    levels = client.get("/admin/vas/levels").get_data(as_text=True)
    departments = client.get("/admin/departments").get_data(as_text=True)
    subscriptions = client.get("/admin/vas/subscriptions").get_data(as_text=True)

    assert "<h1>Service levels</h1>" in levels
    assert "<h1>Ticket departments</h1>" in departments
    assert ">Service level</label>" in subscriptions  # the filter
    assert "Service levels</a>" in subscriptions  # the menu link


def test_no_translation_is_fuzzy_and_placeholders_match():
    problems = []
    for message in _catalogue():
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(("fuzzy", message.id))
        # A plural has its forms as tuples: each form keeps the placeholders.
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        wanted = sorted(PLACEHOLDER.findall(ids[0]))
        for text in (*ids, *forms):
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                problems.append(("placeholders", message.id))

    assert problems == []


def test_chinese_is_the_default_and_english_is_one_click_away(client, make_customer):
    client.login(make_customer().email)

    chinese = client.get("/dashboard").get_data(as_text=True)
    switched = client.post("/language", {"locale": "en", "next": "/dashboard"})
    english = client.get("/dashboard").get_data(as_text=True)

    assert '<html lang="zh-CN">' in chinese and "账户余额" in chinese
    assert switched.location == "/dashboard"
    assert '<html lang="en">' in english and "Account balance" in english
    assert "账户余额" not in english


def test_unknown_locale_is_ignored(client):
    client.post("/language", {"locale": "xx"})

    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)


def test_wtforms_own_messages_follow_the_locale_of_each_request(app):
    from flask import session
    from wtforms import IntegerField

    from vas.forms import Form

    class Count(Form):
        class Meta:
            csrf = False

        n = IntegerField("n")

    errors = {}
    for locale in ("zh_CN", "en", "zh_CN"):
        with app.test_request_context("/", method="POST", data={"n": "abc"}):
            session["locale"] = locale
            form = Count()
            form.validate()
            errors.setdefault(locale, set()).update(form.n.errors)

    assert errors == {
        "zh_CN": {"不是有效的整数。"},
        "en": {"Not a valid integer value."},
    }
