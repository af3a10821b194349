"""Recording pickups (核销记录): one row per order and per line with units left,
the leader's commission accrued on each line's net amount, and the periodic
completion of orders nobody collected (see ``verification`` for the rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, exists, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign, Product
from fulfilment.orders.models import (
    Order,
    OrderLine,
    OrderPickup,
    OrderStatus,
    PickupLine,
    PickupMethod,
    Refund,
)
from fulfilment.pickup.rules import PickupRules, has_open_line, refunded, unsigned_published_stop
from kernel.clock import business_date
from kernel.db import insert_ignoring_conflicts
from leaders.commission.accrual import PickedUpLine, accrue
from leaders.points.models import Leader, PickupPoint

# Orders completed automatically per step of the job.
AUTO_COMPLETE_BATCH = 500


@dataclass(frozen=True)
class Pickup:
    """An order's collection and what each line handed out."""

    order: Order
    pickup: OrderPickup
    lines: list[tuple[PickupLine, OrderLine]]


async def record_pickups(
    session: AsyncSession,
    order_ids: Sequence[int],
    *,
    method: PickupMethod,
    verified_by_id: int | None,
    now: datetime,
) -> list[int]:
    """Record paid orders as collected, if they are
    not yet and have units left, with a line row per line with units left;
    accrue each new line's commission. Returns the orders recorded now (an
    order another transaction recorded first is skipped: unique key)."""
    verifier = literal(verified_by_id, type_=BigInteger)
    return await _record(session, order_ids, method, verifier, now)


async def record_leaders_pickups(
    session: AsyncSession, order_ids: Sequence[int], *, method: PickupMethod, now: datetime
) -> list[int]:
    """``record_pickups`` with each order verified by the leader of its own
    pickup point: the queues of many points recorded in one set-based call
    (a call costs the same statements for one point as for fifty)."""
    leader = (
        select(Leader.user_id)
        .join(PickupPoint, PickupPoint.leader_id == Leader.id)
        .where(PickupPoint.id == Order.pickup_point_id)
        .scalar_subquery()
    )
    return await _record(session, order_ids, method, leader, now)


async def _record(
    session: AsyncSession,
    order_ids: Sequence[int],
    method: PickupMethod,
    verifier: ColumnElement[Any],
    now: datetime,
) -> list[int]:
    # Concurrent recorders (a leader's verification, two auto-completion
    # sweeps) lock the orders they may collect in id order before inserting:
    # the insert's own order follows the plan, and two overlapping batches
    # inserted in different orders deadlock on the pickups' unique key.
    # SQLite's writers take turns already (BEGIN IMMEDIATE).
    if session.get_bind().dialect.name != "sqlite":
        await session.execute(
            select(Order.id).where(Order.id.in_(order_ids)).order_by(Order.id).with_for_update()
        )
    open_units = OrderLine.quantity - refunded(Refund.quantity)
    chosen = select(
        Order.id,
        Order.pickup_point_id,
        literal(method.value),
        verifier,
        literal(now, type_=OrderPickup.picked_up_at.type),
    ).where(
        Order.id.in_(order_ids),
        Order.status == OrderStatus.PAID,
        ~exists().where(OrderPickup.order_id == Order.id),
        has_open_line(),
    )
    created = (
        await session.execute(
            insert_ignoring_conflicts(session, OrderPickup, ["order_id"])
            .from_select(
                ["order_id", "pickup_point_id", "method", "verified_by_id", "picked_up_at"], chosen
            )
            .returning(OrderPickup.id, OrderPickup.order_id)
        )
    ).all()
    if not created:
        return []
    pickup_ids = [pickup_id for pickup_id, _ in created]
    order_ids_now = [order_id for _, order_id in created]
    await session.execute(
        insert(PickupLine).from_select(
            ["pickup_id", "order_line_id", "quantity", "net_fen"],
            select(
                OrderPickup.id,
                OrderLine.id,
                open_units,
                OrderLine.amount_fen - refunded(Refund.amount_fen),
            )
            .join(OrderLine, OrderLine.order_id == OrderPickup.order_id)
            # By order, not pickup, id: SQLite probes the order's lines
            # through their index then, where a long list of the pickups'
            # ids made it check that list against every order line.
            .where(OrderPickup.order_id.in_(order_ids_now), open_units > 0),
        )
    )
    await _accrue(session, pickup_ids)
    return order_ids_now


async def _accrue(session: AsyncSession, pickup_ids: list[int]) -> None:
    rows = await session.execute(
        select(
            PickupLine.order_line_id,
            PickupPoint.leader_id,
            OrderLine.product_id,
            Product.category,
            PickupLine.net_fen,
            OrderPickup.picked_up_at,
        )
        .join(OrderPickup, OrderPickup.id == PickupLine.pickup_id)
        .join(PickupPoint, PickupPoint.id == OrderPickup.pickup_point_id)
        .join(OrderLine, OrderLine.id == PickupLine.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(PickupLine.pickup_id.in_(pickup_ids))
        .order_by(PickupLine.id)
    )
    await accrue(
        session,
        [
            PickedUpLine(
                order_line_id=line_id,
                leader_id=leader_id,
                product_id=product_id,
                category=category,
                net_fen=net_fen,
                picked_up_at=at,
            )
            for line_id, leader_id, product_id, category, net_fen, at in rows.all()
        ],
    )


async def pickup_of(session: AsyncSession, order: Order) -> Pickup | None:
    """The order's collection with its lines, if collected."""
    rows = (
        await session.execute(
            select(OrderPickup, PickupLine, OrderLine)
            .outerjoin(PickupLine, PickupLine.pickup_id == OrderPickup.id)
            .outerjoin(OrderLine, OrderLine.id == PickupLine.order_line_id)
            .where(OrderPickup.order_id == order.id)
            .order_by(OrderLine.id)
        )
    ).all()
    if not rows:
        return None
    lines = [(p, line) for _, p, line in rows if p is not None and line is not None]
    return Pickup(order, rows[0][0], lines)


async def auto_complete_pickups(
    session: AsyncSession, now: datetime, rules: PickupRules, limit: int = AUTO_COMPLETE_BATCH
) -> int:
    """Complete up to ``limit`` paid orders still not collected
    ``auto_complete_days`` after their delivery date (recorded as AUTO, with
    their commission accrued); returns how many."""
    last_day = business_date(now, rules.zone) - timedelta(days=rules.auto_complete_days)
    due = (
        select(Order.id)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .where(
            Order.status == OrderStatus.PAID,
            Campaign.delivery_date <= last_day,
            ~exists().where(OrderPickup.order_id == Order.id),
            ~unsigned_published_stop(Order.pickup_point_id, Campaign.delivery_date),
            has_open_line(),
        )
        .order_by(Order.id)
        .limit(limit)
    )
    ids = list((await session.execute(due)).scalars())
    if not ids:
        return 0
    return len(
        await record_pickups(session, ids, method=PickupMethod.AUTO, verified_by_id=None, now=now)
    )
