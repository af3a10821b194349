"""The driver's route sheet printed on A4 (reportlab): the route, then one row
per stop with its leader, window, arrival, totes per storage zone and a
column for the leader's signature, and the totals. One or two pages for a
day's route: the goods item by item are the loader's business
(``fulfilment.routing.documents.loading``), not the driver's.

Chinese text is set in the platform's embedded CJK font
(``kernel.pdf_fonts.cjk_font``): a sheet read on a driver's phone or printed
anywhere shows the same glyphs. The font is registered on first print, not
on import, so importing this module costs nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from fulfilment.campaigns.models import ZONE_NAMES, StorageZone
from fulfilment.routing.documents.sheets import RouteSheet, thousandths
from kernel.pdf_fonts import MARGIN, a4_portrait, cjk_font


@dataclass(frozen=True)
class Styles:
    """The paragraph and table styles of the routing documents, in one font."""

    font: str
    text: ParagraphStyle
    small: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    grid: TableStyle


@cache
def styles() -> Styles:
    """The styles, built once the CJK font is registered."""
    font = cjk_font()
    text = ParagraphStyle("text", fontName=font, fontSize=9, leading=11)
    return Styles(
        font=font,
        text=text,
        small=ParagraphStyle("small", parent=text, fontSize=7.5, leading=9, textColor=colors.grey),
        title=ParagraphStyle("title", parent=text, fontSize=15, leading=20, spaceAfter=3),
        heading=ParagraphStyle("heading", parent=text, fontSize=11, leading=15, spaceBefore=4),
        grid=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )


class MemoParagraph(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A paragraph that breaks its lines once per width. Platypus wraps each
    cell's paragraph several times at the same width (to size the table,
    again to split it, again to draw it) and gets the same lines every time;
    breaking them was a quarter of a long document's rendering."""

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


def para(text: str, style: ParagraphStyle | None = None) -> Paragraph:
    """Plain text (escaped) as a paragraph; the body style by default."""
    return MemoParagraph(escape(text), style or styles().text)


def route_title(sheet: RouteSheet, document: str) -> str:
    """The line naming a route's document: what, which day, which route and vehicle."""
    return f"{document} {sheet.delivery_date.isoformat()} 第{sheet.number}线 {sheet.vehicle}"


def _summary(sheet: RouteSheet) -> Table:
    # Pairs of label and value; the driver's name is written in by hand:
    # plans assign vehicles, not people.
    back = ["返回", f"{sheet.return_at:%H:%M}"]
    weight = ["重量(kg)", thousandths(sheet.weight_g)]
    rows = [
        ["仓库", para(sheet.warehouse), "车辆", para(sheet.vehicle), "司机", ""],
        ["送货日期", sheet.delivery_date.isoformat(), "出发", f"{sheet.departure:%H:%M}", *back],
        ["站点", str(len(sheet.stops)), "里程(km)", thousandths(sheet.distance_m), *weight],
    ]
    widths = [18 * mm, 44 * mm, 18 * mm, 44 * mm, 18 * mm, 44 * mm]
    table = Table(rows, colWidths=widths)
    table.setStyle(styles().grid)
    label = colors.HexColor("#eeeeee")
    table.setStyle([("BACKGROUND", (c, 0), (c, -1), label) for c in (0, 2, 4)])
    return table


_STOP_WIDTHS = [9, 53, 30, 22, 14, 11, 11, 11, 25]  # mm; 186 in all, the A4 text width


def _stops(sheet: RouteSheet) -> Table:
    s = styles()
    zones = list(StorageZone)
    rows: list[list[Any]] = [
        ["序号", "自提点 / 地址", "团长 / 电话", "收货时段", "预计到达", "筐数", "", "", "签收"],
        ["", "", "", "", "", *(ZONE_NAMES[z] for z in zones), ""],
    ]
    for stop in sheet.stops:
        rows.append(
            [
                str(stop.position),
                [para(stop.name), para(stop.address, s.small)],
                [para(stop.leader), para(stop.phone, s.small)],
                stop.window,
                f"{stop.arrival:%H:%M}",
                *(_count(stop.zone_totes(z)) for z in zones),
                Spacer(1, 8 * mm),  # room to sign, however short the row's text
            ]
        )
    totals = [sum(stop.zone_totes(z) for stop in sheet.stops) for z in zones]
    rows.append(["", f"合计 {len(sheet.stops)} 站", "", "", "", *map(str, totals), ""])
    table = Table(rows, colWidths=[w * mm for w in _STOP_WIDTHS], repeatRows=2)
    table.setStyle(s.grid)
    table.setStyle(
        # Each one-level heading spans both header rows; 筐数 spans its zones.
        [("SPAN", (c, 0), (c, 1)) for c in (0, 1, 2, 3, 4, 8)]
        + [
            ("SPAN", (5, 0), (7, 0)),
            ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#eeeeee")),
            ("ALIGN", (0, 0), (-1, 1), "CENTER"),
            ("ALIGN", (0, 2), (0, -1), "CENTER"),
            ("ALIGN", (3, 2), (7, -1), "CENTER"),
            ("FONT", (0, 2), (0, -2), s.font, 12),  # the number the driver looks for
            ("FONT", (5, 2), (7, -2), s.font, 11),
            ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f4f4f4")),
            ("SPAN", (1, -1), (4, -1)),
        ]
    )
    return table


def _count(totes: int) -> str:
    # A blank reads faster than a column of zeros.
    return str(totes) if totes else ""


def _checks() -> Table:
    """Lines the driver and the warehouse fill in at departure."""
    rows = [["出车检查", "冷藏 ______ ℃    冷冻 ______ ℃", "司机签名", "", "仓库交接", ""]]
    widths = [18 * mm, 62 * mm, 18 * mm, 35 * mm, 18 * mm, 35 * mm]
    table = Table(rows, colWidths=widths, rowHeights=[10 * mm])
    table.setStyle(styles().grid)
    return table


def route_sheet_pdf(sheet: RouteSheet) -> bytes:
    """The driver's sheet as a PDF: A4 portrait, the route and a page number
    on every page's foot."""
    s = styles()
    out = io.BytesIO()
    title = route_title(sheet, "配送线路单")
    doc = a4_portrait(out, title, sheet.vehicle, top=12 * mm, bottom=14 * mm)

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(s.font, 8)
        canvas.drawString(MARGIN, 7 * mm, title)
        canvas.drawRightString(A4[0] - MARGIN, 7 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    story: list[Any] = [
        para(title, s.title),
        _summary(sheet),
        Spacer(1, 4 * mm),
        _stops(sheet),
        Spacer(1, 4 * mm),
        _checks(),
    ]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
