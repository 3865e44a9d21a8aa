"""The agent workspace (工单客服 / 技术客服)."""

from flask import Blueprint

bp = Blueprint("agent", __name__)

from vas.agent import views  # noqa: E402,F401  (registers the routes)
