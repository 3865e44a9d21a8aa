"""Top-ups through a payment gateway, and the offline sandbox gateway.

A top-up is a ``Payment`` row created pending; the gateway later sends a
signed notification naming its own transaction id. The balance is credited
once per gateway transaction, however often the notification arrives: the
payment flips from pending to paid with a conditional update, and the ledger
entry's key is the gateway transaction id.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from vas.extensions import db
from vas.models import Payment
from vas.models import User
from vas.models._columns import utcnow
from vas.money import to_cents
from vas.services import ledger
from vas.services.errors import BadSignature
from vas.services.errors import NotFound
from vas.services.errors import PaymentMismatch

logger = logging.getLogger(__name__)

SANDBOX = "sandbox"
STATUS_LABELS = {
    "pending": _l("待支付"),
    "paid": _l("已到账"),
    "failed": _l("支付失败"),
}


@dataclass(frozen=True)
class Notification:
    """What a gateway says happened to one payment."""

    payment_id: int
    txn_id: str
    amount_cents: int
    status: str  # "paid" or "failed"


def _signature(fields: Notification) -> str:
    secret = current_app.config["VAS_PAYMENT_SECRET"].encode()
    message = (
        f"{fields.payment_id}|{fields.txn_id}|{fields.amount_cents}|{fields.status}"
    )
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


class SandboxGateway:
    """An offline gateway for development and tests; it signs like a real one."""

    name = SANDBOX

    def sign(self, notification: Notification) -> dict[str, str]:
        """Return the form fields of a signed notification."""
        return {
            "payment_id": str(notification.payment_id),
            "txn_id": notification.txn_id,
            "amount_cents": str(notification.amount_cents),
            "status": notification.status,
            "signature": _signature(notification),
        }

    def verify(self, form: dict[str, str]) -> Notification:
        """Parse and check a notification; refuse anything not signed by us."""
        try:
            notification = Notification(
                payment_id=int(form["payment_id"]),
                txn_id=str(form["txn_id"])[:100],
                amount_cents=int(form["amount_cents"]),
                status=str(form["status"]),
            )
            given = str(form["signature"])
        except (KeyError, ValueError) as exc:
            raise BadSignature() from exc
        if notification.status not in ("paid", "failed") or not hmac.compare_digest(
            given, _signature(notification)
        ):
            logger.warning(
                "refused notification for payment %s", form.get("payment_id")
            )
            raise BadSignature()
        return notification

    def settle(self, payment: Payment, *, succeed: bool) -> dict[str, str]:
        """Play the gateway's part: decide the outcome and sign the notification.

        The transaction id is fixed per payment, as a real gateway's is, so a
        customer clicking pay twice produces the same notification twice.
        """
        return self.sign(
            Notification(
                payment_id=payment.id,
                txn_id=f"SBX{payment.id:010d}",
                amount_cents=payment.amount_cents,
                status="paid" if succeed else "failed",
            )
        )


GATEWAYS = {SANDBOX: SandboxGateway()}


def get_gateway(name: str) -> SandboxGateway:
    """Return the gateway registered under ``name``."""
    try:
        return GATEWAYS[name]
    except KeyError as exc:
        raise NotFound() from exc


def start_topup(
    customer: User, amount: Decimal, intent: str, *, gateway: str = SANDBOX
) -> Payment:
    """Create the pending top-up payment of one form submission, once."""
    key = f"topup:{customer.id}:{intent}"
    existing = _payment_by_key(key, customer.id)
    if existing is not None:
        return existing

    payment = Payment(
        customer_id=customer.id,
        amount_cents=to_cents(amount),
        gateway=get_gateway(gateway).name,
        idempotency_key=key,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payment)
            db.session.flush()
    except IntegrityError:
        existing = _payment_by_key(key, customer.id)
        if existing is None:
            raise
        return existing

    logger.info(
        "customer %s started top-up %s of %d cents",
        customer.id,
        payment.id,
        payment.amount_cents,
    )
    return payment


def _payment_by_key(key: str, customer_id: int) -> Payment | None:
    return db.session.scalars(
        select(Payment).where(
            Payment.idempotency_key == key, Payment.customer_id == customer_id
        )
    ).one_or_none()


def handle_notification(gateway_name: str, form: dict[str, str]) -> Payment:
    """Apply a gateway notification: credit a paid top-up exactly once.

    :raises BadSignature: the notification was not signed by the gateway.
    :raises PaymentMismatch: amount or transaction differ from the payment.
    """
    gateway = get_gateway(gateway_name)
    notification = gateway.verify(form)
    payment = db.session.get(Payment, notification.payment_id)
    if payment is None or payment.gateway != gateway_name:
        raise NotFound()
    if notification.amount_cents != payment.amount_cents:
        logger.warning("amount mismatch on payment %s", payment.id)
        raise PaymentMismatch()

    if payment.status != "pending":
        if payment.gateway_txn_id not in (None, notification.txn_id):
            logger.warning("second transaction for payment %s", payment.id)
            raise PaymentMismatch()
        return payment

    new_status = notification.status
    changed = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == "pending")
        .values(
            status=new_status,
            gateway_txn_id=notification.txn_id,
            paid_at=utcnow() if new_status == "paid" else None,
        )
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if changed == 1 and new_status == "paid":
        ledger.credit(
            payment.customer_id,
            payment.amount_cents,
            cause="topup",
            subject_type="payment",
            subject_id=payment.id,
            key=f"topup:{gateway_name}:{notification.txn_id}",
        )
    db.session.refresh(payment)

    logger.info(
        "payment %s is %s (%s)", payment.id, payment.status, notification.txn_id
    )
    return payment
