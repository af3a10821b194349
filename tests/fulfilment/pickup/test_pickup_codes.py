"""Pickup codes: issued with the payment, six random digits unique per
pickup point and delivery date (also under concurrency), a signed QR payload,
and a backfill for orders paid before codes existed."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

import migrations
from fulfilment.orders.payments import record_payment
from fulfilment.orders.pickup_codes import issue_pickup_code, parse_qr, qr_payload
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from tests import conftest
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import order
from tests.support.factories import open_shop
from tests.support.pickup import rows


async def paid_orders(db: TestDB, count: int, pay: bool = True) -> list[int]:
    shop = await open_shop(db)
    ids = []
    for _ in range(count):
        customer, _ = await db.user(Role.CUSTOMER)
        ids.append((await order(db, shop, customer, {0: 1}, pay=pay)).id)
    return ids


async def codes(db: TestDB) -> list[tuple[int, int, str, str]]:
    return await rows(
        db,
        "SELECT c.order_id, c.pickup_point_id, c.delivery_date, c.code FROM pickup_codes c "
        "ORDER BY c.order_id",
    )


async def test_each_payment_issues_a_six_digit_code_unique_at_its_point_and_day(db):
    paid = await paid_orders(db, 12)
    unpaid = await paid_orders(db, 2, pay=False)
    issued = await codes(db)
    assert [o for o, _, _, _ in issued] == paid
    assert all(len(c) == 6 and c.isdigit() for _, _, _, c in issued)
    keys = [(p, d, c) for _, p, d, c in issued]
    assert len(set(keys)) == len(keys)
    assert not set(unpaid) & {o for o, _, _, _ in issued}


async def test_a_repeated_payment_notification_keeps_the_first_code(db):
    shop = await open_shop(db)
    customer, _ = await db.user(Role.CUSTOMER)
    placed = await order(db, shop, customer, {0: 2}, pay=False)
    transaction = uuid.uuid4().hex
    for _ in range(2):
        async with unit_of_work(db.sessions) as session:
            await record_payment(
                session,
                order_number=placed.number,
                amount_fen=placed.total_fen,
                transaction_id=transaction,
                now=utcnow(),
            )
    assert len(await codes(db)) == 1


async def test_a_code_taken_that_day_at_that_point_is_drawn_again(db):
    first, second = await paid_orders(db, 2)
    taken = dict((o, c) for o, _, _, c in await codes(db))
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM pickup_codes WHERE order_id = :o"), {"o": second})
    draws = iter([taken[first], taken[first], "424242"])
    async with unit_of_work(db.sessions) as session:
        issued = await issue_pickup_code(session, second, utcnow(), draw=lambda: next(draws))
    assert issued.code == "424242"
    # Issuing again returns the order's code without drawing.
    async with unit_of_work(db.sessions) as session:
        again = await issue_pickup_code(session, second, utcnow(), draw=lambda: next(draws))
    assert again.code == "424242"


def test_the_qr_payload_is_signed_and_anything_else_is_refused():
    payload = qr_payload("k", "TG20261124-0001", "012345")
    assert payload.startswith("TG1|TG20261124-0001|012345|")
    assert parse_qr("k", payload) == ("TG20261124-0001", "012345")
    assert parse_qr("other key", payload) is None
    tampered = payload.replace("|012345|", "|012346|")
    assert parse_qr("k", tampered) is None
    for junk in ("", "012345", "TG1|x|12345|abc", "TG2" + payload[3:], payload + "|x"):
        assert parse_qr("k", junk) is None


@pytest.mark.postgres_only
async def test_concurrent_issues_from_a_tiny_code_space_stay_unique(pg):
    ids = await paid_orders(pg, 16)
    async with pg.engine.begin() as conn:
        await conn.execute(text("DELETE FROM pickup_codes"))
    # 20 possible codes for 16 orders: collisions all the time.
    space = [f"{n:06d}" for n in range(20)]
    counter = itertools.count()

    def draw() -> str:
        return space[(next(counter) * 7) % len(space)]

    async def issue(order_id: int) -> str:
        async with unit_of_work(pg.sessions) as session:
            return (await issue_pickup_code(session, order_id, utcnow(), draw=draw)).code

    issued = await asyncio.gather(*(issue(o) for o in ids))
    assert len(set(issued)) == 16
    assert sorted(c for _, _, _, c in await codes(pg)) == sorted(issued)


async def test_migrating_gives_orders_paid_before_codes_existed_theirs(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url)
    engine = create_engine(url)
    db = TestDB("sqlite", url, conftest.test_settings(url), engine, create_sessionmaker(engine))
    try:
        paid = await paid_orders(db, 5)
        await paid_orders(db, 1, pay=False)
        command.downgrade(migrations.alembic_config(url), "0008")
        migrations.upgrade(url)
        issued = await codes(db)
        assert [o for o, _, _, _ in issued] == paid
        assert len({(p, d, c) for _, p, d, c in issued}) == 5
        assert all(len(c) == 6 and c.isdigit() for _, _, _, c in issued)
    finally:
        await engine.dispose()
