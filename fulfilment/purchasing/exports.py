"""A purchase order's revision as a document a supplier can deliver against:
who orders (PO number, revision, issue date), from whom (the supplier and
its contact), where and when to deliver (the warehouse, its address, the
delivery date and slot), then the lines and the total.

``purchase_order_document`` reads it once; ``purchase_order_rows`` (CSV) and
``purchase_order_sheet`` (XLSX) lay it out for ``kernel.tables``' writers,
and ``fulfilment.purchasing.documents`` prints it as a PDF. Who may read
what is the caller's business: this only reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.catalog import products_by_id
from fulfilment.campaigns.models import StorageZone, Supplier, Warehouse
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from kernel.errors import NotFound
from kernel.tables import TOTAL_LABEL, Cell, Rows, Yuan

ZONE_NAMES = {StorageZone.AMBIENT: "常温", StorageZone.CHILLED: "冷藏", StorageZone.FROZEN: "冷冻"}


def po_number(purchase_order_id: int, delivery_date: date) -> str:
    """The number a supplier quotes on its delivery note: the delivery date
    and the PO's id (``PO-20261124-17``). It stays the same across revisions;
    the revision is printed beside it."""
    return f"PO-{delivery_date:%Y%m%d}-{purchase_order_id}"


@dataclass(frozen=True)
class DocumentLine:
    """One product of the revision, as the supplier packs it."""

    product_id: int
    product: str
    unit: str  # the spec, e.g. 500g/盒
    zone: str  # 常温 / 冷藏 / 冷冻
    case_pack: int
    cases: int
    units: int  # cases × case pack: what to deliver
    unit_cost_fen: int
    cost_fen: int


@dataclass(frozen=True)
class PurchaseOrderDocument:
    """Everything printed on a revision of a purchase order."""

    purchase_order_id: int
    number: str
    revision: int
    # The day this revision was issued, local time; None for a revision
    # between the first and the current one (only those two are stamped).
    issued_on: date | None
    supplier: str
    contact_name: str
    contact_phone: str
    warehouse: str
    warehouse_address: str
    delivery_date: date
    slot_start: time
    slot_end: time
    lines: tuple[DocumentLine, ...]

    @property
    def slot(self) -> str:
        """The delivery slot as printed: ``04:00-06:00``."""
        return f"{self.slot_start:%H:%M}-{self.slot_end:%H:%M}"

    @property
    def total_fen(self) -> int:
        return sum(ln.cost_fen for ln in self.lines)


def _issued_on(po: PurchaseOrder, revision: int, zone: ZoneInfo) -> date | None:
    stamp: datetime | None = None
    if revision == po.revision:
        stamp = po.revised_at
    elif revision == 1:
        stamp = po.created_at
    return stamp.astimezone(zone).date() if stamp is not None else None


async def _lines(session: AsyncSession, po_id: int, revision: int) -> tuple[DocumentLine, ...]:
    found = (
        await session.execute(
            select(PurchaseOrderLine)
            .where(
                PurchaseOrderLine.purchase_order_id == po_id,
                PurchaseOrderLine.revision == revision,
            )
            .order_by(PurchaseOrderLine.product_id)
        )
    ).scalars()
    lines = list(found)
    products = await products_by_id(session, (ln.product_id for ln in lines))
    out = []
    for ln in lines:
        product = products.get(ln.product_id)
        out.append(
            DocumentLine(
                product_id=ln.product_id,
                product=product.name if product else "",
                unit=product.unit if product else "",
                zone=ZONE_NAMES[product.storage_zone] if product else "",
                case_pack=ln.case_pack,
                cases=ln.cases,
                units=ln.purchase_units,
                unit_cost_fen=ln.unit_cost_fen,
                cost_fen=ln.cost_fen,
            )
        )
    return tuple(out)


async def purchase_order_document(
    session: AsyncSession,
    purchase_order_id: int,
    revision: int | None = None,
    *,
    zone: ZoneInfo,
    slot: tuple[time, time],
) -> PurchaseOrderDocument:
    """One revision (the current one by default) of a purchase order, with
    its issue date in ``zone`` and the delivery ``slot`` (start, end; local
    time on the delivery date). A missing PO, or a revision it never had,
    is NotFound."""
    po = await session.get(PurchaseOrder, purchase_order_id)
    wanted = po.revision if po is not None and revision is None else revision
    if po is None or wanted is None or not 1 <= wanted <= po.revision:
        raise NotFound("Purchase order", ["id"])
    supplier = await session.get(Supplier, po.supplier_id)
    warehouse = await session.get(Warehouse, po.warehouse_id)
    return PurchaseOrderDocument(
        purchase_order_id=po.id,
        number=po_number(po.id, po.delivery_date),
        revision=wanted,
        issued_on=_issued_on(po, wanted, zone),
        supplier=supplier.name if supplier else "",
        contact_name=supplier.contact_name if supplier else "",
        contact_phone=supplier.contact_phone if supplier else "",
        warehouse=warehouse.name if warehouse else "",
        warehouse_address=warehouse.address if warehouse else "",
        delivery_date=po.delivery_date,
        slot_start=slot[0],
        slot_end=slot[1],
        lines=await _lines(session, po.id, wanted),
    )


# The CSV is one table for a machine reader: one heading row, then one row
# per line, each carrying the PO's facts in its leading columns and the PO's
# total in its last. Every row stands alone (filter, sort or append several
# POs' files and nothing is lost) and no row is of another kind: a total row
# would be summed again by whoever sums the amount column.
PURCHASE_ORDER_LINES_HEADER = (
    "序号",
    "商品编号",
    "商品",
    "规格",
    "存储区",
    "箱规",
    "箱数",
    "采购数量",
    "单价(元)",
    "金额(元)",
)
PURCHASE_ORDER_CSV_HEADER = (
    "采购单号",
    "版本",
    "签发日期",
    "供应商",
    "供应商联系人",
    "供应商电话",
    "收货仓库",
    "仓库地址",
    "送货日期",
    "送货开始",
    "送货截止",
    *PURCHASE_ORDER_LINES_HEADER[1:],
    "采购单合计(元)",
)


def _line_cells(ln: DocumentLine) -> tuple[Cell, ...]:
    return (
        ln.product_id,
        ln.product,
        ln.unit,
        ln.zone,
        ln.case_pack,
        ln.cases,
        ln.units,
        Yuan(ln.unit_cost_fen),
        Yuan(ln.cost_fen),
    )


def purchase_order_rows(doc: PurchaseOrderDocument) -> Rows:
    """The revision as one CSV table (see ``PURCHASE_ORDER_CSV_HEADER``)."""
    out = Rows()
    out.header(PURCHASE_ORDER_CSV_HEADER)
    facts: tuple[Cell, ...] = (
        doc.number,
        doc.revision,
        doc.issued_on or "",
        doc.supplier,
        doc.contact_name,
        doc.contact_phone,
        doc.warehouse,
        doc.warehouse_address,
        doc.delivery_date,
        f"{doc.slot_start:%H:%M}",
        f"{doc.slot_end:%H:%M}",
    )
    for ln in doc.lines:
        out.add(*facts, *_line_cells(ln), Yuan(doc.total_fen))
    return out


def header_facts(doc: PurchaseOrderDocument) -> list[tuple[str, Cell]]:
    """The header block, label and value, in the order printed (XLSX, PDF)."""
    return [
        ("采购单号", doc.number),
        ("版本", doc.revision),
        ("签发日期", doc.issued_on or ""),
        ("供应商", doc.supplier),
        ("联系人", doc.contact_name),
        ("联系电话", doc.contact_phone),
        ("收货仓库", doc.warehouse),
        ("仓库地址", doc.warehouse_address),
        ("送货日期", doc.delivery_date),
        ("送货时段", doc.slot),
    ]


def purchase_order_sheet(doc: PurchaseOrderDocument) -> Rows:
    """The revision as a spreadsheet a person reads: a title, the header
    block (label, value), the numbered lines, a total row (cases, units,
    amount) and the two signatures."""
    out = Rows()
    out.header([f"采购单 {doc.number}"])
    for label, value in header_facts(doc):
        out.add(label, value)
    out.header(PURCHASE_ORDER_LINES_HEADER)
    for position, ln in enumerate(doc.lines, start=1):
        out.add(position, *_line_cells(ln))
    out.add(
        TOTAL_LABEL,
        *("",) * 5,
        sum(ln.cases for ln in doc.lines),
        sum(ln.units for ln in doc.lines),
        "",
        Yuan(doc.total_fen),
    )
    out.add()
    out.add("供应商签字", "", "", "", "", "仓库收货人签字")
    return out
