"""Typed models and the constraints the database itself enforces.

Floor 1 of the house: imports only floor 0 (``vas.extensions``).
"""

from vas.models.accounts import ROLES
from vas.models.accounts import User
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
from vas.models.servers import SERVER_STATUSES
from vas.models.servers import Server
from vas.models.settings import Setting
from vas.models.tickets import Department
from vas.models.tickets import Ticket
from vas.models.tickets import TicketMessage

__all__ = [
    "LEDGER_CAUSES",
    "PRODUCT_TYPES",
    "ROLES",
    "SERVER_STATUSES",
    "VAS_CAPABLE_TYPES",
    "AppMeta",
    "BillingCycle",
    "Department",
    "LedgerEntry",
    "Order",
    "OrderLine",
    "Payment",
    "Product",
    "PromoCode",
    "Server",
    "Setting",
    "Ticket",
    "TicketMessage",
    "User",
]
