"""Tables of the fulfilment domain, one module per area."""

from fulfilment.models.campaigns import Campaign, CampaignItem
from fulfilment.models.catalog import Product, StorageZone, Supplier, SupplierMember
from fulfilment.models.orders import (
    HOLDING,
    Order,
    OrderLine,
    OrderStatus,
    PaymentNotification,
    PaymentOutcome,
    Refund,
    RefundReason,
)
from fulfilment.models.warehouses import ServiceArea, Warehouse

__all__ = [
    "HOLDING",
    "Campaign",
    "CampaignItem",
    "Order",
    "OrderLine",
    "OrderStatus",
    "PaymentNotification",
    "PaymentOutcome",
    "Product",
    "Refund",
    "RefundReason",
    "ServiceArea",
    "StorageZone",
    "Supplier",
    "SupplierMember",
    "Warehouse",
]
