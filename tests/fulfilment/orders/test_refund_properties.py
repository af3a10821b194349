"""Random sequences of paying (a notification sometimes sent twice),
cancelling, partial refunds, refunds that fail at the provider (down, or
abnormal) and an operator's retries, against the sandbox over real HTTP,
checked after every step: per order, what was paid is what is kept plus
what went back plus what is on its way back, never negative; and the
sandbox's books (what it took, what it paid back) equal the platform's, and
after the sequence the day's reconciliation finds no mismatch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from fulfilment.orders.models import Refund, RefundReason, RefundState
from fulfilment.orders.refund_outcomes import retry_refund
from fulfilment.reconciliation.platform import CHINA
from fulfilment.reconciliation.service import reconcile
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.wechatpay import provider
from tests.conftest import TestDB
from tests.fulfilment.orders.test_provider_check import on_the_sandbox
from tests.fulfilment.orders.test_refund_sending import run
from tests.support.factories import Shop, open_shop
from tests.support.ordering import ORDER_CANCEL
from tests.support.paying import Paying, eventually, place, wechat_customer

ORDERS = 3
pick = st.integers(0, ORDERS - 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), pick, st.booleans()),  # the notification sent twice?
        st.tuples(st.just("cancel"), pick),
        st.tuples(st.just("partial"), pick, st.integers(1, 1980)),
        st.tuples(st.just("send"), st.sampled_from(["ok", "down", "abnormal"])),
        st.tuples(st.just("retry")),
    ),
    min_size=1,
    max_size=12,
)


@dataclass
class Example:
    app: Paying
    shop: Shop
    orders: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    async def status(self, index: int) -> str:
        sql = "SELECT status FROM orders WHERE id = :id"
        return str(await self.app.db.scalar(sql, id=self.orders[index]["db_id"]))


async def new_example(app: Paying) -> Example:
    """Three orders of 19.80 awaiting payment, each with a prepay."""
    example = Example(app, await open_shop(app.db))
    for _ in range(ORDERS):
        _, token, _ = await wechat_customer(app.db, app.sandbox.state.keys.appid)
        order = await place(app.gql, example.shop, token)
        assert (await app.pay(order["db_id"], "JSAPI", token))["userErrors"] == []
        example.orders.append(order)
        example.tokens.append(token)
    return example


async def apply(example: Example, op: tuple[Any, ...]) -> None:
    app, db = example.app, example.app.db
    if op[0] == "pay":
        # Paying an order cancelled meanwhile too: the money goes back whole.
        order = example.orders[op[1]]
        if app.sandbox.state.orders[order["number"]].transaction_id is not None:
            return
        app.sandbox.faults(duplicate_next_notification=op[2])
        app.sandbox.pay(order["number"])
        received = "SELECT paid_fen FROM orders WHERE id = :id"
        await eventually(lambda: db.scalar(received, id=order["db_id"]), order["totalFen"])
    elif op[0] == "cancel":
        order = example.orders[op[1]]
        await app.gql(ORDER_CANCEL, {"id": order["id"]}, token=example.tokens[op[1]])
    elif op[0] == "partial":
        await partial_refund(db, example.orders[op[1]]["db_id"], op[2])
    elif op[0] == "send":
        app.sandbox.faults(
            refund_error_status=500 if op[1] == "down" else None,
            refund_status="ABNORMAL" if op[1] == "abnormal" else None,
        )
        # Past every backoff: what is due goes out now.
        await run(db, utcnow() + timedelta(hours=2))
        app.sandbox.faults(refund_error_status=None, refund_status=None)
    else:
        async with unit_of_work(db.sessions) as session:
            stuck = await session.scalars(
                select(Refund.id).where(Refund.state == RefundState.ABNORMAL)
            )
            for refund_id in list(stuck):
                await retry_refund(session, refund_id, utcnow())


async def partial_refund(db: TestDB, order_id: int, amount: int) -> None:
    """A shortage refund of ``amount`` fen, if that much is left to refund
    (the night's allocation never books more; the database would refuse)."""
    async with unit_of_work(db.sessions) as session:
        row = (
            await session.execute(
                text("SELECT paid_fen - refunded_fen FROM orders WHERE id = :id FOR UPDATE")
                if db.kind == "postgres"
                else text("SELECT paid_fen - refunded_fen FROM orders WHERE id = :id"),
                {"id": order_id},
            )
        ).one()
        if row[0] >= amount:
            session.add(
                Refund(
                    order_id=order_id,
                    amount_fen=amount,
                    reason=RefundReason.SHORTAGE,
                    created_at=utcnow(),
                )
            )


async def settled(db: TestDB) -> None:
    """Wait until the sandbox has told the app about every refund it settles."""
    processing = "SELECT count(*) FROM refunds WHERE state = 'processing'"
    await eventually(lambda: db.scalar(processing), 0)


async def check(example: Example) -> None:
    db, sandbox = example.app.db, example.app.sandbox.state
    await settled(db)
    for order in example.orders:
        async with db.engine.connect() as conn:
            paid, refunded = (
                await conn.execute(
                    text("SELECT paid_fen, refunded_fen FROM orders WHERE id = :id"),
                    {"id": order["db_id"]},
                )
            ).one()
            by_state: dict[str, int] = dict(
                (
                    await conn.execute(
                        text(
                            "SELECT state, sum(amount_fen) FROM refunds WHERE order_id = :id "
                            "GROUP BY state"
                        ),
                        {"id": order["db_id"]},
                    )
                ).all()
            )
        went_back = int(by_state.pop("success", 0))
        on_its_way = sum(int(v) for v in by_state.values())
        kept = paid - went_back - on_its_way
        assert kept >= 0 and refunded == went_back + on_its_way, (paid, by_state)
        # The provider's books: what it took and what it paid back.
        at_provider = sandbox.orders.get(order["number"])
        taken = order["totalFen"] if at_provider and at_provider.transaction_id else 0
        assert taken == paid
        back: int = sum(
            int(r.refund)
            for r in sandbox.refunds.values()
            if r.out_trade_no == order["number"] and r.status == "SUCCESS"
        )
        assert back == went_back


@asynccontextmanager
async def sandboxed(db: TestDB, tmp_path: Path) -> AsyncIterator[Paying]:
    before = provider.configured()
    try:
        async with on_the_sandbox(db, tmp_path) as app:
            yield app
    finally:
        provider.configure(before)


@pytest.fixture
async def app(db: TestDB, tmp_path: Path) -> AsyncIterator[Paying]:
    async with sandboxed(db, tmp_path) as paying:
        yield paying


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
# Paid, cancelled, the refund failing twice then retried; paid after it was
# cancelled; a partial refund then the rest by cancelling; a notification
# twice and an abnormal refund.
@example(
    ops=[
        ("pay", 0, False),
        ("cancel", 0),
        ("send", "down"),
        ("send", "abnormal"),
        ("retry",),
        ("send", "ok"),
    ]
)
@example(ops=[("cancel", 0), ("pay", 0, True), ("send", "ok")])
@example(
    ops=[("pay", 1, False), ("partial", 1, 500), ("send", "ok"), ("cancel", 1), ("send", "ok")]
)
@example(ops=[("pay", 2, True), ("cancel", 2), ("send", "abnormal"), ("retry",), ("send", "ok")])
async def test_money_through_the_provider_always_adds_up(app: Paying, ops: list[Any]) -> None:
    example = await new_example(app)
    await check(example)
    for op in ops:
        await apply(example, op)
        await check(example)
    # And the day's trade bill agrees, line by line, with the platform.
    async with provider.payment_provider() as client:
        assert client is not None
        _, outcome = await reconcile(app.db.sessions, client, datetime.now(CHINA).date())
    assert outcome.mismatches == []
    assert outcome.provider_paid_fen == outcome.platform_paid_fen
    assert outcome.provider_refunded_fen == outcome.platform_refunded_fen
