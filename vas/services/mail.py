"""Mail to customers, written to an outbox in the transaction that causes it.

``flask --app wsgi vas send-mail`` (run from cron, or by the sync job)
delivers the outbox: over SMTP when ``VAS_SMTP_HOST`` is set, otherwise to
``VAS_MAIL_FOLDER`` as ``.eml`` files, or to the log when neither is set.
"""

import logging
import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from vas.extensions import db
from vas.models import OutboxEmail
from vas.models import User
from vas.models._columns import utcnow
from vas.money import format_money

logger = logging.getLogger(__name__)

# XXX: mail is written in the system language (Chinese); the customer's
# language choice applies to pages, not yet to mail.
TEMPLATES = {
    "push_arrived": (
        "工单 #%(ticket)s：客服为您推送了付费服务",
        "%(name)s，您好：\n\n客服在工单 #%(ticket)s 中为您推送了付费服务：%(items)s，"
        "支付价格 %(price)s。请登录后在工单中查看并支付。\n",
    ),
    "payment_taken": (
        "已从余额扣款 %(price)s",
        "%(name)s，您好：\n\n已从您的账户余额扣款 %(price)s，用于：%(what)s"
        "（工单 #%(ticket)s）。\n",
    ),
}


def _queue(to: User, template: str, values: dict) -> OutboxEmail:
    subject, body = TEMPLATES[template]
    values = {"name": to.name, **values}
    email = OutboxEmail(
        to_address=to.email, subject=subject % values, body=body % values
    )
    db.session.add(email)
    return email


def queue_push_arrived(customer: User, pushed, ticket) -> OutboxEmail:
    """Tell the customer a paid service was pushed into their ticket."""
    return _queue(
        customer,
        "push_arrived",
        {
            "ticket": ticket.id,
            "items": "、".join(item.item.name for item in pushed.items),
            "price": format_money(pushed.pay_price_cents),
        },
    )


def queue_payment_taken(
    customer: User, cents: int, what: str, ticket_id: int
) -> OutboxEmail:
    """Tell the customer money was taken from their balance, and for what."""
    return _queue(
        customer,
        "payment_taken",
        {"price": format_money(cents), "what": what, "ticket": ticket_id},
    )


def deliver_outbox(limit: int = 100) -> tuple[int, int]:
    """Send up to ``limit`` unsent mails; return (sent, failed).

    Each mail is marked sent in the caller's transaction; a failure is
    recorded on the mail and retried next time.
    """
    pending = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < 5)
        .order_by(OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = failed = 0
    for email in pending:
        email.attempts += 1
        try:
            _deliver(email)
        except (OSError, smtplib.SMTPException) as exc:
            email.last_error = str(exc)[:500]
            failed += 1
            logger.warning("mail %s to %s failed: %s", email.id, email.to_address, exc)
        else:
            email.sent_at = utcnow()
            sent += 1
    db.session.flush()
    return sent, failed


def _deliver(email: OutboxEmail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["VAS_MAIL_FROM"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message.set_content(email.body)

    if config.get("VAS_SMTP_HOST"):
        with smtplib.SMTP(config["VAS_SMTP_HOST"], config["VAS_SMTP_PORT"]) as smtp:
            if config.get("VAS_SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("VAS_SMTP_USER"):
                smtp.login(config["VAS_SMTP_USER"], config["VAS_SMTP_PASSWORD"])
            smtp.send_message(message)
    elif config.get("VAS_MAIL_FOLDER"):
        folder = Path(config["VAS_MAIL_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{email.id:08d}.eml").write_bytes(bytes(message))
    else:
        logger.info("mail %s to %s: %s", email.id, email.to_address, email.subject)
