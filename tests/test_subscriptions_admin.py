"""业务列表 / 已开通服务: the admin list, its CSV, one subscription, VAS refunds."""

import csv
import io
from datetime import date
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.conftest import Client
from tests.sweep import snapshot
from vas.admin import subscription_views
from vas.extensions import db
from vas.models import AuditEntry
from vas.models import LedgerEntry
from vas.models import ServiceLevel
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import SubscriptionEvent
from vas.models import User
from vas.services import ledger
from vas.services import levels as level_service
from vas.services import subscription_queries

LIST = "/admin/vas/subscriptions"
EXPORT = "/admin/vas/subscriptions.csv"
XSS_NAME = "<script>alert(1)</script>"


@pytest.fixture
def vas(app, make_admin, make_product, make_vas_catalog, offer_vas):
    """VAS switched on for a cloud and a bare-metal product, 2 free uses."""
    admin = make_admin()
    catalog = make_vas_catalog(admin_id=admin.id, items=2, extra_levels=2)
    cloud = make_product(type="cloud")
    metal = make_product(type="bare_metal")
    offer_vas(admin_id=admin.id, product_ids=[cloud.id, metal.id], free_uses=2)
    with app.app_context():
        names = dict(
            db.session.execute(sa.text("SELECT id, name FROM service_levels")).all()
        )
    return SimpleNamespace(
        admin=admin,
        base=catalog["levels"][0],
        silver=catalog["levels"][1],
        gold=catalog["levels"][2],
        names=names,
        items=catalog["items"],
        cloud=cloud.id,
        metal=metal.id,
    )


@pytest.fixture
def admin_client(app, vas):
    client = Client(app)
    client.login(vas.admin.email)
    return client


@pytest.fixture
def admin_htmx(app, vas):
    client = Client(app, htmx=True)
    client.login(vas.admin.email)
    return client


def _table(html: str) -> str:
    """Return the table fragment of a list page (where the rows are)."""
    start = html.index('<div id="subscriptions">')
    return html[start:]


def _row_ids(html: str) -> list[int]:
    import re

    return [
        int(n)
        for n in re.findall(r'<td><a href="/admin/vas/subscriptions/(\d+)">', html)
    ]


def _add_record(app, subscription_id, *, item_id, source="balance", cents=10000):
    """Store one delivered service; a balance-paid one debits the customer."""
    with app.app_context():
        subscription = db.session.get(Subscription, subscription_id)
        entry_id = None
        charged = 0
        if source == "balance":
            key = f"test:record:{subscription_id}:{item_id}:{cents}"
            ledger.credit(
                subscription.customer_id,
                cents,
                cause="adjustment",
                subject_type="user",
                subject_id=subscription.customer_id,
                key=key + ":funds",
            )
            posting = ledger.debit(
                subscription.customer_id,
                cents,
                cause="service_request",
                subject_type="subscription",
                subject_id=subscription_id,
                key=key,
                memo="disk cleanup",
            )
            entry_id, charged = posting.entry.id, cents
        record = ServiceRecord(
            subscription_id=subscription_id,
            item_id=item_id,
            level_id=subscription.level_id,
            source=source,
            price_cents=cents,
            charged_cents=charged,
            ledger_entry_id=entry_id,
        )
        db.session.add(record)
        db.session.commit()
        return SimpleNamespace(id=record.id, entry_id=entry_id)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            "ledger": db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))),
            "audit": db.session.scalar(sa.select(sa.func.count(AuditEntry.id))),
            "events": db.session.scalar(sa.select(sa.func.count(SubscriptionEvent.id))),
        }


# --- the list ------------------------------------------------------------


def test_list_shows_every_column_newest_first(
    app, vas, admin_client, make_customer, make_subscription
):
    alice = make_customer(name="Alice Zhang")
    bob = make_customer(name="Bob Li")
    first = make_subscription(
        customer_id=alice.id, level_id=vas.silver, product_id=vas.cloud
    )
    second = make_subscription(
        customer_id=bob.id, level_id=vas.base, product_id=vas.metal
    )
    _add_record(app, first["subscription"], item_id=vas.items[0])
    _add_record(app, first["subscription"], item_id=vas.items[1], source="free_level")

    response = admin_client.get(LIST)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for heading in ("ID", "用户ID", "服务等级", "产品类型", "产品ID", "服务记录"):
        assert f"<th>{heading}</th>" in html or f">{heading}</th>" in html
    assert _row_ids(html) == [second["subscription"], first["subscription"]]
    table = _table(html)
    assert str(alice.id) in table and "Alice Zhang" in table
    assert vas.names[vas.silver] in table and "基础服务" in table
    assert "云服务器" in table and "裸金属服务器" in table
    assert f"<td>{first['server']}<div" in table
    assert '<td class="num">2</td>' in table and '<td class="num">0</td>' in table
    assert table.count("正常") == 2
    with app.app_context():
        expiry = db.session.get(Subscription, first["subscription"]).expires_on
    assert f"<td>{expiry.isoformat()}</td>" in table


@pytest.fixture
def three(app, vas, make_customer, make_subscription, make_admin):
    """Three subscriptions of two customers, one suspended, one at gold."""
    carol = make_customer(name="Carol Wu", email="carol@shop.test")
    dave = make_customer(name="Dave Chen", email="dave@works.test")
    a = make_subscription(customer_id=carol.id, level_id=vas.base, product_id=vas.cloud)
    b = make_subscription(customer_id=carol.id, level_id=vas.gold, product_id=vas.metal)
    c = make_subscription(
        customer_id=dave.id, level_id=vas.silver, product_id=vas.cloud
    )
    with app.app_context():
        from vas.models import Server
        from vas.services import servers

        server = db.session.get(Server, c["server"])
        server.hostname = "db-primary-07"
        servers.update_server(
            server,
            due_date=server.due_date,
            status="suspended",
            actor=db.session.get(User, vas.admin.id),
        )
        db.session.commit()
    return SimpleNamespace(carol=carol, dave=dave, a=a, b=b, c=c)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("customer_id={carol}", "b a"),
        ("customer_id={dave}", "c"),
        ("q=carol%40shop", "b a"),
        ("q=Dave+Chen", "c"),
        ("q=primary-07", "c"),
        ("q={b_server}", "b"),
        ("level_id={gold}", "b"),
        ("status=suspended", "c"),
        ("status=active", "b a"),
        ("status=active&customer_id={carol}&level_id={base}", "a"),
        ("q=nobody-matches", ""),
        ("q=%25", ""),
    ],
)
def test_each_filter_narrows_the_list(vas, three, admin_client, query, expected):
    names = {"a": three.a, "b": three.b, "c": three.c}
    url = (
        LIST
        + "?"
        + query.format(
            carol=three.carol.id,
            dave=three.dave.id,
            b_server=three.b["server"],
            gold=vas.gold,
            base=vas.base,
        )
    )

    response = admin_client.get(url)

    assert response.status_code == 200
    wanted = [names[key]["subscription"] for key in expected.split()]
    assert _row_ids(response.get_data(as_text=True)) == wanted


def test_suspended_shows_as_its_label(three, admin_client):
    table = _table(admin_client.get(f"{LIST}?status=suspended").get_data(as_text=True))

    assert "已停用" in table


@pytest.mark.parametrize(
    "query",
    [
        "customer_id=abc",
        "customer_id=99999999999999999999",
        "customer_id=-1",
        "status=bogus",
        "level_id=abc",
        "level_id=999999",
        "page=abc",
        "page=-3",
        "q=" + "x" * 300,
    ],
)
def test_bad_filter_values_are_ignored_or_explained(three, admin_client, query):
    response = admin_client.get(f"{LIST}?{query}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if query.startswith("customer_id"):
        assert "用户ID必须是数字。" in html
        assert 'id="customer_id-errors"><div class="field__error"' in html
        assert len(_row_ids(html)) == 3
    if query.startswith(("status", "level_id", "page")):
        assert len(_row_ids(html)) == 3
    if query.startswith("q="):
        assert "关键词最多 100 个字符。" in html
        assert len(_row_ids(html)) == 3


def test_bad_user_id_error_reaches_the_field_out_of_band(three, admin_htmx):
    html = admin_htmx.get(f"{LIST}?customer_id=abc").get_data(as_text=True)

    assert 'id="customer_id-errors" hx-swap-oob="true"' in html
    assert "用户ID必须是数字。" in html


def test_a_retired_level_is_offered_marked_and_still_shown(
    app, vas, three, admin_client
):
    with app.app_context():
        level_service.retire_level(
            db.session.get(ServiceLevel, vas.gold),
            actor=db.session.get(User, vas.admin.id),
        )
        db.session.commit()

    html = admin_client.get(f"{LIST}?level_id={vas.gold}").get_data(as_text=True)

    assert f'<option selected value="{vas.gold}">' in html
    assert f"{vas.names[vas.gold]}（已停用）" in html
    assert _row_ids(html) == [three.b["subscription"]]
    assert vas.names[vas.gold] in _table(html)


def test_list_is_paged_by_key_newest_first(vas, three, admin_client, monkeypatch):
    monkeypatch.setattr(subscription_views, "PER_PAGE", 2)
    c, b, a = (
        three.c["subscription"],
        three.b["subscription"],
        three.a["subscription"],
    )

    first = admin_client.get(LIST).get_data(as_text=True)
    second = admin_client.get(f"{LIST}?before={b}").get_data(as_text=True)
    back = admin_client.get(f"{LIST}?after={a}").get_data(as_text=True)

    assert _row_ids(first) == [c, b]
    assert f'href="/admin/vas/subscriptions?before={b}"' in first
    assert "共 3 条" in first
    assert _row_ids(second) == [a]
    assert f'href="/admin/vas/subscriptions?after={a}"' in second
    assert _row_ids(back) == [c, b]
    assert 'href="/admin/vas/subscriptions?after=' not in back


def test_a_short_keyword_matches_the_start_a_longer_one_anywhere(three, admin_client):
    a, b, c = three.a["subscription"], three.b["subscription"], three.c["subscription"]

    def rows(keyword):
        return _row_ids(admin_client.get(f"{LIST}?q={keyword}").get_data(as_text=True))

    assert rows("Ca") == [b, a]  # Carol Wu, carol@shop.test
    assert rows("ol") == []  # inside "Carol": too short to be looked for there
    assert rows("arol") == [b, a]
    assert rows("db") == [c]  # db-primary-07
    assert rows("07") == []
    assert rows("y-07") == [c]


def test_keyword_matches_are_paged_by_key(vas, three, admin_client, monkeypatch):
    monkeypatch.setattr(subscription_views, "PER_PAGE", 1)
    a, b = three.a["subscription"], three.b["subscription"]

    first = admin_client.get(f"{LIST}?q=carol").get_data(as_text=True)
    second = admin_client.get(f"{LIST}?q=carol&before={b}").get_data(as_text=True)

    assert _row_ids(first) == [b] and "共 2 条" in first
    assert f'href="/admin/vas/subscriptions?q=carol&amp;before={b}"' in first
    assert _row_ids(second) == [a]
    assert f'href="/admin/vas/subscriptions?q=carol&amp;after={a}"' in second


def test_a_count_past_the_cap_says_more_than(vas, three, admin_client, monkeypatch):
    monkeypatch.setattr(subscription_queries, "LIST_COUNT_CAP", 2)

    html = admin_client.get(LIST).get_data(as_text=True)

    assert len(_row_ids(html)) == 3
    assert "超过 2 条（只计到此数），请用筛选缩小范围" in html


def test_filter_form_swaps_only_the_table_and_pushes_the_url(
    vas, three, admin_client, admin_htmx
):
    page = admin_client.get(LIST)
    fragment = admin_htmx.get(f"{LIST}?customer_id={three.dave.id}")

    page_html = page.get_data(as_text=True)
    html = fragment.get_data(as_text=True)
    assert 'hx-target="#subscriptions"' in page_html
    assert 'hx-push-url="true"' in page_html
    assert "HX-Request" in page.headers["Vary"]
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["Vary"]
    assert html.lstrip().startswith('<div id="subscriptions">')
    assert "<html" not in html and "<form" not in html
    assert _row_ids(html) == [three.c["subscription"]]


# --- CSV -----------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_a_header_and_every_matching_row(vas, three, admin_client):
    response = admin_client.get(f"{EXPORT}?customer_id={three.carol.id}")

    rows = _csv(response)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert rows[0] == [
        "ID",
        "用户ID",
        "客户名称",
        "邮箱",
        "服务等级",
        "产品类型",
        "产品ID",
        "主机名",
        "服务记录",
        "状态",
        "到期时间",
    ]
    assert [int(r[0]) for r in rows[1:]] == [
        three.b["subscription"],
        three.a["subscription"],
    ]
    assert rows[1][1:5] == [
        str(three.carol.id),
        "Carol Wu",
        "carol@shop.test",
        vas.names[vas.gold],
    ]
    assert rows[1][5] == "裸金属服务器" and rows[1][9] == "正常"


def test_csv_streams_every_row_across_batches(vas, three, admin_client, monkeypatch):
    from vas.services import subscription_queries

    monkeypatch.setattr(subscription_queries, "EXPORT_BATCH", 2)

    rows = _csv(admin_client.get(EXPORT))

    assert [int(r[0]) for r in rows[1:]] == [
        three.c["subscription"],
        three.b["subscription"],
        three.a["subscription"],
    ]


def test_csv_header_follows_the_language(vas, three, admin_client):
    admin_client.post("/language", {"locale": "en"})

    header = _csv(admin_client.get(EXPORT))[0]

    assert "用户ID" not in header and header[0] == "ID"


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", XSS_NAME]
)
def test_csv_cells_never_run_as_formulas(
    app, vas, admin_client, make_customer, make_subscription, name
):
    customer = make_customer(name=name)
    make_subscription(customer_id=customer.id, level_id=vas.base, product_id=vas.cloud)

    rows = _csv(admin_client.get(EXPORT))

    expected = name if name == XSS_NAME else "'" + name
    assert rows[1][2] == expected


# --- one subscription ----------------------------------------------------


@pytest.fixture
def detailed(app, vas, make_customer, make_subscription, make_department, make_ticket):
    """A silver subscription with a paid record on a ticket and a free one."""
    customer = make_customer(name="Erin Ho", balance="5.00")
    made = make_subscription(
        customer_id=customer.id, level_id=vas.silver, product_id=vas.cloud
    )
    tech = make_department(name="业务技术工单", business_technical=True)
    ticket = make_ticket(
        customer_id=customer.id, department_id=tech.id, server_id=made["server"]
    )
    paid = _add_record(app, made["subscription"], item_id=vas.items[0], cents=12345)
    _add_record(app, made["subscription"], item_id=vas.items[1], source="free_level")
    with app.app_context():
        db.session.get(ServiceRecord, paid.id).ticket_id = ticket.id
        db.session.commit()
    return SimpleNamespace(
        customer=customer,
        subscription=made["subscription"],
        server=made["server"],
        order=made["order"],
        ticket=ticket.id,
        paid_entry=paid.entry_id,
    )


def _detail_url(d) -> str:
    return f"/admin/vas/subscriptions/{d.subscription}"


def test_detail_shows_the_subscription_and_its_history(
    app, vas, detailed, admin_client
):
    response = admin_client.get(_detail_url(detailed))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.app_context():
        customer = db.session.get(User, detailed.customer.id)
        balance = customer.balance_cents
    assert f">{detailed.customer.id}</a>" in html and "Erin Ho" in html
    assert f"¥{balance / 100:,.2f}" in html
    assert f">{detailed.server}</a>" in html and "云服务器" in html
    assert vas.names[vas.silver] in html
    assert "剩余免费次数</dt><dd>2</dd>" in html
    # Service records: item, how paid, price, charged, ticket link.
    assert "余额支付" in html and "等级内免费" in html
    assert "¥123.45" in html
    assert f'href="/agent/tickets/{detailed.ticket}"' in html
    # Free uses granted by the order, and the history.
    assert f"<td>#{detailed.order}</td>" in html
    assert "开通" in html
    assert f'<td class="small">订单 {detailed.order}</td>' in html  # not "order N"
    # Both charges (the order's VAS line, the paid service) can be refunded.
    assert html.count('name="reason"') == 2
    assert (
        f'action="/admin/vas/subscriptions/{detailed.subscription}/charges/'
        f'{detailed.paid_entry}/refund"' in html
    )


def test_detail_of_an_unknown_subscription_is_404(vas, admin_client):
    assert admin_client.get("/admin/vas/subscriptions/999999").status_code == 404


def test_a_retired_level_still_shows_by_name_on_the_detail(
    app, vas, detailed, admin_client
):
    with app.app_context():
        level_service.retire_level(
            db.session.get(ServiceLevel, vas.silver),
            actor=db.session.get(User, vas.admin.id),
        )
        db.session.commit()

    html = admin_client.get(_detail_url(detailed)).get_data(as_text=True)

    assert html.count(vas.names[vas.silver]) >= 3  # level, records, events
    assert "已停用</span>" in html


# --- refunds -------------------------------------------------------------


def _refund_url(d, entry_id) -> str:
    return f"{_detail_url(d)}/charges/{entry_id}/refund"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_refund_needs_a_reason(app, vas, detailed, admin_client, reason):
    before = snapshot(app)

    response = admin_client.post(
        _refund_url(detailed, detailed.paid_entry), {"reason": reason}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="field__error" role="alert">退款必须填写原因。' in html
    assert f'id="reason-{detailed.paid_entry}"' in html
    assert snapshot(app) == before


def test_a_refund_gives_back_the_vas_amount_once(app, vas, detailed, admin_client):
    before = _counts(app)
    with app.app_context():
        balance_before = ledger.balance_cents(detailed.customer.id)

    response = admin_client.post(
        _refund_url(detailed, detailed.paid_entry), {"reason": "Cleanup failed"}
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith(_detail_url(detailed))
    assert _counts(app) == {
        "ledger": before["ledger"] + 1,
        "audit": before["audit"] + 1,
        "events": before["events"] + 1,
    }
    with app.app_context():
        refund = db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.reverses_id == detailed.paid_entry)
        ).one()
        assert (refund.amount_cents, refund.cause, refund.memo) == (
            12345,
            "refund",
            "Cleanup failed",
        )
        audit_row = db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.id.desc())
        ).first()
        assert (audit_row.action, audit_row.subject_id) == (
            "charge.refund",
            str(detailed.paid_entry),
        )
        assert audit_row.actor_id == vas.admin.id
        event = db.session.scalars(
            sa.select(SubscriptionEvent).order_by(SubscriptionEvent.id.desc())
        ).first()
        assert (event.kind, event.amount_cents, event.ledger_entry_id) == (
            "refund",
            -12345,
            refund.id,
        )
        balance = ledger.balance_cents(detailed.customer.id)
        assert balance == balance_before + 12345
        assert balance == ledger.ledger_sum_cents(detailed.customer.id)

    page = admin_client.get(_detail_url(detailed)).get_data(as_text=True)
    assert "已退款，退款已记入客户余额。" in page
    assert "已退款</span>" in page and "Cleanup failed" in page
    assert page.count('name="reason"') == 1

    again_before = snapshot(app)
    again = admin_client.post(
        _refund_url(detailed, detailed.paid_entry), {"reason": "Once more"}
    )
    assert again.status_code == 409
    assert "该笔款项已经退款，不能重复退款。" in again.get_data(as_text=True)
    assert snapshot(app) == again_before


def test_the_order_vas_line_is_refunded_without_the_server_part(
    app, vas, detailed, admin_client
):
    with app.app_context():
        entry = db.session.scalars(
            sa.select(LedgerEntry).where(
                LedgerEntry.subject_type == "order",
                LedgerEntry.subject_id == detailed.order,
                LedgerEntry.amount_cents < 0,
            )
        ).one()
        entry_id, paid = entry.id, -entry.amount_cents
        silver = db.session.get(ServiceLevel, vas.silver)
        vas_cents = silver.monthly_price_cents

    response = admin_client.post(
        _refund_url(detailed, entry_id), {"reason": "Level never delivered"}
    )

    assert response.status_code == 303
    with app.app_context():
        refund = db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.reverses_id == entry_id)
        ).one()
        assert refund.amount_cents == vas_cents < paid
        assert ledger.balance_cents(detailed.customer.id) == ledger.ledger_sum_cents(
            detailed.customer.id
        )


def test_a_charge_of_another_subscription_is_not_refunded_here(
    app, vas, detailed, admin_client, make_customer, make_subscription
):
    other = make_subscription(
        customer_id=make_customer().id, level_id=vas.base, product_id=vas.cloud
    )
    before = snapshot(app)

    response = admin_client.post(
        f"/admin/vas/subscriptions/{other['subscription']}/charges/"
        f"{detailed.paid_entry}/refund",
        {"reason": "wrong one"},
    )

    assert response.status_code == 404
    assert snapshot(app) == before


# --- rule 3: admin edits of the server carry over ------------------------


@pytest.mark.parametrize(
    ("status", "subscription_status", "label"),
    [("suspended", "suspended", "已停用"), ("terminated", "cancelled", "已取消")],
)
def test_an_admin_server_edit_carries_over_at_once(
    app, vas, detailed, admin_client, status, subscription_status, label
):
    due = date.today() + timedelta(days=95)

    response = admin_client.post(
        f"/admin/servers/{detailed.server}/edit",
        {"due_date": due.isoformat(), "status": status},
    )

    assert response.status_code == 303
    with app.app_context():
        subscription = db.session.get(Subscription, detailed.subscription)
        assert (subscription.expires_on, subscription.status) == (
            due,
            subscription_status,
        )
    table = _table(
        admin_client.get(f"{LIST}?customer_id={detailed.customer.id}").get_data(
            as_text=True
        )
    )
    assert label in table and f"<td>{due.isoformat()}</td>" in table


# --- access: tests/test_sweeps.py (tests/routes.py) ------------------------


# --- cost and safety -----------------------------------------------------


def _grow(app, vas, make_customer, make_subscription, n):
    for i in range(n):
        made = make_subscription(
            customer_id=make_customer().id,
            level_id=(vas.base, vas.silver, vas.gold)[i % 3],
            product_id=(vas.cloud, vas.metal)[i % 2],
        )
        _add_record(
            app, made["subscription"], item_id=vas.items[0], source="free_level"
        )


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
@pytest.mark.parametrize(
    "query", ["", "?q=example&status=active", "?q=cu", "?status=active&before=999999"]
)
def test_list_costs_a_fixed_number_of_queries(
    app, vas, make_customer, make_subscription, count_queries, htmx, query
):
    client = Client(app, htmx=htmx)
    client.login(vas.admin.email)
    _grow(app, vas, make_customer, make_subscription, 2)
    with count_queries() as few:
        assert client.get(LIST + query).status_code == 200

    _grow(app, vas, make_customer, make_subscription, 10)
    with count_queries() as many:
        response = client.get(LIST + query)
        assert response.status_code == 200

    assert len(_row_ids(response.get_data(as_text=True))) == 12
    assert few.count == many.count, (few.statements, many.statements)
    # The user, the levels, the count (or a keyword's matching ids), the rows.
    assert many.count <= 4


def test_a_hostile_customer_name_renders_escaped(
    app, vas, admin_client, admin_htmx, make_customer, make_subscription
):
    customer = make_customer(name=XSS_NAME)
    made = make_subscription(
        customer_id=customer.id, level_id=vas.base, product_id=vas.cloud
    )

    pages = {
        "list": admin_client.get(LIST),
        "fragment": admin_htmx.get(LIST),
        "detail": admin_client.get(f"/admin/vas/subscriptions/{made['subscription']}"),
    }
    export = admin_client.get(EXPORT)

    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert "<script>alert(1)" not in html, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
    assert export.mimetype == "text/csv"
    assert export.headers["X-Content-Type-Options"] == "nosniff"
    assert _csv(export)[1][2] == XSS_NAME
