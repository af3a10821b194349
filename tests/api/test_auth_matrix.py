"""Who may do what: every role against every guarded operation, what a viewer
may see of other people's objects, and how malformed IDs and oversized
queries are refused."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from kernel.accounts import Role
from tests.conftest import error_codes

PAYLOAD_FIELDS = "userErrors { field code message }"


LEADER_PAYLOAD = f"leader {{ id status }} {PAYLOAD_FIELDS}"


APPLY = f"""
mutation($input: LeaderApplyInput!) {{ leaderApply(input: $input) {{ {LEADER_PAYLOAD} }} }}
"""


APPROVE = f"""
mutation($id: ID!) {{ leaderApprove(input: {{id: $id}}) {{ {LEADER_PAYLOAD} }} }}
"""


REJECT = f"""
mutation($id: ID!) {{
  leaderReject(input: {{id: $id, reason: "too far"}}) {{ {LEADER_PAYLOAD} }}
}}
"""


SUSPEND = f"""
mutation($id: ID!) {{
  leaderSuspend(input: {{id: $id, reason: "complaints"}}) {{ {LEADER_PAYLOAD} }}
}}
"""


REINSTATE = f"""
mutation($id: ID!) {{ leaderReinstate(input: {{id: $id}}) {{ {LEADER_PAYLOAD} }} }}
"""


WAREHOUSE_CREATE = f"""
mutation($input: WarehouseCreateInput!) {{
  warehouseCreate(input: $input) {{ warehouse {{ id name }} {PAYLOAD_FIELDS} }}
}}
"""


PING_START = f"""
mutation {{ diagnosticsPingStart(input: {{message: "hi"}}) {{ job {{ id }} {PAYLOAD_FIELDS} }} }}
"""


LEADERS = "{ leaders { edges { node { id status } } } }"


PICKUP_POINTS = "{ pickupPoints { edges { node { id name } } } }"


WAREHOUSES = "{ warehouses { edges { node { id name } } } }"


JOB = "query($id: ID!) { job(id: $id) { id kind } }"


NODE = """
query($id: ID!) {
  node(id: $id) {
    id
    ... on Leader { status }
    ... on PickupPoint { name orderable }
    ... on Job { kind }
  }
}
"""


def gid(type_name: str, db_id: int | str) -> str:
    """A Relay global ID, as the API hands them out."""
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


def pickup_point_input(name: str | None = None) -> dict[str, Any]:
    return {
        "pickupPoint": {
            "name": name or f"自提点-{uuid.uuid4().hex[:6]}",
            "address": "长沙市岳麓区麓山南路 1 号",
            "contactPhone": "13800138000",
            "receivingWindow": {"start": "07:00:00", "end": "11:00:00"},
            "location": {"lat": 28.2, "lon": 112.9},
        }
    }


def warehouse_input() -> dict[str, Any]:
    return {
        "name": f"仓库-{uuid.uuid4().hex[:6]}",
        "address": "长沙市雨花区",
        "location": {"lat": 28.1, "lon": 113.0},
    }


async def apply_as(gql: Any, token: str) -> str:
    """Apply to lead as the customer behind ``token``; the Leader's global ID."""
    body = await gql(APPLY, {"input": pickup_point_input()}, token=token)
    payload = body["data"]["leaderApply"]
    assert payload["userErrors"] == [], body
    leader_id: str = payload["leader"]["id"]
    return leader_id


async def decide(gql: Any, document: str, leader_id: str, operator: str) -> None:
    body = await gql(document, {"id": leader_id}, token=operator)
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [], body


async def pending_application(db: Any, gql: Any) -> tuple[str, str]:
    """(customer token, Leader global ID) of a fresh, pending application."""
    _, token = await db.user(Role.CUSTOMER)
    return token, await apply_as(gql, token)


async def approved_leader(db: Any, gql: Any, operator: str) -> tuple[str, str]:
    """(token, Leader global ID) of a customer whose application was approved."""
    token, leader_id = await pending_application(db, gql)
    await decide(gql, APPROVE, leader_id, operator)
    return token, leader_id


async def suspended_leader(db: Any, gql: Any, operator: str) -> tuple[str, str]:
    token, leader_id = await approved_leader(db, gql, operator)
    await decide(gql, SUSPEND, leader_id, operator)
    return token, leader_id


async def pickup_point_of(gql: Any, leader_id: str, operator: str) -> str:
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on Leader { pickupPoint { id } } } }",
        {"id": leader_id},
        token=operator,
    )
    point_id: str = body["data"]["node"]["pickupPoint"]["id"]
    return point_id


async def leader_status(db: Any, leader_id: str) -> str:
    db_id = int(base64.b64decode(leader_id).decode().split(":")[1])
    status: str = await db.scalar("SELECT status FROM leaders WHERE id = :id", id=db_id)
    return status


async def start_job(gql: Any, operator: str) -> str:
    body = await gql(PING_START, token=operator)
    payload = body["data"]["diagnosticsPingStart"]
    assert payload["userErrors"] == [], body
    job_id: str = payload["job"]["id"]
    return job_id


async def raw_post(gql: Any, query: str, variables: dict[str, Any], token: str) -> bytes:
    """The response body exactly as it went over the wire."""
    response = await gql.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    content: bytes = response.content
    return content


ROLES = ["anonymous", "operator", "leader", "supplier", "dispatcher", "customer"]


SIGNED_IN = frozenset(ROLES) - {"anonymous"}


# Prepares an operation on fresh data, given (db, gql, operator token): the
# document, its variables, and an SQL probe of the state it would change.
Prepare = Callable[[Any, Any, str], Awaitable[tuple[str, dict[str, Any], str | None]]]


@dataclass
class Op:
    """One guarded operation: how to prepare it, the document and variables,
    and a probe of the database state it would change (to check a refused
    call changed nothing)."""

    field: str
    allowed: frozenset[str]
    prepare: Prepare
    # job(id) answers null to a viewer who may not see that job: not an error.
    nullable: bool = False

    def __repr__(self) -> str:
        return self.field


async def _warehouse_create(
    db: Any, gql: Any, operator: str
) -> tuple[str, dict[str, Any], str | None]:
    return WAREHOUSE_CREATE, {"input": warehouse_input()}, "SELECT count(*) FROM warehouses"


async def _leader_apply(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
    return APPLY, {"input": pickup_point_input()}, "SELECT count(*) FROM leaders"


def _decision(
    document: str, setup: Callable[[Any, Any, str], Awaitable[tuple[str, str]]]
) -> Prepare:
    async def prepare(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
        _, leader_id = await setup(db, gql, operator)
        db_id = int(base64.b64decode(leader_id).decode().split(":")[1])
        return document, {"id": leader_id}, f"SELECT status FROM leaders WHERE id = {db_id}"

    return prepare


async def _pending(db: Any, gql: Any, operator: str) -> tuple[str, str]:
    return await pending_application(db, gql)


async def _ping_start(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
    return PING_START, {}, "SELECT count(*) FROM jobs WHERE kind = 'diagnostics.ping'"


def _query(document: str) -> Prepare:
    async def prepare(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
        return document, {}, None

    return prepare


async def _job(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
    return JOB, {"id": await start_job(gql, operator)}, None


OPERATOR_ONLY = frozenset({"operator"})


OPS = [
    Op("warehouseCreate", OPERATOR_ONLY, _warehouse_create),
    Op("leaderApply", frozenset({"customer"}), _leader_apply),
    Op("leaderApprove", OPERATOR_ONLY, _decision(APPROVE, _pending)),
    Op("leaderReject", OPERATOR_ONLY, _decision(REJECT, _pending)),
    Op("leaderSuspend", OPERATOR_ONLY, _decision(SUSPEND, approved_leader)),
    Op("leaderReinstate", OPERATOR_ONLY, _decision(REINSTATE, suspended_leader)),
    Op("diagnosticsPingStart", OPERATOR_ONLY, _ping_start),
    Op("leaders", OPERATOR_ONLY, _query(LEADERS)),
    Op("pickupPoints", frozenset({"operator", "dispatcher", "customer"}), _query(PICKUP_POINTS)),
    Op("warehouses", frozenset({"operator", "dispatcher", "supplier"}), _query(WAREHOUSES)),
    Op("job", SIGNED_IN, _job, nullable=True),
]


async def token_for(role: str, db: Any, gql: Any, operator: str) -> str | None:
    if role == "anonymous":
        return None
    if role == "operator":
        return operator
    if role == "leader":
        token, _ = await approved_leader(db, gql, operator)
        body = await gql("{ viewer { role } }", token=token)
        assert body["data"]["viewer"]["role"] == "LEADER"
        return token
    _, token = await db.user(Role[role.upper()])
    return str(token)


def expected(role: str, op: Op) -> str:
    if role == "anonymous":
        return "UNAUTHENTICATED"
    return "ok" if role in op.allowed else "FORBIDDEN"


async def attempt(db: Any, gql: Any, role: str, op: Op) -> str:
    """Run ``op`` as ``role`` on fresh data; what happened, in one word (or a
    description of what went wrong)."""
    _, operator = await db.user(Role.OPERATOR)
    actor = await token_for(role, db, gql, operator)
    document, variables, probe = await op.prepare(db, gql, operator)
    before = await db.scalar(probe) if probe else None

    body = await gql(document, variables, token=actor)

    changed = probe is not None and await db.scalar(probe) != before
    codes = error_codes(body)
    if codes:
        if (body["data"] or {}).get(op.field) is not None:
            return f"{codes} with data {body['data']}"
        refused = " ".join(str(c) for c in codes)
        return f"{refused}, yet the data changed" if changed else refused
    result = body["data"][op.field]
    if result is None and not op.nullable:
        return f"null without an error: {body}"
    if result and result.get("userErrors"):
        return f"userErrors {result['userErrors']}"
    if probe and not changed:
        return "went through but changed nothing"
    return "ok"


@pytest.mark.parametrize("op", OPS, ids=repr)
async def test_role_matrix(db, gql, op: Op) -> None:
    """Each role on its own fresh data: anonymous callers must sign in, other
    roles are refused unless the operation is theirs, and a refused call
    changes nothing."""
    outcomes = {role: await attempt(db, gql, role, op) for role in ROLES}
    assert outcomes == {role: expected(role, op) for role in ROLES}


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


def nested_query(depth: int) -> str:
    """A query nested ``depth`` levels below its top-level field: leaders >
    edges > node, then pickupPoint > leader > pickupPoint > ... down to an id."""
    fields = ["leaders", "edges", "node"]
    while len(fields) < depth:
        fields.append("leader" if fields[-1] == "pickupPoint" else "pickupPoint")
    query = "id"
    for name in reversed(fields):
        query = f"{name} {{ {query} }}"
    return f"{{ {query} }}"


async def test_queries_nested_deeper_than_twelve_levels_are_refused(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)

    body = await gql(nested_query(12), token=operator)
    assert "errors" not in body, body

    body = await gql(nested_query(13), token=operator)
    assert body.get("errors"), body
    assert body.get("data") is None
    assert "depth" in body["errors"][0]["message"]


async def test_queries_with_more_than_thirty_aliases_are_refused(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)

    def aliased(n: int) -> str:
        return "{ " + " ".join(f"a{i}: viewer {{ name }}" for i in range(n)) + " }"

    body = await gql(aliased(30), token=operator)
    assert "errors" not in body, body
    assert len(body["data"]) == 30

    body = await gql(aliased(31), token=operator)
    assert body.get("errors"), body
    assert body.get("data") is None
    assert "alias" in body["errors"][0]["message"].lower()
