"""The inbox through GraphQL, on both databases: ``viewer.notifications``
(newest first, keyset pages, unreadOnly, page bounds refused like every
list), ``viewer.unreadNotifications``, and ``notificationMarkRead`` (own
ids or all; someone else's or a malformed id is a user error and marks
nothing)."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from kernel.db import unit_of_work
from kernel.notifications import notify
from tests.conftest import TestDB, error_codes

INBOX = """
query($first: Int, $after: String, $unread: Boolean) { viewer {
  unreadNotifications
  notifications(first: $first, after: $after, unreadOnly: $unread) {
    nodes { id kind title body data createdAt readAt }
    pageInfo { hasNextPage endCursor }
  }
} }
"""

MARK = """
mutation($input: NotificationMarkReadInput!) { notificationMarkRead(input: $input) {
  marked unreadNotifications userErrors { field code message }
} }
"""


async def _told(db: TestDB, user_id: int, count: int) -> None:
    async with unit_of_work(db.sessions) as session:
        for n in range(count):
            await notify(
                session,
                user_ids=[user_id],
                kind="refund.succeeded",
                title=f"退款已到账 {n}",
                body="订单的退款已原路退回。",
                data={"order_id": n},
            )


def _inbox(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    viewer: dict[str, Any] = body["data"]["viewer"]
    return viewer


async def test_a_user_pages_through_their_inbox_and_marks_it_read(db: TestDB, gql: Any) -> None:
    ann, ann_token = await db.user(Role.CUSTOMER)
    ben, ben_token = await db.user(Role.LEADER)
    await _told(db, ann.id, 3)
    await _told(db, ben.id, 1)

    first = _inbox(await gql(INBOX, {"first": 2}, token=ann_token))
    assert first["unreadNotifications"] == 3
    page = first["notifications"]
    assert [n["title"] for n in page["nodes"]] == ["退款已到账 2", "退款已到账 1"]
    assert page["nodes"][0]["kind"] == "refund.succeeded"
    assert page["nodes"][0]["data"] == {"order_id": 2} and page["nodes"][0]["readAt"] is None
    assert page["pageInfo"]["hasNextPage"] is True
    rest = _inbox(
        await gql(INBOX, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=ann_token)
    )
    assert [n["title"] for n in rest["notifications"]["nodes"]] == ["退款已到账 0"]
    assert rest["notifications"]["pageInfo"]["hasNextPage"] is False

    newest = page["nodes"][0]["id"]
    marked = (await gql(MARK, {"input": {"ids": [newest]}}, token=ann_token))["data"]
    assert marked["notificationMarkRead"] == {
        "marked": 1,
        "unreadNotifications": 2,
        "userErrors": [],
    }
    unread = _inbox(await gql(INBOX, {"unread": True}, token=ann_token))["notifications"]
    assert [n["title"] for n in unread["nodes"]] == ["退款已到账 1", "退款已到账 0"]

    # Ben's own inbox is his alone; "all" marks his one.
    bens = _inbox(await gql(INBOX, {}, token=ben_token))
    assert bens["unreadNotifications"] == 1 and len(bens["notifications"]["nodes"]) == 1
    all_read = (await gql(MARK, {"input": {"all": True}}, token=ben_token))["data"]
    assert all_read["notificationMarkRead"]["marked"] == 1
    assert _inbox(await gql(INBOX, {}, token=ann_token))["unreadNotifications"] == 2


async def test_someone_elses_or_a_malformed_id_marks_nothing(db: TestDB, gql: Any) -> None:
    ann, ann_token = await db.user(Role.CUSTOMER)
    ben, _ = await db.user(Role.CUSTOMER)
    await _told(db, ann.id, 1)
    await _told(db, ben.id, 1)
    mine = int(await db.scalar("SELECT id FROM notifications WHERE user_id = :u", u=ann.id))
    bens = int(await db.scalar("SELECT id FROM notifications WHERE user_id = :u", u=ben.id))
    refusals = [
        ({"ids": [encode("Notification", mine), encode("Notification", bens)]}, "NOT_FOUND"),
        ({"ids": [encode("Notification", 999_999)]}, "NOT_FOUND"),
        ({"ids": ["not-an-id"]}, "INVALID_ID"),
        ({"ids": [encode("Order", mine)]}, "INVALID_ID"),
        ({}, "REQUIRED"),
        ({"ids": [encode("Notification", mine)], "all": True}, "REQUIRED"),
    ]
    for given, code in refusals:
        body = (await gql(MARK, {"input": given}, token=ann_token))["data"]["notificationMarkRead"]
        assert [e["code"] for e in body["userErrors"]] == [code], (given, body)
        assert body["marked"] == 0 and body["unreadNotifications"] is None
    assert await db.scalar("SELECT count(*) FROM notifications WHERE read_at IS NOT NULL") == 0


async def test_page_bounds_and_sign_in_are_checked(db: TestDB, gql: Any) -> None:
    ann, ann_token = await db.user(Role.CUSTOMER)
    await _told(db, ann.id, 1)
    for first in (0, 101, -1):
        body = await gql(INBOX, {"first": first}, token=ann_token)
        assert error_codes(body) == ["BAD_USER_INPUT"], (first, body)
    body = await gql(INBOX, {"after": "bm90LWEtY3Vyc29y"}, token=ann_token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (await gql(INBOX, {}))["data"] == {"viewer": None}
    refused = await gql(MARK, {"input": {"all": True}})
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert await db.scalar("SELECT count(*) FROM notifications WHERE read_at IS NULL") == 1
