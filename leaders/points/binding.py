"""Binding a customer to the pickup point they order through."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import NotFound
from leaders.points.models import CustomerBinding, Leader, LeaderStatus, PickupPoint


async def bind_customer(
    session: AsyncSession, user_id: int, pickup_point_id: int, now: datetime
) -> CustomerBinding:
    """Bind ``user_id`` to ``pickup_point_id`` (the last point wins, as when
    an order is placed through another point)."""
    binding = await session.get(CustomerBinding, user_id)
    if binding is None:
        binding = CustomerBinding(user_id=user_id, pickup_point_id=pickup_point_id, bound_at=now)
        session.add(binding)
    elif binding.pickup_point_id != pickup_point_id:
        binding.pickup_point_id = pickup_point_id
        binding.bound_at = now
    await session.flush()
    return binding


async def choose_pickup_point(
    session: AsyncSession,
    user_id: int,
    pickup_point_id: int,
    now: datetime,
    *,
    also: Iterable[ColumnElement[bool]] = (),
) -> PickupPoint:
    """A customer without a share link chooses the point they order through
    (found nearby, say); it replaces any earlier one. The point must be taking
    orders: its leader approved, and ``also`` holds conditions on the point
    from rooms above (a warehouse serving it). A point that is not is
    NOT_FOUND, exactly like a missing one: whether a suspended leader's point
    exists is none of a customer's business. Nothing is written then."""
    stmt = (
        select(PickupPoint)
        .join(Leader, Leader.id == PickupPoint.leader_id)
        .where(
            PickupPoint.id == pickup_point_id,
            Leader.status == LeaderStatus.APPROVED,
            *also,
        )
    )
    point = (await session.execute(stmt)).scalar_one_or_none()
    if point is None:
        raise NotFound("Pickup point", ["pickupPointId"])
    await bind_customer(session, user_id, point.id, now)
    return point


async def bound_pickup_point_id(session: AsyncSession, user_id: int) -> int | None:
    """The pickup point ``user_id`` is bound to, if any."""
    binding = await session.get(CustomerBinding, user_id)
    return None if binding is None else binding.pickup_point_id
