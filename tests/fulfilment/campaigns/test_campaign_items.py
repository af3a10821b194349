"""campaignItemsAdd: items added to an open campaign, never a product twice,
and nothing after the cutoff."""

from __future__ import annotations

from kernel.accounts import Role
from tests.support.campaigns import ITEM_FIELDS, OPEN_CAMPAIGN, item
from tests.support.commerce import close_campaign, codes, make_product, ok, snapshot
from tests.support.factories import open_shop

ITEMS_ADD = f"""
mutation($input: CampaignItemsAddInput!) {{
  campaignItemsAdd(input: $input) {{
    items {{ {ITEM_FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""


async def test_items_are_added_to_an_open_campaign(db, gql):
    shop = await open_shop(db)
    pear = await make_product(db, name="砀山梨")
    body = await gql(
        ITEMS_ADD,
        {"input": {"campaignId": shop.campaign_gid, "items": [item(pear, cap=30)]}},
        token=shop.operator_token,
    )
    added = ok(body, "campaignItemsAdd")["items"]
    assert [(i["product"]["name"], i["cap"], i["remaining"]) for i in added] == [("砀山梨", 30, 30)]
    _, customer = await db.user(Role.CUSTOMER, "居民")
    seen = await gql(OPEN_CAMPAIGN, {"p": shop.pickup_point_gid}, token=customer)
    names = [i["product"]["name"] for i in seen["data"]["openCampaign"]["items"]]
    assert names == ["商品0", "砀山梨"]


async def test_adding_a_product_already_in_the_campaign_is_refused(db, gql):
    shop = await open_shop(db)
    product_id = await db.scalar(
        "SELECT product_id FROM campaign_items WHERE id = :i", i=shop.item_ids[0]
    )
    pear = await make_product(db, name="砀山梨")
    before = await snapshot(db)
    body = await gql(
        ITEMS_ADD,
        {"input": {"campaignId": shop.campaign_gid, "items": [item(pear), item(product_id)]}},
        token=shop.operator_token,
    )
    assert codes(body, "campaignItemsAdd") == ["DUPLICATE_ITEM"]
    assert body["data"]["campaignItemsAdd"]["items"] == []
    assert await snapshot(db) == before


async def test_items_cannot_be_added_after_the_cutoff(db, gql):
    shop = await open_shop(db)
    await close_campaign(db, shop.campaign_id)
    pear = await make_product(db, name="砀山梨")
    before = await snapshot(db)
    body = await gql(
        ITEMS_ADD,
        {"input": {"campaignId": shop.campaign_gid, "items": [item(pear)]}},
        token=shop.operator_token,
    )
    assert codes(body, "campaignItemsAdd") == ["CAMPAIGN_STARTED"]
    assert await snapshot(db) == before
