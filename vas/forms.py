"""The base of every form, and the fields every area shares: money, the
one-time intent, ticket text.

Floor 0 of the house.
"""

import re
from functools import cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import ValidationError

from vas.money import MAX_CENTS
from vas.money import MoneyError
from vas.money import parse_amount
from vas.web import new_intent

_INTENT_RE = re.compile(r"[0-9a-f]{32}")
# A ticket message holds at most this many characters.
MAX_MESSAGE_LENGTH = 10_000


class Form(FlaskForm):
    """The base of every VAS form: Flask-WTF, with WTForms' messages cached.

    Flask-WTF reads WTForms' own message catalogue (for the few built-in
    messages VAS does not replace) from disk on each request that builds a
    form. The catalogue cannot change while the app runs, so it is loaded
    once per locale and process.
    """

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_catalogue(str(get_locale()))


@cache
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class MoneyField(StringField):
    """A typed amount; ``data`` is a ``Decimal`` once the form validates.

    The raw text is kept for re-rendering, so a refused value stays in the
    box with the error beside it.
    """

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        allow_negative=False,
        allow_zero=True,
        max_cents=MAX_CENTS,
        **kwargs,
    ):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, validators, **kwargs)
        self.flags.required = True  # an amount is never optional
        self.allow_negative = allow_negative
        self.allow_zero = allow_zero
        self.max_cents = max_cents
        self.amount = None

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        self.data = valuelist[0] if valuelist else ""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def pre_validate(self, form):
        try:
            self.data = parse_amount(
                self.data if isinstance(self.data, str) else str(self.data or ""),
                allow_negative=self.allow_negative,
                allow_zero=self.allow_zero,
                max_cents=self.max_cents,
            )
        except MoneyError as exc:
            raise ValidationError(str(exc.message)) from exc


class IntentField(HiddenField):
    """A one-time token naming this form submission (the idempotency key).

    A fresh token is issued whenever the data the form is built from carries
    none: on first display, including a page whose form is filled from its
    query string (``/tickets/new?server=…``). A resubmission of the same page
    sends the same token, so money moves once. A submission without a valid
    token is refused, and the page shown again carries a fresh one, so that
    sending it again works.
    """

    def process(self, formdata, data=None, **kwargs):
        super().process(formdata, data, **kwargs)
        self.sent = formdata is not None and self.name in formdata
        if not self.sent:
            self.data = new_intent()

    def pre_validate(self, form):
        if not self.sent or not _INTENT_RE.fullmatch(self.data or ""):
            self.data = new_intent()
            raise ValidationError(_l("表单已失效，请刷新页面后重试。"))


def choices(labels: dict) -> list[SelectChoice]:
    """Turn a value → label mapping into select options, in mapping order."""
    return [SelectChoice(value, label) for value, label in labels.items()]


def optional_id(value) -> int | None:
    """Coerce a select value to an ID; anything but digits is no choice."""
    if isinstance(value, int):
        return value
    return int(value) if value and str(value).isdigit() else None


def message_body(label) -> TextAreaField:
    """Return the text area of a ticket message: required, plain text."""
    return TextAreaField(
        label,
        validators=[
            DataRequired(_l("请填写内容。")),
            Length(max=MAX_MESSAGE_LENGTH, message=_l("内容不能超过 %(max)s 个字符。")),
        ],
    )
