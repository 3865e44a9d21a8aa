"""Accounts: creating people, checking passwords, admin balance adjustments."""

import logging
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from vas.extensions import db
from vas.models import ROLES
from vas.models import User
from vas.models._columns import utcnow
from vas.money import to_cents
from vas.services import ledger
from vas.services.errors import InvalidInput

logger = logging.getLogger(__name__)

# Checked against when the email is unknown, so both paths cost one hash;
# one per hash method, made the first time that method is used.
_DUMMY_HASHES: dict[str, str] = {}
MIN_PASSWORD_LENGTH = 8
ROLE_LABELS = {"customer": _l("客户"), "agent": _l("客服"), "admin": _l("管理员")}


def normalise_email(email: str) -> str:
    """Return the canonical form of an email address used as the login."""
    return email.strip().lower()


def _hash_method() -> str:
    return current_app.config.get("VAS_PASSWORD_HASH", "scrypt")


def hash_password(password: str) -> str:
    """Hash a password with the configured method (scrypt unless tests lower it)."""
    return generate_password_hash(password, method=_hash_method())


def _dummy_hash() -> str:
    method = _hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method)
    return _DUMMY_HASHES[method]


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: str = "customer",
    can_push_services: bool = False,
) -> User:
    """Create an account; the email must be new.

    :raises InvalidInput: for an unknown role, a short password or a taken
        email.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_l("密码至少 8 位。"))
    email = normalise_email(email)
    if email_taken(email):
        raise InvalidInput(_l("该邮箱已注册。"))

    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        can_push_services=can_push_services and role == "agent",
    )
    db.session.add(user)
    db.session.flush()

    logger.info("created %s account %s (%s)", role, user.id, email)
    return user


def email_taken(email: str) -> bool:
    """Tell whether an account already uses this email."""
    return (
        db.session.scalar(
            select(func.count(User.id)).where(User.email == normalise_email(email))
        )
        > 0
    )


def authenticate(email: str, password: str) -> User | None:
    """Return the enabled account these credentials open, or ``None``."""
    user = db.session.scalars(
        select(User).where(User.email == normalise_email(email))
    ).one_or_none()
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_enabled:
        logger.warning("failed login for account %s", user.id)
        return None

    user.last_login_at = utcnow()
    logger.info("account %s signed in", user.id)
    return user


def adjust_balance(
    customer: User, amount: Decimal, *, reason: str, actor: User, intent: str
) -> ledger.Posting:
    """Credit (positive) or debit (negative) a balance by an admin, with a reason.

    :param amount: signed, at cent precision, never zero.
    :param intent: the form's one-time token; a resubmission moves money once.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_l("调整余额必须填写原因。"))
    if not customer.is_customer:
        raise InvalidInput(_l("只能调整客户的余额。"))
    cents = to_cents(amount)
    if cents == 0:
        raise InvalidInput(_l("金额不能为 0。"))

    move = ledger.credit if cents > 0 else ledger.debit
    posting = move(
        customer.id,
        abs(cents),
        cause="adjustment",
        subject_type="user",
        subject_id=customer.id,
        key=ledger.intent_key("adjustment", customer.id, intent),
        actor_id=actor.id,
        memo=reason,
    )
    logger.info(
        "admin %s adjusted balance of %s by %+d cents", actor.id, customer.id, cents
    )
    return posting
