"""The customer area: dashboard, servers, balance and top-ups."""

from flask import Blueprint

bp = Blueprint("customer", __name__)

from vas.customer import views  # noqa: E402,F401  (registers the routes)
