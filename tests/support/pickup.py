"""A delivery day ready for the pickup counter, and small readers of what
pickup, after-sale and the commission ledger recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from fulfilment.delivery.models import DeliveryIssueKind
from fulfilment.delivery.receipts import IssueReport, sign_delivery
from fulfilment.delivery.stops import record_arrival
from fulfilment.pickup.rules import PickupRules
from fulfilment.pickup.verification import Verified, WrongCode, verify_pickup
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.points.helpers import add_helper, approve_helper
from tests.conftest import TestDB
from tests.support.routing import Day, sorted_day, store_plan

TZ = ZoneInfo("Asia/Shanghai")


@dataclass
class Counter:
    """A sorted day (see ``helpers_routing.Day``: alice 3 A + 1 B and bob 2 A
    at the shop's point, carol 4 A at point 2, dora 1 B at point 3) with each
    customer's order id."""

    day: Day
    orders: dict[str, int]  # customer name in the Day -> order id

    @property
    def shop(self) -> Any:
        return self.day.shop

    def at(self, hour: int = 15, days: int = 0) -> datetime:
        """A moment of the delivery date (or ``days`` later), Shanghai time, in UTC."""
        local = datetime.combine(
            self.shop.delivery_date + timedelta(days=days), time(hour), tzinfo=TZ
        )
        return local.astimezone(UTC)


async def counter_day(db: TestDB) -> Counter:
    day = await sorted_day(db)
    orders = {}
    for name in ("alice", "bob", "carol", "dora"):
        user: User = getattr(day, name)
        orders[name] = int(
            await db.scalar("SELECT id FROM orders WHERE customer_id = :c", c=user.id)
        )
    return Counter(day, orders)


def rules(db: TestDB, **overrides: Any) -> PickupRules:
    return PickupRules.of(db.settings.model_copy(update=overrides))


async def code_of(db: TestDB, order_id: int) -> str:
    return str(await db.scalar("SELECT code FROM pickup_codes WHERE order_id = :o", o=order_id))


async def verify(db: TestDB, user: User, now: datetime, **given: Any) -> Verified | WrongCode:
    """pickupVerify's unit of work: a wrong code is committed too."""
    async with unit_of_work(db.sessions) as session:
        return await verify_pickup(session, user.id, now=now, rules=rules(db), **given)


async def helper_of(db: TestDB, leader: User, *, approve: bool, operator: User) -> User:
    """A customer the leader registered as a helper (approved if asked)."""
    helper, _ = await db.user(Role.CUSTOMER, "帮手")
    async with unit_of_work(db.sessions) as session:
        added = await add_helper(session, leader.id, user_id=helper.id, now=utcnow())
        if approve:
            await approve_helper(session, added.id, operator.id, utcnow())
    return helper


async def signed_with_missing(counter: Counter, db: TestDB, units_of_a: int) -> None:
    """A published plan serving the shop's point, arrived, and signed with
    ``units_of_a`` of product A missing (refunded latest-paid first)."""
    day = counter.day
    plan = await store_plan(
        db, day.shop.warehouse_id, day.shop.delivery_date, [[day.shop.pickup_point_id]]
    )
    stop = plan.stop_ids[day.shop.pickup_point_id]
    async with unit_of_work(db.sessions) as session:
        await record_arrival(session, stop, utcnow())
    async with unit_of_work(db.sessions) as session:
        issues = (
            [IssueReport(day.product_a, DeliveryIssueKind.MISSING, units_of_a)]
            if units_of_a
            else []
        )
        await sign_delivery(
            session, day.shop.leader_user.id, route_stop_id=stop, issues=issues, now=utcnow()
        )


async def rows(db: TestDB, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql), params)).all()]


async def accruals(db: TestDB) -> list[tuple[int, int, int]]:
    """(order line, base fen, commission fen) of every accrual, in line order."""
    return await rows(
        db,
        "SELECT order_line_id, base_fen, amount_fen FROM commission_entries "
        "WHERE kind = 'accrual' ORDER BY order_line_id",
    )


async def reversals(db: TestDB) -> list[tuple[int, int, int]]:
    """(order line, refund, fen) of every reversal of the leader's commission."""
    return await rows(
        db,
        "SELECT order_line_id, refund_id, amount_fen FROM commission_entries "
        "WHERE kind = 'reversal' ORDER BY id",
    )


async def line_of(db: TestDB, order_id: int, product_id: int) -> int:
    return int(
        await db.scalar(
            "SELECT id FROM order_lines WHERE order_id = :o AND product_id = :p",
            o=order_id,
            p=product_id,
        )
    )


async def move_day(db: TestDB, counter: Counter, days_from_today: int) -> None:
    """Move the campaign's delivery date (and its codes) to today plus
    ``days_from_today`` in Shanghai, for the jobs and the API, which read the
    real clock."""
    today = utcnow().astimezone(TZ).date()
    new = today + timedelta(days=days_from_today)
    async with db.engine.begin() as conn:
        for table in ("campaigns", "pickup_codes", "route_plans"):
            await conn.execute(
                text(f"UPDATE {table} SET delivery_date = :d WHERE delivery_date = :old"),
                {"d": new, "old": counter.shop.delivery_date},
            )
    counter.shop.delivery_date = new
