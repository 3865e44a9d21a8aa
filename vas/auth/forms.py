"""Forms of the auth area."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import Length

from vas.forms import Form


class LoginForm(Form):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("保持登录"))
    next = HiddenField()


class RegisterForm(Form):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(
        _l("邮箱"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    password = PasswordField(
        _l("密码"), validators=[DataRequired(), Length(min=8, max=200)]
    )
    confirm = PasswordField(
        _l("确认密码"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("两次输入的密码不一致。")),
        ],
    )
