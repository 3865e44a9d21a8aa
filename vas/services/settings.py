"""Run-time settings: typed reads with defaults, and writes that say what changed.

Each setting is declared once in ``DEFAULTS`` with its default value; the
stored value is JSON, so numbers, flags and lists keep their type.
"""

import json
import logging

from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Session

from vas.extensions import db
from vas.models import Setting
from vas.models import User

logger = logging.getLogger(__name__)

# The settings read in this transaction, loaded with one query on first use;
# a write, or the end of the transaction (or of a savepoint), drops them so
# the next read sees the database again.
_CACHE = "vas.settings"

DEFAULTS: dict[str, object] = {
    # Ticket desk: answered tickets close after this many days without a
    # customer reply (0 = never).
    "tickets.auto_close_days": 7,
    # Value-added services (系统 → 全局设置 → 服务 → 增值服务).
    "vas.enabled": False,
    "vas.product_ids": [],
    "vas.free_uses_per_order": 0,
}


def get(key: str):
    """Return the current value of a declared setting, or its default."""
    if key not in DEFAULTS:
        raise KeyError(f"undeclared setting {key!r}")
    stored = db.session.info.get(_CACHE)
    if stored is None:
        stored = {
            row.key: json.loads(row.value)
            for row in db.session.scalars(select(Setting))
        }
        db.session.info[_CACHE] = stored
    return stored.get(key, DEFAULTS[key])


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction) -> None:
    session.info.pop(_CACHE, None)


def put(key: str, value, *, actor: User | None) -> tuple[object, object]:
    """Store a setting; return (before, after) so callers can audit the change."""
    before = get(key)
    row = db.session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value="null")
        db.session.add(row)
    row.value = json.dumps(value, ensure_ascii=False)
    row.updated_by_id = actor.id if actor else None
    db.session.flush()
    db.session.info.pop(_CACHE, None)

    logger.info("setting %s changed from %r to %r", key, before, value)
    return before, value
