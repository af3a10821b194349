"""campaignItemWithdraw and campaignCancel: before the cutoff an item, or the
whole campaign, is called off; paid money goes back exactly once, unpaid
orders close and give their units back, and nothing more is sold or bought."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from kernel.accounts import Role
from tests.support.commerce import codes, ok, reserved
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input
from tests.support.ordering import pay

WITHDRAW = """
mutation($input: CampaignItemWithdrawInput!) {
  campaignItemWithdraw(input: $input) {
    item { id status withdrawnAt version }
    cancelledOrders refundedLines refundedFen
    userErrors { field code message }
  }
}
"""

CANCEL = """
mutation($id: ID!) {
  campaignCancel(input: {campaignId: $id}) {
    campaign { id status cancelledAt }
    cancelledOrders refundedOrders refundedFen
    userErrors { field code message }
  }
}
"""


async def _order(gql: Any, shop: Shop, token: str, quantities: dict[int, int]) -> str:
    body = await gql(ORDER_CREATE, order_input(shop, quantities), token=token)
    return str(ok(body, "orderCreate")["order"]["id"])


async def _rows(db: Any, sql: str) -> list[Any]:
    async with db.engine.connect() as conn:
        return list(await conn.execute(text(sql)))


async def _refunds(db: Any) -> list[tuple[str, int]]:
    rows = await _rows(db, "SELECT reason, amount_fen FROM refunds ORDER BY id")
    return [(str(r[0]), int(r[1])) for r in rows]


async def _statuses(db: Any) -> list[str]:
    return [str(r[0]) for r in await _rows(db, "SELECT status FROM orders ORDER BY id")]


async def test_withdrawing_refunds_paid_lines_cancels_unpaid_orders_and_stops_sales(db, gql):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "cap": 50},
            {"group_price_fen": 1500, "list_price_fen": 1800},
        ],
    )
    _, alice = await db.user(Role.CUSTOMER, "甲")
    _, bob = await db.user(Role.CUSTOMER, "乙")
    paid = await _order(gql, shop, alice, {0: 3, 1: 1})  # 29.70 + 15.00
    await pay(gql, paid, alice)
    await _order(gql, shop, bob, {0: 2})  # unpaid
    assert await reserved(db, shop.item_ids[0]) == 5

    body = await gql(
        WITHDRAW,
        {"input": {"itemId": shop.item_gid(0), "expectedVersion": 1}},
        token=shop.operator_token,
    )
    done = ok(body, "campaignItemWithdraw")
    assert (done["cancelledOrders"], done["refundedLines"], done["refundedFen"]) == (1, 1, 2970)
    assert (done["item"]["status"], done["item"]["version"]) == ("WITHDRAWN", 2)
    assert await _refunds(db) == [("withdrawn", 2970)]
    # Alice keeps her other line (the order stays paid); Bob's order is closed.
    assert await _statuses(db) == ["paid", "cancelled"]
    # Bob's units went back; Alice's refunded ones stay counted, as at cutoff.
    assert await reserved(db, shop.item_ids[0]) == 3
    refused = await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=bob)
    assert codes(refused, "orderCreate") == ["ITEM_WITHDRAWN"]
    ok(await gql(ORDER_CREATE, order_input(shop, {1: 1}), token=bob), "orderCreate")

    again = await gql(
        WITHDRAW,
        {"input": {"itemId": shop.item_gid(0), "expectedVersion": 2}},
        token=shop.operator_token,
    )
    assert codes(again, "campaignItemWithdraw") == ["ITEM_CANCELLED"]
    assert await _refunds(db) == [("withdrawn", 2970)]
    told = await _rows(
        db, "SELECT user_id FROM notifications WHERE kind = 'campaign.item_withdrawn'"
    )
    assert len(told) == 2


async def test_a_stale_withdrawal_changes_nothing(db, gql):
    shop = await open_shop(db)
    _, alice = await db.user(Role.CUSTOMER, "甲")
    await pay(gql, await _order(gql, shop, alice, {0: 1}), alice)
    body = await gql(
        WITHDRAW,
        {"input": {"itemId": shop.item_gid(0), "expectedVersion": 7}},
        token=shop.operator_token,
    )
    assert codes(body, "campaignItemWithdraw") == ["STALE"]
    assert await _refunds(db) == []
    forbidden = await gql(
        WITHDRAW, {"input": {"itemId": shop.item_gid(0), "expectedVersion": 1}}, token=alice
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_cancelling_a_campaign_refunds_everything_paid_once(db, gql):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290},
            {"group_price_fen": 1500, "list_price_fen": 1800},
        ],
    )
    _, alice = await db.user(Role.CUSTOMER, "甲")
    _, bob = await db.user(Role.CUSTOMER, "乙")
    await pay(gql, await _order(gql, shop, alice, {0: 2, 1: 1}), alice)  # 34.80
    await pay(gql, await _order(gql, shop, bob, {1: 2}), bob)  # 30.00
    await _order(gql, shop, bob, {0: 1})  # unpaid

    body = await gql(CANCEL, {"id": shop.campaign_gid}, token=shop.operator_token)
    done = ok(body, "campaignCancel")
    assert done["campaign"]["status"] == "CANCELLED"
    assert (done["cancelledOrders"], done["refundedOrders"], done["refundedFen"]) == (1, 2, 6480)
    assert sorted(await _refunds(db)) == [
        ("operator_cancelled", 3000),
        ("operator_cancelled", 3480),
    ]
    assert sorted(await _statuses(db)) == ["cancelled", "refunded", "refunded"]
    assert [await reserved(db, i) for i in shop.item_ids] == [0, 0]
    refused = await gql(ORDER_CREATE, order_input(shop, {1: 1}), token=alice)
    assert codes(refused, "orderCreate") == ["ITEM_WITHDRAWN"]

    twice = await gql(CANCEL, {"id": shop.campaign_gid}, token=shop.operator_token)
    assert codes(twice, "campaignCancel") == ["CAMPAIGN_CLOSED"]
    assert len(await _refunds(db)) == 2
    listed = await gql(
        "query($p: ID!) { openCampaigns(pickupPointId: $p) { id } }",
        {"p": shop.pickup_point_gid},
        token=alice,
    )
    assert listed["data"]["openCampaigns"] == []
