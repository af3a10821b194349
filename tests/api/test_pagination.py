"""Keyset connections: page sizes, walking with cursors, refusing forged
cursors, filters, and a constant number of SQL statements per page."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from kernel.accounts import Role
from tests.conftest import error_codes

APPLY = """
mutation($input: LeaderApplyInput!) {
  leaderApply(input: $input) { leader { id } userErrors { field code message } }
}
"""


DECIDE = {
    "approve": "mutation($id: ID!) { leaderApprove(input: {id: $id}) { userErrors { code } } }",
    "reject": """mutation($id: ID!) {
      leaderReject(input: {id: $id, reason: "not here"}) { userErrors { code } }
    }""",
}


LEADERS_PAGE = """
query($first: Int, $after: String, $status: LeaderStatus) {
  leaders(first: $first, after: $after, status: $status) {
    edges { cursor node { id status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


PICKUP_POINTS_PAGE = """
query($first: Int, $after: String) {
  pickupPoints(first: $first, after: $after) {
    edges { node { id leader { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def db_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


async def apply_for_leaders(db: Any, gql: Any, count: int) -> list[str]:
    """``count`` customers apply to lead; their Leader global IDs, oldest first."""
    ids = []
    for _ in range(count):
        _, token = await db.user(Role.CUSTOMER)
        pickup_point = {
            "name": f"自提点-{uuid.uuid4().hex[:6]}",
            "address": "长沙市岳麓区",
            "contactPhone": "13800138000",
            "receivingWindow": {"start": "07:00:00", "end": "11:00:00"},
            "location": {"lat": 28.2, "lon": 112.9},
        }
        body = await gql(APPLY, {"input": {"pickupPoint": pickup_point}}, token=token)
        payload = body["data"]["leaderApply"]
        assert payload["userErrors"] == [], body
        ids.append(payload["leader"]["id"])
    return ids


async def decide(gql: Any, decision: str, leader_ids: list[str], operator: str) -> None:
    for leader_id in leader_ids:
        body = await gql(DECIDE[decision], {"id": leader_id}, token=operator)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert payload["userErrors"] == [], body


async def walk(
    gql: Any, token: str, first: int, *, field: str = "leaders", **filters: Any
) -> list[dict[str, Any]]:
    """Every page of a list, following ``endCursor`` until ``hasNextPage`` is false."""
    document = LEADERS_PAGE if field == "leaders" else PICKUP_POINTS_PAGE
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        body = await gql(document, {"first": first, "after": after, **filters}, token=token)
        assert "errors" not in body, body
        page = body["data"][field]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        assert len(pages) < 50, "the list never ends"
        after = page["pageInfo"]["endCursor"]


async def test_page_sizes_outside_one_to_a_hundred_are_refused(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    await apply_for_leaders(db, gql, 2)

    for first in (0, -1, 101):
        body = await gql(LEADERS_PAGE, {"first": first}, token=operator)
        assert error_codes(body) == ["BAD_USER_INPUT"], (first, body)
        assert body["data"] is None

    body = await gql(LEADERS_PAGE, {"first": 100}, token=operator)
    assert "errors" not in body, body
    assert len(body["data"]["leaders"]["edges"]) == 2
    assert body["data"]["leaders"]["pageInfo"]["hasNextPage"] is False


async def test_walking_pages_returns_every_leader_once_in_id_order(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    created = await apply_for_leaders(db, gql, 25)

    pages = await walk(gql, operator, 10)

    assert [len(p["edges"]) for p in pages] == [10, 10, 5]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    seen = [edge["node"]["id"] for page in pages for edge in page["edges"]]
    assert seen == created
    assert [db_id(i) for i in seen] == sorted(db_id(i) for i in seen)
    for page in pages:
        info, edges = page["pageInfo"], page["edges"]
        assert (info["startCursor"], info["endCursor"]) == (edges[0]["cursor"], edges[-1]["cursor"])

    # The default page is 20.
    body = await gql(LEADERS_PAGE, token=operator)
    assert len(body["data"]["leaders"]["edges"]) == 20


async def test_an_empty_list_has_no_cursors(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    body = await gql(LEADERS_PAGE, {"first": 5}, token=operator)
    assert "errors" not in body
    assert body["data"] == {
        "leaders": {
            "edges": [],
            "pageInfo": {
                "hasNextPage": False,
                "hasPreviousPage": False,
                "startCursor": None,
                "endCursor": None,
            },
        }
    }


async def test_forged_cursors_are_bad_user_input(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    await apply_for_leaders(db, gql, 2)
    forged = [
        "garbage",
        "",
        "%%%",
        b64("k:-1"),
        b64("x:1"),
        b64("k:abc"),
        b64("k:²"),
        b64("k:" + "9" * 30),
        base64.b64encode(b"Leader:1").decode(),
    ]

    for after in forged:
        body = await gql(LEADERS_PAGE, {"first": 5, "after": after}, token=operator)
        assert error_codes(body) == ["BAD_USER_INPUT"], (after, body)
        assert body["data"] is None


async def test_the_status_filter_pages_through_matching_leaders_only(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    created = await apply_for_leaders(db, gql, 7)
    approved, rejected, pending = created[0:6:2], [created[1]], [created[3], created[5]]
    await decide(gql, "approve", approved, operator)
    await decide(gql, "reject", rejected, operator)

    expected = {"APPROVED": approved, "REJECTED": rejected, "PENDING": [*pending, created[6]]}
    for status, ids in expected.items():
        pages = await walk(gql, operator, 2, status=status)
        nodes = [edge["node"] for page in pages for edge in page["edges"]]
        assert [n["id"] for n in nodes] == ids, status
        assert {n["status"] for n in nodes} == {status}

    body = await gql(LEADERS_PAGE, {"status": "SUSPENDED"}, token=operator)
    assert body["data"]["leaders"]["edges"] == []


async def test_customers_page_through_orderable_pickup_points_only(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)
    created = await apply_for_leaders(db, gql, 5)
    await decide(gql, "approve", [created[0], created[2], created[4]], operator)
    _, customer = await db.user(Role.CUSTOMER)

    for token, expected in ((customer, 3), (operator, 5)):
        pages = await walk(gql, token, 2, field="pickupPoints")
        points = [edge["node"]["id"] for page in pages for edge in page["edges"]]
        assert len(points) == len(set(points)) == expected
        assert [db_id(i) for i in points] == sorted(db_id(i) for i in points)
        assert [p["pageInfo"]["hasNextPage"] for p in pages][-1] is False


LEADERS_IN_DEPTH = """
{ leaders(first: 50) { edges { node {
    id status user { name }
    pickupPoint { name location { lat lon } orderable }
} } } }
"""


@contextmanager
def counting_statements(engine: Any) -> Iterator[list[str]]:
    """The SQL statements ``engine`` sends for requests while the block runs.

    Background jobs (the inline queue's periodic runs, started when the app
    starts and every minute) share the engine; their statements are not the
    request's, so they are left out by the name of the task sending them."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name().startswith(("job-", "periodic-jobs")):
            return
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_listing_leaders_costs_the_same_statements_for_3_or_30(db, gql, app_for) -> None:
    _, operator = await db.user(Role.OPERATOR)
    created = await apply_for_leaders(db, gql, 3)
    await decide(gql, "approve", created[:1], operator)
    engine = app_for.state.engine

    with counting_statements(engine) as few:
        body = await gql(LEADERS_IN_DEPTH, token=operator)
    assert "errors" not in body, body
    assert len(body["data"]["leaders"]["edges"]) == 3

    created += await apply_for_leaders(db, gql, 27)
    await decide(gql, "approve", created[10:20], operator)
    with counting_statements(engine) as many:
        body = await gql(LEADERS_IN_DEPTH, token=operator)
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["leaders"]["edges"]]
    assert len(nodes) == 30
    assert all(n["user"]["name"] and n["pickupPoint"]["location"] for n in nodes)
    assert sum(n["pickupPoint"]["orderable"] for n in nodes) == 11

    # Constant, not growing with the page: loaders batch each kind of object
    # into one query (a batch may split in two when it waits for the
    # session, so the exact count can differ by one between runs).
    assert len(few) <= 8, "\n".join(few)
    assert len(many) <= 8, "\n".join(many)
