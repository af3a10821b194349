"""The database caps an order's refunds at what was paid for it, on both
databases and by every way a refund is written (one row, many rows in one
statement, two transactions racing on PostgreSQL); a refusal changes
nothing. Migration 0021's two triggers are held to the same behaviour."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import pytest
from sqlalchemy import insert, literal, select, union_all
from sqlalchemy.exc import IntegrityError

from fulfilment.orders.models import Order, Refund, RefundReason
from fulfilment.orders.payments import record_payment
from fulfilment.orders.refund_cap import exceeds_paid
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB, app_client
from tests.support.factories import ORDER_CREATE, open_shop, order_input


async def paid_order(db: TestDB, *, payments: int = 1) -> tuple[int, int]:
    """An order of three units at 9.90, paid ``payments`` times: (id, total)."""
    shop = await open_shop(db)
    _, token = await db.user(Role.CUSTOMER, "顾客")
    async with app_client(db.url) as gql:
        created = await gql(ORDER_CREATE, order_input(shop, {0: 3}), token=token)
    order = created["data"]["orderCreate"]["order"]
    for _ in range(payments):
        async with unit_of_work(db.sessions) as session:
            await record_payment(
                session,
                order_number=order["number"],
                amount_fen=order["totalFen"],
                transaction_id=uuid.uuid4().hex,
                now=utcnow(),
            )
    order_id = await db.scalar("SELECT id FROM orders WHERE number = :n", n=order["number"])
    return int(order_id), int(order["totalFen"])


def refund(order_id: int, amount_fen: int, now: datetime) -> Refund:
    return Refund(
        order_id=order_id, amount_fen=amount_fen, reason=RefundReason.SHORTAGE, created_at=now
    )


async def books(db: TestDB, order_id: int) -> tuple[int, int, int]:
    """(paid_fen, refunded_fen, the refunds' own sum) of the order."""
    async with db.sessions() as session:
        order = await session.get(Order, order_id)
        assert order is not None
        amounts = await session.scalars(
            select(Refund.amount_fen).where(Refund.order_id == order_id)
        )
        return order.paid_fen, order.refunded_fen, sum(amounts)


async def test_refunds_count_up_to_what_was_paid_and_no_further(db: TestDB) -> None:
    order_id, total = await paid_order(db)
    assert await books(db, order_id) == (total, 0, 0)
    now = utcnow()
    async with unit_of_work(db.sessions) as session:
        session.add(refund(order_id, total - 1, now))
    assert await books(db, order_id) == (total, total - 1, total - 1)

    with pytest.raises(IntegrityError) as refused:
        async with unit_of_work(db.sessions) as session:
            session.add(refund(order_id, 2, now))
    assert exceeds_paid(refused.value)
    assert await books(db, order_id) == (total, total - 1, total - 1)

    async with unit_of_work(db.sessions) as session:
        session.add(refund(order_id, 1, now))
    assert await books(db, order_id) == (total, total, total)


async def test_a_set_based_insert_is_refused_whole(db: TestDB) -> None:
    """The night's refunds are written many rows per statement: one row too
    many and none of them is booked."""
    order_id, total = await paid_order(db)
    half = total // 2
    rows = [
        select(
            literal(order_id).label("order_id"),
            literal(amount).label("amount_fen"),
            literal(RefundReason.SHORTAGE.value).label("reason"),
            literal(utcnow()).label("created_at"),
        )
        for amount in (half, half, 1 + total - 2 * half)
    ]
    statement = insert(Refund).from_select(
        ["order_id", "amount_fen", "reason", "created_at"],
        union_all(*rows),
        include_defaults=False,  # the server's defaults, as a bulk writer gets
    )
    with pytest.raises(IntegrityError) as refused:
        async with unit_of_work(db.sessions) as session:
            await session.execute(statement)
    assert exceeds_paid(refused.value)
    assert await books(db, order_id) == (total, 0, 0)


async def test_a_second_payment_raises_what_may_be_refunded(db: TestDB) -> None:
    """Paid twice: the second payment is booked back at once, and the order's
    own total may still be refunded in full."""
    order_id, total = await paid_order(db, payments=2)
    assert await books(db, order_id) == (2 * total, total, total)
    async with unit_of_work(db.sessions) as session:
        session.add(refund(order_id, total, utcnow()))
    assert await books(db, order_id) == (2 * total, 2 * total, 2 * total)


async def test_an_unpaid_order_takes_no_refund(db: TestDB) -> None:
    order_id, _ = await paid_order(db, payments=0)
    with pytest.raises(IntegrityError) as refused:
        async with unit_of_work(db.sessions) as session:
            session.add(refund(order_id, 1, utcnow()))
    assert exceeds_paid(refused.value)


@pytest.mark.postgres_only
async def test_racing_refunds_of_one_order_never_pass_the_payment(pg: TestDB) -> None:
    """Ten transactions each refund 30 % of one order at the same moment: at
    most three are booked, and the books agree with the rows."""
    order_id, total = await paid_order(pg)
    share = total * 3 // 10

    async def one() -> bool:
        try:
            async with unit_of_work(pg.sessions) as session:
                session.add(refund(order_id, share, utcnow()))
                await session.flush()
                await asyncio.sleep(0.01)  # hold the lock while the others arrive
            return True
        except IntegrityError as exc:
            assert exceeds_paid(exc)
            return False

    booked = await asyncio.gather(*(one() for _ in range(10)))
    assert sum(booked) == 3
    assert await books(pg, order_id) == (total, 3 * share, 3 * share)
