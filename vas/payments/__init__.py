"""Payment gateways: the sandbox gateway's page and gateway notifications."""

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")

from vas.payments import views  # noqa: E402,F401  (registers the routes)
