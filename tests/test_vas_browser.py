"""Chromium: an admin edits the price matrix in place, in Chinese and English."""

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.browser

# The seed's first row: 服务器负载高… costs ¥50.00 at 铜牌服务.
ROW = "服务器负载高/意外重启/带宽跑高/异常现象排查"


def _cell(page, row_name, column):
    row = page.locator("tr", has=page.locator("th.matrix__item", has_text=row_name))
    return row.locator("td.matrix__cell").nth(column)


def test_admin_edits_a_cell_in_place(live_server, page, backend, artifacts):
    sign_in(page, live_server, "admin@demo.test")
    page.goto(f"{live_server}/admin/vas/matrix")
    page.screenshot(path=artifacts / f"matrix-zh-{backend}.png", full_page=True)
    bronze = _cell(page, ROW, 1)
    assert bronze.inner_text().strip() == "¥50.00"

    bronze.locator("button.matrix__value").click()
    editor = bronze.locator("input[name=price]")
    editor.wait_for()
    editor.fill("12.345")
    editor.press("Enter")
    error = bronze.locator(".field__error")
    error.wait_for()
    assert "两位小数" in error.inner_text()
    page.screenshot(path=artifacts / f"matrix-error-{backend}.png")

    page.keyboard.press("Escape")
    assert not bronze.locator(".cell-editor").is_visible()
    assert bronze.inner_text().strip() == "¥50.00"

    bronze.locator("button.matrix__value").click()
    editor = bronze.locator("input[name=price]")
    editor.wait_for()  # the fresh editor: the old one is hidden while it loads
    assert editor.input_value() == "50.00"
    assert bronze.locator(".field__error").count() == 0
    editor.fill("0")
    editor.press("Enter")
    badge = _cell(page, ROW, 1).locator(".badge--free")
    badge.wait_for()
    assert badge.inner_text() == "免费"
    assert page.console_errors == []


def test_matrix_reads_in_english(live_server, page, backend, artifacts):
    sign_in(page, live_server, "admin@demo.test")
    page.click("button.lang-switch__btn[value=en]")
    page.goto(f"{live_server}/admin/vas/matrix")

    assert page.locator("h1").inner_text() == "Service price matrix"
    assert page.locator(".badge--free").first.inner_text() == "Free"
    page.screenshot(path=artifacts / f"matrix-en-{backend}.png", full_page=True)
