"""Shortage allocation (缺货分配).

The rule: when fewer units are available than customers paid for, the
latest-paid lines are shorted first (ties: the higher order id first), whole
or in part, until the shortage is covered. Available = confirmed units (or the
units bought, while unconfirmed), and once receiving is closed no more than
the units that passed QC. Shorted units are refunded at the line's unit
price, exactly.

Allocation only ever adds: it covers the part of the shortage not yet
allocated, so running it again, or after more goods arrive, never shorts a
line twice (goods arriving after a line was refunded stay surplus).

The same rule refunds what a leader reports missing or damaged on signing
for a delivery, limited to the orders of that leader's pickup point
(``short_latest_paid`` with a pickup point in its scope), and what a grid
operator reports at the grid's handover, limited to that grid's points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, case, exists, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.network.models import GridPoint
from fulfilment.orders.models import (
    Order,
    OrderLine,
    OrderLineShortfall,
    OrderPickup,
    OrderStatus,
    Refund,
    RefundReason,
    ShortfallReason,
)
from fulfilment.orders.notices import tell_shortage_refunds
from fulfilment.orders.refunded import mark_refunded
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt


@dataclass(frozen=True)
class ShortageSummary:
    products: int
    lines: int
    units: int
    refund_fen: int


@dataclass(frozen=True)
class AllocationScope:
    """The lines a shortage may take: one warehouse's delivery date, or only
    the orders of one pickup point in it, or of the points one grid
    warehouse serves (fulfilment/network)."""

    warehouse_id: int
    delivery_date: date
    pickup_point_id: int | None = None
    grid_id: int | None = None


@dataclass(frozen=True)
class ShortedLine:
    """One refund booked by an allocation, and the units it pays back."""

    refund_id: int
    order_id: int
    order_line_id: int
    quantity: int
    amount_fen: int


# Each reason a shortage is allocated for, and the refund reason it books.
_REFUND_REASONS = {
    ShortfallReason.SUPPLIER_SHORT: RefundReason.SHORTAGE,
    ShortfallReason.DELIVERY_MISSING: RefundReason.DELIVERY_MISSING,
    ShortfallReason.DELIVERY_DAMAGED: RefundReason.DELIVERY_DAMAGED,
}


async def allocate_shortages(
    session: AsyncSession, purchase_order_id: int, now: datetime
) -> ShortageSummary:
    """Allocate what is short on one purchase order's current revision."""
    po = await session.get(PurchaseOrder, purchase_order_id)
    assert po is not None
    needs = await _unallocated_shortage(session, po)
    scope = AllocationScope(po.warehouse_id, po.delivery_date)
    shorted: list[ShortedLine] = []
    for product_id, need in needs.items():
        shorted += await short_latest_paid(
            session, scope, product_id, need, reason=ShortfallReason.SUPPLIER_SHORT, now=now
        )
    # One notice per order for the whole allocation, not one per product.
    await tell_shortage_refunds(session, [s.refund_id for s in shorted])
    return ShortageSummary(
        len(needs),
        len(shorted),
        sum(s.quantity for s in shorted),
        sum(s.amount_fen for s in shorted),
    )


async def _unallocated_shortage(session: AsyncSession, po: PurchaseOrder) -> dict[int, int]:
    accepted = (
        select(func.coalesce(func.sum(Receipt.accepted_units), 0))
        .where(
            Receipt.purchase_order_id == po.id, Receipt.product_id == PurchaseOrderLine.product_id
        )
        .scalar_subquery()
    )
    promised = func.coalesce(PurchaseOrderLine.confirmed_units, PurchaseOrderLine.purchase_units)
    available: ColumnElement[int] = promised
    if po.receiving_closed_at is not None:
        available = case((accepted < promised, accepted), else_=promised)
    rows = await session.execute(
        select(PurchaseOrderLine.product_id, PurchaseOrderLine.ordered_units - available).where(
            PurchaseOrderLine.purchase_order_id == po.id,
            PurchaseOrderLine.revision == po.revision,
        )
    )
    short = {product: int(units or 0) for product, units in rows.all() if (units or 0) > 0}
    if not short:
        return {}
    already = dict(
        (
            await session.execute(
                select(OrderLine.product_id, func.sum(OrderLineShortfall.quantity))
                .join(OrderLine, OrderLine.id == OrderLineShortfall.order_line_id)
                .join(Order, Order.id == OrderLine.order_id)
                .join(Campaign, Campaign.id == Order.campaign_id)
                .where(
                    OrderLineShortfall.reason == ShortfallReason.SUPPLIER_SHORT,
                    OrderLine.product_id.in_(short),
                    Campaign.warehouse_id == po.warehouse_id,
                    Campaign.delivery_date == po.delivery_date,
                )
                .group_by(OrderLine.product_id)
            )
        ).all()
    )
    return {
        product: units - int(already.get(product, 0))
        for product, units in short.items()
        if units > int(already.get(product, 0))
    }


async def short_latest_paid(
    session: AsyncSession,
    scope: AllocationScope,
    product_id: int,
    need: int,
    *,
    reason: ShortfallReason,
    now: datetime,
    delivery_issue_id: int | None = None,
) -> list[ShortedLine]:
    """Short up to ``need`` open units of ``product_id`` in ``scope``, the
    latest-paid lines first, and refund each at its unit price.

    One window-function statement: the running total of open units from the
    latest-paid line backwards, and a refund for each line it reaches."""
    chosen = _latest_paid_refunds(_eligible_lines(scope, product_id), need, reason, now)
    # RETURNING gives this run's refunds: their shortfall rows are written
    # from them directly, and the totals need no second look at the table.
    refunds = (
        await session.execute(
            insert(Refund)
            .from_select(
                ["order_id", "order_line_id", "quantity", "amount_fen", "reason", "created_at"],
                chosen,
            )
            .returning(
                Refund.id, Refund.order_id, Refund.order_line_id, Refund.quantity, Refund.amount_fen
            )
        )
    ).all()
    if refunds:
        await session.execute(
            insert(OrderLineShortfall),
            [
                {
                    "order_line_id": line_id,
                    "quantity": quantity,
                    "reason": reason,
                    "refund_id": refund_id,
                    "delivery_issue_id": delivery_issue_id,
                    "created_at": now,
                }
                for refund_id, _, line_id, quantity, _ in refunds
            ],
        )
        # An order whose every unit is now refunded reads REFUNDED (refunded.py).
        await mark_refunded(session, [order_id for _, order_id, _, _, _ in refunds])
    # These refunds were made from order lines: line and quantity are set.
    return [
        ShortedLine(refund_id, order_id, line_id or 0, quantity or 0, amount)
        for refund_id, order_id, line_id, quantity, amount in refunds
    ]


def _eligible_lines(scope: AllocationScope, product_id: int) -> Subquery:
    """The paid, not yet collected lines of ``product_id`` in ``scope`` that
    still have open (not yet shorted) units, with their payment time."""
    shorted = (
        select(OrderLineShortfall.order_line_id, func.sum(OrderLineShortfall.quantity).label("q"))
        .group_by(OrderLineShortfall.order_line_id)
        .subquery()
    )
    open_units = OrderLine.quantity - func.coalesce(shorted.c.q, 0)
    lines = (
        select(
            OrderLine.id.label("line_id"),
            OrderLine.order_id,
            OrderLine.unit_price_fen,
            open_units.label("open_units"),
            Order.paid_at,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .outerjoin(shorted, shorted.c.order_line_id == OrderLine.id)
        .where(
            Order.status == OrderStatus.PAID,
            # Goods already collected are not short: the customer has them,
            # and their commission has been booked.
            ~exists().where(OrderPickup.order_id == Order.id),
            OrderLine.product_id == product_id,
            Campaign.warehouse_id == scope.warehouse_id,
            Campaign.delivery_date == scope.delivery_date,
            open_units > 0,
        )
    )
    if scope.pickup_point_id is not None:
        lines = lines.where(Order.pickup_point_id == scope.pickup_point_id)
    if scope.grid_id is not None:
        grid_points = select(GridPoint.pickup_point_id).where(GridPoint.grid_id == scope.grid_id)
        lines = lines.where(Order.pickup_point_id.in_(grid_points))
    return lines.subquery()


def _latest_paid_refunds(
    eligible: Subquery, need: int, reason: ShortfallReason, now: datetime
) -> Select[Any]:
    """The refund rows (in ``Refund``'s insert column order) that cover
    ``need`` units from ``eligible``: the running total of open units from
    the latest-paid line backwards, each line taking what is still needed."""
    running = func.sum(eligible.c.open_units).over(
        order_by=(eligible.c.paid_at.desc(), eligible.c.order_id.desc()), rows=(None, 0)
    )
    ranked = select(eligible, running.label("running")).subquery()
    before = ranked.c.running - ranked.c.open_units
    take = case((ranked.c.open_units < need - before, ranked.c.open_units), else_=need - before)
    return select(
        ranked.c.order_id,
        ranked.c.line_id,
        take,
        take * ranked.c.unit_price_fen,
        literal(_REFUND_REASONS[reason].value),
        literal(now, type_=Refund.created_at.type),
    ).where(before < need)
