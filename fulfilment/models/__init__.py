"""Tables of the fulfilment domain, one module per area."""

from fulfilment.models.after_sale import (
    AfterSaleReason,
    AfterSaleRequest,
    AfterSaleStatus,
    SupplierChargeback,
)
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
from fulfilment.models.pickup import (
    OrderPickup,
    PickupCode,
    PickupFailedAttempt,
    PickupLine,
    PickupMethod,
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
    "AfterSaleReason",
    "AfterSaleRequest",
    "AfterSaleStatus",
    "Campaign",
    "CampaignItem",
    "DeliveryIssue",
    "DeliveryIssueKind",
    "DeliveryReceipt",
    "Order",
    "OrderLine",
    "OrderLineShortfall",
    "OrderPickup",
    "OrderStatus",
    "PaymentNotification",
    "PaymentOutcome",
    "PickupCode",
    "PickupFailedAttempt",
    "PickupLine",
    "PickupMethod",
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
    "SupplierChargeback",
    "SupplierMember",
    "UnservedStop",
    "VehicleType",
    "Warehouse",
]
