"""The customer's tickets: open, read, reply, close and rate.

Every ticket is loaded as the customer's own (A1): another customer's ticket
answers 404 on the page, its fragment and every action. Private replies are
never loaded here.
"""

from flask import flash
from flask_babel import gettext as _
from flask_login import current_user

from vas.customer import bp
from vas.customer.ticket_forms import RatingForm
from vas.customer.ticket_forms import ReplyForm
from vas.customer.ticket_forms import TicketForm
from vas.models import Ticket
from vas.services import departments
from vas.services import servers
from vas.services import ticket_queries
from vas.services import ticket_ratings
from vas.services import tickets
from vas.services.errors import InvalidInput
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


@bp.route("/tickets/new", methods=["GET", "POST"])
@role_required("customer")
def create_ticket():
    """Open a ticket: department, related server, subject and description."""
    form = TicketForm()
    form.fill_choices(
        departments.list_departments(), servers.customer_servers(current_user)
    )
    if form.validate_on_submit():
        try:
            ticket = tickets.open_ticket(
                current_user,
                department_id=form.department.data,
                server_id=form.server.data,
                subject=form.subject.data,
                body=form.body.data,
            )
        except DepartmentUnavailable as refusal:
            form.department.errors.append(str(refusal.message))
        except InvalidInput as refusal:
            form.server.errors.append(str(refusal.message))
        else:
            flash(_("工单已提交，我们会尽快回复。"), "success")
            return see_other("customer.show_ticket", ticket_id=ticket.id)
    return render(
        "customer/ticket_new.html", form=form, code=422 if form.errors else 200
    )


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
):
    return render(
        "customer/ticket.html",
        "customer/_ticket_conversation.html",
        ticket=ticket,
        thread=ticket_queries.thread(ticket, include_private=False),
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
