"""Retention (issue 20): the hourly prune forgets delivered webhooks, old
notifications, failed periodic runs and payment callbacks that booked
nothing, and never what money depends on or what people started."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from fulfilment.orders.models import PaymentNotification, PaymentOutcome
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import Base, unit_of_work
from kernel.jobs.diagnostics import PING
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.pruning import PRUNE
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from kernel.notifications import Notification
from kernel.outbox import OutboxMessage, OutboxStatus, publish
from tests.conftest import TestDB

OLD = timedelta(days=400)


async def _count(db: TestDB, model: type[Base]) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _webhooks(db: TestDB) -> None:
    """Delivered and dead, old and new, and an old one still pending."""
    now = utcnow()
    rows = [
        (OutboxStatus.DELIVERED, now - timedelta(days=31)),  # goes
        (OutboxStatus.DELIVERED, now - timedelta(days=1)),
        (OutboxStatus.FAILED, now - timedelta(days=31)),  # may still be replayed
        (OutboxStatus.FAILED, now - timedelta(days=91)),  # goes
        (OutboxStatus.PENDING, now - OLD),  # never: not sent yet
    ]
    async with unit_of_work(db.sessions) as session:
        for _ in rows:
            publish(session, topic="t", url="http://127.0.0.1:9/", secret="s", payload={})
        await session.flush()
        ids = (await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id))).all()
        for row_id, (status, created) in zip(ids, rows, strict=True):
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(status=status, created_at=created)
            )


async def test_the_hourly_prune_keeps_what_money_and_people_need(db: TestDB) -> None:
    user, _ = await db.user(Role.CUSTOMER)
    now = utcnow()
    await _webhooks(db)
    async with unit_of_work(db.sessions) as session:
        for created in (now - timedelta(days=181), now):
            session.add(
                Notification(
                    user_id=user.id, kind="k", title="t", body="b", data={}, created_at=created
                )
            )
        for outcome, received in (
            (PaymentOutcome.ACCEPTED, now - OLD),  # the evidence of a payment: for ever
            (PaymentOutcome.REJECTED, now - OLD),  # goes
            (PaymentOutcome.DUPLICATE, now - OLD),  # goes
            (PaymentOutcome.REJECTED, now),
        ):
            session.add(
                PaymentNotification(
                    order_number="T1",
                    transaction_id=f"wx-{outcome.value}-{received:%s}",
                    amount_fen=100,
                    outcome=outcome,
                    received_at=received,
                )
            )
        for kind, status in ((PRUNE, JobStatus.FAILED), (PING, JobStatus.FAILED)):
            session.add(
                Job(
                    kind=kind,
                    status=status,
                    payload={},
                    created_at=now - OLD,
                    finished_at=now - OLD,
                )
            )
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, PRUNE)
    assert await run_job(db.sessions, job.id) is JobStatus.SUCCEEDED

    async with db.sessions() as session:
        done = await session.get(Job, job.id)
        assert done is not None and done.result is not None
        deleted = done.result["deleted"]
        kept_outcomes = sorted(
            o.value for o in await session.scalars(select(PaymentNotification.outcome))
        )
        jobs_left = sorted(k for k in await session.scalars(select(Job.kind)))
    assert deleted == {
        "notifications": 1,
        "payment notifications": 2,
        "periodic job runs": 1,
        "webhook deliveries": 2,
    }
    assert await _count(db, OutboxMessage) == 3
    assert await _count(db, Notification) == 1
    assert kept_outcomes == ["accepted", "rejected"]
    # The operator's failed ping stays; so does this run.
    assert jobs_left == sorted([PING, PRUNE])
