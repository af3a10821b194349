"""Delivery issues the supplier answers for.

A leader reports units missing (or damaged) when signing for a delivery;
the customers are refunded at once (fulfilment/delivery/receipts.py). Most
such losses are the warehouse's or the driver's; when an operator finds the
supplier at fault (a sealed case short, say), they record it here, with the
reason, and the units are charged back at the agreed cost of the purchase
order they came on (the product's cost if there was none). Once per issue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Product
from fulfilment.delivery.models import DeliveryIssue, DeliveryIssueKind, DeliveryReceipt
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from fulfilment.routing.models import RoutePlan, RouteStop
from fulfilment.supplier_settlement.errors import SupplierSettlementErrorCode as Code
from fulfilment.supplier_settlement.models import SupplierDeliveryFault
from kernel.accounts import User
from kernel.errors import DomainError, NotFound
from kernel.validation import clean_text


async def record_delivery_fault(
    session: AsyncSession, delivery_issue_id: int, reason: str, operator: User, now: datetime
) -> SupplierDeliveryFault:
    """Charge a reported delivery issue back to the product's supplier."""
    why = clean_text(reason, ["reason"], max_len=500, code=Code.REASON_REQUIRED)
    found = (
        await session.execute(
            select(DeliveryIssue, RoutePlan.warehouse_id, RoutePlan.delivery_date)
            .join(DeliveryReceipt, DeliveryReceipt.id == DeliveryIssue.receipt_id)
            .join(RouteStop, RouteStop.id == DeliveryReceipt.route_stop_id)
            .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
            .where(DeliveryIssue.id == delivery_issue_id)
        )
    ).one_or_none()
    if found is None:
        raise NotFound("Delivery issue", ["deliveryIssueId"])
    issue, warehouse_id, day = found
    already = await session.scalar(
        select(SupplierDeliveryFault.id).where(SupplierDeliveryFault.delivery_issue_id == issue.id)
    )
    if already is not None:
        raise DomainError(
            Code.FAULT_ALREADY_RECORDED,
            "This issue is charged to the supplier already.",
            ["deliveryIssueId"],
        )
    product = await session.get(Product, issue.product_id)
    assert product is not None
    bought = (
        await session.execute(
            select(PurchaseOrder.id, PurchaseOrderLine.unit_cost_fen)
            .join(
                PurchaseOrderLine,
                (PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
                & (PurchaseOrderLine.revision == PurchaseOrder.revision),
            )
            .where(
                PurchaseOrder.supplier_id == product.supplier_id,
                PurchaseOrder.warehouse_id == warehouse_id,
                PurchaseOrder.delivery_date == day,
                PurchaseOrderLine.product_id == product.id,
            )
        )
    ).one_or_none()
    po_id, unit_cost = bought if bought is not None else (None, product.cost_fen)
    fault = SupplierDeliveryFault(
        delivery_issue_id=issue.id,
        supplier_id=product.supplier_id,
        product_id=product.id,
        purchase_order_id=po_id,
        units=issue.quantity,
        unit_cost_fen=unit_cost,
        amount_fen=issue.quantity * unit_cost,
        reason=why,
        recorded_by_id=operator.id,
        created_at=now,
    )
    session.add(fault)
    await session.flush()
    return fault


async def issue_at_stop(
    session: AsyncSession, route_stop_id: int, product_id: int, kind: DeliveryIssueKind
) -> int:
    """The id of the issue of ``kind`` reported for ``product_id`` when the
    stop was signed for (one at most: a stop is signed once)."""
    found = await session.scalar(
        select(DeliveryIssue.id)
        .join(DeliveryReceipt, DeliveryReceipt.id == DeliveryIssue.receipt_id)
        .where(
            DeliveryReceipt.route_stop_id == route_stop_id,
            DeliveryIssue.product_id == product_id,
            DeliveryIssue.kind == kind,
        )
    )
    if found is None:
        raise NotFound("Delivery issue", ["productId"])
    return int(found)
