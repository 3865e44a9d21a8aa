"""Run-time settings: typed reads with defaults, and writes that say what changed.

Each setting is declared once in ``DEFAULTS`` with its default value; the
stored value is JSON, so numbers, flags and lists keep their type.
"""

import json
import logging

from vas.extensions import db
from vas.models import Setting
from vas.models import User

logger = logging.getLogger(__name__)

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
    row = db.session.get(Setting, key)
    return DEFAULTS[key] if row is None else json.loads(row.value)


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

    logger.info("setting %s changed from %r to %r", key, before, value)
    return before, value
