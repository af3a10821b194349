"""Grid warehouses for tests of the two-tier network (fulfilment/network)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from fulfilment.campaigns.warehouses import create_warehouse
from fulfilment.network.grids import GridTerms, assign_points, set_grid
from fulfilment.network.models import GridOperator
from kernel.accounts import Role, User
from kernel.db import unit_of_work
from kernel.geo import LatLon
from tests.conftest import TestDB


async def grid_of(
    db: TestDB,
    central_id: int,
    operator: User,
    *,
    name: str = "网格仓",
    at: LatLon = LatLon(28.2, 112.95),
    points: Sequence[int] = (),
) -> int:
    """A grid warehouse of ``central_id`` at ``at`` (receiving 01:00–04:00,
    ¥0.12 a piece, 20 km around) serving ``points``; its id."""
    async with unit_of_work(db.sessions) as session:
        grid = await create_warehouse(
            session, name=name, address="长沙", location=at, created_by=operator
        )
        terms = GridTerms(central_id, 12, time(1), time(4), 20_000)
        await set_grid(session, grid.id, terms, expected_version=None)
        if points:
            await assign_points(session, grid.id, list(points))
        return grid.id


async def grid_operator(db: TestDB, grid_id: int) -> str:
    """A signed-in GRID_OPERATOR account running ``grid_id``; its token."""
    user, token = await db.user(Role.GRID_OPERATOR, "网格站长")
    async with unit_of_work(db.sessions) as session:
        session.add(GridOperator(user_id=user.id, grid_id=grid_id))
    return token
