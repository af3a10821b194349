"""Stage one's documents for a grid warehouse (fulfilment/sorting/grids.py):
its pick list at the central (what to pick for the grid, product by
product, in whole cases and loose units) and the labels of the handling
units the trunk carries to it, each naming the grid, the delivery date, the
storage zone and "n/m" over all the grid's units, with a QR code.
Who may read them is the caller's business."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.catalog import products_by_id
from fulfilment.campaigns.models import ZONE_NAMES, Warehouse
from fulfilment.network.models import GridWarehouse
from fulfilment.sorting.exports import POINT_TOTALS_HEADER, table_bytes
from fulfilment.sorting.grids import grid_loads, grid_pick_list
from fulfilment.sorting.labels import grid_labels, tote_labels_pdf
from kernel.errors import NotFound
from kernel.tables import Rows

# A grid's documents for a delivery date: kind -> (file name in ASCII, in
# Chinese, the formats it comes in).
GRID_DOCUMENT_KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "pick-list": ("grid-pick-list", "网格仓分拣单", ("csv", "xlsx")),
    "labels": ("grid-labels", "网格仓件标签", ("pdf",)),
}


async def grid_document(
    session: AsyncSession, grid_id: int, delivery_date: date, kind: str, fmt: str
) -> tuple[str, bytes]:
    """The grid's name and its document of ``kind`` (a
    ``GRID_DOCUMENT_KINDS`` key) in ``fmt`` (one of the kind's formats); a
    warehouse that is no grid is NotFound."""
    grid = await session.get(GridWarehouse, grid_id)
    warehouse = await session.get(Warehouse, grid_id)
    if grid is None or warehouse is None:
        raise NotFound("Grid warehouse")
    if kind == "labels":
        loads = (await grid_loads(session, grid.central_id, delivery_date)).get(grid_id, [])
        units = {load.storage_zone: load.handling_units for load in loads}
        labels = grid_labels(grid_id, warehouse.name, delivery_date, units)
        return warehouse.name, tote_labels_pdf(labels, empty_note="尚未分拣：无发往本网格仓的货")
    rows = await grid_pick_list_rows(session, grid.central_id, delivery_date, grid_id)
    return warehouse.name, table_bytes(rows, fmt, f"网格仓分拣单 {delivery_date.isoformat()}")


async def grid_pick_list_rows(
    session: AsyncSession, central_id: int, delivery_date: date, grid_id: int
) -> Rows:
    """The central's pick list for one grid, in the sorter's columns (the
    points' pick list's): zone by zone, the last column for the tick."""
    lines = await grid_pick_list(session, central_id, delivery_date, grid_id)
    products = await products_by_id(session, [line.product_id for line in lines])
    rows = Rows()
    rows.header(POINT_TOTALS_HEADER)
    for line in lines:
        product = products[line.product_id]
        rows.add(
            ZONE_NAMES[line.storage_zone],
            product.name,
            product.unit,
            line.case_pack,
            line.units,
            line.cases,
            line.loose,
            "",
        )
    return rows
