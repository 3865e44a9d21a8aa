"""Forms of the customer's tickets."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length

from vas.forms import message_body
from vas.forms import optional_id
from vas.models import Department
from vas.models import Server


class TicketForm(FlaskForm):
    # The service checks both choices (active department, own server), so a
    # tampered value gets its message beside the field like any refusal.
    department = SelectField(
        _l("工单分类"),
        coerce=optional_id,
        validate_choice=False,
        validators=[InputRequired(_l("请选择工单分类。"))],
    )
    server = SelectField(_l("相关产品"), coerce=optional_id, validate_choice=False)
    subject = StringField(
        _l("标题"),
        validators=[
            DataRequired(_l("请填写标题。")),
            Length(max=200, message=_l("标题不能超过 %(max)s 个字符。")),
        ],
    )
    body = message_body(_l("问题描述"))

    def fill_choices(self, departments: list[Department], servers: list[Server]):
        """Offer the active departments and the customer's own servers."""
        self.department.choices = [SelectChoice(d.id, d.name) for d in departments]
        self.server.choices = [SelectChoice("", _l("不关联产品"))] + [
            SelectChoice(s.id, f"{s.id} · {s.hostname} · {s.product.name}")
            for s in servers
        ]


class ReplyForm(FlaskForm):
    body = message_body(_l("回复内容"))


class RatingForm(FlaskForm):
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
