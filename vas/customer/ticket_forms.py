"""Forms of the customer's tickets."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import ValidationError

from vas.forms import Form
from vas.forms import IntentField
from vas.forms import message_body
from vas.forms import optional_id
from vas.models import Department
from vas.models import Server


class TicketForm(Form):
    # The service checks both choices (active department, own server), so a
    # tampered value gets its message beside the field like any refusal.
    department = SelectField(
        _l("工单分类"),
        coerce=optional_id,
        validate_choice=False,
        validators=[InputRequired(_l("请选择工单分类。"))],
    )
    server = SelectField(_l("相关产品"), coerce=optional_id, validate_choice=False)
    # A service item (服务项目) makes the ticket a service request; the
    # service checks it is offered at the server's level.
    item_id = RadioField(
        _l("服务项目"), coerce=optional_id, choices=[], validate_choice=False
    )
    # What the page showed would be taken from the balance, in cents; the
    # service compares it with its own price and never charges this value.
    expected_charge = HiddenField(filters=[optional_id])
    intent = IntentField()
    subject = StringField(
        _l("标题"),
        validators=[Length(max=200, message=_l("标题不能超过 %(max)s 个字符。"))],
        description=_l("申请服务项目时可不填，默认为项目名称。"),
    )
    body = message_body(_l("问题描述"))

    def validate_subject(self, field):
        if not (field.data or "").strip() and not self.item_id.data:
            raise ValidationError(_l("请填写标题。"))

    def fill_choices(
        self,
        departments: list[Department],
        servers: list[Server],
        levels: dict[int, str] | None = None,
    ):
        """Offer the active departments and the customer's own servers.

        :param levels: the level name of each server with a live subscription.
        """
        levels = levels or {}
        self.department.choices = [SelectChoice(d.id, d.name) for d in departments]
        self.server.choices = [SelectChoice("", _l("不关联产品"))] + [
            SelectChoice(
                s.id,
                " · ".join(
                    [str(s.id), s.hostname, s.product.name]
                    + ([levels[s.id]] if s.id in levels else [])
                ),
            )
            for s in servers
        ]


class ReplyForm(Form):
    body = message_body(_l("回复内容"))


class RatingForm(Form):
    # The service refuses a score outside 1–5 beside this field.
    score = RadioField(
        _l("评分"),
        coerce=optional_id,
        choices=[SelectChoice(n, str(n)) for n in range(5, 0, -1)],
        validate_choice=False,
        validators=[InputRequired(_l("请选择评分。"))],
    )
    comment = TextAreaField(
        _l("评价内容"),
        validators=[Length(max=1000, message=_l("评价不能超过 %(max)s 个字符。"))],
    )


class PayPushForm(Form):
    """Paying a push carries no fields: the price is read from the push."""
