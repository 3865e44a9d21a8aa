"""The route table: every route of the app, who may use it, and with what.

One row per (endpoint, method). ``test_sweeps.py`` enumerates
``app.url_map`` and fails when a route has no row here, or a row names no
route, so a new route cannot escape the access, CSRF and header sweeps.

Columns:

- ``url``: a template filled from ``World.values(who, mode)``.
- ``form``: the kind of form data a POST sends (see ``FORMS``).
- ``page``: expected statuses in ``ROLES`` order for a plain request.
- ``fragment``: the same with ``HX-Request: true``; ``None`` means "as the
  page, except that a 303 answers 200 with ``HX-Redirect``" (``see_other``)
  "and the login's 302 answers 401 with ``HX-Redirect``".
- ``fresh``: the request changes the session itself (sign in, sign out,
  language), so each role sends it from a session of its own.

Roles: anonymous, customer A (the owner of every customer object in the
URL), customer B (who must get 404 for A's objects, A1), an agent without
the push right who works only the finance department, an agent with the
push right who works both departments, and an admin.

Not a test module.
"""

import itertools
from typing import NamedTuple

from vas.web import new_intent

ROLES = ("anonymous", "customer_a", "customer_b", "agent_np", "agent", "admin")

_unique = itertools.count(1)


class Route(NamedTuple):
    endpoint: str
    method: str
    url: str
    page: str
    form: str | None = None
    fragment: str | None = None
    fresh: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}"


def _n() -> int:
    return next(_unique)


# Form data per kind: ``form(world, who, mode)`` is called right before the
# request, so values that must be new each time (intents, names) are new.
FORMS = {
    "empty": lambda w, who, mode: {},
    "login": lambda w, who, mode: {
        "email": w.email("login"),
        "password": "correct-horse-1",
    },
    "register": lambda w, who, mode: {
        "name": "New customer",
        "email": f"new{_n()}@example.com",
        "password": "long-enough-1",
        "confirm": "long-enough-1",
    },
    "language": lambda w, who, mode: {"locale": "en", "next": "/dashboard"},
    "topup": lambda w, who, mode: {"amount": "10.00", "intent": new_intent()},
    "checkout": lambda w, who, mode: {
        "months": "1",
        "level_id": str(w.ids["level"]),
        "promo_code": "",
        "intent": new_intent(),
        "action": "later",
    },
    "summary": lambda w, who, mode: {
        "months": "1",
        "level_id": str(w.ids["level"]),
        "intent": new_intent(),
    },
    "level_change": lambda w, who, mode: {
        "level_id": str(w.ids["level"]),
        "intent": new_intent(),
    },
    "renew": lambda w, who, mode: {},
    "new_ticket": lambda w, who, mode: {
        "department": str(w.ids["tech"]),
        "server": str(w.ids["server"]),
        "subject": "Sweep",
        "body": "Sweep body",
        "intent": new_intent(),
    },
    "push": lambda w, who, mode: {
        "body": "Sweep push",
        "item_ids": str(w.ids["item"]),
        "pay_price": "5.00",
    },
    "auto_renew": lambda w, who, mode: {"auto_renew": "1"},
    "reply": lambda w, who, mode: {"body": "Sweep reply"},
    "rating": lambda w, who, mode: {"score": "5", "comment": "ok"},
    "sandbox": lambda w, who, mode: {"succeed": "y"},
    "notify": lambda w, who, mode: {},
    "staff_reply": lambda w, who, mode: {"body": "Sweep staff reply", "send": "y"},
    "status": lambda w, who, mode: {"status": "closed"},
    "assign": lambda w, who, mode: {"assignee": str(w.people["agent"].id)},
    "adjust": lambda w, who, mode: {
        "direction": "credit",
        "amount": "1.00",
        "reason": "sweep",
        "intent": new_intent(),
    },
    "server": lambda w, who, mode: {"due_date": _due(60), "status": "active"},
    "product": lambda w, who, mode: {
        "name": f"Product {who} {mode} {_n()}",
        "type": "cloud",
        "monthly_price": "10.00",
        "sort_order": "1",
        "is_active": "y",
        "cycle_1": "0",
    },
    "vas_settings": lambda w, who, mode: {
        "enabled": "y",
        "product_ids": str(w.ids["product"]),
        "free_uses": "1",
    },
    "level": lambda w, who, mode: {
        "name": f"Level {_n()}",
        "monthly_price": "20.00",
        "description": "",
    },
    "level_edit": lambda w, who, mode: {
        "name": "Bronze",
        "monthly_price": "50.00",
        "description": "edited",
    },
    "move": lambda w, who, mode: {"direction": "up"},
    "category": lambda w, who, mode: {
        "name": f"Category {_n()}",
        "sort_order": "1",
        "is_active": "y",
    },
    "category_edit": lambda w, who, mode: {
        "name": "System",
        "sort_order": "1",
        "is_active": "y",
    },
    "item": lambda w, who, mode: {
        "category_id": str(w.ids["category"]),
        "name": f"Item {_n()}",
        "description": "",
        "sort_order": "1",
        "base_price": "5.00",
    },
    "item_edit": lambda w, who, mode: {
        "category_id": str(w.ids["category"]),
        "name": "Disk cleanup",
        "description": "edited",
        "sort_order": "1",
    },
    "price": None,  # needs the cell's current version: see test_sweeps._form
    "refund": lambda w, who, mode: {"reason": "sweep refund"},
    "department": lambda w, who, mode: {
        "name": f"Desk {who} {mode} {_n()}",
        "is_active": "y",
        "sort_order": "1",
    },
    "permissions": lambda w, who, mode: {
        f"agent{w.ids['agent_np']}-departments": str(w.ids["dept"]),
    },
    "quick_reply": lambda w, who, mode: {
        "title": f"Template {_n()}",
        "body": "Body",
    },
    "settings": lambda w, who, mode: {"auto_close_days": "9"},
}


def _due(days: int) -> str:
    from tests.world import due_in

    return due_in(days)


CUSTOMER_GET = "302 200 200 403 403 403"
OWN_GET = "302 200 404 403 403 403"
OWN_POST = "302 303 404 403 403 403"
STAFF_GET = "302 403 403 200 200 200"
ADMIN_GET = "302 403 403 403 403 200"
ADMIN_POST = "302 403 403 403 403 303"

# fmt: off
ROUTES = [
    # the doors ------------------------------------------------------------
    Route("auth.index", "GET", "/",                       "302 302 302 302 302 302"),
    Route("auth.login", "GET", "/login",                  "200 302 302 302 302 302"),
    Route("auth.login", "POST", "/login",                 "303 303 303 303 303 303",
          "login", fragment="303 303 303 303 303 303", fresh=True),
    Route("auth.register", "GET", "/register",            "200 200 200 200 200 200"),
    Route("auth.register", "POST", "/register",           "303 303 303 303 303 303",
          "register", fragment="303 303 303 303 303 303", fresh=True),
    Route("auth.logout", "POST", "/logout",               "302 303 303 303 303 303",
          "empty", fragment="302 303 303 303 303 303", fresh=True),
    Route("auth.set_language", "POST", "/language",       "303 303 303 303 303 303",
          "language", fragment="303 303 303 303 303 303", fresh=True),
    Route("static", "GET", "/static/css/app.css",         "200 200 200 200 200 200"),
    # customer: money ----------------------------------------------------
    Route("customer.dashboard", "GET", "/dashboard",      CUSTOMER_GET),
    Route("customer.list_servers", "GET", "/servers",     CUSTOMER_GET),
    Route("customer.show_balance", "GET", "/balance",     CUSTOMER_GET),
    Route("customer.create_topup", "GET", "/balance/top-ups", CUSTOMER_GET),
    Route("customer.create_topup", "POST", "/balance/top-ups",
          "302 303 303 403 403 403", "topup", fragment="302 303 303 403 403 403"),
    Route("payments.show_sandbox", "GET", "/payments/sandbox/{payment}", OWN_GET),
    Route("payments.settle_sandbox", "POST", "/payments/sandbox/{pending_payment}",
          OWN_POST, "sandbox", fragment=OWN_POST),
    Route("payments.receive_notification", "POST", "/payments/notify/sandbox",
          "400 400 400 400 400 400", "notify"),
    # customer: orders and servers -----------------------------------------
    Route("customer.choose_product", "GET", "/orders/new", CUSTOMER_GET),
    Route("customer.list_service_levels", "GET", "/service-levels", CUSTOMER_GET),
    Route("customer.create_order", "GET", "/orders/new/{product}", CUSTOMER_GET),
    Route("customer.create_order", "POST", "/orders/new/{product}",
          "302 303 303 403 403 403", "checkout"),
    Route("customer.show_order_summary", "POST", "/orders/new/{product}/summary",
          "302 200 200 403 403 403", "summary"),
    Route("customer.list_orders", "GET", "/orders",       CUSTOMER_GET),
    Route("customer.show_order", "GET", "/orders/{order}", OWN_GET),
    Route("customer.pay_order", "POST", "/orders/{unpaid_order}/pay", OWN_POST,
          "empty"),
    Route("customer.cancel_order", "POST", "/orders/{cancel_order}/cancel",
          "302 303 404 403 403 403", "empty"),
    Route("customer.show_server", "GET", "/servers/{server}", OWN_GET),
    Route("customer.preview_level_change", "GET",
          "/servers/{upgrade_server}/level-change?level_id={level}", OWN_GET),
    Route("customer.change_level", "POST", "/servers/{upgrade_server}/level-change",
          OWN_POST, "level_change"),
    Route("customer.renew_server", "POST", "/servers/{server}/renew", OWN_POST,
          "renew"),
    Route("customer.set_auto_renew", "POST", "/servers/{server}/auto-renew",
          OWN_POST, "auto_renew"),
    # customer: tickets ----------------------------------------------------
    Route("customer.list_tickets", "GET", "/tickets",     CUSTOMER_GET),
    Route("customer.create_ticket", "GET", "/tickets/new", CUSTOMER_GET),
    Route("customer.create_ticket", "POST", "/tickets/new",
          "302 303 422 403 403 403", "new_ticket"),
    Route("customer.show_ticket", "GET", "/tickets/{ticket}", OWN_GET),
    Route("customer.reply_ticket", "POST", "/tickets/{ticket}/replies", OWN_POST,
          "reply"),
    Route("customer.close_ticket", "POST", "/tickets/{open_ticket}/close", OWN_POST,
          "empty"),
    Route("customer.rate_ticket", "POST", "/tickets/{closed_ticket}/rating",
          OWN_POST, "rating"),
    # customer: service requests and pushes; B sees no picker for A's server.
    Route("customer.quote_service_request", "GET",
          "/tickets/new/service-quote?department={tech}&server={server}"
          "&item_id={item}", CUSTOMER_GET),
    Route("customer.pay_push", "POST", "/tickets/{ticket}/pushes/{push}/payment",
          OWN_POST, "empty"),
    # agent workspace ------------------------------------------------------
    Route("agent.dashboard", "GET", "/agent/",            STAFF_GET),
    Route("agent.list_tickets", "GET", "/agent/tickets",  STAFF_GET),
    Route("agent.list_my_tickets", "GET", "/agent/tickets/mine", STAFF_GET),
    Route("agent.show_ticket", "GET", "/agent/tickets/{ticket}",
          "302 403 403 404 200 200"),
    Route("agent.reply_ticket", "POST", "/agent/tickets/{ticket}/replies",
          "302 403 403 404 303 303", "staff_reply"),
    Route("agent.insert_quick_reply", "GET",
          "/agent/tickets/{ticket}/quick-replies/{reply}", "302 403 403 404 200 200"),
    Route("agent.change_ticket_status", "POST",
          "/agent/tickets/{status_ticket}/status", "302 403 403 404 303 303", "status"),
    Route("agent.assign_ticket", "POST", "/agent/tickets/{ticket}/assignee",
          "302 403 403 404 303 303", "assign"),
    # agent: pushing paid services and delivering service records; the agent
    # without the push right does not work the business technical desk.
    Route("agent.total_push", "GET",
          "/agent/tickets/{ticket}/push-total?item_ids={item}",
          "302 403 403 404 200 200"),
    Route("agent.create_push", "POST", "/agent/tickets/{ticket}/pushes",
          "302 403 403 404 303 303", "push"),
    Route("agent.withdraw_push", "POST",
          "/agent/tickets/{ticket}/pushes/{push}/withdraw",
          "302 403 403 404 303 303", "empty"),
    Route("agent.deliver_record", "POST",
          "/agent/tickets/{record[ticket]}/records/{record[record]}/delivered",
          "302 403 403 404 303 303", "empty"),
    # admin: customers, money, servers, products ---------------------------
    Route("admin.dashboard", "GET", "/admin/",            ADMIN_GET),
    Route("admin.list_customers", "GET", "/admin/customers", ADMIN_GET),
    Route("admin.show_customer", "GET", "/admin/customers/{customer}", ADMIN_GET),
    Route("admin.adjust_balance", "POST", "/admin/customers/{customer}/adjustments",
          ADMIN_POST, "adjust"),
    Route("admin.list_ledger_entries", "GET", "/admin/ledger", ADMIN_GET),
    Route("admin.list_payments", "GET", "/admin/payments", ADMIN_GET),
    Route("admin.list_servers", "GET", "/admin/servers",  ADMIN_GET),
    Route("admin.edit_server", "GET", "/admin/servers/{server}/edit", ADMIN_GET),
    Route("admin.edit_server", "POST", "/admin/servers/{server}/edit", ADMIN_POST,
          "server"),
    Route("admin.list_products", "GET", "/admin/products", ADMIN_GET),
    Route("admin.create_product", "GET", "/admin/products/new", ADMIN_GET),
    Route("admin.create_product", "POST", "/admin/products/new", ADMIN_POST,
          "product"),
    Route("admin.edit_product", "GET", "/admin/products/{product}/edit", ADMIN_GET),
    Route("admin.edit_product", "POST", "/admin/products/{product}/edit",
          ADMIN_POST, "product"),
    # admin: VAS configuration ---------------------------------------------
    Route("admin.edit_vas_settings", "GET", "/admin/settings/vas", ADMIN_GET),
    Route("admin.edit_vas_settings", "POST", "/admin/settings/vas", ADMIN_POST,
          "vas_settings"),
    Route("admin.preview_free_use_tip", "GET", "/admin/settings/vas/tip?free_uses=2",
          ADMIN_GET),
    Route("admin.list_levels", "GET", "/admin/vas/levels", ADMIN_GET),
    # Activate, then retire, then create: at most four levels besides the
    # default are on sale at once, whatever order the rows run in here.
    Route("admin.activate_level", "POST", "/admin/vas/levels/{toggle_level}/activate",
          ADMIN_POST, "empty"),
    Route("admin.retire_level", "POST", "/admin/vas/levels/{toggle_level}/retire",
          ADMIN_POST, "empty"),
    Route("admin.create_level", "GET", "/admin/vas/levels/new", ADMIN_GET),
    Route("admin.create_level", "POST", "/admin/vas/levels/new", ADMIN_POST,
          "level"),
    Route("admin.edit_level", "GET", "/admin/vas/levels/{level}/edit", ADMIN_GET),
    Route("admin.edit_level", "POST", "/admin/vas/levels/{level}/edit", ADMIN_POST,
          "level_edit"),
    Route("admin.move_level", "POST", "/admin/vas/levels/{level}/move", ADMIN_POST,
          "move"),
    Route("admin.list_items", "GET", "/admin/vas/items",  ADMIN_GET),
    Route("admin.create_category", "GET", "/admin/vas/categories/new", ADMIN_GET),
    Route("admin.create_category", "POST", "/admin/vas/categories/new", ADMIN_POST,
          "category"),
    Route("admin.edit_category", "GET", "/admin/vas/categories/{category}/edit",
          ADMIN_GET),
    Route("admin.edit_category", "POST", "/admin/vas/categories/{category}/edit",
          ADMIN_POST, "category_edit"),
    Route("admin.create_item", "GET", "/admin/vas/items/new", ADMIN_GET),
    Route("admin.create_item", "POST", "/admin/vas/items/new", ADMIN_POST, "item"),
    Route("admin.edit_item", "GET", "/admin/vas/items/{item}/edit", ADMIN_GET),
    Route("admin.edit_item", "POST", "/admin/vas/items/{item}/edit", ADMIN_POST,
          "item_edit"),
    Route("admin.activate_item", "POST", "/admin/vas/items/{toggle_item}/activate",
          ADMIN_POST, "empty"),
    Route("admin.retire_item", "POST", "/admin/vas/items/{toggle_item}/retire",
          ADMIN_POST, "empty"),
    Route("admin.edit_matrix", "GET", "/admin/vas/matrix", ADMIN_GET),
    Route("admin.edit_price", "GET", "/admin/vas/prices/{item}/{level}", ADMIN_GET),
    # The htmx save answers the cell itself, retargeted; no HX-Redirect.
    Route("admin.update_price", "POST", "/admin/vas/prices/{item}/{level}",
          ADMIN_POST, "price", fragment="302 403 403 403 403 200"),
    Route("admin.list_audit_entries", "GET", "/admin/audit", ADMIN_GET),
    # admin: subscriptions -------------------------------------------------
    Route("admin.list_subscriptions", "GET", "/admin/vas/subscriptions", ADMIN_GET),
    Route("admin.export_subscriptions", "GET", "/admin/vas/subscriptions.csv",
          ADMIN_GET),
    Route("admin.show_subscription", "GET", "/admin/vas/subscriptions/{subscription}",
          ADMIN_GET),
    Route("admin.refund_charge", "POST",
          "/admin/vas/subscriptions/{charge[subscription]}/charges/{charge[entry]}"
          "/refund", ADMIN_POST, "refund"),
    # admin: the ticket desk -----------------------------------------------
    Route("admin.list_departments", "GET", "/admin/departments", ADMIN_GET),
    Route("admin.create_department", "GET", "/admin/departments/new", ADMIN_GET),
    Route("admin.create_department", "POST", "/admin/departments/new", ADMIN_POST,
          "department"),
    Route("admin.edit_department", "GET", "/admin/departments/{dept}/edit",
          ADMIN_GET),
    Route("admin.edit_department", "POST", "/admin/departments/{dept}/edit",
          ADMIN_POST, "department"),
    Route("admin.delete_department", "POST", "/admin/departments/{spare}/delete",
          ADMIN_POST, "empty"),
    Route("admin.edit_ticket_permissions", "GET", "/admin/ticket-permissions",
          ADMIN_GET),
    # The htmx save answers the agent's row itself.
    Route("admin.update_ticket_permissions", "POST",
          "/admin/ticket-permissions/{agent_np}", ADMIN_POST, "permissions",
          fragment="302 403 403 403 403 200"),
    Route("admin.list_quick_replies", "GET", "/admin/quick-replies", ADMIN_GET),
    Route("admin.create_quick_reply", "GET", "/admin/quick-replies/new", ADMIN_GET),
    Route("admin.create_quick_reply", "POST", "/admin/quick-replies/new",
          ADMIN_POST, "quick_reply"),
    Route("admin.edit_quick_reply", "GET", "/admin/quick-replies/{reply}/edit",
          ADMIN_GET),
    Route("admin.edit_quick_reply", "POST", "/admin/quick-replies/{reply}/edit",
          ADMIN_POST, "quick_reply"),
    Route("admin.delete_quick_reply", "POST",
          "/admin/quick-replies/{spare_reply}/delete", ADMIN_POST, "empty"),
    Route("admin.edit_ticket_settings", "GET", "/admin/ticket-settings", ADMIN_GET),
    Route("admin.edit_ticket_settings", "POST", "/admin/ticket-settings",
          ADMIN_POST, "settings"),
    Route("admin.list_ticket_ratings", "GET", "/admin/ticket-ratings", ADMIN_GET),
]
# fmt: on


def fragment_statuses(route: Route) -> str:
    """The expected statuses with ``HX-Request``: see the module docstring.

    Where the page sends an anonymous visitor to the login (302), htmx gets
    401 with ``HX-Redirect`` to it instead.
    """
    if route.fragment is not None:
        statuses = route.fragment.split()
    else:
        statuses = ["200" if s == "303" else s for s in route.page.split()]
    if statuses[0] == "302" and not route.endpoint.startswith("auth."):
        statuses[0] = "401"
    return " ".join(statuses)


def expected(route: Route, mode: str) -> dict[str, int]:
    statuses = route.page if mode == "page" else fragment_statuses(route)
    return dict(zip(ROLES, map(int, statuses.split()), strict=True))
