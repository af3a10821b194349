"""Statements under hypothesis on both databases: random purchase-order
lines (short, failed, over-delivered), disputes resolved with random
adjustments, period after period, approved and finally paid. After every
step the database says: each statement's total is the exact sum of its
lines and their adjustments, a payable is never negative, a statement below
zero has exactly one carried-forward line and the next one brings it
forward, and the supplier's ledger sums to the payables — to zero once paid.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fulfilment.campaigns import catalog
from fulfilment.campaigns.models import StorageZone
from fulfilment.campaigns.warehouses import create_warehouse
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt
from fulfilment.supplier_settlement import disputes, pay_batches
from fulfilment.supplier_settlement.bank_accounts import set_bank_account
from fulfilment.supplier_settlement.errors import SupplierSettlementErrorCode as Code
from fulfilment.supplier_settlement.models import StatementState, SupplierStatement
from fulfilment.supplier_settlement.statements import approve_statement, issue_statement
from kernel.accounts import Role, User
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.geo import LatLon
from leaders.commission.settlement import ANCHOR
from tests.conftest import TestDB
from tests.support.pickup import rows

# (bought, confirmed or None, received, accepted, unit cost)
LINE = st.integers(1, 40).flatmap(
    lambda bought: st.tuples(
        st.just(bought),
        st.none() | st.integers(0, bought),
        st.integers(0, bought + 3),
        st.integers(0, 60),
        st.integers(0, 5_000),
    )
)
PERIOD = st.tuples(
    st.lists(LINE, min_size=1, max_size=3),
    # Adjustments of disputed lines, by line position (wrapped).
    st.lists(st.tuples(st.integers(0, 9), st.integers(-20_000, 20_000)), max_size=2),
)


async def _setup(db: TestDB, operator: User) -> tuple[int, int, list[int]]:
    async with unit_of_work(db.sessions) as session:
        tag = uuid.uuid4().hex[:8]
        warehouse = await create_warehouse(
            session,
            name=f"仓-{tag}",
            address="长沙",
            location=LatLon(28.2, 112.9),
            created_by=operator,
        )
        supplier = await catalog.create_supplier(
            session, name=f"供应商-{tag}", contact_name="老王", contact_phone="13900139000"
        )
        products = []
        for index in range(3):
            product = await catalog.create_product(
                session,
                catalog.ProductDraft(
                    supplier_id=supplier.id,
                    name=f"商品{index}",
                    category="水果",
                    unit="盒",
                    weight_g=500,
                    volume_ml=800,
                    case_pack=1,
                    cost_fen=600,
                    storage_zone=StorageZone.AMBIENT,
                ),
            )
            products.append(product.id)
        return warehouse.id, supplier.id, products


async def _deliver(
    db: TestDB, ids: tuple[int, int, list[int]], day: date, lines: list[Any], operator: User
) -> None:
    warehouse, supplier, products = ids
    async with unit_of_work(db.sessions) as session:
        po = PurchaseOrder(
            supplier_id=supplier,
            warehouse_id=warehouse,
            delivery_date=day,
            receiving_closed_at=datetime.now(UTC),
        )
        session.add(po)
        await session.flush()
        for product, (bought, confirmed, received, accepted, cost) in zip(
            products, lines, strict=False
        ):
            session.add(
                PurchaseOrderLine(
                    purchase_order_id=po.id,
                    revision=1,
                    product_id=product,
                    ordered_units=bought,
                    case_pack=1,
                    cases=bought,
                    purchase_units=bought,
                    surplus_units=0,
                    unit_cost_fen=cost,
                    cost_fen=bought * cost,
                    confirmed_units=confirmed,
                )
            )
            session.add(
                Receipt(
                    purchase_order_id=po.id,
                    product_id=product,
                    received_units=received,
                    accepted_units=min(accepted, received),
                    recorded_by_id=operator.id,
                )
            )


async def _check(db: TestDB, supplier: int) -> list[tuple[Any, ...]]:
    statements = await rows(
        db,
        "SELECT s.id, s.state, s.total_fen, s.payable_fen, s.carried_forward_fen, "
        "s.brought_forward_fen, (SELECT SUM(amount_fen + adjustment_fen) "
        "FROM supplier_statement_lines l WHERE l.statement_id = s.id), "
        "(SELECT COUNT(*) FROM supplier_statement_lines l WHERE l.statement_id = s.id "
        "AND l.kind = 'carried_forward') FROM supplier_statements s "
        "WHERE s.supplier_id = :s ORDER BY s.id",
        s=supplier,
    )
    carried_before = 0
    for _, state, total, payable, carried, brought, line_sum, carry_lines in statements:
        assert int(line_sum) == total  # exact, to the fen
        assert brought == -carried_before
        if state != "issued":
            assert payable == total and payable >= 0
            assert carry_lines == (1 if carried else 0)
            carried_before = carried
    ledger = await db.scalar(
        "SELECT COALESCE(SUM(amount_fen), 0) FROM supplier_ledger_entries WHERE supplier_id = :s",
        s=supplier,
    )
    paid = sum(p or 0 for _, state, _, p, *_ in statements if state == "paid")
    approved = sum(p or 0 for _, state, _, p, *_ in statements if state == "approved")
    assert int(ledger) == approved + sum(
        total for _, state, total, *_ in statements if state == "issued"
    )
    assert paid >= 0
    return statements


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(PERIOD, min_size=1, max_size=3))
async def test_statements_stay_exact_period_after_period(db: TestDB, run: list[Any]) -> None:
    operator, _ = await db.user(Role.OPERATOR)
    ids = await _setup(db, operator)
    supplier = ids[1]
    for week, (lines, adjustments) in enumerate(run):
        end = ANCHOR + timedelta(days=7 * (week + 1))
        now = datetime.combine(end, time(12), tzinfo=UTC)
        await _deliver(db, ids, end - timedelta(days=1), lines, operator)
        try:
            async with unit_of_work(db.sessions) as session:
                statement = await issue_statement(
                    session, supplier, end, db.settings, by=operator, now=now
                )
                line_ids = [line.id for line in await disputes.lines_of(session, statement.id)]
        except DomainError as refused:
            # Nothing confirmed, nothing arrived, nothing carried: no statement.
            assert refused.code is Code.NOTHING_TO_SETTLE
            continue
        await _check(db, supplier)
        for position, fen in adjustments:
            line_id = line_ids[position % len(line_ids)]
            async with unit_of_work(db.sessions) as session:
                line = await disputes.lines_of(session, statement.id)
                if next(x for x in line if x.id == line_id).state.value in ("disputed", "resolved"):
                    continue  # each line is disputed once
                await disputes.dispute_line(session, line_id, supplier, "不对", operator, now)
                await disputes.resolve_dispute(session, line_id, fen, "核实", operator, now)
            await _check(db, supplier)
        async with unit_of_work(db.sessions) as session:
            approved = await approve_statement(session, statement.id, operator, now)
            assert approved.state in (StatementState.APPROVED, StatementState.PAID)
        await _check(db, supplier)
    async with unit_of_work(db.sessions) as session:
        waiting = await session.scalar(
            select(func.count()).where(
                SupplierStatement.supplier_id == supplier,
                SupplierStatement.state == StatementState.APPROVED,
            )
        )
        if waiting:
            await set_bank_account(
                session,
                supplier,
                account_name="供应商",
                bank_name="银行",
                account_number="62220200",
                by=operator,
                now=now,
            )
            batch = await pay_batches.create_batch(session, operator, now)
            await pay_batches.mark_batch_paid(session, batch.id, operator, now)
    statements = await _check(db, supplier)
    assert all(state == "paid" for _, state, *_ in statements)
    # Paid out: the ledger owes nothing, except a total still carried forward.
    carried = statements[-1][4] if statements else 0
    owed = await db.scalar(
        "SELECT COALESCE(SUM(amount_fen), 0) FROM supplier_ledger_entries WHERE supplier_id = :s",
        s=supplier,
    )
    assert int(owed) == 0 and carried >= 0
