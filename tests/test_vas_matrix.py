"""The price matrix: in-place edits, stale-edit refusal, audit and query counts."""

import re
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.sweep import snapshot
from vas.extensions import db
from vas.models import AuditEntry
from vas.models import ItemPrice
from vas.models import User
from vas.services import matrix
from vas.services.matrix import StalePrice

VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


@pytest.fixture
def catalog(make_admin, make_vas_catalog):
    admin = make_admin()
    built = make_vas_catalog(admin_id=admin.id, items=2, extra_levels=2)
    built["admin"] = admin
    return built


def _cell(app, item, level):
    with app.app_context():
        row = db.session.scalars(
            sa.select(ItemPrice).where(
                ItemPrice.item_id == item, ItemPrice.level_id == level
            )
        ).one()
        return row.price_cents, row.version


def _price_audits(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "price.update")
        )


def _open_editor(client, item, level) -> str:
    html = client.get(f"/admin/vas/prices/{item}/{level}").get_data(as_text=True)
    return VERSION.search(html).group(1)


def test_matrix_shows_items_by_category_against_priced_levels(app, client, catalog):
    client.login(catalog["admin"].email)

    html = client.get("/admin/vas/matrix").get_data(as_text=True)

    assert "功能与特权名称" in html and "基础服务" in html
    assert "¥50.00/月" in html and "¥100.00/月" in html
    assert html.count('class="matrix__cell"') == 2 * 3
    assert "matrix__group" in html


def test_a_cell_saved_with_htmx_re_renders_in_place(app, make_client, catalog):
    htmx = make_client(htmx=True)
    htmx.login(catalog["admin"].email)
    item, level = catalog["items"][0], catalog["levels"][1]
    version = _open_editor(htmx, item, level)

    response = htmx.post(
        f"/admin/vas/prices/{item}/{level}", {"price": "0", "version": version}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#cell-{item}-{level}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert html.lstrip().startswith(f'<td id="cell-{item}-{level}"')
    assert "免费" in html
    assert _cell(app, item, level) == (0, 2)
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "price.update")
        ).one()
        assert (entry.before, entry.after) == (
            '{"price": "100.00"}',
            '{"price": "0.00"}',
        )
        assert entry.actor_id == catalog["admin"].id


def test_a_cell_saved_without_htmx_returns_to_the_matrix(app, client, catalog):
    client.login(catalog["admin"].email)
    item, level = catalog["items"][1], catalog["levels"][0]
    version = _open_editor(client, item, level)

    response = client.post(
        f"/admin/vas/prices/{item}/{level}", {"price": "88.80", "version": version}
    )

    assert response.status_code == 303
    assert response.location == "/admin/vas/matrix"
    assert _cell(app, item, level) == (8880, 2)


@pytest.mark.parametrize("value", ["", "-5", "abc", "1e2", "12.345", "100000.01"])
def test_a_bad_value_keeps_the_editor_open_with_the_error(
    app, make_client, catalog, value
):
    htmx = make_client(htmx=True)
    htmx.login(catalog["admin"].email)
    item, level = catalog["items"][0], catalog["levels"][2]
    version = _open_editor(htmx, item, level)
    before = snapshot(app)

    response = htmx.post(
        f"/admin/vas/prices/{item}/{level}", {"price": value, "version": version}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith("<form") and "field__error" in html
    assert f'value="{value}"' in html or value == ""
    assert snapshot(app) == before


def test_the_later_of_two_edits_from_the_same_version_is_refused(
    app, make_client, make_admin, catalog
):
    first, second = make_client(htmx=True), make_client(htmx=True)
    first.login(catalog["admin"].email)
    second.login(make_admin().email)
    item, level = catalog["items"][0], catalog["levels"][1]
    seen_by_first = _open_editor(first, item, level)
    seen_by_second = _open_editor(second, item, level)

    saved = first.post(
        f"/admin/vas/prices/{item}/{level}", {"price": "30", "version": seen_by_first}
    )
    stale = second.post(
        f"/admin/vas/prices/{item}/{level}", {"price": "45", "version": seen_by_second}
    )

    assert saved.status_code == 200
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "该价格已被他人改为 ¥30.00" in html
    assert 'value="30.00"' in html  # the editor now shows what is stored
    assert _cell(app, item, level) == (3000, 2)
    assert _price_audits(app) == 1


def test_concurrent_saves_of_one_cell_apply_exactly_one(app, catalog):
    item, level = catalog["items"][1], catalog["levels"][1]
    outcomes = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def save(n):
        start.wait()
        with app.app_context():
            try:
                admin = db.session.get(User, catalog["admin"].id)
                matrix.set_price(
                    matrix.get_cell(item, level),
                    Decimal(n),
                    version=1,
                    actor=admin,
                )
                db.session.commit()
                result = "saved"
            except StalePrice:
                db.session.rollback()
                result = "stale"
            except Exception as exc:  # any other failure is a finding
                db.session.rollback()
                result = repr(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=save, args=(n + 1,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["saved"] + ["stale"] * 19
    assert _cell(app, item, level)[1] == 2
    assert _price_audits(app) == 1


def test_saving_the_same_price_changes_and_audits_nothing(app, client, catalog):
    client.login(catalog["admin"].email)
    item, level = catalog["items"][0], catalog["levels"][0]
    version = _open_editor(client, item, level)

    client.post(
        f"/admin/vas/prices/{item}/{level}", {"price": "100.00", "version": version}
    )

    assert _cell(app, item, level) == (10000, 1)
    assert _price_audits(app) == 0


def test_editor_of_a_missing_cell_is_404(client, catalog):
    client.login(catalog["admin"].email)

    assert client.get("/admin/vas/prices/999/999").status_code == 404
    assert (
        client.post(
            "/admin/vas/prices/999/999", {"price": "1", "version": "1"}
        ).status_code
        == 404
    )


def test_matrix_page_costs_a_fixed_number_of_queries(
    app, client, make_admin, make_vas_catalog, count_queries
):
    admin = make_admin()
    make_vas_catalog(admin_id=admin.id, items=2, extra_levels=1)
    client.login(admin.email)
    with count_queries() as small:
        assert client.get("/admin/vas/matrix").status_code == 200

    make_vas_catalog(admin_id=admin.id, items=15, extra_levels=3)
    with count_queries() as large:
        assert client.get("/admin/vas/matrix").status_code == 200

    assert small.count == large.count
    assert large.count <= 4  # the user, the levels, the items, the prices


def test_a_cell_save_costs_a_fixed_number_of_queries(
    app, make_client, make_admin, make_vas_catalog, count_queries
):
    admin = make_admin()
    built = make_vas_catalog(admin_id=admin.id, items=2, extra_levels=1)
    htmx = make_client(htmx=True)
    htmx.login(admin.email)
    htmx.csrf_token()  # read once, outside the counted requests
    item, level = built["items"][0], built["levels"][1]

    def save(price: str):
        version = _open_editor(htmx, item, level)
        with count_queries() as counter:
            response = htmx.post(
                f"/admin/vas/prices/{item}/{level}",
                {"price": price, "version": version},
            )
        assert response.status_code == 200
        return counter

    few = save("12.00")
    make_vas_catalog(admin_id=admin.id, items=15, extra_levels=2)
    many = save("13.00")

    assert few.count == many.count, (few.statements, many.statements)
    # The user, the cell, its conditional update, the cell again, the audit row.
    assert many.count <= 5, many.statements
