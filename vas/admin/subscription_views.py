"""Views of the subscriptions list (业务列表 / 已开通服务) and VAS refunds."""

from datetime import date

from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from vas.admin import bp
from vas.admin.subscription_forms import RefundForm
from vas.admin.subscription_forms import SubscriptionFilterForm
from vas.extensions import db
from vas.services import subscription_queries
from vas.services import vas_refunds
from vas.services.errors import AlreadyRefunded
from vas.services.subscriptions import EVENT_LABELS
from vas.services.subscriptions import SOURCE_LABELS
from vas.services.subscriptions import STATUS_LABELS
from vas.web import render
from vas.web import see_other

PER_PAGE = 20


def _filter_form() -> SubscriptionFilterForm:
    form = SubscriptionFilterForm(formdata=request.args)
    form.set_levels(subscription_queries.level_choices())
    form.validate()
    return form


@bp.get("/vas/subscriptions")
def list_subscriptions():
    """List subscriptions (业务列表) with filters, newest first."""
    form = _filter_form()
    page = subscription_queries.list_page(form.filters(), per_page=PER_PAGE)
    return render(
        "admin/subscriptions.html",
        "admin/_subscriptions_table.html",
        page=page,
        form=form,
        status_labels=STATUS_LABELS,
    )


@bp.get("/vas/subscriptions.csv")
def export_subscriptions():
    """Download the filtered subscriptions list as CSV, for Excel."""
    form = _filter_form()
    lines = subscription_queries.export_csv(form.filters())
    filename = f"subscriptions-{date.today():%Y%m%d}.csv"
    return Response(
        _in_own_context(current_app._get_current_object(), lines),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/vas/subscriptions/<int:subscription_id>")
def show_subscription(subscription_id: int):
    """Show one subscription: records, free uses, history and VAS charges."""
    return _render_subscription(_load(subscription_id))


@bp.post("/vas/subscriptions/<int:subscription_id>/charges/<int:entry_id>/refund")
def refund_charge(subscription_id: int, entry_id: int):
    """Refund the VAS part of one charge, with the admin's written reason."""
    subscription = _load(subscription_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return _render_subscription(subscription, entry_id, form, code=422)

    try:
        vas_refunds.refund_charge(
            subscription.id, entry_id, reason=form.reason.data, actor=current_user
        )
    except AlreadyRefunded as refusal:
        # A refund that lost a race leaves a failed flush behind; start clean
        # before the page reads again (the boundary rolls back a 409 anyway).
        db.session.rollback()
        flash(str(refusal.message), "error")
        return _render_subscription(subscription, code=409)
    flash(_("已退款，退款已记入客户余额。"), "success")
    return see_other("admin.show_subscription", subscription_id=subscription.id)


def _in_own_context(app, lines):
    # The body streams after the request is done, so it reads the database
    # through an app context (and a session) of its own.
    with app.app_context():
        yield from lines


def _load(subscription_id: int):
    subscription = subscription_queries.load_subscription(subscription_id)
    if subscription is None:
        abort(404)
    return subscription


def _render_subscription(subscription, entry_id=None, form=None, code=200):
    return render(
        "admin/subscription.html",
        detail=subscription_queries.detail(subscription),
        refund_entry_id=entry_id,
        refund_form=form,
        blank_form=RefundForm(formdata=None),
        status_labels=STATUS_LABELS,
        event_labels=EVENT_LABELS,
        source_labels=SOURCE_LABELS,
        code=code,
    )
