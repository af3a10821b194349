"""Photos on after-sale requests: the customer sends them by URL with the
request, the operator deciding reads them back; a URL that is not http(s)
is refused by its place in the list and nothing is asked."""

from __future__ import annotations

from api.graphql.ids import encode
from tests.fulfilment.pickup.test_pickup_api import today_counter, token_for, verify
from tests.support.commerce import ok
from tests.support.pickup import code_of

ASK = """
mutation($input: AfterSaleRequestInput!) {
  afterSaleRequest(input: $input) {
    afterSaleRequest { photoUrls } userErrors { field code }
  }
}
"""

PENDING = "{ afterSaleRequests(status: [PENDING]) { nodes { quantity photoUrls } } }"

PHOTO = "https://img.example.com/after-sale/1.jpg"


async def test_photos_go_with_the_request_to_the_operator(db, gql):
    counter = await today_counter(db)
    shop = counter.shop
    await verify(gql, shop.leader_token, code=await code_of(db, counter.orders["alice"]))
    alice = await token_for(db, counter.day.alice)
    ask = {
        "orderId": encode("Order", counter.orders["alice"]),
        "productId": encode("Product", counter.day.product_a),
        "quantity": 1,
        "reason": "QUALITY",
    }
    bad = await gql(ASK, {"input": {**ask, "photoUrls": [PHOTO, "ftp://x/2.jpg"]}}, token=alice)
    assert bad["data"]["afterSaleRequest"] == {
        "afterSaleRequest": None,
        "userErrors": [{"field": ["photoUrls", "1"], "code": "INVALID"}],
    }
    asked = ok(
        await gql(ASK, {"input": {**ask, "photoUrls": [f" {PHOTO} "]}}, token=alice),
        "afterSaleRequest",
    )
    assert asked["afterSaleRequest"] == {"photoUrls": [PHOTO]}
    ok(await gql(ASK, {"input": {**ask, "reason": "OTHER"}}, token=alice), "afterSaleRequest")
    pending = await gql(PENDING, {}, token=shop.operator_token)
    assert pending["data"]["afterSaleRequests"]["nodes"] == [
        {"quantity": 1, "photoUrls": [PHOTO]},
        {"quantity": 1, "photoUrls": []},
    ]
