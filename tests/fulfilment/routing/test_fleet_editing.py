"""Versioned edits of the fleet: vehicleTypeUpdate with expectedVersion,
STALE for the loser, and the history of each vehicle type."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.fulfilment.routing.test_fleet import CREATE, truck
from tests.support.commerce import make_warehouse

UPDATE = """
mutation($input: VehicleTypeUpdateInput!) { vehicleTypeUpdate(input: $input) {
  vehicleType { id count capacityKg fixedCostFen version } userErrors { field code } } }
"""

HISTORY = """
query($id: ID!) { setupHistory(id: $id) { nodes { version changes { field before after } } } }
"""


def errors(body: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    assert "errors" not in body, body
    return [(e["field"], e["code"]) for e in body["data"]["vehicleTypeUpdate"]["userErrors"]]


async def a_truck(db: Any, gql: Any) -> tuple[str, str]:
    operator, op = await db.user(Role.OPERATOR)
    warehouse = encode("Warehouse", await make_warehouse(db, operator))
    created = await gql(CREATE, truck(warehouse), token=op)
    vehicle = created["data"]["vehicleTypeCreate"]["vehicleType"]
    return vehicle["id"], op


async def test_fleet_edits_are_versioned_and_kept(db, gql):
    vehicle, op = await a_truck(db, gql)

    first = await gql(UPDATE, {"input": {"id": vehicle, "expectedVersion": 1, "count": 5}}, op)
    loser = await gql(UPDATE, {"input": {"id": vehicle, "expectedVersion": 1, "count": 1}}, op)
    unversioned = await gql(UPDATE, {"input": {"id": vehicle, "capacityKg": 2000}}, op)

    assert errors(first) == []
    assert first["data"]["vehicleTypeUpdate"]["vehicleType"]["version"] == 2
    assert errors(loser) == [(["expectedVersion"], "STALE")]
    assert errors(unversioned) == []
    after = unversioned["data"]["vehicleTypeUpdate"]["vehicleType"]
    assert (after["count"], after["capacityKg"], after["version"]) == (5, 2000, 3)
    history = await gql(HISTORY, {"id": vehicle}, token=op)
    assert history["data"]["setupHistory"]["nodes"] == [
        {"version": 3, "changes": [{"field": "capacity_g", "before": 1500000, "after": 2000000}]},
        {"version": 2, "changes": [{"field": "count", "before": 3, "after": 5}]},
    ]


async def test_a_bad_fleet_edit_changes_nothing(db, gql):
    vehicle, op = await a_truck(db, gql)

    body = await gql(UPDATE, {"input": {"id": vehicle, "expectedVersion": 1, "count": -1}}, op)

    assert errors(body) == [(["count"], "INVALID")]
    assert await db.scalar("SELECT count FROM vehicle_types") == 3
    assert await db.scalar("SELECT version FROM vehicle_types") == 1
    assert await db.scalar("SELECT count(*) FROM setup_changes") == 0
