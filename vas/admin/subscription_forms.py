"""Forms of the subscriptions list (业务列表) and of VAS refunds."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import Regexp

from vas.forms import Form
from vas.models import SUBSCRIPTION_STATUSES
from vas.services.subscription_queries import SubscriptionFilter
from vas.services.subscriptions import STATUS_LABELS
from vas.services.vas_refunds import MAX_REASON_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SubscriptionFilterForm(Form):
    """The list's filters, read from the query string.

    An unknown level or status is ignored; a user ID that is not a number is
    shown as an error beside its field and left out of the query.
    """

    class Meta:
        csrf = False  # a GET that changes nothing

    customer_id = StringField(
        _l("用户ID"),
        filters=[_strip],
        validators=[
            Optional(),
            Regexp(r"^[0-9]{1,9}$", message=_l("用户ID必须是数字。")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    q = StringField(
        _l("搜索关键词"),
        filters=[_strip],
        validators=[Optional(), Length(max=100, message=_l("关键词最多 100 个字符。"))],
        render_kw={
            "placeholder": _l("邮箱 / 姓名 / 主机名 / 产品ID"),
            "title": _l("一到两个字匹配开头，三个字及以上匹配任意位置"),
        },
    )
    level_id = SelectField(_l("服务等级"), validate_choice=False)
    status = SelectField(_l("状态"), validate_choice=False)

    def set_levels(self, levels) -> None:
        """Offer every level, a retired one marked as such.

        The mark is translated now, as plain text: a lazy string counts as
        markup, so a level name put into one would reach the page unescaped.
        """
        self.level_id.choices = [("", _l("全部"))] + [
            (
                str(level.id),
                level.name
                if level.is_active
                else _("%(name)s（已停用）", name=level.name),
            )
            for level in levels
        ]
        self.status.choices = [("", _l("全部"))] + [
            (status, STATUS_LABELS[status]) for status in SUBSCRIPTION_STATUSES
        ]

    def filters(self) -> SubscriptionFilter:
        """Return the valid filters; call after :meth:`validate`."""
        levels = {value for value, _label in self.level_id.choices if value}
        level = self.level_id.data if self.level_id.data in levels else None
        status = self.status.data if self.status.data in SUBSCRIPTION_STATUSES else None
        return SubscriptionFilter(
            customer_id=None
            if self.customer_id.errors or not self.customer_id.data
            else int(self.customer_id.data),
            keyword=None if self.q.errors else self.q.data or None,
            level_id=int(level) if level else None,
            status=status,
        )


class RefundForm(Form):
    """A refund of one VAS charge: never without a written reason (rule 6)."""

    reason = TextAreaField(
        _l("退款原因"),
        filters=[_strip],
        validators=[
            DataRequired(_l("退款必须填写原因。")),
            Length(max=MAX_REASON_LENGTH),
        ],
    )
