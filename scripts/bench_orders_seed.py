"""The orderCreate benchmark's database: one open campaign, approved leaders'
pickup points and customers with tokens, seeded through the domain functions;
and the books checked after the run (reserved units, order count)."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING

from benchdb import libpq

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from kernel.accounts import User

# The server is started with this secret: the seeded tokens are digested with it.
TOKEN_SECRET = "bench-" + secrets.token_hex(8)

N_PRODUCTS = 50
PER_CUSTOMER_LIMIT = 200  # far above what one customer orders in a run
GENEROUS_CAP = 10_000_000


@dataclass
class Seed:
    campaign_id: int
    item_gids: list[str]
    point_gids: list[str]
    tokens: list[str]
    capped: int = 0
    uncapped: int = 0
    limited: int = 0


async def seed(url: str, *, customers: int, points: int) -> Seed:
    """Everything orders need, built through the domain functions."""
    from api.graphql.ids import encode
    from fulfilment.campaigns.warehouses import create_warehouse
    from kernel.accounts import Role, create_user
    from kernel.clock import utcnow
    from kernel.db import create_engine, create_sessionmaker, unit_of_work
    from kernel.geo import LatLon
    from kernel.settings import Settings

    settings = Settings(database_url=url, token_secret=TOKEN_SECRET)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    rng = random.Random(7)
    now = utcnow()
    try:
        async with unit_of_work(sessions) as session:
            operator, _ = await create_user(
                session, name="运营-bench", role=Role.OPERATOR, secret=TOKEN_SECRET
            )
            warehouse = await create_warehouse(
                session,
                name="长沙望城中心仓-bench",
                address="长沙市望城区金星北路 1 号",
                location=LatLon(28.35, 112.82),
                created_by=operator,
            )
            campaign_id, item_ids, counts = await _campaign(
                session, operator, warehouse.id, settings.zone, now
            )
            point_ids = await _pickup_points(session, operator, warehouse.id, points, rng)
        tokens = await _customers(sessions, customers)
    finally:
        await engine.dispose()
    return Seed(
        campaign_id=campaign_id,
        item_gids=[encode("CampaignItem", i) for i in item_ids],
        point_gids=[encode("PickupPoint", p) for p in point_ids],
        tokens=tokens,
        **counts,
    )


async def _campaign(
    session: AsyncSession, operator: User, warehouse_id: int, zone: ZoneInfo, now: datetime
) -> tuple[int, list[int], dict[str, int]]:
    """A supplier's N_PRODUCTS products in one open campaign: most capped
    generously or not at all, a few limited per customer. The campaign's id,
    its items' ids, and how many items are of each kind."""
    from fulfilment.campaigns import campaigns, catalog
    from fulfilment.campaigns.models import StorageZone

    supplier = await catalog.create_supplier(
        session, name="供应商-bench", contact_name="老王", contact_phone="13900139000"
    )
    drafts = []
    counts = {"capped": 0, "uncapped": 0, "limited": 0}
    for index in range(N_PRODUCTS):
        product = await catalog.create_product(
            session,
            catalog.ProductDraft(
                supplier_id=supplier.id,
                name=f"商品{index:02d}",
                category="水果",
                unit="500g/盒",
                weight_g=500,
                volume_ml=800,
                case_pack=12,
                cost_fen=600,
                storage_zone=StorageZone.AMBIENT,
            ),
        )
        price = 500 + 10 * index
        cap: int | None = None
        limit: int | None = None
        if index % 10 == 9:  # a few limited per customer
            limit = PER_CUSTOMER_LIMIT
            counts["limited"] += 1
        elif index % 2 == 0:  # capped, generously
            cap = GENEROUS_CAP
            counts["capped"] += 1
        else:
            counts["uncapped"] += 1
        drafts.append(
            campaigns.ItemDraft(
                product_id=product.id,
                group_price_fen=price,
                list_price_fen=price + 300,
                cap=cap,
                per_customer_limit=limit,
            )
        )
    campaign = await campaigns.create_campaign(
        session,
        campaigns.CampaignDraft(
            warehouse_id=warehouse_id,
            delivery_date=(now + timedelta(days=2)).date(),
            opens_at=now - timedelta(hours=1),
            cutoff_at=now + timedelta(hours=2),
            pickup_start=dtime(14),
            pickup_end=dtime(20),
        ),
        drafts,
        created_by=operator,
        zone=zone,
        now=now,
    )
    item_ids = [i.id for i in await campaigns.campaign_items(session, [campaign.id])]
    return campaign.id, item_ids, counts


async def _pickup_points(
    session: AsyncSession, operator: User, warehouse_id: int, points: int, rng: random.Random
) -> list[int]:
    """Approved leaders' pickup points, served by the warehouse."""
    from fulfilment.campaigns.service_areas import assign_warehouse
    from kernel.accounts import Role, create_user
    from kernel.geo import LatLon
    from leaders.applications import lifecycle as applications
    from leaders.points.queries import pickup_points_by_leader

    point_ids = []
    for index in range(points):
        applicant, _ = await create_user(
            session, name=f"团长{index:03d}", role=Role.CUSTOMER, secret=TOKEN_SECRET
        )
        leader = await applications.apply(
            session,
            applicant,
            applications.PickupPointDraft(
                name=f"幸福小区{index:03d}",
                address=f"长沙市岳麓区桃子湖路 {index + 1} 号",
                location=LatLon(28.15 + rng.uniform(0, 0.1), 112.90 + rng.uniform(0, 0.1)),
                window_start=dtime(7),
                window_end=dtime(11),
                contact_phone="13800138000",
            ),
        )
        await applications.approve(session, leader.id, operator)
        point = (await pickup_points_by_leader(session, [leader.id]))[leader.id]
        await assign_warehouse(session, point.id, warehouse_id)
        point_ids.append(point.id)
    return point_ids


async def _customers(sessions: async_sessionmaker[AsyncSession], customers: int) -> list[str]:
    """Customers and their tokens in bulk: one INSERT … VALUES batch each
    (create_user would flush twice per user). Same token shape and digest as
    kernel.accounts.issue_token."""
    from kernel.accounts import TOKEN_PREFIX, ApiToken, Role, User, token_digest
    from kernel.db import unit_of_work

    tokens: list[str] = []
    async with unit_of_work(sessions) as session:
        users = [User(name=f"团员{n:05d}", role=Role.CUSTOMER) for n in range(customers)]
        session.add_all(users)
        await session.flush()
        for user in users:
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            tokens.append(token)
            session.add(ApiToken(user_id=user.id, digest=token_digest(token, TOKEN_SECRET)))
        await session.flush()
    return tokens


@dataclass
class Checks:
    orders_in_db: int
    orders_expected: int
    items_checked: int
    reserved_mismatches: list[tuple[int, int, int]]
    over_cap: list[tuple[int, int, int]]

    @property
    def count_ok(self) -> bool:
        return self.orders_in_db == self.orders_expected

    @property
    def reserved_ok(self) -> bool:
        return not self.reserved_mismatches and not self.over_cap


def check_books(url: str, campaign_id: int, expected_orders: int) -> Checks:
    import psycopg

    with psycopg.connect(libpq(url), autocommit=True) as conn:
        rows = conn.execute(
            """
            SELECT ci.id, ci.reserved, ci.cap,
                   COALESCE((SELECT sum(ol.quantity)
                               FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                              WHERE ol.campaign_item_id = ci.id
                                AND o.status IN ('pending_payment', 'paid')), 0)
              FROM campaign_items ci WHERE ci.campaign_id = %s ORDER BY ci.id
            """,
            (campaign_id,),
        ).fetchall()
        count_row = conn.execute("SELECT count(*) FROM orders").fetchone()
    mismatches = [(i, r, int(s)) for i, r, _, s in rows if r != s]
    over = [(i, r, c) for i, r, c, _ in rows if c is not None and r > c]
    return Checks(
        orders_in_db=int(count_row[0]) if count_row else -1,
        orders_expected=expected_orders,
        items_checked=len(rows),
        reserved_mismatches=mismatches,
        over_cap=over,
    )
