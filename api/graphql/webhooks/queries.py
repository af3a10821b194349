"""``webhookDeliveries``: the outbox for operators, newest first."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.pagination import Connection, paginate
from api.graphql.webhooks.types import WebhookDeliveryStatus, WebhookDeliveryType
from kernel.accounts import Role
from kernel.outbox import OutboxStatus, list_deliveries


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="Webhooks the platform sent or is sending, newest first (operators)."
    )
    async def webhook_deliveries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        topic: str | None = None,
        status: WebhookDeliveryStatus | None = None,  # type: ignore[valid-type]
    ) -> Connection[WebhookDeliveryType]:
        info.context.require(Role.OPERATOR)
        wanted = None if status is None else OutboxStatus(status)
        return await paginate(
            info,
            first,
            after,
            lambda before_id, limit: list_deliveries(
                info.context.session, topic, wanted, before_id, limit
            ),
            WebhookDeliveryType.of,
        )
