"""Chinese first, with a complete English catalogue."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "vas" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def _source_messages() -> set[str]:
    method_map = [("vas/**.py", "python"), ("vas/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def test_every_ui_string_has_an_english_translation():
    catalogue = _catalogue()
    missing = sorted(
        message
        for message in _source_messages()
        if message not in catalogue or not catalogue[message].string
    )

    assert missing == []


def test_no_translation_is_fuzzy_and_placeholders_match():
    problems = []
    for message in _catalogue():
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(("fuzzy", message.id))
        if sorted(PLACEHOLDER.findall(message.id)) != sorted(
            PLACEHOLDER.findall(message.string)
        ):
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
