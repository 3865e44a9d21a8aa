"""The admin back office (管理后台): members, finance, business, catalogue."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from vas.admin import subscription_views  # noqa: E402,F401
from vas.admin import ticket_views  # noqa: E402,F401
from vas.admin import vas_views  # noqa: E402,F401
from vas.admin import views  # noqa: E402,F401  (registers the routes)
