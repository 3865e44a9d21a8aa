"""Counting lists up to a cap, and the "N+" that says more rows exist."""

import sqlalchemy as sa

from vas.extensions import db
from vas.models import User
from vas.services import ticket_queries
from vas.services.ticket_queries import Count
from vas.web import count_rows
from vas.web import paginate


def test_a_count_stops_at_its_cap_and_says_so(app, make_customer):
    for _ in range(5):
        make_customer()
    customers = sa.select(User.id).where(User.role == "customer")

    with app.app_context():
        assert count_rows(customers, 10) == (5, False)
        assert count_rows(customers, 5) == (5, False)
        assert count_rows(customers, 3) == (3, True)
        assert count_rows(customers) == (5, False)


def test_pages_past_a_capped_count_are_not_offered(app, make_customer):
    for _ in range(7):
        make_customer()
    query = sa.select(User).where(User.role == "customer").order_by(User.id)

    with app.test_request_context("/?page=9"):
        page = paginate(query, per_page=2, count_cap=4)
        assert (page.total, page.capped, page.number, page.pages) == (4, True, 2, 2)
        assert len(page.items) == 2
        db.session.remove()
    with app.test_request_context("/?page=9"):
        page = paginate(query, per_page=2, count_cap=None)
        assert (page.total, page.capped, page.number) == (7, False, 9)
        assert page.items == []


def test_capped_counts_show_a_plus_and_keep_it_when_summed():
    counts = [Count(3), Count(10, capped=True), Count(0)]

    assert [str(count) for count in counts] == ["3", "10+", "0"]
    assert str(sum(counts)) == "13+"
    assert str(sum([Count(1), Count(2)])) == "3"
    assert sum(counts) == 13


def test_queue_tabs_count_each_status_up_to_the_cap(app, desk, make_ticket):
    for n in range(2):
        make_ticket(
            customer_id=desk.customer_a.id,
            department_id=desk.tech.id,
            server_id=desk.server.id,
            subject=f"slow disk {n}",
            body="It is slow.",
        )

    with app.app_context():
        agent = db.session.get(User, desk.agent.id)
        counts = ticket_queries.queue_counts(agent, ticket_queries.QueueFilter(), cap=2)
        exact = ticket_queries.queue_counts(agent, ticket_queries.QueueFilter())

    assert str(counts["open"]) == "2+" and str(counts["closed"]) == "0"
    assert str(sum(counts.values())) == "2+"
    assert exact["open"] == 3 and str(exact["open"]) == "3"
