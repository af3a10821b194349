"""Binding a customer to the pickup point they order through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leaders.points.models import CustomerBinding


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
