"""Chromium: an admin finds a subscription in 业务列表 and refunds a charge."""

import pytest
import sqlalchemy as sa

from tests.browser import sign_in
from vas.extensions import db
from vas.models import ServiceItem
from vas.models import ServiceRecord
from vas.models import Subscription
from vas.models import Ticket
from vas.models import User
from vas.services import ledger

pytestmark = pytest.mark.browser


def _demo_subscription(app):
    """Return 王小明's subscription on 3856, with a paid service on a ticket."""
    with app.app_context():
        customer = db.session.scalars(
            sa.select(User).where(User.email == "customer@demo.test")
        ).one()
        subscription = db.session.scalars(
            sa.select(Subscription).where(Subscription.server_id == 3856)
        ).one()
        item = db.session.scalars(
            sa.select(ServiceItem).where(ServiceItem.name == "磁盘占满清理")
        ).one()
        ticket_id = db.session.scalar(
            sa.select(Ticket.id).where(Ticket.customer_id == customer.id).limit(1)
        )
        posting = ledger.debit(
            customer.id,
            10000,
            cause="service_request",
            subject_type="subscription",
            subject_id=subscription.id,
            key=f"browser:record:{subscription.id}",
            memo="磁盘占满清理",
        )
        db.session.add(
            ServiceRecord(
                subscription_id=subscription.id,
                item_id=item.id,
                level_id=subscription.level_id,
                ticket_id=ticket_id,
                source="balance",
                price_cents=10000,
                charged_cents=10000,
                ledger_entry_id=posting.entry.id,
            )
        )
        db.session.commit()
        return customer.id, subscription.id, posting.entry.id


def test_admin_finds_a_subscription_by_user_id_and_refunds(
    app, live_server, page, backend, artifacts
):
    customer_id, subscription_id, entry_id = _demo_subscription(app)
    sign_in(page, live_server, "admin@demo.test")

    page.goto(f"{live_server}/admin/vas/subscriptions")
    rows = page.locator("#subscriptions tbody tr")
    assert rows.count() == 3
    page.fill("#customer_id", str(customer_id))
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"**/admin/vas/subscriptions?customer_id={customer_id}*")
    page.wait_for_function(
        "document.querySelectorAll('#subscriptions tbody tr').length == 2"
    )
    assert (
        "铜牌服务" in rows.first.inner_text() or "铜牌服务" in rows.nth(1).inner_text()
    )
    page.screenshot(path=artifacts / f"subscriptions-{backend}.png", full_page=True)

    page.fill("#customer_id", "abc")
    page.click("form.filters button[type=submit]")
    page.locator("#customer_id-errors .field__error").wait_for()
    assert "用户ID必须是数字" in page.locator("#customer_id-errors").inner_text()
    page.screenshot(path=artifacts / f"subscriptions-error-{backend}.png")

    page.goto(f"{live_server}/admin/vas/subscriptions/{subscription_id}")
    assert "磁盘占满清理" in page.locator("#records").inner_text()
    charge = page.locator(f"#charge-{entry_id}")
    charge.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    error = page.locator(f"#charge-{entry_id} .field__error")
    assert error.inner_text() == "退款必须填写原因。"
    page.screenshot(
        path=artifacts / f"subscription-error-{backend}.png", full_page=True
    )

    page.fill(f"#reason-{entry_id}", "客户服务未完成")
    page.locator(f"#charge-{entry_id} button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "已退款" in page.locator(f"#charge-{entry_id}").inner_text()
    assert "客户服务未完成" in page.locator(f"#charge-{entry_id}").inner_text()
    page.screenshot(path=artifacts / f"subscription-{backend}.png", full_page=True)
    assert page.console_errors == []
