"""What a viewer may see of other people's objects: another leader's, a
pending pickup point, a job, each hidden exactly as a missing one is."""

from __future__ import annotations

import json

from kernel.accounts import Role
from tests.support.authz import (
    JOB,
    NODE,
    PICKUP_POINTS,
    approved_leader,
    gid,
    pending_application,
    pickup_point_of,
    raw_post,
    start_job,
)


async def test_a_leader_cannot_tell_another_leaders_objects_from_missing_ones(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    me, _ = await approved_leader(db, gql, operator)
    _, their_leader = await approved_leader(db, gql, operator)
    their_point = await pickup_point_of(gql, their_leader, operator)

    for type_name, existing in (("Leader", their_leader), ("PickupPoint", their_point)):
        hidden = await raw_post(gql, NODE, {"id": existing}, me)
        missing = await raw_post(gql, NODE, {"id": gid(type_name, 999999)}, me)
        assert json.loads(hidden)["data"] == {"node": None}
        assert hidden == missing, type_name

    # The operator does see them: the null above is visibility, not absence.
    body = await gql(NODE, {"id": their_point}, token=operator)
    assert body["data"]["node"]["id"] == their_point


async def test_a_leader_reads_their_own_leader_and_pickup_point(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    me, my_leader = await approved_leader(db, gql, operator)
    my_point = await pickup_point_of(gql, my_leader, operator)

    body = await gql(NODE, {"id": my_leader}, token=me)
    assert body["data"] == {"node": {"id": my_leader, "status": "APPROVED"}}
    body = await gql(NODE, {"id": my_point}, token=me)
    assert body["data"]["node"]["id"] == my_point
    assert body["data"]["node"]["orderable"] is True
    body = await gql("{ viewer { leader { id pickupPoint { id } } } }", token=me)
    assert body["data"]["viewer"]["leader"] == {"id": my_leader, "pickupPoint": {"id": my_point}}


async def test_customers_see_approved_pickup_points_only(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    _, approved = await approved_leader(db, gql, operator)
    _, pending = await pending_application(db, gql)
    approved_point = await pickup_point_of(gql, approved, operator)
    pending_point = await pickup_point_of(gql, pending, operator)
    _, customer = await db.user(Role.CUSTOMER)

    body = await gql(NODE, {"id": approved_point}, token=customer)
    assert body["data"]["node"]["id"] == approved_point
    hidden = await raw_post(gql, NODE, {"id": pending_point}, customer)
    missing = await raw_post(gql, NODE, {"id": gid("PickupPoint", 999999)}, customer)
    assert json.loads(hidden)["data"] == {"node": None}
    assert hidden == missing

    listed = await gql(PICKUP_POINTS, token=customer)
    ids = [e["node"]["id"] for e in listed["data"]["pickupPoints"]["edges"]]
    assert ids == [approved_point]

    # The customer may read the point but not the leader behind it.
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on PickupPoint { leader { id } } } }",
        {"id": approved_point},
        token=customer,
    )
    assert body["data"] == {"node": {"leader": None}}


async def test_a_supplier_reads_no_pickup_point(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    _, approved = await approved_leader(db, gql, operator)
    point = await pickup_point_of(gql, approved, operator)
    _, supplier = await db.user(Role.SUPPLIER)

    hidden = await raw_post(gql, NODE, {"id": point}, supplier)
    missing = await raw_post(gql, NODE, {"id": gid("PickupPoint", 999999)}, supplier)
    assert json.loads(hidden)["data"] == {"node": None}
    assert hidden == missing


async def test_jobs_are_visible_to_operators_and_hidden_from_others(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    job_id = await start_job(gql, operator)
    _, other_operator = await db.user(Role.OPERATOR)

    for token in (operator, other_operator):
        body = await gql(NODE, {"id": job_id}, token=token)
        assert body["data"] == {"node": {"id": job_id, "kind": "diagnostics.ping"}}

    for role in (Role.CUSTOMER, Role.SUPPLIER, Role.DISPATCHER):
        _, token = await db.user(role)
        hidden = await raw_post(gql, NODE, {"id": job_id}, token)
        missing = await raw_post(gql, NODE, {"id": gid("Job", 999999)}, token)
        assert json.loads(hidden)["data"] == {"node": None}
        assert hidden == missing
        body = await gql(JOB, {"id": job_id}, token=token)
        assert body["data"] == {"job": None}
