"""Trunk plans (干线): at night a central warehouse's trunk trucks carry what
stage one sorted for each of its grid warehouses (fulfilment/sorting/
grids.py: weight, and cases and totes as handling units) to the grids,
each inside its receiving window, unloading at the central's per-stop and
per-unit times. The same planner, plans, job and publishing as deliveries
make them: a ``RoutePlan`` of kind TRUNK, whose stops are grids
(``TrunkStop``) instead of pickup points.

A grid's own delivery plan then starts no earlier than the trunk's goods
are unloaded there (``trunk_ready_at``), as the central's latest trunk plan
for the day has it (the published one if there is one)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Warehouse
from fulfilment.network.models import GridWarehouse
from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.models import PlanKind, Route, RoutePlan, RoutePlanStatus, TrunkStop
from fulfilment.routing.problem import (
    ProblemInputs,
    StopInput,
    problem_frame,
    seconds_of_day,
)
from fulfilment.sorting.models import GridLoad
from kernel.errors import DomainError


async def trunk_demand(
    session: AsyncSession, central_id: int, day: date
) -> list[tuple[int, int, int]]:
    """(grid warehouse, weight g, handling units) of every grid stage one
    sorted goods for that day, all storage zones together, in grid order."""
    rows = await session.execute(
        select(GridLoad.grid_id, func.sum(GridLoad.weight_g), func.sum(GridLoad.handling_units))
        .where(GridLoad.central_id == central_id, GridLoad.delivery_date == day)
        .group_by(GridLoad.grid_id)
        .order_by(GridLoad.grid_id)
    )
    return [(int(g), int(w), int(u)) for g, w, u in rows]


async def grid_stops(
    session: AsyncSession, demand: Sequence[tuple[int, int, int]]
) -> list[StopInput]:
    """The stops of ``demand`` rows (grid warehouse, weight g, handling
    units): where each grid is and when it receives."""
    grids = {
        grid.warehouse_id: (grid, warehouse)
        for grid, warehouse in await session.execute(
            select(GridWarehouse, Warehouse)
            .join(Warehouse, Warehouse.id == GridWarehouse.warehouse_id)
            .where(GridWarehouse.warehouse_id.in_([row[0] for row in demand]))
        )
    }
    return [
        StopInput(
            site_id=grid_id,
            name=grids[grid_id][1].name,
            lat=grids[grid_id][1].lat,
            lon=grids[grid_id][1].lon,
            weight_g=weight,
            totes=units,
            window_open_s=seconds_of_day(grids[grid_id][0].receiving_start),
            window_close_s=seconds_of_day(grids[grid_id][0].receiving_end),
        )
        for grid_id, weight, units in demand
    ]


async def trunk_inputs(
    session: AsyncSession, central_id: int, day: date, zone: ZoneInfo
) -> ProblemInputs:
    """The night's trunk problem: the central's trunk trucks to its grids;
    refused before stage one has sorted anything for a grid, or when the
    central has no trunk trucks."""
    demand = await trunk_demand(session, central_id, day)
    if not demand:
        raise DomainError(
            RoutingErrorCode.NOTHING_TO_PLAN,
            f"No grid warehouse has goods sorted for {day.isoformat()}: run sorting first.",
            ["deliveryDate"],
        )
    stops = await grid_stops(session, demand)
    inputs = await problem_frame(session, central_id, day, zone, stops, trunk=True)
    if not inputs.vehicles:
        raise DomainError(
            RoutingErrorCode.NO_VEHICLES,
            "The central warehouse has no trunk trucks: add a vehicle type marked trunk.",
            ["warehouseId"],
        )
    return inputs


async def trunk_ready_at(session: AsyncSession, grid_id: int, day: date) -> datetime | None:
    """When the trunk's goods are unloaded at the grid that day: its stop's
    departure on the central's published trunk plan, else on the latest
    drafted one; None when no trunk plan serves the grid."""
    return (await trunk_ready_times(session, [(grid_id, day)])).get((grid_id, day))


@dataclass(frozen=True)
class IncomingTrunk:
    """The trunk coming to a grid on a day, as the plan in force has it."""

    plan_status: RoutePlanStatus
    route_number: int
    arrival_at: datetime
    unloaded_at: datetime  # its stop's departure: when the grid's vans may load
    handling_units: int
    weight_g: int


async def incoming_trunks(
    session: AsyncSession, grid_days: Collection[tuple[int, date]]
) -> dict[tuple[int, date], IncomingTrunk]:
    """The trunk to each (grid, day) in one statement, from the trunk plan
    in force (published first, then the latest draft that serves the grid);
    pairs no trunk plan serves are left out."""
    if not grid_days:
        return {}
    rows = await session.execute(
        select(TrunkStop, RoutePlan.delivery_date, RoutePlan.status, Route.number)
        .join(RoutePlan, RoutePlan.id == TrunkStop.plan_id)
        .join(Route, Route.id == TrunkStop.route_id)
        .where(
            TrunkStop.grid_id.in_({grid for grid, _ in grid_days}),
            RoutePlan.delivery_date.in_({day for _, day in grid_days}),
            RoutePlan.kind == PlanKind.TRUNK,
            RoutePlan.status.in_([RoutePlanStatus.DRAFT, RoutePlanStatus.PUBLISHED]),
        )
        # The first row of each pair wins: the published plan, else the newest.
        .order_by((RoutePlan.status == RoutePlanStatus.PUBLISHED).desc(), RoutePlan.id.desc())
    )
    found: dict[tuple[int, date], IncomingTrunk] = {}
    for stop, day, status, number in rows:
        if (stop.grid_id, day) in grid_days and (stop.grid_id, day) not in found:
            found[(stop.grid_id, day)] = IncomingTrunk(
                status, number, stop.arrival_at, stop.departure_at, stop.totes, stop.weight_g
            )
    return found


async def trunk_ready_times(
    session: AsyncSession, grid_days: Collection[tuple[int, date]]
) -> dict[tuple[int, date], datetime]:
    """``trunk_ready_at`` of many (grid, day) pairs: when the trunk in force
    has unloaded there; pairs no trunk plan serves are left out."""
    return {
        key: trunk.unloaded_at for key, trunk in (await incoming_trunks(session, grid_days)).items()
    }
