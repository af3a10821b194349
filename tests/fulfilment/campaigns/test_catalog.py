"""Suppliers, supplier accounts and products, through GraphQL."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.support.commerce import codes, ok, snapshot

SUPPLIER_CREATE = """
mutation($input: SupplierCreateInput!) {
  supplierCreate(input: $input) {
    supplier { id name contactName contactPhone }
    userErrors { field code message }
  }
}
"""


SUPPLIER_USER_CREATE = """
mutation($input: SupplierUserCreateInput!) {
  supplierUserCreate(input: $input) {
    user { id name role }
    token
    userErrors { field code message }
  }
}
"""


PRODUCT_FIELDS = """
  id name category unit weightG volumeMl casePack costFen storageZone
  supplier { id name }
"""


PRODUCT_CREATE = f"""
mutation($input: ProductCreateInput!) {{
  productCreate(input: $input) {{
    product {{ {PRODUCT_FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""


PRODUCTS = "{ products { nodes { id name costFen } } }"


PRODUCT_NODE = "query($id: ID!) { node(id: $id) { ... on Product { id name costFen } } }"


async def create_supplier(gql: Any, token: str, name: str = "湘江果业") -> str:
    body = await gql(
        SUPPLIER_CREATE,
        {"input": {"name": name, "contactName": "王建国", "contactPhone": "139-0013-9000"}},
        token=token,
    )
    supplier_id: str = ok(body, "supplierCreate")["supplier"]["id"]
    return supplier_id


def product_input(supplier_id: str, **changes: Any) -> dict[str, Any]:
    product: dict[str, Any] = {
        "supplierId": supplier_id,
        "name": "赣南脐橙",
        "category": "水果",
        "unit": "5斤/箱",
        "weightG": 2500,
        "volumeMl": 6000,
        "casePack": 4,
        "costFen": 1850,
        "storageZone": "CHILLED",
    }
    product.update(changes)
    return {"input": product}


async def create_product(gql: Any, token: str, supplier_id: str, **changes: Any) -> dict[str, Any]:
    body = await gql(PRODUCT_CREATE, product_input(supplier_id, **changes), token=token)
    product: dict[str, Any] = ok(body, "productCreate")["product"]
    return product


async def operator(db: Any) -> str:
    _, token = await db.user(Role.OPERATOR, "运营")
    return str(token)


async def test_supplier_is_created_with_its_contact(db, gql):
    token = await operator(db)
    body = await gql(
        SUPPLIER_CREATE,
        {"input": {"name": " 湘江果业 ", "contactName": "王建国", "contactPhone": "139 0013 9000"}},
        token=token,
    )
    supplier = ok(body, "supplierCreate")["supplier"]
    assert supplier["name"] == "湘江果业"
    assert supplier["contactName"] == "王建国"
    assert supplier["contactPhone"] == "13900139000"
    listed = await gql("{ suppliers { nodes { id name } } }", token=token)
    assert listed["data"]["suppliers"]["nodes"] == [{"id": supplier["id"], "name": "湘江果业"}]


async def test_duplicate_supplier_name_is_refused(db, gql):
    token = await operator(db)
    await create_supplier(gql, token, "湘江果业")
    before = await snapshot(db)
    body = await gql(
        SUPPLIER_CREATE,
        {"input": {"name": "湘江果业", "contactName": "李四", "contactPhone": "13700137000"}},
        token=token,
    )
    assert codes(body, "supplierCreate") == ["DUPLICATE_NAME"]
    assert body["data"]["supplierCreate"]["supplier"] is None
    assert await snapshot(db) == before


async def test_supplier_with_bad_phone_is_refused(db, gql):
    token = await operator(db)
    before = await snapshot(db)
    for phone in ["12345", "1380013800", "电话", "23800138000", ""]:
        body = await gql(
            SUPPLIER_CREATE,
            {"input": {"name": "湘江果业", "contactName": "王建国", "contactPhone": phone}},
            token=token,
        )
        errors = body["data"]["supplierCreate"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["contactPhone"])], phone
        assert await snapshot(db) == before


async def test_supplier_account_token_works_and_sees_only_own_products(db, gql):
    token = await operator(db)
    mine = await create_supplier(gql, token, "湘江果业")
    theirs = await create_supplier(gql, token, "洞庭水产")
    orange = await create_product(gql, token, mine, name="赣南脐橙")
    pear = await create_product(gql, token, mine, name="砀山梨")
    await create_product(gql, token, theirs, name="小龙虾", storageZone="FROZEN")

    body = await gql(
        SUPPLIER_USER_CREATE, {"input": {"supplierId": mine, "name": "果业账号"}}, token=token
    )
    created = ok(body, "supplierUserCreate")
    assert created["user"]["name"] == "果业账号"
    assert created["user"]["role"] == "SUPPLIER"
    supplier_token = created["token"]
    assert supplier_token

    viewer = await gql("{ viewer { name role } }", token=supplier_token)
    assert viewer["data"]["viewer"] == {"name": "果业账号", "role": "SUPPLIER"}

    listed = await gql(PRODUCTS, token=supplier_token)
    nodes = listed["data"]["products"]["nodes"]
    assert {n["id"] for n in nodes} == {orange["id"], pear["id"]}
    # Another supplier's catalogue reads like one that does not exist; one's
    # own reads as without the filter.
    by_supplier = "query($s: ID!) { products(supplierId: $s) { nodes { id } } }"
    filtered = await gql(by_supplier, {"s": theirs}, token=supplier_token)
    assert filtered["data"]["products"]["nodes"] == []
    own = await gql(by_supplier, {"s": mine}, token=supplier_token)
    assert {n["id"] for n in own["data"]["products"]["nodes"]} == {orange["id"], pear["id"]}
    # Operators see everything.
    everything = await gql(PRODUCTS, token=token)
    assert len(everything["data"]["products"]["nodes"]) == 3


async def test_supplier_account_for_unknown_supplier_is_refused(db, gql):
    token = await operator(db)
    before = await snapshot(db)
    body = await gql(
        SUPPLIER_USER_CREATE,
        {"input": {"supplierId": encode("Supplier", 999), "name": "无名"}},
        token=token,
    )
    assert codes(body, "supplierUserCreate") == ["NOT_FOUND"]
    assert body["data"]["supplierUserCreate"]["token"] is None
    assert await snapshot(db) == before


async def test_product_stores_every_field(db, gql):
    token = await operator(db)
    supplier = await create_supplier(gql, token)
    product = await create_product(
        gql,
        token,
        supplier,
        name="东北五常大米",
        category="粮油",
        unit="10斤/袋",
        weightG=5000,
        volumeMl=7000,
        casePack=6,
        costFen=4280,
        storageZone="AMBIENT",
    )
    expected = {
        "name": "东北五常大米",
        "category": "粮油",
        "unit": "10斤/袋",
        "weightG": 5000,
        "volumeMl": 7000,
        "casePack": 6,
        "costFen": 4280,
        "storageZone": "AMBIENT",
        "supplier": {"id": supplier, "name": "湘江果业"},
    }
    assert {k: v for k, v in product.items() if k != "id"} == expected
    # Read back from the database, not from the mutation's echo.
    again = await gql(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Product {{ {PRODUCT_FIELDS} }} }} }}",
        {"id": product["id"]},
        token=token,
    )
    assert {k: v for k, v in again["data"]["node"].items() if k != "id"} == expected
    stored = await db.scalar(
        "SELECT count(*) FROM products WHERE name = :n AND cost_fen = 4280 AND case_pack = 6",
        n="东北五常大米",
    )
    assert stored == 1


BAD_PRODUCTS: list[tuple[dict[str, Any], str, str]] = [
    ({"casePack": 0}, "casePack", "INVALID"),
    ({"casePack": -2}, "casePack", "INVALID"),
    # Refused at the API's edge, which bounds every price and cost.
    ({"costFen": -1}, "costFen", "OUT_OF_RANGE"),
    ({"weightG": -5}, "weightG", "INVALID"),
    ({"volumeMl": -1}, "volumeMl", "INVALID"),
    ({"name": "   "}, "name", "INVALID"),
]


async def test_invalid_product_is_refused(db, gql):
    token = await operator(db)
    supplier = await create_supplier(gql, token)
    before = await snapshot(db)
    for changes, field, code in BAD_PRODUCTS:
        body = await gql(PRODUCT_CREATE, product_input(supplier, **changes), token=token)
        errors = body["data"]["productCreate"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, [field])], changes
        assert body["data"]["productCreate"]["product"] is None
        assert await snapshot(db) == before, changes


async def test_only_operators_create_products(db, gql):
    token = await operator(db)
    supplier = await create_supplier(gql, token)
    _, customer = await db.user(Role.CUSTOMER, "居民")
    before = await snapshot(db)
    body = await gql(PRODUCT_CREATE, product_input(supplier), token=customer)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await snapshot(db) == before


async def test_cost_is_seen_by_operators_and_the_own_supplier_only(db, gql):
    token = await operator(db)
    mine = await create_supplier(gql, token, "湘江果业")
    theirs = await create_supplier(gql, token, "洞庭水产")
    product = await create_product(gql, token, mine, costFen=1850)

    async def account(supplier_id: str, name: str) -> str:
        body = await gql(
            SUPPLIER_USER_CREATE, {"input": {"supplierId": supplier_id, "name": name}}, token=token
        )
        account_token: str = ok(body, "supplierUserCreate")["token"]
        return account_token

    own = await account(mine, "果业账号")
    other = await account(theirs, "水产账号")
    _, customer = await db.user(Role.CUSTOMER, "居民")

    async def cost_seen_by(viewer_token: str) -> Any:
        body = await gql(PRODUCT_NODE, {"id": product["id"]}, token=viewer_token)
        assert "errors" not in body, body
        node = body["data"]["node"]
        assert node["name"] == "赣南脐橙"
        return node["costFen"]

    assert await cost_seen_by(token) == 1850
    assert await cost_seen_by(own) == 1850
    assert await cost_seen_by(other) is None
    assert await cost_seen_by(customer) is None
