"""Moving money: every balance change is a conditional update plus one entry.

A debit is ``UPDATE users SET balance = balance - x WHERE id = ? AND balance
>= x``; the row count says whether it happened, so two concurrent debits can
never both spend the same money. The ledger entry is written in the same
transaction under a unique idempotency key: a replayed intent finds the first
entry and moves nothing (M1–M4 in GUARANTEES.md).
"""

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from vas.extensions import db
from vas.models import LEDGER_CAUSES
from vas.models import LedgerEntry
from vas.models import User
from vas.money import from_cents
from vas.services.errors import AlreadyRefunded
from vas.services.errors import InsufficientBalance
from vas.services.errors import InvalidInput
from vas.services.errors import NotFound

logger = logging.getLogger(__name__)

CAUSE_LABELS = {
    "topup": _l("充值"),
    "adjustment": _l("后台调整"),
    "order": _l("订单"),
    "renewal": _l("续费"),
    "upgrade": _l("升级服务等级"),
    "service_request": _l("增值服务请求"),
    "push": _l("推送付费服务"),
    "refund": _l("退款"),
}


@dataclass(frozen=True)
class Posting:
    """The outcome of a debit or credit: the entry, and whether it was a replay."""

    entry: LedgerEntry
    replayed: bool


def intent_key(cause: str, customer_id: int, intent: str) -> str:
    """Build the idempotency key for one customer intent (a form submission)."""
    return f"{cause}:{customer_id}:{intent}"


def _replay(key: str, customer_id: int) -> Posting | None:
    entry = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.idempotency_key == key)
    ).one_or_none()
    if entry is None:
        return None
    if entry.customer_id != customer_id:
        # A key is built from the customer's own id, so this is tampering.
        logger.warning("idempotency key %s reused for customer %s", key, customer_id)
        raise InvalidInput()
    return Posting(entry, replayed=True)


def _post(
    customer_id: int,
    cents: int,
    *,
    cause: str,
    subject_type: str,
    subject_id: int | None,
    key: str,
    actor_id: int | None,
    memo: str,
    reverses_id: int | None = None,
) -> Posting:
    """Apply a signed amount to a balance and write its entry, or replay."""
    if cause not in LEDGER_CAUSES:
        raise ValueError(f"unknown ledger cause {cause!r}")
    if not isinstance(cents, int) or cents == 0:
        raise ValueError("a posting moves a non-zero whole number of cents")

    replay = _replay(key, customer_id)
    if replay is not None:
        return replay

    condition = [User.id == customer_id, User.role == "customer"]
    if cents < 0:
        condition.append(User.balance_cents >= -cents)
    try:
        with db.session.begin_nested():
            balance_after = db.session.execute(
                update(User)
                .where(*condition)
                .values(balance_cents=User.balance_cents + cents)
                .returning(User.balance_cents)
                .execution_options(synchronize_session="fetch")
            ).scalar_one_or_none()
            if balance_after is None:
                raise _refusal(customer_id, -cents)

            entry = LedgerEntry(
                customer_id=customer_id,
                amount_cents=cents,
                balance_after_cents=balance_after,
                cause=cause,
                subject_type=subject_type,
                subject_id=subject_id,
                idempotency_key=key,
                reverses_id=reverses_id,
                actor_id=actor_id,
                memo=memo,
            )
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        # A concurrent submission of the same intent committed first; its
        # savepoint is gone, ours is rolled back, and the first outcome stands.
        replay = _replay(key, customer_id)
        if replay is None:
            raise
        return replay

    logger.info(
        "ledger %s %+d cents for customer %s (%s %s), balance %d",
        cause,
        cents,
        customer_id,
        subject_type,
        subject_id,
        balance_after,
    )
    return Posting(entry, replayed=False)


def _refusal(customer_id: int, needed_cents: int) -> Exception:
    balance = db.session.scalar(
        select(User.balance_cents).where(
            User.id == customer_id, User.role == "customer"
        )
    )
    if balance is None:
        return NotFound()
    return InsufficientBalance(from_cents(needed_cents), from_cents(balance))


def debit(
    customer_id: int,
    cents: int,
    *,
    cause: str,
    subject_type: str,
    subject_id: int | None,
    key: str,
    actor_id: int | None = None,
    memo: str = "",
) -> Posting:
    """Take ``cents`` from a customer's balance, once per ``key``.

    :param cents: a positive amount in cents.
    :raises InsufficientBalance: when the balance does not cover it; nothing
        changes.
    """
    if cents <= 0:
        raise ValueError("a debit takes a positive amount")
    return _post(
        customer_id,
        -cents,
        cause=cause,
        subject_type=subject_type,
        subject_id=subject_id,
        key=key,
        actor_id=actor_id,
        memo=memo,
    )


def credit(
    customer_id: int,
    cents: int,
    *,
    cause: str,
    subject_type: str,
    subject_id: int | None,
    key: str,
    actor_id: int | None = None,
    memo: str = "",
) -> Posting:
    """Add ``cents`` to a customer's balance, once per ``key``.

    :param cents: a positive amount in cents.
    """
    if cents <= 0:
        raise ValueError("a credit adds a positive amount")
    return _post(
        customer_id,
        cents,
        cause=cause,
        subject_type=subject_type,
        subject_id=subject_id,
        key=key,
        actor_id=actor_id,
        memo=memo,
    )


def refund(
    entry_id: int, *, reason: str, actor_id: int, cents: int | None = None
) -> Posting:
    """Reverse a debit with a new entry that points at it, at most once (M3).

    :param cents: how much of the debit to give back (the VAS part of an
        order, say); the whole debit when None. Either way the debit cannot
        be refunded again.

    :raises AlreadyRefunded: when the entry was reversed before.
    :raises InvalidInput: without a reason, or for an entry that is not a debit.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("退款必须填写原因。"))
    original = db.session.get(LedgerEntry, entry_id)
    if original is None:
        raise NotFound()
    if original.amount_cents >= 0 or original.cause == "refund":
        raise InvalidInput()
    cents = -original.amount_cents if cents is None else cents
    if not 0 < cents <= -original.amount_cents:
        raise InvalidInput(_l("退款金额无效。"))

    already = db.session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry_id)
    )
    if already is not None:
        raise AlreadyRefunded()

    try:
        return _post(
            original.customer_id,
            cents,
            cause="refund",
            subject_type=original.subject_type,
            subject_id=original.subject_id,
            key=f"refund:{entry_id}",
            actor_id=actor_id,
            memo=reason,
            reverses_id=entry_id,
        )
    except IntegrityError as exc:
        raise AlreadyRefunded() from exc


def balance_cents(customer_id: int) -> int:
    """Return the stored balance of a customer, in cents."""
    return db.session.scalar(select(User.balance_cents).where(User.id == customer_id))


def ledger_sum_cents(customer_id: int) -> int:
    """Return the sum of a customer's ledger entries (equals the balance, M1)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.customer_id == customer_id
        )
    )
    return int(total)
