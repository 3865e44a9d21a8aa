"""Forms of the ticket desk's admin pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from vas.forms import Form
from vas.forms import message_body
from vas.forms import optional_id
from vas.models import Department
from vas.services.tickets import MAX_AUTO_CLOSE_DAYS


def _sort_order() -> IntegerField:
    return IntegerField(
        _l("排序"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=9999, message=_l("排序应为 0 到 9999。")),
        ],
    )


class DepartmentForm(Form):
    name = StringField(
        _l("分类名称"),
        validators=[
            DataRequired(_l("请填写分类名称。")),
            Length(max=60, message=_l("名称不能超过 %(max)s 个字符。")),
        ],
    )
    description = TextAreaField(
        _l("描述"),
        validators=[Length(max=500, message=_l("描述不能超过 %(max)s 个字符。"))],
    )
    is_business_technical = BooleanField(
        _l("业务技术工单"),
        description=_l("增值服务只通过该分类的工单提供；只能有一个分类勾选此项。"),
    )
    is_active = BooleanField(_l("启用"), default=True)
    sort_order = _sort_order()


class QuickReplyForm(Form):
    title = StringField(
        _l("模板名称"),
        validators=[
            DataRequired(_l("请填写模板名称。")),
            Length(max=100, message=_l("名称不能超过 %(max)s 个字符。")),
        ],
    )
    body = message_body(_l("回复内容"))
    sort_order = _sort_order()


class TicketSettingsForm(Form):
    auto_close_days = IntegerField(
        _l("自动关闭天数"),
        description=_l(
            "已回复的工单超过该天数没有客户回复即自动关闭；0 表示不自动关闭。"
        ),
        validators=[
            InputRequired(_l("请填写天数。")),
            NumberRange(
                min=0,
                max=MAX_AUTO_CLOSE_DAYS,
                message=_l("天数必须是 0 到 365 之间的整数。"),
            ),
        ],
    )


class AgentPermissionsForm(Form):
    departments = SelectMultipleField(
        _l("负责的工单分类"),
        coerce=optional_id,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # the service refuses an unknown department
    )
    can_push_services = BooleanField(_l("可以推送付费服务"))

    def fill_choices(self, departments: list[Department]) -> None:
        """Offer every department, inactive ones too."""
        self.departments.choices = [SelectChoice(d.id, d.name) for d in departments]
