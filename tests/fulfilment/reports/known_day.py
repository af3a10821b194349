"""A delivery day with known numbers for the reports' tests.

Four paid orders (tests.support.pickup's counter day): alice 3 A + 1 B and
bob 2 A at the shop's point, carol 4 A at point 2, dora 1 B at point 3
(A 990 fen, B 350 fen: GMV 9,610 fen). The supplier confirms both lines
whole (12 + 12 units, case packs of 12), delivers 9 A with one failing QC
and 2 B: closing receiving shorts 1 A of carol's (latest paid), refunded
990. Alice and bob collect; alice's 1 A is refunded after sale (quality,
990); dora gets 100 fen of goodwill. Settling the period pays the shop's
leader's commission into the balance, and the leader asks for a payout of
all of it on the seventh day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fulfilment.after_sale.models import AfterSaleReason
from fulfilment.after_sale.requests import approve_after_sale, request_after_sale
from fulfilment.orders.compensation import compensate
from fulfilment.purchasing.receiving import close_receiving, confirm, record_receipt
from fulfilment.reports.filters import DateRange
from kernel.clock import business_date, utcnow
from kernel.db import unit_of_work
from leaders.commission.models import Payout, Settlement
from leaders.commission.payouts import request_payout
from leaders.commission.settlement import settle
from tests.conftest import TestDB
from tests.support.pickup import TZ, Counter, code_of, counter_day, verify
from tests.support.routing import A_PRICE, B_PRICE

GMV = 6 * A_PRICE + 3 * A_PRICE + 2 * B_PRICE  # 9,610
GOODWILL = 100


@dataclass
class KnownDay:
    counter: Counter
    po_id: int
    leader_id: int  # the shop's leader
    settlement: Settlement
    payout: Payout

    @property
    def delivery_date(self) -> date:
        delivery: date = self.counter.shop.delivery_date
        return delivery

    @property
    def days(self) -> DateRange:
        """From the day before today (the tests' ledger dates collections no
        later than the real clock: see ``leaders.commission.accrual``) to
        twelve days after the delivery date."""
        today = business_date(utcnow(), TZ)
        return DateRange(today - timedelta(days=1), self.delivery_date + timedelta(days=12))


async def _receive_short(db: TestDB, counter: Counter) -> int:
    day = counter.day
    po_id = int(await db.scalar("SELECT id FROM purchase_orders"))
    supplier = int(day.shop.extra["supplier_id"])
    operator = day.shop.operator
    async with unit_of_work(db.sessions) as session:
        await confirm(session, po_id, supplier, {day.product_a: 12, day.product_b: 12}, utcnow())
    async with unit_of_work(db.sessions) as session:
        for product, received, accepted in ((day.product_a, 9, 8), (day.product_b, 2, 2)):
            await record_receipt(
                session,
                po_id,
                product,
                received=received,
                accepted=accepted,
                delivery_ref="D1",
                by=operator,
                now=utcnow(),
            )
    async with unit_of_work(db.sessions) as session:
        await close_receiving(session, po_id, utcnow())
    return po_id


async def _after_sale(db: TestDB, counter: Counter) -> None:
    at = counter.at(15)
    for name in ("alice", "bob"):
        code = await code_of(db, counter.orders[name])
        await verify(db, counter.shop.leader_user, at, code=code)
    async with unit_of_work(db.sessions) as session:
        asked = await request_after_sale(
            session,
            counter.day.alice.id,
            order_id=counter.orders["alice"],
            product_id=counter.day.product_a,
            quantity=1,
            reason=AfterSaleReason.QUALITY,
            note="烂了",
            now=counter.at(18),
            window=timedelta(hours=48),
        )
    async with unit_of_work(db.sessions) as session:
        await approve_after_sale(
            session, asked.id, decided_by_id=counter.shop.operator.id, now=counter.at(19)
        )
    async with unit_of_work(db.sessions) as session:
        await compensate(
            session,
            counter.orders["dora"],
            GOODWILL,
            "迟到",
            counter.shop.operator,
            utcnow(),
            limit_fen=5_000,
        )


async def known_day(db: TestDB) -> KnownDay:
    counter = await counter_day(db)
    po_id = await _receive_short(db, counter)
    await _after_sale(db, counter)
    leader_id = int(
        await db.scalar("SELECT id FROM leaders WHERE user_id = :u", u=counter.shop.leader_user.id)
    )
    later = utcnow() + timedelta(days=8, hours=db.settings.after_sale_window_hours + 1)
    async with unit_of_work(db.sessions) as session:
        settlement = await settle(session, later, db.settings)
    available = int(
        await db.scalar(
            "SELECT available_fen FROM commission_accounts WHERE leader_id = :l", l=leader_id
        )
    )
    settings = db.settings.model_copy(update={"payout_min_fen": 1})
    async with unit_of_work(db.sessions) as session:
        payout = await request_payout(
            session, leader_id, available, "report-day", counter.at(12, days=7), settings
        )
    return KnownDay(counter, po_id, leader_id, settlement, payout)
