"""`tuangou serve --demo`: the seeded city is usable with the printed phones and tokens."""

from __future__ import annotations

from api.demo.seed import PHONES, seed_demo
from kernel.db import unit_of_work
from tests.api.test_sign_in import _sign_in
from tests.conftest import TOKEN_SECRET


async def test_demo_city_gives_every_role_a_working_token(db, gql):
    async with unit_of_work(db.sessions) as session:
        tokens = await seed_demo(session, TOKEN_SECRET, db.settings.zone)
    assert tokens is not None
    assert set(tokens) == {"operator", "dispatcher", "driver", "supplier", "leader", "customer"}
    driver = await gql("{ viewer { role } }", token=tokens["driver"])
    assert driver["data"]["viewer"] == {"role": "DRIVER"}

    leaders = await gql("{ leaders(first: 20) { nodes { status } } }", token=tokens["operator"])
    statuses = sorted(n["status"] for n in leaders["data"]["leaders"]["nodes"])
    assert statuses == ["APPROVED", "APPROVED", "APPROVED", "PENDING", "SUSPENDED"]

    me = await gql("{ viewer { role leader { status } } }", token=tokens["leader"])
    assert me["data"]["viewer"] == {"role": "LEADER", "leader": {"status": "APPROVED"}}

    # Customers only see the pickup points that take orders.
    points = await gql("{ pickupPoints { nodes { id orderable } } }", token=tokens["customer"])
    assert [p["orderable"] for p in points["data"]["pickupPoints"]["nodes"]] == [True] * 3

    warehouses = await gql("{ warehouses { nodes { name } } }", token=tokens["supplier"])
    assert warehouses["data"]["warehouses"]["nodes"] == [{"name": "长沙望城中心仓"}]
    products = await gql("{ products { nodes { name costFen } } }", token=tokens["supplier"])
    assert len(products["data"]["products"]["nodes"]) == 5
    assert all(p["costFen"] > 0 for p in products["data"]["products"]["nodes"])

    # A customer can order at an approved point straight away.
    point_id = points["data"]["pickupPoints"]["nodes"][0]["id"]
    campaign = await gql(
        "query($p: ID!) { openCampaign(pickupPointId: $p) { status items { id remaining } } }",
        {"p": point_id},
        token=tokens["customer"],
    )
    opened = campaign["data"]["openCampaign"]
    assert opened["status"] == "OPEN"
    order = await gql(
        "mutation($p: ID!, $i: ID!) { orderCreate(input: {pickupPointId: $p, "
        'idempotencyKey: "demo-1", lines: [{campaignItemId: $i, quantity: 2}]}) '
        "{ order { totalFen } userErrors { code } } }",
        {"p": point_id, "i": opened["items"][0]["id"]},
        token=tokens["customer"],
    )
    assert order["data"]["orderCreate"] == {"order": {"totalFen": 4580}, "userErrors": []}


async def test_demo_is_not_seeded_twice(db):
    async with unit_of_work(db.sessions) as session:
        assert await seed_demo(session, TOKEN_SECRET, db.settings.zone) is not None
    async with unit_of_work(db.sessions) as session:
        assert await seed_demo(session, TOKEN_SECRET, db.settings.zone) is None
    assert await db.scalar("SELECT count(*) FROM warehouses") == 1


async def test_every_role_signs_in_with_the_printed_phone(db, gql):
    async with unit_of_work(db.sessions) as session:
        await seed_demo(session, TOKEN_SECRET, db.settings.zone)
    for role, phone in PHONES.items():
        signed = await _sign_in(gql, phone)
        assert signed["user"]["role"] == role.upper(), (role, signed)
