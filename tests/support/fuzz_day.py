"""The fuzzer's day of data: one small but complete delivery day, built once
per database through the test factories, a bearer token per role, and the
real IDs, dates and strings the generated inputs draw from.

The day: a sorted delivery day (``tests.support.pickup.counter_day``: a
warehouse, a supplier with two products, a cut-off campaign, three pickup
points, four paid orders, purchase orders, sorting), a published route
plan serving the first point, arrived and signed; alice collected her
order and asked for an after-sale refund; a pending pickup helper; a draft
plan; and a second warehouse with an open campaign and an unpaid order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import text

from fulfilment.orders.pickup_codes import qr_payload
from fulfilment.routing.models import RoutePlanStatus
from kernel.accounts import Role, User, issue_token
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TOKEN_SECRET, TestDB
from tests.fulfilment.after_sale.test_after_sale import ask, collected
from tests.fulfilment.purchasing.test_cutoff_purchasing import order
from tests.support.exports import supplier_user
from tests.support.factories import open_shop
from tests.support.network import grid_of, grid_operator
from tests.support.pickup import helper_of, signed_with_missing
from tests.support.routing import store_plan

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, *(role.value for role in Role))

# The table of each ID type whose name does not say it (``PickupPoint`` ->
# ``pickup_points`` does); ``Session`` is no Relay node, but sessionRevoke
# takes its ID.
ID_TABLES = {
    "LedgerEntry": "commission_entries",
    "Payout": "commission_payouts",
    "PayoutBatch": "commission_payout_batches",
    "Session": "auth_sessions",
    "Statement": "commission_statements",
}


def id_table(type_name: str) -> str:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in type_name).lstrip("_")
    return ID_TABLES.get(type_name, f"{snake}s")


@dataclass
class FuzzDay:
    """Tokens by role name (None for anonymous), the day's delivery dates
    and strings that mean something to the API (codes, phones, URLs)."""

    tokens: dict[str, str | None]
    dates: list[date]
    strings: list[str] = field(default_factory=list)


async def _token(db: TestDB, user: User) -> str:
    async with unit_of_work(db.sessions) as session:
        me = await session.get(User, user.id)
        assert me is not None
        return await issue_token(session, me, TOKEN_SECRET)


async def _known_strings(db: TestDB) -> list[str]:
    """Pickup codes with their QR payloads, and share codes."""
    async with db.engine.connect() as conn:
        codes = (
            await conn.execute(
                text(
                    "SELECT o.number, c.code FROM pickup_codes c "
                    "JOIN orders o ON o.id = c.order_id ORDER BY c.id"
                )
            )
        ).all()
        shares = (
            await conn.execute(
                text("SELECT share_code FROM pickup_points WHERE share_code IS NOT NULL")
            )
        ).scalars()
        out = [str(code) for _, code in codes] + [str(s) for s in shares]
    secret = db.settings.pickup_qr_secret
    out += [qr_payload(secret, str(number), str(code)) for number, code in codes]
    return out


PLAUSIBLE = [
    "13800138000",
    "+86 138 0013 8000",
    "https://example.com/hook",
    "http://127.0.0.1:1/x",
    "file:///etc/passwd",
    "水果",
    "幸福小区",
    "L1",
    "2024-01-01",
    "00000000-0000-0000-0000-000000000000",
]


async def seed_day(db: TestDB) -> FuzzDay:
    """Build the day (a few seconds) and sign every role in."""
    counter, at = await collected(db)
    day = counter.day
    operator = day.shop.operator
    await signed_with_missing(counter, db, 0)
    await ask(db, counter, at, 1)
    await helper_of(db, day.shop.leader_user, approve=False, operator=operator)
    await store_plan(
        db,
        day.shop.warehouse_id,
        day.shop.delivery_date,
        [[day.point2, day.point3]],
        status=RoutePlanStatus.DRAFT,
    )
    shop2 = await open_shop(db)
    await order(db, shop2, day.bob, {0: 1}, pay=False)
    await order(db, shop2, day.alice, {0: 2}, pay=False)
    _, dispatcher = await db.user(Role.DISPATCHER, "调度")
    _, driver = await db.user(Role.DRIVER, "司机")
    _, warehouse = await db.user(Role.WAREHOUSE, "仓管")
    grid = await grid_of(db, day.shop.warehouse_id, day.shop.operator, points=[day.point3])
    tokens: dict[str, str | None] = {
        ANONYMOUS: None,
        Role.OPERATOR.value: day.shop.operator_token,
        Role.LEADER.value: day.shop.leader_token,
        Role.SUPPLIER.value: await supplier_user(db, day.shop.extra["supplier_id"]),
        Role.DISPATCHER.value: dispatcher,
        Role.CUSTOMER.value: await _token(db, day.alice),
        Role.DRIVER.value: driver,
        Role.WAREHOUSE.value: warehouse,
        Role.GRID_OPERATOR.value: await grid_operator(db, grid),
    }
    today = utcnow().date()
    dates = sorted({day.shop.delivery_date, shop2.delivery_date, today, today - timedelta(days=1)})
    return FuzzDay(tokens, dates, PLAUSIBLE + await _known_strings(db))
