"""Staff accounts kept by operators (issue 17): created with a phone they
sign in with, disabled (their tokens stop at once) and enabled, moved
between staff roles, found by name or phone; nobody else may do any of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.identity.models import SignInCode
from tests.api.test_sign_in import _sign_in
from tests.conftest import GraphQLClient, TestDB, error_codes
from tests.fulfilment.purchasing.test_shortages import day_with_orders, shop_product
from tests.support.commerce import gid

CREATE = """mutation($name: String!, $role: UserRole!, $phone: String!, $supplier: ID) {
  userCreate(input: {name: $name, role: $role, phone: $phone, supplierId: $supplier}) {
    user { id name role phone disabledAt } userErrors { code field } } }"""
DISABLE = """mutation($id: ID!) { userDisable(input: {id: $id}) {
  user { id disabledAt } userErrors { code field } } }"""
ENABLE = """mutation($id: ID!) { userEnable(input: {id: $id}) {
  user { id disabledAt } userErrors { code field } } }"""
ROLE_SET = """mutation($id: ID!, $role: UserRole!) { userRoleSet(input: {id: $id, role: $role}) {
  user { id role } userErrors { code field } } }"""
USERS = """query($q: String, $role: UserRole, $first: Int, $after: String) {
  users(query: $q, role: $role, first: $first, after: $after) {
    nodes { name phone role } pageInfo { hasNextPage endCursor } } }"""
VIEWER = "{ viewer { name role phone } }"
SUPPLIER = """mutation { supplierCreate(input: {name: "果园", contactName: "周",
  contactPhone: "13800001234"}) { supplier { id } userErrors { code } } }"""


async def _create(
    gql: GraphQLClient, token: str, name: str, role: str, phone: str, **more: Any
) -> dict[str, Any]:
    variables = {"name": name, "role": role, "phone": phone, **more}
    payload: dict[str, Any] = (await gql(CREATE, variables, token=token))["data"]["userCreate"]
    return payload


@pytest.mark.parametrize("role", ["OPERATOR", "DISPATCHER", "WAREHOUSE", "DRIVER", "SUPPLIER"])
async def test_an_operator_creates_staff_who_sign_in_with_their_phone(
    db: TestDB, gql: GraphQLClient, role: str
) -> None:
    _, token = await db.user(Role.OPERATOR)
    more = {}
    if role == "SUPPLIER":
        body = await gql(SUPPLIER, token=token)
        more["supplier"] = body["data"]["supplierCreate"]["supplier"]["id"]
    made = await _create(gql, token, "李仓管", role, "+86 139 0000 1111", **more)
    assert made["userErrors"] == []
    assert made["user"]["role"] == role and made["user"]["phone"] == "13900001111"
    signed = await _sign_in(gql, "13900001111")
    assert signed["user"] == {"id": made["user"]["id"], "name": "李仓管", "role": role}
    viewer = (await gql(VIEWER, token=signed["accessToken"]))["data"]["viewer"]
    assert viewer == {"name": "李仓管", "role": role, "phone": "13900001111"}
    if role == "SUPPLIER":
        linked = "SELECT count(*) FROM supplier_members WHERE user_id = (SELECT max(id) FROM users)"
        assert await db.scalar(linked) == 1


async def test_bad_creations_are_refused_and_change_nothing(db: TestDB, gql: GraphQLClient) -> None:
    _, token = await db.user(Role.OPERATOR)
    assert (await _create(gql, token, "甲", "DRIVER", "13900002222"))["userErrors"] == []
    refusals: list[tuple[tuple[str, str, str], str]] = [
        (("乙", "DISPATCHER", "+8613900002222"), "PHONE_TAKEN"),
        (("乙", "CUSTOMER", "13900003333"), "NOT_STAFF_ROLE"),
        (("乙", "LEADER", "13900003333"), "NOT_STAFF_ROLE"),
        (("乙", "SUPPLIER", "13900003333"), "SUPPLIER_REQUIRED"),
        (("乙", "DRIVER", "12345"), "INVALID_PHONE"),
        ((" ", "DRIVER", "13900003333"), "INVALID"),
    ]
    for args, code in refusals:
        made = await _create(gql, token, *args)
        assert made["user"] is None and [e["code"] for e in made["userErrors"]] == [code]
    assert await db.scalar("SELECT count(*) FROM users") == 2


async def test_disabling_stops_tokens_at_once_and_enabling_lets_them_sign_in(
    db: TestDB, gql: GraphQLClient
) -> None:
    _, token = await db.user(Role.OPERATOR)
    made = await _create(gql, token, "王司机", "DRIVER", "13900004444")
    signed = await _sign_in(gql, "13900004444")
    disabled = (await gql(DISABLE, {"id": made["user"]["id"]}, token=token))["data"]
    assert disabled["userDisable"]["userErrors"] == []
    assert disabled["userDisable"]["user"]["disabledAt"] is not None
    refused = await gql(VIEWER, token=signed["accessToken"])
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert refused["errors"][0]["extensions"]["reason"] == "DISABLED"
    open_sessions = "SELECT count(*) FROM auth_sessions WHERE revoked_at IS NULL"
    assert await db.scalar(open_sessions) == 0
    enabled = (await gql(ENABLE, {"id": made["user"]["id"]}, token=token))["data"]
    assert enabled["userEnable"]["user"]["disabledAt"] is None
    # The old token stays revoked; a new sign-in works.
    refused = await gql(VIEWER, token=signed["accessToken"])
    assert refused["errors"][0]["extensions"]["reason"] == "REVOKED"
    # The code-per-minute limit counts per phone: let the earlier code age.
    async with unit_of_work(db.sessions) as session:
        await session.execute(update(SignInCode).values(created_at=utcnow() - timedelta(minutes=2)))
    again = await _sign_in(gql, "13900004444")
    assert (await gql(VIEWER, token=again["accessToken"]))["data"]["viewer"]["role"] == "DRIVER"


async def test_role_change_and_self_changes(db: TestDB, gql: GraphQLClient) -> None:
    operator, token = await db.user(Role.OPERATOR)
    made = await _create(gql, token, "张", "DISPATCHER", "13900005555")
    moved = await gql(ROLE_SET, {"id": made["user"]["id"], "role": "WAREHOUSE"}, token=token)
    assert moved["data"]["userRoleSet"]["user"]["role"] == "WAREHOUSE"
    me = gid("User", operator.id)
    for document, variables in [
        (DISABLE, {"id": me}),
        (ROLE_SET, {"id": me, "role": "DRIVER"}),
    ]:
        body = (await gql(document, variables, token=token))["data"]
        (payload,) = body.values()
        assert [e["code"] for e in payload["userErrors"]] == ["SELF_CHANGE"]
    customer, _ = await db.user(Role.CUSTOMER)
    body = await gql(ROLE_SET, {"id": gid("User", customer.id), "role": "DRIVER"}, token=token)
    assert [e["code"] for e in body["data"]["userRoleSet"]["userErrors"]] == ["NOT_STAFF_ROLE"]
    assert await db.scalar("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL") == 0
    assert await db.scalar(f"SELECT role FROM users WHERE id = {operator.id}") == "operator"


async def test_search_by_name_and_phone_prefix_with_paging(db: TestDB, gql: GraphQLClient) -> None:
    _, token = await db.user(Role.OPERATOR, "运营")
    for i, (name, role) in enumerate(
        [("李一", "DRIVER"), ("李二", "WAREHOUSE"), ("王三", "DRIVER")]
    ):
        await _create(gql, token, name, role, f"1370000000{i}")

    async def names(**variables: Any) -> tuple[list[str], Any]:
        page = (await gql(USERS, variables, token=token))["data"]["users"]
        return [n["name"] for n in page["nodes"]], page["pageInfo"]

    assert (await names(q="李"))[0] == ["李一", "李二"]
    assert (await names(q="+86 137"))[0] == ["李一", "李二", "王三"]
    assert (await names(q="13700000002"))[0] == ["王三"]
    assert (await names(role="DRIVER"))[0] == ["李一", "王三"]
    assert (await names(q="%"))[0] == []
    first, info = await names(q="137", first=2)
    assert first == ["李一", "李二"] and info["hasNextPage"]
    rest, info = await names(q="137", first=2, after=info["endCursor"])
    assert rest == ["王三"] and not info["hasNextPage"]


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.WAREHOUSE, Role.CUSTOMER, None])
async def test_only_operators_keep_staff_accounts(
    db: TestDB, gql: GraphQLClient, role: Role | None
) -> None:
    _, operator_token = await db.user(Role.OPERATOR)
    made = await _create(gql, operator_token, "赵", "DRIVER", "13900006666")
    target = made["user"]["id"]
    token = None if role is None else (await db.user(role))[1]
    expected = ["UNAUTHENTICATED"] if role is None else ["FORBIDDEN"]
    attempts = [
        (CREATE, {"name": "钱", "role": "OPERATOR", "phone": "13900007777"}),
        (DISABLE, {"id": target}),
        (ENABLE, {"id": target}),
        (ROLE_SET, {"id": target, "role": "OPERATOR"}),
    ]
    if role is not Role.DISPATCHER:  # dispatchers list drivers (below)
        attempts.append((USERS, {}))
    for document, variables in attempts:
        assert error_codes(await gql(document, variables, token=token)) == expected
    assert await db.scalar("SELECT count(*) FROM users WHERE phone = '13900007777'") == 0
    assert await db.scalar("SELECT role FROM users WHERE phone = '13900006666'") == "driver"
    assert await db.scalar("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL") == 0


async def test_dispatchers_list_drivers_only(db: TestDB, gql: GraphQLClient) -> None:
    _, token = await db.user(Role.OPERATOR)
    await _create(gql, token, "钱司机", "DRIVER", "13900001212")
    await _create(gql, token, "孙仓管", "WAREHOUSE", "13900001313")
    _, dispatcher = await db.user(Role.DISPATCHER)
    for role in (None, "WAREHOUSE", "DRIVER"):
        body = await gql(USERS, {"role": role}, token=dispatcher)
        nodes = body["data"]["users"]["nodes"]
        # A dispatcher gives drivers routes; they see no one's phone.
        assert nodes == [{"name": "钱司机", "phone": None, "role": "DRIVER"}], (role, body)


async def test_phone_is_shown_to_operators_and_the_user_only(
    db: TestDB, gql: GraphQLClient
) -> None:
    _, token = await db.user(Role.OPERATOR)
    made = await _create(gql, token, "孙", "WAREHOUSE", "13900008888")
    _, dispatcher = await db.user(Role.DISPATCHER)
    query = "query($id: ID!) { node(id: $id) { ... on User { phone } } }"
    seen = await gql(query, {"id": made["user"]["id"]}, token=dispatcher)
    assert seen["data"]["node"] is None  # not visible at all, as before
    seen = await gql(query, {"id": made["user"]["id"]}, token=token)
    assert seen["data"]["node"] == {"phone": "13900008888"}


RECEIPT = """mutation($po: ID!, $product: ID!) {
  receiptRecord(input: {purchaseOrderId: $po, productId: $product,
                        receivedUnits: 12, acceptedUnits: 12}) {
    purchaseOrder { id } userErrors { code } } }"""


async def test_warehouse_staff_record_a_receipt(db: TestDB, gql: GraphQLClient) -> None:
    shop, po_id, _ = await day_with_orders(db, [3])
    _, warehouse = await db.user(Role.WAREHOUSE)
    _, dispatcher = await db.user(Role.DISPATCHER)
    variables = {"po": gid("PurchaseOrder", po_id), "product": gid("Product", shop_product(shop))}
    assert error_codes(await gql(RECEIPT, variables, token=dispatcher)) == ["FORBIDDEN"]
    body = await gql(RECEIPT, variables, token=warehouse)
    assert body["data"]["receiptRecord"]["userErrors"] == []
    assert await db.scalar("SELECT count(*) FROM receipts") == 1
