"""Forms of the agent workspace."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from vas.forms import Form
from vas.forms import MoneyField
from vas.forms import choices
from vas.forms import message_body
from vas.forms import optional_id
from vas.models import User
from vas.services.tickets import STATUS_EVENTS
from vas.services.tickets import STATUS_LABELS


class StaffReplyForm(Form):
    body = message_body(_l("回复内容"))
    send = SubmitField(_l("回复"))
    # 私密回复: visible to staff only; the button that sent the form decides.
    send_private = SubmitField(_l("私密回复"))


class StatusForm(Form):
    # The transition table decides; a value it does not know is refused there.
    status = SelectField(
        _l("状态"),
        choices=choices({status: STATUS_LABELS[status] for status in STATUS_EVENTS}),
        validate_choice=False,
        validators=[InputRequired(_l("请选择状态。"))],
    )


class AssignForm(Form):
    # The service checks that the assignee works the ticket's department.
    assignee = SelectField(_l("负责客服"), coerce=optional_id, validate_choice=False)

    def fill_choices(self, staff: list[User]) -> None:
        """Offer no one, or the staff who work the ticket's department."""
        self.assignee.choices = [SelectChoice("", _l("未分配"))] + [
            SelectChoice(user.id, f"{user.name} ({user.id})") for user in staff
        ]


class PushForm(Form):
    """A reply with a paid service pushed into it (推送付费服务)."""

    body = message_body(_l("回复内容"))
    # The service checks each item is offered at the customer's level.
    item_ids = SelectMultipleField(
        _l("服务项目"), coerce=int, choices=[], validate_choice=False
    )
    pay_price = MoneyField(_l("支付价格"), allow_zero=False)
    # The list total the pay price box was last filled with, in cents: the
    # live total replaces the box only while it still holds that total.
    shown_total = HiddenField(filters=[optional_id])


class ActionForm(Form):
    """A button that acts on a ticket's push or record: CSRF only."""
