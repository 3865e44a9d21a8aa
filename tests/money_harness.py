"""A harness that fires many debits at one balance from many threads.

Each thread has its own app context, session and connection, and commits
for real. ``audit`` lists every broken guarantee, so the same checks can be
shown to pass for the real debit and to fail for a naive one.
"""

import contextlib
import fcntl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import func
from sqlalchemy import select

from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import User
from vas.services.errors import InsufficientBalance


@dataclass
class Outcome:
    succeeded: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def hammer(
    app,
    action: Callable[[int, int], None],
    *,
    threads: int,
    attempts: int,
    refusals: tuple[type[Exception], ...] = (InsufficientBalance,),
) -> Outcome:
    """Run ``attempts`` calls of ``action(thread, n)`` over ``threads`` threads.

    The threads are released together by a barrier. ``action`` runs inside
    its own app context and is committed; an exception of ``refusals``
    counts as a refusal, anything else as an error.
    """
    with _one_burst_at_a_time():
        return _hammer(
            app, action, threads=threads, attempts=attempts, refusals=refusals
        )


@contextlib.contextmanager
def _one_burst_at_a_time():
    """Let one burst run at a time across the suite's worker processes.

    Each thread holds a database connection of its own; two bursts of 50 at
    once, beside the rest of the suite, would pass PostgreSQL's default of
    100 connections.
    """
    path = f"{tempfile.gettempdir()}/vas-tests-burst.lock"
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _hammer(app, action, *, threads, attempts, refusals) -> Outcome:
    outcome = Outcome()
    start = threading.Barrier(threads)
    per_thread = [
        attempts // threads + (i < attempts % threads) for i in range(threads)
    ]

    def work(thread: int) -> None:
        start.wait()
        for n in range(per_thread[thread]):
            with app.app_context():
                try:
                    action(thread, n)
                    db.session.commit()
                except refusals:
                    db.session.rollback()
                    with outcome.lock:
                        outcome.refused += 1
                except Exception as exc:  # every other failure is a finding
                    db.session.rollback()
                    with outcome.lock:
                        outcome.errors.append(f"{type(exc).__name__}: {exc}")
                else:
                    with outcome.lock:
                        outcome.succeeded += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a thread hung"
    with app.app_context():
        db.engine.dispose()  # hand the burst's connections back before the lock
    return outcome


def audit(
    app,
    customer_id: int,
    outcome: Outcome,
    *,
    expected_successes: int,
    expected_balance: int,
    cause: str | None = None,
) -> list[str]:
    """Return every broken guarantee after a run (empty when all hold).

    :param cause: count only debits of this ledger cause as the run's own.
    """
    problems = []
    if outcome.errors:
        problems.append(f"{len(outcome.errors)} errors, first: {outcome.errors[0]}")
    if any("database is locked" in error for error in outcome.errors):
        problems.append("'database is locked' leaked")
    if outcome.succeeded != expected_successes:
        problems.append(
            f"{outcome.succeeded} debits succeeded, expected {expected_successes}"
        )
    with app.app_context():
        balance = db.session.scalar(
            select(User.balance_cents).where(User.id == customer_id)
        )
        total = db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.customer_id == customer_id
            )
        )
        own = [LedgerEntry.customer_id == customer_id, LedgerEntry.amount_cents < 0]
        if cause is not None:
            own.append(LedgerEntry.cause == cause)
        debits = db.session.scalar(select(func.count()).where(*own))
        lowest = db.session.scalar(
            select(func.min(LedgerEntry.balance_after_cents)).where(
                LedgerEntry.customer_id == customer_id
            )
        )
    if balance != expected_balance:
        problems.append(f"balance {balance}, expected {expected_balance}")
    if balance != total:
        problems.append(f"M1: balance {balance} != ledger sum {total}")
    if balance < 0 or (lowest is not None and lowest < 0):
        problems.append("M2: a balance went below zero")
    if debits != outcome.succeeded:
        problems.append(f"{debits} debit entries for {outcome.succeeded} successes")
    return problems
