"""The customer's tickets: open, read, reply, close and rate.

Every ticket is loaded as the customer's own (A1): another customer's ticket
answers 404 on the page, its fragment and every action. Private replies are
never loaded here.
"""

from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from vas.customer import bp
from vas.customer.ticket_forms import PayPushForm
from vas.customer.ticket_forms import RatingForm
from vas.customer.ticket_forms import ReplyForm
from vas.customer.ticket_forms import TicketForm
from vas.models import Ticket
from vas.services import pushes
from vas.services import service_records
from vas.services import service_requests
from vas.services import ticket_queries
from vas.services import ticket_ratings
from vas.services import tickets
from vas.services.errors import InsufficientBalance
from vas.services.errors import InvalidInput
from vas.services.pushes import PushNotPayable
from vas.services.service_requests import RequestRefused
from vas.services.ticket_ratings import AlreadyRated
from vas.services.ticket_ratings import RatingNotAllowed
from vas.services.tickets import DepartmentUnavailable
from vas.web import is_htmx
from vas.web import paginate
from vas.web import render
from vas.web import role_required
from vas.web import see_other


@bp.get("/tickets")
@role_required("customer")
def list_tickets():
    """List the customer's tickets with status and last update."""
    page = paginate(ticket_queries.customer_tickets_query(current_user))
    return render("customer/tickets.html", "customer/_tickets_table.html", page=page)


def _ticket_form(formdata=None) -> TicketForm:
    form = TicketForm(formdata) if formdata is not None else TicketForm()
    form.offered = service_requests.ticket_choices(current_user)
    form.fill_choices(
        form.offered.departments, form.offered.servers, form.offered.levels
    )
    return form


def _render_new_ticket(form: TicketForm, *, code: int = 200, shortfall=None):
    """Render the new-ticket page, or only its service picker for htmx.

    The picker (服务项目 by category, priced at the server's level, with the
    quote) shows for a business technical ticket about a server with a live
    subscription.
    """
    business = form.offered.business
    picker = None
    if business is not None and form.department.data == business.id:
        picker = service_requests.picker(
            current_user, server_id=form.server.data, item_id=form.item_id.data
        )
    return render(
        "customer/ticket_new.html",
        "customer/_service_request.html",
        form=form,
        picker=picker,
        business=business,
        shortfall=shortfall,
        balance_cents=current_user.balance_cents,
        code=code,
    )


@bp.route("/tickets/new", methods=["GET", "POST"])
@role_required("customer")
def create_ticket():
    """Open a ticket, or request a service item through a business technical one.

    ``?server=`` and ``?item_id=`` preselect a server and an item (the
    product page links here); a server alone preselects 业务技术工单.
    """
    if request.method == "GET":
        form = _ticket_form(request.args)
        if form.server.data and form.department.data is None and form.offered.business:
            form.department.data = form.offered.business.id  # a service request
        return _render_new_ticket(form)

    form = _ticket_form()
    if not form.validate_on_submit():
        return _render_new_ticket(form, code=422)
    try:
        ticket = service_requests.submit_ticket(
            current_user,
            department_id=form.department.data,
            server_id=form.server.data,
            item_id=form.item_id.data,
            subject=form.subject.data or "",
            body=form.body.data,
            intent=form.intent.data,
            expected_charge_cents=form.expected_charge.data,
        )
    except InsufficientBalance as refusal:
        form.item_id.errors.append(str(refusal.message))
        return _render_new_ticket(form, code=402, shortfall=refusal.shortfall)
    except RequestRefused as refusal:
        getattr(form, refusal.field).errors.append(str(refusal.message))
        return _render_new_ticket(form, code=refusal.status_code)
    except DepartmentUnavailable as refusal:
        form.department.errors.append(str(refusal.message))
        return _render_new_ticket(form, code=422)
    except InvalidInput as refusal:
        form.server.errors.append(str(refusal.message))
        return _render_new_ticket(form, code=422)

    flash(_("工单已提交，我们会尽快回复。"), "success")
    return see_other("customer.show_ticket", ticket_id=ticket.id)


@bp.get("/tickets/new/service-quote")
@role_required("customer")
def quote_service_request():
    """Return the service picker and quote for the new-ticket form as it stands."""
    form = _ticket_form(request.args)
    return _render_new_ticket(form)


@bp.get("/tickets/<int:ticket_id>")
@role_required("customer")
def show_ticket(ticket_id: int):
    """Show one of the customer's tickets with its thread."""
    ticket = ticket_queries.customer_ticket_or_404(ticket_id, current_user)
    return _render_ticket(ticket)


def _render_ticket(
    ticket: Ticket,
    reply_form: ReplyForm | None = None,
    rating_form: RatingForm | None = None,
    *,
    code: int = 200,
    updated: bool = False,
    push_error: tuple | None = None,
):
    """Render the ticket page, or its conversation for htmx.

    :param push_error: (push id, message, shortfall or None) of a refused
        payment, shown on that push.
    """
    return render(
        "customer/ticket.html",
        "customer/_ticket_conversation.html",
        ticket=ticket,
        thread=ticket_queries.thread(ticket, include_private=False),
        pushes=pushes.pushes_by_message(ticket.id),
        push_error=push_error,
        vas=service_records.ticket_subscription(ticket, with_records=False),
        rating=ticket_ratings.rating_for(ticket),
        reply_form=reply_form or ReplyForm(formdata=None),
        rating_form=rating_form or RatingForm(formdata=None),
        updated=updated,
        code=code,
    )


@bp.post("/tickets/<int:ticket_id>/replies")
@role_required("customer")
def reply_ticket(ticket_id: int):
    """Add the customer's reply; replying to a closed ticket reopens it."""
    ticket = ticket_queries.customer_ticket_or_404(ticket_id, current_user)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_ticket(ticket, form, code=422)

    tickets.post_customer_reply(ticket, current_user, form.body.data)

    flash(_("回复已发送。"), "success")
    if is_htmx():
        return _render_ticket(ticket, updated=True)
    return see_other("customer.show_ticket", ticket_id=ticket.id)


@bp.post("/tickets/<int:ticket_id>/close")
@role_required("customer")
def close_ticket(ticket_id: int):
    """Close one of the customer's tickets."""
    ticket = ticket_queries.customer_ticket_or_404(ticket_id, current_user)

    tickets.close_ticket(ticket, current_user)

    flash(_("工单已关闭。"), "success")
    return see_other("customer.show_ticket", ticket_id=ticket.id)


@bp.post("/tickets/<int:ticket_id>/rating")
@role_required("customer")
def rate_ticket(ticket_id: int):
    """Rate a closed ticket from 1 to 5 with a comment, once."""
    ticket = ticket_queries.customer_ticket_or_404(ticket_id, current_user)
    form = RatingForm()
    if form.validate_on_submit():
        try:
            ticket_ratings.rate_ticket(
                ticket,
                current_user,
                score=form.score.data,
                comment=form.comment.data or "",
            )
        except (AlreadyRated, RatingNotAllowed, InvalidInput) as refusal:
            form.score.errors.append(str(refusal.message))
        else:
            flash(_("感谢您的评价。"), "success")
            return see_other("customer.show_ticket", ticket_id=ticket.id)
    return _render_ticket(ticket, rating_form=form, code=422)


@bp.post("/tickets/<int:ticket_id>/pushes/<int:push_id>/payment")
@role_required("customer")
def pay_push(ticket_id: int, push_id: int):
    """Pay a service an agent pushed into the customer's ticket, from the balance."""
    ticket = ticket_queries.customer_ticket_or_404(ticket_id, current_user)
    if not PayPushForm().validate_on_submit():
        return _render_ticket(ticket, code=422)

    try:
        pushes.pay(current_user, ticket, push_id)
    except InsufficientBalance as refusal:
        error = (push_id, refusal.message, refusal.shortfall)
        return _render_ticket(ticket, code=402, push_error=error)
    except PushNotPayable as refusal:
        error = (push_id, refusal.message, None)
        return _render_ticket(ticket, code=409, push_error=error)

    flash(_("支付成功，客服将尽快为您处理。"), "success")
    if is_htmx():
        return _render_ticket(ticket, updated=True)
    return see_other("customer.show_ticket", ticket_id=ticket.id)
