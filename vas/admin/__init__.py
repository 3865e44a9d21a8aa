"""The admin back office (管理后台): members, finance, business, catalogue."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from vas.admin import views  # noqa: E402,F401  (registers the routes)
