"""The routing problem of a warehouse's delivery date, read from the
database: stops from sorting (or from a stored plan), vehicles from the
fleet, timings from the warehouse's routing settings, distances from the
configured matrix provider.

Reading (in a transaction) and building (matrices, maybe over the network)
are separate steps, so a job can read, close its transaction and then ask
an OSRM server.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Warehouse
from fulfilment.network.queries import buying_warehouse, delivered_by
from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.fleet import routing_settings_of, vehicle_types
from fulfilment.routing.models import VehicleType
from fulfilment.routing.solver.distances import MatrixProvider, provider_from_settings
from fulfilment.routing.solver.problem import RoutingProblem, StopSpec, VehicleSpec
from fulfilment.sorting.models import PickupPointLoad
from kernel.errors import DomainError, NotFound
from kernel.settings import Settings
from leaders.points.models import PickupPoint

VehicleKey = tuple[int, int]  # (vehicle type id, vehicle number 1..count)


def matrix_options(settings: Settings) -> dict[str, Any]:
    """The matrix provider's settings as plain values (a job's payload)."""
    return {
        "kind": settings.routing_matrix,
        "circuity": settings.routing_circuity,
        "speed_kmh": settings.routing_speed_kmh,
        "osrm_url": settings.osrm_url,
        "osrm_profile": settings.osrm_profile,
        "osrm_block": settings.osrm_table_size,
        "osrm_timeout_s": settings.osrm_timeout_s,
    }


def provider_from_options(options: dict[str, Any]) -> MatrixProvider:
    return provider_from_settings(**options)


def matrix_provider(settings: Settings) -> MatrixProvider:
    """The matrix provider the settings choose."""
    return provider_from_options(matrix_options(settings))


def seconds_of_day(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of ``day`` in the platform zone, in UTC: the solver's time 0."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class StopInput:
    # What the stop is: a pickup point on a delivery plan, a grid warehouse
    # on a trunk plan (fulfilment/routing/trunk.py).
    site_id: int
    name: str
    lat: float
    lon: float
    weight_g: int
    totes: int
    window_open_s: int
    window_close_s: int


@dataclass(frozen=True)
class ProblemInputs:
    """Everything a routing problem needs except the matrices."""

    depot: tuple[float, float]
    stops: list[StopInput]
    vehicles: list[tuple[VehicleKey, VehicleSpec]]
    loading_s: int
    stop_fixed_s: int
    stop_per_tote_s: int
    midnight: datetime


@dataclass
class DayProblem:
    """A RoutingProblem with the names of its numbers: which pickup point is
    each stop index, which physical vehicle is each vehicle index."""

    problem: RoutingProblem
    stops: list[StopInput]
    vehicles: list[VehicleKey]
    midnight: datetime

    def __post_init__(self) -> None:
        self.stop_index = {s.site_id: i for i, s in enumerate(self.stops)}
        self.vehicle_index = {key: i for i, key in enumerate(self.vehicles)}

    def at(self, seconds: int) -> datetime:
        return self.midnight + timedelta(seconds=seconds)

    def seconds(self, moment: datetime) -> int:
        return int((moment - self.midnight).total_seconds())


async def build_problem(inputs: ProblemInputs, provider: MatrixProvider) -> DayProblem:
    """The routing problem of ``inputs``, node 0 being the warehouse."""
    points = [inputs.depot] + [(s.lat, s.lon) for s in inputs.stops]
    matrices = await provider.matrices(points)
    specs = [
        StopSpec(
            weight_g=s.weight_g,
            totes=s.totes,
            window_open_s=s.window_open_s,
            window_close_s=s.window_close_s,
            service_s=inputs.stop_fixed_s + inputs.stop_per_tote_s * s.totes,
        )
        for s in inputs.stops
    ]
    problem = RoutingProblem(
        distance_m=matrices.distance_m,
        travel_s=matrices.travel_s,
        stops=specs,
        vehicles=[spec for _, spec in inputs.vehicles],
        loading_s=inputs.loading_s,
        coordinates=[(lon, lat) for lat, lon in points],
    )
    return DayProblem(
        problem=problem,
        stops=inputs.stops,
        vehicles=[key for key, _ in inputs.vehicles],
        midnight=inputs.midnight,
    )


def _vehicle_spec(vehicle: VehicleType, earliest_s: int | None = None) -> VehicleSpec:
    """The vehicle for the solver; ``earliest_s``: it may not leave before
    (a grid's vans wait for the trunk's goods)."""
    start = seconds_of_day(vehicle.shift_start)
    return VehicleSpec(
        capacity_g=vehicle.capacity_g,
        capacity_totes=vehicle.capacity_totes,
        fixed_cost=vehicle.fixed_cost_fen,
        cost_per_km=vehicle.cost_per_km_fen,
        shift_start_s=start if earliest_s is None else max(start, earliest_s),
        max_shift_s=vehicle.max_shift_minutes * 60,
    )


async def problem_frame(
    session: AsyncSession,
    warehouse_id: int,
    day: date,
    zone: ZoneInfo,
    stops: list[StopInput],
    also_vehicles: Collection[VehicleKey] = (),
    *,
    trunk: bool = False,
    not_before: datetime | None = None,
) -> ProblemInputs:
    """Inputs for ``stops`` from the warehouse: its vehicles of the plan's
    kind (``trunk``: its trunk trucks; else its delivery vehicles), each
    type expanded by its count, plus ``also_vehicles`` (those a stored plan
    uses already, even if the fleet shrank since), none leaving before
    ``not_before``; and its stop timings."""
    warehouse = await session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound("Warehouse", ["warehouseId"])
    types = {t.id: t for t in await vehicle_types(session, warehouse_id) if t.trunk is trunk}
    keys = {(t.id, n) for t in types.values() for n in range(1, t.count + 1)}
    keys.update(k for k in also_vehicles if k[0] in types)
    settings = await routing_settings_of(session, warehouse_id)
    midnight = local_midnight(day, zone)
    earliest = None if not_before is None else int((not_before - midnight).total_seconds())
    return ProblemInputs(
        depot=(warehouse.lat, warehouse.lon),
        stops=stops,
        vehicles=[(key, _vehicle_spec(types[key[0]], earliest)) for key in sorted(keys)],
        loading_s=settings.loading_minutes * 60,
        stop_fixed_s=settings.stop_fixed_s,
        stop_per_tote_s=settings.stop_per_tote_s,
        midnight=midnight,
    )


async def point_inputs(
    session: AsyncSession,
    warehouse_id: int,
    day: date,
    zone: ZoneInfo,
    demand: Sequence[tuple[int, int, int]],
    also_vehicles: Collection[VehicleKey] = (),
    not_before: datetime | None = None,
) -> ProblemInputs:
    """Inputs for ``demand`` rows (pickup point, weight g, totes)."""
    ids = [row[0] for row in demand]
    points = {
        p.id: p
        for p in (await session.execute(select(PickupPoint).where(PickupPoint.id.in_(ids))))
        .scalars()
        .all()
    }
    stops = [
        StopInput(
            site_id=point_id,
            name=points[point_id].name,
            lat=points[point_id].lat,
            lon=points[point_id].lon,
            weight_g=weight,
            totes=totes,
            window_open_s=seconds_of_day(points[point_id].window_start),
            window_close_s=seconds_of_day(points[point_id].window_end),
        )
        for point_id, weight, totes in demand
    ]
    return await problem_frame(
        session, warehouse_id, day, zone, stops, also_vehicles, not_before=not_before
    )


async def day_demand(
    session: AsyncSession, warehouse_id: int, day: date
) -> list[tuple[int, int, int]]:
    """(pickup point, weight g, totes) of every point the warehouse's own
    vehicles deliver to (fulfilment/network: a grid's points, sorted at its
    central; a central's points under no grid) with sorted goods that day,
    all storage zones together, in pickup point order."""
    rows = await session.execute(
        select(
            PickupPointLoad.pickup_point_id,
            func.sum(PickupPointLoad.weight_g),
            func.sum(PickupPointLoad.totes),
        )
        .where(
            PickupPointLoad.warehouse_id == await buying_warehouse(session, warehouse_id),
            PickupPointLoad.delivery_date == day,
            delivered_by(warehouse_id, PickupPointLoad.pickup_point_id),
        )
        .group_by(PickupPointLoad.pickup_point_id)
        .order_by(PickupPointLoad.pickup_point_id)
    )
    return [(int(p), int(w), int(t)) for p, w, t in rows]


async def day_inputs(
    session: AsyncSession,
    warehouse_id: int,
    day: date,
    zone: ZoneInfo,
    not_before: datetime | None = None,
) -> ProblemInputs:
    """The day's problem inputs, no vehicle leaving before ``not_before``;
    refuses a day with no sorted goods or a warehouse without vehicles."""
    demand = await day_demand(session, warehouse_id, day)
    inputs = await point_inputs(session, warehouse_id, day, zone, demand, not_before=not_before)
    if not demand:
        raise DomainError(
            RoutingErrorCode.NOTHING_TO_PLAN,
            f"No pickup point has sorted goods for {day.isoformat()}: run sorting first.",
            ["deliveryDate"],
        )
    if not inputs.vehicles:
        raise DomainError(
            RoutingErrorCode.NO_VEHICLES,
            "The warehouse has no vehicles: add vehicle types with a count above 0.",
            ["warehouseId"],
        )
    return inputs
