"""Every state-changing route refuses a missing, malformed or foreign CSRF token."""

import pytest

from tests.conftest import Client
from tests.sweep import snapshot
from tests.sweep import unsafe_routes
from vas.extensions import csrf

# Routes called by other servers rather than browsers, and what guards them.
EXEMPT = {
    "payments.receive_notification": "the gateway's HMAC signature",
}


def test_sweep_sees_the_routes(app):
    endpoints = {endpoint for endpoint, _, _ in unsafe_routes(app)}

    assert {"auth.login", "auth.logout", "admin.adjust_balance"} <= endpoints


def test_only_documented_routes_are_exempt(app):
    exempt = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }

    assert exempt == set(EXEMPT)


def _signed_in_clients(app, make_customer, make_admin):
    customer = Client(app)
    customer.login(make_customer(balance="100.00").email)
    admin = Client(app)
    admin.login(make_admin().email)
    return {"anonymous": Client(app), "customer": customer, "admin": admin}


@pytest.mark.parametrize("token", ["missing", "malformed", "foreign"])
def test_every_unsafe_route_refuses_a_bad_token(app, make_customer, make_admin, token):
    clients = _signed_in_clients(app, make_customer, make_admin)
    foreign = Client(app).csrf_token()  # valid, but of another session
    values = {"missing": None, "malformed": "not-a-token", "foreign": foreign}
    before = snapshot(app)
    checked = 0

    for endpoint, method, url in unsafe_routes(app):
        if endpoint in EXEMPT:
            continue
        for who, client in clients.items():
            data = {"amount": "1", "reason": "x", "intent": "a" * 32, "locale": "en"}
            if values[token] is not None:
                data["csrf_token"] = values[token]
            response = client.raw.open(url, method=method, data=data)
            assert response.status_code == 400, (endpoint, method, who, token)
            checked += 1

    assert checked >= 3 * len(clients)
    assert snapshot(app) == before


def test_htmx_header_token_is_accepted_and_checked(app, make_customer, make_client):
    customer = make_customer()
    htmx = make_client(htmx=True)
    htmx.login(customer.email)

    refused = htmx.post("/language", {"locale": "en"}, csrf=False)
    accepted = htmx.post("/language", {"locale": "en"})

    assert refused.status_code == 400
    assert accepted.status_code == 303


def test_gateway_notifications_without_a_signature_are_refused(app, client):
    before = snapshot(app)

    for form in (
        {},
        {
            "payment_id": "1",
            "txn_id": "x",
            "amount_cents": "100",
            "status": "paid",
            "signature": "0" * 64,
        },
    ):
        response = client.post("/payments/notify/sandbox", form, csrf=False)
        assert response.status_code == 400

    assert snapshot(app) == before
