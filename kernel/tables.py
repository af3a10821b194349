"""Rows for a document (导出) and the writers that turn them into CSV (UTF-8
with a BOM, for Excel in China) or XLSX. Each room builds its own rows
(purchase orders, pick lists, route sheets); the writing is one rule.

Money stays integer fen inside the rows (a ``Yuan`` cell); the writers show
it as yuan with two decimals, computed in integers (CSV text "123.45", an
XLSX number cell whose text is "123.45"), never through a float."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kernel.money import yuan


@dataclass(frozen=True)
class Yuan:
    """An amount of money in a row: integer fen, shown as yuan."""

    fen: int

    def __str__(self) -> str:
        return yuan(self.fen)


Cell = str | int | date | Yuan


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
