"""The sorter's totals and the leader's hand-out list printed on A4
(reportlab), in the embedded CJK font of ``kernel.pdf_fonts``.

Each takes several points: the HTTP download prints one, the demo (or a
warehouse printing the whole day) all of them, each point from a new page.
The totals have a section per storage zone, so the sorter fills one zone's
totes at a time; the hand-out list one row per resident order with a box to
tick.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from fulfilment.campaigns.models import ZONE_NAMES
from fulfilment.sorting.documents import HandOutList, PointTotals, TotalLine
from kernel.pdf_fonts import MARGIN, a4_portrait, cjk_font


@cache
def _styles() -> dict[str, ParagraphStyle]:
    """Built on first use: the font is registered (and found) then, not at import."""
    font = cjk_font()
    text = ParagraphStyle("text", fontName=font, fontSize=9, leading=12)
    return {
        "text": text,
        "small": ParagraphStyle(
            "small", parent=text, fontSize=8, leading=10, textColor=colors.grey
        ),
        "title": ParagraphStyle("title", parent=text, fontSize=16, leading=22, spaceAfter=2),
        "heading": ParagraphStyle(
            "heading", parent=text, fontSize=13, leading=18, spaceBefore=8, spaceAfter=3
        ),
    }


def _grid() -> TableStyle:
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), cjk_font(), 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (-4, 1), (-2, -1), "RIGHT"),
        ]
    )


def _p(text: str, style: str = "text") -> Paragraph:
    return Paragraph(escape(text), _styles()[style])


class _TickBox(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """An empty square to tick by hand (the CJK font has no ☐ glyph)."""

    def __init__(self, size: float = 4 * mm) -> None:
        super().__init__()
        self.size = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, 0, self.size, self.size, stroke=1, fill=0)


def _box() -> _TickBox:
    return _TickBox()


def _document(title: str, story: list[Any], subject: str) -> bytes:
    """``story`` on A4 portrait, ``title`` and the page number at every foot."""
    out = io.BytesIO()
    doc = a4_portrait(out, title, subject)

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(cjk_font(), 8)
        canvas.drawString(MARGIN, 8 * mm, title)
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    doc.build(story or [_p("（无）")], onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _each_on_a_page(parts: list[list[Any]]) -> list[Any]:
    story: list[Any] = []
    for index, part in enumerate(parts):
        if index:
            story.append(PageBreak())
        story.extend(part)
    return story


def _day_title(kind: str, points: Sequence[PointTotals] | Sequence[HandOutList]) -> str:
    days = sorted({p.delivery_date for p in points})
    when = days[0].isoformat() if len(days) == 1 else ""
    if len(points) == 1:
        return f"{kind} {points[0].point_name} {when}".strip()
    return f"{kind} {when}".strip()


def point_totals_pdf(points: Sequence[PointTotals]) -> bytes:
    """The sorter's totals of ``points``: per point a heading (point, leader,
    date, totes) and a section per storage zone."""
    return _document(
        _day_title("分拣汇总", points),
        _each_on_a_page([_point_totals(p) for p in points]),
        subject="分拣汇总",
    )


def _point_totals(totals: PointTotals) -> list[Any]:
    totes = "，".join(f"{ZONE_NAMES[z]} {n} 筐" for z, n in totals.totes.items())
    story: list[Any] = [
        _p(f"分拣汇总 · {totals.point_name}", "title"),
        _p(
            f"送货日期 {_day(totals.delivery_date)}　团长 {totals.leader_name or '—'}　"
            f"周转筐 {totes or '未分拣'}"
        ),
    ]
    zones = totals.zones()
    if not zones:
        story.append(_p("（本日无货）", "small"))
    for zone, lines in zones:
        count = totals.totes.get(zone)
        heading = f"{ZONE_NAMES[zone]}（{len(lines)} 种，{sum(ln.units for ln in lines)} 件"
        heading += f"，{count} 筐）" if count else "）"
        story.append(KeepTogether([_p(heading, "heading"), _zone_table(lines)]))
    return story


def _zone_table(lines: list[TotalLine]) -> Table:
    rows: list[list[Any]] = [["商品", "规格", "箱规", "数量", "整箱", "散件", "已分拣"]]
    for line in lines:
        rows.append(
            [
                _p(line.product),
                _p(line.spec),
                f"{line.case_pack}/箱",
                str(line.units),
                str(line.cases),
                str(line.loose),
                _box(),
            ]
        )
    widths = [72 * mm, 34 * mm, 18 * mm, 14 * mm, 14 * mm, 14 * mm, 20 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = _grid()
    style.add("ALIGN", (-1, 0), (-1, -1), "CENTER")
    table.setStyle(style)
    return table


def hand_out_pdf(lists: Sequence[HandOutList]) -> bytes:
    """The leaders' hand-out lists of ``lists``: per point a table of one row
    per resident order (phone, resident, order number, the code's last
    digits, items) and a box to tick when collected."""
    return _document(
        _day_title("取货清单", lists),
        _each_on_a_page([_hand_out(h) for h in lists]),
        subject="取货清单",
    )


def _hand_out(handout: HandOutList) -> list[Any]:
    units = sum(i.units for o in handout.orders for i in o.items)
    story: list[Any] = [
        _p(f"取货清单 · {handout.point_name}", "title"),
        _p(
            f"送货日期 {_day(handout.delivery_date)}　团长 {handout.leader_name or '—'}　"
            f"{len(handout.orders)} 单，{units} 件"
        ),
        _p("取货码只印末三位：完整取货码在顾客手中，凭码取货。", "small"),
        Spacer(1, 3 * mm),
    ]
    if not handout.orders:
        story.append(_p("（本日无订单）", "small"))
        return story
    rows: list[list[Any]] = [["已取", "手机", "顾客", "订单号", "码尾号", "商品 × 数量"]]
    for order in handout.orders:
        items = "<br/>".join(
            f"{escape(i.product)}（{escape(i.spec)}）× {i.units}" for i in order.items
        )
        rows.append(
            [
                _box(),
                order.phone,
                _p(order.resident),
                order.order_number,
                order.code_tail,
                Paragraph(items, _styles()["text"]),
            ]
        )
    widths = [10 * mm, 23 * mm, 22 * mm, 37 * mm, 15 * mm, 79 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), cjk_font(), 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f7f7")]),
            ]
        )
    )
    story.append(table)
    return story


def _day(day: date) -> str:
    return day.isoformat()
