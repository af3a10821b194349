"""A worker killed (kill -9) while WeChat Pay is answering its refund: the
refund is not lost and not paid twice. Real ``tuangou worker`` processes on
PostgreSQL, the sandbox over HTTP answering slowly."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from fulfilment.orders.jobs import SEND_REFUNDS
from fulfilment.orders.models import Refund, RefundReason
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.jobs.queue import ProcrastinateQueue
from kernel.jobs.service import enqueue
from kernel.wechatpay.client import WechatPayClient
from tests.conftest import TestDB
from tests.fulfilment.orders.test_refund_cap import paid_order
from tests.kernel.test_worker_faults import _worker
from tests.support.paying import wechatpay_settings
from tests.support.wechatpay_sandbox import RunningSandbox, running_sandbox

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


async def paid_order_at(pg: TestDB, sandbox: RunningSandbox) -> tuple[str, int]:
    """An order paid at the sandbox (opened there as a Native prepay and
    paid) and booked paid here, with one refund owed: (number, refund id)."""
    order_id, total = await paid_order(pg)
    number = await pg.scalar("SELECT number FROM orders WHERE id = :id", id=order_id)
    async with WechatPayClient(sandbox.config()) as client:
        await client.prepay_native(
            out_trade_no=number, description="菜", total=total, notify_url="http://127.0.0.1:9/"
        )
    paid = sandbox.pay(number)
    async with pg.engine.begin() as conn:
        await conn.execute(
            text("UPDATE orders SET payment_transaction_id = :tx WHERE id = :id"),
            {"tx": paid["transaction_id"], "id": order_id},
        )
    async with unit_of_work(pg.sessions) as session:
        refund = Refund(
            order_id=order_id, amount_fen=total, reason=RefundReason.SHORTAGE, created_at=utcnow()
        )
        session.add(refund)
        await session.flush()
        return number, refund.id


async def send_now(pg: TestDB) -> None:
    """A sender job, committed and handed to the workers, as the schedule does."""
    queue = ProcrastinateQueue(pg.settings, pg.sessions)
    try:
        async with unit_of_work(pg.sessions) as session:
            job, _ = await enqueue(session, SEND_REFUNDS, {})
        await queue.dispatch(job.id)
    finally:
        await queue.stop()


async def until(probe: Any, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError("not within time")
        await asyncio.sleep(0.2)


async def test_a_worker_killed_mid_refund_neither_loses_nor_doubles_it(
    pg: TestDB, tmp_path: Path
) -> None:
    with running_sandbox() as sandbox:
        number, refund_id = await paid_order_at(pg, sandbox)
        env = {
            f"TUANGOU_{k.upper()}": str(v)
            for k, v in wechatpay_settings(
                sandbox.state.keys, tmp_path / "keys", sandbox.url
            ).items()
        }
        env["TUANGOU_REFUND_CLAIM_S"] = "5"
        # Every answer of the provider takes 3 s: the worker dies waiting.
        sandbox.faults(delay_ms=3000)
        with _worker(pg.url, tmp_path / "first.log", **env) as first:
            await send_now(pg)

            async def claimed() -> bool:
                attempts = await pg.scalar(
                    "SELECT attempts FROM refunds WHERE id = :i", i=refund_id
                )
                return bool(attempts)

            await until(claimed, 60)
            await asyncio.sleep(0.5)  # the request is on its way
            first.kill()
            first.wait()

        # The provider went on and took the refund; nobody recorded its answer.
        async def provider_took_it() -> bool:
            return bool(sandbox.state.refunds)

        await until(provider_took_it, 10)
        assert await pg.scalar("SELECT state FROM refunds WHERE id = :i", i=refund_id) == "pending"
        sandbox.faults(delay_ms=0)
        await asyncio.sleep(5)  # the dead worker's claim lapses
        with _worker(pg.url, tmp_path / "second.log", **env):
            await send_now(pg)

            async def back() -> bool:
                state = await pg.scalar("SELECT state FROM refunds WHERE id = :i", i=refund_id)
                return bool(state == "success")

            await until(back, 60)
        (at_sandbox,) = sandbox.state.refunds.values()
        assert (at_sandbox.out_refund_no, at_sandbox.out_trade_no) == (str(refund_id), number)
        assert at_sandbox.status == "SUCCESS"
