"""A dispatcher's edits of a draft plan's stops (routePlanStopMove,
routePlanStopLock), on both kinds of plan: a delivery plan's stops are
pickup points (``pickupPointId``), a trunk plan's grid warehouses
(``gridId``, a Warehouse ID); naming the other kind is refused."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.permissions import PLAN_READERS
from api.graphql.routing.types import RoutePlanType
from api.graphql.transactions import in_transaction
from fulfilment.routing import edits as route_edits
from fulfilment.routing.models import RoutePlan
from fulfilment.routing.problem import matrix_provider
from fulfilment.routing.sites import GRIDS, POINTS, Sites
from kernel.errors import CommonErrorCode, DomainError


@strawberry.type
class RoutePlanPayload:
    route_plan: RoutePlanType | None
    user_errors: list[UserError]


def plan_payload(plan: RoutePlan | None, errors: list[UserError]) -> RoutePlanPayload:
    return RoutePlanPayload(
        route_plan=None if plan is None else RoutePlanType.of(plan), user_errors=errors
    )


@strawberry.input
class RoutePlanStopMoveInput:
    plan_id: strawberry.ID
    version: int = strawberry.field(description="The version you are looking at.")
    pickup_point_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A delivery plan's stop to move (or an unserved pickup point to put on a "
        "route). Give this or gridId, not both.",
    )
    grid_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A trunk plan's stop to move: the grid warehouse (a Warehouse ID), or an "
        "unserved grid to put on a trunk route.",
    )
    to_route_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: open a new route on an unused vehicle of vehicleTypeId."
    )
    vehicle_type_id: strawberry.ID | None = None
    position: int = strawberry.field(description="1-based place in the route after the move.")


def _moved_site(input: RoutePlanStopMoveInput) -> tuple[int, Sites]:
    """The site the input names, and its kind: exactly one of the two fields."""
    if (input.pickup_point_id is None) == (input.grid_id is None):
        field = "pickupPointId" if input.pickup_point_id is None else "gridId"
        raise DomainError(
            CommonErrorCode.INVALID,
            "Give the stop to move: a pickupPointId (delivery plan) or a gridId (trunk plan), "
            "not both.",
            [field],
        )
    if input.grid_id is not None:
        return decode(input.grid_id, "Warehouse", ["gridId"]), GRIDS
    assert input.pickup_point_id is not None
    return decode(input.pickup_point_id, "PickupPoint", ["pickupPointId"]), POINTS


async def route_plan_stop_move(info: Info, input: RoutePlanStopMoveInput) -> RoutePlanPayload:
    """Move a stop; the routes it leaves and joins are rescheduled, and a
    move that breaks a capacity, window or shift is refused."""
    ctx = info.context
    ctx.require(*PLAN_READERS)

    async def work(session: AsyncSession) -> RoutePlan:
        site_id, sites = _moved_site(input)
        return await route_edits.move_stop(
            session,
            decode(input.plan_id, "RoutePlan", ["planId"]),
            input.version,
            site_id,
            named=sites,
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
    pickup_point_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="A delivery plan's stops."
    )
    grid_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="A trunk plan's stops: grid warehouses (Warehouse IDs), instead of "
        "pickupPointIds.",
    )
    locked: bool = strawberry.field(description="False unlocks.")


def _locked_sites(input: RoutePlanStopLockInput) -> tuple[list[int], Sites | None]:
    """The sites the input names, and their kind (None: it names none)."""
    if input.grid_ids and input.pickup_point_ids:
        raise DomainError(
            CommonErrorCode.INVALID,
            "Give pickupPointIds (delivery plan) or gridIds (trunk plan), not both.",
            ["gridIds"],
        )
    if input.grid_ids:
        return [
            decode(raw, "Warehouse", ["gridIds", str(i)]) for i, raw in enumerate(input.grid_ids)
        ], GRIDS
    points = [
        decode(raw, "PickupPoint", ["pickupPointIds", str(i)])
        for i, raw in enumerate(input.pickup_point_ids)
    ]
    return points, POINTS if points else None


async def route_plan_stop_lock(info: Info, input: RoutePlanStopLockInput) -> RoutePlanPayload:
    """Lock stops on their vehicle and in their place, or unlock them."""
    ctx = info.context
    ctx.require(*PLAN_READERS)

    async def work(session: AsyncSession) -> RoutePlan:
        site_ids, sites = _locked_sites(input)
        return await route_edits.lock_stops(
            session,
            decode(input.plan_id, "RoutePlan", ["planId"]),
            input.version,
            site_ids,
            input.locked,
            named=sites,
        )

    return plan_payload(*await in_transaction(ctx, work))
