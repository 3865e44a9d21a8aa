"""Refunds of VAS charges: admin only, with a written reason (rule 6).

Customers have no refund action. An admin may give back what a charge paid
for VAS: the VAS line of a new or renewal order, a level upgrade, or a paid
service. The refund is a new ledger entry that points at the charge (at
most once per charge, M3), an audit row and a subscription event, all in
one transaction.
"""

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from vas.extensions import db
from vas.models import LedgerEntry
from vas.models import Order
from vas.models import OrderLine
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import SubscriptionEvent
from vas.models import User
from vas.services import audit
from vas.services import ledger
from vas.services.errors import InvalidInput
from vas.services.errors import NotFound

logger = logging.getLogger(__name__)

MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class VasCharge:
    """A debit that paid for VAS on one subscription, and its refund if any."""

    entry: LedgerEntry
    vas_cents: int
    refund: LedgerEntry | None


def charges(subscription: Subscription) -> list[VasCharge]:
    """Return the VAS charges of a subscription, newest first (3 queries)."""
    order_vas = (
        select(OrderLine.order_id, func.sum(OrderLine.amount_cents).label("vas"))
        .where(OrderLine.kind == "vas", OrderLine.server_id == subscription.server_id)
        .group_by(OrderLine.order_id)
        .subquery()
    )
    vas_by_order = dict(
        db.session.execute(select(order_vas.c.order_id, order_vas.c.vas)).all()
    )
    record_entries = select(ServiceRecord.ledger_entry_id).where(
        ServiceRecord.subscription_id == subscription.id,
        ServiceRecord.ledger_entry_id.is_not(None),
    )
    entries = list(
        db.session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.amount_cents < 0,
                or_(
                    (LedgerEntry.subject_type == "order")
                    & LedgerEntry.subject_id.in_(list(vas_by_order) or [-1]),
                    (LedgerEntry.cause == "upgrade")
                    & (LedgerEntry.subject_type == "subscription")
                    & (LedgerEntry.subject_id == subscription.id),
                    LedgerEntry.id.in_(record_entries),
                ),
            )
            .order_by(LedgerEntry.id.desc())
        )
    )
    refunds = {
        entry.reverses_id: entry
        for entry in db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.reverses_id.in_([e.id for e in entries] or [-1])
            )
        )
    }
    result = []
    for entry in entries:
        if entry.subject_type == "order" and entry.cause in ("order", "renewal"):
            vas_cents = int(vas_by_order.get(entry.subject_id, 0))
        else:
            vas_cents = -entry.amount_cents
        if vas_cents > 0:
            result.append(VasCharge(entry, vas_cents, refunds.get(entry.id)))
    return result


def refund_charge(
    subscription_id: int, entry_id: int, *, reason: str, actor: User
) -> LedgerEntry:
    """Give back the VAS part of one charge, with the admin's written reason.

    :raises InvalidInput: without a reason, or for a charge that is not a
        VAS charge of this subscription.
    :raises AlreadyRefunded: when the charge was refunded before.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("退款必须填写原因。"))
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(_l("原因不能超过 %(max)s 个字符。", max=MAX_REASON_LENGTH))
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound()
    charge = next((c for c in charges(subscription) if c.entry.id == entry_id), None)
    if charge is None:
        raise NotFound()

    posting = ledger.refund(
        entry_id, reason=reason, actor_id=actor.id, cents=charge.vas_cents
    )
    db.session.add(
        SubscriptionEvent(
            subscription_id=subscription.id,
            kind="refund",
            amount_cents=-charge.vas_cents,
            ledger_entry_id=posting.entry.id,
            actor_id=actor.id,
            note=reason,
        )
    )
    audit.record(
        actor,
        "charge.refund",
        "charge",
        entry_id,
        {"refunded_cents": 0},
        {"refunded_cents": charge.vas_cents, "reason": reason},
    )
    logger.info(
        "admin %s refunded %s cents of charge %s (subscription %s)",
        actor.id,
        charge.vas_cents,
        entry_id,
        subscription.id,
    )
    return posting.entry


def order_of(entry: LedgerEntry) -> Order | None:
    """Return the order a charge paid for, if it paid for one."""
    if entry.subject_type != "order":
        return None
    return db.session.get(Order, entry.subject_id)
