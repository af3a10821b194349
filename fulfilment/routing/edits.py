"""A dispatcher's changes to a draft plan: move a stop (to another route,
another position, or a vehicle not used yet), lock stops in place. One
code path for both kinds of plan: a stop is a "site" (sites.py), a pickup
point on a delivery plan, a grid warehouse on a trunk plan.

Every move is checked by the same schedule the solver's answers go through;
a move that breaks a capacity, a window or a shift changes nothing and says
which stop and by how much. Each change bumps the plan's version, so an
edit made on a stale view is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.models import PlanKind, Route, RoutePlan, VehicleType
from fulfilment.routing.plans import apply_schedule, apply_visit, editable_plan, refresh_totals
from fulfilment.routing.problem import DayProblem, build_problem
from fulfilment.routing.sites import Sites, Unserved, plan_sites
from fulfilment.routing.solver.distances import MatrixProvider
from fulfilment.routing.solver.problem import PlannedRoute
from fulfilment.routing.solver.schedule import Violation, schedule_route
from fulfilment.routing.stored import StoredPlan, plan_inputs, stored_plan
from kernel.errors import CommonErrorCode, DomainError, NotFound


def _clock(seconds: int) -> str:
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}"


_ORDER = {"capacity_weight": 0, "capacity_totes": 0, "window": 1, "shift": 2}


def _refusal(
    day: DayProblem,
    route_number: int,
    vehicle: int,
    planned: PlannedRoute,
    violations: Sequence[Violation],
    moved: str,
    units: str,
) -> DomainError:
    """The first broken rule of a rescheduled route as a user error that
    names the stop and says by how much."""
    worst = min(violations, key=lambda v: _ORDER[v.kind])
    spec = day.problem.vehicles[vehicle]
    if worst.kind == "capacity_weight":
        over = (planned.weight_g - spec.capacity_g) / 1000
        return DomainError(
            RoutingErrorCode.CAPACITY_EXCEEDED,
            f"With {moved}, route {route_number} would carry {planned.weight_g / 1000:.1f} kg, "
            f"{over:.1f} kg more than its {spec.capacity_g / 1000:.0f} kg.",
            ["toRouteId"],
        )
    if worst.kind == "capacity_totes":
        return DomainError(
            RoutingErrorCode.CAPACITY_EXCEEDED,
            f"With {moved}, route {route_number} would carry {planned.totes} {units}, "
            f"{planned.totes - spec.capacity_totes} more than its {spec.capacity_totes}.",
            ["toRouteId"],
        )
    if worst.kind == "window" and worst.stop is not None:
        stop = day.problem.stops[worst.stop]
        visit = next(v for v in planned.visits if v.stop == worst.stop)
        late = (visit.start_s - stop.window_close_s + 59) // 60
        return DomainError(
            RoutingErrorCode.WINDOW_MISSED,
            f"With {moved} there, route {route_number} would reach {day.stops[worst.stop].name} "
            f"at {_clock(visit.start_s)}, {late} min after its window closes at "
            f"{_clock(stop.window_close_s)}.",
            ["position"],
        )
    length = planned.return_s - (planned.departure_s - day.problem.loading_s)
    over_min = (length - spec.max_shift_s + 59) // 60
    return DomainError(
        RoutingErrorCode.SHIFT_EXCEEDED,
        f"With {moved}, route {route_number} would take {length // 60} min, "
        f"{over_min} min longer than the {spec.max_shift_s // 60} min shift.",
        ["toRouteId"],
    )


async def _new_route(
    session: AsyncSession, plan: RoutePlan, stored: StoredPlan, vehicle_type_id: int | None
) -> Route:
    """A route (not yet stored) on the lowest-numbered vehicle of the type
    that the plan does not use."""
    if vehicle_type_id is None:
        raise DomainError(
            CommonErrorCode.REQUIRED,
            "Give a vehicle type to open a new route, or a route to move the stop to.",
            ["vehicleTypeId"],
        )
    vehicle = await session.get(VehicleType, vehicle_type_id)
    if vehicle is None or vehicle.warehouse_id != plan.warehouse_id:
        raise NotFound("Vehicle type", ["vehicleTypeId"])
    trunk = plan.kind is PlanKind.TRUNK
    if vehicle.trunk is not trunk:
        # The plan's problem has only vehicles of its kind (problem_frame).
        wanted = "trunk trucks" if trunk else "delivery vehicles"
        raise DomainError(
            CommonErrorCode.INVALID,
            f"A {plan.kind.value} plan's routes take {wanted} only; {vehicle.name!r} is not one.",
            ["vehicleTypeId"],
        )
    used = {r.vehicle_number for r in stored.routes if r.vehicle_type_id == vehicle.id}
    free = [n for n in range(1, vehicle.count + 1) if n not in used]
    if not free:
        raise DomainError(
            RoutingErrorCode.NO_VEHICLES,
            f"All {vehicle.count} vehicles of type {vehicle.name!r} are on routes already.",
            ["vehicleTypeId"],
        )
    return Route(
        plan_id=plan.id,
        number=max((r.number for r in stored.routes), default=0) + 1,
        vehicle_type_id=vehicle.id,
        vehicle_number=free[0],
    )


async def move_stop(
    session: AsyncSession,
    plan_id: int,
    version: int,
    site_id: int,
    *,
    to_route_id: int | None,
    vehicle_type_id: int | None,
    position: int,
    zone: ZoneInfo,
    provider: MatrixProvider,
    named: Sites | None = None,
) -> RoutePlan:
    """Move a stop (or an unserved site) to ``position`` (1-based) of a
    route, or of a new route on an unused vehicle of ``vehicle_type_id``
    when ``to_route_id`` is None. ``site_id`` is a pickup point on a
    delivery plan, a grid warehouse on a trunk plan (``named``: the kind
    the caller meant; the other kind is refused). The routes it leaves and
    joins are rescheduled; a route left empty disappears."""
    plan = await editable_plan(session, plan_id, version)
    sites = plan_sites(plan, named)
    stored = await stored_plan(session, plan.id, sites)
    source, unserved = _stop_to_move(stored, site_id)
    if to_route_id is None:
        target = await _new_route(session, plan, stored, vehicle_type_id)
    else:
        found = next((r for r in stored.routes if r.id == to_route_id), None)
        if found is None:
            raise NotFound("Route", ["toRouteId"])
        target = found
    sequences = _sequences_after_move(stored, source, target, site_id, position)

    day = await build_problem(
        await plan_inputs(
            session, plan, stored, zone, only={p for _, seq in sequences for p in seq}
        ),
        provider,
    )
    moved_name = day.stops[day.stop_index[site_id]].name
    scheduled = _reschedule(day, sequences, moved_name, sites.units)
    await _store_move(session, plan, day, stored, site_id, target, unserved, scheduled)
    return await _bump(session, plan)


def _stop_to_move(stored: StoredPlan, site_id: int) -> tuple[Route | None, Unserved | None]:
    """The route the stop is on, or its unserved row; refuses a stop that
    is neither, or is locked."""
    sites = stored.sites
    source = stored.route_of(site_id)
    unserved = next((u for u in stored.unserved if sites.site_of(u) == site_id), None)
    if source is None and unserved is None:
        raise NotFound("Stop", [sites.field])
    moving = (
        next(s for s in stored.stops[source.id] if sites.site_of(s) == site_id)
        if source is not None
        else None
    )
    if moving is not None and moving.locked:
        raise DomainError(
            RoutingErrorCode.LOCKED_STOP, "The stop is locked: unlock it first.", [sites.field]
        )
    return source, unserved


def _sequences_after_move(
    stored: StoredPlan,
    source: Route | None,
    target: Route,
    site_id: int,
    position: int,
) -> list[tuple[Route, list[int]]]:
    """The sites of the routes the move changes, in their new order: the
    target with the stop at ``position``, then the route it leaves."""

    def sequence(route: Route) -> list[int]:
        return [p for p in stored.sequence(route) if p != site_id]

    joined = sequence(target)
    if not 1 <= position <= len(joined) + 1:
        raise DomainError(
            RoutingErrorCode.INVALID_POSITION,
            f"Give a position from 1 to {len(joined) + 1}.",
            ["position"],
        )
    joined.insert(position - 1, site_id)
    sequences = [(target, joined)]
    if source is not None and source is not target:
        sequences.append((source, sequence(source)))
    return sequences


def _reschedule(
    day: DayProblem, sequences: list[tuple[Route, list[int]]], moved_name: str, units: str
) -> list[tuple[Route, list[int], PlannedRoute | None]]:
    """Schedule each changed route (None for a route left empty); the first
    broken rule refuses the move."""
    scheduled: list[tuple[Route, list[int], PlannedRoute | None]] = []
    for route, sites in sequences:
        planned = None
        if sites:
            vehicle = day.vehicle_index[(route.vehicle_type_id, route.vehicle_number)]
            planned, violations = schedule_route(
                day.problem, vehicle, [day.stop_index[p] for p in sites]
            )
            if violations:
                raise _refusal(day, route.number, vehicle, planned, violations, moved_name, units)
        scheduled.append((route, sites, planned))
    return scheduled


async def _store_move(
    session: AsyncSession,
    plan: RoutePlan,
    day: DayProblem,
    stored: StoredPlan,
    site_id: int,
    target: Route,
    unserved: Unserved | None,
    scheduled: list[tuple[Route, list[int], PlannedRoute | None]],
) -> None:
    """Write the rescheduled routes and their stops; delete a route left
    empty, and the unserved row of a stop that is now served."""
    sites = stored.sites
    rows = {sites.site_of(s): s for stops in stored.stops.values() for s in stops}
    if target.id is None:
        session.add(target)
    if unserved is not None:
        await session.delete(unserved)
        rows[site_id] = sites.new_stop(plan.id, site_id)
    emptied = []
    for route, sequence, planned in scheduled:
        if planned is None:
            emptied.append(route)
            continue
        apply_schedule(day, route, planned)
        await session.flush()  # a new route gets its id
        for place, each in enumerate(sequence, start=1):
            row = rows[each]
            row.route_id = route.id
            apply_visit(day, row, planned, place)
    session.add(rows[site_id])
    await session.flush()  # the stops have left before their route goes
    for route in emptied:
        await session.delete(route)


async def _bump(session: AsyncSession, plan: RoutePlan) -> RoutePlan:
    plan.version += 1
    await refresh_totals(session, plan)
    await session.flush()
    return plan


async def lock_stops(
    session: AsyncSession,
    plan_id: int,
    version: int,
    site_ids: Sequence[int],
    locked: bool,
    *,
    named: Sites | None = None,
) -> RoutePlan:
    """Lock stops (pickup points, or a trunk plan's grids; ``named`` as for
    ``move_stop``) on their vehicle and in their place (a re-optimisation
    keeps them there), or unlock them."""
    plan = await editable_plan(session, plan_id, version)
    sites = plan_sites(plan, named, many=True)
    where = (sites.stop.plan_id == plan.id, sites.stop_site.in_(site_ids))
    on_routes = set((await session.execute(select(sites.stop_site).where(*where))).scalars())
    for index, site_id in enumerate(site_ids):
        if site_id not in on_routes:
            raise NotFound("Stop on a route", [sites.field + "s", str(index)])
    await session.execute(update(sites.stop).where(*where).values(locked=locked))
    return await _bump(session, plan)
