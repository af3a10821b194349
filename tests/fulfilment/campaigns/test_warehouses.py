"""Registering warehouses and listing them."""

from __future__ import annotations

from typing import Any

import pytest

from kernel.accounts import Role

CREATE = """
mutation($input: WarehouseCreateInput!) {
  warehouseCreate(input: $input) {
    warehouse { id name address location { lat lon } createdAt }
    userErrors { field code message }
  }
}
"""


LIST = "{ warehouses { nodes { id name address location { lat lon } } } }"


async def create(gql: Any, token: str, **changes: Any) -> dict[str, Any]:
    warehouse: dict[str, Any] = {
        "name": "岳麓中心仓",
        "address": "长沙市岳麓区学士路 18 号",
        "location": {"lat": 28.1501, "lon": 112.8912},
    }
    warehouse.update(changes)
    body = await gql(CREATE, {"input": warehouse}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["warehouseCreate"]
    return payload


async def test_created_warehouse_is_stored_and_listed(db, gql):
    _, op = await db.user(Role.OPERATOR)

    payload = await create(gql, op, name="  岳麓中心仓  ")

    assert payload["userErrors"] == []
    warehouse = payload["warehouse"]
    assert warehouse["name"] == "岳麓中心仓"
    assert warehouse["address"] == "长沙市岳麓区学士路 18 号"
    assert warehouse["location"] == {"lat": 28.1501, "lon": 112.8912}
    assert warehouse["createdAt"]

    listed = await gql(LIST, token=op)
    assert listed["data"]["warehouses"]["nodes"] == [
        {
            "id": warehouse["id"],
            "name": "岳麓中心仓",
            "address": "长沙市岳麓区学士路 18 号",
            "location": {"lat": 28.1501, "lon": 112.8912},
        }
    ]
    assert await db.scalar("SELECT name FROM warehouses") == "岳麓中心仓"
    assert await db.scalar("SELECT lat FROM warehouses") == pytest.approx(28.1501)
    assert await db.scalar("SELECT lon FROM warehouses") == pytest.approx(112.8912)


async def test_warehouses_are_listed_in_creation_order(db, gql):
    _, op = await db.user(Role.OPERATOR)
    for name in ("一号仓", "二号仓", "三号仓"):
        assert (await create(gql, op, name=name))["userErrors"] == []

    listed = await gql(LIST, token=op)

    assert [n["name"] for n in listed["data"]["warehouses"]["nodes"]] == [
        "一号仓",
        "二号仓",
        "三号仓",
    ]


async def test_duplicate_name_is_refused(db, gql):
    _, op = await db.user(Role.OPERATOR)
    assert (await create(gql, op))["userErrors"] == []

    for name in ("岳麓中心仓", " 岳麓中心仓 "):
        payload = await create(gql, op, name=name, address="另一个地址")
        assert payload["warehouse"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("DUPLICATE_NAME", ["name"])
        ]

    assert await db.scalar("SELECT count(*) FROM warehouses") == 1
    assert await db.scalar("SELECT address FROM warehouses") == "长沙市岳麓区学士路 18 号"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": ""}, ["name"], "INVALID"),
        ({"name": "   "}, ["name"], "INVALID"),
        ({"name": "仓" * 101}, ["name"], "TOO_LONG"),
        ({"address": ""}, ["address"], "INVALID"),
    ],
)
async def test_invalid_input_is_refused(db, gql, changes, field, code):
    _, op = await db.user(Role.OPERATOR)

    payload = await create(gql, op, **changes)

    assert payload["warehouse"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert await db.scalar("SELECT count(*) FROM warehouses") == 0


async def test_only_operators_create_warehouses(db, gql):
    _, customer = await db.user(Role.CUSTOMER)

    body = await gql(
        CREATE,
        {"input": {"name": "私仓", "address": "某地", "location": {"lat": 28.0, "lon": 112.0}}},
        token=customer,
    )

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await db.scalar("SELECT count(*) FROM warehouses") == 0
    listed = await gql(LIST, token=customer)
    assert [e["extensions"]["code"] for e in listed["errors"]] == ["FORBIDDEN"]
