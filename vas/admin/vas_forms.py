"""Forms of the value-added services configuration pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from vas.forms import Form
from vas.forms import MoneyField
from vas.services.vas_settings import MAX_FREE_USES

# ¥100,000 a month or a service is far beyond any real price list.
MAX_PRICE_CENTS = 10_000_000


class VasSettingsForm(Form):
    enabled = BooleanField(_l("开启增值服务"))
    product_ids = SelectMultipleField(_l("关联产品"), coerce=int, choices=[])
    free_uses = IntegerField(
        _l("每笔订单赠送免费次数"),
        validators=[
            InputRequired(_l("请填写赠送次数。")),
            NumberRange(
                min=0, max=MAX_FREE_USES, message=_l("请输入 0 到 100 的整数。")
            ),
        ],
    )


class LevelForm(Form):
    name = StringField(_l("等级名称"), validators=[DataRequired(), Length(max=40)])
    monthly_price = MoneyField(_l("月价格（元）"), max_cents=MAX_PRICE_CENTS)
    description = TextAreaField(_l("等级说明"), validators=[Length(max=1000)])


class CategoryForm(Form):
    name = StringField(_l("分类名称"), validators=[DataRequired(), Length(max=40)])
    sort_order = IntegerField(
        _l("排序"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)]
    )
    is_active = BooleanField(_l("启用"), default=True)


class ItemForm(Form):
    category_id = SelectField(_l("服务分类"), coerce=int, choices=[])
    name = StringField(_l("项目名称"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("项目说明"), validators=[Length(max=1000)])
    sort_order = IntegerField(
        _l("排序"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)]
    )


class NewItemForm(ItemForm):
    base_price = MoneyField(
        _l("基础服务价格（元）"),
        max_cents=MAX_PRICE_CENTS,
        description=_l(
            "各服务等级的价格先取此值，之后可在价格表中逐格修改；0 表示免费。"
        ),
    )


class PriceForm(Form):
    price = MoneyField(_l("价格（元）"), max_cents=MAX_PRICE_CENTS)
    version = HiddenField(validators=[InputRequired()])
