"""Subscriptions as the admin reads them: the list, its export and one page.

Every query here costs a fixed number of statements whatever the number of
rows: the level, server, product and customer come with the subscription
through joins, and the count of service records is a scalar subquery. The
list pages by key (keyset), not by OFFSET, and counts up to a cap, so a page
of a million subscriptions costs what a page of a hundred does.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm import joinedload

from vas.extensions import db
from vas.models import SUBSCRIPTION_STATUSES
from vas.models import FreeUseGrant
from vas.models import Server
from vas.models import ServiceLevel
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import SubscriptionEvent
from vas.models import User
from vas.services import subscriptions
from vas.services import vas_refunds
from vas.services.catalog import PRODUCT_TYPE_LABELS
from vas.web import COUNT_CAP
from vas.web import KeysetPage
from vas.web import paginate_keyset
from vas.web import paginate_matches

# The list counts its matches up to here (see vas.web.COUNT_CAP).
LIST_COUNT_CAP = COUNT_CAP
# A keyword search fetches the ids of at most this many matches (and says
# "more than" beyond): it looks for something particular.
KEYWORD_MATCH_CAP = 1_000
# Rows fetched per statement while the export streams.
EXPORT_BATCH = 500
# Keywords shorter than this match the start of an email, name or hostname.
SHORT_KEYWORD = 3
# A keyword of digits this long at most may also be a 产品ID (fits any int4).
_SERVER_ID = re.compile(r"[0-9]{1,9}")
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SubscriptionFilter:
    customer_id: int | None = None
    keyword: str | None = None
    level_id: int | None = None
    status: str | None = None


def record_count():
    """Return the count of a subscription's service records, as a column."""
    return (
        select(func.count(ServiceRecord.id))
        .where(ServiceRecord.subscription_id == Subscription.id)
        .correlate(Subscription)
        .scalar_subquery()
        .label("record_count")
    )


def _conditions(filters: SubscriptionFilter) -> list:
    """Return the filters as conditions on the subscriptions table alone.

    The keyword is matched through id subqueries (a UNION) rather than an OR
    across joined tables, so each part can use its own index (trigram GIN on
    PostgreSQL) and the list and its count need no join to filter.
    """
    conditions = []
    if filters.customer_id:
        conditions.append(Subscription.customer_id == filters.customer_id)
    if filters.level_id:
        conditions.append(Subscription.level_id == filters.level_id)
    if filters.status in SUBSCRIPTION_STATUSES:
        conditions.append(Subscription.status == filters.status)
    keyword = (filters.keyword or "").strip()
    if keyword:
        escaped = re.sub(r"([\\%_])", r"\\\1", keyword)
        # A trigram index finds a part of three characters or more anywhere.
        # A shorter keyword (a two-character Chinese name) has no trigram of
        # its own and would scan every row; it matches the start of the
        # email, name or hostname instead, which the index finds by the
        # trigrams that mark the start of a word.
        if len(keyword) < SHORT_KEYWORD:
            pattern = escaped + "%"
        else:
            pattern = "%" + escaped + "%"
        by_customer = (
            select(Subscription.id)
            .join(User, User.id == Subscription.customer_id)
            .where(
                or_(
                    User.email.ilike(pattern, escape="\\"),
                    User.name.ilike(pattern, escape="\\"),
                )
            )
        )
        server_matches = [Server.hostname.ilike(pattern, escape="\\")]
        if _SERVER_ID.fullmatch(keyword):
            server_matches.append(Server.id == int(keyword))
        by_server = (
            select(Subscription.id)
            .join(Server, Server.id == Subscription.server_id)
            .where(or_(*server_matches))
        )
        conditions.append(Subscription.id.in_(by_customer.union(by_server)))
    return conditions


def subscriptions_query(filters: SubscriptionFilter) -> Select:
    """Build the admin list of subscriptions, newest first.

    Each row is ``(Subscription, record_count)`` with the customer, level,
    server and product already loaded.
    """
    query = (
        select(Subscription, record_count())
        .join(Subscription.customer)
        .join(Subscription.level)
        .join(Subscription.server)
        .join(Server.product)
        .options(
            contains_eager(Subscription.customer),
            contains_eager(Subscription.level),
            contains_eager(Subscription.server).contains_eager(Server.product),
        )
        .where(*_conditions(filters))
    )
    return query.order_by(Subscription.id.desc())


def count_query(filters: SubscriptionFilter) -> Select:
    """Build the rows to count for the list: the same filters, no joins."""
    return select(Subscription.id).where(*_conditions(filters))


def list_page(filters: SubscriptionFilter, *, per_page: int) -> KeysetPage:
    """Return one page of the list, newest first, from ``?before=``/``?after=``.

    A keyword search fetches the matching ids first (they are few, and the
    planner cannot tell how few), then the page's rows by id.
    """
    if (filters.keyword or "").strip():
        ids = db.session.scalars(
            count_query(filters)
            .order_by(Subscription.id.desc())
            .limit(KEYWORD_MATCH_CAP + 1)
        ).all()
        base = subscriptions_query(SubscriptionFilter())

        def load(page_ids: list[int]) -> list:
            return list(db.session.execute(base.where(Subscription.id.in_(page_ids))))

        return paginate_matches(
            list(ids), load, per_page=per_page, count_cap=KEYWORD_MATCH_CAP
        )
    return paginate_keyset(
        subscriptions_query(filters),
        Subscription.id,
        lambda row: row[0].id,
        per_page=per_page,
        count_query=count_query(filters),
        count_cap=LIST_COUNT_CAP,
    )


def level_choices() -> list[ServiceLevel]:
    """Return every level for the filter, retired ones included."""
    return list(
        db.session.scalars(
            select(ServiceLevel).order_by(
                ServiceLevel.is_active.desc(), ServiceLevel.sort_order, ServiceLevel.id
            )
        )
    )


# --- export --------------------------------------------------------------


def export_rows(filters: SubscriptionFilter) -> Iterator[tuple]:
    """Yield every matching ``(Subscription, record_count)``, in batches.

    Batches follow the id downwards (keyset), so each statement is short,
    no cursor stays open between them, and the session's identity map
    (weakly held) lets written rows go.
    """
    query = subscriptions_query(filters)
    last_id = None
    while True:
        batch = query if last_id is None else query.where(Subscription.id < last_id)
        rows = db.session.execute(batch.limit(EXPORT_BATCH)).all()
        yield from rows
        if len(rows) < EXPORT_BATCH:
            return
        last_id = rows[-1][0].id


def csv_cell(value: object) -> str:
    """Return a cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(filters: SubscriptionFilter) -> Iterator[str]:
    """Return the subscriptions list as CSV text: a BOM, a header, then rows.

    The header is in the current language; the BOM lets Excel read UTF-8.
    Words are translated here, before the rows stream, while the request
    that chose the language is still being handled.
    """
    header = [
        _("ID"),
        _("用户ID"),
        _("客户名称"),
        _("邮箱"),
        _("服务等级"),
        _("产品类型"),
        _("产品ID"),
        _("主机名"),
        _("服务记录"),
        _("状态"),
        _("到期时间"),
    ]
    statuses = {key: str(label) for key, label in subscriptions.STATUS_LABELS.items()}
    types = {key: str(label) for key, label in PRODUCT_TYPE_LABELS.items()}
    return _csv_lines(filters, header, statuses, types)


def _csv_lines(filters, header, statuses, types) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield "\ufeff" + flush()
    for count, (subscription, records) in enumerate(export_rows(filters), 1):
        server = subscription.server
        row = (
            subscription.id,
            subscription.customer_id,
            subscription.customer.name,
            subscription.customer.email,
            subscription.level.name,
            types.get(server.product.type, server.product.type),
            server.id,
            server.hostname,
            records,
            statuses[subscription.status],
            subscription.expires_on.isoformat(),
        )
        writer.writerow([csv_cell(value) for value in row])
        if count % 100 == 0:
            yield flush()
    yield flush()


# --- one subscription ----------------------------------------------------


@dataclass(frozen=True)
class SubscriptionDetail:
    """A subscription and its history, as its admin page shows it."""

    subscription: Subscription
    free_uses_left: int
    records: list[ServiceRecord]
    grants: list[FreeUseGrant]
    events: list[SubscriptionEvent]
    charges: list[vas_refunds.VasCharge]


def load_subscription(subscription_id: int) -> Subscription | None:
    """Load a subscription with its customer, server, product and levels."""
    return db.session.scalars(
        select(Subscription)
        .options(
            joinedload(Subscription.customer),
            joinedload(Subscription.server).joinedload(Server.product),
            joinedload(Subscription.level),
            joinedload(Subscription.next_level),
        )
        .where(Subscription.id == subscription_id)
    ).one_or_none()


def detail(subscription: Subscription) -> SubscriptionDetail:
    """Gather what the admin page of one subscription shows."""
    records = db.session.scalars(
        select(ServiceRecord)
        .options(joinedload(ServiceRecord.item), joinedload(ServiceRecord.level))
        .where(ServiceRecord.subscription_id == subscription.id)
        .order_by(ServiceRecord.id.desc())
    )
    events = db.session.scalars(
        select(SubscriptionEvent)
        .options(
            joinedload(SubscriptionEvent.from_level),
            joinedload(SubscriptionEvent.to_level),
            joinedload(SubscriptionEvent.actor),
        )
        .where(SubscriptionEvent.subscription_id == subscription.id)
        .order_by(SubscriptionEvent.id.desc())
    )
    return SubscriptionDetail(
        subscription=subscription,
        free_uses_left=subscriptions.free_uses_left(subscription.id),
        records=list(records),
        grants=subscriptions.grants(subscription.id),
        events=list(events),
        charges=vas_refunds.charges(subscription),
    )
