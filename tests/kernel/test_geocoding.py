"""Addresses without coordinates are geocoded (geopy, over real HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from kernel.accounts import Role
from tests.conftest import app_client
from tests.support.geo import FOUND_LAT, FOUND_LON, closed_port, nominatim_stand_in

WAREHOUSE = """
mutation($input: WarehouseCreateInput!) {
  warehouseCreate(input: $input) {
    warehouse { name address location { lat lon } }
    userErrors { field code message }
  }
}
"""


APPLY = """
mutation($input: LeaderApplyInput!) {
  leaderApply(input: $input) {
    leader { status pickupPoint { name location { lat lon } } }
    userErrors { field code message }
  }
}
"""


async def create_warehouse(gql: Any, token: str, address: str) -> dict[str, Any]:
    body = await gql(WAREHOUSE, {"input": {"name": "岳麓仓", "address": address}}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["warehouseCreate"]
    return payload


async def apply(gql: Any, token: str, address: str) -> dict[str, Any]:
    point = {
        "name": "岳麓自提点",
        "address": address,
        "receivingWindow": {"start": "07:00", "end": "11:00"},
        "contactPhone": "13800138000",
    }
    body = await gql(APPLY, {"input": {"pickupPoint": point}}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["leaderApply"]
    return payload


async def assert_nothing_saved(db: Any) -> None:
    assert await db.scalar("SELECT count(*) FROM warehouses") == 0
    assert await db.scalar("SELECT count(*) FROM leaders") == 0
    assert await db.scalar("SELECT count(*) FROM pickup_points") == 0


def only_error(payload: dict[str, Any]) -> dict[str, Any]:
    assert len(payload["userErrors"]) == 1, payload
    error: dict[str, Any] = payload["userErrors"][0]
    return error


async def test_without_a_geocoder_coordinates_are_required(db, gql):
    _, op = await db.user(Role.OPERATOR)
    _, customer = await db.user(Role.CUSTOMER)

    warehouse = await create_warehouse(gql, op, "长沙市岳麓区")
    application = await apply(gql, customer, "长沙市岳麓区")

    assert warehouse["warehouse"] is None
    assert application["leader"] is None
    for payload in (warehouse, application):
        error = only_error(payload)
        assert error["code"] == "COORDINATES_REQUIRED"
        assert error["field"][-1] == "location"
    assert only_error(warehouse)["field"] == ["location"]
    assert only_error(application)["field"] == ["pickupPoint", "location"]
    await assert_nothing_saved(db)


async def test_unreachable_geocoder_asks_for_coordinates(db):
    _, op = await db.user(Role.OPERATOR)
    _, customer = await db.user(Role.CUSTOMER)
    settings = {
        "geocoder": "nominatim",
        "geocoder_domain": f"127.0.0.1:{closed_port()}",
        "geocoder_scheme": "http",
        "geocoder_timeout_s": 3.0,
    }

    async with app_client(db.url, **settings) as gql:
        warehouse = await create_warehouse(gql, op, "长沙市岳麓区")
        application = await apply(gql, customer, "长沙市岳麓区")

    for payload, field in ((warehouse, ["location"]), (application, ["pickupPoint", "location"])):
        error = only_error(payload)
        assert error["code"] == "COORDINATES_REQUIRED"
        assert error["field"] == field
        assert "could not be reached" in error["message"]
    await assert_nothing_saved(db)


async def test_warehouse_address_is_geocoded(db):
    _, op = await db.user(Role.OPERATOR)

    with nominatim_stand_in() as server:
        async with app_client(db.url, **server.settings) as gql:
            payload = await create_warehouse(gql, op, "长沙市岳麓区麓山南路")
            listed = await gql("{ warehouses { nodes { name location { lat lon } } } }", token=op)

    assert payload["userErrors"] == []
    expected = {"lat": pytest.approx(FOUND_LAT), "lon": pytest.approx(FOUND_LON)}
    assert payload["warehouse"]["location"] == expected
    assert payload["warehouse"]["address"] == "长沙市岳麓区麓山南路"
    assert listed["data"]["warehouses"]["nodes"] == [{"name": "岳麓仓", "location": expected}]
    assert await db.scalar("SELECT lat FROM warehouses") == pytest.approx(FOUND_LAT)
    assert await db.scalar("SELECT lon FROM warehouses") == pytest.approx(FOUND_LON)
    # The address really went to the geocoder.
    assert server.queries == ["长沙市岳麓区麓山南路"]


async def test_pickup_point_address_is_geocoded(db):
    _, customer = await db.user(Role.CUSTOMER)

    with nominatim_stand_in() as server:
        async with app_client(db.url, **server.settings) as gql:
            payload = await apply(gql, customer, "长沙市岳麓区桃子湖路")

    assert payload["userErrors"] == []
    assert payload["leader"]["status"] == "PENDING"
    assert payload["leader"]["pickupPoint"]["location"] == {
        "lat": pytest.approx(FOUND_LAT),
        "lon": pytest.approx(FOUND_LON),
    }
    assert await db.scalar("SELECT lat FROM pickup_points") == pytest.approx(FOUND_LAT)
    assert await db.scalar("SELECT lon FROM pickup_points") == pytest.approx(FOUND_LON)
    assert server.queries == ["长沙市岳麓区桃子湖路"]


async def test_given_coordinates_win_over_the_geocoder(db):
    _, op = await db.user(Role.OPERATOR)

    with nominatim_stand_in() as server:
        async with app_client(db.url, **server.settings) as gql:
            body = await gql(
                WAREHOUSE,
                {
                    "input": {
                        "name": "天心仓",
                        "address": "长沙市天心区",
                        "location": {"lat": 28.1, "lon": 112.98},
                    }
                },
                token=op,
            )

    assert body["data"]["warehouseCreate"]["warehouse"]["location"] == {
        "lat": 28.1,
        "lon": 112.98,
    }
    assert server.queries == []


async def test_unknown_address_is_not_found(db):
    _, op = await db.user(Role.OPERATOR)
    _, customer = await db.user(Role.CUSTOMER)

    with nominatim_stand_in() as server:
        async with app_client(db.url, **server.settings) as gql:
            warehouse = await create_warehouse(gql, op, "nowhere 不存在的地方")
            application = await apply(gql, customer, "nowhere 不存在的地方")

    for payload, field in ((warehouse, ["location"]), (application, ["pickupPoint", "location"])):
        error = only_error(payload)
        assert error["code"] == "ADDRESS_NOT_FOUND"
        assert error["field"] == field
    assert warehouse["warehouse"] is None
    assert application["leader"] is None
    assert len(server.queries) == 2
    await assert_nothing_saved(db)
