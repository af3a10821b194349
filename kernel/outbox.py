"""A transactional outbox for webhooks: a message is written in the same
transaction as the change it announces, then delivered by a job, signed,
with retries and backoff. A failing endpoint never blocks the work that
produced the message."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import httpx
from sqlalchemy import JSON, Integer, String, Text, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column, execute_counting, unit_of_work
from kernel.errors import DomainError, NotFound
from kernel.jobs.registry import JobContext, job_handler, periodic
from kernel.jobs.service import JobErrorCode
from kernel.listing import newest_first
from kernel.request_context import current_request_id

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
TIMEOUT_S = 5.0
SIGNATURE_HEADER, TIMESTAMP_HEADER = "X-Tuangou-Signature", "X-Tuangou-Timestamp"


class OutboxStatus(Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The request (or the job) whose work wrote it (kernel/request_context.py).
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp.body``: receivers check it
    and refuse old timestamps, so a captured delivery cannot be replayed."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def publish(
    session: AsyncSession, *, topic: str, url: str, secret: str, payload: dict[str, Any]
) -> None:
    """Queue a webhook in the caller's transaction (sent only if it commits)."""
    session.add(
        OutboxMessage(
            topic=topic,
            url=url,
            secret=secret,
            payload=payload,
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=utcnow(),
            request_id=current_request_id(),
        )
    )


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    retrying: int
    failed: int


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** min(attempts - 1, 6))  # 1, 2, 4 … 64 minutes


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], *, limit: int = 100
) -> DeliveryReport:
    """Send every message that is due, each in its own short transaction."""
    async with unit_of_work(sessions) as session:
        due = list(
            (
                await session.execute(
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        OutboxMessage.next_attempt_at <= utcnow(),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
            ).scalars()
        )
    delivered = retrying = failed = 0
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        for message_id in due:
            outcome = await _deliver_one(sessions, http, message_id)
            delivered += outcome is OutboxStatus.DELIVERED
            failed += outcome is OutboxStatus.FAILED
            retrying += outcome is OutboxStatus.PENDING
    return DeliveryReport(delivered, retrying, failed)


async def _deliver_one(
    sessions: async_sessionmaker[AsyncSession], http: httpx.AsyncClient, message_id: int
) -> OutboxStatus | None:
    async with unit_of_work(sessions) as session:
        # The row lock (skipped if another worker holds it) makes one worker
        # send each message; the HTTP call happens inside that short lock.
        message = (
            await session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
                .with_for_update(skip_locked=True)
            )
        ).scalar_one_or_none()
        if message is None:
            return None
        body = json.dumps(
            {"id": message.id, "topic": message.topic, "data": message.payload},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(time.time()))
        error: str | None = None
        try:
            response = await http.post(
                message.url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: sign(message.secret, timestamp, body),
                    # The receiver's logs can name the request that caused it.
                    **({"X-Request-ID": message.request_id} if message.request_id else {}),
                },
            )
            if response.status_code >= 300:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = message.attempts + 1
        values: dict[str, Any]
        if error is None:
            status, values = OutboxStatus.DELIVERED, {"delivered_at": utcnow(), "last_error": None}
        elif attempts >= MAX_ATTEMPTS:
            status, values = OutboxStatus.FAILED, {"last_error": error}
            log.warning("webhook %s to %s failed for good: %s", message.id, message.url, error)
        else:
            status = OutboxStatus.PENDING
            values = {"last_error": error, "next_attempt_at": utcnow() + _backoff(attempts)}
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(status=status, attempts=attempts, **values)
        )
        return status


DELIVER = "outbox.deliver"
periodic(DELIVER, every_s=60)


@job_handler(DELIVER)
async def deliver(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Send the webhooks that are due (every minute, and whenever asked)."""
    report = await deliver_due(ctx.sessions)
    return {"delivered": report.delivered, "retrying": report.retrying, "failed": report.failed}


async def list_deliveries(
    session: AsyncSession,
    topic: str | None,
    status: OutboxStatus | None,
    before_id: int | None,
    limit: int,
) -> Sequence[OutboxMessage]:
    """Webhook deliveries, newest first, paged by keyset (ids below
    ``before_id``), optionally of one topic and status."""
    stmt = newest_first(
        OutboxMessage,
        OutboxMessage.id,
        before_id,
        limit,
        equal={OutboxMessage.topic: topic, OutboxMessage.status: status},
    )
    return (await session.scalars(stmt)).all()


async def replay_delivery(session: AsyncSession, message_id: int) -> OutboxMessage:
    """A delivery that gave up (FAILED) is sent again: PENDING, its attempts
    reset and due now, for the next outbox run. Its last error stays until a
    send succeeds, to show why it had failed. Anything else is refused
    (DELIVERY_NOT_FAILED); status check and change are one UPDATE, so two
    replays at once queue it once."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .execution_options(populate_existing=True)
    )
    message = (await session.execute(stmt)).scalar_one_or_none()
    if message is None:
        raise NotFound("WebhookDelivery", ["id"])
    replayed = await execute_counting(
        session,
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow()),
    )
    await session.refresh(message)
    if replayed != 1:
        raise DomainError(
            JobErrorCode.DELIVERY_NOT_FAILED,
            f"Only a failed delivery can be sent again; this one is {message.status.value}.",
            ["id"],
        )
    return message
