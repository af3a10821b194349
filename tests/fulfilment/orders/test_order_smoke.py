"""A customer orders and pays through the WeChat Pay sandbox's pay-now
button (``paymentSimulate``): a Native prepay, the sandbox's payer, its
notification booking the order; what was sold is no longer there to buy."""

from kernel.accounts import Role
from kernel.wechatpay.models import DEFAULT_BASE_URL
from tests.conftest import app_client
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.paying import paying, sandbox_keys, wechatpay_settings

PAY_NOW = (
    "mutation($id: ID!) { paymentSimulate(input: {id: $id}) { order { status paidAt } "
    "userErrors { code message } } }"
)


async def test_customer_orders_and_pays(db, tmp_path):
    shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 5}])
    _, token = await db.user(Role.CUSTOMER, "居民")
    async with paying(db, tmp_path) as app:
        gql = app.gql
        body = await gql(ORDER_CREATE, order_input(shop, {0: 3}), token=token)
        created = body["data"]["orderCreate"]
        assert created["userErrors"] == []
        assert created["order"]["status"] == "PENDING_PAYMENT"
        assert created["order"]["totalFen"] == 2970
        paid = await gql(PAY_NOW, {"id": created["order"]["id"]}, token=token)
        assert paid["data"]["paymentSimulate"]["order"]["status"] == "PAID", paid
        assert paid["data"]["paymentSimulate"]["order"]["paidAt"]
        # Paid at the sandbox, and booked from its notification.
        (at_sandbox,) = app.sandbox.state.orders.values()
        assert at_sandbox.trade_state == "SUCCESS" and at_sandbox.total == 2970
        stored = await db.scalar(
            "SELECT payment_transaction_id FROM orders WHERE number = :n",
            n=created["order"]["number"],
        )
        assert stored == at_sandbox.transaction_id
        again = await gql(ORDER_CREATE, order_input(shop, {0: 3}), token=token)
        assert again["data"]["orderCreate"]["userErrors"][0]["code"] == "SOLD_OUT"
        assert again["data"]["orderCreate"]["userErrors"][0]["remaining"] == 2
        # Pressed again: the order is paid already, nothing is paid twice.
        twice = await gql(PAY_NOW, {"id": created["order"]["id"]}, token=token)
        assert [e["code"] for e in twice["data"]["paymentSimulate"]["userErrors"]] == [
            "NOT_PAYABLE"
        ]


async def test_pay_now_is_forbidden_without_a_sandbox(db, gql):
    shop = await open_shop(db)
    _, token = await db.user(Role.CUSTOMER, "居民")
    body = await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token)
    order = body["data"]["orderCreate"]["order"]
    refused = await gql(PAY_NOW, {"id": order["id"]}, token=token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["data"] is None or refused["data"]["paymentSimulate"] is None


async def test_pay_now_is_forbidden_when_wechat_pay_itself_is_configured(db, tmp_path):
    shop = await open_shop(db)
    _, token = await db.user(Role.CUSTOMER, "居民")
    merchant = wechatpay_settings(sandbox_keys(), tmp_path / "keys", DEFAULT_BASE_URL)
    async with app_client(db.url, **merchant) as gql:
        body = await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token)
        order = body["data"]["orderCreate"]["order"]
        refused = await gql(PAY_NOW, {"id": order["id"]}, token=token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
