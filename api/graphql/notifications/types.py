"""A notification as the API shows it, and the viewer's inbox fields."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.ids import encode
from api.graphql.pagination import Connection, connection, page_window, paginate
from kernel.notification_inbox import list_notifications, unread_count
from kernel.notifications import Notification


@strawberry.type(name="Notification", description="One message in a user's inbox.")
class NotificationType:
    id: strawberry.ID
    kind: str = strawberry.field(
        description="What it is about, e.g. order.group_threshold_missed, order.shortage_refund, "
        "refund.succeeded, delivery.arrived, pickup.reminder, route.eta, leader.approved, "
        "payout.paid, supplier_statement_ready (docs/notifications.md)."
    )
    title: str
    body: str
    data: JSON = strawberry.field(description="The ids a client needs to open what it is about.")
    created_at: datetime
    read_at: datetime | None = strawberry.field(description="Null while unread.")

    @classmethod
    def of(cls, row: Notification) -> NotificationType:
        return cls(
            id=strawberry.ID(encode("Notification", row.id)),
            kind=row.kind,
            title=row.title,
            body=row.body,
            data=cast(JSON, row.data),
            created_at=row.created_at,
            read_at=row.read_at,
        )


@strawberry.type(name="NotificationConnection")
class NotificationConnection(Connection[NotificationType]):
    """A page of the inbox (named, so the viewer type can point at it lazily)."""


async def viewer_notifications(
    info: Info, user_id: int, first: int | None, after: str | None, unread_only: bool
) -> NotificationConnection:
    """The user's own inbox page, newest first; anyone else's reads empty
    (the page bounds are checked all the same)."""
    viewer = info.context.viewer
    if viewer is None or viewer.id != user_id:
        size, after_id = page_window(first, after)
        empty = connection([], size, NotificationType.of, after_id=after_id)
        return NotificationConnection(edges=empty.edges, page_info=empty.page_info)

    async def fetch(before_id: int | None, limit: int) -> list[Notification]:
        return list(
            await list_notifications(
                info.context.session,
                user_id,
                unread_only=unread_only,
                before_id=before_id,
                limit=limit,
            )
        )

    page = await paginate(info, first, after, fetch, NotificationType.of)
    return NotificationConnection(edges=page.edges, page_info=page.page_info)


async def viewer_unread_count(info: Info, user_id: int) -> int:
    """The user's own unread count; 0 for anyone else's."""
    viewer = info.context.viewer
    if viewer is None or viewer.id != user_id:
        return 0
    async with info.context.loaders.lock:  # the session is shared with sibling fields
        return await unread_count(info.context.session, user_id)
