"""Views of the payment gateways.

The notification endpoint is called by the gateway, not by a browser: it is
exempt from CSRF and authenticated by the gateway's signature instead.
"""

import logging

from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SubmitField

from vas.extensions import csrf
from vas.extensions import limiter
from vas.forms import Form
from vas.models import Payment
from vas.payments import bp
from vas.services import payments
from vas.web import get_or_404
from vas.web import render
from vas.web import role_required

logger = logging.getLogger(__name__)


class SandboxPayForm(Form):
    succeed = SubmitField(_l("支付成功"))
    fail = SubmitField(_l("支付失败"))


@bp.get("/sandbox/<int:payment_id>")
@role_required("customer")
def show_sandbox(payment_id: int):
    """Show the sandbox gateway's page for one of the customer's payments."""
    payment = get_or_404(Payment, payment_id, customer_id=current_user.id)
    return render("payments/sandbox.html", payment=payment, form=SandboxPayForm())


@bp.post("/sandbox/<int:payment_id>")
@role_required("customer")
def settle_sandbox(payment_id: int):
    """Let the sandbox gateway settle the payment and notify us, as a real one."""
    payment = get_or_404(Payment, payment_id, customer_id=current_user.id)
    form = SandboxPayForm()
    if not form.validate_on_submit():
        return redirect(url_for("payments.show_sandbox", payment_id=payment.id), 303)

    notification = payments.get_gateway(payments.SANDBOX).settle(
        payment, succeed=bool(form.succeed.data)
    )
    payment = payments.handle_notification(payments.SANDBOX, notification)
    if payment.status == "paid":
        flash(_("充值成功，余额已到账。"), "success")
    else:
        flash(_("支付未完成，余额未变动。"), "warning")
    return redirect(url_for("customer.show_balance"), 303)


@bp.post("/notify/<gateway>")
@csrf.exempt
@limiter.limit("120 per minute")
def receive_notification(gateway: str):
    """Apply a signed notification from a payment gateway."""
    payments.handle_notification(gateway, request.form.to_dict())
    return "success", 200, {"Content-Type": "text/plain; charset=utf-8"}
