"""Each report as a sheet (``kernel.tables.Rows``) for the CSV and XLSX
downloads: the same figures as the API, money as yuan, rates as percent
with two decimals (computed in integers from basis points)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.reports.after_sale import after_sale_by_product
from fulfilment.reports.filters import DateRange, ReportFilter, check_filter
from fulfilment.reports.leaders import leader_ranking
from fulfilment.reports.payees import PayeeKind
from fulfilment.reports.refunds import refunds_by_reason
from fulfilment.reports.registers import payout_register, settlement_register
from fulfilment.reports.sales import sales_report
from fulfilment.reports.suppliers import supplier_fill
from kernel.errors import CommonErrorCode, DomainError
from kernel.tables import TOTAL_LABEL, Rows, Yuan


def percent(bps: int | None) -> str:
    """Basis points as a percent text ("12.34%"); "-" when there is no base."""
    if bps is None:
        return "-"
    return f"{bps // 100}.{bps % 100:02d}%"


Builder = Callable[[AsyncSession, DateRange, ReportFilter, ZoneInfo], Awaitable[Rows]]


async def _sales(session: AsyncSession, days: DateRange, f: ReportFilter, _: ZoneInfo) -> Rows:
    report = await sales_report(session, days, f)
    rows = Rows()
    rows.header(("日期", "GMV(元)", "订单数", "顾客数", "客单价(元)", "退款(元)", "净销售(元)"))
    for d in [*report.days, report.totals]:
        rows.add(
            d.day or TOTAL_LABEL,
            Yuan(d.gmv_fen),
            d.orders,
            d.customers,
            Yuan(d.average_basket_fen),
            Yuan(d.refunded_fen),
            Yuan(d.net_fen),
        )
    return rows


async def _leaders(session: AsyncSession, days: DateRange, f: ReportFilter, zone: ZoneInfo) -> Rows:
    rows = Rows()
    rows.header(
        (
            "排名",
            "团长编号",
            "团长",
            "自提点",
            "销售额(元)",
            "订单数",
            "顾客数",
            "佣金(元)",
            "售后退款(元)",
            "售后率",
        )
    )
    for r in await leader_ranking(session, days, f, zone):
        rows.add(
            r.rank, r.leader_id, r.leader_name, r.pickup_point, Yuan(r.sales_fen), r.orders,
            r.customers, Yuan(r.commission_fen), Yuan(r.after_sale_fen), percent(r.after_sale_bps),
        )  # fmt: skip
    return rows


async def _suppliers(session: AsyncSession, days: DateRange, f: ReportFilter, _: ZoneInfo) -> Rows:
    rows = Rows()
    rows.header(
        (
            "供应商",
            "顾客订购",
            "采购",
            "确认",
            "收货",
            "验收合格",
            "缺货",
            "缺货退款(元)",
            "确认率",
            "合格率",
            "缺货率",
            "质检不合格率",
        )
    )
    for r in await supplier_fill(session, days, f):
        rows.add(
            r.supplier_name, r.customer_units, r.ordered_units, r.confirmed_units,
            r.received_units, r.accepted_units, r.short_units, Yuan(r.short_fen),
            percent(r.confirmed_bps), percent(r.accepted_bps), percent(r.shortage_bps),
            percent(r.qc_failure_bps),
        )  # fmt: skip
    return rows


async def _after_sale(session: AsyncSession, days: DateRange, f: ReportFilter, _: ZoneInfo) -> Rows:
    rows = Rows()
    rows.header(
        (
            "商品编号",
            "商品",
            "品类",
            "销量",
            "销售额(元)",
            "售后单数",
            "售后件数",
            "售后退款(元)",
            "售后率",
        )
    )
    for r in await after_sale_by_product(session, days, f):
        rows.add(
            r.product_id, r.product_name, r.category, r.sold_units, Yuan(r.sales_fen),
            r.refunds, r.refunded_units, Yuan(r.refunded_fen), percent(r.after_sale_bps),
        )  # fmt: skip
    return rows


async def _refunds(session: AsyncSession, days: DateRange, f: ReportFilter, _: ZoneInfo) -> Rows:
    report = await refunds_by_reason(session, days, f)
    rows = Rows()
    rows.header(("退款原因", "笔数", "金额(元)", "已退回(元)"))
    for r in report.reasons:
        rows.add(r.reason.value, r.refunds, Yuan(r.amount_fen), Yuan(r.returned_fen))
    rows.add(TOTAL_LABEL, report.refunds, Yuan(report.amount_fen), Yuan(report.returned_fen))
    rows.header(("配送日期", "金额(元)"))
    for day, fen in report.days:
        rows.add(day, Yuan(fen))
    return rows


# The payee kind as the sheets write it.
PAYEE_KINDS = {PayeeKind.LEADER: "团长", PayeeKind.GRID: "网格仓"}


async def _settlements(
    session: AsyncSession, days: DateRange, f: ReportFilter, _: ZoneInfo
) -> Rows:
    rows = Rows()
    rows.header(
        (
            "结算单号",
            "结算批次",
            "期初日",
            "期末日",
            "收款方类型",
            "团长编号",
            "网格仓编号",
            "收款方",
            "期初(元)",
            "佣金/计件费(元)",
            "冲回(元)",
            "代收现金(元)",
            "本期合计(元)",
            "期末(元)",
            "明细数",
        )
    )
    for r in await settlement_register(session, days, f):
        rows.add(
            r.statement_id, r.settlement_id, r.period_start, r.period_end,
            PAYEE_KINDS[r.payee_kind], r.leader_id or "", r.grid_id or "", r.payee_name,
            Yuan(r.opening_fen), Yuan(r.accrued_fen), Yuan(r.reversed_fen),
            Yuan(r.cash_held_fen), Yuan(r.total_fen), Yuan(r.closing_fen), r.line_count,
        )  # fmt: skip
    return rows


async def _payouts(session: AsyncSession, days: DateRange, f: ReportFilter, zone: ZoneInfo) -> Rows:
    rows = Rows()
    rows.header(
        (
            "提现单号",
            "收款方类型",
            "团长编号",
            "网格仓编号",
            "收款方",
            "申请人(网格站长)",
            "申请时间",
            "状态",
            "金额(元)",
            "手续费(元)",
            "到账(元)",
            "支付时间",
        )
    )
    for r in await payout_register(session, days, f, zone):
        paid = "" if r.paid_at is None else r.paid_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        rows.add(
            r.payout_id, PAYEE_KINDS[r.payee_kind], r.leader_id or "", r.grid_id or "",
            r.payee_name, r.grid_operator_name or "",
            r.requested_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), r.status.value,
            Yuan(r.amount_fen), Yuan(r.fee_fen), Yuan(r.transfer_fen), paid,
        )  # fmt: skip
    return rows


@dataclass(frozen=True)
class ReportSheet:
    ascii_name: str  # in the download's file name
    title: str  # the sheet's and the file's Chinese name
    build: Builder


REPORTS: dict[str, ReportSheet] = {
    "sales": ReportSheet("sales", "销售", _sales),
    "leader-ranking": ReportSheet("leader-ranking", "团长排行", _leaders),
    "supplier-fill": ReportSheet("supplier-fill", "供应商履约", _suppliers),
    "after-sale-by-product": ReportSheet("after-sale-by-product", "商品售后", _after_sale),
    "refunds-by-reason": ReportSheet("refunds-by-reason", "退款原因", _refunds),
    "settlement-register": ReportSheet("settlement-register", "结算登记", _settlements),
    "payout-register": ReportSheet("payout-register", "提现登记", _payouts),
}


async def report_rows(
    session: AsyncSession, name: str, days: DateRange, given: ReportFilter, zone: ZoneInfo
) -> tuple[ReportSheet, Rows]:
    """The sheet of report ``name`` (a key of ``REPORTS``), filters checked."""
    sheet = REPORTS.get(name)
    if sheet is None:
        raise DomainError(CommonErrorCode.NOT_FOUND, f"No report named {name!r}.", ["report"])
    await check_filter(session, given)
    return sheet, await sheet.build(session, days, given, zone)
