"""The customer area: dashboard, servers, checkout, orders, balance, tickets."""

from flask import Blueprint

bp = Blueprint("customer", __name__)

from vas.customer import order_views  # noqa: E402,F401
from vas.customer import server_views  # noqa: E402,F401
from vas.customer import ticket_views  # noqa: E402,F401
from vas.customer import views  # noqa: E402,F401  (registers the routes)
