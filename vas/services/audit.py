"""The audit trail: one row per committed configuration change (P1).

Services call :func:`record` in the same transaction as the change, so a
change and its audit row commit together or not at all.
"""

import json
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from vas.extensions import db
from vas.models import AuditEntry
from vas.models import User

ACTION_LABELS = {
    "setting.update": _l("修改设置"),
    "level.create": _l("添加服务等级"),
    "level.update": _l("修改服务等级"),
    "level.retire": _l("停用服务等级"),
    "level.activate": _l("启用服务等级"),
    "category.create": _l("添加服务分类"),
    "category.update": _l("修改服务分类"),
    "item.create": _l("添加服务项目"),
    "item.update": _l("修改服务项目"),
    "item.retire": _l("停用服务项目"),
    "item.activate": _l("启用服务项目"),
    "price.update": _l("修改价格"),
    "charge.refund": _l("增值服务退款"),
}
SUBJECT_LABELS = {
    "setting": _l("设置"),
    "level": _l("服务等级"),
    "category": _l("服务分类"),
    "item": _l("服务项目"),
    "price": _l("价格"),
    "charge": _l("扣费记录"),
}


def record(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: object,
    before: object,
    after: object,
) -> AuditEntry:
    """Write one audit row for a change made in the current transaction."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=json.dumps(after, ensure_ascii=False, sort_keys=True),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    subject_type: str | None = None
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None


def entries_query(filters: AuditFilter, tz) -> Select:
    """Build the audit log query, newest first.

    :param tz: the time zone the dates of ``filters`` are meant in.
    """
    query = select(AuditEntry).options(joinedload(AuditEntry.actor))
    if filters.subject_type in SUBJECT_LABELS:
        query = query.where(AuditEntry.subject_type == filters.subject_type)
    if filters.actor_id:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.since:
        start = datetime.combine(filters.since, time.min, tzinfo=tz)
        query = query.where(AuditEntry.created_at >= start)
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=tz)
        query = query.where(AuditEntry.created_at < end)
    return query.order_by(AuditEntry.id.desc())


def decoded(entry: AuditEntry) -> tuple[object, object]:
    """Return the before and after values of an entry as Python values."""
    return json.loads(entry.before), json.loads(entry.after)


def actors() -> list[User]:
    """Return the staff accounts that appear in the audit log, for its filter."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(select(AuditEntry.actor_id).distinct()))
            .order_by(User.id)
        )
    )
