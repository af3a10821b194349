"""Supplier fill: for the purchase orders delivering in the range, what was
ordered, confirmed, received and accepted (passed QC), and what customers
lost to the supplier (shortfalls refunded), per supplier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign, Product, Supplier
from fulfilment.orders.models import (
    Order,
    OrderLine,
    OrderLineShortfall,
    Refund,
    ShortfallReason,
)
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt
from fulfilment.reports.filters import DateRange, ReportFilter, refuse_filters
from fulfilment.reports.scope import ratio_bps, tune


@dataclass(frozen=True)
class SupplierFill:
    """Units of one supplier's purchase orders. Rates in basis points
    (None when their base is 0): ``confirmed ÷ ordered``, ``accepted ÷
    confirmed``, shortage ``short ÷ customers' units``, QC failure
    ``(received − accepted) ÷ received``."""

    supplier_id: int
    supplier_name: str
    customer_units: int  # what customers paid for
    ordered_units: int  # bought: rounded up to whole cases
    confirmed_units: int  # as the supplier confirmed (unconfirmed: 0)
    received_units: int
    accepted_units: int
    short_units: int  # customers' units refunded as the supplier's shortage
    short_fen: int

    @property
    def confirmed_bps(self) -> int | None:
        return ratio_bps(self.confirmed_units, self.ordered_units)

    @property
    def accepted_bps(self) -> int | None:
        return ratio_bps(self.accepted_units, self.confirmed_units)

    @property
    def shortage_bps(self) -> int | None:
        return ratio_bps(self.short_units, self.customer_units)

    @property
    def qc_failure_bps(self) -> int | None:
        return ratio_bps(self.received_units - self.accepted_units, self.received_units)


def _po_scope(query: Select[Any], days: DateRange, given: ReportFilter) -> Select[Any]:
    query = query.where(PurchaseOrder.delivery_date.between(days.start, days.end))
    if given.warehouse_id is not None:
        query = query.where(PurchaseOrder.warehouse_id == given.warehouse_id)
    if given.supplier_id is not None:
        query = query.where(PurchaseOrder.supplier_id == given.supplier_id)
    if given.category is not None:
        query = query.where(Product.category == given.category)
    return query


def _ordered(days: DateRange, given: ReportFilter) -> Select[Any]:
    po, line = PurchaseOrder, PurchaseOrderLine
    query: Any = (
        select(
            po.supplier_id.label("supplier_id"),
            func.sum(line.ordered_units).label("customer_units"),
            func.sum(line.purchase_units).label("ordered"),
            func.sum(func.coalesce(line.confirmed_units, 0)).label("confirmed"),
        )
        .select_from(line)
        .join(po, and_(po.id == line.purchase_order_id, po.revision == line.revision))
        .join(Product, Product.id == line.product_id)
        .group_by(po.supplier_id)
    )
    return _po_scope(query, days, given)


def _received(days: DateRange, given: ReportFilter) -> Select[Any]:
    query: Any = (
        select(
            PurchaseOrder.supplier_id.label("supplier_id"),
            func.sum(Receipt.received_units).label("received"),
            func.sum(Receipt.accepted_units).label("accepted"),
        )
        .select_from(Receipt)
        .join(PurchaseOrder, PurchaseOrder.id == Receipt.purchase_order_id)
        .join(Product, Product.id == Receipt.product_id)
        .group_by(PurchaseOrder.supplier_id)
    )
    return _po_scope(query, days, given)


def _short(days: DateRange, given: ReportFilter) -> Select[Any]:
    short = OrderLineShortfall
    query: Any = (
        select(
            Product.supplier_id.label("supplier_id"),
            func.sum(short.quantity).label("units"),
            func.sum(Refund.amount_fen).label("fen"),
        )
        .select_from(short)
        .join(Refund, Refund.id == short.refund_id)
        .join(OrderLine, OrderLine.id == short.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(
            short.reason == ShortfallReason.SUPPLIER_SHORT,
            Campaign.delivery_date.between(days.start, days.end),
        )
        .group_by(Product.supplier_id)
    )
    if given.warehouse_id is not None:
        query = query.where(Campaign.warehouse_id == given.warehouse_id)
    if given.supplier_id is not None:
        query = query.where(Product.supplier_id == given.supplier_id)
    if given.category is not None:
        query = query.where(Product.category == given.category)
    narrowed: Select[Any] = query
    return narrowed


async def supplier_fill(
    session: AsyncSession, days: DateRange, given: ReportFilter
) -> list[SupplierFill]:
    """One row per supplier with a purchase order delivering in the range,
    by name. Purchase orders belong to no leader: that filter is refused."""
    refuse_filters(given, "leaderId")
    await tune(session)
    ordered = _ordered(days, given).subquery("ordered")
    received = _received(days, given).subquery("received")
    short = _short(days, given).subquery("short")
    query = (
        select(
            ordered.c.supplier_id,
            Supplier.name,
            ordered.c.customer_units,
            ordered.c.ordered,
            ordered.c.confirmed,
            func.coalesce(received.c.received, 0),
            func.coalesce(received.c.accepted, 0),
            func.coalesce(short.c.units, 0),
            func.coalesce(short.c.fen, 0),
        )
        .join(Supplier, Supplier.id == ordered.c.supplier_id)
        .outerjoin(received, received.c.supplier_id == ordered.c.supplier_id)
        .outerjoin(short, short.c.supplier_id == ordered.c.supplier_id)
        .order_by(Supplier.name, ordered.c.supplier_id)
    )
    return [
        SupplierFill(int(r[0]), r[1], *(int(v) for v in r[2:]))
        for r in (await session.execute(query)).all()
    ]
