"""The operator's webhook console: ``webhookDeliveries`` (newest first, by
topic and status, never the secret nor the query string) and a dead
delivery replayed to a real local receiver by the outbox job (inline on
SQLite, a real ``tuangou worker`` on PostgreSQL); who may do it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from api.graphql.ids import encode
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.outbox import MAX_ATTEMPTS, OutboxMessage, OutboxStatus
from tests.api.test_job_console import runner  # noqa: F401  (the fixture)
from tests.conftest import TestDB, error_codes
from tests.kernel.test_webhooks import receiver

DELIVERIES = """
query($first: Int, $after: String, $topic: String, $status: WebhookDeliveryStatus) {
  webhookDeliveries(first: $first, after: $after, topic: $topic, status: $status) {
    nodes { id topic url status attempts lastError nextAttemptAt createdAt deliveredAt
            requestId }
    pageInfo { hasNextPage endCursor }
  }
}
"""


REPLAY = """
mutation($id: ID!) { webhookDeliveryReplay(input: {id: $id}) {
  delivery { id status attempts lastError } userErrors { code field message } } }
"""


async def message(
    db: TestDB, url: str, status: OutboxStatus, topic: str = "purchase_order.published"
) -> int:
    """An outbox row as the delivery job leaves it: dead (FAILED after every
    attempt) or DELIVERED; never PENDING, so no periodic run touches it."""
    dead = status is OutboxStatus.FAILED
    async with unit_of_work(db.sessions) as session:
        row = OutboxMessage(
            topic=topic,
            url=url,
            secret="s3cret-never-shown",
            payload={"n": 1},
            status=status,
            attempts=MAX_ATTEMPTS if dead else 1,
            next_attempt_at=utcnow(),
            last_error="HTTP 500" if dead else None,
            request_id="req-hook-1",
            delivered_at=None if dead else utcnow(),
        )
        session.add(row)
        await session.flush()
        return row.id


async def deliveries(gql: Any, token: str, **variables: Any) -> dict[str, Any]:
    body = await gql(DELIVERIES, variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["webhookDeliveries"]
    return result


async def test_a_dead_delivery_is_listed_and_replayed_to_the_receiver(db, gql, runner):  # noqa: F811
    _, token = await db.user(Role.OPERATOR)
    with receiver() as hook:
        delivered = await message(db, hook.url, OutboxStatus.DELIVERED)
        dead = await message(
            db, f"http://user:pw@127.0.0.1:{hook.port}/hooks/po?token=abc#x", OutboxStatus.FAILED
        )

        (listed,) = (await deliveries(gql, token, status="FAILED"))["nodes"]
        assert listed["id"] == encode("OutboxMessage", dead)
        assert listed["url"] == hook.url  # no credentials, query string or fragment
        assert (listed["status"], listed["attempts"]) == ("FAILED", MAX_ATTEMPTS)
        assert (listed["lastError"], listed["requestId"]) == ("HTTP 500", "req-hook-1")
        assert listed["deliveredAt"] is None
        every = (await deliveries(gql, token))["nodes"]
        assert [d["id"] for d in every] == [encode("OutboxMessage", i) for i in (dead, delivered)]
        assert "secret" not in str(every).lower() and "s3cret" not in str(every)

        body = await gql(REPLAY, {"id": listed["id"]}, token=token)
        replayed = body["data"]["webhookDeliveryReplay"]
        assert replayed["userErrors"] == []
        assert replayed["delivery"]["status"] == "PENDING"
        assert replayed["delivery"]["attempts"] == 0

        deadline = time.monotonic() + 20
        while not hook.received:
            assert time.monotonic() < deadline, "the replayed delivery was never sent"
            if runner is not None:
                runner.check_alive()
            await asyncio.sleep(0.05)
        for _ in range(200):
            (row,) = (await deliveries(gql, token, status="DELIVERED", first=1))["nodes"]
            if row["id"] == listed["id"]:
                break
            await asyncio.sleep(0.05)
        assert row["id"] == listed["id"]
        assert (row["attempts"], row["lastError"]) == (1, None)
        assert row["deliveredAt"] is not None
        ((headers, _),) = hook.received
        assert headers["X-Request-ID"] == "req-hook-1"

        again = (await gql(REPLAY, {"id": listed["id"]}, token=token))["data"]
        assert again["webhookDeliveryReplay"]["delivery"] is None
        (error,) = again["webhookDeliveryReplay"]["userErrors"]
        assert (error["code"], error["field"]) == ("DELIVERY_NOT_FAILED", ["id"])


async def test_the_list_pages_newest_first_by_topic_and_status(db, gql):
    _, token = await db.user(Role.OPERATOR)
    url = "http://127.0.0.1:9/hook"
    ids = [
        await message(db, url, OutboxStatus.DELIVERED, topic="a"),
        await message(db, url, OutboxStatus.FAILED, topic="b"),
        await message(db, url, OutboxStatus.DELIVERED, topic="a"),
    ]
    gids = [encode("OutboxMessage", i) for i in reversed(ids)]
    page = await deliveries(gql, token, first=2)
    assert [d["id"] for d in page["nodes"]] == gids[:2]
    assert page["pageInfo"]["hasNextPage"]
    rest = await deliveries(gql, token, first=2, after=page["pageInfo"]["endCursor"])
    assert [d["id"] for d in rest["nodes"]] == gids[2:]
    assert not rest["pageInfo"]["hasNextPage"]
    topic_a = await deliveries(gql, token, topic="a")
    assert [d["id"] for d in topic_a["nodes"]] == [gids[0], gids[2]]
    assert (await deliveries(gql, token, topic="a", status="FAILED"))["nodes"] == []
    assert (await deliveries(gql, token, status="PENDING"))["nodes"] == []


async def test_delivered_deliveries_are_not_replayed(db, gql):
    _, token = await db.user(Role.OPERATOR)
    sent = await message(db, "http://127.0.0.1:9/hook", OutboxStatus.DELIVERED)
    body = await gql(REPLAY, {"id": encode("OutboxMessage", sent)}, token=token)
    assert body["data"]["webhookDeliveryReplay"]["userErrors"][0]["code"] == "DELIVERY_NOT_FAILED"
    assert await db.scalar("SELECT status FROM outbox_messages") == "delivered"


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.DISPATCHER, Role.SUPPLIER])
async def test_only_operators_see_and_replay_deliveries(db, gql, role):
    dead = encode("OutboxMessage", await message(db, "http://127.0.0.1:9/h", OutboxStatus.FAILED))
    _, token = await db.user(role)
    for document, variables in ((DELIVERIES, {}), (REPLAY, {"id": dead})):
        assert error_codes(await gql(document, variables, token=token)) == ["FORBIDDEN"]
        assert error_codes(await gql(document, variables)) == ["UNAUTHENTICATED"]
    assert await db.scalar("SELECT status FROM outbox_messages") == "failed"


async def test_malformed_and_unknown_ids_are_refused(db, gql):
    _, token = await db.user(Role.OPERATOR)
    for bad, code in (
        ("nope", "INVALID_ID"),
        (encode("Job", 1), "INVALID_ID"),
        (encode("OutboxMessage", 999_999), "NOT_FOUND"),
    ):
        body = await gql(REPLAY, {"id": bad}, token=token)
        assert body["data"]["webhookDeliveryReplay"]["userErrors"][0]["code"] == code, body
    for variables in ({"first": 0}, {"after": "garbage"}):
        assert error_codes(await gql(DELIVERIES, variables, token=token)) == ["BAD_USER_INPUT"]
    secret = "{ webhookDeliveries { nodes { secret } } }"
    body = await gql(secret, token=token)
    assert body["data"] is None
    assert "Cannot query field 'secret'" in body["errors"][0]["message"]
