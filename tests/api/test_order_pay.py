"""orderPay and WeChat Pay v3's payment notification, against the sandbox:
the app is served over real HTTP (the sandbox posts its notifications to it),
on both databases."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from api.graphql.ids import encode
from api.http.app import create_app
from api.sandbox.notify import envelope
from api.sandbox.state import SandboxKeys
from kernel.accounts import Role
from kernel.wechatpay import crypto
from tests.conftest import GraphQLClient, TestDB
from tests.conftest import test_settings as settings_for
from tests.support.factories import open_shop
from tests.support.paying import (
    ORDER_PAY,
    eventually,
    paying,
    place,
    wechat_customer,
    wechatpay_settings,
)

NOTIFY = "/payments/wechatpay/notify"


def codes(result: dict[str, Any]) -> list[str]:
    return [error["code"] for error in result["userErrors"]]


async def test_a_customer_pays_with_jsapi_once_though_notified_twice(
    db: TestDB, tmp_path: Path
) -> None:
    async with paying(db, tmp_path) as app:
        keys = app.sandbox.state.keys
        shop = await open_shop(db)
        _, token, _ = await wechat_customer(db, keys.appid)
        order = await place(app.gql, shop, token)
        assert order["totalFen"] == 1980

        first = await app.pay(order["db_id"], "JSAPI", token)
        assert first["userErrors"] == [] and first["codeUrl"] is None
        jsapi = first["jsapi"]
        assert jsapi["appId"] == keys.appid and jsapi["signType"] == "RSA"
        assert jsapi["package"].startswith("prepay_id=wx")
        message = crypto.lines(
            jsapi["appId"], jsapi["timeStamp"], jsapi["nonceStr"], jsapi["package"]
        )
        assert crypto.signature_valid(keys.merchant_key.public_key(), message, jsapi["paySign"])
        sandbox_order = app.sandbox.state.orders[order["number"]]
        assert sandbox_order.total == 1980
        assert sandbox_order.notify_url == f"{app.base}{NOTIFY}"

        # Asked again: the same prepay, signed afresh; no new prepay.
        again = await app.pay(order["db_id"], "JSAPI", token)
        assert again["jsapi"]["package"] == jsapi["package"]
        assert await app.prepays(order["db_id"]) == 1

        app.sandbox.faults(duplicate_next_notification=True)
        paid = app.sandbox.pay(order["number"])

        async def status() -> tuple[str, str | None]:
            row = await db.scalar(
                "SELECT status || ' ' || coalesce(payment_transaction_id, '') FROM orders "
                "WHERE id = :id",
                id=order["db_id"],
            )
            state, _, tx = str(row).partition(" ")
            return state, tx or None

        await eventually(status, ("paid", paid["transaction_id"]))

        def delivered() -> list[Any]:
            return [d["status"] for d in app.sandbox.state.deliveries]

        async def deliveries() -> list[Any]:
            return delivered()

        await eventually(deliveries, [204, 204])
        outcomes = await db.scalar(
            "SELECT count(*) FROM payment_notifications WHERE outcome = 'accepted'"
        )
        assert outcomes == 1
        assert await db.scalar("SELECT count(*) FROM payment_notifications") == 2
        assert await db.scalar("SELECT count(*) FROM refunds") == 0

        after = await app.pay(order["db_id"], "JSAPI", token)
        assert codes(after) == ["NOT_PAYABLE"] and after["jsapi"] is None


async def test_native_for_the_points_leader_and_refusals(db: TestDB, tmp_path: Path) -> None:
    async with paying(db, tmp_path) as app:
        shop = await open_shop(db)
        # The leader orders for a resident (代下单) and shows the QR code.
        order = await place(
            app.gql, shop, shop.leader_token, customerPhone="13912345678", customerName="王阿姨"
        )
        native = await app.pay(order["db_id"], "NATIVE", shop.leader_token)
        assert native["userErrors"] == [] and native["jsapi"] is None
        assert native["codeUrl"].startswith("weixin://wxpay/bizpayurl?pr=")
        again = await app.pay(order["db_id"], "NATIVE", shop.leader_token)
        assert again["codeUrl"] == native["codeUrl"]
        assert await app.prepays(order["db_id"]) == 1
        # A leader's orderPay is audited, once per request; a customer's is not.
        audited = "SELECT count(*) FROM audit_events WHERE action = 'orderPay'"
        assert await db.scalar(audited) == 2

        # JSAPI is the customer's own WeChat: not the leader's to ask for.
        leader_jsapi = await app.pay(order["db_id"], "JSAPI", shop.leader_token)
        assert codes(leader_jsapi) == ["NOT_FOUND"]
        _, stranger, _ = await wechat_customer(db, app.sandbox.state.keys.appid)
        for channel in ("JSAPI", "NATIVE"):
            assert codes(await app.pay(order["db_id"], channel, stranger)) == ["NOT_FOUND"]

        # A customer without a WeChat identity cannot pay by JSAPI.
        _, plain = await db.user(Role.CUSTOMER)
        own = await place(app.gql, shop, plain)
        assert codes(await app.pay(own["db_id"], "JSAPI", plain)) == ["PAYER_NOT_WECHAT"]
        assert await app.prepays(own["db_id"]) == 0
        assert (await app.pay(own["db_id"], "NATIVE", plain))["codeUrl"]
        assert await db.scalar(audited) == 2


async def test_forged_and_mismatched_notifications_book_nothing(db: TestDB, tmp_path: Path) -> None:
    async with paying(db, tmp_path) as app:
        state = app.sandbox.state
        shop = await open_shop(db)
        _, token, openid = await wechat_customer(db, state.keys.appid)
        order = await place(app.gql, shop, token)
        resource = {
            "appid": state.keys.appid,
            "mchid": state.keys.mchid,
            "out_trade_no": order["number"],
            "transaction_id": "4200000000000000000000000001",
            "trade_type": "JSAPI",
            "trade_state": "SUCCESS",
            "payer": {"openid": openid},
            "amount": {"total": order["totalFen"], "currency": "CNY"},
        }
        body = envelope(state, "TRANSACTION.SUCCESS", resource)
        # Signed with another key under the platform key's serial: a forgery.
        forger = crypto.generate_private_key()
        forged = crypto.signed_headers(forger, state.keys.platform_serial, body, int(time.time()))
        async with httpx.AsyncClient(base_url=app.base) as http:
            answer = await http.post(NOTIFY, content=body, headers=forged)
            assert answer.status_code == 401
            assert answer.json()["code"] == "FAIL" and answer.json()["message"]
            unsigned = await http.post(NOTIFY, content=body)
            assert unsigned.status_code == 401

            # Genuine, but for less than the order's total: refused as today.
            short = {**resource, "amount": {"total": order["totalFen"] - 1, "currency": "CNY"}}
            body = envelope(state, "TRANSACTION.SUCCESS", short)
            headers = crypto.signed_headers(
                state.keys.platform_key, state.keys.platform_serial, body, int(time.time())
            )
            mismatch = await http.post(NOTIFY, content=body, headers=headers)
            assert mismatch.status_code == 400
            assert json.loads(mismatch.content)["code"] == "FAIL"
        assert await db.scalar("SELECT status FROM orders WHERE id = :id", id=order["db_id"]) == (
            "pending_payment"
        )
        assert await db.scalar("SELECT outcome FROM payment_notifications") == "rejected"


async def test_wechatpay_off_is_payment_unavailable(db: TestDB, gql: GraphQLClient) -> None:
    shop = await open_shop(db)
    _, token, _ = await wechat_customer(db, "wx-any")
    order = await place(gql, shop, token)
    body = await gql(
        ORDER_PAY, {"id": encode("Order", order["db_id"]), "channel": "JSAPI"}, token=token
    )
    assert codes(body["data"]["orderPay"]) == ["PAYMENT_UNAVAILABLE"]


async def test_wechatpay_down_is_payment_unavailable_and_records_nothing(
    db: TestDB, tmp_path: Path
) -> None:
    keys = SandboxKeys.generate()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    overrides = wechatpay_settings(keys, tmp_path / "keys", nowhere)
    app = create_app(settings_for(db.url, wechatpay_notify_url_base=nowhere, **overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            gql = GraphQLClient(http)
            shop = await open_shop(db)
            _, token, _ = await wechat_customer(db, keys.appid)
            order = await place(gql, shop, token)
            for channel in ("JSAPI", "NATIVE"):
                body = await gql(
                    ORDER_PAY,
                    {"id": encode("Order", order["db_id"]), "channel": channel},
                    token=token,
                )
                assert codes(body["data"]["orderPay"]) == ["PAYMENT_UNAVAILABLE"]
    assert await db.scalar("SELECT count(*) FROM payment_prepays") == 0
    assert await db.scalar("SELECT status FROM orders") == "pending_payment"
