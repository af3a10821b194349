"""leaderApply and the operator's decisions on leaders; pickupPointAssignWarehouse
(operators: which warehouse serves a point); pickupPointChoose (a customer
without a share link picks the point they order through)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.common import CoordinatesInput, TimeWindowInput
from api.graphql.context import Info
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.leaders.types import LeaderType, PickupPointType
from api.graphql.transactions import in_transaction
from fulfilment.campaigns import service_areas
from fulfilment.campaigns.service_areas import assign_nearest_warehouse, served_by_a_warehouse
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.geo import CoordSystem, resolve_point
from leaders.applications import lifecycle as applications
from leaders.points.binding import choose_pickup_point
from leaders.points.models import Leader, PickupPoint
from leaders.points.queries import pickup_points_by_leader


@strawberry.input
class PickupPointInput:
    name: str
    address: str
    receiving_window: TimeWindowInput
    contact_phone: str
    location: CoordinatesInput | None = strawberry.field(
        default=None, description="Leave out to geocode the address."
    )


@strawberry.input
class LeaderApplyInput:
    pickup_point: PickupPointInput


@strawberry.input
class LeaderIdInput:
    id: strawberry.ID


@strawberry.input
class LeaderReasonInput:
    id: strawberry.ID
    reason: str


@strawberry.type
class LeaderPayload:
    leader: LeaderType | None
    user_errors: list[UserError]


def _payload(leader: Leader | None, errors: list[UserError]) -> LeaderPayload:
    return LeaderPayload(leader=LeaderType.of(leader) if leader else None, user_errors=errors)


async def leader_apply(info: Info, input: LeaderApplyInput) -> LeaderPayload:
    ctx = info.context
    applicant = ctx.require(Role.CUSTOMER)
    pp, loc = input.pickup_point, input.pickup_point.location
    try:
        point = await resolve_point(
            address=pp.address,
            lat=loc.lat if loc else None,
            lon=loc.lon if loc else None,
            system=loc.system if loc else CoordSystem.WGS84,
            settings=ctx.settings,
            field=["pickupPoint", "location"],
        )
    except DomainError as exc:
        return _payload(None, [user_error(exc)])
    draft = applications.PickupPointDraft(
        name=pp.name,
        address=pp.address,
        location=point,
        window_start=pp.receiving_window.start,
        window_end=pp.receiving_window.end,
        contact_phone=pp.contact_phone,
    )

    async def work(session: AsyncSession) -> Leader:
        # The viewer was loaded by another session; re-read it inside this one.
        me = await session.get(User, applicant.id)
        assert me is not None
        return await applications.apply(session, me, draft)

    return _payload(*await in_transaction(ctx, work))


Decision = Callable[[AsyncSession, int, User], Awaitable[Leader]]


async def _decide(info: Info, raw_id: str, decide: Decision) -> LeaderPayload:
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Leader:
        return await decide(session, decode(raw_id, "Leader", ["id"]), operator)

    return _payload(*await in_transaction(info.context, work))


async def _approve_and_serve(session: AsyncSession, leader_id: int, operator: User) -> Leader:
    leader = await applications.approve(session, leader_id, operator)
    point = await pickup_points_by_leader(session, [leader.id])
    # A new pickup point is served by the nearest warehouse until an operator
    # says otherwise (pickupPointAssignWarehouse).
    await assign_nearest_warehouse(session, point[leader.id].id)
    return leader


async def leader_approve(info: Info, input: LeaderIdInput) -> LeaderPayload:
    return await _decide(info, input.id, _approve_and_serve)


async def leader_reinstate(info: Info, input: LeaderIdInput) -> LeaderPayload:
    return await _decide(info, input.id, applications.reinstate)


async def leader_reject(info: Info, input: LeaderReasonInput) -> LeaderPayload:
    return await _decide(
        info, input.id, lambda s, i, op: applications.reject(s, i, op, input.reason)
    )


async def leader_suspend(info: Info, input: LeaderReasonInput) -> LeaderPayload:
    return await _decide(
        info, input.id, lambda s, i, op: applications.suspend(s, i, op, input.reason)
    )


@strawberry.input
class PickupPointAssignWarehouseInput:
    pickup_point_id: strawberry.ID
    warehouse_id: strawberry.ID


@strawberry.type
class PickupPointPayload:
    pickup_point: PickupPointType | None
    user_errors: list[UserError]


async def pickup_point_assign_warehouse(
    info: Info, input: PickupPointAssignWarehouseInput
) -> PickupPointPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> PickupPoint:
        point_id = decode(input.pickup_point_id, "PickupPoint", ["pickupPointId"])
        warehouse_id = decode(input.warehouse_id, "Warehouse", ["warehouseId"])
        await service_areas.assign_warehouse(session, point_id, warehouse_id)
        point = await session.get(PickupPoint, point_id)
        assert point is not None
        return point

    point, errors = await in_transaction(info.context, work)
    return PickupPointPayload(
        pickup_point=PickupPointType.of(point) if point else None, user_errors=errors
    )


@strawberry.input
class PickupPointChooseInput:
    pickup_point_id: strawberry.ID


async def pickup_point_choose(info: Info, input: PickupPointChooseInput) -> PickupPointPayload:
    """A customer binds themself to a pickup point taking orders (one found
    with pickupPointsNear, say); the last choice wins. Any other point,
    suspended or not served, reads as NOT_FOUND and nothing changes."""
    customer = info.context.require(Role.CUSTOMER)

    async def work(session: AsyncSession) -> PickupPoint:
        point_id = decode(input.pickup_point_id, "PickupPoint", ["pickupPointId"])
        # Without a warehouse no campaign sells there, as pickupPointsNear says.
        return await choose_pickup_point(
            session, customer.id, point_id, utcnow(), also=[served_by_a_warehouse()]
        )

    point, errors = await in_transaction(info.context, work)
    return PickupPointPayload(
        pickup_point=PickupPointType.of(point) if point else None, user_errors=errors
    )
