"""Items with their own sale windows inside a campaign (a 秒杀 at 20:00, a lot
sold only until noon): residents can order such an item only inside its
window, on both ways of placing an order; a window outside its campaign is
refused wherever it is set (new campaign, item edit, the campaign's times
moved) and changes nothing; a copied campaign moves the windows with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kernel.accounts import Role
from kernel.clock import utcnow
from tests.support.commerce import codes, gid, ok, reserved, user_errors
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input

ITEM_UPDATE = """
mutation($input: CampaignItemUpdateInput!) {
  campaignItemUpdate(input: $input) {
    item { id saleStartsAt saleEndsAt version }
    userErrors { field code message }
  }
}
"""

CAMPAIGN_UPDATE = """
mutation($input: CampaignUpdateInput!) {
  campaignUpdate(input: $input) { campaign { cutoffAt version } userErrors { field code } }
}
"""

CAMPAIGN_CREATE = """
mutation($input: CampaignCreateInput!) {
  campaignCreate(input: $input) { campaign { id } userErrors { field code message } }
}
"""

ITEMS = """
query($id: ID!) { node(id: $id) { ... on Campaign {
  cutoffAt version items { status saleStartsAt saleEndsAt version }
} } }
"""

COPY = """
mutation($input: CampaignCopyInput!) {
  campaignCopy(input: $input) {
    campaign { opensAt items { saleStartsAt saleEndsAt status } } userErrors { code }
  }
}
"""

THREE = [{"group_price_fen": 990, "list_price_fen": 1290, "cap": 50} for _ in range(3)]


def _at(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


async def _window(gql: Any, shop: Shop, index: int, version: int = 1, **times: str | None) -> Any:
    variables = {"itemId": shop.item_gid(index), "expectedVersion": version, **times}
    return await gql(ITEM_UPDATE, {"input": variables}, token=shop.operator_token)


async def _items(gql: Any, shop: Shop) -> dict[str, Any]:
    body = await gql(ITEMS, {"id": shop.campaign_gid}, token=shop.operator_token)
    campaign: dict[str, Any] = body["data"]["node"]
    return campaign


async def test_items_sell_only_inside_their_own_window(db, gql):
    # The campaign is open from an hour ago to an hour from now.
    shop = await open_shop(db, items=THREE)
    now = utcnow()
    later, ended = _at(now + timedelta(minutes=30)), _at(now - timedelta(minutes=1))
    ok(await _window(gql, shop, 0, saleStartsAt=later), "campaignItemUpdate")
    ok(await _window(gql, shop, 1, saleEndsAt=ended), "campaignItemUpdate")
    assert [i["status"] for i in (await _items(gql, shop))["items"]] == [
        "SCHEDULED",
        "CLOSED",
        "ON_SALE",
    ]

    _, customer = await db.user(Role.CUSTOMER, "居民")
    early = await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=customer)
    [refused] = user_errors(early, "orderCreate")
    assert (refused["field"], refused["code"]) == (
        ["lines", "0", "campaignItemId"],
        "ITEM_NOT_ON_SALE",
    )
    # The second line is the one named; the first line's units stay free.
    over = await gql(ORDER_CREATE, order_input(shop, {2: 2, 1: 1}), token=customer)
    assert [e["field"] for e in user_errors(over, "orderCreate")] == [
        ["lines", "1", "campaignItemId"]
    ]
    assert [await reserved(db, i) for i in shop.item_ids] == [0, 0, 0]
    assert await db.scalar("SELECT count(*) FROM orders") == 0

    ok(await gql(ORDER_CREATE, order_input(shop, {2: 2}), token=customer), "orderCreate")
    # The flash sale brought forward to now: it sells at once.
    ok(await _window(gql, shop, 0, 2, saleStartsAt=_at(utcnow())), "campaignItemUpdate")
    ok(await gql(ORDER_CREATE, order_input(shop, {0: 3}), token=customer), "orderCreate")
    # Back to the campaign's own window: null clears the item's.
    ok(await _window(gql, shop, 1, 2, saleEndsAt=None), "campaignItemUpdate")
    ok(await gql(ORDER_CREATE, order_input(shop, {1: 1}), token=customer), "orderCreate")
    assert [await reserved(db, i) for i in shop.item_ids] == [3, 1, 2]


async def test_a_window_outside_the_campaign_is_refused_and_changes_nothing(db, gql):
    shop = await open_shop(db, items=THREE)
    campaign = await _items(gql, shop)
    cutoff = datetime.fromisoformat(campaign["cutoffAt"])
    after_cutoff = await _window(gql, shop, 0, saleEndsAt=_at(cutoff + timedelta(minutes=1)))
    assert user_errors(after_cutoff, "campaignItemUpdate")[0]["field"] == ["saleEndsAt"]
    before_opening = await _window(gql, shop, 0, saleStartsAt=_at(cutoff - timedelta(hours=3)))
    assert user_errors(before_opening, "campaignItemUpdate")[0]["field"] == ["saleStartsAt"]
    soon = cutoff - timedelta(minutes=30)
    backwards = await _window(gql, shop, 0, saleStartsAt=_at(soon), saleEndsAt=_at(soon))
    naive = await _window(gql, shop, 0, saleStartsAt="2030-01-01T20:00:00")
    for body in (after_cutoff, before_opening, backwards):
        assert codes(body, "campaignItemUpdate") == ["SALE_WINDOW_OUTSIDE_CAMPAIGN"]
    assert codes(naive, "campaignItemUpdate") == ["INVALID"]
    unchanged = (await _items(gql, shop))["items"][0]
    assert (unchanged["saleStartsAt"], unchanged["saleEndsAt"], unchanged["version"]) == (
        None,
        None,
        1,
    )

    # A new campaign whose item sells past its cutoff is not created.
    opens, new_cutoff = cutoff + timedelta(days=1), cutoff + timedelta(days=1, hours=2)
    item = {
        "productId": gid("Product", shop.extra["product_id"]),
        "groupPriceFen": 990,
        "listPriceFen": 1290,
        "saleEndsAt": _at(new_cutoff + timedelta(minutes=5)),
    }
    draft = {
        "warehouseId": gid("Warehouse", shop.warehouse_id),
        "deliveryDate": (shop.delivery_date + timedelta(days=2)).isoformat(),
        "opensAt": _at(opens),
        "cutoffAt": _at(new_cutoff),
        "pickupWindow": {"start": "14:00", "end": "20:00"},
        "items": [item],
    }
    body = await gql(CAMPAIGN_CREATE, {"input": draft}, token=shop.operator_token)
    assert user_errors(body, "campaignCreate")[0]["field"] == ["items", "0", "saleEndsAt"]
    assert codes(body, "campaignCreate") == ["SALE_WINDOW_OUTSIDE_CAMPAIGN"]
    assert await db.scalar("SELECT count(*) FROM campaigns") == 1


async def test_the_cutoff_cannot_move_before_an_items_own_sale_end(db, gql):
    shop = await open_shop(db, items=THREE)
    campaign = await _items(gql, shop)
    cutoff = datetime.fromisoformat(campaign["cutoffAt"])
    sells_until = _at(cutoff - timedelta(minutes=10))
    ok(await _window(gql, shop, 0, saleEndsAt=sells_until), "campaignItemUpdate")

    earlier = {"campaignId": shop.campaign_gid, "expectedVersion": 1}
    body = await gql(
        CAMPAIGN_UPDATE,
        {"input": {**earlier, "cutoffAt": _at(cutoff - timedelta(minutes=20))}},
        token=shop.operator_token,
    )
    assert user_errors(body, "campaignUpdate") == [
        {"field": ["cutoffAt"], "code": "SALE_WINDOW_OUTSIDE_CAMPAIGN"}
    ]
    assert (await _items(gql, shop))["version"] == 1
    # Moving the cutoff to the item's end itself is fine.
    moved = await gql(
        CAMPAIGN_UPDATE, {"input": {**earlier, "cutoffAt": sells_until}}, token=shop.operator_token
    )
    assert ok(moved, "campaignUpdate")["campaign"]["version"] == 2


async def test_a_copied_campaign_moves_the_items_windows_with_its_dates(db, gql):
    shop = await open_shop(db, items=THREE)
    cutoff = datetime.fromisoformat((await _items(gql, shop))["cutoffAt"])
    starts, ends = cutoff - timedelta(minutes=40), cutoff - timedelta(minutes=10)
    ok(
        await _window(gql, shop, 1, saleStartsAt=_at(starts), saleEndsAt=_at(ends)),
        "campaignItemUpdate",
    )
    tomorrow = (shop.delivery_date + timedelta(days=1)).isoformat()
    body = await gql(
        COPY,
        {"input": {"campaignId": shop.campaign_gid, "deliveryDate": tomorrow}},
        token=shop.operator_token,
    )
    items = ok(body, "campaignCopy")["campaign"]["items"]
    day = timedelta(days=1)
    assert [(i["saleStartsAt"], i["saleEndsAt"]) for i in items] == [
        (None, None),
        (_at(starts + day), _at(ends + day)),
        (None, None),
    ]
