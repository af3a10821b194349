"""GraphQL documents and helpers of the authorization tests: leaders applied,
approved or suspended, their pickup points, a job, Relay global IDs, and a
response body exactly as it went over the wire."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from kernel.accounts import Role

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
