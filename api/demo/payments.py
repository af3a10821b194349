"""The demo's money, through the WeChat Pay sandbox (api/sandbox/embedded.py)
as development's is: each paid order gets a Native prepay over ``orderPay``
(the platform's client signing its request to the sandbox), the sandbox's
payer pays it, and the sandbox's signed, encrypted notification is booked by
``/payments/wechatpay/notify``. At the end of the day the refund sender
(``refunds.send``) returns the day's refunds through the sandbox, whose
REFUND.SUCCESS notifications come back over real HTTP, and reconciliation
(``payments.reconcile``) matches the day against the sandbox's trade bill."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from api.demo.context import Day
from api.demo.http import ApiHttp
from api.demo.intake import (
    ORDERS_PER_REQUEST,
    Intake,
    Placed,
    aliased,
    concurrency,
    gather_limited,
    graphql_as,
)
from api.demo.region import Region
from api.demo.steps import Steps
from api.demo.summary import MoneyFigures
from api.http.app import create_app
from api.sandbox.embedded import EmbeddedSandbox, ThreadServer, start_sandbox
from api.sandbox.wechatpay import create_app as create_sandbox_app
from api.wechatpay_client import close_wechatpay
from fulfilment.orders.models import Refund, RefundState
from fulfilment.orders.prepay_together import combine_number
from fulfilment.orders.refund_sending import send_due_refunds
from fulfilment.reconciliation.platform import CHINA
from fulfilment.reconciliation.service import reconcile
from kernel.clock import utcnow
from kernel.settings import Settings
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.models import TRANSACTION_NOTIFY_PATH
from kernel.wechatpay.provider import config_from_settings

UNPAID_SHARE = 0.02  # left unpaid: expire at the cutoff
PAY = ("orderPay", "OrderPayInput", "{ codeUrl userErrors { code message } }")
PAY_TOGETHER = """mutation($input: OrdersPayInput!) { ordersPay(input: $input) {
  codeUrl userErrors { code message } } }"""
# The sandbox settles a refund at once and posts its notification; each
# post opens a new HTTP client, so hundreds take seconds. Beyond this the
# rest are counted pending (the sender asks about them on its next run).
REFUNDS_SETTLE_S = 60.0


@dataclass
class DemoPay:
    """The sandbox the demo pays through, and the settings pointing at it."""

    sandbox: EmbeddedSandbox
    settings: Settings  # the demo's, notified at the receiver thread

    @asynccontextmanager
    async def in_process(self) -> AsyncIterator[httpx.AsyncClient]:
        """HTTP to the sandbox's app on this event loop, no socket: its
        thread's round trip costs thousands of prepays a second each."""
        transport = httpx.ASGITransport(app=create_sandbox_app(self.sandbox.state))
        async with httpx.AsyncClient(transport=transport, timeout=30) as http:
            yield http


def _notified_app(app: Starlette) -> Callable[..., Awaitable[None]]:
    """``app`` for the notification receiver's thread: no jobs' lifespan
    (the demo runs its own steps), but its engine and WeChat Pay client
    closed on that thread's loop, the one their connections belong to."""

    async def asgi(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await close_wechatpay(app.state)
                await app.state.engine.dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return asgi


@asynccontextmanager
async def sandbox_payments(
    base: Settings, sandbox: EmbeddedSandbox | None
) -> AsyncIterator[DemoPay]:
    """``base`` paying through ``sandbox`` (a fresh one, stopped afterwards,
    when None), with the demo's app served in a thread to be notified."""
    own = sandbox is None
    running = sandbox or start_sandbox()
    receiver = ThreadServer()
    settings = running.settings(base, receiver.url)
    receiver.start(_notified_app(create_app(settings)), lifespan="on")
    try:
        yield DemoPay(running, settings)
    finally:
        receiver.stop()
        if own:
            running.stop()


def _by_customer(paying: list[Placed]) -> list[tuple[int, list[Placed]]]:
    grouped: dict[int, list[Placed]] = defaultdict(list)
    for placed in paying:
        grouped[placed.customer].append(placed)
    return [
        (customer, orders[start : start + ORDERS_PER_REQUEST])
        for customer, orders in grouped.items()
        for start in range(0, len(orders), ORDERS_PER_REQUEST)
    ]


async def _notify(http: ApiHttp, pay: DemoPay, number: str) -> None:
    """The sandbox's payer pays; its notification goes to the callback."""
    body, headers = pay.sandbox.pay(number)
    reply = await http.post(TRANSACTION_NOTIFY_PATH, body, headers)
    if reply.status not in (200, 204):
        raise RuntimeError(f"payment of {number} refused: {reply.text(200)}")


def _sender(
    http: ApiHttp, pay: DemoPay, region: Region, bar: Any
) -> Callable[[int, list[Placed]], Callable[[], Awaitable[None]]]:
    """A request for one customer's orders: all of them in one payment
    (ordersPay, WeChat Pay's combined payment) when there are several, as a
    resident pays the evening's basket; orderPay for a single one."""

    def send(customer: int, orders: list[Placed]) -> Callable[[], Awaitable[None]]:
        token = region.customers[customer].token

        async def go() -> None:
            if len(orders) == 1:
                variables = {"m0": {"orderId": orders[0].gid, "channel": "NATIVE"}}
                answer = (await graphql_as(http, token, aliased(*PAY, 1), variables))["m0"]
                number = orders[0].number
            else:
                ids = [p.gid for p in orders]
                together: dict[str, Any] = {"input": {"orderIds": ids, "channel": "NATIVE"}}
                answer = (await graphql_as(http, token, PAY_TOGETHER, together))["ordersPay"]
                number = combine_number([p.number for p in orders])
            if answer["userErrors"] or not answer["codeUrl"]:
                raise RuntimeError(f"paying {[p.number for p in orders]}: {answer}")
            await _notify(http, pay, number)
            bar.advance(len(orders))

        return go

    return send


async def pay_orders(
    http: ApiHttp,
    pay: DemoPay,
    region: Region,
    intake: Intake,
    rng: Any,
    steps: Steps,
) -> list[Placed]:
    """Pay most orders through the sandbox, a customer's orders together
    (ordersPay) or one alone (orderPay); returns the paid."""
    paying = [p for p in intake.placed if rng.random() >= UNPAID_SHARE]
    title = "Payments (ordersPay / orderPay Native, WeChat Pay sandbox, notifications)"
    with steps.step(title, total=len(paying)) as bar:
        send = _sender(http, pay, region, bar)
        requests = _by_customer(paying)
        await gather_limited((send(c, o) for c, o in requests), concurrency(pay.settings))
        intake.paid = len(paying)
        payments = len(requests)
        bar.note = (
            f"{len(paying):,} paid in {payments:,} payments, "
            f"{len(intake.placed) - len(paying):,} left unpaid"
        )
    return paying


async def _refund_states(day: Day) -> dict[RefundState, int]:
    async with day.sessions() as session:
        rows = await session.execute(select(Refund.state, func.count()).group_by(Refund.state))
        return {state: int(count) for state, count in rows}


async def _settled(day: Day, within: float) -> dict[RefundState, int]:
    """The refunds' states once none is on its way any more, or ``within``
    seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        states = await _refund_states(day)
        if not states.get(RefundState.PROCESSING) or time.monotonic() > deadline:
            return states
        await asyncio.sleep(0.2)


async def refunds_and_reconciliation(day: Day, pay: DemoPay) -> MoneyFigures:
    """Send every refund the day booked (the sender's function, as its job
    runs it), wait for the sandbox to settle them, then reconcile today."""
    config = config_from_settings(pay.settings)
    assert config is not None  # the demo's settings name the sandbox
    figures = MoneyFigures()
    title = "Refunds sent (refunds.send) and reconciliation (payments.reconcile)"
    with day.steps.step(title) as bar:
        async with WechatPayClient(config) as client:
            # The night and the delivery day ran ahead of the clock: the
            # refunds they booked are due by then, not now.
            late = max(utcnow(), day.timeline.at(0, days=30))
            report = await send_due_refunds(day.sessions, client, late, pages=1_000)
            figures.refunds_sent = report.sent
            states = await _settled(day, REFUNDS_SETTLE_S)
            figures.refunds_succeeded = states.get(RefundState.SUCCESS, 0)
            figures.refunds_pending = states.get(RefundState.PENDING, 0) + states.get(
                RefundState.PROCESSING, 0
            )
            # The money moved today (real time) at the sandbox: today's bill.
            today = utcnow().astimezone(CHINA).date()
            _, outcome = await reconcile(day.sessions, client, today)
        figures.reconciled_matched = outcome.matched
        figures.reconciliation_mismatches = len(outcome.mismatches)
        bar.note = (
            f"{figures.refunds_sent:,} sent, {figures.refunds_succeeded:,} succeeded; "
            f"{figures.reconciled_matched:,} matched, "
            f"{figures.reconciliation_mismatches} mismatches"
        )
    return figures
