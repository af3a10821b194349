"""The payment callback, POST /payments/wechatpay/notify, with genuine
WeChat Pay v3 notifications (the sandbox's keys, envelope and signature):
what is accepted, what is refused, what is refunded; and unpaid orders
expiring."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from api.sandbox.notify import envelope
from api.sandbox.state import SandboxKeys, SandboxState
from fulfilment.orders.expiry import expire_unpaid
from fulfilment.orders.jobs import EXPIRE_UNPAID, expire_unpaid_orders
from fulfilment.orders.models import Order
from kernel.accounts import Role
from kernel.db import unit_of_work
from kernel.jobs.registry import JobContext, handler_for, periodic_kinds
from tests.conftest import GraphQLClient, jobs_settled
from tests.conftest import TestDB as Database
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input
from tests.support.ordering import ORDER_CANCEL
from tests.support.paying import (
    NOTIFY,
    notified_client,
    platform_signed,
    v3_envelope,
    v3_notification,
)

CAPPED: list[dict[str, int | None]] = [{"group_price_fen": 990, "list_price_fen": 1290, "cap": 10}]
ORDER_NODE = """
query($id: ID!) { node(id: $id) { ... on Order { id status paidAt totalFen } } }
"""
# The sandbox's keys: the platform key signs, the APIv3 key encrypts.
KEYS = SandboxKeys.generate()
SIGNATURE = "Wechatpay-Signature"


@pytest.fixture
async def gql(db: Database, tmp_path: Path) -> AsyncIterator[GraphQLClient]:
    async with notified_client(db, KEYS, tmp_path) as client:
        yield client


async def place(
    gql: GraphQLClient, shop: Shop, token: str, quantities: dict[int, int] | None = None
) -> dict[str, Any]:
    body = await gql(ORDER_CREATE, order_input(shop, quantities or {0: 2}), token=token)
    created = body["data"]["orderCreate"]
    assert created["userErrors"] == [], created
    order: dict[str, Any] = created["order"]
    return order


async def load(db: Database, number: str) -> Order:
    async with db.sessions() as session:
        return (await session.execute(select(Order).where(Order.number == number))).scalar_one()


async def post(http: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await http.post(NOTIFY, content=body, headers=headers)


async def pay(
    db: Database, http: httpx.AsyncClient, number: str, transaction_id: str | None = None
) -> httpx.Response:
    order = await load(db, number)
    return await post(http, *v3_notification(KEYS, number, order.total_fen, transaction_id))


def signed(body: bytes, timestamp: int | None = None, keys: SandboxKeys = KEYS) -> dict[str, str]:
    return platform_signed(keys, body, timestamp)


notification = partial(v3_envelope, KEYS)  # (number, amount): a signed body's content


async def outcomes(db: Database, number: str) -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT outcome FROM payment_notifications WHERE order_number = :n ORDER BY id"),
            {"n": number},
        )
        return [r[0] for r in rows]


async def all_outcomes(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.exec_driver_sql("SELECT outcome FROM payment_notifications ORDER BY id")
        return [r[0] for r in rows]


async def refunds(db: Database) -> list[tuple[int, int, str]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT order_id, amount_fen, reason FROM refunds ORDER BY id")
        )
        return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]


async def reserved(db: Database, item_id: int) -> int:
    return int(await db.scalar("SELECT reserved FROM campaign_items WHERE id = :i", i=item_id))


async def setup(db: Database) -> tuple[Shop, str]:
    shop = await open_shop(db, items=CAPPED)
    _, token = await db.user(Role.CUSTOMER, "居民")
    return shop, token


# --- accepted ------------------------------------------------------------------


async def test_valid_notification_marks_the_order_paid(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    response = await pay(db, gql.http, order["number"], "TX-OK")
    assert response.status_code == 204

    seen = (await gql(ORDER_NODE, {"id": order["id"]}, token=token))["data"]["node"]
    assert seen["status"] == "PAID"
    assert seen["paidAt"] is not None
    stored = await load(db, order["number"])
    assert stored.payment_transaction_id == "TX-OK"
    assert await outcomes(db, order["number"]) == ["accepted"]
    assert await refunds(db) == []
    # Paid orders keep their units.
    assert await reserved(db, shop.item_ids[0]) == 2


async def test_replayed_notification_is_harmless(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    body, headers = v3_notification(KEYS, order["number"], order["totalFen"])
    first = await post(gql.http, body, headers)
    paid_at = (await load(db, order["number"])).paid_at
    second = await post(gql.http, body, headers)
    assert (first.status_code, second.status_code) == (204, 204)
    stored = await load(db, order["number"])
    assert stored.status.value == "paid"
    assert stored.paid_at == paid_at
    assert await outcomes(db, order["number"]) == ["accepted", "duplicate"]
    assert await refunds(db) == []
    assert await db.scalar("SELECT count(*) FROM orders WHERE status = 'paid'") == 1


async def test_second_transaction_for_a_paid_order_is_refunded(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    assert (await pay(db, gql.http, order["number"], "TX-A")).status_code == 204
    again = await pay(db, gql.http, order["number"], "TX-B")
    assert again.status_code == 204
    stored = await load(db, order["number"])
    assert stored.status.value == "paid"
    assert stored.payment_transaction_id == "TX-A"
    assert await refunds(db) == [(stored.id, order["totalFen"], "double_payment")]
    # The provider retrying either notification refunds nothing more.
    for txn in ("TX-A", "TX-B", "TX-B"):
        retried = await pay(db, gql.http, order["number"], txn)
        assert retried.status_code == 204
    assert len(await refunds(db)) == 1
    assert await outcomes(db, order["number"]) == [
        "accepted",
        "accepted",
        "duplicate",
        "duplicate",
        "duplicate",
    ]


async def test_payment_after_expiry_is_refunded_and_the_order_reads_refunded(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    stored = await load(db, order["number"])
    async with unit_of_work(db.sessions) as session:
        assert await expire_unpaid(session, stored.expires_at + timedelta(seconds=1)) == 1
    assert await reserved(db, shop.item_ids[0]) == 0

    response = await pay(db, gql.http, order["number"], "TX-LATE")
    assert response.status_code == 204
    after = await load(db, order["number"])
    # Paid, and all of it went back: REFUNDED, with the payment's time.
    assert after.status.value == "refunded"
    assert after.paid_at is not None and after.closed_at is not None
    assert await refunds(db) == [(after.id, order["totalFen"], "paid_after_close")]
    assert await outcomes(db, order["number"]) == ["accepted"]
    # The units stay released: a late payment does not resurrect the order.
    assert await reserved(db, shop.item_ids[0]) == 0
    # The provider retrying the same notification refunds nothing more.
    await pay(db, gql.http, order["number"], "TX-LATE")
    assert len(await refunds(db)) == 1


async def test_payment_after_cancelling_is_refunded_and_the_order_reads_refunded(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    cancelled = await gql(ORDER_CANCEL, {"id": order["id"]}, token=token)
    assert cancelled["data"]["orderCancel"]["order"]["status"] == "CANCELLED"
    assert await refunds(db) == []  # nothing was paid yet

    response = await pay(db, gql.http, order["number"], "TX-LATE")
    assert response.status_code == 204
    after = await load(db, order["number"])
    assert after.status.value == "refunded"
    assert await refunds(db) == [(after.id, order["totalFen"], "paid_after_close")]
    assert await reserved(db, shop.item_ids[0]) == 0


async def test_cancelling_a_paid_order_refunds_it_once(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    body, headers = v3_notification(KEYS, order["number"], order["totalFen"])
    assert (await post(gql.http, body, headers)).status_code == 204
    cancelled = await gql(ORDER_CANCEL, {"id": order["id"]}, token=token)
    # Refunded whole: it reads REFUNDED, as when the payment comes after.
    assert cancelled["data"]["orderCancel"]["order"]["status"] == "REFUNDED"
    stored = await load(db, order["number"])
    assert await refunds(db) == [(stored.id, order["totalFen"], "customer_cancelled")]
    # The original notification arriving again refunds nothing more.
    assert (await post(gql.http, body, headers)).status_code == 204
    assert len(await refunds(db)) == 1
    # Cancelling twice is refused and refunds nothing more.
    twice = await gql(ORDER_CANCEL, {"id": order["id"]}, token=token)
    assert twice["data"]["orderCancel"]["userErrors"][0]["code"] == "NOT_CANCELLABLE"
    assert len(await refunds(db)) == 1
    assert await reserved(db, shop.item_ids[0]) == 0


# --- refused -------------------------------------------------------------------


async def test_forged_signature_is_refused(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    body = notification(order["number"], order["totalFen"])
    # Signed with another platform key under the sandbox's key id.
    other = SandboxKeys.generate()
    forged_keys = SandboxKeys(**{**vars(KEYS), "platform_key": other.platform_key})
    forged = await post(gql.http, body, signed(body, keys=forged_keys))
    assert forged.status_code == 401
    assert forged.json()["code"] == "FAIL"
    # A genuine signature over another body does not cover this one.
    genuine = signed(notification(order["number"], 1))
    assert (await post(gql.http, body, genuine)).status_code == 401
    # No signature at all.
    assert (await post(gql.http, body, {})).status_code == 401

    stored = await load(db, order["number"])
    assert stored.status.value == "pending_payment"
    assert stored.paid_at is None
    assert "accepted" not in await all_outcomes(db)


async def test_wrong_amount_is_rejected_and_recorded(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    body = notification(order["number"], order["totalFen"] - 1)
    response = await post(gql.http, body, signed(body))
    assert response.status_code == 400
    assert response.json()["code"] == "FAIL"
    stored = await load(db, order["number"])
    assert stored.status.value == "pending_payment"
    assert stored.paid_at is None
    assert stored.payment_transaction_id is None
    assert await outcomes(db, order["number"]) == ["rejected"]
    assert await refunds(db) == []


async def test_unknown_order_number_is_rejected_and_recorded(db, gql):
    body = notification("NO-SUCH-ORDER", 990)
    response = await post(gql.http, body, signed(body))
    assert response.status_code == 400
    assert await outcomes(db, "NO-SUCH-ORDER") == ["rejected"]


async def test_stale_timestamp_is_refused(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    body = notification(order["number"], order["totalFen"])
    old = await post(gql.http, body, signed(body, int(time.time()) - 3600))
    assert old.status_code == 401
    future = await post(gql.http, body, signed(body, int(time.time()) + 3600))
    assert future.status_code == 401
    assert (await load(db, order["number"])).status.value == "pending_payment"
    assert "accepted" not in await all_outcomes(db)


async def test_malformed_body_with_valid_signature_is_refused(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    state = SandboxState(KEYS)
    for body in (
        b"{not json",
        b"[]",
        json.dumps({"event_type": "TRANSACTION.SUCCESS", "resource": {}}).encode(),
        # Encrypted and signed, but not a whole transaction.
        envelope(state, "TRANSACTION.SUCCESS", {"out_trade_no": order["number"]}),
        # Yuan, not fen; the right fen, but as a string.
        *(
            envelope(
                state,
                "TRANSACTION.SUCCESS",
                {
                    "out_trade_no": order["number"],
                    "transaction_id": "T",
                    "trade_state": "SUCCESS",
                    "amount": {"total": total},
                },
            )
            for total in ("19.80", "1980")
        ),
    ):
        response = await post(gql.http, body, signed(body))
        # Undecryptable is 401, decrypted but malformed 400: WeChat sends again.
        assert response.status_code in (400, 401), body
    assert (await load(db, order["number"])).status.value == "pending_payment"
    assert "accepted" not in await all_outcomes(db)


# --- expiry --------------------------------------------------------------------


async def test_unpaid_orders_expire_and_give_their_units_back(db, gql):
    shop, token = await setup(db)
    first = await place(gql, shop, token, {0: 4})
    second = await place(gql, shop, token, {0: 3})
    assert await reserved(db, shop.item_ids[0]) == 7
    paid = await pay(db, gql.http, second["number"])
    assert paid.status_code == 204
    expires_at = (await load(db, first["number"])).expires_at

    async with unit_of_work(db.sessions) as session:
        assert await expire_unpaid(session, expires_at - timedelta(seconds=1)) == 0
    assert await reserved(db, shop.item_ids[0]) == 7

    async with unit_of_work(db.sessions) as session:
        assert await expire_unpaid(session, expires_at + timedelta(seconds=1)) == 1
    assert (await load(db, first["number"])).status.value == "expired"
    assert (await load(db, second["number"])).status.value == "paid"
    assert await reserved(db, shop.item_ids[0]) == 3
    seen = (await gql(ORDER_NODE, {"id": first["id"]}, token=token))["data"]["node"]
    assert seen["status"] == "EXPIRED"

    # Running again changes nothing: each order is released once.
    async with unit_of_work(db.sessions) as session:
        assert await expire_unpaid(session, expires_at + timedelta(days=1)) == 0
    assert await reserved(db, shop.item_ids[0]) == 3
    # The units can be bought again.
    again = await place(gql, shop, token, {0: 7})
    assert again["status"] == "PENDING_PAYMENT"


async def test_the_expiry_job_is_periodic_and_expires_overdue_orders(db, gql, app_for):
    assert EXPIRE_UNPAID == "orders.expire_unpaid"
    assert "orders.expire_unpaid" in periodic_kinds()
    assert periodic_kinds()["orders.expire_unpaid"] > 0
    assert handler_for("orders.expire_unpaid") is expire_unpaid_orders

    shop, token = await setup(db)
    overdue = await place(gql, shop, token, {0: 2})
    fresh = await place(gql, shop, token, {0: 1})
    stored = await load(db, overdue["number"])
    await jobs_settled(app_for)  # the app's own expiry run is not the one under test
    async with db.engine.begin() as conn:
        # The payment window of the first order ran out an hour ago.
        await conn.execute(
            update(Order)
            .where(Order.id == stored.id)
            .values(expires_at=stored.created_at - timedelta(hours=1))
        )
    result = await expire_unpaid_orders(JobContext(job_id=0, sessions=db.sessions), {})
    # (With WeChat Pay on, it also says what it asked the provider about.)
    assert result is not None and result["expired"] == 1
    assert (await load(db, overdue["number"])).status.value == "expired"
    assert (await load(db, fresh["number"])).status.value == "pending_payment"
    assert await reserved(db, shop.item_ids[0]) == 1


async def test_garbage_signature_headers_are_refused(db, gql):
    shop, token = await setup(db)
    order = await place(gql, shop, token)
    body = notification(order["number"], order["totalFen"])
    good = signed(body)
    for bad in ("", "not base64 at all", "é" * 44, good[SIGNATURE][:-4]):
        headers = {**good, SIGNATURE: bad}
        response = await gql.http.post(
            NOTIFY, content=body, headers={k: v.encode("latin-1") for k, v in headers.items()}
        )
        assert response.status_code == 401, (bad, response.text)
    assert (await load(db, order["number"])).status.value == "pending_payment"
