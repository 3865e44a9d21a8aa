"""Subscriptions: creating them, keeping them on their server, changing level.

A subscription follows its server (rule 3, S1): every service that changes a
server's due date or status calls :func:`follow_server` in the same
transaction, and the sync job repairs anything that drifted anyway.

Level changes: an upgrade applies at once and is charged for the rest of the
current period (:func:`prorate`); a downgrade waits for the next renewal and
refunds nothing. Free uses already granted stay either way.
"""

import logging
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from vas.extensions import db
from vas.models import FreeUseGrant
from vas.models import Order
from vas.models import Server
from vas.models import ServiceLevel
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import SubscriptionEvent
from vas.models import User
from vas.services import clock
from vas.services import ledger
from vas.services.errors import InvalidInput
from vas.services.errors import NotFound
from vas.services.errors import VasError

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    "active": _l("正常"),
    "expired": _l("已到期"),
    "suspended": _l("已停用"),
    "cancelled": _l("已取消"),
}
EVENT_LABELS = {
    "created": _l("开通"),
    "upgrade": _l("升级"),
    "downgrade": _l("预约降级"),
    "downgrade_cancelled": _l("取消降级"),
    "downgrade_applied": _l("降级生效"),
    "renewal": _l("续费"),
    "status": _l("状态变更"),
    "repair": _l("同步修复"),
    "refund": _l("退款"),
}
SOURCE_LABELS = {
    "free_level": _l("等级内免费"),
    "free_use": _l("免费次数"),
    "balance": _l("余额支付"),
    "push": _l("推送付费"),
}


class LevelChangeRefused(VasError):
    status_code = 409
    default_message = _l("当前不能更改服务等级。")


class QuoteChanged(VasError):
    """The charge moved since the customer saw it; nothing was charged."""

    status_code = 409
    default_message = _l("费用已变化，请确认新的金额后再提交。")


def status_for(server: Server, today: date) -> str:
    """Return the subscription status that a server's state implies."""
    if server.status == "terminated":
        return "cancelled"
    if server.due_date < today:
        return "expired"
    if server.status == "suspended":
        return "suspended"
    return "active"


def follow_server(
    server: Server,
    *,
    today: date | None = None,
    actor: User | None = None,
    kind: str = "status",
) -> Subscription | None:
    """Make the server's subscription match its due date and status (S1).

    :param kind: the event written when the status changes: ``"status"`` for
        an expected transition, ``"repair"`` when the sync job finds drift.
    """
    subscription = db.session.scalars(
        select(Subscription).where(Subscription.server_id == server.id)
    ).one_or_none()
    if subscription is None:
        return None

    today = today or clock.today()
    status = status_for(server, today)
    before = (subscription.expires_on, subscription.status)
    if before == (server.due_date, status):
        return subscription

    subscription.expires_on = server.due_date
    subscription.status = status
    # A new expiry alone is told by the renewal or edit that caused it.
    if kind == "repair" or before[1] != status:
        db.session.add(
            SubscriptionEvent(
                subscription_id=subscription.id,
                kind=kind,
                actor_id=actor.id if actor else None,
                note=f"{before[0].isoformat()} {before[1]} → "
                f"{server.due_date.isoformat()} {status}",
            )
        )
    db.session.flush()
    if kind == "repair":
        logger.warning(
            "repaired subscription %s: %s -> %s",
            subscription.id,
            before,
            (server.due_date, status),
        )
    else:
        logger.info(
            "subscription %s follows server %s: %s -> %s",
            subscription.id,
            server.id,
            before,
            (server.due_date, status),
        )
    return subscription


def create(
    order: Order, server: Server, level: ServiceLevel, *, free_uses: int
) -> Subscription:
    """Attach a new subscription to a server just paid for, with its free uses."""
    subscription = Subscription(
        customer_id=server.customer_id,
        server_id=server.id,
        level_id=level.id,
        order_id=order.id,
        status="active",
        expires_on=server.due_date,
    )
    db.session.add(subscription)
    db.session.flush()
    if free_uses > 0:
        db.session.add(
            FreeUseGrant(
                subscription_id=subscription.id, order_id=order.id, granted=free_uses
            )
        )
    db.session.add(
        SubscriptionEvent(
            subscription_id=subscription.id,
            kind="created",
            to_level_id=level.id,
        )
    )
    db.session.flush()
    logger.info(
        "subscription %s on server %s at level %s with %s free use(s)",
        subscription.id,
        server.id,
        level.id,
        free_uses,
    )
    return subscription


def free_uses_left(subscription_id: int) -> int:
    """Return the unspent free uses over all of a subscription's grants."""
    left = db.session.scalar(
        select(
            func.coalesce(func.sum(FreeUseGrant.granted - FreeUseGrant.used), 0)
        ).where(FreeUseGrant.subscription_id == subscription_id)
    )
    return int(left)


def for_server(server_id: int) -> Subscription | None:
    """Return the subscription attached to a server, if any."""
    return db.session.scalars(
        select(Subscription).where(Subscription.server_id == server_id)
    ).one_or_none()


def grants(subscription_id: int) -> list[FreeUseGrant]:
    """Return a subscription's free-use grants, oldest first."""
    return list(
        db.session.scalars(
            select(FreeUseGrant)
            .where(FreeUseGrant.subscription_id == subscription_id)
            .order_by(FreeUseGrant.id)
        )
    )


def records(subscription_id: int) -> list[ServiceRecord]:
    """Return a subscription's service records, newest first."""
    return list(
        db.session.scalars(
            select(ServiceRecord)
            .where(ServiceRecord.subscription_id == subscription_id)
            .order_by(ServiceRecord.id.desc())
        )
    )


def events(subscription_id: int) -> list[SubscriptionEvent]:
    """Return a subscription's history, newest first."""
    return list(
        db.session.scalars(
            select(SubscriptionEvent)
            .where(SubscriptionEvent.subscription_id == subscription_id)
            .order_by(SubscriptionEvent.id.desc())
        )
    )


# --- level changes -------------------------------------------------------


def prorate(
    monthly_difference_cents: int, *, months: int, days_left: int, period_days: int
) -> int:
    """Charge for the rest of a period at a higher monthly price.

    The exact amount is ``difference × months × days_left / period_days`` as
    a ``Decimal`` fraction of a cent; it is rounded half-up to whole cents
    once, here, and nowhere else (M6). ``period_days`` is the length of the
    current billing period, so upgrading on its first day costs exactly the
    difference for the whole period and on its last day nothing.
    """
    if period_days <= 0 or days_left <= 0 or monthly_difference_cents <= 0:
        return 0
    days_left = min(days_left, period_days)
    exact = (
        Decimal(monthly_difference_cents) * months * days_left / Decimal(period_days)
    )
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LevelChange:
    """What changing to ``level`` would do, shown before the customer confirms."""

    subscription: Subscription
    level: ServiceLevel
    # "upgrade" (now, charged), "downgrade" (at renewal), "cancel_downgrade".
    kind: str
    charge_cents: int
    days_left: int
    period_days: int


def quote_change(
    subscription: Subscription, level: ServiceLevel, *, today: date | None = None
) -> LevelChange:
    """Work out what a change of level costs and when it applies.

    :raises LevelChangeRefused: when the subscription is not live, the level
        is not on sale, or it is the level already held.
    """
    today = today or clock.today()
    if not subscription.is_live_on(today):
        raise LevelChangeRefused(_l("服务已到期或已停用，请先续费或联系客服。"))
    if not level.is_active:
        raise LevelChangeRefused(_l("该服务等级已停用，不能选择。"))

    server = subscription.server
    period_start = clock.add_months(server.due_date, -server.billing_months)
    period_days = (server.due_date - period_start).days
    days_left = max(0, (subscription.expires_on - today).days)
    current = subscription.level

    if level.id == current.id:
        if subscription.next_level_id is None:
            raise LevelChangeRefused(_l("您已经是该服务等级。"))
        kind, charge = "cancel_downgrade", 0
    elif level.monthly_price_cents > current.monthly_price_cents:
        kind = "upgrade"
        charge = prorate(
            level.monthly_price_cents - current.monthly_price_cents,
            months=server.billing_months,
            days_left=days_left,
            period_days=period_days,
        )
    else:
        if subscription.next_level_id == level.id:
            raise LevelChangeRefused(_l("已预约在下次续费时改为该服务等级。"))
        kind, charge = "downgrade", 0
    return LevelChange(subscription, level, kind, charge, days_left, period_days)


def change_level(
    customer: User,
    subscription_id: int,
    level_id: int,
    *,
    intent: str,
    expected_cents: int | None = None,
    today: date | None = None,
) -> LevelChange:
    """Change a customer's own subscription to another level.

    An upgrade is charged once per subscription, period and target level:
    its ledger key names all three, so a double submit, a retry and a second
    tab all move money once (S2, M4).

    :param expected_cents: the charge the customer confirmed; a different
        charge now (prices or the date moved) is refused with nothing done.
    :raises QuoteChanged: when ``expected_cents`` no longer matches.
    """
    subscription = own_subscription(customer, subscription_id)
    level = db.session.get(ServiceLevel, level_id)
    if level is None:
        raise InvalidInput(_l("请选择服务等级。"))
    change = quote_change(subscription, level, today=today)
    if expected_cents is not None and expected_cents != change.charge_cents:
        raise QuoteChanged()

    from_level_id = subscription.level_id
    if change.kind == "upgrade":
        posting = None
        if change.charge_cents > 0:
            posting = ledger.debit(
                customer.id,
                change.charge_cents,
                cause="upgrade",
                subject_type="subscription",
                subject_id=subscription.id,
                key=f"upgrade:{subscription.id}:"
                f"{subscription.expires_on.isoformat()}:{level.id}",
                actor_id=customer.id,
                memo=f"{subscription.level.name} → {level.name}",
            )
            if posting.replayed:
                return change
        moved = db.session.execute(
            update(Subscription)
            .where(
                Subscription.id == subscription.id,
                Subscription.level_id == from_level_id,
            )
            .values(level_id=level.id, next_level_id=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise LevelChangeRefused()
        db.session.refresh(subscription)
        _event(subscription, "upgrade", from_level_id, level.id, customer, posting)
    elif change.kind == "downgrade":
        subscription.next_level_id = level.id
        _event(subscription, "downgrade", from_level_id, level.id, customer, None)
    else:
        subscription.next_level_id = None
        _event(
            subscription, "downgrade_cancelled", from_level_id, level.id, customer, None
        )
    db.session.flush()

    logger.info(
        "subscription %s %s to level %s, charged %s cents",
        subscription.id,
        change.kind,
        level.id,
        change.charge_cents,
    )
    return change


def _event(subscription, kind, from_level_id, to_level_id, actor, posting) -> None:
    db.session.add(
        SubscriptionEvent(
            subscription_id=subscription.id,
            kind=kind,
            from_level_id=from_level_id,
            to_level_id=to_level_id,
            amount_cents=-posting.entry.amount_cents if posting else 0,
            ledger_entry_id=posting.entry.id if posting else None,
            actor_id=actor.id if actor else None,
        )
    )


def own_subscription(customer: User, subscription_id: int) -> Subscription:
    """Load a subscription of this customer; anyone else's is not found (A1)."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.customer_id != customer.id:
        raise NotFound()
    return subscription


def apply_pending_downgrade(subscription: Subscription) -> None:
    """Move a subscription to its waiting level at renewal (no refund)."""
    if subscription.next_level_id is None:
        return
    from_level_id = subscription.level_id
    subscription.level_id = subscription.next_level_id
    subscription.next_level_id = None
    _event(
        subscription,
        "downgrade_applied",
        from_level_id,
        subscription.level_id,
        None,
        None,
    )
    db.session.flush()
    db.session.refresh(subscription)
