"""An order refunded in full reads REFUNDED, whichever paths refunded it
(cutoff's missed thresholds, shortages and delivery issues, after-sale, a
payment after the order closed); one refunded in part, or paid twice, stays
PAID; and a REFUNDED order's pickup code collects nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from fulfilment.after_sale.models import AfterSaleReason
from fulfilment.after_sale.requests import approve_after_sale, request_after_sale
from fulfilment.orders.expiry import expire_unpaid
from fulfilment.orders.models import OrderStatus, PaymentOutcome, ShortfallReason
from fulfilment.orders.payments import record_payment
from fulfilment.pickup.errors import PickupErrorCode
from fulfilment.pickup.status import pickup_counts, pickup_entries
from fulfilment.pickup.verification import Verified
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.shortages import AllocationScope, short_latest_paid
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import open_shop
from tests.support.pickup import Counter, code_of, counter_day, rows, signed_with_missing, verify
from tests.support.routing import A_PRICE


async def status(db: TestDB, order_id: int) -> str:
    return str(await db.scalar("SELECT status FROM orders WHERE id = :o", o=order_id))


async def refunds_of(db: TestDB, order_id: int) -> list[tuple[Any, ...]]:
    return await rows(
        db,
        "SELECT reason, quantity, amount_fen FROM refunds WHERE order_id = :o ORDER BY id",
        o=order_id,
    )


async def pay_again(db: TestDB, order_id: int) -> PaymentOutcome:
    """A payment notification for the order, under a new transaction id."""
    number = await db.scalar("SELECT number FROM orders WHERE id = :o", o=order_id)
    total = await db.scalar("SELECT total_fen FROM orders WHERE id = :o", o=order_id)
    async with unit_of_work(db.sessions) as session:
        result = await record_payment(
            session,
            order_number=number,
            amount_fen=total,
            transaction_id=uuid.uuid4().hex,
            now=utcnow(),
        )
    return result.outcome


async def test_refunds_by_threshold_and_shortage_together_make_an_order_refunded(db):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "group_threshold": 10},
            {"group_price_fen": 350, "list_price_fen": 400},
        ],
    )
    alice, _ = await db.user(Role.CUSTOMER)
    bob, _ = await db.user(Role.CUSTOMER)
    only_missed = await order(db, shop, alice, {0: 2}, pay=True)
    mixed = await order(db, shop, bob, {0: 1, 1: 2}, pay=True)
    await cut_off(db, shop)
    # Every unit of alice's order missed its threshold; bob keeps two of B.
    assert await status(db, only_missed.id) == "refunded"
    assert await status(db, mixed.id) == "paid"
    async with unit_of_work(db.sessions) as session:
        (po,) = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())

    # The supplier is short of B: bob's last units go back too.
    async with unit_of_work(db.sessions) as session:
        shorted = await short_latest_paid(
            session,
            AllocationScope(shop.warehouse_id, shop.delivery_date),
            shop.extra["product_id"] + 1,
            2,
            reason=ShortfallReason.SUPPLIER_SHORT,
            now=utcnow(),
        )
    assert [(s.order_id, s.quantity) for s in shorted] == [(mixed.id, 2)]
    assert await status(db, mixed.id) == "refunded"
    assert await refunds_of(db, mixed.id) == [
        ("group_threshold_missed", 1, 990),
        ("shortage", 2, 700),
    ]
    # Refunded, not closed: both keep their payment, and what was ordered
    # from the supplier stays ordered (no new revision of the PO).
    assert await rows(db, "SELECT paid_at IS NOT NULL, closed_at FROM orders") == [
        (True, None),
        (True, None),
    ]
    async with unit_of_work(db.sessions) as session:
        again = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    assert [(p.id, p.revision) for p in again] == [(po.id, po.revision)]


async def test_a_late_payment_on_an_expired_order_reads_refunded_with_its_payment_time(db):
    shop = await open_shop(db)
    customer, _ = await db.user(Role.CUSTOMER)
    placed = await order(db, shop, customer, {0: 3}, pay=False)
    async with unit_of_work(db.sessions) as session:
        assert await expire_unpaid(session, placed.expires_at + timedelta(seconds=1)) == 1
    assert await pay_again(db, placed.id) is PaymentOutcome.ACCEPTED
    assert await status(db, placed.id) == "refunded"
    [(paid_at, closed_at)] = await rows(
        db, "SELECT paid_at, closed_at FROM orders WHERE id = :o", o=placed.id
    )
    assert paid_at is not None and closed_at is not None
    assert await refunds_of(db, placed.id) == [("paid_after_close", None, 3 * 990)]
    # Paid a second time: given back too; the order stays as it was.
    assert await pay_again(db, placed.id) is PaymentOutcome.ACCEPTED
    assert await status(db, placed.id) == "refunded"
    assert len(await refunds_of(db, placed.id)) == 2


async def test_a_partly_refunded_order_stays_paid_and_is_still_handed_out(db):
    counter = await counter_day(db)
    alice, bob = counter.orders["alice"], counter.orders["bob"]
    # Three units of A missing: bob's two (paid last), then one of alice's three.
    await signed_with_missing(counter, db, 3)
    assert await status(db, bob) == "refunded"
    assert await status(db, alice) == "paid"
    assert await refunds_of(db, alice) == [("delivery_missing", 1, A_PRICE)]
    done = await verify(db, counter.shop.leader_user, counter.at(), code=await code_of(db, alice))
    assert isinstance(done, Verified)
    # The point's day: alice's order only, collected; bob's has nothing to hand out.
    async with db.sessions() as session:
        counts = await pickup_counts(
            session, counter.shop.pickup_point_id, counter.shop.delivery_date
        )
        entries = await pickup_entries(
            session,
            counter.shop.pickup_point_id,
            counter.shop.delivery_date,
            after_id=None,
            limit=10,
        )
    assert (counts.orders, counts.picked_up) == (1, 1)
    assert [e.order.id for e in entries] == [alice]


async def test_a_double_payment_refund_leaves_the_order_paid(db):
    counter = await counter_day(db)
    bob = counter.orders["bob"]
    # One of bob's two units missing, then his order paid a second time: the
    # refunds add up to more than his total, but the second payment's refund
    # gives back a second payment, not his.
    await signed_with_missing(counter, db, 1)
    assert await pay_again(db, bob) is PaymentOutcome.ACCEPTED
    assert await refunds_of(db, bob) == [
        ("delivery_missing", 1, A_PRICE),
        ("double_payment", None, 2 * A_PRICE),
    ]
    assert await status(db, bob) == "paid"
    done = await verify(db, counter.shop.leader_user, counter.at(), code=await code_of(db, bob))
    assert isinstance(done, Verified)
    assert [(p.quantity, p.net_fen) for p, _ in done.pickup.lines] == [(1, A_PRICE)]


async def counter_books(db: TestDB) -> dict[str, Any]:
    """What a verification may write or change."""
    return {
        "orders": await rows(db, "SELECT id, status FROM orders ORDER BY id"),
        "pickups": await rows(db, "SELECT order_id FROM order_pickups"),
        "lines": await rows(db, "SELECT order_line_id FROM pickup_lines"),
        "attempts": await rows(db, "SELECT user_id FROM pickup_failed_attempts"),
        "commission": await rows(db, "SELECT id FROM commission_entries"),
    }


async def refused_code(counter: Counter, db: TestDB, order_id: int) -> object:
    code = await code_of(db, order_id)
    with pytest.raises(DomainError) as caught:
        await verify(db, counter.shop.leader_user, counter.at(), code=code)
    return caught.value.code


async def test_the_code_of_a_refunded_order_is_refused_and_nothing_changes(db):
    counter = await counter_day(db)
    bob = counter.orders["bob"]
    await signed_with_missing(counter, db, 2)  # bob's two units: all he ordered
    assert await status(db, bob) == "refunded"
    before = await counter_books(db)
    assert await refused_code(counter, db, bob) is PickupErrorCode.NOTHING_TO_PICK_UP
    assert await counter_books(db) == before


async def test_after_sale_of_every_collected_unit_makes_the_order_refunded(db):
    counter = await counter_day(db)
    alice, at = counter.orders["alice"], counter.at(15)
    code = await code_of(db, alice)
    assert isinstance(await verify(db, counter.shop.leader_user, at, code=code), Verified)
    for product, units in ((counter.day.product_a, 3), (counter.day.product_b, 1)):
        async with unit_of_work(db.sessions) as session:
            request = await request_after_sale(
                session,
                counter.day.alice.id,
                order_id=alice,
                product_id=product,
                quantity=units,
                reason=AfterSaleReason.QUALITY,
                note=None,
                now=at + timedelta(hours=1),
                window=timedelta(hours=48),
            )
            await approve_after_sale(
                session, request.id, decided_by_id=counter.shop.operator.id, now=utcnow()
            )
        expected = OrderStatus.PAID if product == counter.day.product_a else OrderStatus.REFUNDED
        assert await status(db, alice) == expected.value
    # Collected before it was refunded: the point's day still says so.
    async with db.sessions() as session:
        counts = await pickup_counts(
            session, counter.shop.pickup_point_id, counter.shop.delivery_date
        )
    assert (counts.orders, counts.picked_up) == (2, 1)
    assert await refused_code(counter, db, alice) is PickupErrorCode.NOTHING_TO_PICK_UP
