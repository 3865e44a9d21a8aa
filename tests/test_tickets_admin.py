"""Admin pages of the ticket desk: departments, permissions, quick replies.

Who may reach each desk route (anonymous, customer A and B, an agent with
and without the push right, an admin) is in the route table of
``tests/routes.py``, swept by ``tests/test_sweeps.py``.
"""

import pytest
from sqlalchemy import select

from tests.ticket_helpers import desk_state
from tests.ticket_helpers import field_errors
from vas.extensions import db
from vas.models import AuditEntry
from vas.models import Department
from vas.models import QuickReply
from vas.models import User
from vas.models import agent_departments
from vas.services import settings


@pytest.fixture
def admin(client, desk):
    client.login(desk.admin.email)
    return client


def _departments(app):
    with app.app_context():
        rows = db.session.scalars(select(Department).order_by(Department.id))
        return [(d.name, d.is_business_technical, d.is_active) for d in rows]


DEPARTMENT_FORM = {
    "name": "售前咨询",
    "description": "选购与报价",
    "is_active": "y",
    "sort_order": "3",
}


def test_admin_adds_a_department(app, admin):
    response = admin.post("/admin/departments/new", DEPARTMENT_FORM)

    assert response.status_code == 303
    assert response.location == "/admin/departments"
    assert _departments(app)[-1] == ("售前咨询", False, True)
    html = admin.get("/admin/departments").get_data(as_text=True)
    assert "售前咨询" in html and "工单分类已保存。" in html


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": ""}, "name", "请填写分类名称。"),
        ({"name": "财务工单"}, "name", "已有同名的工单分类。"),
        ({"name": "x" * 61}, "name", "名称不能超过 60 个字符。"),
        ({"sort_order": "-1"}, "sort_order", "排序应为 0 到 9999。"),
    ],
)
def test_a_refused_department_shows_the_error_beside_its_field(
    app, admin, form, field, message
):
    before = desk_state(app)

    response = admin.post("/admin/departments/new", {**DEPARTMENT_FORM, **form})

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field) == [message]
    assert desk_state(app) == before


def test_the_business_technical_flag_moves_to_the_department_that_takes_it(
    app, admin, desk
):
    response = admin.post(
        f"/admin/departments/{desk.finance.id}/edit",
        {"name": "财务工单", "is_business_technical": "y", "is_active": "y"},
    )

    assert response.status_code == 303
    assert _departments(app) == [
        ("业务技术工单", False, True),
        ("财务工单", True, True),
    ]


def test_the_business_technical_flag_cannot_just_be_switched_off(app, admin, desk):
    before = desk_state(app)

    response = admin.post(
        f"/admin/departments/{desk.tech.id}/edit",
        {"name": "业务技术工单", "is_active": "y"},
    )

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "is_business_technical") == [
        "必须保留一个业务技术工单分类：请在另一个分类上勾选，标记会转移过去。"
    ]
    assert desk_state(app) == before


def test_an_unused_department_is_deleted_but_not_the_business_technical_one(
    app, admin, desk, make_department
):
    spare = make_department(name="Spare")

    deleted = admin.post(f"/admin/departments/{spare.id}/delete")
    kept = admin.post(
        f"/admin/departments/{desk.tech.id}/delete", follow_redirects=True
    )

    assert deleted.status_code == 303
    assert [name for name, _, _ in _departments(app)] == ["业务技术工单", "财务工单"]
    assert "必须保留一个业务技术工单分类" in kept.get_data(as_text=True)


def test_finance_with_a_ticket_cannot_be_deleted(app, admin, desk, make_ticket):
    make_ticket(customer_id=desk.customer_b.id, department_id=desk.finance.id)

    response = admin.post(
        f"/admin/departments/{desk.finance.id}/delete", follow_redirects=True
    )

    assert "该分类下已有工单，不能删除，可以停用。" in response.get_data(as_text=True)
    assert len(_departments(app)) == 2


def _permissions(app, agent_id):
    with app.app_context():
        agent = db.session.get(User, agent_id)
        worked = db.session.scalars(
            select(agent_departments.c.department_id).where(
                agent_departments.c.agent_id == agent_id
            )
        )
        return sorted(worked), agent.can_push_services


def _permission_form(client, agent_id, **fields):
    prefix = f"agent{agent_id}"
    data = {f"{prefix}-csrf_token": client._token or client.csrf_token()}
    for name, value in fields.items():
        data[f"{prefix}-{name}"] = value
    return data


def test_permissions_page_lists_every_agent_with_their_departments(admin, desk):
    html = admin.get("/admin/ticket-permissions").get_data(as_text=True)

    assert "Agent Push" in html and "Agent NoPush" in html
    assert f'id="permission-{desk.agent.id}"' in html
    assert f'name="agent{desk.agent_np.id}-departments"' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_admin_sets_an_agents_departments_and_push_right(app, make_client, desk, htmx):
    client = make_client(htmx=htmx)
    client.login(desk.admin.email)

    response = client.post(
        f"/admin/ticket-permissions/{desk.agent_np.id}",
        _permission_form(
            client,
            desk.agent_np.id,
            departments=[str(desk.tech.id), str(desk.finance.id)],
            can_push_services="y",
        ),
    )

    assert _permissions(app, desk.agent_np.id) == (
        sorted([desk.tech.id, desk.finance.id]),
        True,
    )
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert html.lstrip().startswith("<form")
        assert f'id="permission-{desk.agent_np.id}"' in html
        assert "的工单权限已保存。" in html  # the flash, out of band
    else:
        assert response.status_code == 303


def test_an_unknown_department_is_refused_for_permissions(app, admin, desk):
    before = desk_state(app)

    response = admin.post(
        f"/admin/ticket-permissions/{desk.agent.id}",
        _permission_form(admin, desk.agent.id, departments=["999999"]),
    )

    assert response.status_code == 422
    assert "工单分类无效。" in response.get_data(as_text=True)
    assert desk_state(app) == before


def test_permissions_of_a_non_agent_are_404(app, admin, desk):
    before = desk_state(app)

    response = admin.post(
        f"/admin/ticket-permissions/{desk.customer_a.id}",
        _permission_form(admin, desk.customer_a.id, can_push_services="y"),
    )

    assert response.status_code == 404
    assert desk_state(app) == before


def _quick_replies(app):
    with app.app_context():
        rows = db.session.scalars(select(QuickReply).order_by(QuickReply.id))
        return [(r.title, r.body, r.sort_order) for r in rows]


def test_admin_manages_quick_replies(app, admin):
    created = admin.post(
        "/admin/quick-replies/new",
        {"title": "问候", "body": "您好！\n请稍候。", "sort_order": "1"},
    )
    with app.app_context():
        reply_id = db.session.scalars(select(QuickReply.id)).one()
    edited = admin.post(
        f"/admin/quick-replies/{reply_id}/edit",
        {"title": "问候语", "body": "您好。", "sort_order": "2"},
    )
    snapshot_after_edit = _quick_replies(app)
    deleted = admin.post(f"/admin/quick-replies/{reply_id}/delete")

    assert [r.status_code for r in (created, edited, deleted)] == [303, 303, 303]
    assert snapshot_after_edit == [("问候语", "您好。", 2)]
    assert _quick_replies(app) == []


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"title": ""}, "title", "请填写模板名称。"),
        ({"title": "Existing"}, "title", "已有同名的快捷回复模板。"),
        ({"title": "EXISTING"}, "title", "已有同名的快捷回复模板。"),
        ({"body": " "}, "body", "请填写内容。"),
    ],
)
def test_a_refused_quick_reply_shows_the_error_beside_its_field(
    app, admin, make_quick_reply, form, field, message
):
    make_quick_reply(title="Existing")
    before = desk_state(app)

    response = admin.post(
        "/admin/quick-replies/new", {"title": "New", "body": "Text", **form}
    )

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field) == [message]
    assert desk_state(app) == before


def _auto_close_days(app):
    with app.app_context():
        return settings.get("tickets.auto_close_days")


def test_ticket_settings_save_the_auto_close_days_with_an_audit_row(app, admin, desk):
    form = admin.get("/admin/ticket-settings").get_data(as_text=True)

    response = admin.post("/admin/ticket-settings", {"auto_close_days": "14"})

    assert 'value="7"' in form
    assert response.status_code == 303
    assert _auto_close_days(app) == 14
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry)).one()
        assert (entry.actor_id, entry.subject_id, entry.before, entry.after) == (
            desk.admin.id,
            "tickets.auto_close_days",
            "7",
            "14",
        )


@pytest.mark.parametrize("value", ["-1", "366", "abc", "", "1.5"])
def test_ticket_settings_refuse_days_outside_zero_to_365(app, admin, value):
    before = desk_state(app)

    response = admin.post("/admin/ticket-settings", {"auto_close_days": value})

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "auto_close_days")
    assert desk_state(app) == before


def test_ratings_are_listed_by_agent_and_department(
    app, make_client, desk, make_ticket, make_reply, close_ticket
):
    customer = make_client()
    customer.login(desk.customer_a.email)
    for department, score in ((desk.tech.id, 5), (desk.finance.id, 2)):
        made = make_ticket(
            customer_id=desk.customer_a.id,
            department_id=department,
            server_id=desk.server.id,
        )
        make_reply(ticket_id=made.id, author_id=desk.agent.id, body="done")
        close_ticket(ticket_id=made.id, actor_id=desk.customer_a.id)
        customer.post(
            f"/tickets/{made.id}/rating", {"score": str(score), "comment": "<i>hi</i>"}
        )
    admin = make_client()
    admin.login(desk.admin.email)

    everything = admin.get("/admin/ticket-ratings").get_data(as_text=True)
    finance = admin.get(f"/admin/ticket-ratings?department_id={desk.finance.id}")

    assert "Agent Push" in everything and "3.50" in everything  # (5 + 2) / 2
    assert "5.00" in everything and "2.00" in everything
    assert "&lt;i&gt;hi&lt;/i&gt;" in everything
    rows = finance.get_data(as_text=True).split('<div id="ratings">')[1]
    assert rows.count("<tr>") == 2  # header and the finance rating


# The access matrix of every desk route: tests/test_sweeps.py, with the
# route table in tests/routes.py.
