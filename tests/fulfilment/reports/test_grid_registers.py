"""The registers list grid warehouses (网格仓) beside leaders: a grid earns
its fees per piece on the grid day of tests/fulfilment/network, the shop's
leader earns commission, one settlement settles both, and each asks for a
payout. The payout register's rows name the payee (and, for a grid, the
operator who asked) and always sum to its per-day totals, under no filter,
a warehouse's (the central, the grid, another) and a leader's; the
settlement register has the grid's statement beside the leader's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from api.graphql.ids import encode
from fulfilment.reports.filters import DateRange, ReportFilter
from fulfilment.reports.payees import PayeeKind
from fulfilment.reports.registers import (
    PayoutRow,
    payout_days,
    payout_register,
    settlement_register,
    settlement_totals,
)
from kernel.clock import business_date, utcnow
from kernel.db import unit_of_work
from leaders.commission.grid_fees import request_grid_payout
from leaders.commission.payouts import request_payout
from leaders.commission.settlement import latest_closed_period, settle
from tests.conftest import TestDB
from tests.fulfilment.network.test_grid_fees import FEE, a_day_at_a_grid, sign_at
from tests.support.commission import do_accrue, line
from tests.support.exports import csv_rows, get
from tests.support.factories import Shop
from tests.support.network import grid_of
from tests.support.pickup import TZ

GRID_EARNED = (6 + 4) * FEE  # the grid's two points' pieces
GRID_ASKED = 2_000
LEADER_NET = 10_000  # the shop's leader's picked-up sales
PAYOUT_FEE = 50
GRID_NAME = "网格仓-雨花"  # day_with_a_grid's grid
OPERATOR_NAME = "网格站长"  # tests.support.network.grid_operator's user


@dataclass
class GridPayday:
    shop: Shop
    grid: int
    leader_id: int
    leader_name: str
    leader_asked: int  # the leader's whole settled commission
    grid_payout: int
    leader_payout: int
    asked_at: datetime  # the grid's request; the leader's a day later
    settlement_id: int
    days: DateRange


async def grid_payday(db: TestDB) -> GridPayday:
    """Both points of the grid sign; the shop's leader's lines are picked
    up; a settlement, then the grid's operator asks for GRID_ASKED and the
    leader, a day later, for all of their commission."""
    shop, grid, second, stops = await a_day_at_a_grid(db)
    await sign_at(db, shop.pickup_point_id, stops[shop.pickup_point_id])
    await sign_at(db, second, stops[second])
    leader_id, leader_name = (
        await db.rows(
            "SELECT l.id, u.name FROM pickup_points p JOIN leaders l ON l.id = p.leader_id "
            f"JOIN users u ON u.id = l.user_id WHERE p.id = {shop.pickup_point_id}"
        )
    )[0]
    [(line_id,)] = await db.rows(
        "SELECT ol.id FROM order_lines ol JOIN orders o ON o.id = ol.order_id "
        f"WHERE o.leader_id = {leader_id} ORDER BY ol.id LIMIT 1"
    )
    await do_accrue(db, line(int(line_id), int(leader_id), LEADER_NET, picked_up_at=utcnow()))
    later = utcnow() + timedelta(days=15)
    settings = db.settings.model_copy(update={"payout_min_fen": 1, "payout_fee_fen": PAYOUT_FEE})
    async with unit_of_work(db.sessions) as session:
        done = await settle(
            session, later, db.settings, period_end=latest_closed_period(later, db.settings)
        )
    leader_asked = int(
        await db.scalar(
            f"SELECT available_fen FROM commission_accounts WHERE leader_id = {leader_id}"
        )
    )
    operator = int(await db.scalar(f"SELECT user_id FROM grid_operators WHERE grid_id = {grid}"))
    async with unit_of_work(db.sessions) as session:
        paid_grid = await request_grid_payout(
            session, grid, operator, GRID_ASKED, "grid", later, settings
        )
        paid_leader = await request_payout(
            session, int(leader_id), leader_asked, "leader", later + timedelta(days=1), settings
        )
    today = business_date(utcnow(), TZ)
    days = DateRange(today - timedelta(days=1), business_date(later, TZ) + timedelta(days=2))
    return GridPayday(
        shop, grid, int(leader_id), str(leader_name), leader_asked, paid_grid.id,
        paid_leader.id, later, done.id, days,
    )  # fmt: skip


def _who(row: Any) -> tuple[Any, ...]:
    return (row.payee_kind, row.leader_id, row.grid_id, row.payee_name)


async def test_the_payout_register_names_both_payees(db: TestDB) -> None:
    day = await grid_payday(db)
    async with db.sessions() as session:
        rows = await payout_register(session, day.days, ReportFilter(), TZ)
    assert day.leader_asked > 0
    grid_row, leader_row = rows
    assert grid_row.payout_id == day.grid_payout
    assert _who(grid_row) == (PayeeKind.GRID, None, day.grid, GRID_NAME)
    assert grid_row.grid_operator_name == OPERATOR_NAME and grid_row.leader_name is None
    assert (grid_row.amount_fen, grid_row.fee_fen, grid_row.transfer_fen) == (
        GRID_ASKED,
        PAYOUT_FEE,
        GRID_ASKED - PAYOUT_FEE,
    )
    assert leader_row.payout_id == day.leader_payout
    assert _who(leader_row) == (PayeeKind.LEADER, day.leader_id, None, day.leader_name)
    assert leader_row.grid_operator_name is None and leader_row.leader_name == day.leader_name
    assert (leader_row.amount_fen, leader_row.transfer_fen) == (
        day.leader_asked,
        day.leader_asked - PAYOUT_FEE,
    )
    # What the grid asked for left its book as its payout and fee entries.
    taken = await db.scalar(
        "SELECT SUM(amount_fen) FROM grid_fee_entries "
        f"WHERE payout_id = {day.grid_payout} AND kind IN ('payout', 'fee')"
    )
    assert -int(taken) == GRID_ASKED


def _sums(rows: list[PayoutRow]) -> tuple[int, int, int, int]:
    return (
        len(rows),
        sum(r.amount_fen for r in rows),
        sum(r.fee_fen for r in rows),
        sum(r.transfer_fen for r in rows),
    )


async def test_rows_and_days_agree_under_every_filter(db: TestDB) -> None:
    day = await grid_payday(db)
    central = day.shop.warehouse_id
    elsewhere = await grid_of(db, central, day.shop.operator, name="网格仓-岳麓")
    cases: list[tuple[ReportFilter, set[int]]] = [
        (ReportFilter(), {day.grid_payout, day.leader_payout}),
        # The central serves the leader's point and owns the grid.
        (ReportFilter(warehouse_id=central), {day.grid_payout, day.leader_payout}),
        # The grid's points keep their service area at the central.
        (ReportFilter(warehouse_id=day.grid), {day.grid_payout}),
        (ReportFilter(warehouse_id=elsewhere), set()),
        (ReportFilter(leader_id=day.leader_id), {day.leader_payout}),
        (ReportFilter(warehouse_id=central, leader_id=day.leader_id), {day.leader_payout}),
    ]
    for given, expected in cases:
        async with db.sessions() as session:
            rows = await payout_register(session, day.days, given, TZ)
            per_day = await payout_days(session, day.days, given, TZ)
        assert {r.payout_id for r in rows} == expected, given
        totals = (
            sum(d.payouts for d in per_day),
            sum(d.amount_fen for d in per_day),
            sum(d.fee_fen for d in per_day),
            sum(d.transfer_fen for d in per_day),
        )
        assert _sums(rows) == totals, given
        # Day by day too: each row on its local date of request.
        by_day: dict[date, int] = {}
        for r in rows:
            asked = r.requested_at.astimezone(TZ).date()
            by_day[asked] = by_day.get(asked, 0) + r.amount_fen
        assert {d.day: d.amount_fen for d in per_day if d.payouts} == by_day, given
    # Paged, the rows are the same ones in the same order.
    async with db.sessions() as session:
        first = await payout_register(session, day.days, ReportFilter(), TZ, limit=1)
        rest = await payout_register(session, day.days, ReportFilter(), TZ, offset=1)
    assert [r.payout_id for r in first + rest] == [day.grid_payout, day.leader_payout]


async def test_the_settlement_register_has_the_grids_statement(db: TestDB) -> None:
    day = await grid_payday(db)
    async with db.sessions() as session:
        rows = await settlement_register(session, day.days, ReportFilter())
        periods = await settlement_totals(session, day.days, ReportFilter())
        by_grid = await settlement_register(session, day.days, ReportFilter(warehouse_id=day.grid))
        by_leader = await settlement_register(
            session, day.days, ReportFilter(leader_id=day.leader_id)
        )
        leader_periods = await settlement_totals(
            session, day.days, ReportFilter(leader_id=day.leader_id)
        )
    leader_row, grid_row = rows
    assert _who(leader_row) == (PayeeKind.LEADER, day.leader_id, None, day.leader_name)
    assert _who(grid_row) == (PayeeKind.GRID, None, day.grid, GRID_NAME)
    assert leader_row.settlement_id == grid_row.settlement_id == day.settlement_id
    assert (grid_row.accrued_fen, grid_row.reversed_fen, grid_row.cash_held_fen) == (
        GRID_EARNED,
        0,
        0,
    )
    assert (grid_row.total_fen, grid_row.closing_fen, grid_row.line_count) == (
        GRID_EARNED,
        GRID_EARNED,
        2,
    )
    assert grid_row.statement_id == await db.scalar(
        f"SELECT id FROM grid_fee_statements WHERE grid_id = {day.grid}"
    )
    assert leader_row.total_fen == day.leader_asked
    # The period's totals are its rows'.
    [(end, count, accrued, reversed_fen, cash, total)] = periods
    assert end == grid_row.period_end
    assert (count, total) == (2, GRID_EARNED + day.leader_asked)
    assert accrued == sum(r.accrued_fen for r in rows)
    assert (reversed_fen, cash) == (0, 0)
    assert [r.statement_id for r in by_grid] == [grid_row.statement_id]
    assert [r.statement_id for r in by_leader] == [leader_row.statement_id]
    assert [p[1:] for p in leader_periods] == [(1, day.leader_asked, 0, 0, day.leader_asked)]


REGISTER = """
query($range: ReportRange!, $filter: ReportFilter) {
  reportPayoutRegister(range: $range, filter: $filter) {
    days { amountFen }
    payouts { nodes { payoutId payeeKind leaderId leaderName gridId payeeName
      gridOperatorName amountFen feeFen transferFen status } }
  }
  reportSettlementRegister(range: $range, filter: $filter) {
    periods { statements totalFen }
    statements { nodes { payeeKind gridId payeeName leaderName totalFen } }
  }
}
"""


async def test_an_operator_reads_the_grid_rows(db: TestDB, gql: Any) -> None:
    day = await grid_payday(db)
    token = day.shop.operator_token
    span = {"start": day.days.start.isoformat(), "end": day.days.end.isoformat()}
    grid_id = encode("Warehouse", day.grid)
    body = await gql(REGISTER, {"range": span, "filter": {"warehouseId": grid_id}}, token=token)
    assert "errors" not in body, body
    payouts = body["data"]["reportPayoutRegister"]
    assert payouts["payouts"]["nodes"] == [
        {
            "payoutId": encode("Payout", day.grid_payout),
            "payeeKind": "GRID",
            "leaderId": None,
            "leaderName": None,
            "gridId": grid_id,
            "payeeName": GRID_NAME,
            "gridOperatorName": OPERATOR_NAME,
            "amountFen": GRID_ASKED,
            "feeFen": PAYOUT_FEE,
            "transferFen": GRID_ASKED - PAYOUT_FEE,
            "status": "REQUESTED",
        }
    ]
    assert sum(d["amountFen"] for d in payouts["days"]) == GRID_ASKED
    settlements = body["data"]["reportSettlementRegister"]
    assert settlements["statements"]["nodes"] == [
        {
            "payeeKind": "GRID",
            "gridId": grid_id,
            "payeeName": GRID_NAME,
            "leaderName": None,
            "totalFen": GRID_EARNED,
        }
    ]
    assert settlements["periods"] == [{"statements": 1, "totalFen": GRID_EARNED}]

    # The download has both rows, with the payee's kind.
    query = f"start={span['start']}&end={span['end']}"
    response = await get(gql, f"/exports/reports/payout-register.csv?{query}", token)
    assert response.status_code == 200, response.text
    header, *rows = csv_rows(response.content)
    assert header[1:6] == ["收款方类型", "团长编号", "网格仓编号", "收款方", "申请人(网格站长)"]
    assert [r[1:6] for r in rows] == [
        ["网格仓", "", str(day.grid), GRID_NAME, OPERATOR_NAME],
        ["团长", str(day.leader_id), "", day.leader_name, ""],
    ]
    assert [r[8] for r in rows] == [
        "20.00",
        f"{day.leader_asked // 100}.{day.leader_asked % 100:02d}",
    ]
