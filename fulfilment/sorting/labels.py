"""Tote labels (周转筐标签): one label per tote a pickup point gets, eight to
an A4 sheet (2 × 4, 105 × 74 mm, cut along the dashed lines or printed on
label stock of that size).

Each says the point, the delivery date, the storage zone in large type (the
loader sorts totes into the truck's ambient, chilled and frozen space by it)
and "n/m" over all the point's totes, so the leader can count them at the
hand-over. Zones never share a tote (``sorting.sort_day``), so the totes
come from the point's loads, zone by zone. A QR code carries the same
(point, date, tote) for a scanner.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from fulfilment.campaigns.models import ZONE_NAMES, StorageZone
from fulfilment.sorting.documents import PointTotals
from kernel.pdf_fonts import cjk_font

COLUMNS, ROWS = 2, 4


LABEL_WIDTH, LABEL_HEIGHT = A4[0] / COLUMNS, A4[1] / ROWS


_PAD = 6 * mm


_QR_SIZE = 22 * mm


# Dark enough to print distinctly in greyscale too: ambient lightest.
_ZONE_COLOURS = {
    StorageZone.AMBIENT: colors.HexColor("#5a5a5a"),
    StorageZone.CHILLED: colors.HexColor("#1f5fa8"),
    StorageZone.FROZEN: colors.HexColor("#0a1f44"),
}


QR_PREFIX = "TGT1"


# A grid's handling units (stage one of the two tiers: fulfilment/sorting/grids.py).
GRID_QR_PREFIX = "TGG1"


@dataclass(frozen=True)
class ToteLabel:
    """Tote ``number`` of the point's ``count``, the ``zone_number``-th of
    its ``zone_count`` in ``zone``. A grid's label (``grid_labels``) names
    the grid warehouse instead of a point, and counts its handling units
    (cases and totes, 件) with its own QR prefix."""

    point_id: int
    point_name: str
    delivery_date: date
    zone: StorageZone
    number: int
    count: int
    zone_number: int
    zone_count: int
    unit: str = "筐"
    prefix: str = QR_PREFIX

    @property
    def of(self) -> str:
        """``n/m``: this tote of all the point's."""
        return f"{self.number}/{self.count}"

    @property
    def payload(self) -> str:
        """What the QR code says: point, date, tote n/m and zone."""
        day = self.delivery_date.isoformat()
        return f"{self.prefix}|{self.point_id}|{day}|{self.of}|{self.zone.value}"


def tote_labels(totals: PointTotals) -> list[ToteLabel]:
    """One label per tote of the point's last sorting run, zone by zone
    (ambient, chilled, frozen); none before sorting ran."""
    return _numbered(totals.point_id, totals.point_name, totals.delivery_date, totals.totes)


def grid_labels(
    grid_id: int, grid_name: str, delivery_date: date, units: dict[StorageZone, int]
) -> list[ToteLabel]:
    """One label per handling unit (case or tote) stage one sorted for a
    grid warehouse, zone by zone (``units``: handling units per zone)."""
    return _numbered(grid_id, grid_name, delivery_date, units, unit="件", prefix=GRID_QR_PREFIX)


def _numbered(
    owner_id: int,
    name: str,
    delivery_date: date,
    per_zone: dict[StorageZone, int],
    **kind: str,
) -> list[ToteLabel]:
    count = sum(per_zone.values())
    labels: list[ToteLabel] = []
    for zone, zone_count in per_zone.items():
        for zone_number in range(1, zone_count + 1):
            labels.append(
                ToteLabel(
                    owner_id,
                    name,
                    delivery_date,
                    zone,
                    len(labels) + 1,
                    count,
                    zone_number,
                    zone_count,
                    **kind,
                )
            )
    return labels


def tote_labels_pdf(
    labels: Iterable[ToteLabel], *, empty_note: str = "尚未分拣：无周转筐"
) -> bytes:
    """The labels eight to an A4 page, in order; a page saying
    ``empty_note`` when there are none (sorting has not run)."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setTitle("周转筐标签")
    canvas.setAuthor("tuangou")
    font = cjk_font()
    per_page = COLUMNS * ROWS
    count = 0
    for count, label in enumerate(labels, start=1):
        slot = (count - 1) % per_page
        if slot == 0 and count > 1:
            canvas.showPage()
        if slot == 0:
            _cut_lines(canvas)
        x = (slot % COLUMNS) * LABEL_WIDTH
        y = A4[1] - (slot // COLUMNS + 1) * LABEL_HEIGHT
        _label(canvas, font, label, x, y)
    if count == 0:
        canvas.setFont(font, 14)
        canvas.drawString(20 * mm, A4[1] - 30 * mm, empty_note)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _cut_lines(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setStrokeColor(colors.lightgrey)
    canvas.setLineWidth(0.3)
    canvas.setDash(2, 2)
    for column in range(1, COLUMNS):
        canvas.line(column * LABEL_WIDTH, 0, column * LABEL_WIDTH, A4[1])
    for row in range(1, ROWS):
        canvas.line(0, row * LABEL_HEIGHT, A4[0], row * LABEL_HEIGHT)
    canvas.restoreState()


def _fit(text: str, font: str, size: float, width: float, least: float = 14) -> tuple[str, float]:
    """``text`` at ``size`` or smaller (down to ``least``) to fit ``width``,
    cut with an ellipsis if even that is too wide: still legible at arm's
    length, and the QR code and the leader's list say the rest."""
    while size > least and stringWidth(text, font, size) > width:
        size -= 1
    while len(text) > 1 and stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text, size


def _label(canvas: Canvas, font: str, label: ToteLabel, x: float, y: float) -> None:
    """One label with its lower left corner at (x, y)."""
    inner = LABEL_WIDTH - 2 * _PAD
    top = y + LABEL_HEIGHT - _PAD
    canvas.saveState()
    name, size = _fit(label.point_name, font, 22, inner)
    canvas.setFont(font, size)
    canvas.drawString(x + _PAD, top - size, name)
    canvas.setFont(font, 13)
    canvas.drawString(x + _PAD, top - size - 20, f"送货日期 {label.delivery_date.isoformat()}")
    # The zone as a coloured block with white type: read across the
    # loading dock.
    block_w, block_h = 44 * mm, 24 * mm
    block_y = y + _PAD
    canvas.setFillColor(_ZONE_COLOURS[label.zone])
    canvas.roundRect(x + _PAD, block_y, block_w, block_h, 2 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(font, 44)
    canvas.drawCentredString(x + _PAD + block_w / 2, block_y + 6 * mm, ZONE_NAMES[label.zone])
    canvas.setFillColor(colors.black)
    right = x + LABEL_WIDTH - _PAD - _QR_SIZE - 3 * mm
    middle = (x + _PAD + block_w + right) / 2
    # Two-digit counts ("12/15") shrink to fit beside the zone.
    of, of_size = _fit(label.of, font, 34, right - (x + _PAD + block_w) - 2 * mm)
    canvas.setFont(font, of_size)
    canvas.drawCentredString(middle, block_y + 11 * mm, of)
    canvas.setFont(font, 9)
    numbered = f"第{label.number}{label.unit} 共{label.count}{label.unit}"
    canvas.drawCentredString(middle, block_y + 5 * mm, numbered)
    zone_of = f"{ZONE_NAMES[label.zone]} {label.zone_number}/{label.zone_count}"
    canvas.drawCentredString(middle, block_y + 1 * mm, zone_of)
    _qr(canvas, label.payload, x + LABEL_WIDTH - _PAD - _QR_SIZE, block_y)
    canvas.restoreState()


def _qr(canvas: Canvas, payload: str, x: float, y: float) -> None:
    """The payload's QR code, ``_QR_SIZE`` square, lower left at (x, y): each
    row's dark runs as rectangles in module units, filled at once."""
    # A fixed mask: any of the eight makes a valid code, and segno's search
    # for the best took most of a day's sheet (so did reportlab's QR widget).
    matrix = segno.make_qr(payload, error="m", mask=0).matrix
    runs: list[str] = []
    for row, modules in enumerate(matrix):
        start = None
        for column, dark in enumerate([*modules, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append(f"{start} {row} {column - start} 1 re")
                start = None
    canvas.saveState()
    canvas.setFillColor(colors.black)
    canvas.translate(x, y + _QR_SIZE)
    canvas.scale(_QR_SIZE / len(matrix), -_QR_SIZE / len(matrix))
    # Integers written as they are: reportlab's path objects format every
    # number through a pure-Python float formatter, ~250 runs a code.
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()


def labels_for(points: Sequence[PointTotals]) -> list[ToteLabel]:
    """Every tote label of ``points``, point after point."""
    return [label for totals in points for label in tote_labels(totals)]
