"""Reading pickup points."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import keyset_page
from leaders.points.models import Leader, LeaderStatus, PickupPoint


async def list_pickup_points(
    session: AsyncSession, *, orderable_only: bool, after_id: int | None, limit: int
) -> Sequence[PickupPoint]:
    """Pickup points in id order; ``orderable_only`` keeps those of approved leaders."""
    stmt = select(PickupPoint)
    if orderable_only:
        stmt = stmt.join(Leader, Leader.id == PickupPoint.leader_id).where(
            Leader.status == LeaderStatus.APPROVED
        )
    stmt = keyset_page(stmt, PickupPoint.id, after_id, limit)
    return (await session.execute(stmt)).scalars().all()


async def pickup_points_by_leader(
    session: AsyncSession, leader_ids: Sequence[int]
) -> dict[int, PickupPoint]:
    rows = await session.execute(select(PickupPoint).where(PickupPoint.leader_id.in_(leader_ids)))
    return {p.leader_id: p for p in rows.scalars()}
