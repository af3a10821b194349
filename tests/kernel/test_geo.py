"""Coordinate systems: GCJ-02 and BD-09 in, WGS-84 stored."""

from __future__ import annotations

from typing import Any

import pytest
from geopy.distance import geodesic

from kernel.accounts import Role
from kernel.errors import DomainError
from kernel.geo import CoordSystem, GeoErrorCode, LatLon, from_wgs84, resolve_point, to_wgs84
from kernel.settings import Settings

# Published by the eviltransform project (googollee/eviltransform,
# go/transform_test.go): WGS-84 (lat, lon) -> GCJ-02 (lat, lon).
EVILTRANSFORM = [
    pytest.param((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215), id="shanghai"),
    pytest.param((22.543847, 113.912316), (22.540796131694766, 113.9171764808363), id="shenzhen"),
    pytest.param((39.911954, 116.377817), (39.91334545536069, 116.38404722455657), id="beijing"),
]


PARIS = (48.8566, 2.3522)


CREATE = """
mutation($input: WarehouseCreateInput!) {
  warehouseCreate(input: $input) {
    warehouse { id name location { lat lon } }
    userErrors { field code message }
  }
}
"""


def metres(a: tuple[float, float], b: LatLon | dict[str, float]) -> float:
    point = (b.lat, b.lon) if isinstance(b, LatLon) else (b["lat"], b["lon"])
    return float(geodesic(a, point).meters)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM)
def test_gcj02_matches_the_published_vectors(wgs, gcj):
    forward = from_wgs84(LatLon(*wgs), CoordSystem.GCJ02)
    assert forward.lat == pytest.approx(gcj[0], abs=1e-6)
    assert forward.lon == pytest.approx(gcj[1], abs=1e-6)

    back = to_wgs84(gcj[0], gcj[1], CoordSystem.GCJ02)
    assert metres(wgs, back) < 1.0


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM)
def test_bd09_round_trip_and_baidu_offset(wgs, gcj):
    bd = from_wgs84(LatLon(*wgs), CoordSystem.BD09)

    # BD-09 sits several hundred metres off WGS-84 (and off GCJ-02).
    assert 100 < metres(wgs, bd) < 1500
    assert metres(gcj, bd) > 100
    assert metres(wgs, to_wgs84(bd.lat, bd.lon, CoordSystem.BD09)) < 1.0


@pytest.mark.parametrize("system", [CoordSystem.WGS84, CoordSystem.GCJ02])
def test_points_outside_china_are_left_alone(system):
    assert to_wgs84(*PARIS, system) == LatLon(*PARIS)
    assert from_wgs84(LatLon(*PARIS), system) == LatLon(*PARIS)


def test_bd09_round_trip_outside_china():
    bd = from_wgs84(LatLon(*PARIS), CoordSystem.BD09)
    assert metres(PARIS, to_wgs84(bd.lat, bd.lon, CoordSystem.BD09)) < 1.0


@pytest.mark.parametrize("point", [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0)])
def test_gcj02_at_the_edges_of_the_world(point):
    assert to_wgs84(point[0], point[1], CoordSystem.GCJ02) == LatLon(*point)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(91.0, 10.0), (-90.5, 10.0), (10.0, 181.0), (10.0, -180.1), (float("nan"), 0.0)],
)
async def test_resolve_point_refuses_impossible_coordinates(lat, lon):
    with pytest.raises(DomainError) as raised:
        await resolve_point(
            address="x",
            lat=lat,
            lon=lon,
            system=CoordSystem.WGS84,
            settings=Settings(geocoder="none"),
            field=["location"],
        )
    assert raised.value.code is GeoErrorCode.INVALID_COORDINATES
    assert raised.value.field == ["location"]


async def create_warehouse(gql: Any, token: str, name: str, location: Any) -> dict[str, Any]:
    body = await gql(
        CREATE,
        {"input": {"name": name, "address": "长沙市雨花区物流园 8 号", "location": location}},
        token=token,
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["warehouseCreate"]
    return payload


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM)
async def test_warehouse_given_in_gcj02_is_stored_in_wgs84(db, gql, wgs, gcj):
    _, op = await db.user(Role.OPERATOR)

    payload = await create_warehouse(
        gql, op, "高德仓", {"lat": gcj[0], "lon": gcj[1], "system": "GCJ02"}
    )

    assert payload["userErrors"] == []
    assert metres(wgs, payload["warehouse"]["location"]) < 1.0
    stored = (
        await db.scalar("SELECT lat FROM warehouses"),
        await db.scalar("SELECT lon FROM warehouses"),
    )
    assert geodesic(wgs, stored).meters < 1.0
    listed = await gql("{ warehouses { nodes { location { lat lon } } } }", token=op)
    assert metres(wgs, listed["data"]["warehouses"]["nodes"][0]["location"]) < 1.0


async def test_warehouse_given_in_bd09_is_stored_in_wgs84(db, gql):
    _, op = await db.user(Role.OPERATOR)
    wgs = (31.1774276, 121.5272106)
    bd = from_wgs84(LatLon(*wgs), CoordSystem.BD09)

    payload = await create_warehouse(
        gql, op, "百度仓", {"lat": bd.lat, "lon": bd.lon, "system": "BD09"}
    )

    assert payload["userErrors"] == []
    assert metres(wgs, payload["warehouse"]["location"]) < 1.0
    stored = (
        await db.scalar("SELECT lat FROM warehouses"),
        await db.scalar("SELECT lon FROM warehouses"),
    )
    assert geodesic(wgs, stored).meters < 1.0


async def test_warehouse_in_wgs84_is_stored_as_given(db, gql):
    _, op = await db.user(Role.OPERATOR)

    payload = await create_warehouse(gql, op, "GPS仓", {"lat": 28.2282, "lon": 112.9388})

    assert payload["warehouse"]["location"] == {"lat": 28.2282, "lon": 112.9388}


@pytest.mark.parametrize(
    ("location", "stored"),
    [
        ({"lat": PARIS[0], "lon": PARIS[1], "system": "GCJ02"}, PARIS),
        ({"lat": 90, "lon": 180, "system": "GCJ02"}, (90, 180)),
        ({"lat": -90, "lon": -180, "system": "GCJ02"}, (-90, -180)),
    ],
)
async def test_warehouse_outside_china_in_gcj02_is_stored_as_given(db, gql, location, stored):
    _, op = await db.user(Role.OPERATOR)

    payload = await create_warehouse(gql, op, "海外仓", location)

    assert payload["userErrors"] == []
    assert payload["warehouse"]["location"] == {"lat": stored[0], "lon": stored[1]}


@pytest.mark.parametrize(
    "location",
    [
        {"lat": 91, "lon": 112.9},
        {"lat": -91, "lon": 112.9},
        {"lat": 28.2, "lon": 181},
        {"lat": 28.2, "lon": -181},
        {"lat": 91, "lon": 112.9, "system": "GCJ02"},
        {"lat": 28.2, "lon": 181, "system": "BD09"},
        # Valid BD-09 input whose WGS-84 point falls off the globe.
        {"lat": -90, "lon": -180, "system": "BD09"},
    ],
)
async def test_invalid_coordinates_save_nothing(db, gql, location):
    _, op = await db.user(Role.OPERATOR)

    payload = await create_warehouse(gql, op, "坏坐标仓", location)

    assert payload["warehouse"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_COORDINATES", ["location"])
    ]
    assert await db.scalar("SELECT count(*) FROM warehouses") == 0


async def test_pickup_point_given_in_gcj02_is_stored_in_wgs84(db, gql):
    _, token = await db.user(Role.CUSTOMER)
    wgs, gcj = (22.543847, 113.912316), (22.540796131694766, 113.9171764808363)

    body = await gql(
        """
        mutation($input: LeaderApplyInput!) {
          leaderApply(input: $input) {
            leader { pickupPoint { location { lat lon } } }
            userErrors { code }
          }
        }
        """,
        {
            "input": {
                "pickupPoint": {
                    "name": "深圳湾自提点",
                    "address": "深圳市南山区后海大道",
                    "receivingWindow": {"start": "07:00", "end": "10:00"},
                    "contactPhone": "13900139000",
                    "location": {"lat": gcj[0], "lon": gcj[1], "system": "GCJ02"},
                }
            }
        },
        token=token,
    )

    payload = body["data"]["leaderApply"]
    assert payload["userErrors"] == []
    assert metres(wgs, payload["leader"]["pickupPoint"]["location"]) < 1.0
    stored = (
        await db.scalar("SELECT lat FROM pickup_points"),
        await db.scalar("SELECT lon FROM pickup_points"),
    )
    assert geodesic(wgs, stored).meters < 1.0
