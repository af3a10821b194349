"""A WeChat notification and a leader's cash marking racing for the same
orders on PostgreSQL: exactly one pays each order; cash after WeChat is
refused, WeChat after cash is refunded as a second payment."""

from __future__ import annotations

import asyncio

import pytest

from fulfilment.orders.cash import mark_paid_in_cash
from fulfilment.orders.models import PaymentOutcome
from fulfilment.orders.payments import PaymentResult, record_payment
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from tests.conftest import TestDB, app_client
from tests.fulfilment.orders.test_cash_payments import resident_order
from tests.support.factories import open_shop

pytestmark = pytest.mark.postgres_only

ORDERS = 12


async def test_cash_and_wechat_racing_pay_each_order_once(pg: TestDB):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290}])
    async with app_client(pg.url) as gql:
        orders = [await resident_order(gql, shop) for _ in range(ORDERS)]

    async def cash(order_id: int) -> bool:
        try:
            async with unit_of_work(pg.sessions) as session:
                await mark_paid_in_cash(session, order_id, shop.leader_user, utcnow())
            return True
        except DomainError:
            return False

    async def wechat(number: str, total: int) -> PaymentResult:
        async with unit_of_work(pg.sessions) as session:
            return await record_payment(
                session,
                order_number=number,
                amount_fen=total,
                transaction_id=f"wx-{number}",
                now=utcnow(),
            )

    ids = {
        o["number"]: int(await pg.scalar("SELECT id FROM orders WHERE number = :n", n=o["number"]))
        for o in orders
    }
    results = await asyncio.gather(
        *(cash(ids[o["number"]]) for o in orders),
        *(wechat(o["number"], o["totalFen"]) for o in orders),
    )
    cash_won = [bool(won) for won in results[:ORDERS]]
    paid = results[ORDERS:]
    for order, by_cash, note in zip(orders, cash_won, paid, strict=True):
        assert isinstance(note, PaymentResult)
        assert note.outcome is PaymentOutcome.ACCEPTED  # WeChat's money is always booked
        row = (
            await pg.scalar(
                "SELECT status || '/' || paid_fen || '/' || refunded_fen || '/' || "
                "coalesce(payment_transaction_id, '-') FROM orders WHERE number = :n",
                n=order["number"],
            )
        ).split("/")
        cash_rows = await pg.scalar(
            "SELECT count(*) FROM cash_payments WHERE order_id = :i", i=ids[order["number"]]
        )
        codes = await pg.scalar(
            "SELECT count(*) FROM pickup_codes WHERE order_id = :i", i=ids[order["number"]]
        )
        assert row[0] == "paid" and codes == 1
        if by_cash:
            # Cash first: the WeChat payment is a second one, refunded whole.
            assert cash_rows == 1 and row[3] == "-"
            assert note.reason == "second payment for one order; refunded"
            assert row[1:3] == ["3960", "1980"]
        else:
            assert cash_rows == 0 and row[3] == f"wx-{order['number']}"
            assert row[1:3] == ["1980", "0"]
    held = await pg.scalar("SELECT count(*) FROM commission_entries WHERE kind = 'cash_held'")
    assert held == sum(cash_won)
    assert await pg.scalar("SELECT count(*) FROM orders WHERE status <> 'paid'") == 0
