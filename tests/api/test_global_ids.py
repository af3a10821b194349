"""Malformed, forged and wrongly typed global IDs: a user error for a
mutation, a missing object or bad input for node(), and at most a hundred
IDs for nodes()."""

from __future__ import annotations

import base64

from kernel.accounts import Role
from tests.conftest import error_codes
from tests.support.authz import (
    APPROVE,
    NODE,
    WAREHOUSE_CREATE,
    gid,
    leader_status,
    pending_application,
    warehouse_input,
)


async def test_a_garbage_id_is_an_invalid_id_user_error_and_changes_nothing(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    customer, leader_id = await pending_application(db, gql)

    body = await gql(APPROVE, {"id": "garbage"}, token=operator)
    assert "errors" not in body, body
    payload = body["data"]["leaderApprove"]
    assert payload["leader"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID_ID", ["id"])]

    assert await leader_status(db, leader_id) == "pending"
    viewer = await gql("{ viewer { role } }", token=customer)
    assert viewer["data"]["viewer"]["role"] == "CUSTOMER"


async def test_an_id_of_another_type_is_refused_even_when_the_number_matches(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    _, leader_id = await pending_application(db, gql)
    created = await gql(WAREHOUSE_CREATE, {"input": warehouse_input()}, token=operator)
    warehouse_id = created["data"]["warehouseCreate"]["warehouse"]["id"]
    # Both are row 1 of their tables: only the type name tells them apart.
    assert base64.b64decode(warehouse_id).decode() == "Warehouse:1"
    assert base64.b64decode(leader_id).decode() == "Leader:1"

    body = await gql(APPROVE, {"id": warehouse_id}, token=operator)
    assert "errors" not in body, body
    codes = [(e["code"], e["field"]) for e in body["data"]["leaderApprove"]["userErrors"]]
    assert codes == [("INVALID_ID", ["id"])]
    assert await leader_status(db, leader_id) == "pending"


FORGED_LEADER_IDS = ["0", "-1", "1.0", "", " 1", "²", "١", "9" * 30]


async def test_forged_leader_ids_are_invalid_ids(db, gql) -> None:
    """Well-formed global IDs naming no possible leader: a user error for a
    mutation, a missing object for node()."""
    _, operator = await db.user(Role.OPERATOR)
    _, leader_id = await pending_application(db, gql)

    for forged in (gid("Leader", n) for n in FORGED_LEADER_IDS):
        body = await gql(APPROVE, {"id": forged}, token=operator)
        assert "errors" not in body, (forged, body)
        codes = [(e["code"], e["field"]) for e in body["data"]["leaderApprove"]["userErrors"]]
        assert codes == [("INVALID_ID", ["id"])], forged

        body = await gql(NODE, {"id": forged}, token=operator)
        assert "errors" not in body, (forged, body)
        assert body["data"] == {"node": None}, forged

    assert await leader_status(db, leader_id) == "pending"


async def test_node_with_a_malformed_id_is_bad_user_input(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    body = await gql(NODE, {"id": "%%%"}, token=operator)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["data"] == {"node": None}


async def test_nodes_refuses_more_than_a_hundred_ids(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"

    body = await gql(query, {"ids": [gid("Leader", i) for i in range(1, 102)]}, token=operator)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["data"] is None

    body = await gql(query, {"ids": [gid("Leader", i) for i in range(1, 101)]}, token=operator)
    assert "errors" not in body, body
    assert body["data"]["nodes"] == [None] * 100
