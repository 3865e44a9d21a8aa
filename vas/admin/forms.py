"""Forms of the admin area."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import DateField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from vas.forms import Form
from vas.forms import IntentField
from vas.forms import MoneyField
from vas.forms import choices
from vas.models.catalog import CYCLE_MONTHS
from vas.services.catalog import PRODUCT_TYPE_LABELS
from vas.services.servers import STATUS_LABELS

# One adjustment moves at most ¥1,000,000 either way.
MAX_ADJUSTMENT_CENTS = 100_000_000


class AdjustBalanceForm(Form):
    direction = SelectField(
        _l("方向"), choices=choices({"credit": _l("增加余额"), "debit": _l("扣减余额")})
    )
    amount = MoneyField(
        _l("金额（元）"), allow_zero=False, max_cents=MAX_ADJUSTMENT_CENTS
    )
    reason = TextAreaField(
        _l("原因"), validators=[DataRequired(_l("请填写原因。")), Length(max=500)]
    )
    intent = IntentField()


class ServerForm(Form):
    due_date = DateField(_l("到期日"), validators=[InputRequired(_l("请选择到期日。"))])
    status = SelectField(_l("状态"), choices=choices(STATUS_LABELS))


class ProductForm(Form):
    name = StringField(_l("产品名称"), validators=[DataRequired(), Length(max=120)])
    type = SelectField(_l("产品类型"), choices=choices(PRODUCT_TYPE_LABELS))
    monthly_price = MoneyField(_l("月价格（元）"))
    description = TextAreaField(_l("描述"), validators=[Length(max=2000)])
    sort_order = IntegerField(
        _l("排序"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)]
    )
    is_active = BooleanField(_l("上架销售"), default=True)


def _cycle_field(months: int) -> IntegerField:
    return IntegerField(
        # markup: a number of months, never text typed by anyone
        _l("%(months)s 个月折扣（%%）", months=months),
        validators=[Optional(), NumberRange(min=0, max=90)],
        description=_l("留空表示不提供此周期"),
    )


for _months in CYCLE_MONTHS:
    setattr(ProductForm, f"cycle_{_months}", _cycle_field(_months))


def _validate_product(self, extra_validators=None) -> bool:
    valid = Form.validate(self, extra_validators)
    cycles = [getattr(self, f"cycle_{months}") for months in CYCLE_MONTHS]
    if all(field.data is None and not field.errors for field in cycles):
        cycles[0].errors = [*cycles[0].errors, _l("至少启用一个计费周期。")]
        return False
    return valid


ProductForm.validate = _validate_product
