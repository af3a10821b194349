"""The region ``bench_network.py`` plans: one central warehouse in Changsha,
grid warehouses on a ring around it, pickup points spread over the city,
each point's sorted goods for the day, and the fleets (delivery vans at the
central for the single-tier comparison, trunk trucks at the central, vans at
each grid). Built through the domain's own functions; only the sorted loads
are written as rows, as a sorting run would leave them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, time

from geopy.distance import great_circle
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fulfilment.campaigns.models import StorageZone
from fulfilment.campaigns.service_areas import assign_warehouse
from fulfilment.campaigns.warehouses import create_warehouse
from fulfilment.network.grids import GridTerms, assign_points, set_grid
from fulfilment.routing.fleet import VehicleTypeDraft, create_vehicle_type, set_routing_settings
from fulfilment.sorting.models import GridLoad, PickupPointLoad
from kernel.accounts import Role, User, create_user
from kernel.db import unit_of_work
from kernel.geo import LatLon
from leaders.applications import lifecycle as applications
from leaders.points.queries import pickup_points_by_leader

CENTRE = LatLon(28.20, 112.95)  # Changsha
RING_KM, CITY_KM = 11.0, 22.0
KM_PER_DEGREE = 111.0
VAN_KG, VAN_TOTES = 1500, 60
SECRET = "bench-network-secret-0123456789abcdef"


@dataclass
class Region:
    central_id: int
    grid_ids: list[int]
    point_ids: list[int]
    # Where each grid and each point is (warehouse and point ids may coincide).
    grid_at: dict[int, LatLon] = field(default_factory=dict)
    point_at: dict[int, LatLon] = field(default_factory=dict)
    loads: dict[int, tuple[int, int]] = field(default_factory=dict)  # point -> (g, totes)


def _around(rng: random.Random, radius_km: float) -> LatLon:
    """A uniformly random place within ``radius_km`` of the centre."""
    distance, angle = radius_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return _at(distance, angle)


def _at(distance_km: float, angle: float) -> LatLon:
    lat = CENTRE.lat + distance_km * math.sin(angle) / KM_PER_DEGREE
    lon_km = KM_PER_DEGREE * math.cos(math.radians(CENTRE.lat))
    return LatLon(round(lat, 6), round(CENTRE.lon + distance_km * math.cos(angle) / lon_km, 6))


def _van(name: str, count: int, **changes: object) -> VehicleTypeDraft:
    fields: dict[str, object] = {
        "name": name,
        "capacity_kg": VAN_KG,
        "capacity_totes": VAN_TOTES,
        "count": count,
        "fixed_cost_fen": 30_000,
        "cost_per_km_fen": 250,
        "shift_start": time(5),
        "max_shift_minutes": 480,
        **changes,
    }
    return VehicleTypeDraft(**fields)  # type: ignore[arg-type]


async def _points(
    session: AsyncSession, operator: User, central: int, count: int, rng: random.Random
) -> dict[int, LatLon]:
    """Approved leaders' points, served by the central, spread over the city."""
    placed = {}
    for index in range(count):
        applicant, _ = await create_user(
            session, name=f"团长{index:04d}", role=Role.CUSTOMER, secret=SECRET
        )
        where = _around(rng, CITY_KM)
        leader = await applications.apply(
            session,
            applicant,
            applications.PickupPointDraft(
                name=f"自提点{index:04d}",
                address=f"长沙市第 {index + 1} 号",
                location=where,
                window_start=time(6, 30),
                window_end=time(11),
                contact_phone="13800138000",
            ),
        )
        await applications.approve(session, leader.id, operator)
        point = (await pickup_points_by_leader(session, [leader.id]))[leader.id]
        await assign_warehouse(session, point.id, central)
        placed[point.id] = where
    return placed


async def seed_region(
    sessions: async_sessionmaker[AsyncSession], day: date, grids: int, points: int, seed: int
) -> Region:
    """The central, its grids (not yet serving any point), the points with
    their loads (40–160 kg, 2–6 totes each) and the central's fleets."""
    rng = random.Random(seed)
    async with unit_of_work(sessions) as session:
        operator, _ = await create_user(session, name="运营", role=Role.OPERATOR, secret=SECRET)
        central = await create_warehouse(
            session,
            name="中心仓-长沙",
            address="长沙市望城区",
            location=CENTRE,
            created_by=operator,
        )
        region = Region(central.id, [], [])
        for index in range(grids):
            where = _at(RING_KM, 2 * math.pi * index / grids)
            grid = await create_warehouse(
                session,
                name=f"网格仓-{index + 1:02d}",
                address="长沙",
                location=where,
                created_by=operator,
            )
            await set_grid(
                session,
                grid.id,
                GridTerms(central.id, 15, time(1), time(4), 20_000),
                expected_version=None,
            )
            await set_routing_settings(
                session, grid.id, loading_minutes=20, stop_fixed_s=300, stop_per_tote_s=20
            )
            region.grid_ids.append(grid.id)
            region.grid_at[grid.id] = where
        region.point_at = await _points(session, operator, central.id, points, rng)
        region.point_ids = list(region.point_at)
        for point in region.point_ids:
            weight, totes = rng.randint(40, 160) * 1000, rng.randint(2, 6)
            region.loads[point] = (weight, totes)
            session.add(
                PickupPointLoad(
                    warehouse_id=central.id,
                    delivery_date=day,
                    pickup_point_id=point,
                    storage_zone=StorageZone.AMBIENT,
                    units=totes * 6,
                    weight_g=weight,
                    volume_ml=totes * 35_000,
                    totes=totes,
                )
            )
        await _central_fleet(session, region)
    return region


def vans_for(region: Region, point_ids: list[int]) -> int:
    """Vans enough for the points' weight and totes, with room to spare."""
    weight = sum(region.loads[p][0] for p in point_ids) / (VAN_KG * 1000)
    totes = sum(region.loads[p][1] for p in point_ids) / VAN_TOTES
    return math.ceil(max(weight, totes) * 1.4) + 1


async def _central_fleet(session: AsyncSession, region: Region) -> None:
    await set_routing_settings(
        session, region.central_id, loading_minutes=30, stop_fixed_s=900, stop_per_tote_s=5
    )
    # Single tier: the same vans the grids will have, all at the central.
    await create_vehicle_type(
        session, region.central_id, _van("4.2米厢式货车", vans_for(region, region.point_ids))
    )
    # A grid's night is about 15 t: a 9.6 m truck (20 t) a grid, and two spare.
    trunk = _van(
        "9.6米干线车",
        len(region.grid_ids) + 2,
        capacity_kg=20_000,
        capacity_totes=1_200,
        shift_start=time(0),
        trunk=True,
    )
    await create_vehicle_type(session, region.central_id, trunk)


async def split_into_grids(
    sessions: async_sessionmaker[AsyncSession], region: Region, day: date
) -> None:
    """Each point under its nearest grid, each grid with its vans and the
    goods stage one sorted for it (its points' weight, their totes)."""
    served: dict[int, list[int]] = {grid: [] for grid in region.grid_ids}
    for point in region.point_ids:
        here = region.point_at[point]
        nearest = min(
            region.grid_ids,
            key=lambda g: (
                great_circle((here.lat, here.lon), (region.grid_at[g].lat, region.grid_at[g].lon)).m
            ),
        )
        served[nearest].append(point)
    async with unit_of_work(sessions) as session:
        for grid, points in served.items():
            for start in range(0, len(points), 500):
                await assign_points(session, grid, points[start : start + 500])
            await create_vehicle_type(session, grid, _van("金杯面包车", vans_for(region, points)))
            weight = sum(region.loads[p][0] for p in points)
            totes = sum(region.loads[p][1] for p in points)
            session.add(
                GridLoad(
                    central_id=region.central_id,
                    delivery_date=day,
                    grid_id=grid,
                    storage_zone=StorageZone.AMBIENT,
                    units=totes * 6,
                    cases=0,
                    loose_units=totes * 6,
                    weight_g=weight,
                    volume_ml=totes * 35_000,
                    totes=totes,
                    handling_units=totes,
                )
            )
