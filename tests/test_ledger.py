"""The ledger service and the database's own guards (M1–M4, rounding)."""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tests.money_harness import audit
from tests.money_harness import hammer
from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import User
from vas.services import ledger
from vas.services.errors import AlreadyRefunded
from vas.services.errors import InsufficientBalance
from vas.services.errors import InvalidInput


def _debit(customer_id, cents, key, **extra):
    return ledger.debit(
        customer_id,
        cents,
        cause="service_request",
        subject_type="test",
        subject_id=None,
        key=key,
        **extra,
    )


def _state(app, customer_id):
    with app.app_context():
        return ledger.balance_cents(customer_id), ledger.ledger_sum_cents(customer_id)


def test_debit_moves_money_and_records_balance_after(app, make_customer):
    customer = make_customer(balance="50.00")

    with app.app_context():
        posting = _debit(customer.id, 1250, "k1", memo="disk cleanup")
        db.session.commit()
        entry = db.session.get(LedgerEntry, posting.entry.id)
        assert (entry.amount_cents, entry.balance_after_cents) == (-1250, 3750)
        assert entry.cause == "service_request" and entry.memo == "disk cleanup"

    assert _state(app, customer.id) == (3750, 3750)


def test_insufficient_balance_changes_nothing(app, make_customer):
    customer = make_customer(balance="10.00")

    with app.app_context():
        with pytest.raises(InsufficientBalance) as refusal:
            _debit(customer.id, 1001, "k1")
        db.session.commit()

    assert str(refusal.value.shortfall) == "0.01"
    assert "¥0.01" in str(refusal.value.message)
    assert _state(app, customer.id) == (1000, 1000)


def test_replayed_key_moves_money_once(app, make_customer):
    customer = make_customer(balance="50.00")

    with app.app_context():
        first = _debit(customer.id, 1000, "same-intent")
        db.session.commit()
        again = _debit(customer.id, 1000, "same-intent")
        db.session.commit()
        assert (first.replayed, again.replayed) == (False, True)
        assert again.entry.id == first.entry.id

    assert _state(app, customer.id) == (4000, 4000)


def test_key_of_another_customer_is_refused(app, make_customer):
    alice = make_customer(balance="50.00")
    bob = make_customer(balance="50.00")

    with app.app_context():
        _debit(alice.id, 1000, "shared")
        db.session.commit()
        with pytest.raises(InvalidInput):
            _debit(bob.id, 1000, "shared")

    assert _state(app, bob.id) == (5000, 5000)


def test_one_intent_submitted_fifty_times_concurrently(app, make_customer):
    customer = make_customer(balance="100.00")
    replays = []
    lock = threading.Lock()

    def submit(thread, n):
        posting = _debit(customer.id, 700, "one-intent")
        with lock:
            replays.append(posting.replayed)

    outcome = hammer(app, submit, threads=50, attempts=50)

    assert outcome.errors == []
    assert sorted(replays) == [False] + [True] * 49
    with app.app_context():
        entries = db.session.scalar(
            select(sa.func.count()).where(LedgerEntry.idempotency_key == "one-intent")
        )
    assert entries == 1
    assert _state(app, customer.id) == (9300, 9300)


def test_point_three_minus_three_dimes_leaves_zero(app, make_customer):
    customer = make_customer(balance="0.30")

    with app.app_context():
        for n in range(3):
            _debit(customer.id, 10, f"dime-{n}")
            db.session.commit()

    assert _state(app, customer.id) == (0, 0)


def test_refund_reverses_once_with_reason(app, make_customer, make_admin):
    customer = make_customer(balance="50.00")
    admin = make_admin()

    with app.app_context():
        charge = _debit(customer.id, 2000, "charge").entry.id
        db.session.commit()
        with pytest.raises(InvalidInput):
            ledger.refund(charge, reason="  ", actor_id=admin.id)
        refund = ledger.refund(
            charge, reason="service not delivered", actor_id=admin.id
        )
        db.session.commit()
        assert refund.entry.reverses_id == charge
        assert refund.entry.amount_cents == 2000
        with pytest.raises(AlreadyRefunded):
            ledger.refund(charge, reason="again", actor_id=admin.id)

    assert _state(app, customer.id) == (5000, 5000)


def test_database_refuses_a_negative_balance(app, make_customer):
    customer = make_customer(balance="1.00")

    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.update(User).where(User.id == customer.id).values(balance_cents=-1)
            )
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_database_refuses_to_rewrite_ledger_history(app, make_customer, statement):
    customer = make_customer(balance="1.00")

    with app.app_context():
        table = LedgerEntry.__table__
        query = (
            sa.update(table).values(amount_cents=999)
            if statement == "update"
            else sa.delete(table)
        ).where(table.c.customer_id == customer.id)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(query)
        db.session.rollback()

    assert _state(app, customer.id) == (100, 100)


def test_debit_of_staff_account_is_refused(app, make_admin):
    admin = make_admin()

    with app.app_context():
        with pytest.raises(Exception) as refusal:
            _debit(admin.id, 1, "k")
    assert refusal.type.__name__ == "NotFound"


def test_thirty_seven_of_two_hundred_debits_succeed(app, make_customer):
    customer = make_customer(balance="37.00")

    outcome = hammer(
        app,
        lambda thread, n: _debit(customer.id, 100, f"debit-{thread}-{n}"),
        threads=50,
        attempts=200,
    )

    assert outcome.refused == 163
    assert (
        audit(app, customer.id, outcome, expected_successes=37, expected_balance=0)
        == []
    )


def test_harness_catches_a_naive_read_then_write_debit(app, make_customer):
    """Negative control: the same run against a check-then-debit must fail."""
    customer = make_customer(balance="37.00")
    read_together = threading.Barrier(50)

    def naive_debit(thread, n):
        balance = db.session.scalar(
            select(User.balance_cents).where(User.id == customer.id)
        )
        db.session.commit()  # the form was rendered; the charge comes later
        if n == 0:
            read_together.wait()
        if balance < 100:
            raise InsufficientBalance(balance, 100)
        db.session.execute(
            sa.update(User)
            .where(User.id == customer.id)
            .values(balance_cents=balance - 100)
        )
        db.session.add(
            LedgerEntry(
                customer_id=customer.id,
                amount_cents=-100,
                balance_after_cents=balance - 100,
                cause="service_request",
                subject_type="test",
                idempotency_key=f"naive-{thread}-{n}",
            )
        )

    outcome = hammer(app, naive_debit, threads=50, attempts=200)
    problems = audit(
        app, customer.id, outcome, expected_successes=37, expected_balance=0
    )

    assert any("succeeded, expected 37" in p for p in problems), problems
    assert any(p.startswith("M1") for p in problems), problems
