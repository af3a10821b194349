"""Reading leaders."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import keyset_page
from leaders.points.models import Leader, LeaderStatus


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
