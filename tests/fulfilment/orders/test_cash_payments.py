"""Cash for 代下单 (issue 18): the pickup point's leader marks a resident's
order paid in cash; the order is paid with its pickup code, the cash is
recorded and audited, refused for anyone else and for an order not awaiting
payment; a WeChat payment after it is a second payment, refunded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from api.graphql.ids import encode
from fulfilment.orders.models import Order, PaymentOutcome
from fulfilment.orders.payments import record_payment
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import GraphQLClient, TestDB, error_codes, jobs_settled
from tests.support.commerce import snapshot
from tests.support.factories import Shop, approved_pickup_point, open_shop
from tests.support.ordering import customer, lines_input, pay, place

MARK = """mutation($id: ID!) { orderMarkPaidCash(input: {orderId: $id}) {
  order { id status totalFen paidAt pickupCode { code }
          cashPayment { amountFen receivedAt leaderName } }
  cashPayment { amountFen }
  userErrors { field code message } } }"""
EVENTS = """query($o: ID) { auditEvents(filter: {objectId: $o}, first: 10) {
  nodes { action actorRole objectType objectId } } }"""


async def resident_order(gql: GraphQLClient, shop: Shop) -> dict[str, Any]:
    """A 代下单 order the shop's leader placed for a resident, unpaid."""
    return await place(
        gql,
        lines_input(
            shop.pickup_point_gid,
            [(shop.item_gid(0), 2)],
            customerPhone="13912345678",
            customerName="张阿姨",
        ),
        shop.leader_token,
    )


async def mark(gql: GraphQLClient, order_gid: str, token: str) -> dict[str, Any]:
    body = await gql(MARK, {"id": order_gid}, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["orderMarkPaidCash"]
    return result


async def test_the_leader_marks_a_residents_order_paid_in_cash(db: TestDB, gql: GraphQLClient):
    shop = await open_shop(db)
    order = await resident_order(gql, shop)
    done = await mark(gql, order["id"], shop.leader_token)
    assert done["userErrors"] == []
    paid = done["order"]
    assert paid["status"] == "PAID" and paid["paidAt"]
    assert len(paid["pickupCode"]["code"]) == 6
    assert paid["cashPayment"]["amountFen"] == order["totalFen"] == 1980
    assert paid["cashPayment"]["leaderName"] == shop.leader_user.name
    order_id = int(await db.scalar("SELECT id FROM orders WHERE number = :n", n=order["number"]))
    row = await db.scalar(
        "SELECT paid_fen || '/' || coalesce(payment_transaction_id, '-') FROM orders WHERE id = :i",
        i=order_id,
    )
    assert row == "1980/-"  # money received; no WeChat transaction
    cash = await db.scalar(
        "SELECT amount_fen || '/' || recorded_by_id FROM cash_payments WHERE order_id = :i",
        i=order_id,
    )
    assert cash == f"1980/{shop.leader_user.id}"
    held = await db.scalar(
        "SELECT amount_fen FROM commission_entries WHERE kind = 'cash_held' AND account = 'pending'"
    )
    assert held == -1980
    assert await db.scalar("SELECT count(*) FROM payment_notifications") == 0
    events = await gql(EVENTS, {"o": order["id"]}, token=shop.operator_token)
    [event] = events["data"]["auditEvents"]["nodes"]
    assert event["action"] == "orderMarkPaidCash"
    assert (event["actorRole"], event["objectType"]) == ("LEADER", "Order")


async def test_only_the_points_leader_may_mark_it(db: TestDB, gql: GraphQLClient):
    shop = await open_shop(db)
    order = await resident_order(gql, shop)
    _, _, other_leader = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    buyer = await customer(db)
    before = await snapshot(db)
    refused = await mark(gql, order["id"], other_leader)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", ["orderId"])]
    for token in (buyer, shop.operator_token):
        body = await gql(MARK, {"id": order["id"]}, token=token)
        assert error_codes(body) == ["FORBIDDEN"]
    assert await snapshot(db) == before
    assert await db.scalar("SELECT count(*) FROM cash_payments") == 0


async def test_a_paid_or_expired_order_is_refused(
    db: TestDB, gql: GraphQLClient, app_for: Any
) -> None:
    shop = await open_shop(db)
    paid = await resident_order(gql, shop)
    await pay(gql, paid["id"], shop.leader_token)
    refused = await mark(gql, paid["id"], shop.leader_token)
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_PAYABLE"]

    late = await resident_order(gql, shop)
    # Past its window but not yet expired by the app's periodic run.
    await jobs_settled(app_for)
    async with db.engine.begin() as conn:
        await conn.execute(
            update(Order)
            .where(Order.number == late["number"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    refused = await mark(gql, late["id"], shop.leader_token)
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_PAYABLE"]
    assert "window" in refused["userErrors"][0]["message"]

    twice = await resident_order(gql, shop)
    assert (await mark(gql, twice["id"], shop.leader_token))["userErrors"] == []
    again = await mark(gql, twice["id"], shop.leader_token)
    assert [e["code"] for e in again["userErrors"]] == ["NOT_PAYABLE"]
    assert await db.scalar("SELECT count(*) FROM cash_payments") == 1
    assert await db.scalar("SELECT count(*) FROM commission_entries") == 1


async def test_a_wechat_payment_after_cash_is_refunded_to_wechat(db: TestDB, gql: GraphQLClient):
    shop = await open_shop(db)
    order = await resident_order(gql, shop)
    await mark(gql, order["id"], shop.leader_token)
    async with unit_of_work(db.sessions) as session:
        result = await record_payment(
            session,
            order_number=order["number"],
            amount_fen=order["totalFen"],
            transaction_id="wx-after-cash",
            now=utcnow(),
        )
    assert result.outcome is PaymentOutcome.ACCEPTED
    assert result.reason == "second payment for one order; refunded"
    refund = await db.scalar(
        "SELECT reason || '/' || transaction_id || '/' || amount_fen FROM refunds"
    )
    assert refund == "double_payment/wx-after-cash/1980"
    state = await db.scalar(
        "SELECT status || '/' || paid_fen || '/' || coalesce(payment_transaction_id, '-') "
        "FROM orders WHERE number = :n",
        n=order["number"],
    )
    assert state == "paid/3960/-"  # still paid in cash; the second payment goes back


async def test_a_resident_may_not_see_another_leaders_cash_order(db: TestDB, gql: GraphQLClient):
    """The mutation names the order; for a customer it is not a leader's to mark."""
    shop = await open_shop(db)
    order = await resident_order(gql, shop)
    _, token = await db.user(Role.CUSTOMER)
    body = await gql(MARK, {"id": encode("Order", 10**9)}, token=shop.leader_token)
    assert [e["code"] for e in body["data"]["orderMarkPaidCash"]["userErrors"]] == ["NOT_FOUND"]
    assert error_codes(await gql(MARK, {"id": order["id"]}, token=token)) == ["FORBIDDEN"]
