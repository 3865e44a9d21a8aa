"""Forms of the customer area."""

from flask_babel import lazy_gettext as _l

from vas.forms import Form
from vas.forms import IntentField
from vas.forms import MoneyField

# ¥50,000 per top-up: larger transfers go through the finance team.
MAX_TOPUP_CENTS = 5_000_000


class TopUpForm(Form):
    amount = MoneyField(
        _l("充值金额（元）"), allow_zero=False, max_cents=MAX_TOPUP_CENTS
    )
    intent = IntentField()
