"""Sorting's documents as rows with Chinese headers for ``kernel.tables``'
writers: a point's totals for the sorter, its hand-out list for the leader
(``documents``), and a warehouse's totals. Each is one table: one header
row, every row the same columns, so a spreadsheet can sort and filter it.
Who may read what is the caller's business: these functions only read."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.catalog import products_by_id
from fulfilment.campaigns.models import ZONE_NAMES, Warehouse
from fulfilment.sorting.documents import (
    HandOutList,
    PointTotals,
    hand_out_lists,
    point_totals,
)
from fulfilment.sorting.labels import tote_labels, tote_labels_pdf
from fulfilment.sorting.printing import hand_out_pdf, point_totals_pdf
from fulfilment.sorting.sorting import warehouse_totals
from kernel.errors import NotFound
from kernel.tables import Rows, to_csv, to_xlsx

POINT_TOTALS_HEADER = ("存储区", "商品", "规格", "箱规(件/箱)", "数量", "整箱", "散件", "已分拣")


HAND_OUT_HEADER = ("手机", "顾客", "订单号", "取货码尾号", "商品", "规格", "数量", "已取")


WAREHOUSE_TOTALS_HEADER = ("商品", "数量")


# A point's documents for a delivery date (``pick_list_document``): kind ->
# (file name in ASCII, in Chinese, the formats it comes in).
PICK_LIST_KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "totals": ("pick-list", "分拣汇总", ("csv", "xlsx", "pdf")),
    "handout": ("hand-out", "取货清单", ("csv", "xlsx", "pdf")),
    "labels": ("tote-labels", "周转筐标签", ("pdf",)),
}


async def pick_list_document(
    session: AsyncSession, pickup_point_id: int, delivery_date: date, kind: str, fmt: str
) -> bytes:
    """A point's document of ``kind`` (a ``PICK_LIST_KINDS`` key) in ``fmt``
    (one of the kind's formats): the sorter's totals, the leader's hand-out
    list or the tote labels. A missing point is NotFound."""
    day = delivery_date.isoformat()
    if kind == "handout":
        handout = (await hand_out_lists(session, [pickup_point_id], delivery_date))[pickup_point_id]
        if fmt == "pdf":
            return hand_out_pdf([handout])
        return table_bytes(hand_out_rows(handout), fmt, f"取货清单 {day}")
    totals = (await point_totals(session, [pickup_point_id], delivery_date))[pickup_point_id]
    if kind == "labels":
        return tote_labels_pdf(tote_labels(totals))
    if fmt == "pdf":
        return point_totals_pdf([totals])
    return table_bytes(point_totals_rows(totals), fmt, f"分拣汇总 {day}")


def table_bytes(rows: Rows, fmt: str, title: str) -> bytes:
    """A table as a CSV file, or an XLSX workbook whose sheet is ``title``."""
    return to_csv(rows) if fmt == "csv" else to_xlsx(rows, title)


def point_totals_rows(totals: PointTotals) -> Rows:
    """The sorter's table: one row per product, zone by zone (ambient,
    chilled, frozen), products by name within a zone; the last column is
    left blank for the sorter's tick."""
    rows = Rows()
    rows.header(POINT_TOTALS_HEADER)
    for line in totals.lines:
        rows.add(
            ZONE_NAMES[line.zone],
            line.product,
            line.spec,
            line.case_pack,
            line.units,
            line.cases,
            line.loose,
            "",
        )
    return rows


def hand_out_rows(handout: HandOutList) -> Rows:
    """The leader's table: one row per order line, each carrying its
    resident, masked phone, order number and the code's last digits (never
    the whole code); the last column is left blank for the leader's tick."""
    rows = Rows()
    rows.header(HAND_OUT_HEADER)
    for order in handout.orders:
        for item in order.items:
            rows.add(
                order.phone,
                order.resident,
                order.order_number,
                order.code_tail,
                item.product,
                item.spec,
                item.units,
                "",
            )
    return rows


async def warehouse_totals_rows(
    session: AsyncSession, warehouse_id: int, delivery_date: date
) -> Rows:
    """Units of each product a warehouse sends out on a delivery date."""
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("Warehouse", ["warehouseId"])
    totals = await warehouse_totals(session, warehouse_id, delivery_date)
    products = await products_by_id(session, (t.product_id for t in totals))
    out = Rows()
    out.header(WAREHOUSE_TOTALS_HEADER)
    for t in totals:
        product = products.get(t.product_id)
        out.add(product.name if product else "", t.units)
    return out
