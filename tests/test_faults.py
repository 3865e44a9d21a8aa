"""Faults in the middle of a charge: nothing of it remains (T1, T2).

A statement of the paid request or of a push payment is made to fail at the
database driver, at each step in turn: the request answers 500, and the
ticket, record, system message, ledger entry, mail and balance are as they
were before it. A second attempt without the fault then succeeds.
"""

import contextlib
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import Client
from tests.sweep import snapshot
from vas.extensions import db
from vas.models import User
from vas.services import ledger
from vas.services import service_requests


class InjectedFault(RuntimeError):
    """Raised in place of a statement, as a dropped connection would be."""


@contextlib.contextmanager
def fail_on(app, statement: str, nth: int = 1):
    """Make the ``nth`` statement starting with ``statement`` fail, once."""
    with app.app_context():
        engine = db.engine
    seen = {"n": 0}

    def before(conn, cursor, sql, parameters, context, executemany):
        if sql.lstrip().upper().startswith(statement.upper()):
            seen["n"] += 1
            if seen["n"] == nth:
                raise InjectedFault(f"injected fault before: {sql[:60]}")

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


# Every write of a paid request, in the order the service makes them: the
# ticket and its first message, the debit (balance, then entry), the service
# record, the system message, the mail.
REQUEST_STEPS = [
    ("INSERT INTO tickets", 1),
    ("INSERT INTO ticket_messages", 1),
    ("UPDATE users", 1),
    ("INSERT INTO ledger_entries", 1),
    ("INSERT INTO service_records", 1),
    ("INSERT INTO ticket_messages", 2),
    ("INSERT INTO outbox_emails", 1),
]


@pytest.fixture
def paid_world(vas_desk, paid_requests):
    """A's free use is spent and the balance covers one ¥100.00 request."""
    paid_requests(2000)
    return vas_desk


def _request_form(vd) -> dict:
    return {
        "department": str(vd.desk.tech.id),
        "server": str(vd.server),
        "item_id": str(vd.paid_item),
        "subject": "",
        "body": "Tune it.",
        "intent": uuid.uuid4().hex,
        "expected_charge": "10000",
    }


@pytest.mark.parametrize(("statement", "nth"), REQUEST_STEPS)
def test_a_paid_request_failing_at_any_step_leaves_nothing(
    app, paid_world, statement, nth
):
    client = Client(app)
    client.login(paid_world.desk.customer_a.email)
    form = _request_form(paid_world)
    client.csrf_token()
    before = snapshot(app)

    with fail_on(app, statement, nth) as seen:
        response = client.post("/tickets/new", form)

    assert seen["n"] >= nth, f"the request never ran {statement} #{nth}"
    assert response.status_code == 500
    assert snapshot(app) == before

    again = client.post("/tickets/new", form)  # the same submission, no fault
    assert again.status_code == 303
    with app.app_context():
        assert ledger.balance_cents(paid_world.desk.customer_a.id) == 800
        assert ledger.ledger_sum_cents(paid_world.desk.customer_a.id) == 800


PAY_STEPS = [
    ("UPDATE service_pushes", 1),
    ("UPDATE users", 1),
    ("INSERT INTO ledger_entries", 1),
    ("UPDATE service_pushes", 2),  # the entry it was paid by
    ("INSERT INTO service_records", 1),
    ("INSERT INTO ticket_messages", 1),
    ("INSERT INTO outbox_emails", 1),
]


@pytest.mark.parametrize(("statement", "nth"), PAY_STEPS)
def test_a_push_payment_failing_at_any_step_leaves_nothing(
    app, vas_desk, make_push, statement, nth
):
    pushed = make_push(
        agent_id=vas_desk.desk.agent.id,
        ticket_id=vas_desk.ticket,
        item_ids=[vas_desk.paid_item],
        pay_price="20.00",
    )
    client = Client(app, htmx=True)
    client.login(vas_desk.desk.customer_a.email)
    client.csrf_token()
    url = f"/tickets/{vas_desk.ticket}/pushes/{pushed.id}/payment"
    before = snapshot(app)

    with fail_on(app, statement, nth) as seen:
        response = client.post(url)

    assert seen["n"] >= nth, f"the payment never ran {statement} #{nth}"
    assert response.status_code == 500
    assert snapshot(app) == before

    assert client.post(url).status_code == 200
    with app.app_context():
        assert ledger.balance_cents(vas_desk.desk.customer_a.id) == 6800


def test_the_fault_harness_sees_a_half_written_charge(app, paid_world):
    """Negative control: committing between the debit and the record leaves
    money moved for a service that does not exist, and the snapshot says so."""
    before = snapshot(app)

    with app.app_context():
        customer = db.session.get(User, paid_world.desk.customer_a.id)
        ledger.debit(
            customer.id,
            10000,
            cause="service_request",
            subject_type="ticket",
            subject_id=None,
            key="naive:half-written",
        )
        db.session.commit()  # the naive version commits the charge first
        with pytest.raises(service_requests.RequestRefused):
            service_requests.submit(
                customer,
                department_id=paid_world.desk.tech.id,
                server_id=paid_world.server,
                item_id=None,  # the record step fails
                subject="",
                body="x",
                intent=uuid.uuid4().hex,
                expected_charge_cents=10000,
            )

    after = snapshot(app)
    assert after != before
    assert after["ledger_entries"] == before["ledger_entries"] + 1
    assert after["service_records"] == before["service_records"]
