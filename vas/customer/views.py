"""Views of the customer area; every object is loaded as the customer's own."""

from flask import redirect
from flask import url_for
from flask_login import current_user

from vas.customer import bp
from vas.customer.forms import TopUpForm
from vas.services import customers
from vas.services import payments
from vas.services import servers
from vas.web import paginate
from vas.web import render
from vas.web import role_required


@bp.get("/dashboard")
@role_required("customer")
def dashboard():
    """Show the customer's balance, servers due soon and latest movements."""
    overview = customers.overview(current_user)
    return render("customer/dashboard.html", overview=overview)


@bp.get("/servers")
@role_required("customer")
def list_servers():
    """List the customer's servers with their due dates (我的产品)."""
    return render(
        "customer/servers.html", servers=servers.customer_servers(current_user)
    )


@bp.get("/balance")
@role_required("customer")
def show_balance():
    """Show the balance and its ledger history with causes."""
    page = paginate(customers.ledger_query(current_user.id), per_page=20)
    return render(
        "customer/balance.html",
        "customer/_ledger.html",
        page=page,
        topups=customers.recent_payments(current_user.id),
    )


@bp.route("/balance/top-ups", methods=["GET", "POST"])
@role_required("customer")
def create_topup():
    """Start a top-up and hand over to the payment gateway."""
    form = TopUpForm()
    if form.validate_on_submit():
        payment = payments.start_topup(current_user, form.amount.data, form.intent.data)
        return redirect(url_for("payments.show_sandbox", payment_id=payment.id), 303)
    return render("customer/topup.html", form=form, code=422 if form.errors else 200)
