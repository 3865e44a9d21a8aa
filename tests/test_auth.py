"""Signing in and out: credentials, safe redirects, throttling, cookies."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("VAS_TEST_REDIS_URL", "")


def test_login_page_renders_with_email_and_password_fields(client):
    html = client.get("/login").get_data(as_text=True)

    assert 'name="email"' in html and 'name="password"' in html
    assert 'name="csrf_token"' in html


@pytest.mark.parametrize(
    ("factory", "home"),
    [
        ("make_customer", "/dashboard"),
        ("make_agent", "/agent/"),
        ("make_admin", "/admin/"),
    ],
)
def test_login_goes_to_the_role_home(request, client, factory, home):
    user = request.getfixturevalue(factory)()

    response = client.login(user.email)

    assert response.location == home
    assert client.get(home).status_code == 200


def test_wrong_password_is_refused_beside_the_field(client, make_customer):
    customer = make_customer()

    response = client.post("/login", {"email": customer.email, "password": "nope"})

    assert response.status_code == 422
    assert "field__error" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_disabled_account_cannot_sign_in(app, client, make_customer):
    from vas.extensions import db
    from vas.models import User

    customer = make_customer()
    with app.app_context():
        db.session.get(User, customer.id).is_enabled = False
        db.session.commit()

    response = client.post(
        "/login", {"email": customer.email, "password": "correct-horse-1"}
    )

    assert response.status_code == 422


def test_safe_next_is_followed(client, make_customer):
    customer = make_customer()

    response = client.post(
        "/login",
        {
            "email": customer.email,
            "password": "correct-horse-1",
            "next": "/balance?page=2",
        },
    )

    assert response.location == "/balance?page=2"


# Hostile ``next`` values: tests/test_sweeps.py (sign-in and language).


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/balance")

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_logout_needs_post_and_ends_the_session(client, make_customer):
    customer = make_customer()
    client.login(customer.email)

    assert client.get("/logout").status_code == 405
    assert client.logout().status_code == 303
    assert client.get("/dashboard").status_code == 302


def test_session_and_remember_cookies_are_hardened(client, make_customer):
    customer = make_customer()

    response = client.post(
        "/login",
        {"email": customer.email, "password": "correct-horse-1", "remember": "y"},
    )
    cookies = response.headers.getlist("Set-Cookie")

    session = next(c for c in cookies if c.startswith("vas_session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch, app_factory, make_customer):
    monkeypatch.setenv("VAS_ENV", "production")
    monkeypatch.setenv("VAS_SECRET_KEY", "x" * 64)
    app = app_factory()
    make_customer()

    response = app.test_client().get("/login", base_url="https://localhost")

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


def _throttled_app(app_factory, storage_uri: str):
    return app_factory(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage_uri,
        VAS_LOGIN_LIMIT="3 per minute",
    )


def _attempt(app, email, address="127.0.0.1"):
    from tests.conftest import Client

    client = Client(app)
    client.raw.environ_base["REMOTE_ADDR"] = address
    return client.post("/login", {"email": email, "password": "wrong-password"})


def _fresh_address() -> str:
    """A client address no earlier run has used, so shared counters start at 0."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def test_login_is_throttled(app_factory, make_customer):
    customer = make_customer()
    app = _throttled_app(app_factory, "memory://")

    statuses = [_attempt(app, customer.email).status_code for _ in range(4)]

    assert statuses == [422, 422, 422, 429]


WORKER_SCRIPT = """
import sys
from tests.conftest import Client, base_config
from vas import create_app

url, storage, address, email = sys.argv[1:5]
config = base_config(url)
config.update(
    RATELIMIT_ENABLED=True,
    RATELIMIT_STORAGE_URI=storage,
    VAS_LOGIN_LIMIT="3 per minute",
)
client = Client(create_app(config))
client.raw.environ_base["REMOTE_ADDR"] = address
response = client.post("/login", {"email": email, "password": "wrong-password"})
print(response.status_code)
"""


@pytest.mark.skipif(
    not REDIS_URL, reason="VAS_TEST_REDIS_URL is not set: shared throttling skipped"
)
def test_throttling_is_shared_between_worker_processes(
    app_factory, database_url, make_customer
):
    """Attempts in this process count against a login in another process."""
    customer = make_customer(email=f"{uuid.uuid4().hex}@example.test")
    app = _throttled_app(app_factory, REDIS_URL)
    address = _fresh_address()

    here = [_attempt(app, customer.email, address).status_code for _ in range(3)]
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER_SCRIPT,
            database_url,
            REDIS_URL,
            address,
            customer.email,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )

    assert here == [422, 422, 422]
    assert other.stdout.strip().splitlines()[-1] == "429", other.stderr[-2000:]


def test_registration_opens_a_customer_account(app, client):
    response = client.post(
        "/register",
        {
            "name": "新客户",
            "email": "New@Example.com",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
    )

    assert response.status_code == 303
    assert client.get("/dashboard").status_code == 200
    from vas.extensions import db
    from vas.models import User

    with app.app_context():
        user = db.session.query(User).filter_by(email="new@example.com").one()
        assert (user.role, user.balance_cents) == ("customer", 0)
        assert user.id >= 110000


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "field__error"),
        ("password", "short", "field__error"),
        ("confirm", "different-pass-1", "field__error"),
    ],
)
def test_registration_refuses_bad_input(app, client, field, value, message):
    form = {
        "name": "A",
        "email": "a@example.test",
        "password": "long-enough-1",
        "confirm": "long-enough-1",
    }
    form[field] = value

    response = client.post("/register", form)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    from vas.extensions import db
    from vas.models import User

    with app.app_context():
        assert db.session.query(User).count() == 0


def test_registration_refuses_a_taken_email(client, make_customer):
    customer = make_customer()

    response = client.post(
        "/register",
        {
            "name": "Copy",
            "email": customer.email.upper(),
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
    )

    assert response.status_code == 422


def test_an_htmx_request_without_a_session_sends_the_page_to_the_login(client):
    response = client.get(
        "/tickets/new/service-quote?server=1",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://localhost/tickets/new?server=1",
        },
    )

    assert response.status_code == 401
    assert response.get_data() == b""
    assert response.headers["HX-Redirect"] == "/login?next=/tickets/new?server%3D1"


def test_an_htmx_login_redirect_never_points_off_site(client):
    response = client.get(
        "/agent/tickets",
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example//x"},
    )

    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=/agent/tickets")
