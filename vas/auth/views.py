"""Views of the auth area: every route here is throttled."""

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user

from vas import LOCALES
from vas.auth import bp
from vas.auth.forms import LoginForm
from vas.auth.forms import RegisterForm
from vas.extensions import limiter
from vas.services import accounts
from vas.services.errors import InvalidInput
from vas.web import is_safe_next
from vas.web import render

HOME_BY_ROLE = {
    "customer": "customer.dashboard",
    "agent": "agent.dashboard",
    "admin": "admin.dashboard",
}


def _login_limit() -> str:
    return current_app.config["VAS_LOGIN_LIMIT"]


def _home_url() -> str:
    return url_for(HOME_BY_ROLE[current_user.role])


@bp.get("/")
def index():
    """Send visitors to their home page, or to the login page."""
    if current_user.is_authenticated:
        return redirect(_home_url())
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(
    _login_limit,
    methods=["POST"],
    key_func=lambda: "login:" + accounts.normalise_email(request.form.get("email", "")),
)
def login():
    """Sign in with email and password, then go to ``next`` if it is on site."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_home_url())

    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()
            login_user(user, remember=form.remember.data)
            target = form.next.data
            return redirect(target if is_safe_next(target) else _home_url(), 303)
        form.password.errors.append(_("邮箱或密码不正确。"))
    return render("auth/login.html", form=form, code=422 if form.errors else 200)


@bp.post("/logout")
@login_required
@limiter.limit("30 per minute")
def logout():
    """Sign out and forget the session."""
    logout_user()
    session.clear()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register():
    """Open a customer account and sign in to it."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
            )
        except InvalidInput as error:
            form.email.errors.append(str(error.message))
        else:
            login_user(user)
            flash(_("注册成功，欢迎使用。"), "success")
            return redirect(url_for("customer.dashboard"), 303)
    return render("auth/register.html", form=form, code=422 if form.errors else 200)


@bp.post("/language")
@limiter.limit("60 per minute")
def set_language():
    """Switch the interface language for this browser session."""
    locale = request.form.get("locale", "")
    if locale in LOCALES:
        session["locale"] = locale
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("auth.index"), 303)
