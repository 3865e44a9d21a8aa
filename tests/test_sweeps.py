"""Sweeps over ``app.url_map``: access, CSRF, headers, redirects, extra fields.

Every route must have a row in ``tests/routes.py``; a route without one, or
a row without a route, fails ``test_every_route_is_in_the_table``. Each row
then runs for six roles, as a page and as an htmx fragment, against one
shared world per backend (``tests/world.py``): the expected status, the
security headers on every answer, and no change to any row of any table
where the request was refused (A1, A2).
"""

from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.conftest import BACKENDS
from tests.conftest import Client
from tests.conftest import base_config
from tests.hostile import HOSTILE_NEXT
from tests.routes import FORMS
from tests.routes import ROLES
from tests.routes import ROUTES
from tests.routes import expected
from tests.world import MODES
from tests.world import build
from tests.world import own_database
from tests.world import table_state
from vas import create_app
from vas.extensions import db
from vas.models import ItemPrice
from vas.web import new_intent

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Routes called by other servers rather than browsers, and what guards them.
CSRF_EXEMPT = {"payments.receive_notification": "the gateway's HMAC signature"}


@pytest.fixture(scope="module", params=BACKENDS)
def sweep_app(request, tmp_path_factory):
    """An app on a database of its own, shared by every test of this module."""
    with own_database(request, tmp_path_factory, request.param, "sweeps") as url:
        app = create_app(base_config(url))
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def world(sweep_app):
    return build(sweep_app)


@pytest.fixture(scope="module")
def clients(sweep_app, world):
    """One signed-in session per role, kept across the rows."""
    made = {}
    for who in ROLES:
        client = Client(sweep_app)
        if who != "anonymous":
            client.login(world.email(who))
        made[who] = client
    return made


def _client(sweep_app, world, clients, route, who) -> Client:
    if not route.fresh:
        return clients[who]
    client = Client(sweep_app)
    if who != "anonymous":
        client.login(world.email(who))
    return client


def _form(app, world, route, who, mode) -> dict:
    if route.form == "price":
        with app.app_context():
            cell = db.session.scalars(
                sa.select(ItemPrice).filter_by(
                    item_id=world.ids["item"], level_id=world.ids["level"]
                )
            ).one()
            return {"price": "77.00", "version": str(cell.version)}
    return FORMS[route.form](world, who, mode)


def send(client: Client, method: str, url: str, data=None, *, htmx: bool):
    """Send one request as this session's browser would, token included."""
    client.htmx = htmx
    try:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data or {})
    finally:
        client.htmx = False
    response.get_data()  # a streamed answer runs to its end here
    response.close()
    return response


# -------------------------------------------------------------- the table


def test_every_route_is_in_the_table(sweep_app):
    registered = {
        (rule.endpoint, method)
        for rule in sweep_app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    rows = [(route.endpoint, route.method) for route in ROUTES]

    assert sorted(registered - set(rows)) == [], "routes without a row"
    assert sorted(set(rows) - registered) == [], "rows without a route"
    assert len(rows) == len(set(rows)), "a route has two rows"


def test_every_row_names_every_role_in_both_modes():
    for route in ROUTES:
        for mode in MODES:
            assert set(expected(route, mode)) == set(ROLES), route.id
        if route.method == "POST":
            assert route.form in FORMS, route.id


# -------------------------------------------------------------- headers


def assert_secure_headers(response, context) -> None:
    """CSP without unsafe scripts, nosniff and no framing on every answer."""
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", context
    if response.mimetype != "text/html":
        return
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in policy.split("; ") if part
    )
    script_src = directives.get("script-src", directives.get("default-src", ""))
    assert script_src and "'self'" in script_src, (context, policy)
    assert "'unsafe-inline'" not in script_src, (context, policy)
    assert "'unsafe-eval'" not in script_src, (context, policy)
    assert directives.get("object-src") == "'none'", (context, policy)
    framing = directives.get("frame-ancestors") == "'none'"
    assert framing and headers.get("X-Frame-Options") == "DENY", context


# -------------------------------------------------------------- access


def _refused(status: int) -> bool:
    return status == 302 or status >= 400


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_access(sweep_app, world, clients, route):
    """Each role, as page and fragment: the status the table says; refusals
    change nothing, and no GET changes anything."""
    plan = [(who, mode, expected(route, mode)[who]) for mode in MODES for who in ROLES]
    refused = [step for step in plan if _refused(step[2])]
    allowed = [step for step in plan if not _refused(step[2])]
    before = table_state(sweep_app)

    for group in (refused, allowed):
        for who, mode, status in group:
            client = _client(sweep_app, world, clients, route, who)
            url = route.url.format(**world.values(who, mode))
            data = (
                None
                if route.method == "GET"
                else _form(sweep_app, world, route, who, mode)
            )
            response = send(client, route.method, url, data, htmx=mode == "fragment")
            context = (route.id, who, mode)

            assert response.status_code == status, (*context, response.location)
            assert_secure_headers(response, context)
            if who == "anonymous" and status == 302 and route.endpoint != "auth.index":
                target = urlsplit(response.location)
                back = parse_qs(target.query).get("next", [""])[0]
                assert target.path == "/login", context
                assert back.startswith(urlsplit(url).path), (context, back)
            if who == "anonymous" and status == 401:
                target = urlsplit(response.headers["HX-Redirect"])
                assert target.path == "/login", context
            if mode == "fragment" and route.method == "POST" and status == 200:
                body = response.get_data(as_text=True)
                assert "HX-Redirect" in response.headers or "<html" not in body
        if group is refused or route.method == "GET":
            assert table_state(sweep_app) == before, (route.id, "changed state")


def test_the_sweep_covers_every_route_role_and_mode():
    covered = {
        (r.endpoint, r.method, who, m) for r in ROUTES for who in ROLES for m in MODES
    }

    assert len(covered) == len(ROUTES) * len(ROLES) * len(MODES)


# -------------------------------------------------------------- CSRF


UNSAFE_ROUTES = [r for r in ROUTES if r.method in UNSAFE]


def test_only_documented_routes_are_exempt_from_csrf(sweep_app):
    from vas.extensions import csrf

    exempt = {
        endpoint
        for endpoint, view in sweep_app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }

    assert exempt == set(CSRF_EXEMPT)


@pytest.mark.parametrize(
    "route",
    [r for r in UNSAFE_ROUTES if r.endpoint not in CSRF_EXEMPT],
    ids=lambda r: r.id,
)
def test_a_bad_csrf_token_is_refused_and_changes_nothing(
    sweep_app, world, clients, route
):
    """Missing, malformed and another session's token; form field and header."""
    foreign = Client(sweep_app).csrf_token()  # valid, but of another session
    tokens = {"missing": None, "malformed": "not-a-token", "foreign": foreign}
    before = table_state(sweep_app)

    for who in ROLES:
        client = clients[who]
        client.csrf_token()  # the session has a token of its own
        for name, token in tokens.items():
            for carrier in ("form", "header"):
                data = _form(sweep_app, world, route, who, "page")
                headers = {}
                if token is not None and carrier == "form":
                    data["csrf_token"] = token
                if carrier == "header":
                    headers["HX-Request"] = "true"
                    if token is not None:
                        headers["X-CSRFToken"] = token
                url = route.url.format(**world.values(who, "page"))
                response = client.raw.open(
                    url, method=route.method, data=data, headers=headers
                )
                assert response.status_code == 400, (route.id, who, name, carrier)

    assert table_state(sweep_app) == before


# -------------------------------------------------------------- redirects


def _stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return (
        parts.scheme in ("", "http")
        and parts.netloc in ("", "localhost")
        and parts.path.startswith("/")
        and not parts.path.startswith("//")
    )


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_hostile_next_stays_on_site(sweep_app, world, target):
    """Sign-in and the language switch both refuse an off-site ``next``."""
    signing_in = Client(sweep_app)
    page = signing_in.get("/login", query_string={"next": target})
    signed_in = signing_in.post(
        "/login",
        {"email": world.email("login"), "password": "correct-horse-1", "next": target},
    )
    switched = Client(sweep_app).post("/language", {"locale": "en", "next": target})

    assert page.status_code == 200
    assert signed_in.status_code == 303 and signed_in.location == "/dashboard"
    assert switched.status_code == 303 and switched.location == "/"
    for response in (signed_in, switched):
        assert _stays_on_site(response.location), response.location


def test_a_safe_next_is_still_followed_by_the_language_switch(sweep_app):
    switched = Client(sweep_app).post(
        "/language", {"locale": "en", "next": "/tickets?page=2"}
    )

    assert switched.location == "/tickets?page=2"


# -------------------------------------------------------------- cookies


def test_production_cookies_are_httponly_lax_and_secure(monkeypatch, sweep_app, world):
    monkeypatch.setenv("VAS_ENV", "production")
    monkeypatch.setenv("VAS_SECRET_KEY", "x" * 64)
    config = base_config(sweep_app.config["SQLALCHEMY_DATABASE_URI"])
    del config["SECRET_KEY"]
    production = create_app({k: v for k, v in config.items() if k != "TESTING"})
    client = production.test_client()
    page = client.get("/login", base_url="https://localhost")
    token = page.get_data(as_text=True).split('name="csrf-token" content="')[1]
    token = token.split('"')[0]

    response = client.post(
        "/login",
        data={
            "email": world.email("login"),
            "password": "correct-horse-1",
            "remember": "y",
            "csrf_token": token,
        },
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    with production.app_context():
        db.engine.dispose()

    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    named = {cookie.split("=", 1)[0]: cookie for cookie in cookies}
    assert {"vas_session", "remember_token"} <= set(named)
    for name in ("vas_session", "remember_token"):
        flags = {part.strip().lower() for part in named[name].split(";")}
        assert {"httponly", "secure", "samesite=lax"} <= flags, named[name]


# -------------------------------------------------------------- extra fields


# -------------------------------------------------------------- extra fields

# Fields no form of ours has, named as an attacker would guess them.
EXTRA = {
    "balance": "99999.00",
    "balance_cents": "9999900",
    "role": "admin",
    "is_admin": "y",
    "can_push_services": "y",
    "price": "0.01",
    "price_cents": "1",
    "amount_cents": "1",
    "total_cents": "1",
    "discount_percent": "100",
    "status": "paid",
    "is_private": "y",
    "owner_id": "1",
    "customer_id": "1",
    "author_id": "1",
    "actor_id": "1",
    "id": "1",
    "is_default": "y",
}


def _row(app, model, ident):
    with app.app_context():
        row = db.session.get(model, ident)
        return {c.key: getattr(row, c.key) for c in sa.inspect(model).columns}


def _newest(app, model, **where):
    with app.app_context():
        query = sa.select(model).filter_by(**where).order_by(model.id.desc())
        row = db.session.scalars(query).first()
        return {c.key: getattr(row, c.key) for c in sa.inspect(model).columns}


def _balance(app, who_id) -> int:
    from vas.models import User

    return _row(app, User, who_id)["balance_cents"]


def _extra(world, **overrides):
    """The extra fields, pointing every owner field at customer B."""
    extra = dict(EXTRA)
    for name in ("owner_id", "customer_id", "author_id", "actor_id"):
        extra[name] = str(world.people["customer_b"].id)
    return {**extra, **overrides}


def test_extra_fields_do_not_make_a_registration_more_than_a_customer(sweep_app, world):
    from vas.models import LedgerEntry
    from vas.models import User

    response = Client(sweep_app).post(
        "/register",
        {
            **_extra(world),
            "name": "Mallory",
            "email": "mallory@example.com",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
    )
    user = _newest(sweep_app, User, email="mallory@example.com")

    assert response.status_code == 303
    assert (user["role"], user["balance_cents"], user["can_push_services"]) == (
        "customer",
        0,
        False,
    )
    assert user["id"] != 1
    with sweep_app.app_context():
        entries = db.session.scalar(
            sa.select(sa.func.count(LedgerEntry.id)).filter_by(customer_id=user["id"])
        )
    assert entries == 0


def test_extra_fields_do_not_change_who_signs_in(sweep_app, world):
    from vas.models import User

    login = world.people["login"]
    client = Client(sweep_app)
    response = client.post(
        "/login",
        {**_extra(world), "email": login.email, "password": "correct-horse-1"},
    )

    assert response.location == "/dashboard"
    assert _row(sweep_app, User, login.id)["role"] == "customer"
    assert client.get("/admin/").status_code == 403


def test_extra_fields_do_not_price_or_own_a_checkout(sweep_app, world, clients):
    from vas.models import Order
    from vas.models import Product
    from vas.services import checkout

    a, b = world.people["customer_a"], world.people["customer_b"]
    with sweep_app.app_context():
        priced = checkout.quote(
            db.session.get(Product, world.ids["product"]),
            months=1,
            level_id=world.ids["level"],
        )
    balances = _balance(sweep_app, a.id), _balance(sweep_app, b.id)

    response = clients["customer_a"].post(
        f"/orders/new/{world.ids['product']}",
        {
            **_extra(world),
            "months": "1",
            "level_id": str(world.ids["level"]),
            "promo_code": "",
            "intent": new_intent(),
            "action": "pay",
        },
    )
    order = _newest(sweep_app, Order, customer_id=a.id)

    assert response.status_code == 303
    assert (order["total_cents"], order["status"]) == (priced.total_cents, "paid")
    assert _balance(sweep_app, a.id) == balances[0] - priced.total_cents
    assert _balance(sweep_app, b.id) == balances[1]


def test_extra_fields_do_not_own_or_close_a_ticket_or_make_a_reply_private(
    sweep_app, world, clients
):
    from vas.models import Ticket
    from vas.models import TicketMessage

    a = world.people["customer_a"]
    client = clients["customer_a"]
    client.post(
        "/tickets/new",
        {
            **_extra(world),
            "assignee_id": str(world.people["agent"].id),
            "department": str(world.ids["tech"]),
            "server": str(world.ids["server"]),
            "subject": "Extra fields",
            "body": "Extra body",
            "intent": new_intent(),
        },
    )
    ticket = _newest(sweep_app, Ticket, subject="Extra fields")
    client.post(
        f"/tickets/{ticket['id']}/replies", {**_extra(world), "body": "Extra reply"}
    )
    reply = _newest(sweep_app, TicketMessage, ticket_id=ticket["id"])

    assert (ticket["customer_id"], ticket["status"], ticket["assignee_id"]) == (
        a.id,
        "open",
        None,
    )
    assert (reply["author_id"], reply["is_private"], reply["body"]) == (
        a.id,
        False,
        "Extra reply",
    )


def test_extra_fields_do_not_settle_or_grow_a_top_up(sweep_app, world, clients):
    from vas.models import Payment

    a = world.people["customer_a"]
    response = clients["customer_a"].post(
        "/balance/top-ups",
        {**_extra(world), "amount": "10.00", "intent": new_intent()},
    )
    payment = _newest(sweep_app, Payment, customer_id=a.id)

    assert response.status_code == 303
    assert (payment["amount_cents"], payment["status"]) == (1000, "pending")


def test_extra_fields_do_not_redirect_an_admin_adjustment(sweep_app, world, clients):
    a, b = world.people["customer_a"], world.people["customer_b"]
    balances = _balance(sweep_app, a.id), _balance(sweep_app, b.id)

    clients["admin"].post(
        f"/admin/customers/{a.id}/adjustments",
        {
            **_extra(world),
            "direction": "credit",
            "amount": "1.00",
            "reason": "extra fields",
            "intent": new_intent(),
        },
    )

    assert _balance(sweep_app, a.id) == balances[0] + 100
    assert _balance(sweep_app, b.id) == balances[1]


def test_extra_fields_do_not_move_a_server_or_a_level(sweep_app, world, clients):
    from vas.models import Server
    from vas.models import ServiceLevel

    admin = clients["admin"]
    server_before = _row(sweep_app, Server, world.ids["server"])
    level_before = _row(sweep_app, ServiceLevel, world.ids["level"])

    admin.post(
        f"/admin/servers/{world.ids['server']}/edit",
        {
            **_extra(world),
            "product_id": "999",
            "hostname": "moved",
            "due_date": server_before["due_date"].isoformat(),
            "status": "active",
        },
    )
    admin.post(
        f"/admin/vas/levels/{world.ids['level']}/edit",
        {
            **_extra(world),
            "name": level_before["name"],
            "monthly_price": "50.00",
            "description": level_before["description"],
            "is_active": "",
            "sort_order": "99",
        },
    )
    server_after = _row(sweep_app, Server, world.ids["server"])
    level_after = _row(sweep_app, ServiceLevel, world.ids["level"])

    for name in ("customer_id", "product_id", "hostname", "status"):
        assert server_after[name] == server_before[name], name
    for name in ("is_default", "is_active", "sort_order", "monthly_price_cents"):
        assert level_after[name] == level_before[name], name


def test_extra_fields_do_not_raise_a_refund_or_an_agents_rights(
    sweep_app, world, clients
):
    from vas.models import LedgerEntry
    from vas.models import User

    charge = world.slots["charge"][("agent", "page")]  # unused by the access rows
    admin = clients["admin"]
    with sweep_app.app_context():
        paid = db.session.get(LedgerEntry, charge["entry"])
        vas_part = next(
            c.vas_cents
            for c in _vas_charges(charge["subscription"])
            if c.entry.id == paid.id
        )

    admin.post(
        f"/admin/vas/subscriptions/{charge['subscription']}/charges/"
        f"{charge['entry']}/refund",
        {**_extra(world, amount_cents="9999900"), "reason": "extra fields"},
    )
    admin.post(
        f"/admin/ticket-permissions/{world.ids['agent_np']}",
        {
            **_extra(world, can_push_services=""),
            "role": "admin",
            f"agent{world.ids['agent_np']}-departments": str(world.ids["dept"]),
        },
    )
    refund = _newest(sweep_app, LedgerEntry, cause="refund")
    agent = _row(sweep_app, User, world.ids["agent_np"])

    assert refund["amount_cents"] == vas_part
    assert (agent["role"], agent["can_push_services"]) == ("agent", False)


def _vas_charges(subscription_id):
    from vas.models import Subscription
    from vas.services import vas_refunds

    return vas_refunds.charges(db.session.get(Subscription, subscription_id))
