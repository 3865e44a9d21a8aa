"""CSRF beyond the sweep: the htmx header carries the token; the gateway signs."""

from tests.sweep import snapshot

# Every unsafe route refusing a missing, malformed or foreign token, and the
# list of exempt routes: tests/test_sweeps.py.


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
