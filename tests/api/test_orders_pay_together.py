"""ordersPay: a resident pays several orders with one WeChat Pay
confirmation (合单支付), against the sandbox over real HTTP, on both
databases. One prepay, one payment, one notification; every order paid by a
transaction of its own, once, however often the notification comes; and
every refusal changes nothing, here or at WeChat Pay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.graphql.ids import encode
from fulfilment.orders.prepay_together import combine_number
from kernel.accounts import Role
from tests.conftest import TestDB
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input
from tests.support.paying import Paying, eventually, paying, wechat_customer

ORDERS_PAY = """
mutation($ids: [ID!]!, $channel: PaymentChannel!) {
  ordersPay(input: {orderIds: $ids, channel: $channel}) {
    jsapi { package }
    codeUrl
    userErrors { field code message }
  }
}
"""


async def _orders(app: Paying, shop: Shop, token: str, *quantities: int) -> list[dict[str, Any]]:
    placed = []
    for quantity in quantities:
        body = await app.gql(ORDER_CREATE, order_input(shop, {0: quantity}), token=token)
        order = body["data"]["orderCreate"]["order"]
        placed.append(order)
    return placed


async def _pay(app: Paying, ids: list[str], token: str, channel: str = "NATIVE") -> Any:
    body = await app.gql(ORDERS_PAY, {"ids": ids, "channel": channel}, token=token)
    return body if "errors" in body else body["data"]["ordersPay"]


async def _numbers(app: Paying, ids: list[str], token: str) -> list[dict[str, Any]]:
    body = await app.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { number } } }",
        {"ids": ids},
        token=token,
    )
    return list(body["data"]["nodes"])


async def _openings(app: Paying, token: str) -> dict[str, tuple[str, str | None]]:
    body = await app.gql(
        "{ myOrders(first: 20) { nodes { number paymentOpening combinedPaymentNumber } } }",
        token=token,
    )
    return {
        o["number"]: (o["paymentOpening"], o["combinedPaymentNumber"])
        for o in body["data"]["myOrders"]["nodes"]
    }


def _codes(answer: dict[str, Any]) -> list[str]:
    return [error["code"] for error in answer["userErrors"]]


async def test_one_payment_pays_each_order_with_its_own_transaction_once(
    db: TestDB, tmp_path: Path
) -> None:
    async with paying(db, tmp_path) as app:
        shop = await open_shop(db)
        _, token = await db.user(Role.CUSTOMER)
        orders = await _orders(app, shop, token, 1, 2, 3)
        ids = [o["id"] for o in orders]

        first = await _pay(app, ids, token)
        assert first["userErrors"] == [] and first["codeUrl"].startswith("weixin://")
        again = await _pay(app, ids, token)
        assert again["codeUrl"] == first["codeUrl"]
        prepays = "SELECT count(DISTINCT combine_out_trade_no), count(*) FROM payment_prepays"
        assert await db.rows(prepays) == [(1, 3)]
        number = combine_number([o["number"] for o in orders])
        assert [s.out_trade_no for s in app.sandbox.state.combines[number].sub_orders] == [
            o["number"] for o in orders
        ]

        app.sandbox.faults(duplicate_next_notification=True)
        paid = app.sandbox.pay(number)
        told = {s["out_trade_no"]: s["transaction_id"] for s in paid["sub_orders"]}
        assert len(set(told.values())) == 3

        async def booked() -> dict[str, str | None]:
            rows = await db.rows(
                "SELECT number, payment_transaction_id FROM orders WHERE status = 'paid'"
            )
            return dict(rows)

        await eventually(booked, told)
        await eventually(
            lambda: db.scalar("SELECT count(*) FROM payment_notifications"), 6
        )  # two deliveries of one notification naming three orders
        accepted = "SELECT count(*) FROM payment_notifications WHERE outcome = 'accepted'"
        assert await db.scalar(accepted) == 3
        totals = "SELECT sum(total_fen) FROM orders WHERE status = 'paid'"
        assert await db.scalar(totals) == sum(o["totalFen"] for o in orders)
        assert await db.scalar("SELECT count(*) FROM refunds") == 0
        assert _codes(await _pay(app, ids, token)) == ["NOT_PAYABLE"]


async def test_refusals_change_nothing_here_or_at_wechat_pay(db: TestDB, tmp_path: Path) -> None:
    async with paying(db, tmp_path) as app:
        shop = await open_shop(db)
        _, token = await db.user(Role.CUSTOMER)
        _, other = await db.user(Role.CUSTOMER)
        mine = [o["id"] for o in await _orders(app, shop, token, 1, 1, 1)]
        theirs = (await _orders(app, shop, other, 1))[0]["id"]
        refusals = {
            "one order": ([mine[0]], "PAY_TOGETHER_COUNT"),
            "the same order twice": ([mine[0], mine[0]], "PAY_TOGETHER_COUNT"),
            "eleven": (mine + [encode("Order", 10**6 + i) for i in range(8)], "PAY_TOGETHER_COUNT"),
            "a huge list": ([mine[0]] * 100_000, "PAY_TOGETHER_COUNT"),
            "someone else's": ([mine[0], theirs], "NOT_FOUND"),
            "no such order": ([mine[0], encode("Order", 10**9)], "NOT_FOUND"),
        }
        for name, (ids, code) in refusals.items():
            assert _codes(await _pay(app, ids, token)) == [code], name
        malformed = await _pay(app, [mine[0], "not-an-id"], token)
        assert _codes(malformed) == ["INVALID_ID"], malformed
        jsapi = await _pay(app, mine[:2], token, channel="JSAPI")
        assert _codes(jsapi) == ["PAYER_NOT_WECHAT"]
        forbidden = await _pay(app, mine[:2], shop.leader_token)
        assert forbidden.get("errors"), forbidden
        assert await db.scalar("SELECT count(*) FROM payment_prepays") == 0
        assert app.sandbox.state.combines == {}

        # An order paid alone is paid alone, and one paid with others is
        # paid with them: its number is taken at WeChat Pay.
        alone = await app.gql(
            "mutation($id: ID!) { orderPay(input: {orderId: $id, channel: NATIVE}) "
            "{ codeUrl userErrors { code } } }",
            {"id": mine[0]},
            token=token,
        )
        assert alone["data"]["orderPay"]["userErrors"] == []
        assert _codes(await _pay(app, mine, token)) == ["PAYMENT_OPENED"]
        assert (await _pay(app, mine[1:], token))["userErrors"] == []
        single = await app.gql(
            "mutation($id: ID!) { orderPay(input: {orderId: $id, channel: NATIVE}) "
            "{ codeUrl userErrors { code } } }",
            {"id": mine[1]},
            token=token,
        )
        assert [e["code"] for e in single["data"]["orderPay"]["userErrors"]] == ["PAYMENT_OPENED"]
        assert _codes(await _pay(app, [*mine[1:], mine[0]], token)) == ["PAYMENT_OPENED"]
        assert len(app.sandbox.state.combines) == 1
        assert await db.scalar("SELECT count(*) FROM payment_prepays") == 3
        # Her orders say how each may still be paid; another order, not yet.
        fresh = (await _orders(app, shop, token, 1))[0]
        numbers = [o["number"] for o in await _numbers(app, mine, token)]
        together = combine_number(numbers[1:])
        assert await _openings(app, token) == {
            numbers[0]: ("ALONE", None),
            numbers[1]: ("TOGETHER", together),
            numbers[2]: ("TOGETHER", together),
            fresh["number"]: ("NOT_OPENED", None),
        }


async def test_a_wechat_customer_pays_together_in_the_mini_program(
    db: TestDB, tmp_path: Path
) -> None:
    async with paying(db, tmp_path) as app:
        shop = await open_shop(db)
        _, token, openid = await wechat_customer(db, app.sandbox.state.keys.appid)
        orders = await _orders(app, shop, token, 2, 1)
        answer = await _pay(app, [o["id"] for o in orders], token, channel="JSAPI")
        assert answer["userErrors"] == [] and answer["jsapi"]["package"].startswith("prepay_id=wx")
        combine = app.sandbox.state.combines[combine_number([o["number"] for o in orders])]
        assert (combine.trade_type, combine.openid) == ("JSAPI", openid)
