"""A sorted delivery day and a route plan written straight into the tables,
so delivery and route-document tests need neither the solver nor the
planning job."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.purchasing.consolidation import consolidate
from fulfilment.routing.models import (
    Route,
    RoutePlan,
    RoutePlanStatus,
    RouteStop,
    UnservedStop,
    VehicleType,
)
from fulfilment.routing.solver.problem import DropReason
from fulfilment.sorting.models import PickupPointLoad
from fulfilment.sorting.sorting import sort_day
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.points.models import PickupPoint
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import Shop, approved_pickup_point, open_shop

A_PRICE, B_PRICE = 990, 350


POINT_NAMES = ("桃子湖小区", "麓山小区", "望月湖小区")


@dataclass
class Day:
    """Two pickup points of one warehouse, sorted. At the first (the shop's
    own): alice 3 A + 1 B, then bob 2 A. At the second: carol 4 A, paid
    last of all. A third point, dora's, has 1 B and is left unserved."""

    shop: Shop
    point2: int
    leader2: User
    leader2_token: str
    point3: int
    alice: User
    bob: User
    carol: User
    dora: User

    @property
    def product_a(self) -> int:
        return int(self.shop.extra["product_id"])

    @property
    def product_b(self) -> int:
        return self.product_a + 1


async def _place(db: TestDB, shop: Shop, point_id: int, quantities: dict[int, int]) -> User:
    customer, _ = await db.user(Role.CUSTOMER, f"顾客-{uuid.uuid4().hex[:4]}")
    await order(
        db, dataclasses.replace(shop, pickup_point_id=point_id), customer, quantities, pay=True
    )
    return customer


async def sorted_day(db: TestDB) -> Day:
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": A_PRICE, "list_price_fen": 1290},
            {"group_price_fen": B_PRICE, "list_price_fen": 400},
        ],
    )
    point2, leader2, leader2_token = await approved_pickup_point(
        db, shop.operator, shop.warehouse_id
    )
    point3, _, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    alice = await _place(db, shop, shop.pickup_point_id, {0: 3, 1: 1})
    bob = await _place(db, shop, shop.pickup_point_id, {0: 2})
    carol = await _place(db, shop, point2, {0: 4})
    dora = await _place(db, shop, point3, {1: 1})
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        await sort_day(
            session,
            shop.warehouse_id,
            shop.delivery_date,
            tote_volume_ml=db.settings.tote_volume_ml,
            now=utcnow(),
        )
        # Names to tell the points apart, spread out so a map has something to show.
        for point_id, name, (lat, lon) in zip(
            (shop.pickup_point_id, point2, point3),
            POINT_NAMES,
            ((28.19, 112.94), (28.23, 112.99), (28.30, 112.86)),
            strict=True,
        ):
            point = await session.get(PickupPoint, point_id)
            assert point is not None
            point.name, point.lat, point.lon = name, lat, lon
    return Day(shop, point2, leader2, leader2_token, point3, alice, bob, carol, dora)


@dataclass
class StoredPlan:
    plan_id: int
    route_ids: list[int]
    stop_ids: dict[int, int]  # pickup point id -> route stop id


async def day_loads(session: AsyncSession, day: date) -> tuple[dict[int, int], dict[int, int]]:
    """Each pickup point's sorted weight (g) and totes on ``day``."""
    loads = dict(
        (
            await session.execute(
                select(
                    PickupPointLoad.pickup_point_id,
                    func.sum(PickupPointLoad.weight_g),
                )
                .where(PickupPointLoad.delivery_date == day)
                .group_by(PickupPointLoad.pickup_point_id)
            )
        ).all()
    )
    totes = dict(
        (
            await session.execute(
                select(PickupPointLoad.pickup_point_id, func.sum(PickupPointLoad.totes))
                .where(PickupPointLoad.delivery_date == day)
                .group_by(PickupPointLoad.pickup_point_id)
            )
        ).all()
    )
    return loads, totes


async def add_route(
    session: AsyncSession,
    stored: StoredPlan,
    vehicle: VehicleType,
    number: int,
    points: Sequence[int],
    leave: datetime,
    loads: dict[int, int],
    totes: dict[int, int],
) -> None:
    """Route ``number`` of the stored plan, visiting ``points`` in order: a stop
    every 30 minutes after ``leave``, each 10 minutes long."""
    weight = sum(int(loads.get(p, 0)) for p in points)
    tote_count = sum(int(totes.get(p, 0)) for p in points)
    route = Route(
        plan_id=stored.plan_id,
        number=number,
        vehicle_type_id=vehicle.id,
        vehicle_number=number,
        departure_at=leave,
        return_at=leave + timedelta(minutes=30 * (len(points) + 1)),
        distance_m=5000 * (len(points) + 1),
        weight_g=weight,
        totes=tote_count,
    )
    session.add(route)
    await session.flush()
    stored.route_ids.append(route.id)
    load, on_board = weight, tote_count
    for position, point_id in enumerate(points, start=1):
        arrival = leave + timedelta(minutes=30 * position)
        load -= int(loads.get(point_id, 0))
        on_board -= int(totes.get(point_id, 0))
        stop = RouteStop(
            plan_id=stored.plan_id,
            route_id=route.id,
            position=position,
            pickup_point_id=point_id,
            weight_g=int(loads.get(point_id, 0)),
            totes=int(totes.get(point_id, 0)),
            arrival_at=arrival,
            service_start_at=arrival,
            departure_at=arrival + timedelta(minutes=10),
            load_g_after=load,
            totes_after=on_board,
        )
        session.add(stop)
        await session.flush()
        stored.stop_ids[point_id] = stop.id


async def store_plan(
    db: TestDB,
    warehouse_id: int,
    day: date,
    routes: Sequence[Sequence[int]],
    *,
    status: RoutePlanStatus = RoutePlanStatus.PUBLISHED,
    unserved: Sequence[int] = (),
    vehicle_name: str = "4.2米厢货",
) -> StoredPlan:
    """A plan whose route n visits the pickup points ``routes[n - 1]`` in
    order: trucks leave at 06:00 Shanghai time (22:00 UTC the day before),
    a stop every 30 minutes, 5 km a leg."""
    leave = datetime.combine(day - timedelta(days=1), time(22), tzinfo=UTC)
    async with unit_of_work(db.sessions) as session:
        loads, totes = await day_loads(session, day)
        vehicle = VehicleType(
            warehouse_id=warehouse_id,
            name=f"{vehicle_name}-{uuid.uuid4().hex[:4]}",
            capacity_g=2_000_000,
            capacity_totes=100,
            count=len(routes),
            fixed_cost_fen=20_000,
            cost_per_km_fen=300,
            shift_start=time(6),
            max_shift_minutes=480,
        )
        session.add(vehicle)
        plan = RoutePlan(
            warehouse_id=warehouse_id,
            delivery_date=day,
            status=status,
            time_limit_s=30,
            published_at=utcnow() if status is RoutePlanStatus.PUBLISHED else None,
        )
        session.add(plan)
        await session.flush()
        stored = StoredPlan(plan.id, [], {})
        for number, points in enumerate(routes, start=1):
            await add_route(session, stored, vehicle, number, points, leave, loads, totes)
        for point_id in unserved:
            session.add(
                UnservedStop(
                    plan_id=plan.id,
                    pickup_point_id=point_id,
                    reason=DropReason.WINDOW_UNREACHABLE,
                    weight_g=int(loads.get(point_id, 0)),
                    totes=int(totes.get(point_id, 0)),
                )
            )
        plan.vehicles_used = len(routes)
        plan.stops = sum(len(r) for r in routes)
        plan.distance_m = sum(5000 * (len(r) + 1) for r in routes)
    return stored
