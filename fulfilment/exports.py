"""File exports (导出): a purchase order's revision, a pickup point's pick
list and a warehouse's totals as rows with Chinese headers, and writers that
turn rows into CSV (UTF-8 with a BOM, for Excel in China) or XLSX.

Money stays integer fen inside the rows (a ``Yuan`` cell); the writers show
it as yuan with two decimals, computed in integers (CSV text "123.45", an
XLSX number cell whose text is "123.45"), never through a float.
Who may read what is the caller's business: these functions only read.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.models import (
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ServiceArea,
    Supplier,
    Warehouse,
)
from fulfilment.sorting import (
    CustomerPick,
    PickLine,
    customers_by_point,
    products_by_point,
    warehouse_totals,
)
from kernel.accounts import User
from kernel.errors import NotFound
from kernel.money import yuan
from leaders.models import Leader, PickupPoint


@dataclass(frozen=True)
class Yuan:
    """An amount of money in a row: integer fen, shown as yuan."""

    fen: int

    def __str__(self) -> str:
        return yuan(self.fen)


Cell = str | int | date | Yuan

PURCHASE_ORDER_HEADER = (
    "供应商",
    "仓库",
    "送货日期",
    "版本",
    "商品",
    "单位",
    "订购数量",
    "箱规",
    "箱数",
    "采购数量",
    "余量",
    "单价(元)",
    "金额(元)",
)
PICK_LIST_PRODUCT_HEADER = ("自提点", "团长", "商品", "数量")
PICK_LIST_CUSTOMER_HEADER = ("顾客", "电话", "商品", "数量")
WAREHOUSE_TOTALS_HEADER = ("商品", "数量")
TOTAL_LABEL = "合计"


@dataclass
class Rows:
    """A sheet: rows of cells, some of them headings (bold in XLSX). Sections
    are separated by an empty row."""

    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    headers: set[int] = field(default_factory=set)

    def header(self, cells: Iterable[str]) -> None:
        if self.rows:
            self.rows.append(())  # a blank line between sections
        self.headers.add(len(self.rows))
        self.rows.append(tuple(cells))

    def add(self, *cells: Cell) -> None:
        self.rows.append(cells)


async def products_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Product]:
    """The products of ``ids``, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = await session.execute(select(Product).where(Product.id.in_(wanted)))
    return {p.id: p for p in found.scalars()}


async def purchase_order_rows(
    session: AsyncSession, purchase_order_id: int, revision: int | None = None
) -> Rows:
    """One revision (the current one by default) of a purchase order: a row
    per product, then a total row whose amount is the sum of the lines'.
    A missing PO, or a revision it never had, is NotFound."""
    po = await session.get(PurchaseOrder, purchase_order_id)
    wanted = po.revision if po is not None and revision is None else revision
    if po is None or wanted is None or not 1 <= wanted <= po.revision:
        raise NotFound("Purchase order", ["id"])
    supplier = await session.get(Supplier, po.supplier_id)
    warehouse = await session.get(Warehouse, po.warehouse_id)
    lines = (
        (
            await session.execute(
                select(PurchaseOrderLine)
                .where(
                    PurchaseOrderLine.purchase_order_id == po.id,
                    PurchaseOrderLine.revision == wanted,
                )
                .order_by(PurchaseOrderLine.product_id)
            )
        )
        .scalars()
        .all()
    )
    products = await products_by_id(session, (ln.product_id for ln in lines))
    out = Rows()
    out.header(PURCHASE_ORDER_HEADER)
    head: tuple[Cell, ...] = (
        supplier.name if supplier else "",
        warehouse.name if warehouse else "",
        po.delivery_date,
        wanted,
    )
    for ln in lines:
        product = products.get(ln.product_id)
        out.add(
            *head,
            product.name if product else "",
            product.unit if product else "",
            ln.ordered_units,
            ln.case_pack,
            ln.cases,
            ln.purchase_units,
            ln.surplus_units,
            Yuan(ln.unit_cost_fen),
            Yuan(ln.cost_fen),
        )
    blanks: tuple[Cell, ...] = ("",) * (len(PURCHASE_ORDER_HEADER) - 2)
    out.add(TOTAL_LABEL, *blanks, Yuan(sum(ln.cost_fen for ln in lines)))
    return out


async def pick_list_rows(session: AsyncSession, pickup_point_id: int, delivery_date: date) -> Rows:
    """What a pickup point gets on a delivery date: per product (with the
    point and its leader), then per customer, net of every shortfall. A point
    no warehouse serves gets the headings only."""
    return (await pick_lists_rows(session, [pickup_point_id], delivery_date))[pickup_point_id]


async def pick_lists_rows(
    session: AsyncSession, pickup_point_ids: Sequence[int], delivery_date: date
) -> dict[int, Rows]:
    """Several points' pick lists (``pick_list_rows``), by point id, in a
    few statements however many points there are: on SQLite each statement
    costs a round trip to the database thread, and a region has hundreds of
    points. Any point that does not exist is NotFound."""
    wanted = set(pickup_point_ids)
    found = await session.execute(
        select(PickupPoint, User.name, ServiceArea.warehouse_id)
        .outerjoin(Leader, Leader.id == PickupPoint.leader_id)
        .outerjoin(User, User.id == Leader.user_id)
        .outerjoin(ServiceArea, ServiceArea.pickup_point_id == PickupPoint.id)
        .where(PickupPoint.id.in_(wanted))
    )
    points = {point.id: (point, leader or "", warehouse) for point, leader, warehouse in found}
    if len(points) < len(wanted):
        raise NotFound("Pickup point", ["pickupPointId"])
    served: dict[int, list[int]] = {}
    for point_id, (_, _, warehouse_id) in points.items():
        if warehouse_id is not None:
            served.setdefault(warehouse_id, []).append(point_id)
    per_product: dict[int, list[PickLine]] = {}
    per_customer: dict[int, list[CustomerPick]] = {}
    for warehouse_id, ids in served.items():
        per_product |= await products_by_point(session, warehouse_id, delivery_date, ids)
        per_customer |= await customers_by_point(session, warehouse_id, delivery_date, ids)
    products = await products_by_id(
        session,
        [p.product_id for lines in per_product.values() for p in lines]
        + [c.product_id for lines in per_customer.values() for c in lines],
    )
    user_ids = {c.customer_id for lines in per_customer.values() for c in lines}
    users = (
        {
            u.id: u
            for u in (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()
        }
        if user_ids
        else {}
    )

    def name(product_id: int) -> str:
        product = products.get(product_id)
        return product.name if product else ""

    out: dict[int, Rows] = {}
    for point_id, (point, leader, _) in points.items():
        rows = out[point_id] = Rows()
        rows.header(PICK_LIST_PRODUCT_HEADER)
        for p in per_product.get(point_id, []):
            rows.add(point.name, leader, name(p.product_id), p.units)
        rows.header(PICK_LIST_CUSTOMER_HEADER)
        for c in per_customer.get(point_id, []):
            customer = users.get(c.customer_id)
            rows.add(
                customer.name if customer else "",
                (customer.phone or "") if customer else "",
                name(c.product_id),
                c.units,
            )
    return out


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


# A text cell starting with one of these is a formula to a spreadsheet
# (CSV injection); such text is written with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(cell: Cell) -> str:
    if isinstance(cell, str):
        return "'" + cell if cell.startswith(_FORMULA_START) else cell
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)  # int, Yuan


def to_csv(rows: Rows) -> bytes:
    """UTF-8 with a byte order mark (Excel in China reads it as UTF-8, not GBK),
    CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows.rows:
        writer.writerow([_csv_text(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _display_width(text: str) -> int:
    """Columns a text takes on screen: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def to_xlsx(rows: Rows, title: str) -> bytes:
    """One worksheet named ``title``: bold headings, columns as wide as their
    text, quantities as whole numbers and money as numbers with two decimals."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = (_SHEET_TITLE_BAD.sub("_", title) or "Sheet")[:31]
    bold = Font(bold=True)
    widths: dict[int, int] = {}
    for r, row in enumerate(rows.rows, start=1):
        for c, value in enumerate(row, start=1):
            if value == "":
                continue  # an empty cell, not an empty string
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, Yuan):
                # A number cell whose XML text is the exact yuan string:
                # openpyxl would write a Decimal through "%.16g" (a float).
                cell.value = yuan(value.fen)
                cell.data_type = "n"
                cell.number_format = "0.00"
            elif isinstance(value, date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, int):
                cell.value = value
                cell.number_format = "0"
            else:
                cell.value = value
                cell.data_type = "s"  # text, even when it starts with "="
            if r - 1 in rows.headers:
                cell.font = bold
            widths[c] = max(widths.get(c, 0), _display_width(_csv_text(value)))
    for c, width in widths.items():
        sheet.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
    if rows.headers == {0}:
        sheet.freeze_panes = "A2"  # one table: keep its heading in view
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
