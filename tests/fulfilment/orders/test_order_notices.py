"""Customers hear about money coming back (fulfilment/orders/notices.py), on
both databases: items that missed their group threshold at cutoff, a
supplier's shortage, units missing on delivery, and a refund reaching
them (WeChat Pay's SUCCESS, or cash from the leader). Each the right
people, once, and no one else."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from fulfilment.orders.notices import REFUND_SUCCEEDED, SHORTAGE_REFUND, THRESHOLD_MISSED
from fulfilment.orders.refund_outcomes import apply_provider_refund, settle_in_cash
from fulfilment.purchasing.cutoff import run_cutoff
from fulfilment.purchasing.receiving import confirm
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.wechatpay.models import Refund as ProviderRefund
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.fulfilment.purchasing.test_shortages import day_with_orders
from tests.support.factories import open_shop
from tests.support.pickup import counter_day, signed_with_missing


async def told(db: TestDB, kind: str) -> list[tuple[int, dict[str, Any], str]]:
    """(user, data, body) of every notification of ``kind``, oldest first."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT user_id, data, body FROM notifications WHERE kind = :k ORDER BY id"),
            {"k": kind},
        )
        out = []
        for user_id, data, body in rows.all():
            if isinstance(data, str):  # JSON read raw comes back as text
                data = json.loads(data)
            out.append((user_id, data, body))
        return out


async def test_customers_whose_lines_missed_the_threshold_hear_it_once(db: TestDB) -> None:
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "group_threshold": 5},
            {"group_price_fen": 350, "list_price_fen": 400, "group_threshold": 2},
        ],
    )
    alice, _ = await db.user(Role.CUSTOMER)
    bob, _ = await db.user(Role.CUSTOMER)
    carol, _ = await db.user(Role.CUSTOMER)
    a = await order(db, shop, alice, {0: 2, 1: 1}, pay=True)
    b = await order(db, shop, bob, {0: 1}, pay=True)
    await order(db, shop, carol, {1: 1}, pay=True)  # only the item that made it
    await order(db, shop, carol, {0: 3}, pay=False)  # unpaid: expired, nothing refunded
    await cut_off(db, shop)

    notes = await told(db, THRESHOLD_MISSED)
    assert [(user, data["order_id"], data["refund_fen"]) for user, data, _ in notes] == [
        (alice.id, a.id, 2 * 990),
        (bob.id, b.id, 990),
    ]
    assert a.number in notes[0][2] and "「商品0」" in notes[0][2] and "19.80" in notes[0][2]
    assert notes[0][1]["order_number"] == a.number and len(notes[0][1]["refund_ids"]) == 1

    async with unit_of_work(db.sessions) as session:
        assert (await run_cutoff(session, shop.campaign_id, utcnow())).already_done
    assert len(await told(db, THRESHOLD_MISSED)) == 2


async def test_customers_shorted_by_a_supplier_hear_of_their_refund(db: TestDB) -> None:
    shop, po_id, orders = await day_with_orders(db, [3, 4, 5])  # 12 units, one case
    async with unit_of_work(db.sessions) as session:
        await confirm(
            session, po_id, shop.extra["supplier_id"], {shop.extra["product_id"]: 6}, utcnow()
        )
    notes = await told(db, SHORTAGE_REFUND)
    # The latest-paid order whole (5), then 1 of the middle one; the first is untouched.
    got = {(user, data["order_id"], data["refund_fen"]) for user, data, _ in notes}
    assert got == {
        (orders[2].customer_id, orders[2].id, 5 * 990),
        (orders[1].customer_id, orders[1].id, 990),
    }
    assert all("缺货" in body for _, _, body in notes)
    assert (
        await db.scalar(
            "SELECT count(*) FROM notifications WHERE user_id = :u", u=orders[0].customer_id
        )
        == 0
    )


async def test_customers_refunded_for_units_missing_on_delivery_hear_it(db: TestDB) -> None:
    counter = await counter_day(db)
    await signed_with_missing(counter, db, 3)  # bob's 2 of A, then 1 of alice's
    day = counter.day
    notes = await told(db, SHORTAGE_REFUND)
    assert sorted(user for user, _, _ in notes) == sorted([day.alice.id, day.bob.id])
    assert all("配送缺失" in body for _, _, body in notes)
    assert {data["order_id"] for _, data, _ in notes} == {
        counter.orders["alice"],
        counter.orders["bob"],
    }


async def test_a_refund_back_with_the_payer_is_announced_once(db: TestDB) -> None:
    shop = await open_shop(
        db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "group_threshold": 5}]
    )
    alice, _ = await db.user(Role.CUSTOMER)
    bob, _ = await db.user(Role.CUSTOMER)
    a = await order(db, shop, alice, {0: 2}, pay=True)
    await order(db, shop, bob, {0: 1}, pay=True)
    await cut_off(db, shop)
    refund_a = int(await db.scalar("SELECT id FROM refunds WHERE order_id = :o", o=a.id))
    refund_b = int(await db.scalar("SELECT id FROM refunds WHERE order_id <> :o", o=a.id))
    answer = ProviderRefund(
        out_refund_no=str(refund_a),
        out_trade_no=a.number,
        refund_id="50000000000001",
        status="SUCCESS",
        refund=2 * 990,
        total=2 * 990,
        success_time=None,
        raw={},
    )
    for _ in range(2):  # the notification and a query both say SUCCESS
        async with unit_of_work(db.sessions) as session:
            await apply_provider_refund(session, answer, utcnow())
    notes = await told(db, REFUND_SUCCEEDED)
    assert [(user, data["refund_id"], data["cash"]) for user, data, _ in notes] == [
        (alice.id, refund_a, False)
    ]
    assert "19.80" in notes[0][2] and "微信" in notes[0][2]

    # Cash handed back by the leader: the customer hears it too, once.
    for _ in range(2):
        async with unit_of_work(db.sessions) as session:
            await settle_in_cash(session, refund_b, utcnow())
    notes = await told(db, REFUND_SUCCEEDED)
    assert [(user, data["cash"]) for user, data, _ in notes] == [(alice.id, False), (bob.id, True)]
    assert "现金" in notes[1][2]
    # Nobody else heard of it.
    others = await db.scalar(
        "SELECT count(*) FROM notifications WHERE kind = :k AND user_id NOT IN (:a, :b)",
        k=REFUND_SUCCEEDED,
        a=alice.id,
        b=bob.id,
    )
    assert others == 0
