"""Users and the viewer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.graphql.context import Info
from api.graphql.nodes import visible_nodes
from kernel.accounts import Role, User

if TYPE_CHECKING:
    from api.graphql.leaders.types import LeaderType, PickupPointType
    from api.graphql.notifications.types import NotificationConnection
from api.graphql.permissions import can_see_pickup_point, can_see_user
from api.graphql.sessions import SessionType
from kernel.clock import utcnow
from kernel.identity.sessions import list_sessions
from leaders.points.binding import bound_pickup_point_id

UserRole = strawberry.enum(Role, name="UserRole")


@strawberry.type(name="User")
class UserType(relay.Node):
    id: relay.NodeID[int]
    name: str
    role: UserRole  # type: ignore[valid-type]
    created_at: datetime
    disabled_at: datetime | None = strawberry.field(
        default=None, description="When an operator disabled this account; null while active."
    )
    # Read through ``phone`` below: only operators and the user see it.
    stored_phone: strawberry.Private[str | None] = None

    @classmethod
    def of(cls, user: User) -> UserType:
        return cls(
            id=user.id,
            name=user.name,
            role=user.role,
            created_at=user.created_at,
            disabled_at=user.disabled_at,
            stored_phone=user.phone,
        )

    @strawberry.field(description="The phone to sign in with: operators and the user only.")
    def phone(self, info: Info) -> str | None:
        viewer = info.context.viewer
        if viewer is None or not (viewer.role is Role.OPERATOR or viewer.id == self.id):
            return None
        return self.stored_phone

    @strawberry.field(description="The leader application or standing of this user, if any.")
    async def leader(
        self, info: Info
    ) -> Annotated[LeaderType, strawberry.lazy("api.graphql.leaders.types")] | None:
        from api.graphql.leaders.types import LeaderType

        leader = await info.context.loaders.leader_by_user.load(self.id)
        return None if leader is None else LeaderType.of(leader)

    @strawberry.field(
        description="The pickup point this customer orders through (a share link's, or "
        "chosen with pickupPointChoose): the user and operators only."
    )
    async def pickup_point(
        self, info: Info
    ) -> Annotated[PickupPointType, strawberry.lazy("api.graphql.leaders.types")] | None:
        from api.graphql.leaders.types import PickupPointType

        viewer = info.context.viewer
        if viewer is None or not (viewer.role is Role.OPERATOR or viewer.id == self.id):
            return None
        loaders = info.context.loaders
        async with loaders.lock:  # the session is shared with sibling fields
            point_id = await bound_pickup_point_id(info.context.session, self.id)
        point = None if point_id is None else await loaders.pickup_point.load(point_id)
        leader = None if point is None else await loaders.leader.load(point.leader_id)
        # A point that stopped taking orders reads as none to its customer,
        # who then finds another; operators still see it.
        if point is None or not can_see_pickup_point(viewer, point, leader):
            return None
        return PickupPointType.of(point)

    @strawberry.field(description="Your own open sessions (signed-in devices); empty for others.")
    async def sessions(self, info: Info) -> list[SessionType]:
        viewer = info.context.viewer
        if viewer is None or viewer.id != self.id:
            return []
        async with info.context.loaders.lock:  # the session is shared with sibling fields
            rows = await list_sessions(info.context.session, viewer.id, utcnow())
        return [SessionType.of(row) for row in rows]

    @strawberry.field(
        description="Your own notifications, newest first (unreadOnly: only the unread "
        "ones); empty for others."
    )
    async def notifications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool = False,
    ) -> Annotated[NotificationConnection, strawberry.lazy("api.graphql.notifications.types")]:
        # Imported here, like ``leader``'s type: the inbox's package reaches
        # back to this module through the mutations' shared transaction helper.
        from api.graphql.notifications.types import viewer_notifications

        return await viewer_notifications(info, self.id, first, after, unread_only)

    @strawberry.field(description="How many of your notifications are unread; 0 for others.")
    async def unread_notifications(self, info: Info) -> int:
        from api.graphql.notifications.types import viewer_unread_count

        return await viewer_unread_count(info, self.id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[UserType | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            info.context.loaders.user, node_ids, cls.of, lambda u: can_see_user(viewer, u)
        )
