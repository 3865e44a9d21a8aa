"""Views of the admin back office; every route is for admins only."""

from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from vas.admin import bp
from vas.admin.forms import AdjustBalanceForm
from vas.admin.forms import ProductForm
from vas.admin.forms import ServerForm
from vas.models import LEDGER_CAUSES
from vas.models import Product
from vas.models import Server
from vas.models import User
from vas.models.catalog import CYCLE_MONTHS
from vas.money import from_cents
from vas.services import accounts
from vas.services import catalog
from vas.services import customers
from vas.services import reports
from vas.services import servers
from vas.services.errors import InsufficientBalance
from vas.services.errors import InvalidInput
from vas.web import get_or_404
from vas.web import paginate
from vas.web import render
from vas.web import role_required
from vas.web import see_other


@bp.before_request
@role_required("admin")
def require_admin():
    """Keep every admin page for admins."""


@bp.get("/")
def dashboard():
    """Show the admin home page (首页) with today's figures."""
    return render("admin/dashboard.html", figures=reports.admin_figures())


@bp.get("/customers")
def list_customers():
    """List customers (会员), searchable by ID, email or name."""
    keyword = request.args.get("q", "")
    page = paginate(customers.customers_query(keyword))
    return render(
        "admin/customers.html", "admin/_customers_table.html", page=page, q=keyword
    )


@bp.get("/customers/<int:customer_id>")
def show_customer(customer_id: int):
    """Show one customer: balance, servers and ledger history."""
    customer = get_or_404(User, customer_id, role="customer")
    return _render_customer(customer, AdjustBalanceForm())


def _render_customer(customer: User, form: AdjustBalanceForm, status: int = 200):
    page = paginate(customers.ledger_query(customer.id), per_page=15)
    return render(
        "admin/customer.html",
        customer=customer,
        servers=servers.customer_servers(customer),
        page=page,
        form=form,
        code=status,
    )


@bp.post("/customers/<int:customer_id>/adjustments")
def adjust_balance(customer_id: int):
    """Credit or debit a customer's balance with a written reason."""
    customer = get_or_404(User, customer_id, role="customer")
    form = AdjustBalanceForm()
    if not form.validate_on_submit():
        return _render_customer(customer, form, status=422)

    amount = form.amount.data if form.direction.data == "credit" else -form.amount.data
    try:
        posting = accounts.adjust_balance(
            customer,
            amount,
            reason=form.reason.data,
            actor=current_user,
            intent=form.intent.data,
        )
    except InsufficientBalance as refusal:
        form.amount.errors.append(str(refusal.message))
        return _render_customer(customer, form, status=422)
    if posting.replayed:
        flash(_("该调整已经提交过，未重复执行。"), "info")
    else:
        flash(_("余额已调整。"), "success")
    return see_other("admin.show_customer", customer_id=customer.id)


@bp.get("/ledger")
def list_ledger_entries():
    """List ledger entries of all customers (余额流水)."""
    customer_id = request.args.get("customer_id", type=int)
    cause = (
        request.args.get("cause")
        if request.args.get("cause") in LEDGER_CAUSES
        else None
    )
    page = paginate(customers.all_ledger_query(customer_id, cause), per_page=30)
    return render(
        "admin/ledger.html",
        page=page,
        customer_id=customer_id,
        cause=cause,
        causes=LEDGER_CAUSES,
    )


@bp.get("/payments")
def list_payments():
    """List top-up payments (充值记录)."""
    status = request.args.get("status")
    status = status if status in ("pending", "paid", "failed") else None
    page = paginate(customers.all_payments_query(status), per_page=30)
    return render("admin/payments.html", page=page, status=status)


@bp.get("/servers")
def list_servers():
    """List servers (业务), filtered by customer, status or keyword."""
    filters = servers.ServerFilter(
        customer_id=request.args.get("customer_id", type=int),
        status=request.args.get("status") or None,
        keyword=request.args.get("q") or None,
    )
    page = paginate(servers.servers_query(filters))
    return render(
        "admin/servers.html", "admin/_servers_table.html", page=page, filters=filters
    )


@bp.route("/servers/<int:server_id>/edit", methods=["GET", "POST"])
def edit_server(server_id: int):
    """Change a server's due date and status."""
    server = get_or_404(Server, server_id)
    form = ServerForm(obj=server)
    if form.validate_on_submit():
        try:
            servers.update_server(
                server,
                due_date=form.due_date.data,
                status=form.status.data,
                actor=current_user,
            )
        except InvalidInput as refusal:
            form.status.errors.append(str(refusal.message))
        else:
            flash(_("服务器已更新。"), "success")
            return see_other("admin.list_servers")
    return render(
        "admin/server_edit.html",
        form=form,
        server=server,
        code=422 if form.errors else 200,
    )


@bp.get("/products")
def list_products():
    """List products of every type with their cycles."""
    return render("admin/products.html", products=catalog.list_products())


@bp.route("/products/new", methods=["GET", "POST"])
def create_product():
    """Add a product to the catalogue."""
    return _edit_product(None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def edit_product(product_id: int):
    """Edit a product and its billing cycles."""
    return _edit_product(get_or_404(Product, product_id))


def _edit_product(product: Product | None):
    form = ProductForm(obj=product)
    if product is not None and request.method == "GET":
        enabled = {c.months: c.discount_percent for c in product.cycles if c.is_enabled}
        for months in CYCLE_MONTHS:
            getattr(form, f"cycle_{months}").data = enabled.get(months)
        form.monthly_price.data = from_cents(product.monthly_price_cents)

    if form.validate_on_submit():
        catalog.save_product(
            product,
            name=form.name.data,
            type=form.type.data,
            monthly_price=form.monthly_price.data,
            description=form.description.data or "",
            is_active=form.is_active.data,
            sort_order=form.sort_order.data or 0,
            cycle_discounts={m: getattr(form, f"cycle_{m}").data for m in CYCLE_MONTHS},
        )
        flash(_("产品已保存。"), "success")
        return see_other("admin.list_products")
    return render(
        "admin/product_edit.html",
        form=form,
        product=product,
        cycle_months=CYCLE_MONTHS,
        code=422 if form.errors else 200,
    )
