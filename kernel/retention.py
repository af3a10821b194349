"""The kernel's retention rules beyond jobs: webhooks and notifications
(run by ``jobs.prune``, kernel/jobs/pruning.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import execute_counting
from kernel.jobs.pruning import pruner
from kernel.notifications import Notification
from kernel.outbox import OutboxMessage, OutboxStatus
from kernel.settings import Settings

# A dead delivery waits this many times longer than a delivered one: an
# operator may still replay it.
DEAD_FACTOR = 3


@pruner("webhook deliveries")
async def prune_outbox(session: AsyncSession, now: datetime, settings: Settings) -> int:
    """Delivered webhooks after ``retention_outbox_days``, dead ones after
    three times that; pending ones never."""
    days = settings.retention_outbox_days
    delivered = await execute_counting(
        session,
        delete(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.DELIVERED,
            OutboxMessage.created_at < now - timedelta(days=days),
        ),
    )
    dead = await execute_counting(
        session,
        delete(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.created_at < now - timedelta(days=days * DEAD_FACTOR),
        ),
    )
    return delivered + dead


@pruner("notifications")
async def prune_notifications(session: AsyncSession, now: datetime, settings: Settings) -> int:
    """In-app notifications after ``retention_notifications_days``."""
    cutoff = now - timedelta(days=settings.retention_notifications_days)
    return await execute_counting(
        session, delete(Notification).where(Notification.created_at < cutoff)
    )
