"""pickupPointsNear: the points taking orders around a place, nearest first,
on both databases."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import text

from api.graphql.ids import encode
from kernel.accounts import Role, User
from kernel.geo import CoordSystem, LatLon, bounding_box, distance_m, from_wgs84
from leaders.points.models import LeaderStatus
from tests.conftest import GraphQLClient, TestDB, error_codes
from tests.support.commerce import make_warehouse
from tests.support.factories import approved_pickup_point

NEAR = """query($lat: Float!, $lon: Float!, $system: CoordSystem!, $r: Int!) {
  pickupPointsNear(location: {lat: $lat, lon: $lon, system: $system}, radiusM: $r) {
    distanceM point { id name } } }"""
CENTRE = LatLon(28.2, 112.9)
# Metres per degree of latitude near 28°N, close enough for placing points.
_M_PER_DEG = 110_850.0


async def _point(
    db: TestDB,
    operator: User,
    north_m: float,
    warehouse: int | None,
    status: LeaderStatus = LeaderStatus.APPROVED,
) -> int:
    point_id, _, _ = await approved_pickup_point(db, operator, warehouse, status=status)
    async with db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE pickup_points SET lat = :lat, name = :name WHERE id = :id"),
            {"lat": CENTRE.lat + north_m / _M_PER_DEG, "name": f"点{north_m:g}", "id": point_id},
        )
    return point_id


async def _near(
    gql: GraphQLClient,
    token: str | None,
    radius: int,
    at: LatLon = CENTRE,
    system: CoordSystem = CoordSystem.WGS84,
) -> dict[str, Any]:
    variables = {"lat": at.lat, "lon": at.lon, "system": system.value, "r": radius}
    return await gql(NEAR, variables, token=token)


async def test_nearest_first_within_the_radius(db: TestDB, gql: GraphQLClient) -> None:
    operator, _ = await db.user(Role.OPERATOR)
    warehouse = await make_warehouse(db, operator)
    far = await _point(db, operator, 2500, warehouse)
    near = await _point(db, operator, 300, warehouse)
    middle = await _point(db, operator, 1000, warehouse)
    await _point(db, operator, 6000, warehouse)
    await _point(db, operator, 100, warehouse, LeaderStatus.SUSPENDED)
    await _point(db, operator, 200, None)  # no warehouse serves it: nothing to order
    _, customer = await db.user(Role.CUSTOMER)

    body = await _near(gql, customer, 3000)
    assert "errors" not in body, body
    found = body["data"]["pickupPointsNear"]
    assert [p["point"]["id"] for p in found] == [
        encode("PickupPoint", i) for i in (near, middle, far)
    ]
    for got, metres in zip(found, (300, 1000, 2500), strict=True):
        assert abs(got["distanceM"] - metres) <= 5, got
    small = (await _near(gql, customer, 500))["data"]["pickupPointsNear"]
    assert [p["point"]["id"] for p in small] == [encode("PickupPoint", near)]


async def test_a_chinese_map_point_is_converted_first(db: TestDB, gql: GraphQLClient) -> None:
    operator, _ = await db.user(Role.OPERATOR)
    await _point(db, operator, 300, await make_warehouse(db, operator))
    _, leader_token = await db.user(Role.LEADER)
    for system in (CoordSystem.GCJ02, CoordSystem.BD09):
        # The same place as AMap or Baidu shows it: hundreds of metres off in WGS-84.
        shown = from_wgs84(CENTRE, system)
        found = (await _near(gql, leader_token, 1000, shown, system))["data"]["pickupPointsNear"]
        assert len(found) == 1 and abs(found[0]["distanceM"] - 300) <= 5, (system, found)


async def test_a_bad_radius_or_no_viewer_is_refused(db: TestDB, gql: GraphQLClient) -> None:
    _, customer = await db.user(Role.CUSTOMER)
    for radius in (0, -5, 5001, 100_000):
        body = await _near(gql, customer, radius)
        assert error_codes(body) == ["BAD_USER_INPUT"], (radius, body)
        assert body["errors"][0]["extensions"]["field"] == ["radiusM"]
    body = await _near(gql, customer, 100, LatLon(91.0, 0.0))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert error_codes(await _near(gql, None, 1000)) == ["UNAUTHENTICATED"]
    _, supplier = await db.user(Role.SUPPLIER)
    assert error_codes(await _near(gql, supplier, 1000)) == ["FORBIDDEN"]


def test_the_box_holds_the_circle_even_across_the_antimeridian() -> None:
    for centre in (CENTRE, LatLon(-45.0, 179.99), LatLon(89.99, 10.0), LatLon(0.0, -179.999)):
        box = bounding_box(centre, 5000)
        for dlat, dlon in ((0.0449, 0.0), (-0.0449, 0.0), (0.0, 0.0449), (0.0, -0.0449)):
            lat = max(-90.0, min(90.0, centre.lat + dlat))
            lon = (centre.lon + dlon / max(0.01, abs(_cos(lat))) + 540.0) % 360.0 - 180.0
            if distance_m(centre, LatLon(lat, lon)) > 5000:
                continue
            assert box.lat_min <= lat <= box.lat_max
            crosses = box.lon_min > box.lon_max
            inside = (
                (lon >= box.lon_min or lon <= box.lon_max)
                if crosses
                else (box.lon_min <= lon <= box.lon_max)
            )
            assert inside, (centre, lat, lon, box)


def _cos(lat: float) -> float:
    return math.cos(math.radians(lat))
