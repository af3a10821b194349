"""pickupPointUpdate (operators): editing a pickup point, versioned
(docs/setup-editing.md)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.common import CoordinatesInput, TimeWindowInput
from api.graphql.context import Info
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.leaders.types import PickupPointType
from api.graphql.places import moved_to
from api.graphql.transactions import in_transaction
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError
from leaders.points.editing import PointChanges, update_point
from leaders.points.models import PickupPoint


@strawberry.input(description="Only the fields given change.")
class PickupPointUpdateInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(
        description="The version the edit was made from; another edit since: STALE."
    )
    name: str | None = None
    address: str | None = strawberry.field(
        default=None, description="A new address without a location is geocoded."
    )
    location: CoordinatesInput | None = strawberry.field(
        default=None, description="Converted to WGS-84 (GCJ02, BD09) before it is stored."
    )
    receiving_window: TimeWindowInput | None = None
    contact_phone: str | None = None


@strawberry.type
class PickupPointUpdatePayload:
    pickup_point: PickupPointType | None
    user_errors: list[UserError]


async def pickup_point_update(
    info: Info, input: PickupPointUpdateInput
) -> PickupPointUpdatePayload:
    """Change a pickup point; published route plans keep what they planned."""
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)
    try:
        point_id = decode(input.id, "PickupPoint", ["id"])
        current = await ctx.loaders.pickup_point.load(point_id)
        location = await moved_to(
            info, current.address if current else None, input.address, input.location
        )
    except DomainError as exc:
        return PickupPointUpdatePayload(pickup_point=None, user_errors=[user_error(exc)])
    window = input.receiving_window
    changes = PointChanges(
        name=input.name,
        address=input.address,
        location=location,
        window_start=window.start if window else None,
        window_end=window.end if window else None,
        contact_phone=input.contact_phone,
    )

    async def work(session: AsyncSession) -> PickupPoint:
        return await update_point(
            session,
            point_id,
            changes,
            expected_version=input.expected_version,
            actor_id=operator.id,
            now=utcnow(),
        )

    found, errors = await in_transaction(ctx, work)
    return PickupPointUpdatePayload(
        pickup_point=None if found is None else PickupPointType.of(found), user_errors=errors
    )
