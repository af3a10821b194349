"""A route sheet printed on A4 (reportlab): the route, a table of its stops
with a column for the leader's signature, then each stop's pick list.

Chinese text uses reportlab's built-in CID font STSong-Light: PDF readers
bring the glyphs (Adobe's Asian font packs), so nothing is embedded or
downloaded and the files stay small.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from fulfilment.routing.documents.sheets import RouteSheet, SheetStop, thousandths

FONT = "STSong-Light"


pdfmetrics.registerFont(UnicodeCIDFont(FONT))


_TEXT = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=12)


_SMALL = ParagraphStyle("small", parent=_TEXT, fontSize=8, leading=10, textColor=colors.grey)


_TITLE = ParagraphStyle("title", parent=_TEXT, fontSize=16, leading=22, spaceAfter=4)


_HEADING = ParagraphStyle("heading", parent=_TEXT, fontSize=11, leading=15, spaceBefore=6)


_GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), FONT, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


class _Paragraph(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A paragraph that breaks its lines once per width. Platypus wraps each
    cell's paragraph several times at the same width (to size the table,
    again for KeepTogether, again to draw it) and gets the same lines every
    time; breaking them was a quarter of a long sheet's rendering."""

    _wrapped: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        # The lines depend on the width alone (the height only matters to split).
        if self._wrapped is not None and self._wrapped[0] == availWidth:
            return self._wrapped[1]
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, size)
        return size

    def split(self, availWidth: float, availHeight: float) -> list[Any]:
        self._wrapped = None  # splitting may re-break this paragraph's lines
        parts: list[Any] = super().split(availWidth, availHeight)
        return parts


def _p(text: str, style: ParagraphStyle = _TEXT) -> Paragraph:
    return _Paragraph(escape(text), style)


def _title(sheet: RouteSheet) -> str:
    return f"配送线路单 {sheet.delivery_date.isoformat()} 第{sheet.number}线 {sheet.vehicle}"


def _summary(sheet: RouteSheet) -> Table:
    labels = ["仓库", "车辆", "出发", "返回", "站点", "里程(km)", "重量(kg)", "筐数"]
    values = [
        _p(sheet.warehouse),
        _p(sheet.vehicle),
        f"{sheet.departure:%H:%M}",
        f"{sheet.return_at:%H:%M}",
        str(len(sheet.stops)),
        thousandths(sheet.distance_m),
        thousandths(sheet.weight_g),
        str(sheet.totes),
    ]
    table = Table([labels, values], colWidths=[36 * mm, 36 * mm] + [18 * mm] * 6)
    table.setStyle(_GRID)
    return table


def _stops(sheet: RouteSheet) -> Table:
    rows: list[list[Any]] = [
        ["序号", "自提点 / 地址", "电话", "收货时段", "预计到达", "筐数", "重量(kg)", "签收"]
    ]
    for stop in sheet.stops:
        rows.append(
            [
                str(stop.position),
                [_p(stop.name), _p(stop.address, _SMALL)],
                stop.phone,
                stop.window,
                f"{stop.arrival:%H:%M}",
                str(stop.totes),
                thousandths(stop.weight_g),
                "",
            ]
        )
    widths = [10 * mm, 58 * mm, 26 * mm, 22 * mm, 16 * mm, 11 * mm, 16 * mm, 21 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_GRID)
    return table


def _picks(stop: SheetStop) -> KeepTogether:
    heading = _p(f"{stop.position}. {stop.name}（{stop.totes} 筐）", _HEADING)
    rows: list[list[Any]] = [["存储区", "筐数", "商品", "单位", "数量"]]
    for zone in stop.zones:
        for index, item in enumerate(zone.items):
            first = index == 0
            rows.append(
                [
                    zone.zone_name if first else "",
                    str(zone.totes) if first else "",
                    _p(item.product),
                    _p(item.unit),
                    str(item.units),
                ]
            )
    if len(rows) == 1:
        return KeepTogether([heading, _p("（无货）", _SMALL)])
    table = Table(rows, colWidths=[18 * mm, 14 * mm, 80 * mm, 40 * mm, 18 * mm], repeatRows=1)
    table.setStyle(_GRID)
    return KeepTogether([heading, table])


def route_sheet_pdf(sheet: RouteSheet) -> bytes:
    """The sheet as a PDF: A4 portrait, a page number and the route on every
    page's foot."""
    out = io.BytesIO()
    title = _title(sheet)
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="tuangou",
        subject=sheet.vehicle,
    )

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(12 * mm, 8 * mm, title)
        canvas.drawRightString(A4[0] - 12 * mm, 8 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    story: list[Any] = [
        _p(title, _TITLE),
        _summary(sheet),
        Spacer(1, 5 * mm),
        _stops(sheet),
        Spacer(1, 3 * mm),
        _p("分拣明细", _HEADING),
        *(_picks(stop) for stop in sheet.stops),
    ]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
