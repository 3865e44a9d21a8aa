"""Demo data of the ticket desk: who works which department, quick replies,
and a few tickets from both demo customers.

agent@demo.test works all three departments (业务技术工单, 财务工单, 售前咨询);
agent2@demo.test works 财务工单 and 售前咨询 only, so it does not see the
business technical tickets. Loading is idempotent: tickets are matched by
customer and subject, quick replies by title.
"""

from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from vas.extensions import db
from vas.models import Department
from vas.models import QuickReply
from vas.models import Ticket
from vas.models import User
from vas.models._columns import utcnow
from vas.services import departments
from vas.services import ticket_ratings
from vas.services import tickets

AGENT_DEPARTMENTS = {
    "agent@demo.test": ("业务技术工单", "财务工单", "售前咨询"),
    "agent2@demo.test": ("财务工单", "售前咨询"),
}
QUICK_REPLIES = (
    ("已收到，正在处理", "您好，工单已收到，技术人员正在处理，请耐心等待。"),
    (
        "请提供登录信息",
        "您好，为便于排查，请提供服务器的 SSH 端口和临时登录方式，"
        "处理完成后请及时修改密码。",
    ),
    ("问题已解决", "您好，问题已经处理完成，请您确认。如无其他问题，工单将自动关闭。"),
)
# (customer, department, server id or None, subject, body, hours ago, script)
# The script replays what happened after the ticket was opened:
# ("agent" | "note" | "customer", text) messages, "assign" (to agent@demo.test),
# "close", ("rate", score, text).
TICKETS = (
    (
        "customer@demo.test",
        "业务技术工单",
        3856,
        "web-01 网站打不开，提示 502 Bad Gateway",
        "从今天早上开始访问 https://www.example.com 提示 502，\n"
        "Nginx 和 PHP-FPM 都重启过了，还是不行。麻烦帮忙看看。",
        6,
        (),
    ),
    (
        "customer@demo.test",
        "业务技术工单",
        459,
        "db-01 磁盘空间占满，MySQL 无法写入",
        "df -h 显示 / 分区 100%，MySQL 报错 No space left on device。",
        30,
        (
            "assign",
            ("note", "binlog 占了 40G，先确认客户是否需要保留。"),
            (
                "agent",
                "您好，磁盘主要被 MySQL binlog 占用，是否可以清理 7 天前的日志？",
            ),
        ),
    ),
    (
        "customer@demo.test",
        "财务工单",
        None,
        "申请开具增值税普通发票",
        "请按上月的充值金额开具发票，抬头与账户实名一致。",
        3,
        (),
    ),
    (
        "customer2@demo.test",
        "业务技术工单",
        3854,
        "blog 需要配置 SSL 证书",
        "域名已经解析到服务器，想配置免费的 Let's Encrypt 证书。",
        50,
        (
            ("agent", "您好，请确认使用的 Web 服务器是 Nginx 还是 Apache？"),
            ("customer", "是 Nginx 1.24。"),
        ),
    ),
    (
        "customer2@demo.test",
        "售前咨询",
        None,
        "裸金属服务器可以按季度付费吗？",
        "想了解 E5-2680 的季度价格和交付时间。",
        1,
        (),
    ),
    (
        "customer2@demo.test",
        "财务工单",
        None,
        "充值未到账",
        "昨天充值 100 元，余额没有变化。",
        72,
        (
            ("agent", "您好，已核实，款项已到账，请刷新页面查看。"),
            "close",
            ("rate", 5, "处理很快，谢谢！"),
        ),
    ),
)


def load(users: dict[str, User]) -> None:
    """Load the ticket desk's demo data (idempotent)."""
    db.session.flush()
    by_name = {d.name: d for d in db.session.scalars(select(Department))}
    admin = users["admin@demo.test"]

    for email, names in AGENT_DEPARTMENTS.items():
        agent = users[email]
        departments.set_agent_permissions(
            agent,
            department_ids={by_name[name].id for name in names},
            can_push_services=agent.can_push_services,
            actor=admin,
        )
    for order, (title, body) in enumerate(QUICK_REPLIES):
        if not db.session.scalars(
            select(QuickReply).where(QuickReply.title == title)
        ).first():
            db.session.add(QuickReply(title=title, body=body, sort_order=order))

    now = utcnow()
    for email, department, server_id, subject, body, hours, script in TICKETS:
        customer = users[email]
        exists = db.session.scalars(
            select(Ticket.id).where(
                Ticket.customer_id == customer.id, Ticket.subject == subject
            )
        ).first()
        if exists is None:
            ticket = tickets.open_ticket(
                customer,
                department_id=by_name[department].id,
                server_id=server_id,
                subject=subject,
                body=body,
                now=now - timedelta(hours=hours),
            )
            _replay(ticket, customer, users["agent@demo.test"], script, now, hours)
    db.session.flush()


def _replay(ticket, customer, agent, script, now: datetime, hours: int) -> None:
    for step, action in enumerate(script, start=1):
        at = now - timedelta(hours=hours) + timedelta(minutes=30 * step)
        if action == "assign":
            tickets.assign_ticket(ticket, agent.id, agent)
        elif action == "close":
            tickets.close_ticket(ticket, customer, now=at)
        elif action[0] == "rate":
            ticket_ratings.rate_ticket(
                ticket, customer, score=action[1], comment=action[2]
            )
        elif action[0] == "customer":
            tickets.post_customer_reply(ticket, customer, action[1], now=at)
        else:
            tickets.post_staff_reply(
                ticket, agent, action[1], private=action[0] == "note", now=at
            )
