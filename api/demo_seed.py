"""A small demo city for ``tuangou serve --demo``: a warehouse in Changsha,
leaders with pickup points at different stages, and one user of each role."""

from __future__ import annotations

from datetime import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.warehouses import create_warehouse
from kernel.accounts import Role, User, create_user
from kernel.geo import LatLon
from leaders import applications

# Real neighbourhoods of Changsha (WGS-84, approximate).
_POINTS = [
    ("岳麓区·桃子湖小区", "长沙市岳麓区桃子湖路 12 号", 28.1836, 112.9462, "approved"),
    ("开福区·湘江世纪城", "长沙市开福区湘江北路 1500 号", 28.2462, 112.9757, "approved"),
    ("雨花区·东塘小区", "长沙市雨花区韶山北路 200 号", 28.1808, 113.0037, "approved"),
    ("天心区·书院路社区", "长沙市天心区书院路 88 号", 28.1781, 112.9690, "pending"),
    ("芙蓉区·马王堆社区", "长沙市芙蓉区马王堆路 36 号", 28.2045, 113.0260, "suspended"),
]


async def seed_demo(session: AsyncSession, secret: str) -> dict[str, str] | None:
    """Seed an empty database and return a token per role; None if it has users."""
    if (await session.execute(select(func.count()).select_from(User))).scalar_one():
        return None
    tokens: dict[str, str] = {}
    operator, tokens["operator"] = await create_user(
        session, name="运营小王", role=Role.OPERATOR, secret=secret
    )
    _, tokens["dispatcher"] = await create_user(
        session, name="调度老李", role=Role.DISPATCHER, secret=secret
    )
    _, tokens["supplier"] = await create_user(
        session, name="湘农果蔬", role=Role.SUPPLIER, secret=secret
    )
    await create_warehouse(
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
        if stage == "suspended":
            await applications.suspend(session, leader.id, operator, "投诉待核实")
        if i == 0:
            tokens["leader"] = token
    _, tokens["customer"] = await create_user(
        session, name="居民小张", role=Role.CUSTOMER, secret=secret
    )
    return tokens
