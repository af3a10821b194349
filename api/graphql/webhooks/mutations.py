"""webhookDeliveryReplay: a delivery that gave up is sent again."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.jobs.mutations import queue_in_transaction
from api.graphql.webhooks.types import ID_TYPE, WebhookDeliveryType
from kernel.accounts import Role
from kernel.jobs.models import Job
from kernel.jobs.service import enqueue
from kernel.outbox import DELIVER, OutboxMessage, replay_delivery


@strawberry.input
class WebhookDeliveryIdInput:
    id: strawberry.ID


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDeliveryType | None
    user_errors: list[UserError]


async def webhook_delivery_replay(
    info: Info, input: WebhookDeliveryIdInput
) -> WebhookDeliveryPayload:
    """A FAILED delivery goes back to PENDING, attempts reset, due now; an
    outbox run is queued with it so it goes out at once rather than at the
    next minute's run."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> tuple[OutboxMessage, Job]:
        message = await replay_delivery(session, decode(input.id, ID_TYPE, ["id"]))
        job, _ = await enqueue(session, DELIVER, {}, created_by_id=operator.id)
        return message, job

    message, errors = await queue_in_transaction(info, work)
    return WebhookDeliveryPayload(
        delivery=None if message is None else WebhookDeliveryType.of(message),
        user_errors=errors,
    )
