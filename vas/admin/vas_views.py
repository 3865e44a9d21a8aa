"""Views of the value-added services configuration (系统 / 服务 → 增值服务)."""

from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app
from flask import flash
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from vas.admin import bp
from vas.admin.vas_forms import CategoryForm
from vas.admin.vas_forms import ItemForm
from vas.admin.vas_forms import LevelForm
from vas.admin.vas_forms import NewItemForm
from vas.admin.vas_forms import PriceForm
from vas.admin.vas_forms import VasSettingsForm
from vas.models import ServiceCategory
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.money import from_cents
from vas.services import audit
from vas.services import items
from vas.services import levels
from vas.services import matrix
from vas.services import vas_settings
from vas.services.errors import InvalidInput
from vas.web import get_or_404
from vas.web import is_htmx
from vas.web import paginate
from vas.web import render
from vas.web import see_other


@bp.route("/settings/vas", methods=["GET", "POST"])
def edit_vas_settings():
    """Switch VAS on or off, choose its products and the free uses per order."""
    config = vas_settings.current()
    products = vas_settings.products_for_choice()
    form = VasSettingsForm(
        data={
            "enabled": config.enabled,
            "product_ids": list(config.product_ids),
            "free_uses": config.free_uses_per_order,
        }
        if request.method == "GET"
        else None
    )
    form.product_ids.choices = [
        SelectChoice(p.id, p.name, render_kw={"disabled": not p.is_vas_capable})
        for p in products
    ]

    if form.validate_on_submit():
        try:
            vas_settings.save(
                enabled=form.enabled.data,
                product_ids=form.product_ids.data or [],
                free_uses=form.free_uses.data,
                actor=current_user,
            )
        except InvalidInput as refusal:
            form.product_ids.errors.append(str(refusal.message))
        else:
            flash(_("增值服务设置已保存。"), "success")
            return see_other("admin.edit_vas_settings")
    return render(
        "admin/vas_settings.html",
        form=form,
        products=products,
        tip=vas_settings.free_use_tip(form.free_uses.data or 0),
        code=422 if form.errors else 200,
    )


@bp.get("/settings/vas/tip")
def preview_free_use_tip():
    """Render the purchase-page tip for a free-use count, as customers see it."""
    count = request.args.get("free_uses", 0, type=int) or 0
    return render(
        "admin/_vas_tip.html", tip=vas_settings.free_use_tip(max(0, min(count, 100)))
    )


@bp.get("/vas/levels")
def list_levels():
    """List service levels (服务等级), active and retired."""
    return render(
        "admin/vas_levels.html",
        levels=levels.list_levels(),
        limit=levels.MAX_EXTRA_ACTIVE,
    )


@bp.route("/vas/levels/new", methods=["GET", "POST"])
def create_level():
    """Add a service level; it starts with the 基础服务 prices."""
    form = LevelForm()
    if form.validate_on_submit():
        try:
            levels.create_level(
                name=form.name.data,
                monthly_price=form.monthly_price.data,
                description=form.description.data or "",
                actor=current_user,
            )
        except levels.LevelNameTaken as refusal:
            form.name.errors.append(str(refusal.message))
        except levels.LevelLimitReached as refusal:
            flash(str(refusal.message), "error")
            return render("admin/vas_level_form.html", form=form, level=None, code=409)
        else:
            flash(_("服务等级已添加。"), "success")
            return see_other("admin.list_levels")
    return render("admin/vas_level_form.html", form=form, level=None, code=_code(form))


@bp.route("/vas/levels/<int:level_id>/edit", methods=["GET", "POST"])
def edit_level(level_id: int):
    """Change a level's name, monthly price or description."""
    level = get_or_404(ServiceLevel, level_id)
    form = LevelForm(obj=level)
    if request.method == "GET":
        form.monthly_price.data = from_cents(level.monthly_price_cents)

    if form.validate_on_submit():
        try:
            levels.update_level(
                level,
                name=form.name.data,
                monthly_price=form.monthly_price.data,
                description=form.description.data or "",
                actor=current_user,
            )
        except levels.LevelNameTaken as refusal:
            form.name.errors.append(str(refusal.message))
        except levels.DefaultLevelFixed as refusal:
            form.monthly_price.errors.append(str(refusal.message))
        else:
            flash(_("服务等级已保存。"), "success")
            return see_other("admin.list_levels")
    return render("admin/vas_level_form.html", form=form, level=level, code=_code(form))


def _code(form) -> int:
    return 422 if form.errors else 200


@bp.post("/vas/levels/<int:level_id>/move")
def move_level(level_id: int):
    """Move a level one place up or down in the display order."""
    level = get_or_404(ServiceLevel, level_id)
    levels.move_level(
        level, up=request.form.get("direction") == "up", actor=current_user
    )
    return see_other("admin.list_levels")


@bp.post("/vas/levels/<int:level_id>/retire")
def retire_level(level_id: int):
    """Stop selling a level; history keeps it."""
    level = get_or_404(ServiceLevel, level_id)
    levels.retire_level(level, actor=current_user)
    flash(_("服务等级“%(name)s”已停用。", name=level.name), "success")
    return see_other("admin.list_levels")


@bp.post("/vas/levels/<int:level_id>/activate")
def activate_level(level_id: int):
    """Sell a retired level again."""
    level = get_or_404(ServiceLevel, level_id)
    try:
        levels.activate_level(level, actor=current_user)
    except levels.LevelLimitReached as refusal:
        flash(str(refusal.message), "error")
        return render(
            "admin/vas_levels.html",
            levels=levels.list_levels(),
            limit=levels.MAX_EXTRA_ACTIVE,
            code=409,
        )
    flash(_("服务等级“%(name)s”已启用。", name=level.name), "success")
    return see_other("admin.list_levels")


@bp.get("/vas/items")
def list_items():
    """List categories and their items (服务项目)."""
    return render("admin/vas_items.html", categories=items.list_categories())


@bp.route("/vas/categories/new", methods=["GET", "POST"])
def create_category():
    """Add a category of items."""
    return _save_category(None)


@bp.route("/vas/categories/<int:category_id>/edit", methods=["GET", "POST"])
def edit_category(category_id: int):
    """Rename, reorder or retire a category."""
    return _save_category(get_or_404(ServiceCategory, category_id))


def _save_category(category: ServiceCategory | None):
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            items.save_category(
                category,
                name=form.name.data,
                sort_order=form.sort_order.data or 0,
                is_active=form.is_active.data,
                actor=current_user,
            )
        except items.NameTaken as refusal:
            form.name.errors.append(str(refusal.message))
        else:
            flash(_("服务分类已保存。"), "success")
            return see_other("admin.list_items")
    return render(
        "admin/vas_category_form.html", form=form, category=category, code=_code(form)
    )


def _category_choices(form: ItemForm) -> None:
    form.category_id.choices = [
        SelectChoice(c.id, c.name) for c in items.list_categories()
    ]


@bp.route("/vas/items/new", methods=["GET", "POST"])
def create_item():
    """Add an item, priced at its 基础服务 price in every level."""
    form = NewItemForm(category_id=request.args.get("category_id", type=int))
    _category_choices(form)
    if form.validate_on_submit():
        try:
            items.create_item(
                category=get_or_404(ServiceCategory, form.category_id.data),
                name=form.name.data,
                description=form.description.data or "",
                sort_order=form.sort_order.data or 0,
                base_price=form.base_price.data,
                actor=current_user,
            )
        except items.NameTaken as refusal:
            form.name.errors.append(str(refusal.message))
        else:
            flash(_("服务项目已添加。"), "success")
            return see_other("admin.list_items")
    return render("admin/vas_item_form.html", form=form, item=None, code=_code(form))


@bp.route("/vas/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id: int):
    """Change an item's name, category, description or order."""
    item = get_or_404(ServiceItem, item_id)
    form = ItemForm(obj=item)
    _category_choices(form)
    if form.validate_on_submit():
        try:
            items.update_item(
                item,
                category=get_or_404(ServiceCategory, form.category_id.data),
                name=form.name.data,
                description=form.description.data or "",
                sort_order=form.sort_order.data or 0,
                actor=current_user,
            )
        except items.NameTaken as refusal:
            form.name.errors.append(str(refusal.message))
        else:
            flash(_("服务项目已保存。"), "success")
            return see_other("admin.list_items")
    return render("admin/vas_item_form.html", form=form, item=item, code=_code(form))


@bp.post("/vas/items/<int:item_id>/retire")
def retire_item(item_id: int):
    """Stop offering an item; history keeps it."""
    item = items.set_item_active(
        get_or_404(ServiceItem, item_id), False, actor=current_user
    )
    flash(_("服务项目“%(name)s”已停用。", name=item.name), "success")
    return see_other("admin.list_items")


@bp.post("/vas/items/<int:item_id>/activate")
def activate_item(item_id: int):
    """Offer a retired item again."""
    item = items.set_item_active(
        get_or_404(ServiceItem, item_id), True, actor=current_user
    )
    flash(_("服务项目“%(name)s”已启用。", name=item.name), "success")
    return see_other("admin.list_items")


@bp.get("/vas/matrix")
def edit_matrix():
    """Show the price matrix (服务管理): items by category against levels."""
    return render("admin/vas_matrix.html", matrix=matrix.load_matrix())


@bp.get("/vas/prices/<int:item_id>/<int:level_id>")
def edit_price(item_id: int, level_id: int):
    """Open the editor of one matrix cell (a page without htmx)."""
    cell = matrix.get_cell(item_id, level_id)
    form = PriceForm(version=cell.version)
    form.price.data = from_cents(cell.price_cents)
    return _render_editor(cell, form)


def _render_editor(cell, form, code: int = 200, message: str | None = None):
    return render(
        "admin/vas_price_edit.html",
        "admin/_vas_cell_editor.html",
        cell=cell,
        item=get_or_404(ServiceItem, cell.item_id),
        level=get_or_404(ServiceLevel, cell.level_id),
        form=form,
        message=message,
        code=code,
    )


@bp.post("/vas/prices/<int:item_id>/<int:level_id>")
def update_price(item_id: int, level_id: int):
    """Save one matrix cell; a stale edit is refused, not applied."""
    cell = matrix.get_cell(item_id, level_id)
    form = PriceForm()
    if not form.validate_on_submit() or not str(form.version.data).isdigit():
        return _render_editor(cell, form, code=422)

    try:
        cell = matrix.set_price(
            cell, form.price.data, version=int(form.version.data), actor=current_user
        )
    except matrix.StalePrice as refusal:
        fresh = PriceForm(formdata=None, version=refusal.current.version)
        fresh.price.data = from_cents(refusal.current.price_cents)
        return _render_editor(refusal.current, fresh, 409, str(refusal.message))

    if not is_htmx():
        flash(_("价格已保存。"), "success")
        return see_other("admin.edit_matrix")
    headers = {"HX-Retarget": f"#cell-{item_id}-{level_id}", "HX-Reswap": "outerHTML"}
    return render_template("admin/_vas_cell.html", cell=cell), 200, headers


@bp.get("/audit")
def list_audit_entries():
    """List the audit log (操作日志) with filters."""
    filters = audit.AuditFilter(
        subject_type=request.args.get("subject") or None,
        actor_id=request.args.get("actor_id", type=int),
        since=_date_arg("since"),
        until=_date_arg("until"),
    )
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    page = paginate(audit.entries_query(filters, zone), per_page=30)
    return render(
        "admin/audit.html",
        "admin/_audit_table.html",
        page=page,
        filters=filters,
        actors=audit.actors(),
        decoded=audit.decoded,
    )


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
