"""Reading leaders and pickup points."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import keyset_page
from leaders.models import Leader, LeaderStatus, PickupPoint


async def leader_of_user(session: AsyncSession, user_id: int) -> Leader | None:
    return (
        await session.execute(select(Leader).where(Leader.user_id == user_id))
    ).scalar_one_or_none()


async def list_leaders(
    session: AsyncSession, *, status: LeaderStatus | None, after_id: int | None, limit: int
) -> Sequence[Leader]:
    """Leaders in id order from after ``after_id`` (keyset pagination)."""
    stmt = select(Leader)
    if status is not None:
        stmt = stmt.where(Leader.status == status)
    stmt = keyset_page(stmt, Leader.id, after_id, limit)
    return (await session.execute(stmt)).scalars().all()


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
