"""Admin pages of the ticket desk: departments, permissions, quick replies,
settings and ratings. The admin blueprint keeps every route for admins.
"""

from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from vas.admin import bp
from vas.admin.ticket_forms import AgentPermissionsForm
from vas.admin.ticket_forms import DepartmentForm
from vas.admin.ticket_forms import QuickReplyForm
from vas.admin.ticket_forms import TicketSettingsForm
from vas.models import Department
from vas.models import QuickReply
from vas.models import User
from vas.services import departments
from vas.services import quick_replies
from vas.services import settings
from vas.services import ticket_ratings
from vas.services import tickets
from vas.services.departments import BusinessTechnicalRequired
from vas.services.departments import DuplicateDepartmentName
from vas.services.errors import InvalidInput
from vas.services.errors import VasError
from vas.web import get_or_404
from vas.web import is_htmx
from vas.web import paginate
from vas.web import render
from vas.web import see_other


@bp.get("/departments")
def list_departments():
    """List ticket departments (工单分类) in display order."""
    return render(
        "admin/departments.html",
        departments=departments.list_departments(include_inactive=True),
        ticket_counts=departments.ticket_counts(),
    )


@bp.route("/departments/new", methods=["GET", "POST"])
def create_department():
    """Add a ticket department."""
    return _edit_department(None)


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id: int):
    """Edit a ticket department."""
    return _edit_department(get_or_404(Department, department_id))


def _edit_department(department: Department | None):
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        try:
            departments.save_department(
                department,
                name=form.name.data,
                description=form.description.data or "",
                is_business_technical=form.is_business_technical.data,
                is_active=form.is_active.data,
                sort_order=form.sort_order.data or 0,
                actor=current_user,
            )
        except DuplicateDepartmentName as refusal:
            form.name.errors.append(str(refusal.message))
        except BusinessTechnicalRequired as refusal:
            form.is_business_technical.errors.append(str(refusal.message))
        else:
            flash(_("工单分类已保存。"), "success")
            return see_other("admin.list_departments")
    return render(
        "admin/department_edit.html",
        form=form,
        department=department,
        code=422 if form.errors else 200,
    )


@bp.post("/departments/<int:department_id>/delete")
def delete_department(department_id: int):
    """Delete a department that never had a ticket."""
    department = get_or_404(Department, department_id)

    try:
        departments.delete_department(department, actor=current_user)
    except VasError as refusal:
        flash(str(refusal.message), "error")
    else:
        flash(_("工单分类已删除。"), "success")
    return see_other("admin.list_departments")


@bp.get("/ticket-permissions")
def edit_ticket_permissions():
    """Show each agent's departments and push right (工单权限设置)."""
    all_departments = departments.list_departments(include_inactive=True)
    worked = departments.departments_by_agent()
    rows = []
    for agent in departments.agents():
        form = AgentPermissionsForm(
            formdata=None,
            prefix=f"agent{agent.id}",
            departments=sorted(worked.get(agent.id, ())),
            can_push_services=agent.can_push_services,
        )
        form.fill_choices(all_departments)
        rows.append((agent, form))
    return render("admin/ticket_permissions.html", rows=rows)


@bp.post("/ticket-permissions/<int:agent_id>")
def update_ticket_permissions(agent_id: int):
    """Set one agent's departments and whether they may push paid services."""
    agent = get_or_404(User, agent_id, role="agent")
    form = AgentPermissionsForm(prefix=f"agent{agent.id}")
    form.fill_choices(departments.list_departments(include_inactive=True))
    if form.validate_on_submit():
        try:
            departments.set_agent_permissions(
                agent,
                department_ids=set(form.departments.data or ()),
                can_push_services=form.can_push_services.data,
                actor=current_user,
            )
        except InvalidInput as refusal:
            form.departments.errors.append(str(refusal.message))
        else:
            flash(_("%(name)s 的工单权限已保存。", name=agent.name), "success")
            if is_htmx():
                return render("admin/_ticket_permission.html", agent=agent, form=form)
            return see_other("admin.edit_ticket_permissions")
    return render("admin/_ticket_permission.html", agent=agent, form=form, code=422)


@bp.get("/quick-replies")
def list_quick_replies():
    """List the quick reply templates (快捷回复模板)."""
    return render(
        "admin/quick_replies.html", replies=quick_replies.list_quick_replies()
    )


@bp.route("/quick-replies/new", methods=["GET", "POST"])
def create_quick_reply():
    """Add a quick reply template."""
    return _edit_quick_reply(None)


@bp.route("/quick-replies/<int:reply_id>/edit", methods=["GET", "POST"])
def edit_quick_reply(reply_id: int):
    """Edit a quick reply template."""
    return _edit_quick_reply(get_or_404(QuickReply, reply_id))


def _edit_quick_reply(reply: QuickReply | None):
    form = QuickReplyForm(obj=reply)
    if form.validate_on_submit():
        try:
            quick_replies.save_quick_reply(
                reply,
                title=form.title.data,
                body=form.body.data,
                sort_order=form.sort_order.data or 0,
                actor=current_user,
            )
        except InvalidInput as refusal:
            form.title.errors.append(str(refusal.message))
        else:
            flash(_("快捷回复模板已保存。"), "success")
            return see_other("admin.list_quick_replies")
    return render(
        "admin/quick_reply_edit.html",
        form=form,
        reply=reply,
        code=422 if form.errors else 200,
    )


@bp.post("/quick-replies/<int:reply_id>/delete")
def delete_quick_reply(reply_id: int):
    """Delete a quick reply template."""
    reply = get_or_404(QuickReply, reply_id)

    quick_replies.delete_quick_reply(reply, actor=current_user)

    flash(_("快捷回复模板已删除。"), "success")
    return see_other("admin.list_quick_replies")


@bp.route("/ticket-settings", methods=["GET", "POST"])
def edit_ticket_settings():
    """Set how many days an answered ticket waits before it closes (工单设置)."""
    form = TicketSettingsForm(auto_close_days=settings.get("tickets.auto_close_days"))
    if form.validate_on_submit():
        try:
            tickets.save_settings(
                auto_close_days=form.auto_close_days.data, actor=current_user
            )
        except InvalidInput as refusal:
            form.auto_close_days.errors.append(str(refusal.message))
        else:
            flash(_("工单设置已保存。"), "success")
            return see_other("admin.edit_ticket_settings")
    return render(
        "admin/ticket_settings.html", form=form, code=422 if form.errors else 200
    )


@bp.get("/ticket-ratings")
def list_ticket_ratings():
    """List ticket ratings (工单评价) with averages by agent and department."""
    filters = ticket_ratings.RatingFilter(
        agent_id=request.args.get("agent_id", type=int),
        department_id=request.args.get("department_id", type=int),
    )
    return render(
        "admin/ticket_ratings.html",
        "admin/_ticket_ratings_table.html",
        page=paginate(ticket_ratings.ratings_query(filters)),
        filters=filters,
        by_agent=ticket_ratings.ratings_by_agent(),
        by_department=ticket_ratings.ratings_by_department(),
        departments=departments.list_departments(include_inactive=True),
    )
