"""Checkout and orders: choose a product, price it live, place and pay.

Every amount shown comes from ``checkout.quote``; the form carries only
choices and the total the customer saw (``expected_total``), which the
service compares with its own price and never charges. Orders are loaded as
the customer's own (A1): anyone else's answers 404 on every route.
"""

from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from vas.customer import bp
from vas.customer.order_forms import CheckoutForm
from vas.customer.order_forms import OrderActionForm
from vas.services import checkout
from vas.services import matrix
from vas.services import vas_settings
from vas.services.checkout import CheckoutRefused
from vas.services.errors import InsufficientBalance
from vas.services.errors import VasError
from vas.web import paginate
from vas.web import reads_only
from vas.web import render
from vas.web import role_required
from vas.web import see_other

ORDER_KIND_LABELS = {
    "new": _l("新购"),
    "renewal": _l("续费"),
    "upgrade": _l("升级"),
}
ORDER_STATUS_LABELS = {
    "unpaid": _l("待支付"),
    "paid": _l("已支付"),
    "cancelled": _l("已取消"),
}
LINE_KIND_LABELS = {"server": _l("产品"), "vas": _l("增值服务")}
# Fields of the checkout form that show a refusal beside them.
CHECKOUT_FIELDS = ("months", "level_id", "promo_code")


@bp.get("/orders/new")
@role_required("customer")
def choose_product():
    """List the products a customer can order (选购产品)."""
    products = checkout.orderable_products()
    with_vas = {p.id for p in products if vas_settings.is_offered_on(p)}
    return render("customer/order_products.html", products=products, with_vas=with_vas)


@bp.get("/service-levels")
@role_required("customer")
def list_service_levels():
    """Show what each service level includes: the item × level matrix."""
    return render("customer/order_levels.html", matrix=matrix.load_matrix())


def _price(form: CheckoutForm, offer: checkout.Offer):
    """Quote the form's choices; a bad promo code is priced without it.

    Returns the quote (None when a cycle or level is refused) and the field
    errors, each placed beside its field by the template.
    """
    errors: dict[str, str] = {}
    promo_code = form.promo_code.data or ""
    for attempt in (promo_code, ""):
        try:
            quote = checkout.quote(
                offer.product,
                months=form.months.data,
                level_id=form.level_id.data,
                promo_code=attempt,
            )
        except CheckoutRefused as refusal:
            errors.setdefault(refusal.field, str(refusal.message))
            if refusal.field != "promo_code":
                return None, errors
        else:
            return quote, errors
    return None, errors


def _render_checkout(form, offer, *, code=200, errors=None, shortfall=None):
    """Render the checkout page, or only its summary for htmx.

    Errors go beside their fields; a refusal that names no field of the form
    (a price that moved, too little balance) shows in the summary.
    """
    shown = {name: str(messages[0]) for name, messages in form.errors.items()}
    quote, priced_errors = _price(form, offer)
    for name, message in priced_errors.items():
        shown.setdefault(name, message)
    for name, message in (errors or {}).items():
        shown[name if name in CHECKOUT_FIELDS else "payment"] = message
    return render(
        "customer/order_new.html",
        "customer/_order_summary.html",
        form=form,
        offer=offer,
        quote=quote,
        errors=shown,
        shortfall=shortfall,
        code=422 if code == 200 and shown else code,
    )


@bp.post("/orders/new/<int:product_id>/summary")
@reads_only
@role_required("customer")
def show_order_summary(product_id: int):
    """Price the checkout form as it stands and return only its summary."""
    offer = checkout.offer(product_id)
    form = CheckoutForm()
    form.fill_choices(offer)
    form.validate()  # fills the field errors; the summary shows what it can
    return _render_checkout(form, offer, code=200 if form.months.data else 422)


@bp.route("/orders/new/<int:product_id>", methods=["GET", "POST"])
@role_required("customer")
def create_order(product_id: int):
    """Check out a product: cycle, level, promo code; pay now or later."""
    offer = checkout.offer(product_id)
    form = CheckoutForm()
    form.fill_choices(offer)
    action = request.form.get("action") if request.method == "POST" else None
    if action not in ("pay", "later") or not form.validate_on_submit():
        return _render_checkout(form, offer, code=422 if form.errors else 200)

    try:
        order = checkout.place_order(
            current_user,
            product_id=offer.product.id,
            months=form.months.data,
            level_id=form.level_id.data,
            promo_code=form.promo_code.data or "",
            intent=form.intent.data,
            expected_total_cents=form.expected_total.data,
        )
        if action == "later":
            flash(_("订单已创建，请在我的订单中完成支付。"), "success")
            return see_other("customer.show_order", order_id=order.id)
        paid = checkout.pay_order(current_user, order.id)
    except CheckoutRefused as refusal:
        return _render_checkout(
            form, offer, code=422, errors={refusal.field: str(refusal.message)}
        )
    except InsufficientBalance as refusal:
        return _render_checkout(
            form,
            offer,
            code=refusal.status_code,
            errors={"payment": str(refusal.message)},
            shortfall=refusal.shortfall,
        )
    except VasError as refusal:
        return _render_checkout(
            form,
            offer,
            code=refusal.status_code,
            errors={"payment": str(refusal.message)},
        )

    flash(_("支付成功，产品已开通。"), "success")
    return see_other("customer.show_server", server_id=paid.server.id)


@bp.get("/orders")
@role_required("customer")
def list_orders():
    """List the customer's orders, newest first (我的订单)."""
    page = paginate(checkout.customer_orders(current_user))
    return render(
        "customer/orders.html",
        "customer/_orders_table.html",
        page=page,
        form=OrderActionForm(),
        kinds=ORDER_KIND_LABELS,
        statuses=ORDER_STATUS_LABELS,
    )


def _render_order(order, *, code=200, error=None, shortfall=None):
    return render(
        "customer/order.html",
        order=order,
        form=OrderActionForm(),
        kinds=ORDER_KIND_LABELS,
        statuses=ORDER_STATUS_LABELS,
        line_kinds=LINE_KIND_LABELS,
        error=error,
        shortfall=shortfall,
        code=code,
    )


@bp.get("/orders/<int:order_id>")
@role_required("customer")
def show_order(order_id: int):
    """Show one of the customer's orders with its priced lines."""
    return _render_order(checkout.own_order(current_user, order_id))


@bp.post("/orders/<int:order_id>/pay")
@role_required("customer")
def pay_order(order_id: int):
    """Pay an unpaid order from the balance; too little balance changes nothing."""
    order = checkout.own_order(current_user, order_id)
    if not OrderActionForm().validate_on_submit():
        return _render_order(order, code=422)

    try:
        paid = checkout.pay_order(current_user, order.id)
    except InsufficientBalance as refusal:
        return _render_order(
            order, code=402, error=refusal.message, shortfall=refusal.shortfall
        )
    except VasError as refusal:
        return _render_order(order, code=refusal.status_code, error=refusal.message)

    flash(_("支付成功，产品已开通。"), "success")
    return see_other("customer.show_server", server_id=paid.server.id)


@bp.post("/orders/<int:order_id>/cancel")
@role_required("customer")
def cancel_order(order_id: int):
    """Cancel one of the customer's unpaid orders."""
    order = checkout.own_order(current_user, order_id)
    if not OrderActionForm().validate_on_submit():
        return _render_order(order, code=422)

    try:
        checkout.cancel_order(current_user, order.id)
    except VasError as refusal:
        return _render_order(order, code=refusal.status_code, error=refusal.message)

    flash(_("订单已取消。"), "success")
    return see_other("customer.show_order", order_id=order.id)
