"""The demo's two-tier network (``tuangou demo --network two-tier``): the
region's warehouse becomes the central warehouse of 6–10 grid warehouses
placed where its points cluster, each with a GRID_OPERATOR account, a fee per
piece, a receiving window for the trunk and a service radius; the points go
under the grid the operator's proposals name (``gridProposals``, then
``gridPointsAssign``), except the central's own neighbourhood, which its own
vans keep serving; trunk trucks at the central and vans at each grid. Built
through the domain's own functions, like the rest of the region."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.names import People, nearest_district
from api.demo.region import Region
from api.demo.sizes import SCALES, Scale, Size
from api.demo.steps import Steps
from fulfilment.campaigns.models import Warehouse
from fulfilment.campaigns.warehouses import create_warehouse
from fulfilment.network.grids import MAX_POINTS_PER_CALL, GridTerms, assign_points, set_grid
from fulfilment.network.models import GridOperator
from fulfilment.network.queries import propose_grids
from fulfilment.routing import fleet
from kernel.accounts import Role, User, create_user
from kernel.db import unit_of_work
from kernel.geo import LatLon
from kernel.settings import Settings
from leaders.points.models import PickupPoint

KM_PER_DEGREE = 111.0
# The share of points nearest the central that its own vans keep: a central
# warehouse serves its own neighbourhood; a grid there would only add a hop.
DIRECT_SHARE = 0.1
PIECE_FEE_FEN = 15  # ¥0.15 a piece, the grid operator's fee
# The trunk arrives after the central has received (03:00–04:00 on the
# demo's clock) and sorted, and unloads before the grids' vans leave for the
# points' 07:00 windows.
RECEIVING = (time(4, 30), time(6, 30))
TRUNK_SHIFT_START = time(4)
# A grid unloads the trunk's cases and totes at a dock by pallet truck, not
# hand by hand at a shop's door: the central's per-unit stop time (which its
# trunk and its own vans share) is 5 s rather than the single tier's 10 s,
# or a large grid's trunk (over a thousand units) would unload for 3 hours.
UNIT_SECONDS = 5
POINTS_PER_VAN = 12  # a grid's vans: enough for its points, and one spare


@dataclass(frozen=True)
class TierScale:
    """A two-tier region's size: the region's (more points, fewer delivery
    vehicles at the central, which keeps only its neighbourhood) and grids."""

    scale: Scale
    grids: int


# Medium has 600+ points; small still has six grids (what the tests run).
TIER_SCALES = {
    Size.SMALL: TierScale(replace(SCALES[Size.SMALL], pickup_points=60, vehicles=2), 6),
    Size.MEDIUM: TierScale(replace(SCALES[Size.MEDIUM], pickup_points=640, vehicles=4), 8),
    Size.LARGE: TierScale(replace(SCALES[Size.LARGE], pickup_points=1_200, vehicles=8), 10),
}


@dataclass
class GridSite:
    warehouse_id: int
    name: str
    operator_id: int  # the GRID_OPERATOR account that runs it
    operator_token: str
    points: list[int] = field(default_factory=list)  # pickup point ids it serves


@dataclass
class GridNetwork:
    central_id: int
    grids: list[GridSite] = field(default_factory=list)
    direct: list[int] = field(default_factory=list)  # points the central serves itself

    def grid(self, warehouse_id: int) -> GridSite:
        return next(g for g in self.grids if g.warehouse_id == warehouse_id)

    @property
    def via_grids(self) -> int:
        return sum(len(g.points) for g in self.grids)


Place = tuple[float, float]  # (lat, lon)


def _km(origin: Place, place: Place) -> tuple[float, float]:
    """``place`` in km east and north of ``origin`` (flat: one city)."""
    east = (place[1] - origin[1]) * KM_PER_DEGREE * math.cos(math.radians(origin[0]))
    return east, (place[0] - origin[0]) * KM_PER_DEGREE


def distance_km(a: Place, b: Place) -> float:
    """An equirectangular distance, exact enough across one city."""
    return math.hypot(*_km(a, b))


def _nearest(place: Place, centres: Sequence[Place]) -> int:
    return min(range(len(centres)), key=lambda i: distance_km(place, centres[i]))


def place_grids(points: Sequence[Place], count: int, rng: random.Random) -> list[Place]:
    """Where ``count`` grids stand: k-means over the points (k-means++ start,
    seeded), so each grid sits in the middle of the points it will serve."""
    centres = [rng.choice(points)]
    while len(centres) < count:
        weights = [min(distance_km(p, c) for c in centres) ** 2 for p in points]
        centres.append(rng.choices(points, weights=weights)[0])
    for _ in range(30):
        groups: list[list[Place]] = [[] for _ in centres]
        for place in points:
            groups[_nearest(place, centres)].append(place)
        moved = [
            (sum(p[0] for p in g) / len(g), sum(p[1] for p in g) / len(g)) if g else c
            for g, c in zip(groups, centres, strict=True)
        ]
        if moved == centres:
            break
        centres = moved
    return [(round(lat, 6), round(lon, 6)) for lat, lon in centres]


def service_radius_m(grid: Place, centres: Sequence[Place], points: Sequence[Place]) -> int:
    """A radius that reaches every point nearer to ``grid`` than to the other
    centres with half a kilometre to spare, rounded up to the half
    kilometre, and 2 km at least."""
    own = [distance_km(grid, p) for p in points if centres[_nearest(p, centres)] == grid]
    return max(2_000, math.ceil(max(own, default=0.0) * 2 + 1) * 500)


async def build_network(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    region: Region,
    tiers: TierScale,
    rng: random.Random,
    steps: Steps,
) -> GridNetwork:
    """The grids, their operators and fleets; the points put under them."""
    network = GridNetwork(region.warehouse_id)
    with steps.step("Grid warehouses, operators, trunk trucks") as bar:
        async with unit_of_work(sessions) as session:
            central, points = await _places(session, region.warehouse_id)
            by_distance = sorted(points, key=lambda p: distance_km(central, points[p]))
            network.direct = by_distance[: max(3, round(len(points) * DIRECT_SHARE))]
            outer = [points[p] for p in by_distance[len(network.direct) :]]
            sites = place_grids(outer, tiers.grids, rng)
            people = People(random.Random(rng.randrange(2**31)))
            for site, name in zip(sites, grid_names(sites), strict=True):
                radius = service_radius_m(site, sites, outer)
                grid = await _grid(session, settings, region, (site, name, radius), people)
                network.grids.append(grid)
            await fleet.create_vehicle_type(session, network.central_id, _trunk(tiers.grids))
            await fleet.set_routing_settings(
                session,
                network.central_id,
                loading_minutes=30,
                stop_fixed_s=240,
                stop_per_tote_s=UNIT_SECONDS,
            )
            region.tokens.setdefault("grid_operator", network.grids[0].operator_token)
        bar.note = f"{len(network.grids)} grids, fee ¥{PIECE_FEE_FEN / 100:.2f} a piece"
    with steps.step("Points under grids (proposals, then assignment), grid vans") as bar:
        async with unit_of_work(sessions) as session:
            await _assign(session, network)
        bar.note = f"{network.via_grids} points via grids, {len(network.direct)} served directly"
    return network


async def _places(session: AsyncSession, central_id: int) -> tuple[Place, dict[int, Place]]:
    """Where the central is, and each of its points."""
    warehouse = await session.get(Warehouse, central_id)
    assert warehouse is not None
    rows = await session.execute(
        select(PickupPoint.id, PickupPoint.lat, PickupPoint.lon).order_by(PickupPoint.id)
    )
    return (warehouse.lat, warehouse.lon), {point: (lat, lon) for point, lat, lon in rows}


def grid_names(sites: Sequence[Place]) -> list[str]:
    """Each grid named after its district, and a road of it when the
    district has a grid already."""
    names: list[str] = []
    for site in sites:
        district = nearest_district(*site)
        base = f"长沙{district.name}"
        taken = sum(1 for name in names if name.startswith(base))
        road = district.roads[taken % len(district.roads)] if taken else ""
        names.append(f"{base}{road}网格仓")
    return names


async def _grid(
    session: AsyncSession,
    settings: Settings,
    region: Region,
    where: tuple[Place, str, int],
    people: People,
) -> GridSite:
    """A grid warehouse at (place, name, service radius) on the demo's
    terms, run by a new GRID_OPERATOR account (网格站长)."""
    site, name, radius_m = where
    operator = await session.get(User, region.operator_id)
    assert operator is not None
    district = nearest_district(*site)
    cell = round(site[0] * 200) * 31 + round(site[1] * 200)  # as the points' addresses
    warehouse = await create_warehouse(
        session,
        name=name,
        address=f"长沙市{district.name}{district.roads[-1]} {cell % 397 + 1} 号物流园",
        location=LatLon(*site),
        created_by=operator,
    )
    terms = GridTerms(region.warehouse_id, PIECE_FEE_FEN, *RECEIVING, radius_m)
    await set_grid(session, warehouse.id, terms, expected_version=None)
    await fleet.set_routing_settings(
        session, warehouse.id, loading_minutes=20, stop_fixed_s=240, stop_per_tote_s=10
    )
    user, token = await create_user(
        session, name=people.name(), role=Role.GRID_OPERATOR, secret=settings.token_secret
    )
    session.add(GridOperator(user_id=user.id, grid_id=warehouse.id))
    return GridSite(warehouse.id, name, user.id, token)


def _trunk(grids: int) -> fleet.VehicleTypeDraft:
    """9.6 m trucks, one a grid and two spare: a grid's night is a few tonnes
    and a few hundred cases and totes."""
    return fleet.VehicleTypeDraft(
        "9.6米干线车", 20_000, 2_000, grids + 2, 60_000, 600, TRUNK_SHIFT_START, 8 * 60, trunk=True
    )


async def _assign(session: AsyncSession, network: GridNetwork) -> None:
    """The proposals taken for every point outside the central's own
    neighbourhood; a point no grid reaches stays with the central. Then
    each grid's vans, as many as its points need."""
    keep = set(network.direct)
    chosen: dict[int, list[int]] = {g.warehouse_id: [] for g in network.grids}
    for proposal in await propose_grids(session, network.central_id):
        if proposal.pickup_point_id in keep:
            continue
        if proposal.grid_id is None:
            network.direct.append(proposal.pickup_point_id)
        else:
            chosen[proposal.grid_id].append(proposal.pickup_point_id)
    for grid in network.grids:
        grid.points = chosen[grid.warehouse_id]
        for start in range(0, len(grid.points), MAX_POINTS_PER_CALL):
            batch = grid.points[start : start + MAX_POINTS_PER_CALL]
            await assign_points(session, grid.warehouse_id, batch)
        vans = math.ceil(len(grid.points) / POINTS_PER_VAN) + 1
        draft = fleet.VehicleTypeDraft("金杯面包车", 1_500, 100, vans, 25_000, 250, time(6), 6 * 60)
        await fleet.create_vehicle_type(session, grid.warehouse_id, draft)
