"""The two-tier network as an operator builds it: warehouses made grid
warehouses (网格仓) of a central one, the nearest grid proposed for each
point, points put under a grid (still ordering from the central's
campaigns) or given back; every refusal names its rule and changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from api.graphql.ids import encode
from fulfilment.campaigns.warehouses import create_warehouse
from kernel.accounts import Role
from kernel.db import unit_of_work
from kernel.geo import LatLon
from tests.conftest import TestDB, error_codes
from tests.support.commerce import codes, ok, user_errors
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input

SET = """
mutation($input: GridWarehouseSetInput!) {
  gridWarehouseSet(input: $input) {
    grid { warehouse { id name } central { id } pieceFeeFen receivingWindow { start end }
           serviceRadiusM version pointCount }
    userErrors { field code message }
  }
}
"""
ASSIGN = """
mutation($input: GridPointsAssignInput!) {
  gridPointsAssign(input: $input) {
    grid { pointCount pickupPoints { id } } userErrors { field code }
  }
}
"""
RELEASE = """
mutation($input: GridPointsReleaseInput!) {
  gridPointsRelease(input: $input) { released userErrors { field code } }
}
"""
NETWORK = """
query($c: ID!) {
  gridWarehouses(centralId: $c) { warehouse { name } pointCount }
  gridProposals(centralId: $c) { pickupPointId gridWarehouseId distanceM }
}
"""

# The shop's points stand at (28.2, 112.9): G1 about 1 km east, G2 about 10 km.
NEAR, FAR = LatLon(28.2, 112.91), LatLon(28.2, 113.0)


def wid(db_id: int) -> str:
    return encode("Warehouse", db_id)


async def _warehouse(db: TestDB, shop: Shop, name: str, at: LatLon) -> int:
    async with unit_of_work(db.sessions) as session:
        made = await create_warehouse(
            session, name=name, address="长沙市", location=at, created_by=shop.operator
        )
        return made.id


def terms(grid: int, central: int, **changed: Any) -> dict[str, Any]:
    values = {
        "warehouseId": wid(grid),
        "centralId": wid(central),
        "pieceFeeFen": 15,
        "receivingWindow": {"start": "01:00", "end": "04:00"},
        "serviceRadiusM": 5_000,
        **changed,
    }
    return {"input": values}


async def _set(gql: Any, shop: Shop, variables: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = await gql(SET, variables, token=shop.operator_token)
    return body


async def test_an_operator_builds_a_central_with_its_grids_and_points(db, gql):
    shop = await open_shop(db)
    central = shop.warehouse_id
    g1 = await _warehouse(db, shop, "网格仓-岳麓", NEAR)
    g2 = await _warehouse(db, shop, "网格仓-开福", FAR)
    made = ok(await _set(gql, shop, terms(g1, central)), "gridWarehouseSet")["grid"]
    assert made["central"]["id"] == wid(central)
    assert (made["pieceFeeFen"], made["receivingWindow"], made["version"]) == (
        15,
        {"start": "01:00:00", "end": "04:00:00"},
        1,
    )
    ok(await _set(gql, shop, terms(g2, central, serviceRadiusM=20_000)), "gridWarehouseSet")

    # The nearest grid that reaches the point is proposed: G1, 980 m away.
    body = await gql(NETWORK, {"c": wid(central)}, token=shop.operator_token)
    assert [g["warehouse"]["name"] for g in body["data"]["gridWarehouses"]] == [
        "网格仓-岳麓",
        "网格仓-开福",
    ]
    [proposal] = body["data"]["gridProposals"]
    assert proposal["gridWarehouseId"] == wid(g1)
    assert 900 < proposal["distanceM"] < 1_100

    point = encode("PickupPoint", shop.pickup_point_id)
    assigned = await gql(
        ASSIGN, {"input": {"gridId": wid(g1), "pickupPointIds": [point]}}, token=shop.operator_token
    )
    assert ok(assigned, "gridPointsAssign")["grid"] == {
        "pointCount": 1,
        "pickupPoints": [{"id": point}],
    }
    # Purchasing stays central: the point still orders from the central's campaign.
    _, customer = await db.user(Role.CUSTOMER, "居民")
    ok(await gql(ORDER_CREATE, order_input(shop, {0: 2}), token=customer), "orderCreate")
    body = await gql(NETWORK, {"c": wid(central)}, token=shop.operator_token)
    assert body["data"]["gridProposals"] == []

    released = await gql(RELEASE, {"input": {"pickupPointIds": [point]}}, token=shop.operator_token)
    assert ok(released, "gridPointsRelease")["released"] == 1
    body = await gql(NETWORK, {"c": wid(central)}, token=shop.operator_token)
    assert [p["pickupPointId"] for p in body["data"]["gridProposals"]] == [point]


async def _grid_rows(db: TestDB) -> list[Any]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT warehouse_id, central_id, piece_fee_fen, version FROM grid_warehouses")
        )
        return sorted(tuple(r) for r in rows)


async def test_the_two_tiers_stay_two_and_bad_terms_change_nothing(db, gql):
    shop = await open_shop(db)
    central = shop.warehouse_id
    g1 = await _warehouse(db, shop, "网格仓-一", NEAR)
    g2 = await _warehouse(db, shop, "网格仓-二", FAR)
    ok(await _set(gql, shop, terms(g1, central)), "gridWarehouseSet")
    before = await _grid_rows(db)

    refusals = {
        "a grid under a grid": (terms(g2, g1), ["NOT_A_CENTRAL"], ["centralId"]),
        "its own central": (terms(g2, g2), ["NOT_A_CENTRAL"], ["centralId"]),
        "a central with grids": (terms(central, g2), ["WAREHOUSE_IN_USE"], ["warehouseId"]),
        "a negative fee": (terms(g2, central, pieceFeeFen=-1), ["INVALID_GRID_TERMS"], None),
        "a window backwards": (
            terms(g2, central, receivingWindow={"start": "04:00", "end": "01:00"}),
            ["INVALID_GRID_TERMS"],
            ["receivingWindow"],
        ),
        "no radius": (terms(g2, central, serviceRadiusM=0), ["INVALID_GRID_TERMS"], None),
        "an unknown central": (terms(g2, 987_654), ["NOT_FOUND"], ["centralId"]),
        "a malformed id": (
            terms(g2, central, centralId="nope"),
            ["INVALID_ID"],
            ["centralId"],
        ),
        "an edit from an old version": (
            terms(g1, central, pieceFeeFen=20, expectedVersion=7),
            ["STALE"],
            ["expectedVersion"],
        ),
    }
    for name, (variables, code, field) in refusals.items():
        body = await _set(gql, shop, variables)
        assert codes(body, "gridWarehouseSet") == code, name
        if field is not None:
            assert user_errors(body, "gridWarehouseSet")[0]["field"] == field, name
    assert await _grid_rows(db) == before

    # Only operators build the network.
    leader = await gql(SET, terms(g2, central), token=shop.leader_token)
    assert error_codes(leader) == ["FORBIDDEN"]
    assert await _grid_rows(db) == before


async def test_a_point_of_another_central_never_moves_under_a_grid(db, gql):
    shop = await open_shop(db)
    other = await open_shop(db)  # another central with its own point
    grid = await _warehouse(db, shop, "网格仓-甲", NEAR)
    ok(await _set(gql, shop, terms(grid, shop.warehouse_id)), "gridWarehouseSet")
    mine = encode("PickupPoint", shop.pickup_point_id)
    theirs = encode("PickupPoint", other.pickup_point_id)

    body = await gql(
        ASSIGN,
        {"input": {"gridId": wid(grid), "pickupPointIds": [mine, theirs]}},
        token=shop.operator_token,
    )
    assert user_errors(body, "gridPointsAssign") == [
        {"field": ["pickupPointIds", "1"], "code": "POINT_OF_ANOTHER_CENTRAL"}
    ]
    # All or nothing: the first point did not move either.
    assert await db.scalar("SELECT count(*) FROM grid_points") == 0

    central_as_grid = await gql(
        ASSIGN,
        {"input": {"gridId": wid(shop.warehouse_id), "pickupPointIds": [mine]}},
        token=shop.operator_token,
    )
    assert codes(central_as_grid, "gridPointsAssign") == ["NOT_A_GRID"]
    too_many = await gql(
        ASSIGN,
        {"input": {"gridId": wid(grid), "pickupPointIds": [mine] * 501}},
        token=shop.operator_token,
    )
    assert codes(too_many, "gridPointsAssign") == ["OUT_OF_RANGE"]

    # A grid serving points does not move to another central.
    ok(
        await gql(
            ASSIGN,
            {"input": {"gridId": wid(grid), "pickupPointIds": [mine]}},
            token=shop.operator_token,
        ),
        "gridPointsAssign",
    )
    moved = await _set(gql, shop, terms(grid, other.warehouse_id, expectedVersion=1))
    assert codes(moved, "gridWarehouseSet") == ["WAREHOUSE_IN_USE"]
    # Its terms change, from the version they were read at.
    changed = await _set(
        gql, shop, terms(grid, shop.warehouse_id, pieceFeeFen=20, expectedVersion=1)
    )
    assert ok(changed, "gridWarehouseSet")["grid"]["version"] == 2
