"""Ticket departments and ticket states."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from vas.extensions import db
from vas.models import Department

STATUS_LABELS = {
    "open": _l("待处理"),
    "answered": _l("已回复"),
    "customer_reply": _l("客户回复"),
    "closed": _l("已关闭"),
}
OPEN_STATUSES = ("open", "customer_reply", "answered")


def list_departments(*, include_inactive: bool = False) -> list[Department]:
    """Return the ticket departments in display order."""
    query = select(Department)
    if not include_inactive:
        query = query.where(Department.is_active)
    return list(
        db.session.scalars(query.order_by(Department.sort_order, Department.id))
    )
