"""When a grid warehouse earns its fee per piece, and when it gives some
back (the book itself: leaders/commission/grid_fees.py).

- A point's leader signs for a stop of a grid's plan: the grid earns its fee
  for the units the point received, those the leader reported missing or
  damaged left out (they were refunded by the signature), at the grid's fee
  when the leader signed.
- The grid's handover is signed after some of its points signed: the units
  it refunds at those points were counted in their accruals, so each such
  refund reverses its pieces.
A point its central serves directly earns no grid anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.delivery.models import DeliveryReceipt
from fulfilment.network.models import GridWarehouse
from fulfilment.orders.models import Order
from fulfilment.purchasing.shortages import ShortedLine
from fulfilment.routing.models import RoutePlan, RouteStop
from fulfilment.sorting.sorting import products_by_point
from leaders.commission.grid_fees import LateMissing, accrue_grid_fee, reverse_grid_fees


async def accrue_for_receipt(
    session: AsyncSession,
    plan: RoutePlan,
    stop: RouteStop,
    receipt: DeliveryReceipt,
    source_id: int,
    now: datetime,
) -> int:
    """The grid's fee for a point's signed delivery, when ``plan`` is a
    grid's (``source_id``: the central whose orders it delivers), in fen;
    0 for a central's own plan or a grid earning nothing."""
    grid = await session.get(GridWarehouse, plan.warehouse_id)
    if grid is None:
        return 0
    point = stop.pickup_point_id
    lines = await products_by_point(session, source_id, plan.delivery_date, [point])
    return await accrue_grid_fee(
        session,
        grid.warehouse_id,
        receipt_id=receipt.id,
        pickup_point_id=point,
        pieces=sum(line.units for line in lines.get(point, [])),
        piece_fee_fen=grid.piece_fee_fen,
        signed_at=receipt.signed_at,
        now=now,
    )


async def reverse_for_handover(
    session: AsyncSession,
    grid_id: int,
    delivery_date: date,
    refunds: Sequence[ShortedLine],
    now: datetime,
) -> int:
    """Reverse the grid's fee for the handover's refunds at points that had
    signed already; returns the fen reversed."""
    orders = sorted({r.order_id for r in refunds})
    if not orders:
        return 0
    point_of = {
        order: point
        for order, point in await session.execute(
            select(Order.id, Order.pickup_point_id).where(Order.id.in_(orders))
        )
    }
    receipt_of = {
        point: receipt
        for point, receipt in await session.execute(
            select(RouteStop.pickup_point_id, DeliveryReceipt.id)
            .join(DeliveryReceipt, DeliveryReceipt.route_stop_id == RouteStop.id)
            .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
            .where(
                RoutePlan.warehouse_id == grid_id,
                RoutePlan.delivery_date == delivery_date,
                RouteStop.pickup_point_id.in_(set(point_of.values())),
            )
        )
    }
    late = [
        LateMissing(r.refund_id, receipt_of[point_of[r.order_id]], r.quantity)
        for r in refunds
        if point_of[r.order_id] in receipt_of
    ]
    return await reverse_grid_fees(session, grid_id, late, now)
