"""The audit log (issue 17): every change staff make through the API is
recorded with who, what, which object, when and the request's id, in the
change's own transaction; refused changes and customers' own orders are not;
operators list it by actor, object, action and time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from api.graphql.ids import encode
from api.http.app import create_app
from kernel.accounts import Role
from kernel.audit import REDACTED, redact
from kernel.clock import utcnow
from tests import conftest
from tests.api.test_pagination import apply_for_leaders, decide
from tests.conftest import GraphQLClient, TestDB, error_codes

CREATE = """mutation($name: String!, $phone: String!) {
  userCreate(input: {name: $name, role: DRIVER, phone: $phone}) {
    user { id } userErrors { code } } }"""
DISABLE = """mutation($id: ID!) { userDisable(input: {id: $id}) { userErrors { code } } }"""
EVENTS = """query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    nodes { action actorRole actor { id name } objectId objectType requestId input at }
    pageInfo { hasNextPage endCursor } } }"""


async def _post(
    gql: GraphQLClient, query: str, variables: dict[str, Any], token: str, request_id: str
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
    return await gql.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def _events(gql: GraphQLClient, token: str, **filter: Any) -> list[dict[str, Any]]:
    body = await gql(EVENTS, {"filter": filter or None, "first": 100}, token=token)
    assert "errors" not in body, body
    nodes: list[dict[str, Any]] = body["data"]["auditEvents"]["nodes"]
    return nodes


async def test_a_staff_change_is_recorded_with_actor_object_and_request_id(
    db: TestDB, gql: GraphQLClient
) -> None:
    operator, token = await db.user(Role.OPERATOR)
    before = utcnow()
    sent = await _post(
        gql, CREATE, {"name": "王司机", "phone": "13900003333"}, token, "req-create-1"
    )
    assert sent.headers["X-Request-ID"] == "req-create-1"
    driver_id = sent.json()["data"]["userCreate"]["user"]["id"]
    await _post(gql, DISABLE, {"id": driver_id}, token, "req-disable-1")

    events = await _events(gql, token)
    assert [e["action"] for e in events] == ["userDisable", "userCreate"]  # newest first
    disabled, created = events
    assert created["objectId"] == driver_id and created["objectType"] == "User"
    assert created["requestId"] == "req-create-1"
    assert created["actorRole"] == "OPERATOR" and created["actor"]["name"] == operator.name
    assert created["input"] == {
        "input": {
            "name": "王司机",
            "role": "driver",
            "phone": "13900003333",
            "supplierId": None,
            "gridId": None,
        }
    }
    assert disabled["objectId"] == driver_id and disabled["requestId"] == "req-disable-1"
    at = created["at"]
    assert before - timedelta(seconds=5) <= _parse(at) <= utcnow() + timedelta(seconds=5)


async def test_refused_changes_leave_no_event(db: TestDB, gql: GraphQLClient) -> None:
    _, token = await db.user(Role.OPERATOR)
    # A user error from the domain (the phone is taken) rolls the event back
    # with the change; a value refused at the edge never reaches a transaction.
    assert (await gql(CREATE, {"name": "甲", "phone": "13900004444"}, token=token))["data"]
    taken = await gql(CREATE, {"name": "乙", "phone": "13900004444"}, token=token)
    assert taken["data"]["userCreate"]["userErrors"]
    too_long = await gql(CREATE, {"name": "丙" * 101, "phone": "13900005555"}, token=token)
    assert too_long["data"]["userCreate"]["userErrors"][0]["code"] == "TOO_LONG"
    assert [e["action"] for e in await _events(gql, token)] == ["userCreate"]


async def test_customers_are_not_audited_but_the_operator_deciding_is(
    db: TestDB, gql: GraphQLClient
) -> None:
    _, token = await db.user(Role.OPERATOR)
    [leader_id] = await apply_for_leaders(db, gql, 1)  # a customer's application
    await decide(gql, "approve", [leader_id], token)
    events = await _events(gql, token)
    assert [(e["action"], e["actorRole"]) for e in events] == [("leaderApprove", "OPERATOR")]
    assert events[0]["objectId"] == leader_id


async def test_filters_by_actor_object_action_and_time(db: TestDB, gql: GraphQLClient) -> None:
    first_op, first = await db.user(Role.OPERATOR)
    _, second = await db.user(Role.OPERATOR)
    one = await gql(CREATE, {"name": "甲", "phone": "13900006666"}, token=first)
    two = await gql(CREATE, {"name": "乙", "phone": "13900007777"}, token=second)
    one_id = one["data"]["userCreate"]["user"]["id"]
    two_id = two["data"]["userCreate"]["user"]["id"]
    await gql(DISABLE, {"id": one_id}, token=second)

    by_first = await _events(gql, second, actorId=_user_gid(first_op.id))
    assert [e["objectId"] for e in by_first] == [one_id]
    about_one = await _events(gql, first, objectId=one_id)
    assert [e["action"] for e in about_one] == ["userDisable", "userCreate"]
    assert [e["objectId"] for e in await _events(gql, first, action="userCreate")] == [
        two_id,
        one_id,
    ]
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert await _events(gql, first, since=later) == []
    assert len(await _events(gql, first, until=later)) == 3


async def test_pages_walk_back_in_time(db: TestDB, gql: GraphQLClient) -> None:
    _, token = await db.user(Role.OPERATOR)
    for n in range(3):
        await gql(CREATE, {"name": f"司机{n}", "phone": f"1390000800{n}"}, token=token)
    seen: list[str] = []
    after = None
    while True:
        body = await gql(EVENTS, {"first": 2, "after": after}, token=token)
        page = body["data"]["auditEvents"]
        seen += [e["input"]["input"]["name"] for e in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["司机2", "司机1", "司机0"]


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.DRIVER, Role.LEADER, Role.CUSTOMER])
async def test_only_operators_read_the_log(db: TestDB, gql: GraphQLClient, role: Role) -> None:
    _, token = await db.user(role)
    assert error_codes(await gql(EVENTS, {}, token=token)) == ["FORBIDDEN"]


async def test_malformed_filters_are_bad_input(db: TestDB, gql: GraphQLClient) -> None:
    _, token = await db.user(Role.OPERATOR)
    for filter in ({"objectId": "nope"}, {"actorId": _user_gid(0)}):
        body = await gql(EVENTS, {"filter": filter}, token=token)
        assert error_codes(body) == ["BAD_USER_INPUT"], body


async def test_a_request_id_from_an_untrusted_client_is_replaced(db: TestDB) -> None:
    app = create_app(conftest.test_settings(db.url, trusted_proxies=[]))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            forged = await http.get("/healthz", headers={"X-Request-ID": "someone-else"})
            fresh = await http.get("/healthz")
    assert forged.headers["X-Request-ID"] not in ("", "someone-else")
    assert fresh.headers["X-Request-ID"] != forged.headers["X-Request-ID"]


def test_secrets_never_reach_the_log() -> None:
    cleaned = redact({"input": {"code": "123456", "items": [{"refreshToken": "t", "n": 1}]}})
    assert cleaned == {"input": {"code": REDACTED, "items": [{"refreshToken": REDACTED, "n": 1}]}}


def _user_gid(db_id: int) -> str:
    return encode("User", db_id)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
