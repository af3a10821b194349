"""The demo region, built through the domain functions: a warehouse on the
edge of Changsha, approved leaders with pickup points in neighbourhood
clusters, suppliers and their catalogue, a fleet, customers with tokens, and
one campaign."""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import time

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.names import (
    ESTATE_KINDS,
    SUPPLIERS,
    People,
    catalogue,
    group_price_fen,
    list_price_fen,
    nearest_district,
)
from api.demo.sizes import Scale
from api.demo.steps import Steps
from api.demo.timeline import Timeline
from api.graphql.ids import encode
from fulfilment.campaigns import campaigns, catalog
from fulfilment.campaigns.service_areas import assign_warehouse
from fulfilment.campaigns.warehouses import create_warehouse
from fulfilment.routing import fleet
from fulfilment.routing.solver.instances import city_day
from kernel.accounts import TOKEN_PREFIX, ApiToken, Role, User, create_user, token_digest
from kernel.db import unit_of_work
from kernel.geo import LatLon
from kernel.settings import Settings
from leaders.applications import lifecycle as applications
from leaders.commission.rates import set_category_rate
from leaders.points.queries import pickup_points_by_leader

CHANGSHA = (28.2282, 112.9388)
# Receiving windows leaders choose from: most take the morning, some open late.
WINDOWS = ((time(7), time(11)), (time(7, 30), time(11)), (time(8), time(11, 30)))
# Commission by category where it differs from the default rate.
CATEGORY_RATES_BPS = {"水果": 1200, "蔬菜": 1200, "肉禽": 800, "粮油": 600, "日用": 800}
LINES_PER_ORDER = 1.5  # what intake draws, on average; sizes caps and thresholds
UNITS_PER_LINE = 1.15


@dataclass
class Point:
    id: int
    gid: str
    leader_id: int
    leader_user_id: int


@dataclass
class Customer:
    user_id: int
    token: str
    point: int  # index into Region.points: where the customer orders


@dataclass
class Item:
    id: int
    gid: str
    product_id: int
    spec: catalog.ProductDraft
    popularity: float
    per_customer_limit: int | None


@dataclass
class Region:
    operator_id: int
    dispatcher_id: int
    warehouse_id: int
    campaign_id: int
    driver_id: int = 0
    tokens: dict[str, str] = field(default_factory=dict)  # per role, for the printout
    supplier_users: dict[int, int] = field(default_factory=dict)  # supplier id -> user id
    points: list[Point] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


async def build_region(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    scale: Scale,
    timeline: Timeline,
    rng: random.Random,
    steps: Steps,
) -> Region:
    """Everything the day needs, one step (and transaction) per kind of thing."""
    # The generator's first coordinate is a warehouse on the edge of town,
    # the rest are pickup points in neighbourhood-sized clusters.
    coordinates = city_day(scale.pickup_points, 1, seed=rng.randrange(2**31), centre=CHANGSHA)
    depot, *spots = coordinates.coordinates or []
    # Names and phones from a generator of their own: distinct, and drawing
    # them does not shift the rest of the seed's day.
    people = People(random.Random(rng.randrange(2**31)))
    with steps.step("Warehouse, suppliers, catalogue, fleet") as bar:
        async with unit_of_work(sessions) as session:
            region = await _warehouse_and_fleet(session, settings, scale, depot)
            await _suppliers_and_products(session, settings, scale, region, rng)
        bar.note = f"{scale.suppliers} suppliers, {scale.products} products"
    with steps.step("Leaders and pickup points", total=len(spots)) as bar:
        async with unit_of_work(sessions) as session:
            await _leaders(session, settings, region, spots, people, bar.advance)
        bar.note = f"{len(region.points)} approved"
    with steps.step("Customers and their tokens") as bar:
        async with unit_of_work(sessions) as session:
            await _customers(session, settings, region, scale.customers, rng, people)
        bar.note = f"{len(region.customers):,} customers"
    with steps.step("Campaign") as bar:
        async with unit_of_work(sessions) as session:
            await _campaign(session, settings, scale, region, timeline)
        bar.note = f"{len(region.items)} items, delivery {timeline.delivery_date.isoformat()}"
    return region


async def _warehouse_and_fleet(
    session: AsyncSession, settings: Settings, scale: Scale, depot: tuple[float, float]
) -> Region:
    operator, operator_token = await create_user(
        session, name="运营小王", role=Role.OPERATOR, secret=settings.token_secret
    )
    dispatcher, dispatcher_token = await create_user(
        session, name="调度老李", role=Role.DISPATCHER, secret=settings.token_secret
    )
    # Named after the district it stands in, like the pickup points.
    district = nearest_district(*depot)
    warehouse = await create_warehouse(
        session,
        name=f"长沙{district.name}中心仓",
        address=f"长沙市{district.name}{district.roads[0]} 1 号",
        location=LatLon(*depot),
        created_by=operator,
    )
    # Half small vans, half larger trucks; together they carry the day twice over.
    small = scale.vehicles // 2
    for name, kg, totes, count, fixed, per_km in (
        ("4.2米厢货", 3_000, 260, small, 30_000, 300),
        ("6.8米厢货", 6_000, 480, scale.vehicles - small, 45_000, 420),
    ):
        await fleet.create_vehicle_type(
            session,
            warehouse.id,
            fleet.VehicleTypeDraft(name, kg, totes, count, fixed, per_km, time(6), 8 * 60),
        )
    await fleet.set_routing_settings(
        session, warehouse.id, loading_minutes=30, stop_fixed_s=240, stop_per_tote_s=10
    )
    for category, bps in CATEGORY_RATES_BPS.items():
        await set_category_rate(session, category, bps, operator, operator.created_at)
    region = Region(operator.id, dispatcher.id, warehouse.id, campaign_id=0)
    driver, driver_token = await create_user(
        session, name="司机小陈", role=Role.DRIVER, secret=settings.token_secret
    )
    region.driver_id = driver.id
    region.tokens.update(operator=operator_token, dispatcher=dispatcher_token, driver=driver_token)
    return region


async def _suppliers_and_products(
    session: AsyncSession, settings: Settings, scale: Scale, region: Region, rng: random.Random
) -> None:
    specs = catalogue(scale.products)
    supplier_of_category: dict[str, int] = {}
    for index, (name, contact, categories) in enumerate(SUPPLIERS[scale.suppliers]):
        supplier = await catalog.create_supplier(
            session, name=name, contact_name=contact, contact_phone=f"1390000{index:04d}"
        )
        user, token = await catalog.create_supplier_user(
            session, supplier_id=supplier.id, name=f"{name}·{contact}", secret=settings.token_secret
        )
        region.supplier_users[supplier.id] = user.id
        region.tokens.setdefault("supplier", token)
        supplier_of_category.update(dict.fromkeys(categories, supplier.id))
    for spec in specs:
        spec = replace(spec, supplier_id=supplier_of_category[spec.category])
        product = await catalog.create_product(session, spec)
        # Light everyday goods sell best; heavy cases and dear treats less.
        popularity = rng.uniform(0.5, 1.5) / math.sqrt(spec.weight_g / 1000 + 0.3)
        region.items.append(Item(0, "", product.id, spec, popularity, None))


async def _leaders(
    session: AsyncSession,
    settings: Settings,
    region: Region,
    spots: list[tuple[float, float]],
    people: People,
    advance: Callable[[], None],
) -> None:
    operator = await session.get(User, region.operator_id)
    assert operator is not None
    buildings: dict[str, int] = {}
    for index, (lat, lon) in enumerate(spots):
        phone = people.phone()
        draft = _point_draft(lat, lon, index, phone, buildings)
        user, token = await create_user(
            session,
            name=people.name(),
            role=Role.CUSTOMER,
            secret=settings.token_secret,
            phone=phone,
        )
        leader = await applications.apply(session, user, draft)
        await applications.approve(session, leader.id, operator)
        point = (await pickup_points_by_leader(session, [leader.id]))[leader.id]
        await assign_warehouse(session, point.id, region.warehouse_id)
        region.points.append(Point(point.id, encode("PickupPoint", point.id), leader.id, user.id))
        region.tokens.setdefault("leader", token)
        advance()


def _point_draft(
    lat: float, lon: float, index: int, phone: str, buildings: dict[str, int]
) -> applications.PickupPointDraft:
    """A point named after where it is: the nearest district's, and within it
    an estate and road picked by the ~500 m cell the point falls in, so
    neighbours share an estate and a street; the building number counts up
    per estate so no two points share a name. ``buildings`` carries the count."""
    district = nearest_district(lat, lon)
    cell = round(lat * 200) * 31 + round(lon * 200)  # 0.005° cells
    estate = (
        district.estates[cell % len(district.estates)] + ESTATE_KINDS[cell // 3 % len(ESTATE_KINDS)]
    )
    buildings[estate] = building = buildings.get(estate, 0) + 1
    road = district.roads[cell // 7 % len(district.roads)]
    opens, closes = WINDOWS[index % len(WINDOWS)]
    return applications.PickupPointDraft(
        name=f"{district.name}·{estate}{building}栋",
        address=f"长沙市{district.name}{road} {cell % 397 + 1} 号{estate}{building}栋",
        location=LatLon(lat, lon),
        window_start=opens,
        window_end=closes,
        contact_phone=phone,
    )


async def _customers(
    session: AsyncSession,
    settings: Settings,
    region: Region,
    count: int,
    rng: random.Random,
    people: People,
) -> None:
    """Customers and a token each in two bulk INSERTs (``create_user``
    flushes twice per user, and ORM objects cost more than the rows), with the
    token shape and digest of ``kernel.accounts.issue_token``."""
    ids = (
        await session.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [
                {"name": people.name(unique=False), "role": Role.CUSTOMER, "phone": people.phone()}
                for _ in range(count)
            ],
        )
    ).all()
    tokens = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in ids]
    secret = settings.token_secret
    await session.execute(
        insert(ApiToken),
        [
            {"user_id": user_id, "digest": token_digest(token, secret)}
            for user_id, token in zip(ids, tokens, strict=True)
        ],
    )
    region.customers = [
        Customer(user_id, token, _home_point(rng, len(region.points)))
        for user_id, token in zip(ids, tokens, strict=True)
    ]
    region.tokens["customer"] = tokens[0]


def _home_point(rng: random.Random, points: int) -> int:
    """Half the customers live anywhere, half near the first points: some
    points have many more neighbours ordering than others."""
    if rng.random() < 0.5:
        return rng.randrange(points)
    return min(int(rng.expovariate(3.0 / points)), points - 1)


async def _campaign(
    session: AsyncSession, settings: Settings, scale: Scale, region: Region, timeline: Timeline
) -> None:
    """Every product on sale; a few capped (some sell out), per-customer
    limits on meat, and two group thresholds, one of them out of reach."""
    operator = await session.get(User, region.operator_id)
    assert operator is not None
    total = sum(item.popularity for item in region.items)
    units = scale.orders * LINES_PER_ORDER * UNITS_PER_LINE
    drafts = []
    for index, item in enumerate(region.items):
        expected = units * item.popularity / total
        cap = threshold = limit = None
        if index % 17 == 5:
            cap = max(1, int(expected * 0.8))  # sells out before the cutoff
        elif index % 13 == 3:
            cap = int(expected * 3)
        if item.spec.category == "肉禽":
            limit = 2
        if index == 7:
            threshold = max(2, int(expected * 3))  # 未成团: cancelled at cutoff
        elif index % 11 == 2:
            threshold = max(1, int(expected / 4))
        item.per_customer_limit = limit
        price = group_price_fen(item.spec.cost_fen)
        drafts.append(
            campaigns.ItemDraft(
                item.product_id, price, list_price_fen(price), cap, limit, threshold
            )
        )
    campaign = await campaigns.create_campaign(
        session,
        campaigns.CampaignDraft(
            warehouse_id=region.warehouse_id,
            delivery_date=timeline.delivery_date,
            opens_at=timeline.opens_at,
            cutoff_at=timeline.cutoff_at,
            pickup_start=time(14),
            pickup_end=time(20),
        ),
        drafts,
        created_by=operator,
        zone=settings.zone,
        now=timeline.started,
    )
    region.campaign_id = campaign.id
    stored = {i.product_id: i for i in await campaigns.campaign_items(session, [campaign.id])}
    for item in region.items:
        item.id = stored[item.product_id].id
        item.gid = encode("CampaignItem", item.id)
