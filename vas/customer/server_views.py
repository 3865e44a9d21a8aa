"""The product detail page (用户详情页): a server, its level, changes, renewal.

The server is loaded as the customer's own (A1) on the page, the preview
fragment and every action; another customer's server answers 404 and
nothing changes. Charges are priced by the services; the forms only carry
what the customer was shown, to refuse a price that moved.
"""

from flask import abort
from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from vas.customer import bp
from vas.customer.order_forms import AutoRenewForm
from vas.customer.order_forms import LevelChangeForm
from vas.customer.order_forms import RenewForm
from vas.extensions import db
from vas.models import Server
from vas.models import ServiceLevel
from vas.money import format_money
from vas.services import clock
from vas.services import matrix
from vas.services import renewals
from vas.services import subscriptions
from vas.services.errors import InsufficientBalance
from vas.services.errors import VasError
from vas.web import get_or_404
from vas.web import render
from vas.web import role_required
from vas.web import see_other


def _render_server(
    server: Server,
    *,
    fragment: str | None = None,
    code: int = 200,
    change=None,
    change_error=None,
    change_form=None,
    renew_error=None,
    shortfall=None,
):
    subscription = subscriptions.for_server(server.id)
    # The matrix first: it loads every active level, so the subscription's
    # level is then found in the session instead of by one more query.
    price_matrix = matrix.load_matrix() if subscription else None
    try:
        renewal = renewals.quote_renewal(server, subscription=subscription)
    except VasError:
        renewal = None
    return render(
        "customer/server.html",
        fragment,
        server=server,
        subscription=subscription,
        free_uses=subscriptions.free_uses_left(subscription.id) if subscription else 0,
        status_labels=subscriptions.STATUS_LABELS,
        matrix=price_matrix,
        can_request=bool(subscription and subscription.is_live_on(clock.today())),
        renewal=renewal,
        renew_form=RenewForm(formdata=None),
        change=change,
        change_error=change_error,
        change_form=change_form,
        renew_error=renew_error,
        shortfall=shortfall,
        code=code,
    )


@bp.get("/servers/<int:server_id>")
@role_required("customer")
def show_server(server_id: int):
    """Show one of the customer's servers with its level, matrix and renewal."""
    return _render_server(renewals.own_server(current_user, server_id))


def _own_subscription(server: Server):
    subscription = subscriptions.for_server(server.id)
    if subscription is None:
        abort(404)  # a server without VAS has no level to change
    return subscription


def _refused(server: Server, refusal: VasError, **context):
    """Re-render the page after a refused change, as the database still has it.

    The request rolls back at its boundary anyway; rolling back first keeps
    the page from showing what the refused work had already moved in this
    session (a renewal moves the due date before the debit is refused).
    """
    db.session.rollback()
    if isinstance(refusal, InsufficientBalance):
        context["shortfall"] = refusal.shortfall
    return _render_server(server, code=refusal.status_code, **context)


@bp.get("/servers/<int:server_id>/level-change")
@role_required("customer")
def preview_level_change(server_id: int):
    """Show what moving to another level costs and when it applies."""
    server = renewals.own_server(current_user, server_id)
    subscription = _own_subscription(server)
    level = get_or_404(ServiceLevel, request.args.get("level_id", 0, type=int))

    try:
        change = subscriptions.quote_change(subscription, level)
    except VasError as refusal:
        return _render_server(
            server,
            fragment="customer/_level_change.html",
            change_error=refusal.message,
        )
    form = LevelChangeForm(
        formdata=None, level_id=level.id, expected_cents=change.charge_cents
    )
    return _render_server(
        server, fragment="customer/_level_change.html", change=change, change_form=form
    )


@bp.post("/servers/<int:server_id>/level-change")
@role_required("customer")
def change_level(server_id: int):
    """Upgrade now (charged for the rest of the period) or downgrade at renewal."""
    server = renewals.own_server(current_user, server_id)
    subscription = _own_subscription(server)
    form = LevelChangeForm()
    if not form.validate_on_submit():
        return _render_server(server, code=422, change_error=_("请重新选择服务等级。"))

    try:
        change = subscriptions.change_level(
            current_user,
            subscription.id,
            form.level_id.data,
            intent=form.intent.data,
            expected_cents=form.expected_cents.data,
        )
    except VasError as refusal:
        return _refused(server, refusal, change_error=refusal.message)

    flash(_level_change_message(change, server), "success")
    return see_other("customer.show_server", server_id=server.id)


def _level_change_message(change, server: Server) -> str:
    if change.kind == "upgrade":
        return _(
            "已升级为 %(level)s，扣费 %(amount)s。",
            level=change.level.name,
            amount=format_money(change.charge_cents),
        )
    if change.kind == "downgrade":
        return _(
            "已预约在 %(date)s 续费时改为 %(level)s。",
            date=server.due_date.isoformat(),
            level=change.level.name,
        )
    return _("已取消预约降级，保持 %(level)s。", level=change.level.name)


@bp.post("/servers/<int:server_id>/auto-renew")
@role_required("customer")
def set_auto_renew(server_id: int):
    """Switch automatic renewal (by the sync job, from the balance) on or off."""
    server = renewals.own_server(current_user, server_id)
    form = AutoRenewForm()
    if not form.validate_on_submit():
        return _render_server(server, code=422, renew_error=_("请刷新页面后重试。"))

    try:
        renewals.set_auto_renew(current_user, server.id, form.auto_renew.data == "1")
    except VasError as refusal:
        return _refused(server, refusal, renew_error=refusal.message)

    flash(
        _("已开启自动续费。") if server.auto_renew else _("已关闭自动续费。"), "success"
    )
    return see_other("customer.show_server", server_id=server.id)


@bp.post("/servers/<int:server_id>/renew")
@role_required("customer")
def renew_server(server_id: int):
    """Renew a server and its level for one billing cycle, from the balance."""
    server = renewals.own_server(current_user, server_id)
    form = RenewForm()
    if not form.validate_on_submit():
        return _render_server(server, code=422, renew_error=_("请刷新页面后重试。"))

    try:
        renewals.renew(
            server, actor=current_user, expected_total_cents=form.expected_total.data
        )
    except VasError as refusal:
        return _refused(server, refusal, renew_error=refusal.message)

    flash(
        _("续费成功，新的到期日为 %(date)s。", date=server.due_date.isoformat()),
        "success",
    )
    return see_other("customer.show_server", server_id=server.id)
