"""Reading refunds: one page of them, narrowed to whose they are (a
customer's orders, the orders at a leader's pickup points) and to one order
or pickup point."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import Order, Refund, RefundState
from kernel.db import keyset_page
from leaders.points.models import PickupPoint


async def list_refunds(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    leader_id: int | None = None,
    order_id: int | None = None,
    pickup_point_id: int | None = None,
    states: Sequence[RefundState] | None = None,
    after_id: int | None,
    limit: int,
) -> Sequence[Refund]:
    """Refunds in id order (keyset pagination, so oldest first), of the
    orders every given filter allows: ``customer_id`` the customer's own,
    ``leader_id`` those placed at the leader's pickup points, ``order_id``
    and ``pickup_point_id`` that one order or point, ``states`` those where
    the money is (the operator's queue of refunds stuck at the provider).
    Filters combine, so a filter naming someone else's order or point gives
    nothing."""
    stmt = select(Refund)
    if states:
        stmt = stmt.where(Refund.state.in_(states))
    if order_id is not None:
        stmt = stmt.where(Refund.order_id == order_id)
    if customer_id is not None or leader_id is not None or pickup_point_id is not None:
        stmt = stmt.join(Order, Order.id == Refund.order_id)
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    if leader_id is not None:
        stmt = stmt.where(
            Order.pickup_point_id.in_(
                select(PickupPoint.id).where(PickupPoint.leader_id == leader_id)
            )
        )
    if pickup_point_id is not None:
        stmt = stmt.where(Order.pickup_point_id == pickup_point_id)
    stmt = keyset_page(stmt, Refund.id, after_id, limit)
    return list((await session.execute(stmt)).scalars().all())
