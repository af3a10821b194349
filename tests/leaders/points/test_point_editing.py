"""Editing a pickup point through the API: address, phone, receiving window
and location (converted from GCJ-02/BD-09 or geocoded), versioned, with
published route plans left as they were."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from api.graphql.ids import encode
from kernel.accounts import Role
from kernel.geo import CoordSystem, LatLon, from_wgs84
from tests.conftest import app_client, error_codes
from tests.support.factories import approved_pickup_point
from tests.support.geo import FOUND_LAT, FOUND_LON, nominatim_stand_in
from tests.support.routing import sorted_day, store_plan

UPDATE = """
mutation($input: PickupPointUpdateInput!) { pickupPointUpdate(input: $input) {
  pickupPoint { id name address contactPhone location { lat lon }
    receivingWindow { start end } version }
  userErrors { field code message } } }
"""

HISTORY = """
query($id: ID!) { setupHistory(id: $id) { nodes { version changes { field before after } } } }
"""

ROW = "SELECT name, address, lat, lon, window_start, window_end, contact_phone, version "
ROW += "FROM pickup_points"


def errors(body: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    assert "errors" not in body, body
    return [(e["field"], e["code"]) for e in body["data"]["pickupPointUpdate"]["userErrors"]]


async def rows(db: Any) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(ROW))).all()]


async def a_point(db: Any) -> tuple[str, str]:
    operator, op = await db.user(Role.OPERATOR)
    point_id, _, _ = await approved_pickup_point(db, operator, None)
    return encode("PickupPoint", point_id), op


async def test_an_operator_moves_a_point_given_in_baidu_coordinates(db, gql):
    point, op = await a_point(db)
    target = LatLon(28.21, 112.95)
    bd = from_wgs84(target, CoordSystem.BD09)

    body = await gql(
        UPDATE,
        {
            "input": {
                "id": point,
                "expectedVersion": 1,
                "address": "长沙市岳麓区桃子湖路 8 号",
                "location": {"lat": bd.lat, "lon": bd.lon, "system": "BD09"},
                "receivingWindow": {"start": "06:30:00", "end": "10:00:00"},
                "contactPhone": "139 0013 9000",
            }
        },
        op,
    )

    assert errors(body) == []
    moved = body["data"]["pickupPointUpdate"]["pickupPoint"]
    assert moved["location"] == {
        "lat": pytest.approx(target.lat, abs=1e-6),
        "lon": pytest.approx(target.lon, abs=1e-6),
    }
    assert moved["receivingWindow"] == {"start": "06:30:00", "end": "10:00:00"}
    assert moved["contactPhone"] == "13900139000"
    assert moved["name"] == "幸福小区"
    assert moved["version"] == 2
    history = await gql(HISTORY, {"id": point}, token=op)
    [change] = history["data"]["setupHistory"]["nodes"]
    by_field = {c["field"]: c for c in change["changes"]}
    assert set(by_field) == {
        "address",
        "lat",
        "lon",
        "window_start",
        "window_end",
        "contact_phone",
    }
    assert by_field["window_start"] == {
        "field": "window_start",
        "before": "07:00:00",
        "after": "06:30:00",
    }


async def test_a_point_with_a_new_address_is_geocoded_again(db):
    point, op = await a_point(db)

    with nominatim_stand_in() as server:
        async with app_client(db.url, **server.settings) as gql:
            body = await gql(
                UPDATE,
                {"input": {"id": point, "expectedVersion": 1, "address": "长沙市岳麓区新址"}},
                op,
            )

    assert errors(body) == []
    assert server.queries == ["长沙市岳麓区新址"]
    assert body["data"]["pickupPointUpdate"]["pickupPoint"]["location"] == {
        "lat": pytest.approx(FOUND_LAT),
        "lon": pytest.approx(FOUND_LON),
    }


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        (
            {"receivingWindow": {"start": "11:00:00", "end": "07:00:00"}},
            ["receivingWindow"],
            "INVALID",
        ),
        ({"contactPhone": "12345"}, ["contactPhone"], "INVALID"),
        ({"name": " "}, ["name"], "INVALID"),
        ({"location": {"lat": 95.0, "lon": 112.9}}, ["location"], "INVALID_COORDINATES"),
        ({"expectedVersion": 2, "name": "新名字"}, ["expectedVersion"], "STALE"),
    ],
)
async def test_bad_point_input_changes_nothing(db, gql, changes, field, code):
    point, op = await a_point(db)
    before = await rows(db)

    body = await gql(UPDATE, {"input": {"id": point, "expectedVersion": 1, **changes}}, op)

    assert errors(body) == [(field, code)]
    assert await rows(db) == before
    assert await db.scalar("SELECT count(*) FROM setup_changes") == 0


async def test_the_leader_cannot_edit_through_the_back_office(db, gql):
    operator, _ = await db.user(Role.OPERATOR)
    point_id, _, leader_token = await approved_pickup_point(db, operator, None)

    body = await gql(
        UPDATE,
        {"input": {"id": encode("PickupPoint", point_id), "expectedVersion": 1, "name": "x"}},
        leader_token,
    )

    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_published_plan_keeps_what_it_planned(db, gql):
    day = await sorted_day(db)
    shop = day.shop
    plan = await store_plan(db, shop.warehouse_id, shop.delivery_date, [[shop.pickup_point_id]])
    stops = "SELECT pickup_point_id, arrival_at, departure_at FROM route_stops ORDER BY id"
    async with db.engine.connect() as conn:
        before = (await conn.execute(text(stops))).all()

    body = await gql(
        UPDATE,
        {
            "input": {
                "id": shop.pickup_point_gid,
                "expectedVersion": 1,
                "location": {"lat": 28.40, "lon": 113.10},
                "receivingWindow": {"start": "09:00:00", "end": "12:00:00"},
            }
        },
        shop.operator_token,
    )

    assert errors(body) == []
    async with db.engine.connect() as conn:
        assert (await conn.execute(text(stops))).all() == before
    status = "SELECT status FROM route_plans WHERE id = :p"
    assert await db.scalar(status, p=plan.plan_id) == "published"
