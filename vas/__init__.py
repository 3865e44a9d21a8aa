"""The VAS application factory.

Floor 4 of the house: builds the app from configuration, binds extensions,
registers blueprints, error handlers, security headers and the one commit
per request.
"""

import json
import logging
from types import SimpleNamespace

from babel import Locale
from flask import Flask
from flask import g
from flask import get_flashed_messages
from flask import has_app_context
from flask import has_request_context
from flask import render_template
from flask import request
from flask import session
from flask_babel import get_translations
from flask_babel import gettext
from flask_babel import to_user_timezone
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException

from vas.config import load_config
from vas.database import tune_engine
from vas.extensions import babel
from vas.extensions import csrf
from vas.extensions import db
from vas.extensions import limiter
from vas.extensions import login_manager
from vas.extensions import migrate
from vas.money import format_money
from vas.text import linkify_plain_text
from vas.web import is_htmx
from vas.web import is_reading

logger = logging.getLogger(__name__)

LOCALES = ("zh_CN", "en")
_PARSED_LOCALES = {code: Locale.parse(code) for code in LOCALES}

# One place decides how htmx swaps error bodies: validation errors (422) and
# refusals a person can act on (402, 409) replace the target like a 200;
# other 4xx/5xx are not swapped and show as a flash (see app.css / base.html).
HTMX_CONFIG = {
    "allowEval": False,
    "allowScriptTags": False,
    "includeIndicatorStyles": False,
    "selfRequestsOnly": True,
    "historyCacheSize": 0,
    # Copying "style" during settling would be an inline style, which the
    # CSP refuses; nothing of ours carries one.
    "attributesToSettle": ["class", "width", "height"],
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "(402|409|422)", "swap": True},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class VasFlask(Flask):
    """Flask with the one commit per request at the request boundary.

    A state-changing request that answers below 400 commits once, after its
    view returned; a refusal (4xx) or an error rolls everything back, so a
    request is never half-written. Reading requests never write (see end_read).
    """

    def dispatch_request(self):
        response = self.make_response(super().dispatch_request())
        if is_reading():
            self.end_read()
        elif response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    def end_read(self) -> None:
        """End a reading request's transaction without writing anything.

        Changes a page made to its objects are discarded. On PostgreSQL the
        transaction is READ ONLY (see vas.database), so it ends with
        COMMIT, which keeps the connection's prepared statements; elsewhere
        it rolls back.
        """
        if db.session.new or db.session.dirty or db.session.deleted:
            logger.warning(
                "%s %s changed rows; discarded", request.method, request.path
            )
            db.session.rollback()
        elif db.session.get_bind().dialect.name == "postgresql":
            db.session.commit()
        else:
            db.session.rollback()


def create_app(overrides: dict | None = None) -> Flask:
    """Create a configured VAS app; ``overrides`` win over the environment."""
    app = VasFlask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)

    _configure_logging(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    _register_response_hooks(app)
    return app


def _configure_logging(app: Flask) -> None:
    level = getattr(logging, str(app.config["VAS_LOG_LEVEL"]).upper(), logging.INFO)
    logging.getLogger("vas").setLevel(level)
    if not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        logging.getLogger("vas").addHandler(handler)


def _init_extensions(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect_args = options.setdefault("connect_args", {})
        connect_args["check_same_thread"] = False
        # The driver's timeout is SQLite's busy timeout: how long a writer
        # waits for the lock before "database is locked".
        busy_timeout = float(app.config["VAS_SQLITE_BUSY_TIMEOUT"])
        connect_args.setdefault("timeout", busy_timeout)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine)
    migrate.init_app(app, db, directory=_migrations_dir(app))
    csrf.init_app(app)
    limiter.init_app(app)
    # Flask-Babel parses what the selector returns on every request (about
    # 0.2 ms for a string); a Locale object is taken as it is.
    babel.init_app(app, locale_selector=lambda: _PARSED_LOCALES[_select_locale()])
    _install_template_gettext(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    from vas.models import User

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _migrations_dir(app: Flask) -> str:
    from pathlib import Path

    return str(Path(app.root_path).parent / "migrations")


def _install_template_gettext(app: Flask) -> None:
    """Let templates translate through a catalogue looked up once per request.

    Flask-Babel finds the catalogue anew on every call (about 20 µs); the
    matrix page, with a few words per cell, spent more time there than in
    its queries. Like Flask-Babel's own locale, the catalogue is kept on
    ``g`` for the rest of the request.
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def _translations():
    if not has_app_context():
        return get_translations()
    cached = g.get("_vas_translations")
    if cached is None:
        cached = g._vas_translations = get_translations()
    return cached


def _request_locale() -> str:
    """Return the locale of this request, chosen once (see _select_locale)."""
    if not has_request_context():
        return _select_locale()
    cached = g.get("_vas_locale")
    if cached is None:
        cached = g._vas_locale = _select_locale()
    return cached


def _select_locale() -> str:
    if not has_request_context():
        return "zh_CN"
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if (
        current_user
        and current_user.is_authenticated
        and current_user.locale in LOCALES
    ):
        return current_user.locale
    return "zh_CN"


def _register_blueprints(app: Flask) -> None:
    from vas.admin import bp as admin_bp
    from vas.agent import bp as agent_bp
    from vas.auth import bp as auth_bp
    from vas.cli import cli
    from vas.customer import bp as customer_bp
    from vas.payments import bp as payments_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(customer_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(agent_bp, url_prefix="/agent")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.cli.add_command(cli)


def _register_error_handlers(app: Flask) -> None:
    from vas.services.errors import VasError

    def render_error(status: int, message: str):
        template = "errors/_error.html" if is_htmx() else "errors/error.html"
        return render_template(template, status=status, message=message), status

    @app.errorhandler(VasError)
    def handle_vas_error(error: VasError):
        db.session.rollback()
        return render_error(error.status_code, str(error.message))

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        logger.warning("CSRF refused on %s %s: %s", request.method, request.path, error)
        return render_error(
            400, gettext("页面已过期或请求来源无效，请刷新页面后重试。")
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        messages = {
            403: gettext("您没有权限访问此页面。"),
            404: gettext("页面不存在，或您无权查看。"),
            405: gettext("不支持该请求方式。"),
            429: gettext("操作过于频繁，请稍后再试。"),
        }
        return render_error(error.code or 500, messages.get(error.code, error.name))

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        logger.error(
            "unhandled error on %s %s", request.method, request.path, exc_info=error
        )
        db.session.rollback()
        session.pop("_flashes", None)  # a flash from the failed work is untrue
        return render_error(500, gettext("服务器内部错误，操作未完成，请稍后重试。"))


def _register_template_helpers(app: Flask) -> None:
    from vas import navigation
    from vas.services import accounts
    from vas.services import audit
    from vas.services import catalog
    from vas.services import ledger
    from vas.services import payments
    from vas.services import pushes
    from vas.services import servers
    from vas.services import service_records
    from vas.services import subscriptions
    from vas.services import tickets

    labels = SimpleNamespace(
        roles=accounts.ROLE_LABELS,
        causes=ledger.CAUSE_LABELS,
        payment_statuses=payments.STATUS_LABELS,
        product_types=catalog.PRODUCT_TYPE_LABELS,
        server_statuses=servers.STATUS_LABELS,
        ticket_statuses=tickets.STATUS_LABELS,
        audit_actions=audit.ACTION_LABELS,
        audit_subjects=audit.SUBJECT_LABELS,
        push_statuses=pushes.STATUS_LABELS,
        record_sources=subscriptions.SOURCE_LABELS,
        record_statuses=service_records.STATUS_LABELS,
        subscription_statuses=subscriptions.STATUS_LABELS,
    )

    @app.template_filter("money")
    def money_filter(value):
        return format_money(value, locale=_request_locale())

    @app.template_filter("datetime")
    def datetime_filter(value):
        # The pattern has only digits, the same in every locale: strftime gives
        # Babel's "yyyy-MM-dd HH:mm" in the user's time zone at a tenth the cost.
        return to_user_timezone(value).strftime("%Y-%m-%d %H:%M")

    # People's text (ticket messages): escaped, line breaks, http(s) links only.
    app.add_template_filter(linkify_plain_text, "plaintext")

    @app.context_processor
    def inject_globals():
        return {
            "htmx_config": json.dumps(HTMX_CONFIG, separators=(",", ":")),
            "csrf_headers": json.dumps({"X-CSRFToken": generate_csrf()}),
            "current_locale": _request_locale(),
            "locales": LOCALES,
            "nav": navigation,
            "labels": labels,
            "is_htmx": is_htmx,
        }


def _register_response_hooks(app: Flask) -> None:
    @app.after_request
    def finish_response(response):
        if request.headers.get("HX-Request"):
            response.vary.add("HX-Request")  # pages answering both ways set it too
        if (
            is_htmx()
            and response.mimetype == "text/html"
            and response.status_code != 204
        ):
            _append_flashes(response)

        headers = response.headers
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["VAS_ENV"] == "production":
            headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def _append_flashes(response) -> None:
    """Send pending flash messages along with an htmx fragment, out of band."""
    if response.direct_passthrough or "_flashes" not in session:
        return
    if "HX-Redirect" in response.headers or "HX-Location" in response.headers:
        return  # the next page shows them
    messages = get_flashed_messages(with_categories=True)
    if not messages:
        return
    oob = render_template("shared/_flashes.html", messages=messages, oob=True)
    response.set_data(response.get_data() + oob.encode())
