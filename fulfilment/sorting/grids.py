"""Two-tier sorting, stage one: at the central warehouse, the day's goods
for the points a grid warehouse serves (fulfilment/network) are sorted per
grid, product by product, as full supplier cases plus loose units in totes.
The trunk truck carries cases and totes alike (its handling units); the
grid then sorts per pickup point (stage two), from the points' own loads
and pick lists that ``sorting.sort_day`` makes for every point of the
central, grid-served or not.

Rules, per grid, storage zone and product: cases = ⌊units ÷ case pack⌋,
loose = the rest; per grid and zone, totes = ⌈loose volume ÷ tote volume⌉
(none when nothing is loose: zones never share a tote, as for points).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Select, case, cast, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Product, StorageZone
from fulfilment.network.models import GridPoint
from fulfilment.sorting.cases import CasePacked
from fulfilment.sorting.models import GridLoad
from fulfilment.sorting.sorting import deliverable
from kernel.db import execute_counting


@dataclass(frozen=True)
class GridSortSummary:
    grids: int
    units: int
    handling_units: int  # cases and totes, what the trunk carries


def _grid_rows(
    central_id: int, delivery_date: date, tote_volume_ml: int, now: datetime
) -> Select[Any]:
    """The rows of ``grid_loads`` for the central's day, by grid and zone."""
    lines = deliverable(central_id, delivery_date).subquery()
    by_product = (
        select(
            GridPoint.grid_id,
            Product.storage_zone,
            Product.case_pack,
            Product.weight_g,
            Product.volume_ml,
            func.sum(lines.c.units).label("units"),
        )
        .join(GridPoint, GridPoint.pickup_point_id == lines.c.pickup_point_id)
        .join(Product, Product.id == lines.c.product_id)
        .group_by(GridPoint.grid_id, Product.id)
        .subquery()
    )
    units = cast(by_product.c.units, BigInteger)
    cases = units // by_product.c.case_pack
    loose = units - cases * by_product.c.case_pack
    loose_volume = cast(func.sum(loose * by_product.c.volume_ml), BigInteger)
    totes = case(
        (loose_volume == 0, 0),
        else_=(loose_volume + tote_volume_ml - 1) // tote_volume_ml,
    )
    return select(
        literal(central_id),
        literal(delivery_date),
        by_product.c.grid_id,
        by_product.c.storage_zone,
        func.sum(units),
        func.sum(cases),
        func.sum(loose),
        func.sum(units * by_product.c.weight_g),
        func.sum(units * by_product.c.volume_ml),
        totes,
        func.sum(cases) + totes,
        literal(now, type_=GridLoad.sorted_at.type),
    ).group_by(by_product.c.grid_id, by_product.c.storage_zone)


async def sort_for_grids(
    session: AsyncSession,
    central_id: int,
    delivery_date: date,
    *,
    tote_volume_ml: int,
    now: datetime,
) -> GridSortSummary:
    """Recompute what the central sends each of its grids that day, in one
    INSERT … SELECT (the previous run's rows are replaced). A central
    without grids gets no rows."""
    grouped = _grid_rows(central_id, delivery_date, tote_volume_ml, now)
    await session.execute(
        delete(GridLoad).where(
            GridLoad.central_id == central_id, GridLoad.delivery_date == delivery_date
        )
    )
    await execute_counting(
        session,
        insert(GridLoad).from_select(
            [
                "central_id",
                "delivery_date",
                "grid_id",
                "storage_zone",
                "units",
                "cases",
                "loose_units",
                "weight_g",
                "volume_ml",
                "totes",
                "handling_units",
                "sorted_at",
            ],
            grouped,
        ),
    )
    grids, total, handling = (
        await session.execute(
            select(
                func.count(func.distinct(GridLoad.grid_id)),
                func.coalesce(func.sum(GridLoad.units), 0),
                func.coalesce(func.sum(GridLoad.handling_units), 0),
            ).where(GridLoad.central_id == central_id, GridLoad.delivery_date == delivery_date)
        )
    ).one()
    return GridSortSummary(int(grids), int(total), int(handling))


@dataclass(frozen=True)
class GridPickLine(CasePacked):
    """One product of a grid's stage-one pick list."""

    product_id: int
    storage_zone: StorageZone
    case_pack: int
    units: int


async def grid_pick_list(
    session: AsyncSession, central_id: int, delivery_date: date, grid_id: int
) -> list[GridPickLine]:
    """What the central picks for one grid that day, product by product,
    by storage zone then product id (the same rule as ``sort_for_grids``)."""
    lines = deliverable(central_id, delivery_date).subquery()
    rows = await session.execute(
        select(Product.id, Product.storage_zone, Product.case_pack, func.sum(lines.c.units))
        .join(GridPoint, GridPoint.pickup_point_id == lines.c.pickup_point_id)
        .join(Product, Product.id == lines.c.product_id)
        .where(GridPoint.grid_id == grid_id)
        .group_by(Product.id)
        .order_by(Product.storage_zone, Product.id)
    )
    return [GridPickLine(p, zone, pack, int(units)) for p, zone, pack, units in rows]


async def grid_loads(
    session: AsyncSession, central_id: int, delivery_date: date
) -> dict[int, list[GridLoad]]:
    """The last stage-one run's loads of each grid of the central that day,
    by grid id, zones in order."""
    rows = await session.scalars(
        select(GridLoad)
        .where(GridLoad.central_id == central_id, GridLoad.delivery_date == delivery_date)
        .order_by(GridLoad.grid_id, GridLoad.storage_zone)
    )
    loads: dict[int, list[GridLoad]] = {}
    for load in rows:
        loads.setdefault(load.grid_id, []).append(load)
    return loads
