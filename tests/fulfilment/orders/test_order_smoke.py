from kernel.accounts import Role
from tests.support.factories import ORDER_CREATE, open_shop, order_input


async def test_customer_orders_and_pays(db, gql):
    shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 5}])
    _, token = await db.user(Role.CUSTOMER, "居民")
    body = await gql(ORDER_CREATE, order_input(shop, {0: 3}), token=token)
    created = body["data"]["orderCreate"]
    assert created["userErrors"] == []
    assert created["order"]["status"] == "PENDING_PAYMENT"
    assert created["order"]["totalFen"] == 2970
    paid = await gql(
        "mutation($id: ID!) { paymentSimulate(input: {id: $id}) { order { status paidAt } "
        "userErrors { code message } } }",
        {"id": created["order"]["id"]},
        token=token,
    )
    assert paid["data"]["paymentSimulate"]["order"]["status"] == "PAID", paid
    again = await gql(ORDER_CREATE, order_input(shop, {0: 3}), token=token)
    assert again["data"]["orderCreate"]["userErrors"][0]["code"] == "SOLD_OUT"
    assert again["data"]["orderCreate"]["userErrors"][0]["remaining"] == 2
