"""Route plans (线路规划): asking for one, storing what the solver found,
and the totals every change keeps up to date.

A plan starts PLANNING; the planning job fills in its routes and makes it
a DRAFT (or FAILED). Drafts may be edited (fulfilment.routing.edits),
re-optimised into a new draft, and one of them published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.network.models import GridWarehouse
from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.models import (
    PlanKind,
    Route,
    RoutePlan,
    RoutePlanStatus,
    VehicleType,
)
from fulfilment.routing.problem import DayProblem, day_inputs
from fulfilment.routing.sites import Stop, sites_of
from fulfilment.routing.solver.problem import Plan, PlannedRoute
from fulfilment.routing.trunk import trunk_inputs, trunk_ready_at
from kernel.accounts import User
from kernel.db import keyset_page
from kernel.errors import CommonErrorCode, DomainError, NotFound

MAX_TIME_LIMIT_S = 600


def _check_time_limit(seconds: int) -> None:
    if not 1 <= seconds <= MAX_TIME_LIMIT_S:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"Give 1 to {MAX_TIME_LIMIT_S} seconds.",
            ["timeLimitSeconds"],
        )


async def request_plan(
    session: AsyncSession,
    warehouse_id: int,
    day: date,
    *,
    time_limit_s: int,
    zone: ZoneInfo,
    by: User | None,
    kind: PlanKind = PlanKind.DELIVERY,
) -> RoutePlan:
    """A new PLANNING plan for a warehouse's delivery date, for the planning
    job to fill in (``by`` None: the night's schedule asked); refused when
    there is nothing to plan or nothing to plan it with. A TRUNK plan is a
    central's trucks to its grids (trunk.py); a grid's delivery plan starts
    when the trunk has brought its goods (None yet: a draft all the same,
    flagged by its empty ``trunk_ready_at``)."""
    _check_time_limit(time_limit_s)
    ready = None
    if kind is PlanKind.TRUNK:
        await trunk_inputs(session, warehouse_id, day, zone)  # NOTHING_TO_PLAN, NO_VEHICLES
    else:
        if await session.get(GridWarehouse, warehouse_id) is not None:
            ready = await trunk_ready_at(session, warehouse_id, day)
        await day_inputs(session, warehouse_id, day, zone, ready)
    plan = RoutePlan(
        warehouse_id=warehouse_id,
        delivery_date=day,
        status=RoutePlanStatus.PLANNING,
        version=1,
        time_limit_s=time_limit_s,
        created_by_id=by.id if by else None,
        kind=kind,
        trunk_ready_at=ready,
    )
    session.add(plan)
    await session.flush()
    return plan


async def editable_plan(session: AsyncSession, plan_id: int, version: int) -> RoutePlan:
    """The DRAFT plan ``plan_id``, locked for this transaction, if the caller
    saw its current version; edits of a stale view are refused."""
    plan = await session.get(RoutePlan, plan_id, with_for_update=True)
    if plan is None:
        raise NotFound("Route plan", ["planId"])
    if plan.status is not RoutePlanStatus.DRAFT:
        raise DomainError(
            RoutingErrorCode.PLAN_NOT_EDITABLE,
            f"The plan is {plan.status.value}; only a draft can be changed.",
            ["planId"],
        )
    if plan.version != version:
        raise DomainError(
            RoutingErrorCode.STALE_PLAN,
            f"The plan changed since you read it (version {plan.version}, not {version}): "
            "reload it and try again.",
            ["version"],
        )
    return plan


async def request_reoptimisation(
    session: AsyncSession, plan_id: int, version: int, *, time_limit_s: int, by: User
) -> RoutePlan:
    """A new PLANNING plan of the same kind that re-plans a draft's stops
    (pickup points, or a trunk plan's grids) around its locked stops (the
    draft itself stays as it is); a grid's vans then wait for the trunk as
    it is planned now, not as it was for the draft."""
    _check_time_limit(time_limit_s)
    parent = await editable_plan(session, plan_id, version)
    ready = parent.trunk_ready_at
    delivery = parent.kind is PlanKind.DELIVERY
    if delivery and await session.get(GridWarehouse, parent.warehouse_id) is not None:
        # Planned now, so bounded by the trunk now in force: re-planning is
        # how a dispatcher answers a trunk that became late (trunk_delay.py).
        ready = await trunk_ready_at(session, parent.warehouse_id, parent.delivery_date)
    plan = RoutePlan(
        warehouse_id=parent.warehouse_id,
        delivery_date=parent.delivery_date,
        status=RoutePlanStatus.PLANNING,
        version=1,
        time_limit_s=time_limit_s,
        parent_id=parent.id,
        created_by_id=by.id if by else None,
        kind=parent.kind,
        trunk_ready_at=ready,
    )
    session.add(plan)
    await session.flush()
    return plan


def route_cost_fen(route: Route, vehicle: VehicleType) -> int:
    """The vehicle's fixed cost plus its cost per km, rounded half up to the fen."""
    return vehicle.fixed_cost_fen + (route.distance_m * vehicle.cost_per_km_fen + 500) // 1000


async def refresh_totals(session: AsyncSession, plan: RoutePlan) -> None:
    """Recompute a plan's totals from its stored routes."""
    await session.flush()
    rows = (
        await session.execute(
            select(Route, VehicleType)
            .join(VehicleType, VehicleType.id == Route.vehicle_type_id)
            .where(Route.plan_id == plan.id)
        )
    ).all()
    distance = duration = cost = used = 0
    for route, vehicle in rows:
        used += 1
        distance += route.distance_m
        duration += int((route.return_at - route.departure_at).total_seconds())
        cost += route_cost_fen(route, vehicle)
    stop = sites_of(plan.kind).stop
    stops = await session.scalar(select(func.count()).where(stop.plan_id == plan.id))
    plan.distance_m, plan.duration_s, plan.cost_fen = distance, duration, cost
    plan.vehicles_used, plan.stops = used, int(stops or 0)


def apply_schedule(day: DayProblem, route: Route, planned: PlannedRoute) -> None:
    """Copy a scheduled route's times and load onto its row."""
    route.departure_at = day.at(planned.departure_s)
    route.return_at = day.at(planned.return_s)
    route.distance_m = planned.distance_m
    route.weight_g = planned.weight_g
    route.totes = planned.totes


def apply_visit(day: DayProblem, stop: Stop, planned: PlannedRoute, position: int) -> None:
    """Copy one scheduled visit (``position`` is 1-based) onto a stop row."""
    visit = planned.visits[position - 1]
    spec = day.problem.stops[visit.stop]
    stop.position = position
    stop.weight_g = spec.weight_g
    stop.totes = spec.totes
    stop.arrival_at = day.at(visit.arrival_s)
    stop.service_start_at = day.at(visit.start_s)
    stop.departure_at = day.at(visit.departure_s)
    stop.load_g_after = visit.load_g_after
    stop.totes_after = visit.totes_after


async def store_result(
    session: AsyncSession,
    plan: RoutePlan,
    day: DayProblem,
    result: Plan,
    *,
    locked: frozenset[int] = frozenset(),
) -> RoutePlan:
    """Write the solver's plan as routes, stops and unserved stops (grids
    on a trunk plan, pickup points otherwise), and make the plan a DRAFT.
    ``locked``: stops that stay locked."""
    sites = sites_of(plan.kind)
    await session.execute(delete(sites.stop).where(sites.stop.plan_id == plan.id))
    await session.execute(delete(sites.unserved).where(sites.unserved.plan_id == plan.id))
    await session.execute(delete(Route).where(Route.plan_id == plan.id))
    for number, planned in enumerate(result.routes, start=1):
        type_id, vehicle_number = day.vehicles[planned.vehicle]
        route = Route(
            plan_id=plan.id, number=number, vehicle_type_id=type_id, vehicle_number=vehicle_number
        )
        apply_schedule(day, route, planned)
        session.add(route)
        await session.flush()
        for position, visit in enumerate(planned.visits, start=1):
            site_id = day.stops[visit.stop].site_id
            stop = sites.new_stop(plan.id, site_id)
            stop.route_id, stop.locked = route.id, site_id in locked
            apply_visit(day, stop, planned, position)
            session.add(stop)
    for index, reason in sorted(result.dropped.items()):
        spec = day.problem.stops[index]
        session.add(
            sites.unserved(
                plan_id=plan.id,
                reason=reason,
                weight_g=spec.weight_g,
                totes=spec.totes,
                **{sites.column: day.stops[index].site_id},
            )
        )
    plan.status = RoutePlanStatus.DRAFT
    plan.first_solution_s = result.first_solution_s
    plan.solve_s = result.solve_s
    await refresh_totals(session, plan)
    return plan


async def mark_failed(session: AsyncSession, plan_id: int) -> None:
    """A plan whose job failed: FAILED, so nobody waits for it."""
    plan = await session.get(RoutePlan, plan_id)
    if plan is not None and plan.status is RoutePlanStatus.PLANNING:
        plan.status = RoutePlanStatus.FAILED


async def list_plans(
    session: AsyncSession, warehouse_id: int, day: date, *, after_id: int | None, limit: int
) -> Sequence[RoutePlan]:
    """A warehouse's plans for a delivery date, oldest first (keyset pages)."""
    stmt = select(RoutePlan).where(
        RoutePlan.warehouse_id == warehouse_id, RoutePlan.delivery_date == day
    )
    return (await session.execute(keyset_page(stmt, RoutePlan.id, after_id, limit))).scalars().all()


async def plan_in_force(
    session: AsyncSession, warehouse_id: int, day: date, kind: PlanKind = PlanKind.DELIVERY
) -> RoutePlan | None:
    """The plan of ``kind`` the warehouse's day runs on: the published one,
    else the latest draft; None when it has neither (only PLANNING or
    FAILED plans, or none)."""
    return await session.scalar(
        select(RoutePlan)
        .where(
            RoutePlan.warehouse_id == warehouse_id,
            RoutePlan.delivery_date == day,
            RoutePlan.kind == kind,
            RoutePlan.status.in_([RoutePlanStatus.DRAFT, RoutePlanStatus.PUBLISHED]),
        )
        .order_by((RoutePlan.status == RoutePlanStatus.PUBLISHED).desc(), RoutePlan.id.desc())
        .limit(1)
    )
