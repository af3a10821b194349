"""Every report over a day with known numbers (known_day.py): totals
checked exactly, and every money figure against the ledger and the
payments. Both databases (the ``db`` fixture)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from fulfilment.orders.models import RefundReason
from fulfilment.reports.after_sale import after_sale_by_product
from fulfilment.reports.filters import DateRange, ReportFilter, check_filter
from fulfilment.reports.leaders import leader_ranking
from fulfilment.reports.refunds import refunds_by_reason
from fulfilment.reports.registers import (
    payout_days,
    payout_register,
    settlement_register,
    settlement_totals,
)
from fulfilment.reports.sales import sales_report
from fulfilment.reports.suppliers import supplier_fill
from kernel.errors import DomainError
from tests.conftest import TestDB
from tests.fulfilment.reports.known_day import GMV, GOODWILL, known_day
from tests.support.routing import A_PRICE, B_PRICE

TZ = ZoneInfo("Asia/Shanghai")
ALL = ReportFilter()


async def _ledger(db: TestDB, kinds: str, leader_id: int) -> int:
    return int(
        await db.scalar(
            f"SELECT coalesce(sum(amount_fen), 0) FROM commission_entries "
            f"WHERE kind IN ({kinds}) AND leader_id = :l",
            l=leader_id,
        )
    )


async def test_sales_reconcile_to_the_payments_and_refunds(db: TestDB) -> None:
    day = await known_day(db)
    async with db.sessions() as session:
        report = await sales_report(session, day.days, ALL)
    refunded = 2 * A_PRICE + GOODWILL
    totals = report.totals
    assert (totals.gmv_fen, totals.orders, totals.customers) == (GMV, 4, 4)
    assert (totals.refunded_fen, totals.net_fen) == (refunded, GMV - refunded)
    assert totals.average_basket_fen == 2403  # 9,610 / 4, half up
    # The payments received and the refunds booked, as the orders hold them.
    assert await db.scalar("SELECT sum(paid_fen) FROM orders") == GMV
    assert refunded == await db.scalar("SELECT sum(amount_fen) FROM refunds")
    assert [d.day for d in report.days] == list(day.days.dates())
    [delivered] = [d for d in report.days if d.gmv_fen]
    assert (delivered.day, delivered.gmv_fen, delivered.orders) == (day.delivery_date, GMV, 4)
    # By product: B alone (alice's and dora's), and no goodwill (no product).
    async with db.sessions() as session:
        other = await sales_report(session, day.days, ReportFilter(category="蔬菜"))
        assert other.totals.gmv_fen == 0
        b_only = await sales_report(
            session,
            day.days,
            ReportFilter(warehouse_id=day.counter.shop.warehouse_id, leader_id=day.leader_id),
        )
    assert (b_only.totals.gmv_fen, b_only.totals.orders) == (5 * A_PRICE + B_PRICE, 2)
    assert b_only.totals.refunded_fen == A_PRICE


async def test_leader_ranking_reads_commission_from_the_ledger(db: TestDB) -> None:
    day = await known_day(db)
    async with db.sessions() as session:
        ranks = await leader_ranking(session, day.days, ALL, TZ)
    assert [(r.rank, r.sales_fen, r.orders, r.customers) for r in ranks] == [
        (1, 5 * A_PRICE + B_PRICE, 2, 2),
        (2, 4 * A_PRICE, 1, 1),
        (3, B_PRICE, 1, 1),
    ]
    first = ranks[0]
    assert first.leader_id == day.leader_id
    own = await _ledger(db, "'accrual', 'reversal'", day.leader_id)
    assert own > 0 and first.commission_fen == own
    assert (first.after_sale_fen, first.after_sale_bps) == (A_PRICE, 1868)  # 990 / 5,300
    assert [r.commission_fen for r in ranks[1:]] == [0, 0]  # nothing collected there
    async with db.sessions() as session:
        page = await leader_ranking(session, day.days, ALL, TZ, offset=1, limit=1)
    assert [(r.rank, r.sales_fen) for r in page] == [(2, 4 * A_PRICE)]


async def test_supplier_fill_shortage_and_qc(db: TestDB) -> None:
    day = await known_day(db)
    async with db.sessions() as session:
        [fill] = await supplier_fill(session, day.days, ALL)
    assert (fill.customer_units, fill.ordered_units, fill.confirmed_units) == (11, 24, 24)
    assert (fill.received_units, fill.accepted_units) == (11, 10)
    assert (fill.short_units, fill.short_fen) == (1, A_PRICE)
    assert fill.short_fen == await db.scalar(
        "SELECT sum(amount_fen) FROM refunds WHERE reason = 'shortage'"
    )
    assert (fill.confirmed_bps, fill.accepted_bps) == (10_000, 4167)
    assert (fill.shortage_bps, fill.qc_failure_bps) == (909, 909)
    with pytest.raises(DomainError):
        async with db.sessions() as session:
            await supplier_fill(session, day.days, ReportFilter(leader_id=day.leader_id))


async def test_after_sale_by_product_and_refunds_by_reason(db: TestDB) -> None:
    day = await known_day(db)
    async with db.sessions() as session:
        products = await after_sale_by_product(session, day.days, ALL)
        refunds = await refunds_by_reason(session, day.days, ALL)
    a, b = products
    assert (a.product_id, a.sold_units, a.sales_fen) == (day.counter.day.product_a, 9, 9 * A_PRICE)
    assert (a.refunds, a.refunded_units, a.refunded_fen, a.after_sale_bps) == (1, 1, A_PRICE, 1111)
    assert (b.sold_units, b.sales_fen, b.refunded_fen, b.after_sale_bps) == (2, 2 * B_PRICE, 0, 0)
    by_reason = {r.reason: (r.refunds, r.amount_fen) for r in refunds.reasons}
    assert by_reason == {
        RefundReason.SHORTAGE: (1, A_PRICE),
        RefundReason.AFTER_SALE_QUALITY: (1, A_PRICE),
        RefundReason.GOODWILL: (1, GOODWILL),
    }
    assert refunds.amount_fen == await db.scalar("SELECT sum(refunded_fen) FROM orders")
    assert [d for d in refunds.days if d[1]] == [(day.delivery_date, refunds.amount_fen)]
    # The commission given back for the after-sale refund is in the ledger.
    reversed_fen = await _ledger(db, "'reversal'", day.leader_id)
    assert reversed_fen < 0


async def test_the_registers_are_the_ledgers(db: TestDB) -> None:
    day = await known_day(db)
    async with db.sessions() as session:
        statements = await settlement_register(session, day.days, ALL)
        periods = await settlement_totals(session, day.days, ALL)
        payouts = await payout_register(session, day.days, ALL, TZ)
        per_day = await payout_days(session, day.days, ALL, TZ)
    [statement] = statements
    settled = day.settlement
    assert statement.leader_id == day.leader_id
    assert statement.period_end == settled.period_end - timedelta(days=1)
    assert statement.accrued_fen == await _ledger(db, "'accrual'", day.leader_id)
    assert statement.reversed_fen == await _ledger(db, "'reversal'", day.leader_id)
    assert (
        statement.total_fen == settled.total_fen == statement.accrued_fen + statement.reversed_fen
    )
    assert [p[1:] for p in periods] == [
        (1, statement.accrued_fen, statement.reversed_fen, 0, settled.total_fen)
    ]
    [payout] = payouts
    assert (payout.payout_id, payout.amount_fen, payout.transfer_fen) == (
        day.payout.id,
        settled.total_fen,
        settled.total_fen,
    )
    # The payout and its fee left the balance as ledger entries.
    assert -payout.amount_fen == await _ledger(db, "'payout', 'fee'", day.leader_id)
    asked = day.delivery_date + timedelta(days=7)
    assert [(d.day, d.amount_fen) for d in per_day if d.payouts] == [(asked, payout.amount_fen)]
    assert len(per_day) == day.days.days
    # A range that misses the day reads nothing.
    early = DateRange(date(2020, 1, 1), date(2020, 1, 31))
    async with db.sessions() as session:
        assert await payout_register(session, early, ALL, TZ) == []
        assert await settlement_register(session, early, ALL) == []


async def test_ranges_and_filters_are_checked(db: TestDB) -> None:
    day = await known_day(db)
    with pytest.raises(DomainError) as long:
        DateRange(date(2026, 1, 1), date(2027, 1, 2))  # 367 days: 366 is the most
    assert long.value.code.value == "OUT_OF_RANGE"
    assert DateRange(date(2024, 1, 1), date(2024, 12, 31)).days == 366
    with pytest.raises(DomainError):
        DateRange(date(2026, 1, 2), date(2026, 1, 1))
    async with db.sessions() as session:
        await check_filter(session, ReportFilter(category="水果", leader_id=day.leader_id))
        for bad in (ReportFilter(warehouse_id=999_999), ReportFilter(category="没有")):
            with pytest.raises(DomainError) as unknown:
                await check_filter(session, bad)
            assert unknown.value.code.value == "NOT_FOUND"
