"""Views of the agent workspace; agents and admins may enter.

An agent sees only tickets of the departments they work (工单权限设置); an
admin sees all. A ticket outside them answers 404, as if it did not exist.
"""

from datetime import UTC
from datetime import datetime

from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from vas.agent import bp
from vas.agent.forms import ActionForm
from vas.agent.forms import AssignForm
from vas.agent.forms import PushForm
from vas.agent.forms import StaffReplyForm
from vas.agent.forms import StatusForm
from vas.models import QuickReply
from vas.models import Ticket
from vas.services import pushes
from vas.services import quick_replies
from vas.services import service_records
from vas.services import ticket_queries
from vas.services import ticket_ratings
from vas.services import tickets
from vas.services.pushes import PushNotPayable
from vas.services.pushes import PushRefused
from vas.services.service_records import AlreadyDelivered
from vas.services.tickets import AssigneeNotEligible
from vas.services.tickets import TicketRefused
from vas.web import get_or_404
from vas.web import is_htmx
from vas.web import paginate
from vas.web import render
from vas.web import role_required
from vas.web import see_other


@bp.before_request
@role_required("agent", "admin")
def require_staff():
    """Keep the workspace for staff."""


@bp.get("/")
def dashboard():
    """Show the agent's workspace: open tickets of their departments by status."""
    departments = ticket_queries.visible_departments(current_user)
    return render(
        "agent/dashboard.html",
        counts=ticket_queries.open_counts(departments),
        departments=departments,
        statuses=tickets.OPEN_STATUSES,
    )


def _queue_filter(**fixed) -> ticket_queries.QueueFilter:
    return ticket_queries.QueueFilter(
        status=request.args.get("status") or None,
        department_id=request.args.get("department_id", type=int),
        customer_id=request.args.get("customer_id", type=int),
        keyword=request.args.get("q") or None,
        **fixed,
    )


def _render_queue(filters: ticket_queries.QueueFilter, endpoint: str):
    page = paginate(
        ticket_queries.queue_query(current_user, filters),
        count_query=ticket_queries.queue_count_query(current_user, filters),
    )
    return render(
        "agent/tickets.html",
        "agent/_queue.html",
        page=page,
        vas_levels=ticket_queries.levels_by_server(page.items),
        counts=ticket_queries.queue_counts(current_user, filters),
        departments=ticket_queries.visible_departments(current_user),
        filters=filters,
        endpoint=endpoint,
        now=datetime.now(UTC),
    )


@bp.get("/tickets")
def list_tickets():
    """List the tickets of the departments the agent works (工单列表)."""
    return _render_queue(_queue_filter(), "agent.list_tickets")


@bp.get("/tickets/mine")
def list_my_tickets():
    """List the tickets assigned to the agent (我的工单)."""
    return _render_queue(
        _queue_filter(assignee_id=current_user.id), "agent.list_my_tickets"
    )


@bp.get("/tickets/<int:ticket_id>")
def show_ticket(ticket_id: int):
    """Show a ticket to staff (工单信息): thread, customer panel and actions."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    return _render_ticket(ticket)


def _render_ticket(
    ticket: Ticket,
    *,
    reply_form: StaffReplyForm | None = None,
    status_form: StatusForm | None = None,
    assign_form: AssignForm | None = None,
    push_form: PushForm | None = None,
    fragment: str = "agent/_ticket_conversation.html",
    code: int = 200,
    updated: bool = False,
    action_error: tuple | None = None,
):
    """Render the ticket page (工单信息), or a fragment of it for htmx.

    :param action_error: (push or record id, message) of a refused action,
        shown where it was taken.
    """
    if assign_form is None:
        assign_form = AssignForm(formdata=None, assignee=ticket.assignee_id)
    assign_form.fill_choices(ticket_queries.assignable_staff(ticket))
    vas = service_records.ticket_subscription(ticket)
    panel = pushes.panel(current_user, ticket, vas.subscription if vas else None)
    if push_form is None:
        push_form = PushForm(formdata=None, pay_price="0.00", shown_total=0)
    return render(
        "agent/ticket.html",
        fragment,
        ticket=ticket,
        thread=ticket_queries.thread(ticket, include_private=True),
        pushes=pushes.pushes_by_message(ticket.id),
        push_panel=panel,
        push_form=push_form,
        push_error=action_error,
        vas=vas,
        rating=ticket_ratings.rating_for(ticket),
        quick_replies=quick_replies.list_quick_replies(),
        reply_form=reply_form or StaffReplyForm(formdata=None),
        status_form=status_form or StatusForm(formdata=None),
        assign_form=assign_form,
        updated=updated,
        code=code,
    )


@bp.post("/tickets/<int:ticket_id>/replies")
def reply_ticket(ticket_id: int):
    """Reply to the customer, or add a private note (私密回复) for staff."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    form = StaffReplyForm()
    if not form.validate_on_submit():
        return _render_ticket(ticket, reply_form=form, code=422)

    private = bool(form.send_private.data)
    try:
        tickets.post_staff_reply(ticket, current_user, form.body.data, private=private)
    except TicketRefused as refusal:
        form.body.errors.append(str(refusal.message))
        return _render_ticket(ticket, reply_form=form, code=422)

    flash(_("私密回复已保存。") if private else _("回复已发送。"), "success")
    if is_htmx():
        return _render_ticket(ticket, updated=True)
    return see_other("agent.show_ticket", ticket_id=ticket.id)


@bp.get("/tickets/<int:ticket_id>/quick-replies/<int:reply_id>")
def insert_quick_reply(ticket_id: int, reply_id: int):
    """Put a quick reply into the reply box, after what is already typed."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    template = get_or_404(QuickReply, reply_id)

    draft = quick_replies.insert_into(request.args.get("body", ""), template)
    form = StaffReplyForm(formdata=None, body=draft)
    return _render_ticket(ticket, reply_form=form, fragment="agent/_reply_body.html")


@bp.post("/tickets/<int:ticket_id>/status")
def change_ticket_status(ticket_id: int):
    """Change a ticket's status through the transition table."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            tickets.change_status(ticket, current_user, form.status.data)
        except TicketRefused as refusal:
            form.status.errors.append(str(refusal.message))
        else:
            flash(_("工单状态已更新。"), "success")
            return see_other("agent.show_ticket", ticket_id=ticket.id)
    return _render_ticket(ticket, status_form=form, code=422)


@bp.post("/tickets/<int:ticket_id>/assignee")
def assign_ticket(ticket_id: int):
    """Give the ticket to a staff member who works its department."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    form = AssignForm()
    if form.validate_on_submit():
        try:
            tickets.assign_ticket(ticket, form.assignee.data, current_user)
        except AssigneeNotEligible as refusal:
            form.assignee.errors.append(str(refusal.message))
        else:
            flash(_("负责客服已更新。"), "success")
            return see_other("agent.show_ticket", ticket_id=ticket.id)
    return _render_ticket(ticket, assign_form=form, code=422)


@bp.get("/tickets/<int:ticket_id>/push-total")
def total_push(ticket_id: int):
    """Return the push panel's list total and pay price for the ticked items."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    form = PushForm(request.args)

    total, pay_price = pushes.live_pricing(
        current_user,
        ticket,
        form.item_ids.data or [],
        typed=request.args.get("pay_price", ""),
        shown_total_cents=form.shown_total.data,
    )
    form = PushForm(formdata=None, pay_price=pay_price, shown_total=total)
    return render("agent/_push_pricing.html", push_form=form, list_total_cents=total)


@bp.post("/tickets/<int:ticket_id>/pushes")
def create_push(ticket_id: int):
    """Reply with a paid service pushed into the ticket (推送付费服务)."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    form = PushForm()
    if not form.validate_on_submit():
        return _push_refused(ticket, form)

    try:
        pushes.push(
            current_user,
            ticket,
            item_ids=form.item_ids.data,
            pay_price=form.pay_price.data,
            body=form.body.data,
        )
    except PushRefused as refusal:
        getattr(form, refusal.field).errors.append(str(refusal.message))
        return _push_refused(ticket, form)

    flash(_("付费服务已推送给客户。"), "success")
    if is_htmx():
        return _render_ticket(ticket, updated=True)
    return see_other("agent.show_ticket", ticket_id=ticket.id)


def _push_refused(ticket: Ticket, form: PushForm):
    """Re-render a refused push with the panel open and the reply text kept."""
    reply_form = StaffReplyForm(formdata=None, body=form.body.data)
    reply_form.body.errors = list(form.body.errors)
    return _render_ticket(ticket, reply_form=reply_form, push_form=form, code=422)


@bp.post("/tickets/<int:ticket_id>/pushes/<int:push_id>/withdraw")
def withdraw_push(ticket_id: int, push_id: int):
    """Withdraw a push the customer has not paid; it can no longer be paid."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    if not ActionForm().validate_on_submit():
        return _render_ticket(ticket, code=422)

    try:
        pushes.withdraw(current_user, ticket, push_id)
    except PushNotPayable as refusal:
        error = (push_id, refusal.message, None)
        return _render_ticket(ticket, code=409, action_error=error)

    flash(_("推送已撤回。"), "success")
    if is_htmx():
        return _render_ticket(ticket, updated=True)
    return see_other("agent.show_ticket", ticket_id=ticket.id)


@bp.post("/tickets/<int:ticket_id>/records/<int:record_id>/delivered")
def deliver_record(ticket_id: int, record_id: int):
    """Mark a service record of this ticket delivered (待交付 → 已交付)."""
    ticket = ticket_queries.staff_ticket_or_404(ticket_id, current_user)
    if not ActionForm().validate_on_submit():
        return _render_ticket(ticket, code=422)

    try:
        service_records.mark_delivered(current_user, ticket, record_id)
    except AlreadyDelivered as refusal:
        flash(str(refusal.message), "error")
        return _render_ticket(ticket, code=409, fragment="agent/_vas_panel.html")

    flash(_("服务记录已标记为已交付。"), "success")
    return see_other("agent.show_ticket", ticket_id=ticket.id)
