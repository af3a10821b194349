"""The day's reconciliation as an XLSX workbook: a summary sheet (totals
on both sides, counts) and a sheet of the mismatch lines. The rows are
``kernel.tables`` rows (money as ``Yuan``, integer fen); the workbook has two
sheets, which ``kernel.tables.to_xlsx`` (one sheet) does not make, so the
cells are written here by the same rules: money a number cell whose text
is the exact yuan, never a float."""

from __future__ import annotations

import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XCell
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from fulfilment.reconciliation.models import (
    LineKind,
    MismatchKind,
    ReconciliationMismatch,
    ReconciliationRun,
)
from kernel.money import yuan
from kernel.tables import Cell, Rows, Yuan

KIND_NAMES = {
    MismatchKind.MISSING_AT_PLATFORM: "平台缺失",
    MismatchKind.MISSING_AT_PROVIDER: "微信支付缺失",
    MismatchKind.AMOUNT_DIFFERS: "金额不符",
    MismatchKind.STATE_DIFFERS: "状态不符",
}
LINE_NAMES = {LineKind.PAYMENT: "支付", LineKind.REFUND: "退款"}
MISMATCH_HEADER = (
    "差异类型", "业务", "商户订单号", "微信订单号", "商户退款单号", "微信退款单号", "平台记录",
    "微信支付金额(元)", "平台金额(元)", "微信支付状态", "平台状态", "说明",
)  # fmt: skip


def summary_rows(run: ReconciliationRun, zone: ZoneInfo) -> Rows:
    """The summary sheet: one heading, then label and value per line."""
    rows = Rows()
    rows.header(("项目", "微信支付", "平台"))
    finished = (
        run.finished_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if run.finished_at else ""
    )
    rows.add("对账日期", run.bill_date, run.bill_date)
    rows.add("支付笔数", run.provider_payments, run.platform_payments)
    rows.add("支付金额(元)", Yuan(run.provider_paid_fen), Yuan(run.platform_paid_fen))
    rows.add("退款笔数", run.provider_refunds, run.platform_refunds)
    rows.add("退款金额(元)", Yuan(run.provider_refunded_fen), Yuan(run.platform_refunded_fen))
    rows.add("一致笔数", run.matched, run.matched)
    rows.add("差异笔数", run.mismatches, run.mismatches)
    rows.add("完成时间", finished, finished)
    return rows


def mismatch_rows(lines: Sequence[ReconciliationMismatch]) -> Rows:
    """The mismatch sheet: one line per mismatch, amounts as yuan."""
    rows = Rows()
    rows.header(MISMATCH_HEADER)
    for m in lines:
        rows.add(
            KIND_NAMES[m.kind],
            LINE_NAMES[m.line],
            m.out_trade_no or "",
            m.transaction_id or "",
            m.out_refund_no or "",
            m.provider_refund_id or "",
            "" if m.platform_id is None else m.platform_id,
            "" if m.provider_fen is None else Yuan(m.provider_fen),
            "" if m.platform_fen is None else Yuan(m.platform_fen),
            m.provider_state or "",
            m.platform_state or "",
            m.note or "",
        )
    return rows


def _write(sheet: Worksheet, rows: Rows) -> None:
    bold = Font(bold=True)
    for r, row in enumerate(rows.rows, start=1):
        for c, value in enumerate(row, start=1):
            if value == "":
                continue
            cell = sheet.cell(row=r, column=c)
            _set(cell, value)
            if r - 1 in rows.headers:
                cell.font = bold
    sheet.freeze_panes = "A2"


def _set(cell: XCell | MergedCell, value: Cell) -> None:
    if isinstance(value, Yuan):
        # The exact yuan text in a number cell: openpyxl would write a
        # Decimal through a float.
        cell.value = yuan(value.fen)
        cell.data_type, cell.number_format = "n", "0.00"
    elif isinstance(value, int):
        cell.value, cell.number_format = value, "0"
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # text, even when it starts with "="
    else:
        cell.value, cell.number_format = value, "yyyy-mm-dd"


def reconciliation_xlsx(
    run: ReconciliationRun, lines: Sequence[ReconciliationMismatch], zone: ZoneInfo
) -> bytes:
    """The workbook of a run: sheets 汇总 (summary) and 差异 (mismatches)."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总"
    _write(summary, summary_rows(run, zone))
    _write(book.create_sheet("差异"), mismatch_rows(lines))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
