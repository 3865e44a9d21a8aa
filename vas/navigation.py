"""Menus of the three areas, as data.

The admin top menu mirrors the seed (首页 会员 财务 业务 生产 服务 档案 站务 系统).
An entry whose endpoint is not registered is shown greyed out rather than
linking to a page that does not exist; it lights up once the page lands.
"""

from dataclasses import dataclass
from dataclasses import field

from flask import current_app
from flask import request
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext


@dataclass(frozen=True)
class Link:
    label: object
    endpoint: str | None = None

    @property
    def available(self) -> bool:
        return bool(self.endpoint) and self.endpoint in current_app.view_functions

    @property
    def url(self) -> str | None:
        return url_for(self.endpoint) if self.available else None

    @property
    def active(self) -> bool:
        return self.available and request.endpoint == self.endpoint


@dataclass(frozen=True)
class Group:
    title: object | None
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Menu:
    label: object
    endpoint: str | None = None
    groups: tuple[Group, ...] = field(default_factory=tuple)

    @property
    def url(self) -> str | None:
        if self.endpoint and self.endpoint in current_app.view_functions:
            return url_for(self.endpoint)
        for group in self.groups:
            for link in group.links:
                if link.available:
                    return link.url
        return None

    @property
    def active(self) -> bool:
        endpoints = {self.endpoint} | {
            link.endpoint for group in self.groups for link in group.links
        }
        return request.endpoint in endpoints


ADMIN_MENU = (
    Menu(_l("首页"), "admin.dashboard"),
    Menu(
        _l("会员"),
        groups=(
            Group(_l("客户管理"), (Link(_l("客户列表"), "admin.list_customers"),)),
        ),
    ),
    Menu(
        _l("财务"),
        groups=(
            Group(
                _l("资金"),
                (
                    Link(_l("余额流水"), "admin.list_ledger_entries"),
                    Link(_l("充值记录"), "admin.list_payments"),
                ),
            ),
        ),
    ),
    Menu(
        _l("业务"),
        groups=(
            Group(
                _l("产品与业务"),
                (
                    Link(_l("服务器列表"), "admin.list_servers"),
                    Link(_l("产品管理"), "admin.list_products"),
                ),
            ),
        ),
    ),
    Menu(_l("生产")),
    Menu(
        _l("服务"),
        groups=(
            Group(
                _l("工单管理"),
                (
                    Link(_l("工单列表"), "agent.list_tickets"),
                    Link(_l("我的工单"), "agent.list_my_tickets"),
                    Link(_l("工单评价"), "admin.list_ticket_ratings"),
                    Link(_l("工单设置"), "admin.edit_ticket_settings"),
                    Link(lazy_pgettext("list", "工单分类"), "admin.list_departments"),
                    Link(_l("工单权限设置"), "admin.edit_ticket_permissions"),
                    Link(_l("快捷回复模板"), "admin.list_quick_replies"),
                ),
            ),
            Group(
                _l("增值服务"),
                (
                    Link(_l("业务列表"), "admin.list_subscriptions"),
                    Link(_l("服务项目"), "admin.list_items"),
                    Link(lazy_pgettext("list", "服务等级"), "admin.list_levels"),
                    Link(_l("服务管理"), "admin.edit_matrix"),
                    Link(_l("PUSH过户"), "admin.list_pushes"),
                ),
            ),
        ),
    ),
    Menu(_l("档案")),
    Menu(_l("站务")),
    Menu(
        _l("系统"),
        groups=(
            Group(
                _l("全局设置"),
                (Link(_l("服务 → 增值服务"), "admin.edit_vas_settings"),),
            ),
            Group(_l("日志"), (Link(_l("操作日志"), "admin.list_audit_entries"),)),
        ),
    ),
)

CUSTOMER_MENU = (
    Link(_l("概览"), "customer.dashboard"),
    Link(_l("我的产品"), "customer.list_servers"),
    Link(_l("选购产品"), "customer.choose_product"),
    Link(_l("我的订单"), "customer.list_orders"),
    Link(_l("工单"), "customer.list_tickets"),
    Link(_l("余额/财务"), "customer.show_balance"),
)

AGENT_MENU = (
    Link(_l("工作台"), "agent.dashboard"),
    Link(_l("工单列表"), "agent.list_tickets"),
    Link(_l("我的工单"), "agent.list_my_tickets"),
)
