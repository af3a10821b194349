"""The in-app inbox: a user reads their own notifications, newest first,
counts the unread ones, and marks some or all of them read.

Everything here is scoped to one user: another user's notification reads
exactly like a missing one. Writing notifications is kernel/notifications.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import execute_counting
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.notifications import Notification

# Ids one markRead may name: a page's worth, like every list.
MAX_MARK = 100


async def list_notifications(
    session: AsyncSession,
    user_id: int,
    *,
    unread_only: bool = False,
    before_id: int | None = None,
    limit: int = 20,
) -> Sequence[Notification]:
    """The user's notifications newest first (by id, a keyset: ``before_id``
    is the last one of the previous page), at most ``limit``."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = await session.execute(query.order_by(Notification.id.desc()).limit(limit))
    return rows.scalars().all()


async def unread_count(session: AsyncSession, user_id: int) -> int:
    """How many of the user's notifications are unread (the badge)."""
    count = await session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count.scalar_one())


async def mark_read(
    session: AsyncSession,
    user_id: int,
    *,
    ids: Sequence[int] | None = None,
    everything: bool = False,
    now: datetime,
) -> int:
    """Mark the user's notifications ``ids`` (or ``everything``) read; ones
    already read keep their first reading time. An id that is not the
    user's (or does not exist) changes nothing at all: NOT_FOUND at its
    place in ``ids``. Returns how many became read."""
    if everything == (ids is not None):
        raise DomainError(
            CommonErrorCode.REQUIRED, "Give either the ids to mark read or all: true.", None
        )
    scope = Notification.user_id == user_id
    if ids is not None:
        if not ids or len(ids) > MAX_MARK:
            raise DomainError(CommonErrorCode.OUT_OF_RANGE, f"Give 1 to {MAX_MARK} ids.", ["ids"])
        wanted = set(ids)
        mine = set(
            (
                await session.execute(
                    select(Notification.id).where(scope, Notification.id.in_(wanted))
                )
            ).scalars()
        )
        for index, given in enumerate(ids):
            if given not in mine:
                raise NotFound("Notification", ["ids", str(index)])
        scope = scope & Notification.id.in_(wanted)
    return await execute_counting(
        session,
        update(Notification)
        .where(scope, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False),
    )
