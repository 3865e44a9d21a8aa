"""Quick reply templates (快捷回复模板) that agents insert into a reply."""

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import select

from vas.extensions import db
from vas.models import QuickReply
from vas.models import User
from vas.services.errors import InvalidInput

logger = logging.getLogger(__name__)


class DuplicateQuickReplyTitle(InvalidInput):
    default_message = _l("已有同名的快捷回复模板。")


def list_quick_replies() -> list[QuickReply]:
    """Return the templates in display order."""
    return list(
        db.session.scalars(
            select(QuickReply).order_by(QuickReply.sort_order, QuickReply.id)
        )
    )


def save_quick_reply(
    reply: QuickReply | None,
    *,
    title: str,
    body: str,
    sort_order: int,
    actor: User,
) -> QuickReply:
    """Create or update a template."""
    title = title.strip()
    clash = select(QuickReply.id).where(func.lower(QuickReply.title) == title.lower())
    if reply is not None:
        clash = clash.where(QuickReply.id != reply.id)
    if db.session.scalar(clash) is not None:
        raise DuplicateQuickReplyTitle()

    if reply is None:
        reply = QuickReply(title=title, body="")
        db.session.add(reply)
    reply.title = title
    reply.body = body.strip()
    reply.sort_order = sort_order
    db.session.flush()

    logger.info("admin %s saved quick reply %s", actor.id, reply.id)
    return reply


def delete_quick_reply(reply: QuickReply, *, actor: User) -> None:
    """Delete a template; replies already sent keep their text."""
    db.session.delete(reply)
    db.session.flush()

    logger.info("admin %s deleted quick reply %s", actor.id, reply.id)


def insert_into(draft: str, reply: QuickReply) -> str:
    """Return the reply draft with the template's text added at its end."""
    draft = (draft or "").rstrip()
    return f"{draft}\n\n{reply.body}" if draft else reply.body
