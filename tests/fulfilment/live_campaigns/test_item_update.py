"""campaignItemUpdate: a live item's terms change under the rules residents
and suppliers rely on (price fixed once ordered, cap never below what is
sold, nothing after the cutoff) and two operators' overlapping edits never
both land."""

from __future__ import annotations

import asyncio
from typing import Any

from kernel.accounts import Role
from tests.support.commerce import close_campaign, codes, gid, ok, reserved
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input
from tests.support.ordering import ORDER_CANCEL

UPDATE = """
mutation($input: CampaignItemUpdateInput!) {
  campaignItemUpdate(input: $input) {
    item { id groupPriceFen listPriceFen cap perCustomerLimit groupThreshold reserved version }
    userErrors { field code message }
  }
}
"""


def edit(shop: Shop, version: int = 1, **fields: Any) -> dict[str, Any]:
    return {"input": {"itemId": shop.item_gid(0), "expectedVersion": version, **fields}}


async def _terms(gql: Any, shop: Shop) -> dict[str, Any]:
    """The item as the operator reads it (an empty edit changes nothing)."""
    body = await gql(
        UPDATE, edit(shop, version=await _version(gql, shop)), token=shop.operator_token
    )
    item: dict[str, Any] = ok(body, "campaignItemUpdate")["item"]
    return item


async def _version(gql: Any, shop: Shop) -> int:
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on CampaignItem { version } } }",
        {"id": shop.item_gid(0)},
        token=shop.operator_token,
    )
    return int(body["data"]["node"]["version"])


async def test_cap_is_raised_and_lowered_but_never_below_what_orders_hold(db, gql):
    shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 10}])
    _, customer = await db.user(Role.CUSTOMER, "居民")
    ok(await gql(ORDER_CREATE, order_input(shop, {0: 6}), token=customer), "orderCreate")

    raised = ok(
        await gql(UPDATE, edit(shop, cap=20), token=shop.operator_token), "campaignItemUpdate"
    )
    assert (raised["item"]["cap"], raised["item"]["version"]) == (20, 2)

    below = await gql(UPDATE, edit(shop, version=2, cap=5), token=shop.operator_token)
    assert codes(below, "campaignItemUpdate") == ["CAP_BELOW_SOLD"]
    assert (await _terms(gql, shop))["cap"] == 20

    exact = await gql(UPDATE, edit(shop, version=2, cap=6), token=shop.operator_token)
    assert ok(exact, "campaignItemUpdate")["item"]["cap"] == 6
    # Sold out at once: the next unit is refused by the new cap.
    more = await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=customer)
    assert codes(more, "orderCreate") == ["SOLD_OUT"]
    uncapped = await gql(UPDATE, edit(shop, version=3, cap=None), token=shop.operator_token)
    assert ok(uncapped, "campaignItemUpdate")["item"]["cap"] is None
    ok(await gql(ORDER_CREATE, order_input(shop, {0: 50}), token=customer), "orderCreate")
    assert await reserved(db, shop.item_ids[0]) == 56


async def test_price_changes_until_the_first_order_even_a_cancelled_one(db, gql):
    shop = await open_shop(db)
    repriced = await gql(
        UPDATE, edit(shop, groupPriceFen=890, listPriceFen=1190), token=shop.operator_token
    )
    item = ok(repriced, "campaignItemUpdate")["item"]
    assert (item["groupPriceFen"], item["listPriceFen"]) == (890, 1190)

    _, customer = await db.user(Role.CUSTOMER, "居民")
    order = ok(await gql(ORDER_CREATE, order_input(shop, {0: 2}), token=customer), "orderCreate")
    assert order["order"]["lines"][0]["unitPriceFen"] == 890
    ok(await gql(ORDER_CANCEL, {"id": order["order"]["id"]}, token=customer), "orderCancel")
    assert await reserved(db, shop.item_ids[0]) == 0

    locked = await gql(UPDATE, edit(shop, version=2, groupPriceFen=790), token=shop.operator_token)
    assert codes(locked, "campaignItemUpdate") == ["PRICE_LOCKED"]
    # Other terms still change.
    limited = await gql(
        UPDATE, edit(shop, version=2, perCustomerLimit=3), token=shop.operator_token
    )
    item = ok(limited, "campaignItemUpdate")["item"]
    assert (item["groupPriceFen"], item["perCustomerLimit"]) == (890, 3)


async def test_bad_terms_are_refused_and_change_nothing(db, gql):
    shop = await open_shop(db)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"groupPriceFen": 0}, "INVALID_PRICE"),
        ({"groupPriceFen": 1500}, "INVALID_PRICE"),  # above the list price
        ({"groupPriceFen": None}, "INVALID_PRICE"),
        ({"cap": 0}, "INVALID"),
        ({"groupThreshold": -2}, "INVALID"),
    ]
    for fields, code in cases:
        body = await gql(UPDATE, edit(shop, **fields), token=shop.operator_token)
        assert codes(body, "campaignItemUpdate") == [code], fields
    item = await _terms(gql, shop)
    assert (item["groupPriceFen"], item["cap"], item["groupThreshold"], item["version"]) == (
        990,
        None,
        None,
        1,
    )
    _, customer = await db.user(Role.CUSTOMER, "居民")
    body = await gql(UPDATE, edit(shop, cap=5), token=customer)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for item_id, code in (
        ("bm9wZQ==", "INVALID_ID"),
        (shop.campaign_gid, "INVALID_ID"),  # an ID of another type
        (gid("CampaignItem", 987_654), "NOT_FOUND"),
    ):
        body = await gql(
            UPDATE, {"input": {"itemId": item_id, "expectedVersion": 1}}, token=shop.operator_token
        )
        assert codes(body, "campaignItemUpdate") == [code]


async def test_a_campaign_that_has_cut_off_no_longer_changes(db, gql):
    shop = await open_shop(db)
    await close_campaign(db, shop.campaign_id)
    body = await gql(UPDATE, edit(shop, cap=30), token=shop.operator_token)
    assert codes(body, "campaignItemUpdate") == ["CAMPAIGN_CLOSED"]


async def test_of_two_overlapping_edits_one_lands_and_the_other_is_stale(db, gql):
    shop = await open_shop(db)
    first, second = await asyncio.gather(
        gql(UPDATE, edit(shop, cap=40), token=shop.operator_token),
        gql(UPDATE, edit(shop, cap=70), token=shop.operator_token),
    )
    outcomes = sorted(
        [codes(first, "campaignItemUpdate"), codes(second, "campaignItemUpdate")], key=len
    )
    assert outcomes == [[], ["STALE"]]
    winner = first if not codes(first, "campaignItemUpdate") else second
    item = await _terms(gql, shop)
    assert (item["cap"], item["version"]) == (
        winner["data"]["campaignItemUpdate"]["item"]["cap"],
        2,
    )
