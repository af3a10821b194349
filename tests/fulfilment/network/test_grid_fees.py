"""A grid warehouse is paid per piece its vans deliver: accrued when the
point's leader signs (the units reported missing there left out), reversed
for units the grid's handover finds missing after the point signed, settled
with the leaders' period and paid out through the leaders' payouts."""

from __future__ import annotations

from datetime import time, timedelta

from api.graphql.ids import encode
from fulfilment.delivery.grid_handover import sign_grid_handover
from fulfilment.delivery.models import DeliveryIssueKind
from fulfilment.delivery.receipts import IssueReport, sign_delivery
from fulfilment.network.grids import GridTerms, set_grid
from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.commission.grid_fees import request_grid_payout
from leaders.commission.payouts import approve_payout, batch_rows, export_batch, reject_payout
from leaders.commission.settlement import latest_closed_period, settle
from tests.conftest import TestDB, error_codes
from tests.fulfilment.delivery.test_delivery import arrive
from tests.fulfilment.network.test_stage_one import day_with_a_grid, sort_both_stages
from tests.support.commerce import codes, ok
from tests.support.factories import Shop
from tests.support.network import grid_of, grid_operator
from tests.support.routing import store_plan

FEE = 300  # fen a piece: enough for a payout above the minimum


async def _leader_user(db: TestDB, point_id: int) -> int:
    return int(
        await db.scalar(
            "SELECT l.user_id FROM pickup_points p JOIN leaders l ON l.id = p.leader_id "
            f"WHERE p.id = {point_id}"
        )
    )


async def sign_at(db: TestDB, point: int, stop: int, *issues: IssueReport) -> None:
    user = await _leader_user(db, point)
    await arrive(db, stop)
    async with unit_of_work(db.sessions) as session:
        await sign_delivery(session, user, route_stop_id=stop, issues=issues, now=utcnow())


async def _book(db: TestDB) -> list[tuple[str, int, int, int]]:
    """(kind, pieces, fee, fen) of the grids' book, oldest first."""
    rows = await db.rows(
        "SELECT kind, pieces, piece_fee_fen, amount_fen FROM grid_fee_entries ORDER BY id"
    )
    return [tuple(r) for r in rows]


async def _apple_missing_at_grid(db: TestDB, shop: Shop, grid: int, units: int) -> None:
    user = await db.scalar(f"SELECT user_id FROM grid_operators WHERE grid_id = {grid}")
    apple = IssueReport(shop.extra["product_id"], DeliveryIssueKind.MISSING, units)
    async with unit_of_work(db.sessions) as session:
        await sign_grid_handover(
            session, int(user), grid, shop.delivery_date, [apple], note=None, now=utcnow()
        )


async def a_day_at_a_grid(db: TestDB) -> tuple[Shop, int, int, dict[int, int]]:
    """The grid day of test_stage_one at FEE a piece, sorted, with the grid's
    plan to its two points and the central's to its direct one published."""
    shop, grid, _ = await day_with_a_grid(db)
    async with unit_of_work(db.sessions) as session:
        terms = GridTerms(shop.warehouse_id, FEE, time(1), time(4), 20_000)
        await set_grid(session, grid, terms, expected_version=1)
    await sort_both_stages(db, shop)
    await grid_operator(db, grid)
    ids = await db.rows(f"SELECT id FROM pickup_points WHERE id <> {shop.pickup_point_id}")
    second, direct = sorted(int(i) for (i,) in ids)[-2:]
    plan = await store_plan(db, grid, shop.delivery_date, [[shop.pickup_point_id, second]])
    central = await store_plan(db, shop.warehouse_id, shop.delivery_date, [[direct]])
    stops = {**plan.stop_ids, **central.stop_ids}
    return shop, grid, second, stops


async def test_the_grid_earns_per_piece_delivered_and_gives_back_what_it_lost(db: TestDB):
    shop, grid, second, stops = await a_day_at_a_grid(db)
    point = shop.pickup_point_id
    apple = shop.extra["product_id"]
    # 6 units were due at the first point; its leader got 5 (1 apple missing).
    await sign_at(db, point, stops[point], IssueReport(apple, DeliveryIssueKind.MISSING, 1))
    assert await _book(db) == [("accrual", 5, FEE, 5 * FEE)]
    # The central's own point earns no grid anything.
    direct = next(p for p in stops if p not in (point, second))
    await sign_at(db, direct, stops[direct])
    assert len(await _book(db)) == 1

    # The grid signs late, 5 apples short: the second point's 4 (not yet
    # signed: nothing to reverse) and the first point's last open apple,
    # which its accrual had counted.
    await _apple_missing_at_grid(db, shop, grid, 5)
    assert (await _book(db))[1:] == [("reversal", -1, FEE, -FEE)]
    # The second point then signs for what it has left: nothing, no fee.
    await sign_at(db, second, stops[second])
    assert len(await _book(db)) == 2
    assert await db.rows("SELECT pending_fen, available_fen FROM grid_fee_accounts") == [
        (4 * FEE, 0)
    ]


async def test_the_grids_fees_are_settled_and_paid_out_with_the_leaders(db: TestDB):
    shop, grid, second, stops = await a_day_at_a_grid(db)
    await sign_at(db, shop.pickup_point_id, stops[shop.pickup_point_id])
    await sign_at(db, second, stops[second])
    earned = (6 + 4) * FEE
    later = utcnow() + timedelta(days=15)
    async with unit_of_work(db.sessions) as session:
        done = await settle(
            session, later, db.settings, period_end=latest_closed_period(later, db.settings)
        )
    assert await db.rows(
        "SELECT settlement_id, grid_id, opening_fen, accrued_fen, reversed_fen, total_fen, "
        "closing_fen, line_count FROM grid_fee_statements"
    ) == [(done.id, grid, 0, earned, 0, earned, earned, 2)]
    assert await db.rows("SELECT pending_fen, available_fen FROM grid_fee_accounts") == [
        (0, earned)
    ]
    # The settlement's own figures stay the leaders'.
    assert done.total_fen == 0

    operator = int(await db.scalar(f"SELECT user_id FROM grid_operators WHERE grid_id = {grid}"))
    async with unit_of_work(db.sessions) as session:
        first = await request_grid_payout(session, grid, operator, 1_000, "k1", later, db.settings)
        await reject_payout(session, first.id, shop.operator, "账户信息有误", later)
        payout = await request_grid_payout(
            session, grid, operator, earned, "k2", later, db.settings
        )
        await approve_payout(session, payout.id, shop.operator, later)
        batch = await export_batch(session, shop.operator, later)
        [row] = await batch_rows(session, batch.id)
    assert (row.leader_id, row.pickup_point, row.transfer_fen) == (
        None,
        f"网格仓 {grid}",
        earned,
    )
    assert await db.rows("SELECT pending_fen, available_fen FROM grid_fee_accounts") == [(0, 0)]
    kinds = [k for k, *_ in await _book(db)]
    assert kinds == [
        "accrual", "accrual", "settlement", "settlement", "payout", "payout_return", "payout"
    ]  # fmt: skip


FEES = """
query($grid: ID) {
  gridFeeBalance(gridId: $grid) { pendingFen availableFen }
  gridFeeEntries(gridId: $grid, first: 10) { nodes { kind pieces pieceFeeFen amountFen } }
  gridFeeStatements(gridId: $grid, first: 10) { nodes { accruedFen totalFen lineCount } }
  gridPayouts(gridId: $grid, first: 10) { nodes { amountFen status gridId leader { id } } }
}
"""
REQUEST = """
mutation($input: PayoutRequestInput!) { gridPayoutRequest(input: $input) {
  payout { id amountFen status gridId } userErrors { field code }
} }
"""


async def test_a_grid_operator_reads_and_draws_its_own_fees_only(db: TestDB, gql):
    shop, grid, _, stops = await a_day_at_a_grid(db)
    await sign_at(db, shop.pickup_point_id, stops[shop.pickup_point_id])
    token = await grid_operator(db, grid)
    mine = await gql(FEES, {}, token=token)
    assert mine["data"]["gridFeeBalance"] == {"pendingFen": 6 * FEE, "availableFen": 0}
    assert mine["data"]["gridFeeEntries"]["nodes"] == [
        {"kind": "ACCRUAL", "pieces": 6, "pieceFeeFen": FEE, "amountFen": 6 * FEE}
    ]
    # Nothing is settled yet: nothing to draw, and nothing changes.
    asked = {"input": {"amountFen": 1_000, "idempotencyKey": "a"}}
    assert codes(await gql(REQUEST, asked, token=token), "gridPayoutRequest") == [
        "INSUFFICIENT_BALANCE"
    ]
    later = utcnow() + timedelta(days=15)
    async with unit_of_work(db.sessions) as session:
        await settle(
            session, later, db.settings, period_end=latest_closed_period(later, db.settings)
        )
    small = {"input": {"amountFen": 999, "idempotencyKey": "b"}}
    assert codes(await gql(REQUEST, small, token=token), "gridPayoutRequest") == [
        "PAYOUT_BELOW_MINIMUM"
    ]
    paid = ok(await gql(REQUEST, asked, token=token), "gridPayoutRequest")["payout"]
    again = ok(await gql(REQUEST, asked, token=token), "gridPayoutRequest")["payout"]
    assert again == paid and paid["status"] == "REQUESTED"
    mine = await gql(FEES, {}, token=token)
    assert mine["data"]["gridFeeBalance"] == {"pendingFen": 0, "availableFen": 6 * FEE - 1_000}
    assert mine["data"]["gridFeeStatements"]["nodes"] == [
        {"accruedFen": 6 * FEE, "totalFen": 6 * FEE, "lineCount": 1}
    ]
    assert mine["data"]["gridPayouts"]["nodes"] == [
        {"amountFen": 1_000, "status": "REQUESTED", "gridId": paid["gridId"], "leader": None}
    ]

    # Another grid's operator reads an empty grid; a leader cannot ask.
    other = await grid_of(db, shop.warehouse_id, shop.operator, name="网格仓-岳麓")
    stranger = await grid_operator(db, other)
    theirs = await gql(FEES, {"grid": encode("Warehouse", grid)}, token=stranger)
    assert theirs["data"]["gridFeeBalance"] is None
    assert theirs["data"]["gridPayouts"]["nodes"] == []
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await gql(node, {"id": paid["id"]}, token=stranger))["data"]["node"] is None
    assert error_codes(await gql(REQUEST, asked, token=shop.leader_token)) == ["FORBIDDEN"]
    # The operator sees it among the payouts and approves it as a leader's.
    approve = "mutation($id: ID!) { payoutApprove(input: {id: $id}) { payout { status } } }"
    approved = await gql(approve, {"id": paid["id"]}, token=shop.operator_token)
    assert approved["data"]["payoutApprove"]["payout"]["status"] == "APPROVED"
