"""A small demo city for ``tuangou serve --demo``: a warehouse in Changsha,
leaders with pickup points at different stages, a supplier with products, an
open campaign, and one user of each role."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns import campaigns, catalog
from fulfilment.campaigns.models import StorageZone
from fulfilment.campaigns.service_areas import assign_warehouse
from fulfilment.campaigns.warehouses import create_warehouse
from kernel.accounts import Role, User, create_user
from kernel.clock import utcnow
from kernel.geo import LatLon
from leaders.applications import lifecycle as applications
from leaders.points.queries import pickup_points_by_leader

# Real neighbourhoods of Changsha (WGS-84, approximate).
_POINTS = [
    ("岳麓区·桃子湖小区", "长沙市岳麓区桃子湖路 12 号", 28.1836, 112.9462, "approved"),
    ("开福区·湘江世纪城", "长沙市开福区湘江北路 1500 号", 28.2462, 112.9757, "approved"),
    ("雨花区·东塘小区", "长沙市雨花区韶山北路 200 号", 28.1808, 113.0037, "approved"),
    ("天心区·书院路社区", "长沙市天心区书院路 88 号", 28.1781, 112.9690, "pending"),
    ("芙蓉区·马王堆社区", "长沙市芙蓉区马王堆路 36 号", 28.2045, 113.0260, "suspended"),
]


# The phone each demo role signs in with on the web page (the code is in the
# server's log: the console SMS provider). The leader's is the first point's.
PHONES = {
    "operator": "13700137001",
    "leader": "13800138000",
    "supplier": "13700137002",
    "dispatcher": "13700137003",
    "driver": "13900139000",
    "customer": "13700137004",
}


async def seed_demo(
    session: AsyncSession, secret: str, zone: ZoneInfo, now: datetime | None = None
) -> dict[str, str] | None:
    """Seed an empty database and return a token per role; None if it has users."""
    if (await session.execute(select(func.count()).select_from(User))).scalar_one():
        return None
    now = now or utcnow()
    tokens: dict[str, str] = {}
    operator, tokens["operator"] = await create_user(
        session, name="运营小王", role=Role.OPERATOR, secret=secret, phone=PHONES["operator"]
    )
    _, tokens["dispatcher"] = await create_user(
        session, name="调度老李", role=Role.DISPATCHER, secret=secret, phone=PHONES["dispatcher"]
    )
    _, tokens["driver"] = await create_user(
        session, name="司机小陈", role=Role.DRIVER, secret=secret, phone=PHONES["driver"]
    )
    warehouse = await create_warehouse(
        session,
        name="长沙望城中心仓",
        address="长沙市望城区金星北路 1 号",
        location=LatLon(28.3475, 112.8190),
        created_by=operator,
    )
    for i, (name, address, lat, lon, stage) in enumerate(_POINTS):
        user, token = await create_user(
            session,
            name=f"团长{i + 1}",
            role=Role.CUSTOMER,
            secret=secret,
            phone=f"1380013{8000 + i}",
        )
        draft = applications.PickupPointDraft(
            name=name,
            address=address,
            location=LatLon(lat, lon),
            window_start=time(7),
            window_end=time(11),
            contact_phone=f"1380013{8000 + i}",
        )
        leader = await applications.apply(session, user, draft)
        if stage in ("approved", "suspended"):
            await applications.approve(session, leader.id, operator)
            points = await pickup_points_by_leader(session, [leader.id])
            await assign_warehouse(session, points[leader.id].id, warehouse.id)
        if stage == "suspended":
            await applications.suspend(session, leader.id, operator, "投诉待核实")
        if i == 0:
            tokens["leader"] = token
    _, tokens["customer"] = await create_user(
        session, name="居民小张", role=Role.CUSTOMER, secret=secret, phone=PHONES["customer"]
    )
    tokens["supplier"] = await _catalog_and_campaign(
        session, operator, warehouse.id, secret, zone, now
    )
    return tokens


_PRODUCTS = [
    # name, category, unit, grams, ml, case pack, cost, group price, list price, cap, limit
    ("麻阳冰糖橙", "水果", "2.5kg/箱", 2600, 6000, 6, 1650, 2290, 2990, 400, None),
    ("宁乡花猪五花肉", "肉禽", "500g/盒", 520, 900, 20, 1890, 2580, 3280, 200, 2),
    ("浏阳蒸菜组合", "预制菜", "3盒/组", 1200, 2400, 10, 2100, 2990, 3990, None, None),
    ("洞庭湖鲜鸭蛋", "蛋品", "20枚/盒", 1300, 2500, 12, 1050, 1490, 1990, 300, None),
    ("本地小白菜", "蔬菜", "500g/袋", 510, 1500, 30, 150, 290, 450, None, 5),
]


async def _catalog_and_campaign(
    session: AsyncSession,
    operator: User,
    warehouse_id: int,
    secret: str,
    zone: ZoneInfo,
    now: datetime,
) -> str:
    """A supplier with products and today's campaign; returns the supplier's token."""
    supplier = await catalog.create_supplier(
        session, name="湘农果蔬", contact_name="刘经理", contact_phone="13900139000"
    )
    _, token = await catalog.create_supplier_user(
        session,
        supplier_id=supplier.id,
        name="湘农果蔬·刘经理",
        secret=secret,
        phone=PHONES["supplier"],
    )
    items = []
    for name, category, unit, grams, ml, pack, cost, price, list_price, cap, limit in _PRODUCTS:
        product = await catalog.create_product(
            session,
            catalog.ProductDraft(
                supplier_id=supplier.id,
                name=name,
                category=category,
                unit=unit,
                weight_g=grams,
                volume_ml=ml,
                case_pack=pack,
                cost_fen=cost,
                storage_zone=StorageZone.CHILLED if category == "肉禽" else StorageZone.AMBIENT,
            ),
        )
        items.append(campaigns.ItemDraft(product.id, price, list_price, cap, limit))
    # Open from an hour ago until 23:00 tonight (tomorrow night once past 23:00),
    # delivering the morning after the cutoff.
    local = now.astimezone(zone)
    cutoff = datetime.combine(local.date(), time(23), zone)
    if cutoff <= local:
        cutoff += timedelta(days=1)
    await campaigns.create_campaign(
        session,
        campaigns.CampaignDraft(
            warehouse_id=warehouse_id,
            delivery_date=cutoff.date() + timedelta(days=1),
            opens_at=now - timedelta(hours=1),
            cutoff_at=cutoff,
            pickup_start=time(14),
            pickup_end=time(20),
        ),
        items,
        created_by=operator,
        zone=zone,
        now=now,
    )
    return token
