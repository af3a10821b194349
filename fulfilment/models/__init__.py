"""Tables of the fulfilment domain, one module per area."""

from fulfilment.models.campaigns import Campaign, CampaignItem
from fulfilment.models.catalog import Product, StorageZone, Supplier, SupplierMember
from fulfilment.models.orders import (
    HOLDING,
    Order,
    OrderLine,
    OrderLineShortfall,
    OrderStatus,
    PaymentNotification,
    PaymentOutcome,
    Refund,
    RefundReason,
    ShortfallReason,
)
from fulfilment.models.purchasing import PurchaseOrder, PurchaseOrderLine, Receipt
from fulfilment.models.routing import (
    DeliveryIssue,
    DeliveryIssueKind,
    DeliveryReceipt,
    Route,
    RoutePlan,
    RoutePlanStatus,
    RouteStop,
    RoutingSettings,
    UnservedStop,
    VehicleType,
)
from fulfilment.models.sorting import PickupPointLoad
from fulfilment.models.warehouses import ServiceArea, Warehouse

__all__ = [
    "HOLDING",
    "Campaign",
    "CampaignItem",
    "DeliveryIssue",
    "DeliveryIssueKind",
    "DeliveryReceipt",
    "Order",
    "OrderLine",
    "OrderLineShortfall",
    "OrderStatus",
    "PaymentNotification",
    "PaymentOutcome",
    "PickupPointLoad",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Receipt",
    "Refund",
    "RefundReason",
    "Route",
    "RoutePlan",
    "RoutePlanStatus",
    "RouteStop",
    "RoutingSettings",
    "ServiceArea",
    "ShortfallReason",
    "StorageZone",
    "Supplier",
    "SupplierMember",
    "UnservedStop",
    "VehicleType",
    "Warehouse",
]
