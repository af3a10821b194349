"""Retention of payment callbacks that booked nothing (run by ``jobs.prune``).

An accepted notification is the evidence of a payment and the check that
the same transaction is never booked twice: it stays for ever. A rejected
one (a forged signature, an unknown order, a wrong amount) and a duplicate
are kept ``retention_payment_notifications_days`` for investigation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import PaymentNotification, PaymentOutcome
from kernel.db import execute_counting
from kernel.jobs.pruning import pruner
from kernel.settings import Settings


@pruner("payment notifications")
async def prune_payment_notifications(
    session: AsyncSession, now: datetime, settings: Settings
) -> int:
    """Rejected and duplicate payment callbacks past their retention."""
    cutoff = now - timedelta(days=settings.retention_payment_notifications_days)
    return await execute_counting(
        session,
        delete(PaymentNotification).where(
            PaymentNotification.outcome != PaymentOutcome.ACCEPTED,
            PaymentNotification.received_at < cutoff,
        ),
    )
