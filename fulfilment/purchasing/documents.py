"""A purchase order printed on A4 (reportlab), for a supplier to deliver
against and the warehouse to receive by: the header block (PO number,
revision, supplier and contact, warehouse and address, delivery date and
slot), the lines with their heading repeated on every page, the total, the
delivery terms, and the supplier's and the receiver's signatures. Every
page's foot carries the PO number and "第 n 页 / 共 m 页".

The Chinese font is embedded (``kernel.pdf_fonts``): a supplier opens the
file on whatever phone or printer it has."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from fulfilment.purchasing.exports import (
    PURCHASE_ORDER_LINES_HEADER,
    PurchaseOrderDocument,
    header_facts,
)
from kernel.money import yuan
from kernel.pdf_fonts import MARGIN, a4_portrait, cjk_font
from kernel.tables import TOTAL_LABEL


def _styles(font: str) -> dict[str, ParagraphStyle]:
    text = ParagraphStyle("text", fontName=font, fontSize=9, leading=12)
    return {
        "text": text,
        "small": ParagraphStyle("small", parent=text, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=text, fontSize=18, leading=24, alignment=1),
        "number": ParagraphStyle("number", parent=text, fontSize=10, leading=14, alignment=1),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _header_block(doc: PurchaseOrderDocument, styles: dict[str, ParagraphStyle]) -> Table:
    """Two label/value pairs a row; the address gets a row of its own."""
    facts = {label: ("" if value == "" else str(value)) for label, value in header_facts(doc)}
    text = styles["text"]
    rows = [
        ["采购单号", _p(facts["采购单号"], text), "版本", f"第 {doc.revision} 版"],
        ["签发日期", facts["签发日期"] or "—", "送货日期", facts["送货日期"]],
        ["供应商", _p(facts["供应商"], text), "送货时段", facts["送货时段"]],
        [
            "联系人",
            _p(f"{facts['联系人']}  {facts['联系电话']}", text),
            "收货仓库",
            _p(facts["收货仓库"], text),
        ],
        ["仓库地址", _p(facts["仓库地址"], text), "", ""],
    ]
    table = Table(rows, colWidths=[22 * mm, 71 * mm, 22 * mm, 71 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), cjk_font(), 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eeeeee")),
                ("BACKGROUND", (2, 0), (2, -2), colors.HexColor("#eeeeee")),
                ("SPAN", (1, -1), (3, -1)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


# Millimetres per column of PURCHASE_ORDER_LINES_HEADER: 186 mm between the margins.
_LINE_WIDTHS = (10, 16, 44, 26, 14, 13, 13, 16, 16, 18)


def _lines_table(doc: PurchaseOrderDocument, styles: dict[str, ParagraphStyle]) -> Table:
    rows: list[list[Any]] = [list(PURCHASE_ORDER_LINES_HEADER)]
    for position, ln in enumerate(doc.lines, start=1):
        rows.append(
            [
                str(position),
                str(ln.product_id),
                _p(ln.product, styles["text"]),
                _p(ln.unit, styles["text"]),
                ln.zone,
                str(ln.case_pack),
                str(ln.cases),
                str(ln.units),
                yuan(ln.unit_cost_fen),
                yuan(ln.cost_fen),
            ]
        )
    cases = sum(ln.cases for ln in doc.lines)
    units = sum(ln.units for ln in doc.lines)
    rows.append([TOTAL_LABEL, "", "", "", "", "", str(cases), str(units), "", yuan(doc.total_fen)])
    # repeatRows: a long PO's continuation pages start with the heading again.
    table = Table(rows, colWidths=[w * mm for w in _LINE_WIDTHS], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), cjk_font(), 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f5f5f5")),
                ("SPAN", (0, -1), (5, -1)),
                ("ALIGN", (5, 1), (-1, -1), "RIGHT"),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _terms(doc: PurchaseOrderDocument, style: ParagraphStyle) -> list[Paragraph]:
    return [
        _p(
            f"1. 请于 {doc.delivery_date.isoformat()} {doc.slot} 将货物整箱送达"
            f"{doc.warehouse}（{doc.warehouse_address}）。",
            style,
        ),
        _p(f"2. 送货单请注明采购单号 {doc.number}（第 {doc.revision} 版）。", style),
        _p("3. 按上表箱数整箱送货；仓库按实收并验收合格的数量登记收货。", style),
    ]


def _signatures(font: str) -> Table:
    rows = [
        ["供应商（签字/盖章）：", "", "仓库收货人（签字）：", ""],
        ["日期：", "", "日期：", ""],
    ]
    table = Table(rows, colWidths=[42 * mm, 49 * mm, 42 * mm, 49 * mm], rowHeights=12 * mm)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 10),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                # The line to sign on under each blank.
                ("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, colors.black),
            ]
        )
    )
    return table


def _numbered_canvas(footer: str, font: str) -> type[Canvas]:
    """A canvas that holds its pages back until the end, so that each foot
    can say how many pages there are ("共 m 页")."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for page in self._pages:
                self.__dict__.update(page)
                self.setFont(font, 8)
                self.drawString(MARGIN, 8 * mm, footer)
                self.drawRightString(
                    A4[0] - MARGIN, 8 * mm, f"第 {self._pageNumber} 页 / 共 {total} 页"
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def purchase_order_pdf(doc: PurchaseOrderDocument) -> bytes:
    """The revision as a PDF: A4 portrait, the font embedded."""
    font = cjk_font()
    styles = _styles(font)
    out = io.BytesIO()
    title = f"采购单 {doc.number} 第 {doc.revision} 版"
    template = a4_portrait(out, title, doc.supplier)
    story: list[Any] = [
        _p("采 购 单", styles["title"]),
        _p(f"{doc.number}　第 {doc.revision} 版", styles["number"]),
        Spacer(1, 4 * mm),
        _header_block(doc, styles),
        Spacer(1, 5 * mm),
        _lines_table(doc, styles),
        Spacer(1, 5 * mm),
        # Terms and signatures move to the next page together rather than split.
        KeepTogether([*_terms(doc, styles["text"]), Spacer(1, 6 * mm), _signatures(font)]),
    ]
    footer = f"{title}　{doc.supplier} → {doc.warehouse}"
    template.build(story, canvasmaker=_numbered_canvas(footer, font))
    return out.getvalue()
