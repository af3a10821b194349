"""Supplier statements on both databases: a built day's statement line by
line, issuing once per period and in order, the supplier told, disputes and
approval, a negative total carried into the next period, pay batches, and a
ledger that only grows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from fulfilment.supplier_settlement import disputes, pay_batches
from fulfilment.supplier_settlement.bank_accounts import set_bank_account
from fulfilment.supplier_settlement.errors import SupplierSettlementErrorCode as Code
from fulfilment.supplier_settlement.jobs import DUE, supplier_statements_due
from fulfilment.supplier_settlement.models import (
    LineKind,
    LineState,
    StatementState,
    SupplierStatement,
)
from fulfilment.supplier_settlement.statements import (
    STATEMENT_READY,
    approve_statement,
    issue_statement,
    issue_statements,
)
from kernel.accounts import User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.jobs.registry import JobContext, handler_for, periodic_kinds
from kernel.settings import get_settings
from leaders.commission.settlement import latest_closed_period
from tests.conftest import TestDB
from tests.fulfilment.supplier_settlement.day import COST, BuiltDay, built_day, received_day
from tests.support.exports import supplier_user
from tests.support.pickup import rows

A, B = "商品0", "商品1"


async def issue(db: TestDB, built: BuiltDay, **changes: Any) -> SupplierStatement:
    settings = db.settings.model_copy(update=changes)
    async with unit_of_work(db.sessions) as session:
        return await issue_statement(
            session,
            built.supplier_id,
            built.period_end,
            settings,
            by=built.counter.shop.operator,
            now=built.after_end,
        )


async def lines(db: TestDB, statement_id: int) -> list[tuple[Any, ...]]:
    return await rows(
        db,
        "SELECT kind, units, amount_fen, state FROM supplier_statement_lines "
        "WHERE statement_id = :s ORDER BY id",
        s=statement_id,
    )


async def execute(db: TestDB, sql: str, **params: Any) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def refused(work: Any) -> Any:
    with pytest.raises(DomainError) as caught:
        await work
    return caught.value.code


async def test_a_built_day_gives_exactly_these_lines(db: TestDB) -> None:
    built = await built_day(db)
    statement = await issue(db, built, supplier_service_fee_bp=250)
    assert await lines(db, statement.id) == [
        ("goods", 8, 8 * COST, "open"),  # A: 8 accepted of the 10 confirmed
        ("shortage", 1, -COST, "open"),  # 9 arrived of the 10 confirmed
        ("qc_failure", 1, -COST, "open"),  # 1 of the 9 failed QC
        ("goods", 12, 12 * COST, "open"),  # B: never confirmed, all 12 arrived
        ("quality_claim", 1, -COST, "open"),  # alice's after-sale refund
        ("delivery_fault", 1, -COST, "open"),  # missing at the stop, the supplier's fault
        ("service_fee", None, -300, "open"),  # 2.5 % of 120.00 yuan of goods
    ]
    assert (statement.goods_fen, statement.chargeback_fen, statement.fee_fen) == (
        12_000,
        -2_400,
        -300,
    )
    assert (statement.total_fen, statement.payable_fen, statement.state) == (
        9_300,
        None,
        StatementState.ISSUED,
    )
    # Each line is booked once in the ledger, with its amount.
    entries = await rows(db, "SELECT kind, amount_fen FROM supplier_ledger_entries ORDER BY id")
    assert entries == [(k, fen) for k, _, fen, _ in await lines(db, statement.id)]


async def test_a_period_is_issued_once_in_order_and_only_when_over(db: TestDB) -> None:
    built = await received_day(db)
    member = await supplier_user(db, built.supplier_id)
    assert member
    early = built.period_end - timedelta(days=7)
    async with unit_of_work(db.sessions) as session:
        code = await refused(
            issue_statement(
                session,
                built.supplier_id,
                built.period_end,
                db.settings,
                by=None,
                now=built.after_end - timedelta(hours=2),
            )
        )
    assert code is Code.PERIOD_NOT_CLOSED
    first = await issue(db, built)
    again = await issue(db, built)
    assert again.id == first.id and first.total_fen == 20 * COST - 2 * COST
    notices = await rows(
        db, "SELECT kind, data FROM notifications WHERE kind = :k", k=STATEMENT_READY
    )
    assert len(notices) == 1  # the supplier's user, once
    async with unit_of_work(db.sessions) as session:
        # An earlier period after a later one: refused.
        code = await refused(
            issue_statement(
                session, built.supplier_id, early, db.settings, by=None, now=built.after_end
            )
        )
        assert code is Code.PERIOD_NOT_CLOSED
        # The next period: nothing new for this supplier.
        later = built.period_end + timedelta(days=7)
        code = await refused(
            issue_statement(
                session,
                built.supplier_id,
                later,
                db.settings,
                by=None,
                now=built.after_end + timedelta(days=7),
            )
        )
        assert code is Code.NOTHING_TO_SETTLE
        assert (
            await issue_statements(
                session,
                later,
                db.settings,
                supplier_id=None,
                by=None,
                now=built.after_end + timedelta(days=7),
            )
            == []
        )


async def _operator(built: BuiltDay) -> User:
    operator: User = built.counter.shop.operator
    return operator


async def test_disputes_are_resolved_before_approval_and_then_nothing_changes(
    db: TestDB,
) -> None:
    built = await received_day(db)
    statement = await issue(db, built)
    ids = [
        int(r[0])
        for r in await rows(
            db,
            "SELECT id FROM supplier_statement_lines WHERE statement_id = :s ORDER BY id",
            s=statement.id,
        )
    ]
    goods_a, short, failed, goods_b = ids
    operator = await _operator(built)
    now = built.after_end
    async with unit_of_work(db.sessions) as session:
        await disputes.confirm_line(session, goods_a, built.supplier_id, now)
        await disputes.dispute_line(
            session, short, built.supplier_id, "送到了 10 件", operator, now
        )
        # Another supplier's line reads as missing.
        assert (await refused(disputes.confirm_line(session, goods_b, -1, now))).value == (
            "NOT_FOUND"
        )
    async with unit_of_work(db.sessions) as session:
        assert await refused(disputes.confirm_line(session, goods_a, built.supplier_id, now)) is (
            Code.LINE_NOT_OPEN
        )
    async with unit_of_work(db.sessions) as session:
        code = await refused(approve_statement(session, statement.id, operator, now))
        assert code is Code.OPEN_DISPUTES
    async with unit_of_work(db.sessions) as session:
        assert (
            await refused(disputes.resolve_dispute(session, failed, 0, "x", operator, now))
            is Code.LINE_NOT_DISPUTED
        )
    async with unit_of_work(db.sessions) as session:
        line = await disputes.resolve_dispute(session, short, COST, "核实为 10 件", operator, now)
        assert (line.state, line.adjustment_fen) == (LineState.RESOLVED, COST)
    async with unit_of_work(db.sessions) as session:
        approved = await approve_statement(session, statement.id, operator, now)
        assert (approved.state, approved.total_fen, approved.payable_fen) == (
            StatementState.APPROVED,
            19 * COST,
            19 * COST,
        )
        assert approved.adjustment_fen == COST
    async with unit_of_work(db.sessions) as session:
        code = await refused(
            disputes.dispute_line(session, goods_b, built.supplier_id, "再议", operator, now)
        )
        assert code is Code.STATEMENT_NOT_OPEN
        assert await refused(approve_statement(session, statement.id, operator, now)) is (
            Code.STATEMENT_NOT_OPEN
        )


async def test_a_negative_total_is_carried_into_the_next_statement(db: TestDB) -> None:
    built = await built_day(db)
    operator = await _operator(built)
    # Only claims in the first statement: make the PO wait for the next one.
    await execute(db, "UPDATE purchase_orders SET receiving_closed_at = NULL")
    first = await issue(db, built)
    assert first.total_fen == -2 * COST
    async with unit_of_work(db.sessions) as session:
        approved = await approve_statement(session, first.id, operator, built.after_end)
        assert (approved.payable_fen, approved.carried_forward_fen, approved.total_fen) == (
            0,
            2 * COST,
            0,
        )
        assert approved.state is StatementState.PAID  # nothing to pay
    assert (await lines(db, first.id))[-1] == ("carried_forward", None, 2 * COST, "confirmed")
    await execute(db, "UPDATE purchase_orders SET receiving_closed_at = :t", t=utcnow())
    week = timedelta(days=7)
    async with unit_of_work(db.sessions) as session:
        second = await issue_statement(
            session,
            built.supplier_id,
            built.period_end + week,
            db.settings,
            by=operator,
            now=built.after_end + week,
        )
    assert (await lines(db, second.id))[-1] == ("brought_forward", None, -2 * COST, "open")
    assert second.total_fen == 20 * COST - 2 * COST - 2 * COST
    async with unit_of_work(db.sessions) as session:
        done = await approve_statement(session, second.id, operator, built.after_end + week)
        assert done.payable_fen == 16 * COST and done.state is StatementState.APPROVED


async def test_approved_statements_are_paid_in_a_batch(db: TestDB) -> None:
    built = await received_day(db)
    operator = await _operator(built)
    statement = await issue(db, built)
    now = built.after_end
    async with unit_of_work(db.sessions) as session:
        assert await refused(pay_batches.create_batch(session, operator, now)) is (
            Code.NO_STATEMENT_TO_PAY
        )
    async with unit_of_work(db.sessions) as session:
        await approve_statement(session, statement.id, operator, now)
    async with unit_of_work(db.sessions) as session:
        # The bank needs an account to pay into.
        assert await refused(pay_batches.create_batch(session, operator, now)) is (
            Code.BANK_ACCOUNT_MISSING
        )
    async with unit_of_work(db.sessions) as session:
        account: dict[str, Any] = {
            "account_name": "长沙果园",
            "bank_name": "长沙银行岳麓支行",
            "by": operator,
        }
        assert (
            await refused(
                set_bank_account(
                    session, built.supplier_id, account_number="12-34", now=now, **account
                )
            )
            is Code.INVALID_BANK_ACCOUNT
        )
        await set_bank_account(
            session, built.supplier_id, account_number="6222 0200 1234 5678", now=now, **account
        )
    async with unit_of_work(db.sessions) as session:
        batch = await pay_batches.create_batch(session, operator, now)
        assert (batch.statement_count, batch.total_fen) == (1, 18 * COST)
    async with unit_of_work(db.sessions) as session:
        await pay_batches.mark_batch_paid(session, batch.id, operator, now)
    async with unit_of_work(db.sessions) as session:
        assert await refused(pay_batches.mark_batch_paid(session, batch.id, operator, now)) is (
            Code.BATCH_ALREADY_PAID
        )
    state = await db.scalar("SELECT state FROM supplier_statements WHERE id = :s", s=statement.id)
    assert state == "paid"
    # The ledger: each line, then the payment that settles them; it sums to 0.
    total = await db.scalar(
        "SELECT SUM(amount_fen) FROM supplier_ledger_entries WHERE supplier_id = :s",
        s=built.supplier_id,
    )
    assert int(total) == 0
    assert (
        await rows(db, "SELECT kind, amount_fen FROM supplier_ledger_entries ORDER BY id DESC")
    )[0] == ("payment", -18 * COST)


async def test_statement_kinds_cover_every_line_kind() -> None:
    assert {k.value for k in LineKind} >= {"goods", "shortage", "qc_failure", "quality_claim"}


async def test_the_hourly_sweep_issues_the_newest_closed_period_once(db: TestDB) -> None:
    assert handler_for(DUE) is supplier_statements_due and DUE in periodic_kinds()
    built = await received_day(db)
    period_end = latest_closed_period(utcnow(), get_settings())
    await execute(
        db, "UPDATE purchase_orders SET delivery_date = :d", d=period_end - timedelta(days=2)
    )
    ctx = JobContext(job_id=0, sessions=db.sessions)
    first = await supplier_statements_due(ctx, {})
    assert first is not None
    assert first["period_end"] == period_end.isoformat() and len(first["statements"]) == 1
    assert await supplier_statements_due(ctx, {}) == {**first, "statements": []}
    assert (
        await db.scalar(
            "SELECT total_fen FROM supplier_statements WHERE supplier_id = :s", s=built.supplier_id
        )
        == 18 * COST
    )
