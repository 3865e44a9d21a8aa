"""VAS configuration: the switch, eligible products, free uses, levels, items, audit."""

import pytest
import sqlalchemy as sa

from tests.sweep import snapshot
from vas.extensions import db
from vas.models import AuditEntry
from vas.models import ItemPrice
from vas.models import ServiceItem
from vas.models import ServiceLevel
from vas.services import settings

BAD_PRICES = [
    ("",       "empty"),
    ("-1",     "negative"),
    ("abc",    "letters"),
    ("1e3",    "exponent"),
    ("NaN",    "nan"),
    ("1.005",  "three places"),
    ("100001", "too large"),
]  # fmt: skip


@pytest.fixture
def admin_client(client, make_admin):
    admin = make_admin()
    client.login(admin.email)
    client.admin_id = admin.id
    return client


def _audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


def _levels(app) -> list[tuple[str, int, bool, bool]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                ServiceLevel.name,
                ServiceLevel.monthly_price_cents,
                ServiceLevel.is_default,
                ServiceLevel.is_active,
            ).order_by(ServiceLevel.id)
        )
        return [tuple(row) for row in rows]


def test_switching_on_creates_the_free_default_level_once(
    app, admin_client, make_product
):
    cloud = make_product(type="cloud")
    metal = make_product(type="bare_metal")
    form = {"enabled": "y", "product_ids": [cloud.id, metal.id], "free_uses": "1"}

    first = admin_client.post("/admin/settings/vas", form)
    again = admin_client.post("/admin/settings/vas", dict(form, free_uses="2"))

    assert (first.status_code, again.status_code) == (303, 303)
    assert _levels(app) == [("基础服务", 0, True, True)]
    with app.app_context():
        assert settings.get("vas.enabled") is True
        assert settings.get("vas.product_ids") == sorted([cloud.id, metal.id])
        assert settings.get("vas.free_uses_per_order") == 2


@pytest.mark.parametrize("product_type", ["web_hosting", "domain"])
def test_only_cloud_and_bare_metal_products_can_carry_vas(
    app, admin_client, make_product, product_type
):
    other = make_product(type=product_type)
    before = snapshot(app)

    response = admin_client.post(
        "/admin/settings/vas",
        {"enabled": "y", "product_ids": [other.id], "free_uses": "0"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "只有云服务器和裸金属服务器产品可以开通增值服务" in html
    assert snapshot(app) == before


def test_ineligible_products_are_shown_disabled_with_the_reason(
    admin_client, make_product
):
    hosting = make_product(type="web_hosting", name="Shared hosting")

    html = admin_client.get("/admin/settings/vas").get_data(as_text=True)

    assert (
        f'id="product-{hosting.id}" name="product_ids" value="{hosting.id}" disabled'
        in html
    )
    assert "仅云服务器和裸金属服务器可开通增值服务" in html


@pytest.mark.parametrize("value", ["", "-1", "abc", "1.5", "101"])
def test_free_uses_must_be_a_whole_number_from_0_to_100(app, admin_client, value):
    before = snapshot(app)

    response = admin_client.post("/admin/settings/vas", {"free_uses": value})

    assert response.status_code == 422
    assert "field__error" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        ("0", "购买页不显示提示"),
        ("3", "购买即赠送 3 次免费增值服务"),
    ],
)
def test_free_use_tip_is_previewed(make_client, make_admin, count, shown):
    htmx = make_client(htmx=True)
    htmx.login(make_admin().email)

    response = htmx.get(f"/admin/settings/vas/tip?free_uses={count}")

    assert response.status_code == 200
    assert shown in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        ("1", "comes with 1 free value-added service use (given per order)"),
        ("3", "comes with 3 free value-added service uses (given per order)"),
    ],
)
def test_free_use_tip_counts_one_or_many_in_english(
    make_client, make_admin, count, shown
):
    htmx = make_client(htmx=True)
    htmx.login(make_admin().email)
    htmx.post("/language", {"locale": "en", "next": "/admin/"})

    response = htmx.get(f"/admin/settings/vas/tip?free_uses={count}")

    assert shown in response.get_data(as_text=True)


def test_every_committed_setting_change_writes_one_audit_row(app, admin_client):
    admin_client.post("/admin/settings/vas", {"free_uses": "2"})

    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry)).all()
        assert [(e.action, e.subject_id, e.before, e.after) for e in entries] == [
            ("setting.update", "vas.free_uses_per_order", "0", "2")
        ]
        assert entries[0].actor_id == admin_client.admin_id

    admin_client.post("/admin/settings/vas", {"free_uses": "2"})  # no change
    assert _audit_count(app) == 1


def _new_level(client, name, price="50.00", description=""):
    return client.post(
        "/admin/vas/levels/new",
        {"name": name, "monthly_price": price, "description": description},
    )


def test_four_levels_besides_the_default_and_no_fifth(app, admin_client):
    statuses = [_new_level(admin_client, f"L{n}").status_code for n in range(4)]
    audits = _audit_count(app)

    fifth = _new_level(admin_client, "L5")

    assert statuses == [303] * 4
    assert fifth.status_code == 409
    assert "最多只能同时启用 4 个服务等级" in fifth.get_data(as_text=True)
    assert len(_levels(app)) == 5
    assert _audit_count(app) == audits


def test_a_retired_level_frees_a_place_and_cannot_come_back_when_full(
    app, admin_client
):
    for n in range(4):
        _new_level(admin_client, f"L{n}")
    with app.app_context():
        first = db.session.scalar(
            sa.select(ServiceLevel.id).where(ServiceLevel.name == "L0")
        )

    retired = admin_client.post(f"/admin/vas/levels/{first}/retire")
    added = _new_level(admin_client, "L4")
    refused = admin_client.post(f"/admin/vas/levels/{first}/activate")

    assert (retired.status_code, added.status_code, refused.status_code) == (
        303,
        303,
        409,
    )
    assert ("L0", 5000, False, False) in _levels(app)
    html = admin_client.get("/admin/vas/levels").get_data(as_text=True)
    assert "L0" in html and "已停用" in html


def test_the_default_level_cannot_be_retired_or_priced(app, admin_client):
    _new_level(admin_client, "L1")
    with app.app_context():
        base = db.session.scalar(
            sa.select(ServiceLevel.id).where(ServiceLevel.is_default)
        )
    audits = _audit_count(app)

    retire = admin_client.post(f"/admin/vas/levels/{base}/retire")
    price = admin_client.post(
        f"/admin/vas/levels/{base}/edit", {"name": "基础服务", "monthly_price": "10"}
    )

    assert retire.status_code == 409
    assert price.status_code == 422
    assert "月价格固定为 ¥0.00" in price.get_data(as_text=True)
    assert ("基础服务", 0, True, True) in _levels(app)
    assert _audit_count(app) == audits


def test_the_database_refuses_a_priced_or_retired_default_level(app, make_admin):
    from tests.factories import vas_catalog

    admin = make_admin()
    with app.app_context():
        vas_catalog(admin_id=admin.id)
        db.session.commit()
        for values in ({"monthly_price_cents": 100}, {"is_active": False}):
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(
                    sa.update(ServiceLevel)
                    .where(ServiceLevel.is_default)
                    .values(**values)
                )
            db.session.rollback()


@pytest.mark.parametrize(("value", "reason"), BAD_PRICES)
def test_level_prices_refuse_bad_input_beside_the_field(
    app, admin_client, value, reason
):
    before = snapshot(app)

    response = _new_level(admin_client, "Bronze", price=value)

    html = response.get_data(as_text=True)
    assert response.status_code == 422, reason
    assert 'class="field field--error"' in html and "field__error" in html
    assert snapshot(app) == before


def test_a_new_level_starts_with_the_default_column(
    app, admin_client, make_vas_catalog
):
    catalog = make_vas_catalog(admin_id=admin_client.admin_id, items=2, extra_levels=0)
    base, item = catalog["levels"][0], catalog["items"][0]
    with app.app_context():
        db.session.execute(
            sa.update(ItemPrice)
            .where(ItemPrice.item_id == item, ItemPrice.level_id == base)
            .values(price_cents=7000)
        )
        db.session.commit()

    _new_level(admin_client, "Silver", price="100")

    with app.app_context():
        silver = db.session.scalar(
            sa.select(ServiceLevel.id).where(ServiceLevel.name == "Silver")
        )
        prices = dict(
            db.session.execute(
                sa.select(ItemPrice.item_id, ItemPrice.price_cents).where(
                    ItemPrice.level_id == silver
                )
            ).all()
        )
    assert prices == {item: 7000, catalog["items"][1]: 10000}


def test_level_names_are_unique(admin_client):
    _new_level(admin_client, "Gold")

    response = _new_level(admin_client, "gold")

    assert response.status_code == 422
    assert "已有同名的服务等级" in response.get_data(as_text=True)


def test_levels_are_reordered(app, admin_client):
    for name in ("A", "B", "C"):
        _new_level(admin_client, name)
    with app.app_context():
        c = db.session.scalar(
            sa.select(ServiceLevel.id).where(ServiceLevel.name == "C")
        )

    admin_client.post(f"/admin/vas/levels/{c}/move", {"direction": "up"})

    with app.app_context():
        from vas.services import levels

        assert [lv.name for lv in levels.list_levels()] == ["基础服务", "A", "C", "B"]


def test_a_new_item_is_priced_at_its_default_price_in_every_level(
    app, admin_client, make_vas_catalog
):
    catalog = make_vas_catalog(admin_id=admin_client.admin_id, items=0, extra_levels=2)

    response = admin_client.post(
        "/admin/vas/items/new",
        {
            "category_id": catalog["category"],
            "name": "磁盘占满清理",
            "base_price": "100",
            "sort_order": "1",
        },
    )

    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalar(
            sa.select(ServiceItem).where(ServiceItem.name == "磁盘占满清理")
        )
        prices = db.session.scalars(
            sa.select(ItemPrice.price_cents).where(ItemPrice.item_id == item.id)
        ).all()
    assert sorted(prices) == [10000, 10000, 10000]


@pytest.mark.parametrize(("value", "reason"), BAD_PRICES)
def test_item_prices_refuse_bad_input(
    app, admin_client, make_vas_catalog, value, reason
):
    catalog = make_vas_catalog(admin_id=admin_client.admin_id, items=0)
    before = snapshot(app)

    response = admin_client.post(
        "/admin/vas/items/new",
        {"category_id": catalog["category"], "name": "X", "base_price": value},
    )

    assert response.status_code == 422, reason
    assert "field__error" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_retired_items_stay_listed_and_leave_the_matrix(
    app, admin_client, make_vas_catalog
):
    catalog = make_vas_catalog(admin_id=admin_client.admin_id, items=1)
    item = catalog["items"][0]
    with app.app_context():
        name = db.session.get(ServiceItem, item).name

    response = admin_client.post(f"/admin/vas/items/{item}/retire")

    assert response.status_code == 303
    assert name in admin_client.get("/admin/vas/items").get_data(as_text=True)
    assert name not in admin_client.get("/admin/vas/matrix").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ServiceItem, item) is not None


def test_categories_are_created_renamed_and_unique(app, admin_client):
    created = admin_client.post(
        "/admin/vas/categories/new",
        {"name": "系统设置", "sort_order": "1", "is_active": "y"},
    )
    duplicate = admin_client.post(
        "/admin/vas/categories/new",
        {"name": "系统设置", "sort_order": "2", "is_active": "y"},
    )

    assert created.status_code == 303
    assert duplicate.status_code == 422
    assert "名称已被使用" in duplicate.get_data(as_text=True)


def test_audit_log_lists_and_filters_changes(app, admin_client, make_vas_catalog):
    make_vas_catalog(admin_id=admin_client.admin_id, items=1)

    everything = admin_client.get("/admin/audit").get_data(as_text=True)
    levels_only = admin_client.get("/admin/audit?subject=level").get_data(as_text=True)

    assert "添加服务等级" in everything and "添加服务项目" in everything
    assert "添加服务等级" in levels_only and "添加服务项目" not in levels_only


# Only admins reach the VAS configuration routes: tests/test_sweeps.py.


# Hostile names on every configuration page: tests/test_xss.py.
