"""Pickup reminders (fulfilment/pickup/reminders.py), on both databases:
customers whose goods reached their point today and are still not
collected at the configured local time get one reminder per order, however
often the job runs; collected orders, other points and other days none."""

from __future__ import annotations

from datetime import time

from sqlalchemy import text

from fulfilment.orders.models import PickupMethod
from fulfilment.pickup.jobs import REMIND, remind_customers
from fulfilment.pickup.recording import record_pickups
from fulfilment.pickup.reminders import REMINDER_KIND, remind_uncollected
from kernel.db import unit_of_work
from kernel.jobs.registry import handler_for, periodic_kinds
from tests.conftest import TestDB
from tests.support.pickup import TZ, Counter, counter_day, signed_with_missing

SIX_PM = time(18)


async def remind(db: TestDB, counter: Counter, hour: int, days: int = 0) -> int:
    async with unit_of_work(db.sessions) as session:
        return await remind_uncollected(session, counter.at(hour, days), zone=TZ, remind_at=SIX_PM)


async def reminded(db: TestDB) -> list[tuple[int, int]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT user_id, dedupe_key FROM notifications WHERE kind = :k ORDER BY id"),
            {"k": REMINDER_KIND},
        )
        return [(u, int(k.rsplit(":", 1)[1])) for u, k in rows.all()]


async def test_uncollected_delivered_orders_are_reminded_once_after_the_hour(db: TestDB) -> None:
    counter = await counter_day(db)
    day = counter.day
    # Only the shop's point is signed for; carol's point 2 and dora's 3 are not.
    await signed_with_missing(counter, db, 0)
    # Alice collected hers.
    async with unit_of_work(db.sessions) as session:
        await record_pickups(
            session,
            [counter.orders["alice"]],
            method=PickupMethod.CODE,
            verified_by_id=day.shop.leader_user.id,
            now=counter.at(15),
        )

    assert await remind(db, counter, 17) == 0  # before 18:00 local: nobody yet
    assert await reminded(db) == []

    assert await remind(db, counter, 19) == 1
    assert await reminded(db) == [(day.bob.id, counter.orders["bob"])]
    # Run again (and again later): still one reminder.
    assert await remind(db, counter, 19) == 0
    assert await remind(db, counter, 21) == 0
    assert await reminded(db) == [(day.bob.id, counter.orders["bob"])]
    body = await db.scalar("SELECT body FROM notifications WHERE kind = :k", k=REMINDER_KIND)
    assert "20:00" in body and "提货码" in body
    # The next day is not the delivery date: no reminder for it.
    assert await remind(db, counter, 19, days=1) == 0


async def test_nothing_is_reminded_before_the_goods_arrive(db: TestDB) -> None:
    counter = await counter_day(db)
    assert await remind(db, counter, 19) == 0
    assert await reminded(db) == []


def test_the_reminder_job_is_periodic() -> None:
    assert REMIND in periodic_kinds()
    assert handler_for(REMIND) is remind_customers
