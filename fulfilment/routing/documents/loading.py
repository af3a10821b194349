"""The loading detail (装车明细) of one route, for the warehouse loader: every
stop's goods item by item, in the order they go into the vehicle.

The order: by storage zone first, ambient, then chilled, then frozen, so
that frozen goods leave the freezer last and wait least on the dock; within
a zone, stops in reverse visiting order: the last stop's totes go in first,
deepest in the vehicle, and the first stop's last, by the door, where the
driver reaches them first.

Every page's head names the route, and the stop and zone that page starts
in ("续" when it continues from the page before); each stop's table repeats
its own heading (zone, stop, point, totes) and column names when it runs
over a page. The head is drawn once the page is laid out, because only then
is it known which stop the page starts in: each stop's table carries its
section, its split parts carry it on, and the document notes the first
section drawn on each page.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, CondPageBreak, Frame, PageTemplate, Table

from fulfilment.campaigns.models import ZONE_NAMES, StorageZone
from fulfilment.routing.documents.pdf import para, route_title, styles
from fulfilment.routing.documents.sheets import RouteSheet, SheetStop, ZonePick
from kernel.pdf_fonts import MARGIN

# The order zones are loaded in (see the module's docstring).
LOADING_ORDER = (StorageZone.AMBIENT, StorageZone.CHILLED, StorageZone.FROZEN)


ZONE_COLOURS = {
    StorageZone.AMBIENT: colors.HexColor("#f3ead7"),
    StorageZone.CHILLED: colors.HexColor("#dcecf7"),
    StorageZone.FROZEN: colors.HexColor("#d9dcf5"),
}


HEAD_HEIGHT = 16 * mm  # the page head above the frame


_WIDTHS = [10 * mm, 108 * mm, 38 * mm, 16 * mm, 14 * mm]  # 186 mm, the A4 text width


class SectionTable(Table):  # type: ignore[misc]  # reportlab has no type hints
    """One stop's goods in one zone; ``section`` names them for the page
    head. Parts split off onto a later page are continuations."""

    section = ""
    continued = False

    def split(self, availWidth: float, availHeight: float) -> list[Any]:
        parts: list[Any] = super().split(availWidth, availHeight)
        for index, part in enumerate(parts):
            part.section = self.section
            part.continued = self.continued or index > 0
        return parts


def _section(pick: ZonePick, stop: SheetStop) -> SectionTable:
    s = styles()
    heading = f"{pick.zone_name} · 第{stop.position}站 {stop.name} · {pick.totes} 筐"
    rows: list[list[Any]] = [
        [para(heading, s.heading), "", "", "", ""],
        ["", "商品", "单位", "数量", "已装"],
    ]
    for index, item in enumerate(pick.items, start=1):
        rows.append([str(index), para(item.product), para(item.unit), str(item.units), ""])
    table = SectionTable(rows, colWidths=_WIDTHS, repeatRows=2)
    table.section = f"{pick.zone_name} · 第{stop.position}站 {stop.name}"
    table.setStyle(s.grid)
    table.setStyle(
        [
            ("SPAN", (0, 0), (-1, 0)),
            ("BACKGROUND", (0, 0), (-1, 0), ZONE_COLOURS[pick.zone]),
            ("BACKGROUND", (0, 1), (-1, 1), colors.HexColor("#eeeeee")),
            ("ALIGN", (3, 1), (-1, -1), "CENTER"),
            ("ALIGN", (0, 1), (0, -1), "CENTER"),
            ("FONT", (3, 2), (3, -1), s.font, 11),  # the count the loader checks
        ]
    )
    return table


def loading_story(sheet: RouteSheet) -> list[Any]:
    """The flowables: a note on the order, then each zone's stops, last stop first."""
    s = styles()
    story: list[Any] = [
        para(route_title(sheet, "装车明细"), s.title),
        para(
            "装车顺序：常温 → 冷藏 → 冷冻（冷冻最后出库）；每个温区内从最后一站装起，"
            "第1站的货最后装、靠车门。",
            s.text,
        ),
    ]
    for zone in LOADING_ORDER:
        picks = [
            (pick, stop)
            for stop in reversed(sheet.stops)
            for pick in stop.zones
            if pick.zone == zone and pick.items
        ]
        if not picks:
            continue
        totes = sum(pick.totes for pick, _ in picks)
        # Never a zone's heading alone at a page's foot; not keepWithNext,
        # which would push a long first table, heading and all, to the next
        # page and leave this one empty.
        story.append(CondPageBreak(30 * mm))
        story.append(para(f"{ZONE_NAMES[zone]}区 · {len(picks)} 站 · {totes} 筐", s.heading))
        story += [_section(pick, stop) for pick, stop in picks]
    if len(story) == 2:  # the title and the note: no zone had goods
        story.append(para("（本线路无货）", s.text))
    return story


class _LoadingDoc(BaseDocTemplate):  # type: ignore[misc]  # reportlab has no type hints
    """Notes the first section drawn on each page, and heads the page with it
    once the page is laid out."""

    def __init__(self, out: io.BytesIO, sheet: RouteSheet, head: Callable[..., None]) -> None:
        super().__init__(
            out,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=12 * mm + HEAD_HEIGHT,
            bottomMargin=12 * mm,
            title=route_title(sheet, "装车明细"),
            author="tuangou",
            subject=sheet.vehicle,
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate("page", [frame], onPageEnd=self._head)])
        self.page_section: tuple[str, bool] | None = None
        self.head = head

    def afterFlowable(self, flowable: Any) -> None:
        if self.page_section is None and isinstance(flowable, SectionTable):
            self.page_section = (flowable.section, flowable.continued)

    def _head(self, canvas: Any, document: Any) -> None:
        self.head(canvas, document.page, self.page_section)
        self.page_section = None


def loading_pdf(sheet: RouteSheet, heads: list[str] | None = None) -> bytes:
    """The loading detail as a PDF (A4 portrait); ``heads``, when given,
    receives the text of each page's head in page order (for tests)."""
    s = styles()
    title = route_title(sheet, "装车明细")
    totes = f"{len(sheet.stops)} 站 · {sheet.totes} 筐 · 出发 {sheet.departure:%H:%M}"
    top = A4[1] - 12 * mm

    def head(canvas: Any, page: int, section: tuple[str, bool] | None) -> None:
        where = "" if section is None else section[0] + ("（续）" if section[1] else "")
        canvas.saveState()
        canvas.setFont(s.font, 10)
        canvas.drawString(MARGIN, top, f"{title} · {totes}")
        canvas.drawRightString(A4[0] - MARGIN, top, f"第 {page} 页")
        canvas.setFont(s.font, 12)
        canvas.drawString(MARGIN, top - 6 * mm, where)
        canvas.setStrokeColor(colors.grey)
        canvas.line(MARGIN, top - 8.5 * mm, A4[0] - MARGIN, top - 8.5 * mm)
        canvas.restoreState()
        if heads is not None:
            heads.append(f"{title} | {where}")

    out = io.BytesIO()
    _LoadingDoc(out, sheet, head).build(loading_story(sheet))
    return out.getvalue()
