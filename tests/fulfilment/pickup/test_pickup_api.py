"""Pickup and after-sale through GraphQL: who sees a code, helpers added and
approved, pickupVerify (again, wrong, locked out), a leader's day at the
counter, and after-sale requests decided with chargebacks suppliers see."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role, User, create_user, issue_token
from kernel.db import unit_of_work
from tests.conftest import TOKEN_SECRET, error_codes
from tests.support.commerce import codes, ok
from tests.support.exports import other_supplier, supplier_user
from tests.support.pickup import Counter, code_of, counter_day, move_day

ORDER_CODE = """
query($id: ID!) { node(id: $id) { ... on Order { number pickupCode { code qrPayload deliveryDate }
                                                 pickup { method } } } }
"""


HELPER_ADD = """
mutation($input: PickupHelperAddInput!) {
  pickupHelperAdd(input: $input) { helper { id status name phone } userErrors { field code } }
}
"""


HELPER_APPROVE = """
mutation($id: ID!) {
  pickupHelperApprove(input: {id: $id}) { helper { id status } userErrors { field code } }
}
"""


VERIFY = """
mutation($input: PickupVerifyInput!) {
  pickupVerify(input: $input) {
    order { number customerName }
    pickup { method pickedUpAt lines { quantity netFen product { name } } }
    alreadyPickedUp attemptsLeft
    userErrors { field code message }
  }
}
"""


STATUS = """
query($day: Date!, $picked: Boolean) {
  pickupStatus(deliveryDate: $day, pickedUp: $picked) {
    orders pickedUp entries { nodes { pickedUp order { number } pickup { method } } }
  }
}
"""


AFTER_SALE = """
mutation($input: AfterSaleRequestInput!) {
  afterSaleRequest(input: $input) {
    afterSaleRequest { id status quantity reason refundFen }
    userErrors { field code remaining }
  }
}
"""


APPROVE = """
mutation($id: ID!) {
  afterSaleApprove(input: {id: $id}) {
    afterSaleRequest { status autoApproved }
    chargeback { units unitCostFen amountFen refundReference }
    reversedCommissionFen
    userErrors { code }
  }
}
"""


REJECT = """
mutation($id: ID!, $reason: String!) {
  afterSaleReject(input: {id: $id, reason: $reason}) {
    afterSaleRequest { status rejectionReason } userErrors { field code }
  }
}
"""


REQUESTS = """
query($status: [AfterSaleStatus!]) {
  afterSaleRequests(status: $status) { nodes { quantity status order { number } } }
}
"""


CHARGEBACKS = """
{ supplierChargebacks { nodes { units amountFen orderNumber product { name } } } }
"""


async def token_for(db, user: User) -> str:
    async with unit_of_work(db.sessions) as session:
        me = await session.get(User, user.id)
        assert me is not None
        return await issue_token(session, me, TOKEN_SECRET)


async def phone_customer(db, phone: str) -> tuple[User, str]:
    async with unit_of_work(db.sessions) as session:
        return await create_user(
            session, name="帮手小李", role=Role.CUSTOMER, secret=TOKEN_SECRET, phone=phone
        )


async def today_counter(db) -> Counter:
    counter = await counter_day(db)
    await move_day(db, counter, 0)
    return counter


async def verify(gql, token: str, **given: Any) -> dict[str, Any]:
    body = await gql(VERIFY, {"input": given}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["pickupVerify"]
    return payload


async def test_only_the_customer_sees_the_pickup_code(db, gql):
    counter = await counter_day(db)
    alice = counter.orders["alice"]
    order_id = encode("Order", alice)
    mine = await gql(ORDER_CODE, {"id": order_id}, token=await token_for(db, counter.day.alice))
    shown = mine["data"]["node"]["pickupCode"]
    assert shown["code"] == await code_of(db, alice)
    assert shown["deliveryDate"] == counter.shop.delivery_date.isoformat()
    number = mine["data"]["node"]["number"]
    assert shown["qrPayload"].startswith(f"TG1|{number}|{shown['code']}|")
    for token in (counter.shop.leader_token, counter.shop.operator_token):
        seen = await gql(ORDER_CODE, {"id": order_id}, token=token)
        assert seen["data"]["node"]["number"] == number
        assert seen["data"]["node"]["pickupCode"] is None


async def test_a_helper_added_by_phone_verifies_once_approved(db, gql):
    counter = await today_counter(db)
    shop = counter.shop
    helper, helper_token = await phone_customer(db, "13912345678")
    added = ok(
        await gql(HELPER_ADD, {"input": {"phone": "139-1234-5678"}}, token=shop.leader_token),
        "pickupHelperAdd",
    )["helper"]
    assert (added["status"], added["name"], added["phone"]) == (
        "PENDING",
        "帮手小李",
        "13912345678",
    )
    code = await code_of(db, counter.orders["alice"])
    pending = await verify(gql, helper_token, code=code)
    assert [e["code"] for e in pending["userErrors"]] == ["NOT_A_VERIFIER"]
    # Another leader cannot take the same helper.
    elsewhere = await gql(
        HELPER_ADD,
        {"input": {"userId": encode("User", helper.id)}},
        token=counter.day.leader2_token,
    )
    assert codes(elsewhere, "pickupHelperAdd") == ["HELPER_ELSEWHERE"]
    # Operators see it waiting, approve it; approving twice is refused.
    waiting = await gql(
        "{ pickupHelpers(status: PENDING) { nodes { id name } } }", token=shop.operator_token
    )
    assert [h["id"] for h in waiting["data"]["pickupHelpers"]["nodes"]] == [added["id"]]
    approved = ok(
        await gql(HELPER_APPROVE, {"id": added["id"]}, token=shop.operator_token),
        "pickupHelperApprove",
    )
    assert approved["helper"]["status"] == "APPROVED"
    again = await gql(HELPER_APPROVE, {"id": added["id"]}, token=shop.operator_token)
    assert codes(again, "pickupHelperApprove") == ["HELPER_NOT_PENDING"]
    assert error_codes(await gql(HELPER_APPROVE, {"id": added["id"]}, token=shop.leader_token)) == [
        "FORBIDDEN"
    ]

    done = await verify(gql, helper_token, code=code)
    assert done["userErrors"] == [] and done["alreadyPickedUp"] is False
    assert done["pickup"]["method"] == "CODE"
    assert sorted((ln["quantity"], ln["netFen"]) for ln in done["pickup"]["lines"]) == [
        (1, 350),
        (3, 2970),
    ]
    twice = await verify(gql, shop.leader_token, code=code)
    assert twice["alreadyPickedUp"] is True
    assert twice["pickup"]["pickedUpAt"] == done["pickup"]["pickedUpAt"]
    assert twice["order"]["number"] == done["order"]["number"]


async def test_wrong_codes_say_not_found_count_down_and_lock_the_verifier_out(db, gql):
    counter = await today_counter(db)
    token = counter.shop.leader_token
    taken = {await code_of(db, o) for o in counter.orders.values()}
    guesses = [f"{n:06d}" for n in range(1000) if f"{n:06d}" not in taken][:10]
    carols = await code_of(db, counter.orders["carol"])  # point 2's
    first = await verify(gql, token, code=carols)
    assert [(e["code"], e["field"]) for e in first["userErrors"]] == [("NOT_FOUND", ["code"])]
    assert first["attemptsLeft"] == 9
    for guess in guesses[:9]:
        last = await verify(gql, token, code=guess)
        assert last["userErrors"][0]["code"] == "NOT_FOUND"
    assert last["attemptsLeft"] == 0
    right = await verify(gql, token, code=await code_of(db, counter.orders["alice"]))
    assert [e["code"] for e in right["userErrors"]] == ["TOO_MANY_ATTEMPTS"]
    assert right["pickup"] is None
    assert await db.scalar("SELECT count(*) FROM order_pickups") == 0


async def test_a_leaders_day_at_the_counter(db, gql):
    counter = await today_counter(db)
    shop = counter.shop
    await verify(gql, shop.leader_token, code=await code_of(db, counter.orders["bob"]))
    day = shop.delivery_date.isoformat()
    status = (await gql(STATUS, {"day": day}, token=shop.leader_token))["data"]["pickupStatus"]
    assert (status["orders"], status["pickedUp"]) == (2, 1)
    entries = status["entries"]["nodes"]
    assert [(e["pickedUp"], e["pickup"]) for e in entries] == [
        (False, None),
        (True, {"method": "CODE"}),
    ]
    waiting = await gql(STATUS, {"day": day, "picked": False}, token=shop.leader_token)
    assert len(waiting["data"]["pickupStatus"]["entries"]["nodes"]) == 1
    # Someone who verifies nowhere sees nothing; suppliers may not ask.
    alice = await token_for(db, counter.day.alice)
    assert (await gql(STATUS, {"day": day}, token=alice))["data"]["pickupStatus"] is None
    supplier = await supplier_user(db, shop.extra["supplier_id"])
    assert error_codes(await gql(STATUS, {"day": day}, token=supplier)) == ["FORBIDDEN"]


async def test_after_sale_over_the_api_with_a_chargeback_the_supplier_sees(db, gql):
    counter = await today_counter(db)
    shop = counter.shop
    await verify(gql, shop.leader_token, code=await code_of(db, counter.orders["alice"]))
    alice = await token_for(db, counter.day.alice)
    ask = {
        "orderId": encode("Order", counter.orders["alice"]),
        "productId": encode("Product", counter.day.product_a),
        "quantity": 1,
        "reason": "QUALITY",
        "note": "发霉",
    }
    asked = ok(await gql(AFTER_SALE, {"input": ask}, token=alice), "afterSaleRequest")
    request = asked["afterSaleRequest"]
    assert (request["status"], request["refundFen"]) == ("PENDING", 990)
    too_many = await gql(AFTER_SALE, {"input": {**ask, "quantity": 3}}, token=alice)
    assert too_many["data"]["afterSaleRequest"]["userErrors"] == [
        {"field": ["quantity"], "code": "QUANTITY_EXCEEDED", "remaining": 2}
    ]
    second = ok(
        await gql(AFTER_SALE, {"input": {**ask, "reason": "OTHER"}}, token=alice),
        "afterSaleRequest",
    )["afterSaleRequest"]
    bob = await token_for(db, counter.day.bob)
    assert codes(await gql(AFTER_SALE, {"input": ask}, token=bob), "afterSaleRequest") == [
        "NOT_FOUND"
    ]

    pending = await gql(REQUESTS, {"status": ["PENDING"]}, token=shop.operator_token)
    assert len(pending["data"]["afterSaleRequests"]["nodes"]) == 2
    assert error_codes(await gql(APPROVE, {"id": request["id"]}, token=alice)) == ["FORBIDDEN"]
    approved = ok(
        await gql(APPROVE, {"id": request["id"]}, token=shop.operator_token), "afterSaleApprove"
    )
    assert approved["afterSaleRequest"] == {"status": "APPROVED", "autoApproved": False}
    assert approved["reversedCommissionFen"] == 99
    chargeback = approved["chargeback"]
    assert (chargeback["units"], chargeback["unitCostFen"], chargeback["amountFen"]) == (
        1,
        600,
        600,
    )
    rejected = ok(
        await gql(
            REJECT, {"id": second["id"], "reason": "不在售后范围"}, token=shop.operator_token
        ),
        "afterSaleReject",
    )
    assert rejected["afterSaleRequest"] == {
        "status": "REJECTED",
        "rejectionReason": "不在售后范围",
    }
    own = (await gql(REQUESTS, {}, token=alice))["data"]["afterSaleRequests"]["nodes"]
    assert sorted(r["status"] for r in own) == ["APPROVED", "REJECTED"]
    assert (await gql(REQUESTS, {}, token=bob))["data"]["afterSaleRequests"]["nodes"] == []

    supplier = await supplier_user(db, shop.extra["supplier_id"])
    seen = (await gql(CHARGEBACKS, token=supplier))["data"]["supplierChargebacks"]["nodes"]
    assert [(c["units"], c["amountFen"]) for c in seen] == [(1, 600)]
    other = await other_supplier(db)
    assert (await gql(CHARGEBACKS, token=other))["data"]["supplierChargebacks"]["nodes"] == []
    everyone = await gql(CHARGEBACKS, token=shop.operator_token)
    assert len(everyone["data"]["supplierChargebacks"]["nodes"]) == 1
