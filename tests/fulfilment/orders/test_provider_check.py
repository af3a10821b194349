"""Orders that never got a notification (fulfilment/orders/provider_check.py):
the expiry job asks WeChat Pay before it expires an order with a prepay, and
closes the payment there after. Against the sandbox over real HTTP (the app
serves orderPay), on both databases."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from fulfilment.orders.cash import mark_paid_in_cash
from fulfilment.orders.jobs import expire_unpaid_orders
from fulfilment.orders.models import Order
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.jobs.registry import JobContext
from kernel.wechatpay import provider
from kernel.wechatpay.client import WechatPayClient
from tests.conftest import TestDB
from tests.support.factories import Shop, open_shop
from tests.support.paying import Paying, eventually, paying, place, wechat_customer


@pytest.fixture(autouse=True)
def _merchant_restored() -> Iterator[None]:
    # The app names the process's merchant at start; the next test starts clean.
    before = provider.configured()
    yield
    provider.configure(before)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every query and close the client makes: (operation, order number)."""
    made: list[tuple[str, str]] = []

    def counting(name: str) -> Callable[..., Awaitable[Any]]:
        original = getattr(WechatPayClient, name)

        async def call(self: WechatPayClient, out_trade_no: str) -> Any:
            made.append((name, out_trade_no))
            return await original(self, out_trade_no)

        return call

    for name in ("query", "close"):
        monkeypatch.setattr(WechatPayClient, name, counting(name))
    return made


@asynccontextmanager
async def on_the_sandbox(db: TestDB, tmp_path: Path) -> AsyncIterator[Paying]:
    """``paying``, once the app's own start-up jobs have run: on SQLite they
    run in the app (its expiry job among them, which would race the test's
    runs); on PostgreSQL no worker runs them. The next round is a minute away."""
    async with paying(db, tmp_path) as app:
        if db.kind == "sqlite":
            waiting = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"
            await eventually(lambda: db.scalar(waiting), 0, within=30)
        yield app


async def run_expiry(db: TestDB) -> dict[str, Any]:
    """One run of the expiry job, as the queue would start it."""
    result = await expire_unpaid_orders(JobContext(job_id=0, sessions=db.sessions), {})
    assert result is not None
    return result


async def due_in(db: TestDB, order_id: int, delta: timedelta) -> None:
    """Move the order's expiry to ``delta`` from now (negative: overdue)."""
    async with db.engine.begin() as conn:
        await conn.execute(
            update(Order).where(Order.id == order_id).values(expires_at=utcnow() + delta)
        )


async def order_row(db: TestDB, order_id: int) -> tuple[str, str | None]:
    status = await db.scalar("SELECT status FROM orders WHERE id = :id", id=order_id)
    tx = await db.scalar("SELECT payment_transaction_id FROM orders WHERE id = :id", id=order_id)
    return str(status), tx


async def prepay_close(db: TestDB, order_id: int) -> tuple[bool, bool]:
    """Whether the order's prepay owes a close, and whether it was made."""
    due = await db.scalar(
        "SELECT count(*) FROM payment_prepays WHERE order_id = :id AND close_due_at IS NOT NULL",
        id=order_id,
    )
    closed = await db.scalar(
        "SELECT count(*) FROM payment_prepays WHERE order_id = :id AND closed_at IS NOT NULL",
        id=order_id,
    )
    return bool(due), bool(closed)


async def order_with_prepay(app: Paying, shop: Shop) -> dict[str, Any]:
    """An order its customer asked to pay by JSAPI (a prepay at the sandbox)."""
    _, token, _ = await wechat_customer(app.db, app.sandbox.state.keys.appid)
    order = await place(app.gql, shop, token)
    assert (await app.pay(order["db_id"], "JSAPI", token))["userErrors"] == []
    return order


def dead_url() -> str:
    """A local address nobody listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_a_payment_whose_notification_was_lost_is_booked_not_expired(
    db: TestDB, tmp_path: Path, calls: list[tuple[str, str]]
) -> None:
    async with on_the_sandbox(db, tmp_path) as app:
        shop = await open_shop(db)
        due = await order_with_prepay(app, shop)
        soon = await order_with_prepay(app, shop)  # 30 s left: asked early
        paid = {}
        for order in (due, soon):
            app.sandbox.faults(drop_next_notification=True)
            paid[order["number"]] = app.sandbox.pay(order["number"])["transaction_id"]
        assert all(d.get("dropped") for d in app.sandbox.state.deliveries)
        await due_in(db, due["db_id"], -timedelta(seconds=1))
        await due_in(db, soon["db_id"], timedelta(seconds=30))

        result = await run_expiry(db)

        assert result == {"expired": 0, "found_paid": 2, "closed_at_provider": 0}
        for order in (due, soon):
            assert await order_row(db, order["db_id"]) == ("paid", paid[order["number"]])
            assert await prepay_close(db, order["db_id"]) == (False, False)
        assert sorted(calls) == sorted(("query", o["number"]) for o in (due, soon))
        assert await db.scalar("SELECT count(*) FROM pickup_codes") == 2
        assert await db.scalar("SELECT count(*) FROM refunds") == 0
        accepted = "SELECT count(*) FROM payment_notifications WHERE outcome = 'accepted'"
        assert await db.scalar(accepted) == 2

        # The next run finds nothing to ask about.
        calls.clear()
        assert await run_expiry(db) == {"expired": 0, "found_paid": 0, "closed_at_provider": 0}
        assert calls == []


async def test_an_unpaid_order_is_expired_and_closed_at_the_provider(
    db: TestDB, tmp_path: Path, calls: list[tuple[str, str]]
) -> None:
    async with on_the_sandbox(db, tmp_path) as app:
        shop = await open_shop(db)
        order = await order_with_prepay(app, shop)
        await due_in(db, order["db_id"], -timedelta(seconds=1))

        result = await run_expiry(db)

        assert result == {"expired": 1, "found_paid": 0, "closed_at_provider": 1}
        assert await order_row(db, order["db_id"]) == ("expired", None)
        assert await prepay_close(db, order["db_id"]) == (True, True)
        assert app.sandbox.state.orders[order["number"]].trade_state == "CLOSED"
        assert calls == [("query", order["number"]), ("close", order["number"])]
        refused = app.sandbox.try_pay(order["number"])
        assert refused.status_code == 400 and "CLOSED" in refused.json()["message"]

        # Closed once: the next run owes nothing.
        calls.clear()
        assert await run_expiry(db) == {"expired": 0, "found_paid": 0, "closed_at_provider": 0}
        assert calls == []


async def test_closes_wait_while_the_provider_is_down(
    db: TestDB, tmp_path: Path, calls: list[tuple[str, str]]
) -> None:
    async with on_the_sandbox(db, tmp_path) as app:
        shop = await open_shop(db)
        unpaid = await order_with_prepay(app, shop)
        # Paid, its notification lost, and the provider down when it is due.
        late = await order_with_prepay(app, shop)
        app.sandbox.faults(drop_next_notification=True)
        transaction_id = app.sandbox.pay(late["number"])["transaction_id"]
        for order in (unpaid, late):
            await due_in(db, order["db_id"], -timedelta(seconds=1))
        merchant = provider.configured()
        assert merchant is not None
        provider.configure(replace(merchant, base_url=dead_url()))

        down = await run_expiry(db)

        # Expired as ever (the units went back). The queries in flight found
        # the provider down; no close was tried in the run after that.
        assert down == {"expired": 2, "found_paid": 0, "closed_at_provider": 0}
        assert {operation for operation, _ in calls} == {"query"}
        for order in (unpaid, late):
            assert await order_row(db, order["db_id"]) == ("expired", None)
            assert await prepay_close(db, order["db_id"]) == (True, False)
        assert app.sandbox.state.orders[unpaid["number"]].trade_state == "NOTPAY"

        provider.configure(merchant)
        calls.clear()
        again = await run_expiry(db)

        assert again == {"expired": 0, "found_paid": 0, "closed_at_provider": 2}
        assert app.sandbox.state.orders[unpaid["number"]].trade_state == "CLOSED"
        assert await prepay_close(db, unpaid["db_id"]) == (True, True)
        # The late payment could not be closed (ORDERPAID): it was asked for,
        # booked on the expired order and refunded, as a late notification is.
        assert sorted(calls) == sorted(
            [("close", unpaid["number"]), ("close", late["number"]), ("query", late["number"])]
        )
        status, tx = await order_row(db, late["db_id"])
        assert tx == transaction_id and status != "paid"
        reasons = await db.scalar(
            "SELECT string_agg(reason, ',') FROM refunds WHERE order_id = :id"
            if db.kind == "postgres"
            else "SELECT group_concat(reason) FROM refunds WHERE order_id = :id",
            id=late["db_id"],
        )
        assert reasons == "paid_after_close"
        assert await prepay_close(db, late["db_id"]) == (True, True)


async def test_orders_without_a_prepay_or_with_the_provider_off(
    db: TestDB, tmp_path: Path, calls: list[tuple[str, str]]
) -> None:
    async with on_the_sandbox(db, tmp_path) as app:
        shop = await open_shop(db)
        _, token, _ = await wechat_customer(db, app.sandbox.state.keys.appid)
        never_asked = await place(app.gql, shop, token)
        await due_in(db, never_asked["db_id"], -timedelta(seconds=1))

        assert await run_expiry(db) == {"expired": 1, "found_paid": 0, "closed_at_provider": 0}
        assert await order_row(db, never_asked["db_id"]) == ("expired", None)
        assert calls == []  # never at the provider: nothing to ask or close

        # WeChat Pay off: expiry as ever; the close stays owed for when it is on.
        with_prepay = await order_with_prepay(app, shop)
        await due_in(db, with_prepay["db_id"], -timedelta(seconds=1))
        merchant = provider.configured()
        provider.configure(None)
        assert await run_expiry(db) == {"expired": 1}
        assert calls == []
        assert await prepay_close(db, with_prepay["db_id"]) == (True, False)

        provider.configure(merchant)
        assert (await run_expiry(db))["closed_at_provider"] == 1
        assert app.sandbox.state.orders[with_prepay["number"]].trade_state == "CLOSED"


async def test_an_order_paid_in_cash_has_its_wechat_payment_closed(
    db: TestDB, tmp_path: Path, calls: list[tuple[str, str]]
) -> None:
    """The resident had opened WeChat Pay for the order, then paid the leader
    in cash: WeChat Pay must no longer take the money."""
    async with on_the_sandbox(db, tmp_path) as app:
        shop = await open_shop(db)
        order = await order_with_prepay(app, shop)
        async with unit_of_work(db.sessions) as session:
            await mark_paid_in_cash(session, order["db_id"], shop.leader_user, utcnow())

        result = await run_expiry(db)

        assert result["closed_at_provider"] == 1 and result["expired"] == 0
        assert calls == [("close", order["number"])]
        assert app.sandbox.try_pay(order["number"]).status_code == 400
        assert await order_row(db, order["db_id"]) == ("paid", None)
        assert await prepay_close(db, order["db_id"]) == (True, True)
