"""Pages cost a fixed number of SQL statements, however much data exists."""

import pytest

from tests.conftest import Client

ADMIN_PAGES = [
    "/admin/",
    "/admin/customers",
    "/admin/customers/{customer}",
    "/admin/servers",
    "/admin/servers?status=active&q=host",
    "/admin/ledger",
    "/admin/payments",
    "/admin/products",
    "/admin/audit",
]
CUSTOMER_PAGES = ["/dashboard", "/servers", "/balance"]


def _grow(make_customer, make_server, customer_id, n):
    """Add ``n`` customers with a server each, and ``n`` servers to one customer."""
    for _ in range(n):
        other = make_customer(balance="10.00")
        make_server(customer_id=other.id)
        make_server(customer_id=customer_id)


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_cost_a_fixed_number_of_queries(
    app, make_admin, make_customer, make_server, count_queries, page
):
    client = Client(app)
    client.login(make_admin().email)
    customer = make_customer(balance="5.00")
    url = page.format(customer=customer.id)
    _grow(make_customer, make_server, customer.id, 2)
    with count_queries() as few:
        assert client.get(url).status_code == 200

    _grow(make_customer, make_server, customer.id, 12)
    with count_queries() as many:
        assert client.get(url).status_code == 200

    assert few.count == many.count, (few.statements, many.statements)
    assert many.count <= 8


@pytest.mark.parametrize("page", CUSTOMER_PAGES)
def test_customer_pages_cost_a_fixed_number_of_queries(
    app, make_customer, make_server, count_queries, page
):
    customer = make_customer(balance="5.00")
    client = Client(app)
    client.login(customer.email)
    _grow(make_customer, make_server, customer.id, 2)
    with count_queries() as few:
        assert client.get(page).status_code == 200

    _grow(make_customer, make_server, customer.id, 12)
    with count_queries() as many:
        assert client.get(page).status_code == 200

    assert few.count == many.count, (few.statements, many.statements)
    assert many.count <= 8
