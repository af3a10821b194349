"""routePlanStopMove and routePlanStopLock: a dispatcher's edits of a draft."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.ids import decode
from api.mutations.base import in_transaction
from api.mutations.route_plans import RoutePlanPayload, plan_payload
from api.types.routing import PLAN_READERS
from fulfilment.routing import edits as route_edits
from fulfilment.routing.models import RoutePlan
from fulfilment.routing.problem import matrix_provider


@strawberry.input
class RoutePlanStopMoveInput:
    plan_id: strawberry.ID
    version: int = strawberry.field(description="The version you are looking at.")
    pickup_point_id: strawberry.ID = strawberry.field(
        description="The stop to move (or an unserved pickup point to put on a route)."
    )
    to_route_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: open a new route on an unused vehicle of vehicleTypeId."
    )
    vehicle_type_id: strawberry.ID | None = None
    position: int = strawberry.field(description="1-based place in the route after the move.")


async def route_plan_stop_move(info: Info, input: RoutePlanStopMoveInput) -> RoutePlanPayload:
    """Move a stop; the routes it leaves and joins are rescheduled, and a
    move that breaks a capacity, window or shift is refused."""
    ctx = info.context
    ctx.require(*PLAN_READERS)

    async def work(session: AsyncSession) -> RoutePlan:
        return await route_edits.move_stop(
            session,
            decode(input.plan_id, "RoutePlan", ["planId"]),
            input.version,
            decode(input.pickup_point_id, "PickupPoint", ["pickupPointId"]),
            to_route_id=(
                None
                if input.to_route_id is None
                else decode(input.to_route_id, "Route", ["toRouteId"])
            ),
            vehicle_type_id=(
                None
                if input.vehicle_type_id is None
                else decode(input.vehicle_type_id, "VehicleType", ["vehicleTypeId"])
            ),
            position=input.position,
            zone=ctx.settings.zone,
            provider=matrix_provider(ctx.settings),
        )

    return plan_payload(*await in_transaction(ctx, work))


@strawberry.input
class RoutePlanStopLockInput:
    plan_id: strawberry.ID
    version: int
    pickup_point_ids: list[strawberry.ID]
    locked: bool = strawberry.field(description="False unlocks.")


async def route_plan_stop_lock(info: Info, input: RoutePlanStopLockInput) -> RoutePlanPayload:
    """Lock stops on their vehicle and in their place, or unlock them."""
    ctx = info.context
    ctx.require(*PLAN_READERS)

    async def work(session: AsyncSession) -> RoutePlan:
        points = [
            decode(raw, "PickupPoint", ["pickupPointIds", str(i)])
            for i, raw in enumerate(input.pickup_point_ids)
        ]
        return await route_edits.lock_stops(
            session,
            decode(input.plan_id, "RoutePlan", ["planId"]),
            input.version,
            points,
            input.locked,
        )

    return plan_payload(*await in_transaction(ctx, work))
