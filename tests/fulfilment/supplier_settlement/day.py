"""A delivery day with every kind of thing a supplier statement books.

The counter day (tests/support/pickup.py): product A, 9 units ordered (case
pack 12, so 12 bought), product B, 2 ordered (12 bought), both at an agreed
cost of 6.00 yuan, one supplier. Then:

* the supplier confirms 10 of A (a short confirmation, not charged) and
  leaves B unconfirmed (all 12 promised);
* A: 9 arrive, 8 pass QC (1 short of the 10 confirmed, 1 failed);
  B: 12 arrive and pass; receiving closes;
* the leader signs for the shop's stop with 1 A missing, which an operator
  finds was the supplier's fault;
* alice collects her 3 A + 1 B and gets 1 A refunded for quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from fulfilment.after_sale.models import AfterSaleReason
from fulfilment.after_sale.requests import approve_after_sale, request_after_sale
from fulfilment.pickup.verification import Verified
from fulfilment.purchasing import receiving
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.supplier_settlement.faults import record_delivery_fault
from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.commission.settlement import ANCHOR
from tests.conftest import TestDB
from tests.support.pickup import TZ, Counter, code_of, counter_day, signed_with_missing, verify

COST = 600


@dataclass
class BuiltDay:
    counter: Counter
    supplier_id: int
    po_id: int
    product_a: int
    product_b: int
    # The first period end after the delivery date, and a moment after it.
    period_end: date
    after_end: datetime


def next_period_end(day: date, period_days: int = 7) -> date:
    """The first period end strictly after ``day``."""
    return day + timedelta(days=period_days - (day - ANCHOR).days % period_days)


async def received_day(db: TestDB) -> BuiltDay:
    """The counter day with its PO confirmed, received and closed."""
    counter = await counter_day(db)
    shop, day = counter.shop, counter.day
    supplier_id = shop.extra["supplier_id"]
    async with unit_of_work(db.sessions) as session:
        po = (
            await session.execute(
                select(PurchaseOrder).where(PurchaseOrder.supplier_id == supplier_id)
            )
        ).scalar_one()
        now = utcnow()
        await receiving.confirm(session, po.id, supplier_id, {day.product_a: 10}, now)
        for product, received, accepted in ((day.product_a, 9, 8), (day.product_b, 12, 12)):
            await receiving.record_receipt(
                session,
                po.id,
                product,
                received=received,
                accepted=accepted,
                delivery_ref="D1",
                by=shop.operator,
                now=now,
            )
        await receiving.close_receiving(session, po.id, now)
        po_id = po.id
    end = next_period_end(shop.delivery_date)
    after = datetime.combine(end, time(1), tzinfo=TZ).astimezone(UTC)
    return BuiltDay(counter, supplier_id, po_id, day.product_a, day.product_b, end, after)


async def built_day(db: TestDB) -> BuiltDay:
    """``received_day`` plus a delivery fault and an after-sale quality claim."""
    built = await received_day(db)
    counter = built.counter
    await signed_with_missing(counter, db, 1)
    issue_id = int(await db.scalar("SELECT id FROM delivery_issues"))
    async with unit_of_work(db.sessions) as session:
        await record_delivery_fault(session, issue_id, "整箱少装", counter.shop.operator, utcnow())
    at = counter.at(15)
    code = await code_of(db, counter.orders["alice"])
    assert isinstance(await verify(db, counter.shop.leader_user, at, code=code), Verified)
    async with unit_of_work(db.sessions) as session:
        asked = await request_after_sale(
            session,
            counter.day.alice.id,
            order_id=counter.orders["alice"],
            product_id=built.product_a,
            quantity=1,
            reason=AfterSaleReason.QUALITY,
            note="烂了",
            now=at + timedelta(hours=1),
            window=timedelta(hours=48),
        )
        await approve_after_sale(
            session, asked.id, decided_by_id=counter.shop.operator.id, now=at + timedelta(hours=1)
        )
    return built
