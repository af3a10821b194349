"""The return-to-supplier document (退供单) of a purchase order: one row per
line with units that arrived and failed QC (received − accepted, over all
its deliveries), for the supplier's driver to take back and both sides to
sign. A CSV for machines and an A4 PDF to print, the Chinese font embedded
(``kernel.pdf_fonts``) like the purchase order's own PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Product, Supplier, Warehouse
from fulfilment.purchasing.exports import po_number
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt
from kernel.errors import NotFound
from kernel.money import yuan
from kernel.pdf_fonts import a4_portrait, cjk_font
from kernel.tables import TOTAL_LABEL, Rows, Yuan


@dataclass(frozen=True)
class ReturnLine:
    product_id: int
    product: str
    unit: str
    received_units: int
    accepted_units: int
    unit_cost_fen: int

    @property
    def rejected_units(self) -> int:
        return self.received_units - self.accepted_units

    @property
    def amount_fen(self) -> int:
        """The rejected units at the agreed cost (not paid for)."""
        return self.rejected_units * self.unit_cost_fen


@dataclass(frozen=True)
class ReturnDocument:
    purchase_order_id: int
    po_number: str
    supplier_id: int
    supplier: str
    contact_name: str
    contact_phone: str
    warehouse: str
    warehouse_address: str
    delivery_date: date
    lines: tuple[ReturnLine, ...]

    @property
    def number(self) -> str:
        """The return's number: the PO's with an R (``R-PO-20261124-17``)."""
        return f"R-{self.po_number}"


async def return_document(session: AsyncSession, purchase_order_id: int) -> ReturnDocument:
    """The purchase order's QC failures (possibly none)."""
    po = await session.get(PurchaseOrder, purchase_order_id)
    if po is None:
        raise NotFound("Purchase order", ["id"])
    supplier = await session.get(Supplier, po.supplier_id)
    warehouse = await session.get(Warehouse, po.warehouse_id)
    received = func.sum(Receipt.received_units)
    accepted = func.sum(Receipt.accepted_units)
    rows = await session.execute(
        select(
            Receipt.product_id,
            Product.name,
            Product.unit,
            received,
            accepted,
            PurchaseOrderLine.unit_cost_fen,
        )
        .join(Product, Product.id == Receipt.product_id)
        .join(
            PurchaseOrderLine,
            (PurchaseOrderLine.purchase_order_id == Receipt.purchase_order_id)
            & (PurchaseOrderLine.revision == po.revision)
            & (PurchaseOrderLine.product_id == Receipt.product_id),
        )
        .where(Receipt.purchase_order_id == po.id)
        .group_by(Receipt.product_id, Product.name, Product.unit, PurchaseOrderLine.unit_cost_fen)
        .having(received > accepted)
        .order_by(Receipt.product_id)
    )
    return ReturnDocument(
        purchase_order_id=po.id,
        po_number=po_number(po.id, po.delivery_date),
        supplier_id=po.supplier_id,
        supplier=supplier.name if supplier else "",
        contact_name=supplier.contact_name if supplier else "",
        contact_phone=supplier.contact_phone if supplier else "",
        warehouse=warehouse.name if warehouse else "",
        warehouse_address=warehouse.address if warehouse else "",
        delivery_date=po.delivery_date,
        lines=tuple(
            ReturnLine(pid, name, unit, int(rec), int(acc), cost)
            for pid, name, unit, rec, acc, cost in rows
        ),
    )


RETURN_CSV_HEADER = (
    "退供单号",
    "采购单号",
    "供应商",
    "收货仓库",
    "送货日期",
    "商品编号",
    "商品",
    "规格",
    "实收数量",
    "合格数量",
    "退货数量",
    "单价(元)",
    "金额(元)",
)


def return_rows(doc: ReturnDocument) -> Rows:
    """One heading row, then one self-contained row per rejected line."""
    out = Rows()
    out.header(RETURN_CSV_HEADER)
    for ln in doc.lines:
        out.add(
            doc.number,
            doc.po_number,
            doc.supplier,
            doc.warehouse,
            doc.delivery_date,
            ln.product_id,
            ln.product,
            ln.unit,
            ln.received_units,
            ln.accepted_units,
            ln.rejected_units,
            Yuan(ln.unit_cost_fen),
            Yuan(ln.amount_fen),
        )
    return out


def _table(doc: ReturnDocument, text: ParagraphStyle) -> Table:
    heading = ["序号", "商品编号", "商品", "规格", "实收", "合格", "退货", "金额(元)"]
    rows: list[list[Any]] = [heading]
    for position, ln in enumerate(doc.lines, start=1):
        rows.append(
            [
                str(position),
                str(ln.product_id),
                Paragraph(escape(ln.product), text),
                Paragraph(escape(ln.unit), text),
                str(ln.received_units),
                str(ln.accepted_units),
                str(ln.rejected_units),
                yuan(ln.amount_fen),
            ]
        )
    units = sum(ln.rejected_units for ln in doc.lines)
    amount = sum(ln.amount_fen for ln in doc.lines)
    rows.append([TOTAL_LABEL, "", "", "", "", "", str(units), yuan(amount)])
    widths = (12, 18, 56, 30, 16, 16, 16, 22)
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), cjk_font(), 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("ALIGN", (4, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def return_pdf(doc: ReturnDocument) -> bytes:
    """The return on A4: header facts, the rejected lines, two signatures."""
    font = cjk_font()
    text = ParagraphStyle("text", fontName=font, fontSize=9, leading=12)
    title = ParagraphStyle("title", parent=text, fontSize=18, leading=24, alignment=1)
    out = io.BytesIO()
    template = a4_portrait(out, f"退供单 {doc.number}", doc.supplier)
    facts = [
        f"退供单号：{doc.number}　采购单号：{doc.po_number}　送货日期：{doc.delivery_date}",
        f"供应商：{doc.supplier}　联系人：{doc.contact_name} {doc.contact_phone}",
        f"仓库：{doc.warehouse}（{doc.warehouse_address}）",
    ]
    story: list[Any] = [Paragraph("退 供 单", title), Spacer(1, 4 * mm)]
    story += [Paragraph(escape(f), text) for f in facts]
    story += [Spacer(1, 4 * mm), _table(doc, text), Spacer(1, 10 * mm)]
    story.append(Paragraph("供应商签收：＿＿＿＿＿＿＿＿　　仓库经手人：＿＿＿＿＿＿＿＿", text))
    template.build(story)
    return out.getvalue()
