"""Editing products and warehouses through the API: versioned, refused with
STALE when made from a replaced version, bad input refused with nothing
changed, and every accepted edit in setupHistory."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from api.graphql.ids import encode
from fulfilment.campaigns.editing import ProductChanges, update_product
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.geo import CoordSystem, LatLon, from_wgs84
from tests.conftest import app_client, error_codes
from tests.support.commerce import make_product, make_warehouse
from tests.support.geo import FOUND_LAT, FOUND_LON, nominatim_stand_in

PRODUCT_UPDATE = """
mutation($input: ProductUpdateInput!) { productUpdate(input: $input) {
  product { id name category unit casePack weightG storageZone imageUrls version costFen }
  userErrors { field code message } } }
"""

WAREHOUSE_UPDATE = """
mutation($input: WarehouseUpdateInput!) { warehouseUpdate(input: $input) {
  warehouse { id name address location { lat lon } version }
  userErrors { field code message } } }
"""

HISTORY = """
query($id: ID!) { setupHistory(id: $id, first: 10) { nodes {
  version actor { name } changes { field before after } } } }
"""

PRODUCT_ROW = "SELECT name, category, case_pack, image_urls, version FROM products"


def errors(body: dict[str, Any], mutation: str) -> list[tuple[list[str] | None, str]]:
    assert "errors" not in body, body
    return [(e["field"], e["code"]) for e in body["data"][mutation]["userErrors"]]


async def product_row(db: Any) -> tuple[Any, ...]:
    async with db.engine.connect() as conn:
        return tuple((await conn.execute(text(PRODUCT_ROW))).one())


async def test_an_operator_edits_a_product_and_its_history_shows_it(db, gql):
    _, op = await db.user(Role.OPERATOR, "运营小王")
    product = encode("Product", await make_product(db))

    body = await gql(
        PRODUCT_UPDATE,
        {
            "input": {
                "id": product,
                "expectedVersion": 1,
                "name": " 赣南脐橙 ",
                "casePack": 6,
                "imageUrls": ["https://img.example.com/orange.jpg"],
            }
        },
        token=op,
    )

    assert errors(body, "productUpdate") == []
    edited = body["data"]["productUpdate"]["product"]
    assert edited["name"] == "赣南脐橙"
    assert edited["casePack"] == 6
    assert edited["category"] == "水果"  # not given: unchanged
    assert edited["imageUrls"] == ["https://img.example.com/orange.jpg"]
    assert edited["version"] == 2
    assert edited["costFen"] == 1500
    history = await gql(HISTORY, {"id": product}, token=op)
    [change] = history["data"]["setupHistory"]["nodes"]
    assert change["version"] == 2
    assert change["actor"] == {"name": "运营小王"}
    assert sorted(change["changes"], key=lambda c: c["field"]) == [
        {"field": "case_pack", "before": 4, "after": 6},
        {"field": "image_urls", "before": [], "after": ["https://img.example.com/orange.jpg"]},
        {"field": "name", "before": "脐橙", "after": "赣南脐橙"},
    ]


async def test_the_second_of_two_edits_from_one_version_is_stale(db, gql):
    _, op = await db.user(Role.OPERATOR)
    _, other_op = await db.user(Role.OPERATOR)
    product = encode("Product", await make_product(db))

    first = await gql(
        PRODUCT_UPDATE, {"input": {"id": product, "expectedVersion": 1, "unit": "3斤/箱"}}, op
    )
    second = await gql(
        PRODUCT_UPDATE,
        {"input": {"id": product, "expectedVersion": 1, "unit": "10斤/箱"}},
        other_op,
    )

    assert errors(first, "productUpdate") == []
    assert errors(second, "productUpdate") == [(["expectedVersion"], "STALE")]
    assert second["data"]["productUpdate"]["product"] is None
    assert await db.scalar("SELECT unit FROM products") == "3斤/箱"
    assert await db.scalar("SELECT version FROM products") == 2
    assert await db.scalar("SELECT count(*) FROM setup_changes") == 1


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"casePack": -1}, ["casePack"], "INVALID"),
        ({"casePack": 0}, ["casePack"], "INVALID"),
        ({"weightG": -5}, ["weightG"], "INVALID"),
        ({"name": "   "}, ["name"], "INVALID"),
        ({"imageUrls": ["https://ok.example/a.jpg", "not a url"]}, ["imageUrls", "1"], "INVALID"),
        ({"imageUrls": ["ftp://files.example/a.jpg"]}, ["imageUrls", "0"], "INVALID"),
        ({"imageUrls": ["https://x.example/a.jpg"] * 11}, ["imageUrls"], "INVALID"),
    ],
)
async def test_bad_product_input_changes_nothing(db, gql, changes, field, code):
    _, op = await db.user(Role.OPERATOR)
    product = encode("Product", await make_product(db))
    before = await product_row(db)

    body = await gql(
        PRODUCT_UPDATE, {"input": {"id": product, "expectedVersion": 1, **changes}}, op
    )

    assert errors(body, "productUpdate") == [(field, code)]
    assert await product_row(db) == before
    assert await db.scalar("SELECT count(*) FROM setup_changes") == 0
    assert await db.scalar("SELECT count(*) FROM audit_events") == 0


async def test_only_operators_edit_the_setup(db, gql):
    product = encode("Product", await make_product(db))
    operator, _ = await db.user(Role.OPERATOR)
    warehouse = encode("Warehouse", await make_warehouse(db, operator))
    for role in (Role.SUPPLIER, Role.DISPATCHER, Role.LEADER, Role.CUSTOMER):
        _, token = await db.user(role)
        for query, variables in (
            (PRODUCT_UPDATE, {"id": product, "expectedVersion": 1, "name": "x"}),
            (WAREHOUSE_UPDATE, {"id": warehouse, "expectedVersion": 1, "name": "x"}),
            (HISTORY, None),
        ):
            body = await gql(
                query, {"input": variables} if variables else {"id": product}, token=token
            )
            assert error_codes(body) == ["FORBIDDEN"], (role, body)
    assert await db.scalar("SELECT version FROM products") == 1
    assert await db.scalar("SELECT version FROM warehouses") == 1


async def test_image_urls_may_be_long_but_not_endless(db, gql):
    _, op = await db.user(Role.OPERATOR)
    product = encode("Product", await make_product(db))
    long_url = "https://img.example.com/" + "a" * 400 + ".jpg"

    body = await gql(
        PRODUCT_UPDATE,
        {"input": {"id": product, "expectedVersion": 1, "imageUrls": [long_url]}},
        op,
    )
    too_long = await gql(
        PRODUCT_UPDATE,
        {"input": {"id": product, "expectedVersion": 2, "imageUrls": [long_url + "a" * 100]}},
        op,
    )

    assert body["data"]["productUpdate"]["product"]["imageUrls"] == [long_url]
    assert errors(too_long, "productUpdate")[0][1] == "TOO_LONG"
    assert await db.scalar("SELECT version FROM products") == 2


async def test_an_edit_that_changes_nothing_keeps_the_version(db, gql):
    _, op = await db.user(Role.OPERATOR)
    product = encode("Product", await make_product(db))

    body = await gql(
        PRODUCT_UPDATE, {"input": {"id": product, "expectedVersion": 1, "name": "脐橙"}}, op
    )

    assert body["data"]["productUpdate"]["product"]["version"] == 1
    assert await db.scalar("SELECT count(*) FROM setup_changes") == 0


async def test_a_warehouse_moved_by_gcj02_coordinates_is_stored_in_wgs84(db, gql):
    operator, op = await db.user(Role.OPERATOR)
    warehouse = encode("Warehouse", await make_warehouse(db, operator, name="望城仓"))
    target = LatLon(28.36, 112.83)
    gcj = from_wgs84(target, CoordSystem.GCJ02)

    body = await gql(
        WAREHOUSE_UPDATE,
        {
            "input": {
                "id": warehouse,
                "expectedVersion": 1,
                "name": "望城中心仓",
                "address": "长沙市望城区金星北路",
                "location": {"lat": gcj.lat, "lon": gcj.lon, "system": "GCJ02"},
            }
        },
        token=op,
    )

    assert errors(body, "warehouseUpdate") == []
    moved = body["data"]["warehouseUpdate"]["warehouse"]
    assert moved["name"] == "望城中心仓"
    assert moved["location"] == {
        "lat": pytest.approx(target.lat, abs=1e-6),
        "lon": pytest.approx(target.lon, abs=1e-6),
    }
    assert moved["version"] == 2
    history = await gql(HISTORY, {"id": warehouse}, token=op)
    fields = {c["field"] for c in history["data"]["setupHistory"]["nodes"][0]["changes"]}
    assert fields == {"name", "address", "lat", "lon"}


async def test_a_warehouse_with_a_new_address_is_geocoded_again(db):
    operator, op = await db.user(Role.OPERATOR)
    warehouse = encode("Warehouse", await make_warehouse(db, operator))

    with nominatim_stand_in() as server:
        async with app_client(db.url, **server.settings) as gql:
            same = await gql(
                WAREHOUSE_UPDATE,
                {"input": {"id": warehouse, "expectedVersion": 1, "address": "长沙市"}},
                token=op,
            )
            moved = await gql(
                WAREHOUSE_UPDATE,
                {"input": {"id": warehouse, "expectedVersion": 1, "address": "长沙市岳麓区"}},
                token=op,
            )

    # The unchanged address was not looked up; the new one was.
    assert server.queries == ["长沙市岳麓区"]
    assert same["data"]["warehouseUpdate"]["warehouse"]["version"] == 1
    assert errors(moved, "warehouseUpdate") == []
    assert moved["data"]["warehouseUpdate"]["warehouse"]["location"] == {
        "lat": pytest.approx(FOUND_LAT),
        "lon": pytest.approx(FOUND_LON),
    }


async def test_warehouse_names_stay_unique(db, gql):
    operator, op = await db.user(Role.OPERATOR)
    await make_warehouse(db, operator, name="一号仓")
    second = encode("Warehouse", await make_warehouse(db, operator, name="二号仓"))

    body = await gql(
        WAREHOUSE_UPDATE, {"input": {"id": second, "expectedVersion": 1, "name": "一号仓"}}, op
    )

    assert errors(body, "warehouseUpdate") == [(["name"], "DUPLICATE_NAME")]
    assert await db.scalar("SELECT count(*) FROM warehouses WHERE name = '二号仓'") == 1


async def test_edits_are_audited_with_their_input(db, gql):
    _, op = await db.user(Role.OPERATOR)
    product = encode("Product", await make_product(db))

    await gql(PRODUCT_UPDATE, {"input": {"id": product, "expectedVersion": 1, "unit": "箱"}}, op)

    assert await db.scalar("SELECT action FROM audit_events") == "productUpdate"


async def waiting_on_a_lock(pg: Any) -> None:
    """Until some session waits on a row lock."""
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    for _ in range(2000):
        if await pg.scalar(waiting):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second edit never waited for the first")


async def test_of_two_overlapping_edits_one_wins_and_the_other_is_stale(pg):
    operator, _ = await pg.user(Role.OPERATOR)
    product_id = await make_product(pg)

    async def edit(session: Any, name: str) -> None:
        await update_product(
            session,
            product_id,
            ProductChanges(name=name),
            expected_version=1,
            actor_id=operator.id,
            now=utcnow(),
        )

    async def second() -> str:
        try:
            async with unit_of_work(pg.sessions) as session:
                await edit(session, "乙")
        except DomainError as exc:
            return str(exc.code.value)
        return "OK"

    async with unit_of_work(pg.sessions) as session:
        await edit(session, "甲")
        # The second edit, made from the same version, waits on the row lock
        # while the first is still open.
        loser = asyncio.create_task(second())
        await waiting_on_a_lock(pg)

    assert await loser == "STALE"
    assert await pg.scalar("SELECT name FROM products") == "甲"
    assert await pg.scalar("SELECT version FROM products") == 2
    assert await pg.scalar("SELECT count(*) FROM setup_changes") == 1
