"""Demo service requests and pushes, on the demo subscriptions.

customer@demo.test has spent its bare-metal server's free use on a disk
clean-up (基础服务 prices it at ¥100.00); customer2@demo.test asked for a
security-group change, free at 金牌服务; and the agent has pushed a paid
service into each customer's open business technical ticket, waiting to be
paid. Loading is idempotent: requests replay their form intent, a ticket
that already holds a push gets no other.
"""

import hashlib

from sqlalchemy import select

from vas.extensions import db
from vas.models import ServiceItem
from vas.models import ServicePush
from vas.models import Ticket
from vas.models import User
from vas.money import parse_amount
from vas.services import departments
from vas.services import pushes
from vas.services import service_requests

# (customer, server id, item name, what the customer wrote)
REQUESTS = (
    (
        "customer@demo.test",
        459,
        "磁盘占满清理",
        "/data 分区又满了，麻烦清理一下旧的日志和临时文件。",
    ),
    (
        "customer2@demo.test",
        3854,
        "端口调整/安全组/安全策略配置",
        "请开放 8443 端口，仅允许 198.51.100.0/24 访问。",
    ),
)
# (ticket subject, item names, pay price or None for the list total, reply)
PUSHES = (
    (
        "web-01 网站打不开，提示 502 Bad Gateway",
        ("web配置/参数调整",),
        "80.00",
        "您好，502 是 PHP-FPM 进程数配置过小导致的，需要调整 Web 配置。"
        "本次按优惠价 ¥80.00 处理，支付后我们立即操作。",
    ),
    (
        "blog 需要配置 SSL 证书",
        ("网站助手/WDCP/BT宝塔非系统问题排查",),
        None,
        "您好，证书需要在宝塔面板中配置，属于面板问题排查，按金牌服务价格收费。",
    ),
)


def load(users: dict[str, User]) -> None:
    """Load the demo requests and pushes (idempotent)."""
    items = {item.name: item for item in db.session.scalars(select(ServiceItem))}
    for email, server_id, item_name, body in REQUESTS:
        customer = users[email]
        item = items[item_name]
        quoted = service_requests.quote(customer, server_id=server_id, item_id=item.id)
        service_requests.submit(
            customer,
            department_id=departments.business_technical().id,
            server_id=server_id,
            item_id=item.id,
            subject="",
            body=body,
            intent=hashlib.md5(f"demo:{email}:{item_name}".encode()).hexdigest(),
            expected_charge_cents=quoted.charge_cents,
        )

    agent = users["agent@demo.test"]
    for subject, item_names, pay_price, reply in PUSHES:
        ticket = db.session.scalars(
            select(Ticket).where(Ticket.subject == subject)
        ).one()
        pushed = db.session.scalar(
            select(ServicePush.id).where(ServicePush.ticket_id == ticket.id)
        )
        if pushed is None:
            pushes.push(
                agent,
                ticket,
                item_ids=[items[name].id for name in item_names],
                pay_price=parse_amount(pay_price) if pay_price else None,
                body=reply,
            )
    db.session.flush()
