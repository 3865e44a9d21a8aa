"""Typed models and the constraints the database itself enforces.

Floor 1 of the house: imports only floor 0 (``vas.extensions``).
"""

from vas.models.accounts import ROLES
from vas.models.accounts import User
from vas.models.audit import AuditEntry
from vas.models.catalog import PRODUCT_TYPES
from vas.models.catalog import VAS_CAPABLE_TYPES
from vas.models.catalog import BillingCycle
from vas.models.catalog import Product
from vas.models.catalog import PromoCode
from vas.models.ledger import LEDGER_CAUSES
from vas.models.ledger import LedgerEntry
from vas.models.meta import AppMeta
from vas.models.orders import Order
from vas.models.orders import OrderLine
from vas.models.payments import Payment
from vas.models.pushes import PUSH_STATUSES
from vas.models.pushes import OutboxEmail
from vas.models.pushes import ServicePush
from vas.models.pushes import ServicePushItem
from vas.models.servers import SERVER_STATUSES
from vas.models.servers import Server
from vas.models.settings import Setting
from vas.models.subscriptions import RECORD_SOURCES
from vas.models.subscriptions import RECORD_STATUSES
from vas.models.subscriptions import SUBSCRIPTION_STATUSES
from vas.models.subscriptions import FreeUseGrant
from vas.models.subscriptions import ServiceRecord
from vas.models.subscriptions import Subscription
from vas.models.subscriptions import SubscriptionEvent
from vas.models.tickets import TICKET_STATUSES
from vas.models.tickets import Department
from vas.models.tickets import QuickReply
from vas.models.tickets import Ticket
from vas.models.tickets import TicketMessage
from vas.models.tickets import TicketRating
from vas.models.tickets import agent_departments
from vas.models.vas import ItemPrice
from vas.models.vas import ServiceCategory
from vas.models.vas import ServiceItem
from vas.models.vas import ServiceLevel

__all__ = [
    "LEDGER_CAUSES",
    "PRODUCT_TYPES",
    "PUSH_STATUSES",
    "RECORD_SOURCES",
    "RECORD_STATUSES",
    "ROLES",
    "SERVER_STATUSES",
    "SUBSCRIPTION_STATUSES",
    "TICKET_STATUSES",
    "VAS_CAPABLE_TYPES",
    "AppMeta",
    "AuditEntry",
    "BillingCycle",
    "Department",
    "FreeUseGrant",
    "ItemPrice",
    "LedgerEntry",
    "Order",
    "OrderLine",
    "OutboxEmail",
    "Payment",
    "Product",
    "PromoCode",
    "QuickReply",
    "Server",
    "ServiceCategory",
    "ServiceItem",
    "ServiceLevel",
    "ServicePush",
    "ServicePushItem",
    "ServiceRecord",
    "Setting",
    "Subscription",
    "SubscriptionEvent",
    "Ticket",
    "TicketMessage",
    "TicketRating",
    "User",
    "agent_departments",
]
