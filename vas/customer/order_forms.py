"""Forms of checkout, orders, level changes and renewals.

None of them carries an amount that is charged: prices are read by the
services. The hidden totals only name what the customer was shown, so that
a price that moved meanwhile is refused instead of charged.
"""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms import RadioField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.validators import Length

from vas.forms import Form
from vas.forms import IntentField
from vas.forms import optional_id


def _cents(value) -> int | None:
    """Coerce a hidden total in cents; anything but digits is no value."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


class CheckoutForm(Form):
    # The service checks every choice (enabled cycle, level on sale, VAS on
    # this product), so a tampered value gets its message beside the field.
    months = RadioField(
        _l("计费周期"),
        coerce=optional_id,
        validate_choice=False,
        validators=[InputRequired(_l("请选择计费周期。"))],
    )
    level_id = RadioField(_l("服务等级"), coerce=optional_id, validate_choice=False)
    promo_code = StringField(
        _l("优惠码"),
        validators=[Length(max=40, message=_l("优惠码不能超过 %(max)s 个字符。"))],
    )
    expected_total = HiddenField(filters=[_cents])
    intent = IntentField()

    def fill_choices(self, offer) -> None:
        """Offer the product's enabled cycles and the levels on sale."""
        self.months.choices = [SelectChoice(c.months, "") for c in offer.cycles]
        self.level_id.choices = [SelectChoice(level.id, "") for level in offer.levels]
        if self.months.data is None and offer.cycles:
            self.months.data = offer.cycles[0].months
        if self.level_id.data is None and offer.default_level is not None:
            self.level_id.data = offer.default_level.id


class OrderActionForm(Form):
    """Pay or cancel an unpaid order: only the CSRF token."""


class LevelChangeForm(Form):
    level_id = HiddenField(
        filters=[optional_id], validators=[InputRequired(_l("请选择服务等级。"))]
    )
    expected_cents = HiddenField(filters=[_cents])
    intent = IntentField()


class AutoRenewForm(Form):
    # "1" switches automatic renewal on, anything else off.
    auto_renew = HiddenField()


class RenewForm(Form):
    expected_total = HiddenField(filters=[_cents])
