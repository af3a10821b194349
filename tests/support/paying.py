"""Paying orders in tests, the three ways the platform is paid:

- ``book``: a payment booked directly (``book_payment``, what the v3
  callback does once the notification is verified), for tests about
  orders, not about the payment protocol;
- ``v3_notification``: a genuine WeChat Pay v3 notification (the sandbox's
  keys, its envelope, signed headers) to POST to ``/payments/wechatpay/notify``
  without the sandbox server;
- ``paying``: the whole protocol, the app served over real HTTP on the
  sandbox's settings, the sandbox running and notifying it."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from api.graphql.ids import decode, encode
from api.http.app import create_app
from api.payments import book_payment
from api.sandbox.embedded import ThreadServer
from api.sandbox.notify import envelope
from api.sandbox.state import SandboxKeys, SandboxState, china_now
from fulfilment.orders.models import Order
from kernel.accounts import Role, User
from kernel.db import unit_of_work
from kernel.identity.models import WechatIdentity
from kernel.wechatpay import crypto
from kernel.wechatpay.models import TRANSACTION_NOTIFY_PATH
from tests.conftest import GraphQLClient, TestDB
from tests.conftest import test_settings as settings_for
from tests.support.factories import ORDER_CREATE, Shop, order_input
from tests.support.wechatpay_sandbox import RunningSandbox, running_sandbox

NOTIFY = TRANSACTION_NOTIFY_PATH


def wechatpay_settings(keys: SandboxKeys, keys_dir: Path, base_url: str) -> dict[str, Any]:
    """The wechatpay_* settings for ``keys`` (as ``tuangou payments sandbox`` prints them)."""
    env = keys.write(keys_dir, base_url)
    return {name.removeprefix("TUANGOU_").lower(): value for name, value in env.items()}


@contextmanager
def live_app(make: Callable[[str], Starlette]) -> Iterator[str]:
    """The app ``make(its own base URL)`` builds, under uvicorn in a thread;
    yields the base URL (the notify URL base the sandbox reaches)."""
    server = ThreadServer()
    server.start(make(server.url))
    try:
        yield server.url
    finally:
        server.stop()


@dataclass
class Paying:
    """The app on the sandbox's WeChat Pay, served over HTTP; a GraphQL
    client on it, and the sandbox."""

    db: TestDB
    sandbox: RunningSandbox
    base: str
    gql: GraphQLClient

    async def pay(self, order_id: int, channel: str, token: str) -> dict[str, Any]:
        """``orderPay`` for the order through ``channel``, as ``token``."""
        body = await self.gql(
            ORDER_PAY, {"id": encode("Order", order_id), "channel": channel}, token=token
        )
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["orderPay"]
        return result

    async def prepays(self, order_id: int) -> int:
        return int(
            await self.db.scalar(
                "SELECT count(*) FROM payment_prepays WHERE order_id = :id", id=order_id
            )
        )


@asynccontextmanager
async def paying(db: TestDB, tmp_path: Path, **overrides: Any) -> AsyncIterator[Paying]:
    """The sandbox running and the app on ``db`` paying through it."""
    with running_sandbox() as sandbox:
        wechatpay = wechatpay_settings(sandbox.state.keys, tmp_path / "keys", sandbox.url)

        def make(base: str) -> Starlette:
            settings = settings_for(
                db.url, wechatpay_notify_url_base=base, **{**wechatpay, **overrides}
            )
            return create_app(settings)

        server = ThreadServer()
        # Started and stopped off this loop: another app of the test may be
        # running on it (its sweeps holding SQLite's lock meanwhile).
        await asyncio.to_thread(server.start, make(server.url))
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                yield Paying(db, sandbox, server.url, GraphQLClient(http))
        finally:
            await asyncio.to_thread(server.stop)


async def book(gql: GraphQLClient, order_gid: str, transaction_id: str | None = None) -> Any:
    """Book the order's payment in full on the app behind ``gql`` (an
    in-process ASGI client), as the v3 callback books a verified one."""
    transport = gql.http._transport
    app = getattr(transport, "app", None)
    assert app is not None, "book() needs a GraphQL client on an in-process app"
    sessions = app.state.sessions
    async with sessions() as session:
        number, total = (
            await session.execute(
                select(Order.number, Order.total_fen).where(
                    Order.id == decode(order_gid, "Order", ["id"])
                )
            )
        ).one()
    answer = await book_payment(
        sessions,
        order_number=number,
        amount_fen=total,
        transaction_id=transaction_id or f"4200{secrets.token_hex(12)}",
    )
    assert answer.status == 200, answer
    return answer


def sandbox_keys() -> SandboxKeys:
    """Fresh sandbox keys (two RSA keys: worth sharing within a test)."""
    return SandboxKeys.generate()


def v3_envelope(
    keys: SandboxKeys, order_number: str, total_fen: int, transaction_id: str | None = None
) -> bytes:
    """The body of a TRANSACTION.SUCCESS notification for paying the order
    in full, its resource encrypted with ``keys``' APIv3 key."""
    resource = {
        "appid": keys.appid,
        "mchid": keys.mchid,
        "out_trade_no": order_number,
        "transaction_id": transaction_id or f"4200{secrets.randbelow(10**24):024d}",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "success_time": china_now(),
        "amount": {"total": total_fen, "currency": "CNY", "payer_total": total_fen},
        "attach": "",
        "bank_type": "OTHERS",
    }
    return envelope(SandboxState(keys), "TRANSACTION.SUCCESS", resource)


def platform_signed(keys: SandboxKeys, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """v3's ``Wechatpay-*`` headers over ``body``, by ``keys``' platform key."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = crypto.signed_headers(keys.platform_key, keys.platform_serial, body, ts)
    headers["Content-Type"] = "application/json"
    return headers


def v3_notification(
    keys: SandboxKeys,
    order_number: str,
    total_fen: int,
    transaction_id: str | None = None,
    *,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A genuine notification of paying the order in full (body, headers),
    as the sandbox (and WeChat Pay) send it."""
    body = v3_envelope(keys, order_number, total_fen, transaction_id)
    return body, platform_signed(keys, body, timestamp)


@asynccontextmanager
async def notified_client(
    db: TestDB, keys: SandboxKeys, tmp_path: Path
) -> AsyncIterator[GraphQLClient]:
    """A client on the app on ``db`` (in-process, lifespan running) with
    WeChat Pay on and believing ``keys``' notifications; no sandbox server."""
    app = create_app(db.settings.model_copy(update=wechatpay_overrides(keys, tmp_path)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)


def wechatpay_overrides(keys: SandboxKeys, tmp_path: Path) -> dict[str, Any]:
    """Settings for an app that believes ``keys``' notifications (no sandbox
    server: nothing is sent to it)."""
    directory = tmp_path / f"keys-{uuid.uuid4().hex[:8]}"
    return wechatpay_settings(keys, directory, "http://127.0.0.1:9")


ORDER_PAY = """
mutation($id: ID!, $channel: PaymentChannel!) {
  orderPay(input: {orderId: $id, channel: $channel}) {
    jsapi { appId timeStamp nonceStr package signType paySign }
    codeUrl
    userErrors { field code message }
  }
}
"""


async def wechat_customer(db: TestDB, appid: str) -> tuple[User, str, str]:
    """A customer who signed in with WeChat under ``appid``: (user, token, openid)."""
    user, token = await db.user(Role.CUSTOMER)
    openid = f"o{uuid.uuid4().hex[:27]}"
    async with unit_of_work(db.sessions) as session:
        session.add(WechatIdentity(user_id=user.id, appid=appid, openid=openid))
    return user, token, openid


async def place(gql: GraphQLClient, shop: Shop, token: str, **extra: Any) -> dict[str, Any]:
    """An order of two of the shop's first item, as ``token``; with its row id."""
    variables = order_input(shop, {0: 2})
    variables["input"].update(extra)  # type: ignore[attr-defined]
    body = await gql(ORDER_CREATE, variables, token=token)
    created = body["data"]["orderCreate"]
    assert created["userErrors"] == [], created
    order: dict[str, Any] = created["order"]
    order["db_id"] = int(base64.b64decode(order["id"]).decode().split(":")[1])
    return order


async def eventually(probe: Callable[[], Any], expected: Any, within: float = 10.0) -> None:
    """Wait until ``await probe()`` is ``expected`` (or fail after ``within`` s)."""
    deadline = time.monotonic() + within
    while (value := await probe()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{value!r}, wanted {expected!r}")
        await asyncio.sleep(0.05)
