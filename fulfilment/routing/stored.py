"""A stored plan read back for an edit or a re-plan, whichever its kind of
stop (fulfilment/routing/sites.py): its routes, their stops in order, the
sites it left unserved, and the problem inputs of those stops with the
demand the plan was made for."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.routing.models import Route, RoutePlan
from fulfilment.routing.problem import ProblemInputs, point_inputs, problem_frame
from fulfilment.routing.sites import GRIDS, Sites, Stop, Unserved
from fulfilment.routing.trunk import grid_stops


@dataclass(frozen=True)
class StoredPlan:
    """A stored plan's routes and stops, as read for an edit or a re-plan."""

    sites: Sites
    routes: list[Route]
    stops: dict[int, list[Stop]]  # route id -> its stops in order
    unserved: list[Unserved]

    def route_of(self, site_id: int) -> Route | None:
        for route in self.routes:
            if any(self.sites.site_of(s) == site_id for s in self.stops[route.id]):
                return route
        return None

    def sequence(self, route: Route) -> list[int]:
        """The sites of a stored route, in order (none for a new route)."""
        return [self.sites.site_of(s) for s in self.stops.get(route.id, [])]

    def locked(self) -> frozenset[int]:
        return frozenset(
            self.sites.site_of(s) for stops in self.stops.values() for s in stops if s.locked
        )


async def stored_plan(session: AsyncSession, plan_id: int, sites: Sites) -> StoredPlan:
    """Routes (in number order), their stops (in position order) and the
    unserved sites of a plan whose stops are ``sites``: three statements
    whatever its size."""
    routes = (
        (
            await session.execute(
                select(Route).where(Route.plan_id == plan_id).order_by(Route.number)
            )
        )
        .scalars()
        .all()
    )
    stops: dict[int, list[Stop]] = {r.id: [] for r in routes}
    # One of two tables (sites.py): typed as what both of them are.
    found = await session.scalars(
        select(sites.stop).where(sites.stop.plan_id == plan_id).order_by(sites.stop.position)
    )
    for stop in cast(Sequence[Stop], found.all()):
        stops[stop.route_id].append(stop)
    unserved = await session.scalars(
        select(sites.unserved)
        .where(sites.unserved.plan_id == plan_id)
        .order_by(sites.unserved_site)
    )
    return StoredPlan(sites, list(routes), stops, list(cast(Sequence[Unserved], unserved.all())))


async def plan_inputs(
    session: AsyncSession,
    plan: RoutePlan,
    stored: StoredPlan,
    zone: ZoneInfo,
    only: Collection[int] | None = None,
) -> ProblemInputs:
    """Inputs for a stored plan's stops with the demand the plan was made
    for (``only``: just these sites, enough to check a few routes), on the
    vehicles of the plan's kind and those it uses already."""
    site_of = stored.sites.site_of
    demand = [
        (site_of(s), s.weight_g, s.totes) for route in stored.routes for s in stored.stops[route.id]
    ] + [(site_of(u), u.weight_g, u.totes) for u in stored.unserved]
    if only is not None:
        demand = [row for row in demand if row[0] in only]
    used = [(r.vehicle_type_id, r.vehicle_number) for r in stored.routes]
    if stored.sites is GRIDS:
        stops = await grid_stops(session, demand)
        return await problem_frame(
            session, plan.warehouse_id, plan.delivery_date, zone, stops, used, trunk=True
        )
    return await point_inputs(
        session, plan.warehouse_id, plan.delivery_date, zone, demand, used, plan.trunk_ready_at
    )
