"""Webhook deliveries as operators see them: never the signing secret, and
the address without its query string (receivers put tokens there)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import strawberry

from api.graphql.ids import encode
from kernel.outbox import OutboxMessage, OutboxStatus

WebhookDeliveryStatus = strawberry.enum(
    OutboxStatus,
    name="WebhookDeliveryStatus",
    description="PENDING: to be sent (again); DELIVERED; FAILED: gave up after its attempts.",
)

# The audit log names a replayed delivery by its table's model
# (api/graphql/audit/hook.py): its IDs use that name, so they match.
ID_TYPE = "OutboxMessage"


def public_url(url: str) -> str:
    """``url`` without query string, fragment or credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@strawberry.type(name="WebhookDelivery")
class WebhookDeliveryType:
    id: strawberry.ID
    topic: str
    url: str = strawberry.field(description="The receiver, without its query string.")
    status: WebhookDeliveryStatus  # type: ignore[valid-type]
    attempts: int
    last_error: str | None
    next_attempt_at: datetime = strawberry.field(description="When it is due (while PENDING).")
    created_at: datetime
    delivered_at: datetime | None
    request_id: str | None = strawberry.field(
        description="The X-Request-ID of the request (or job) whose work wrote it."
    )

    @classmethod
    def of(cls, message: OutboxMessage) -> WebhookDeliveryType:
        return cls(
            id=strawberry.ID(encode(ID_TYPE, message.id)),
            topic=message.topic,
            url=public_url(message.url),
            status=message.status,
            attempts=message.attempts,
            last_error=message.last_error,
            next_attempt_at=message.next_attempt_at,
            created_at=message.created_at,
            delivered_at=message.delivered_at,
            request_id=message.request_id,
        )
