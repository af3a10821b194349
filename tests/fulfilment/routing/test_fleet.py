"""The fleet through the API: vehicle types per warehouse, retiring one,
the warehouse's stop timings, and who may change or read them."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.conftest import error_codes
from tests.support.commerce import make_warehouse
from tests.support.factories import open_shop

CREATE = """
mutation($input: VehicleTypeCreateInput!) { vehicleTypeCreate(input: $input) {
  vehicleType { id name capacityKg capacityTotes count fixedCostFen costPerKmFen shiftStart
    maxShiftMinutes }
  userErrors { field code message } } }
"""


UPDATE = """
mutation($input: VehicleTypeUpdateInput!) { vehicleTypeUpdate(input: $input) {
  vehicleType { id name count capacityKg } userErrors { field code message } } }
"""


SETTINGS = """
mutation($input: RoutingSettingsSetInput!) { routingSettingsSet(input: $input) {
  routingSettings { loadingMinutes stopFixedSeconds stopPerToteSeconds }
  userErrors { field code } } }
"""


FLEET = """
query($w: ID!) { fleet(warehouseId: $w) {
  vehicleTypes { name count capacityKg shiftStart }
  routingSettings { loadingMinutes stopFixedSeconds stopPerToteSeconds } } }
"""


def truck(warehouse_gid: str, **changes: Any) -> dict[str, Any]:
    fields = {
        "warehouseId": warehouse_gid,
        "name": "4.2米厢式货车",
        "capacityKg": 1500,
        "capacityTotes": 60,
        "count": 3,
        "fixedCostFen": 30000,
        "costPerKmFen": 250,
        "shiftStart": "05:30:00",
        "maxShiftMinutes": 480,
    }
    return {"input": {**fields, **changes}}


def timings(warehouse_gid: str, loading_minutes: int) -> dict[str, Any]:
    """routingSettingsSet's variables: 240 s a stop and 15 s a tote."""
    return {
        "input": {
            "warehouseId": warehouse_gid,
            "loadingMinutes": loading_minutes,
            "stopFixedSeconds": 240,
            "stopPerToteSeconds": 15,
        }
    }


def errors(body: dict[str, Any], mutation: str) -> list[tuple[list[str] | None, str]]:
    assert "errors" not in body, body
    return [(e["field"], e["code"]) for e in body["data"][mutation]["userErrors"]]


async def test_operators_keep_a_fleet_per_warehouse(db, gql):
    shop = await open_shop(db)
    op = shop.operator_token
    warehouse = encode("Warehouse", shop.warehouse_id)
    other = encode("Warehouse", await make_warehouse(db, shop.operator))

    # Defaults before anyone sets the timings.
    fleet = (await gql(FLEET, {"w": warehouse}, token=op))["data"]["fleet"]
    assert fleet == {
        "vehicleTypes": [],
        "routingSettings": {
            "loadingMinutes": 30,
            "stopFixedSeconds": 300,
            "stopPerToteSeconds": 20,
        },
    }

    made = (await gql(CREATE, truck(warehouse), token=op))["data"]["vehicleTypeCreate"]
    assert made["userErrors"] == []
    assert made["vehicleType"]["capacityKg"] == 1500
    assert made["vehicleType"]["shiftStart"] == "05:30:00"
    assert errors(await gql(CREATE, truck(warehouse), token=op), "vehicleTypeCreate") == [
        (["name"], "DUPLICATE_NAME")
    ]
    # The same name at another warehouse is another vehicle type.
    assert errors(await gql(CREATE, truck(other), token=op), "vehicleTypeCreate") == []
    assert errors(
        await gql(CREATE, truck(warehouse, name="小面包车", capacityKg=0), token=op),
        "vehicleTypeCreate",
    ) == [(["capacityKg"], "INVALID")]
    assert errors(
        await gql(CREATE, truck(warehouse, name="小面包车", maxShiftMinutes=2000), token=op),
        "vehicleTypeCreate",
    ) == [(["maxShiftMinutes"], "INVALID")]
    van = (await gql(CREATE, truck(warehouse, name="小面包车", capacityKg=600), token=op))["data"][
        "vehicleTypeCreate"
    ]["vehicleType"]

    retired = await gql(UPDATE, {"input": {"id": van["id"], "count": 0}}, token=op)
    assert retired["data"]["vehicleTypeUpdate"]["vehicleType"] == {
        "id": van["id"],
        "name": "小面包车",
        "count": 0,
        "capacityKg": 600,
    }
    taken = await gql(UPDATE, {"input": {"id": van["id"], "name": "4.2米厢式货车"}}, token=op)
    assert errors(taken, "vehicleTypeUpdate") == [(["name"], "DUPLICATE_NAME")]
    negative = await gql(UPDATE, {"input": {"id": van["id"], "count": -1}}, token=op)
    assert errors(negative, "vehicleTypeUpdate") == [(["count"], "INVALID")]

    for loading in (45, 20):  # set, then change
        body = await gql(SETTINGS, timings(warehouse, loading), token=op)
        assert errors(body, "routingSettingsSet") == []
    bad = await gql(SETTINGS, timings(warehouse, -5), token=op)
    assert errors(bad, "routingSettingsSet") == [(["loadingMinutes"], "INVALID")]

    fleet = (await gql(FLEET, {"w": warehouse}, token=op))["data"]["fleet"]
    assert fleet == {
        "vehicleTypes": [
            {"name": "4.2米厢式货车", "count": 3, "capacityKg": 1500, "shiftStart": "05:30:00"},
            {"name": "小面包车", "count": 0, "capacityKg": 600, "shiftStart": "05:30:00"},
        ],
        "routingSettings": {
            "loadingMinutes": 20,
            "stopFixedSeconds": 240,
            "stopPerToteSeconds": 15,
        },
    }
    assert (
        await db.scalar("SELECT capacity_g FROM vehicle_types WHERE name = '小面包车'") == 600_000
    )
    assert await db.scalar("SELECT count(*) FROM routing_settings") == 1


async def test_only_operators_change_the_fleet_and_dispatchers_read_it(db, gql):
    shop = await open_shop(db)
    warehouse = encode("Warehouse", shop.warehouse_id)
    _, dispatcher = await db.user(Role.DISPATCHER)
    _, customer = await db.user(Role.CUSTOMER)
    _, supplier = await db.user(Role.SUPPLIER)
    for token in (dispatcher, customer, supplier, shop.leader_token):
        assert error_codes(await gql(CREATE, truck(warehouse), token=token)) == ["FORBIDDEN"]
    assert await db.scalar("SELECT count(*) FROM vehicle_types") == 0
    readable = await gql(FLEET, {"w": warehouse}, token=dispatcher)
    assert readable["data"]["fleet"]["vehicleTypes"] == []
    for token in (customer, supplier, shop.leader_token):
        assert error_codes(await gql(FLEET, {"w": warehouse}, token=token)) == ["FORBIDDEN"]
