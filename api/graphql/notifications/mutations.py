"""``notificationMarkRead``: a user marks their own notifications read."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.transactions import in_transaction
from kernel.clock import utcnow
from kernel.notification_inbox import mark_read, unread_count


@strawberry.input(description="Either ids (up to 100 of your notifications) or all: true.")
class NotificationMarkReadInput:
    ids: list[strawberry.ID] | None = None
    all: bool | None = strawberry.field(default=None, description="Every unread notification.")


@strawberry.type
class NotificationMarkReadPayload:
    marked: int = strawberry.field(default=0, description="How many became read now.")
    unread_notifications: int | None = strawberry.field(
        default=None, description="Your unread count afterwards."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def notification_mark_read(
    info: Info, input: NotificationMarkReadInput
) -> NotificationMarkReadPayload:
    """Mark some (``ids``) or all of the viewer's notifications read. An id
    that is malformed or not the viewer's is a user error, and nothing is
    marked."""
    viewer = info.context.require()

    async def work(session: AsyncSession) -> tuple[int, int]:
        ids = (
            None
            if input.ids is None
            else [decode(raw, "Notification", ["ids", str(i)]) for i, raw in enumerate(input.ids)]
        )
        marked = await mark_read(
            session, viewer.id, ids=ids, everything=bool(input.all), now=utcnow()
        )
        return marked, await unread_count(session, viewer.id)

    done, errors = await in_transaction(info.context, work)
    if done is None:
        return NotificationMarkReadPayload(user_errors=errors)
    return NotificationMarkReadPayload(marked=done[0], unread_notifications=done[1])
